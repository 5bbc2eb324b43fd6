"""The edge in headless Chromium: a refused page question keeps its text and says when to retry; the docs stay local.

Over the fake bot, served by uvicorn in a thread. Screenshots go to test-artifacts/e2e/. No Chromium: skipped with
a notice, but a failure under CI=true (as in test_e2e.py).
"""

import logging
from urllib.parse import urlparse

import pytest
import uvicorn

import app
from core.settings import PROJECT_ROOT
from tests.browser import chromium
from tests.app.conftest import FakeIndexStatus, free_port, running
from web.server import bind

pytestmark = pytest.mark.e2e

SHOTS = PROJECT_ROOT / "test-artifacts" / "e2e"


@pytest.fixture(scope="module")
def browser():
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield from chromium()


@pytest.fixture
def served(settings, fake_bot):
    """The app over the fake bot at http://127.0.0.1:PORT, allowing one question a minute."""
    settings.rate_limit_per_minute = 1
    yield from serve_in_thread(settings, fake_bot)


def serve_in_thread(settings, fake_bot):
    settings.port = free_port()
    config = uvicorn.Config(app.create_app(settings, fake_bot, index_status=lambda s: FakeIndexStatus()), log_level="error")
    with running(config, [bind(settings)]):
        yield f"http://127.0.0.1:{settings.port}"


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.outside = []
    page.on("request", lambda r: urlparse(r.url).hostname not in ("127.0.0.1", "localhost", None) and page.outside.append(r.url))
    yield page
    context.close()


@pytest.mark.parametrize("written", ["{club}/", "{club}/join/?utm=x", "https://elsewhere.example, {club}"], ids=["slash", "path", "list"])
def test_the_club_site_embeds_the_bot_however_its_address_was_written(page, settings, fake_bot, club_site, written):
    settings.allowed_origins = written.format(club=club_site)  # as the environment variable would hold it
    settings = settings.model_validate(settings.model_dump())  # read like HAMSTRING_ALLOWED_ORIGINS
    for bot in serve_in_thread(settings, fake_bot):
        page.goto(f"{club_site}/?bot={bot}")
        chat = page.locator("gradio-app")
        box = chat.locator("#hb-question textarea")
        box.wait_for(timeout=30_000)
        box.fill("How do I strengthen my hamstrings?")
        box.press("Enter")
        chat.locator(".bot-row").first.wait_for(timeout=30_000)
        page.screenshot(path=SHOTS / f"edge-03-club-origin-allowed-{written.count('/')}-{written.count(',')}.png")
    assert page.outside == []


def test_a_site_that_is_not_allowed_gets_nothing_and_the_log_names_the_setting(page, settings, fake_bot, club_site, caplog):
    with caplog.at_level(logging.WARNING, logger="hamstring_bot.security"):
        for bot in serve_in_thread(settings, fake_bot):
            page.goto(f"{club_site}/?bot={bot}")
            page.wait_for_timeout(3000)
            assert page.locator("gradio-app #hb-question").count() == 0
            page.goto(f"{club_site}/?bot={bot}&embed=iframe")
            page.wait_for_timeout(2000)
            frames = [f for f in page.frames if f != page.main_frame]
            assert frames and all(f.locator("#hb-question").count() == 0 for f in frames)  # frame-ancestors refuses it
            page.screenshot(path=SHOTS / "edge-04-club-origin-refused.png")
    refused = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Refused")]
    assert refused and all("HAMSTRING_ALLOWED_ORIGINS" in m for m in refused)
    assert len([m for m in refused if club_site in m]) == len(set(refused)) == len(refused)  # once per kind, per site


def test_a_refused_question_stays_in_the_box_and_says_when_to_try_again(page, served):
    page.goto(served)
    box = page.locator("#hb-question textarea")
    box.fill("How do I strengthen my hamstrings?")
    box.press("Enter")
    page.locator(".bot-row").first.wait_for(timeout=30_000)
    page.wait_for_function("() => !document.querySelector('.pending, .generating')", timeout=30_000)

    box.fill("And how often should I do them?")
    box.press("Enter")
    notice = page.locator("#hb-notice")
    notice.get_by_text("Try again in", exact=False).wait_for(timeout=15_000)
    page.screenshot(path=SHOTS / "edge-01-refused-question.png")
    assert "the limit is 1 a minute" in notice.inner_text()
    assert box.input_value() == "And how often should I do them?"  # nothing to retype
    assert page.locator(".bot-row").count() == 1 and page.locator(".bot-row").first.is_visible()  # the chat stays
    assert page.get_by_text("Error", exact=True).count() == 0
    assert page.outside == []


@pytest.mark.parametrize("path, ready", [("/redoc", "Ask a question"), ("/docs", "/api/ask")])
def test_the_api_docs_make_no_request_off_the_machine(page, served, path, ready):
    page.goto(served + path)
    page.get_by_text(ready).first.wait_for(timeout=20_000)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=SHOTS / f"edge-02-docs{path.replace('/', '-')}.png")
    assert page.outside == []
