"""Feedback and the club's view in headless Chromium, over the fake bot served in-process by uvicorn.

Thumbs: a second click changes the rating, a failed save is said on the page and the thumb put out. Admin: log
in, the four views, a CSV download. Screenshots go to test-artifacts/feedback/. No Chromium: skipped with a
notice, but a failure under CI=true.
"""

import csv
import io
import sqlite3
import time
from pathlib import Path

import pytest
import uvicorn

import app
from core.settings import PROJECT_ROOT, Settings
from tests.app.conftest import free_port, running
from tests.browser import chromium

pytestmark = pytest.mark.e2e

SHOTS = PROJECT_ROOT / "test-artifacts" / "feedback"
PASSWORD = "club-view-password-for-tests"


@pytest.fixture(scope="module")
def browser():
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield from chromium()


@pytest.fixture
def served(tmp_path, fake_bot):
    """The app over the fake bot, with the club view on, served by uvicorn in a thread on a free port."""
    settings = Settings(data_dir=tmp_path / "data", admin_password=PASSWORD)
    web_app = app.create_app(settings, fake_bot, index_status=lambda s: None)
    with running(uvicorn.Config(web_app, host="127.0.0.1", port=free_port(), log_level="warning")) as server:
        web_app.url = f"http://127.0.0.1:{server.config.port}"
        yield web_app


def ask(page, question: str) -> None:
    answers_before = page.locator(".bot-row").count()
    box = page.locator("#hb-question textarea")
    box.fill(question)
    box.press("Enter")
    page.locator(".bot-row").nth(answers_before).wait_for(timeout=30_000)
    page.wait_for_function("() => !document.querySelector('.pending, .generating')", timeout=30_000)


def ratings(path: Path) -> list[tuple]:
    """The saved ratings; none while the app is still creating the file's table (a busy machine shows that moment)."""
    with sqlite3.connect(path) as db:
        try:
            return db.execute("SELECT rating, question FROM feedback").fetchall()
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return []
            raise


def until(check, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    return check()


def test_thumbs_change_not_add_and_a_failed_save_is_said_on_the_page(browser, served, caplog):
    db = served.state.feedback.path
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.goto(served.url)
    page.locator("#hb-question textarea").wait_for(timeout=30_000)
    ask(page, "How do I strengthen my hamstrings?")

    page.get_by_role("button", name="Like", exact=True).first.click()
    assert until(lambda: ratings(db) == [("up", "How do I strengthen my hamstrings?")]), ratings(db)
    page.get_by_role("button", name="Dislike", exact=True).first.click()
    assert until(lambda: ratings(db) == [("down", "How do I strengthen my hamstrings?")]), ratings(db)

    # A fault the store can't heal: the database's path is taken by a folder.
    ask(page, "What's the weather like?")
    db.unlink()
    db.mkdir()
    thumbs = page.locator(".message-buttons").last  # the second answer's thumbs (they sit beside its row)
    thumbs.get_by_role("button", name="Like", exact=True).click()
    told = page.get_by_text("couldn't save your rating")
    told.wait_for(state="visible", timeout=10_000)
    page.wait_for_timeout(300)
    page.screenshot(path=SHOTS / "01-rating-not-saved.png")
    assert thumbs.get_by_role("button", name="Like", exact=True).count() == 1, "the thumb is not left lit"
    assert thumbs.get_by_role("button", name="Liked").count() == 0
    operator = [r.getMessage() for r in caplog.records if r.name == "hamstring_bot.feedback"]
    assert operator == [f"Feedback database {db} can't be written or read: it can't be opened: check that its folder "
                        "exists and is writable. Until then runners are told their rating wasn't saved."]

    # A second failure on the same thumb is said and put out again.
    page.locator(".toast-close").first.click() if page.locator(".toast-close").count() else None
    thumbs.get_by_role("button", name="Like", exact=True).click()
    page.wait_for_timeout(1500)
    assert thumbs.get_by_role("button", name="Like", exact=True).count() == 1

    # Fixed: the next click is saved, in a new database.
    db.rmdir()
    thumbs.get_by_role("button", name="Like", exact=True).click()
    assert until(lambda: db.is_file() and ratings(db) == [("up", "What's the weather like?")]), "saved once the fault is gone"
    context.close()


def test_the_club_logs_in_sees_the_four_views_and_downloads_csv(browser, served, tmp_path):
    runner = browser.new_context()
    chat = runner.new_page()
    chat.goto(served.url)
    chat.locator("#hb-question textarea").wait_for(timeout=30_000)
    for question in ["What's the weather like?", "I felt a pop and now it's bruised", "How do I strengthen my hamstrings?"]:
        ask(chat, question)
    chat.locator(".message-buttons").last.get_by_role("button", name="Dislike", exact=True).click()
    served.state.question_counter.flush()
    assert until(lambda: ratings(served.state.feedback.path))
    runner.close()

    stranger = browser.new_context()  # no credentials: refused (a headless browser can't show the login prompt)
    assert stranger.request.get(f"{served.url}/admin").status == 401
    stranger.close()

    club = browser.new_context(http_credentials={"username": "club", "password": PASSWORD}, accept_downloads=True,
                               viewport={"width": 1100, "height": 1400})
    page = club.new_page()
    assert page.goto(f"{served.url}/admin").status == 200
    for title in ("Questions the articles didn't answer", "Answers rated down", "Red flags per week", "Most-asked topics"):
        assert page.get_by_role("heading", name=title).is_visible()
    assert page.locator("#unanswered td", has_text="What's the weather like?").count() == 1
    assert page.locator("#rated-down td", has_text="How do I strengthen my hamstrings?").count() == 1
    assert page.locator("#red-flags td.n").first.inner_text() == "1"
    assert page.locator("#topics td", has_text="Strength Train Your Hamstrings").count() == 1
    page.screenshot(path=SHOTS / "02-admin.png", full_page=True)

    with page.expect_download() as download:
        page.locator("#unanswered a.csv").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "hamstring-unanswered.csv"
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert rows[0] == ["question", "outcome", "times", "last_asked"] and rows[1][:3] == ["What's the weather like?", "declined", "1"]
    club.close()
