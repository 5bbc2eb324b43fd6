"""End to end in headless Chromium: the club page on one origin embeds the real bot served from another.

Screenshots of every step go to test-artifacts/e2e/. No Chromium: skipped with a notice, but a failure under CI=true.
"""

import os
import re
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import urlparse

import pytest

from bot.settings import PROJECT_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = PROJECT_ROOT / "test-artifacts" / "e2e"
XSS = "<img src=x onerror=alert(1)>"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def browser_missing(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} — the browser tests must run under CI (.ci/run installs Debian's chromium).")
    pytest.skip(f"{reason} — skipping the browser tests (install Debian's chromium to run them).")


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_missing("Playwright for Python is not installed")
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        browser_missing(f"No Chromium at {CHROMIUM}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser, live_bot, club_site):
    """Opens the club page at a given viewport; records requests that left the machine and any dialogs."""
    contexts = []

    def open_(width: int, height: int, query: str = ""):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.outside, page.dialogs = [], []
        page.on("request", lambda r: page.outside.append(r.url) if urlparse(r.url).hostname not in LOCAL_HOSTS | {None} and not r.url.startswith(("data:", "blob:")) else None)
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        page.goto(f"{club_site}/?bot={live_bot.url}{query}")
        return page

    yield open_
    for context in contexts:
        context.close()


def ask(chat, question: str) -> None:
    """Type into the bot's question box and send with the Enter key, as a keyboard user would."""
    answers_before = chat.locator(".message-row.bot-row, .bot-row").count()
    box = chat.locator("#hb-question textarea")
    box.focus()
    box.fill(question)
    box.press("Enter")
    chat.locator(".bot-row").nth(answers_before).wait_for(timeout=30_000)
    # Streaming is over when the input has been cleared and nothing is pending.
    chat.page.wait_for_function("() => !document.querySelector('.pending, .generating')", timeout=30_000)


def test_club_page_embeds_the_bot_and_answers_with_citations_and_warnings(open_page, live_bot):
    page = open_page(1280, 900)
    chat = page.locator("gradio-app")
    chat.locator("#hb-question textarea").wait_for(timeout=30_000)
    assert urlparse(page.url).netloc != urlparse(live_bot.url).netloc  # two origins
    page.screenshot(path=SHOTS / "01-club-page.png", full_page=True)

    ask(chat, "How do I strengthen my hamstrings?")
    answer = chat.locator(".bot-row").last
    citation = answer.locator("details.hb-citation").first
    citation.wait_for()
    assert re.search(r"\[1\]", answer.inner_text())
    summary = citation.locator("summary")
    summary.focus()
    page.keyboard.press("Enter")  # citations open from the keyboard
    quote = citation.locator("blockquote")
    quote.wait_for(state="visible")
    assert citation.get_attribute("open") is not None and len(quote.inner_text()) > 20
    summary.scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "02-answer-with-citation.png", full_page=True)

    ask(chat, "I felt a pop in my hamstring and now it's bruised")
    answer = chat.locator(".bot-row").last
    warning = answer.locator(".hb-escalation")
    warning.wait_for(state="visible")
    assert warning.get_attribute("role") == "alert"
    assert warning.bounding_box()["y"] < answer.locator(".hb-citations").bounding_box()["y"]
    assert answer.locator(".hb-escalation ~ *").count() > 0  # the warning comes first, the rest below it
    warning.evaluate("el => el.scrollIntoView({block: 'start'})")  # the chat scrolls inside itself
    page.screenshot(path=SHOTS / "03-red-flag-warning.png", full_page=True)

    ask(chat, XSS)
    user_bubble = chat.locator(".user-row").last
    assert user_bubble.inner_text().strip() == XSS
    assert chat.locator('img[src="x"]').count() == 0
    assert page.dialogs == []
    user_bubble.scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "04-xss-stays-text.png", full_page=True)

    chat.get_by_role("button", name="Like", exact=True).first.click()  # thumbs up on the first answer
    page.wait_for_timeout(1000)  # the like event goes to the server in the background
    with sqlite3.connect(live_bot.settings.feedback_db) as db:
        rows = db.execute("SELECT question, rating FROM feedback ORDER BY id DESC LIMIT 1").fetchall()
    assert rows == [("How do I strengthen my hamstrings?", "up")]

    assert page.outside == [], f"the page reached out of the machine: {page.outside}"


def test_phone_width_and_iframe_fallback(open_page):
    page = open_page(390, 844)
    chat = page.locator("gradio-app")
    chat.locator("#hb-question textarea").wait_for(timeout=30_000)
    ask(chat, "Why do my hamstrings feel tight after running?")
    chat.locator(".bot-row").last.locator("details.hb-citation").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
    page.screenshot(path=SHOTS / "05-phone.png", full_page=True)

    framed = open_page(1024, 900, "&embed=iframe")
    frame = framed.locator("iframe").element_handle().content_frame()
    frame.wait_for_selector("#hb-question textarea", timeout=30_000)  # frame-ancestors lets the club origin frame it
    frame.wait_for_function("document.querySelector('#hb-chat').getBoundingClientRect().width > 400")  # laid out
    framed.screenshot(path=SHOTS / "06-iframe-fallback.png", full_page=True)
    assert page.outside == [] and framed.outside == []
