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

from core.settings import PROJECT_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = PROJECT_ROOT / "test-artifacts" / "e2e"
XSS = "<img src=x onerror=alert(1)>"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# The newest question is in view and its answer starts in the upper half, or, when the answer is short,
# the log is at its end with the whole answer in view.
LATEST_EXCHANGE_IN_VIEW = """() => {
  const log = document.querySelector('#hb-chat [role="log"]');
  const top = (sel) => [...log.querySelectorAll(sel)].pop().getBoundingClientRect().top - log.getBoundingClientRect().top;
  const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 2;
  return top('.user-row') >= 0 && (top('.bot-row') < log.clientHeight / 2 || (atEnd && top('.bot-row') < log.clientHeight));
}"""


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
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not executable:
        browser_missing(f"No Chromium at {CHROMIUM} or on PATH")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=ARGS)
        yield chromium
        chromium.close()


def leaves_the_machine(url: str) -> bool:
    return not url.startswith(("data:", "blob:")) and urlparse(url).hostname not in LOCAL_HOSTS


@pytest.fixture
def open_page(browser):
    """Opens a URL at a given viewport; records requests that left the machine, and any dialogs."""
    contexts = []

    def open_(url: str, width: int, height: int):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.outside, page.dialogs = [], []
        page.on("request", lambda r: leaves_the_machine(r.url) and page.outside.append(r.url))
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        page.goto(url)
        return page

    yield open_
    for context in contexts:
        context.close()


def ask(chat, question: str | None = None, example: str | None = None) -> None:
    """Send a question with the Enter key, typed or by picking an example, as a keyboard user would."""
    answers_before = chat.locator(".bot-row").count()
    if example:
        chat.get_by_role("button", name=example).focus()
        chat.page.keyboard.press("Enter")
    else:
        box = chat.locator("#hb-question textarea")
        box.fill(question)
        box.press("Enter")
    chat.locator(".bot-row").nth(answers_before).wait_for(timeout=30_000)
    # Streaming is over when nothing is pending, and the chat has scrolled the new exchange into view.
    chat.page.wait_for_function("() => !document.querySelector('.pending, .generating')", timeout=30_000)
    chat.page.wait_for_function(LATEST_EXCHANGE_IN_VIEW, timeout=5_000)


def test_club_page_embeds_the_bot_and_answers_with_citations_and_warnings(open_page, live_bot, club_site):
    page = open_page(f"{club_site}/?bot={live_bot.url}", 1280, 900)
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
    # Once the answer is in, the chat has scrolled back to the question, so the warning below it is in sight.
    page.screenshot(path=SHOTS / "03-red-flag-warning.png")

    ask(chat, XSS)
    user_bubble = chat.locator(".user-row").last
    assert user_bubble.inner_text().strip() == XSS
    assert chat.locator('img[src="x"]').count() == 0
    assert page.dialogs == []
    page.screenshot(path=SHOTS / "04-xss-stays-text.png")

    chat.get_by_role("button", name="Like", exact=True).first.click()  # thumbs up on the first answer
    for _ in range(50):  # the like event reaches the server in the background
        with sqlite3.connect(live_bot.settings.feedback_db) as db:
            rows = db.execute("SELECT question, rating FROM feedback ORDER BY id DESC LIMIT 1").fetchall()
        if rows:
            break
        page.wait_for_timeout(100)
    assert rows == [("How do I strengthen my hamstrings?", "up")]

    assert page.outside == [], f"the page reached out of the machine: {page.outside}"


def test_phone_width_examples_clear_iframe_and_docs(open_page, live_bot, club_site):
    page = open_page(f"{club_site}/?bot={live_bot.url}", 390, 844)
    chat = page.locator("gradio-app")
    chat.locator("#hb-question textarea").wait_for(timeout=30_000)
    ask(chat, example="Why do my hamstrings feel tight after running?")
    assert chat.locator(".user-row").last.inner_text().strip() == "Why do my hamstrings feel tight after running?"
    chat.locator(".bot-row").last.locator("details.hb-citation").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
    page.screenshot(path=SHOTS / "05-phone-club-page.png", full_page=True)
    chat.locator("#hb-clear").focus()
    page.keyboard.press("Enter")
    chat.get_by_role("button", name="Why do my hamstrings feel tight after running?").wait_for()  # examples are back
    assert chat.locator(".bot-row, .user-row").count() == 0

    own = open_page(live_bot.url + "/", 390, 844)
    own.locator("#hb-question textarea").wait_for(timeout=30_000)
    ask(own.locator("body"), "I felt a pop in my hamstring and now it's bruised")
    own.locator(".hb-escalation").wait_for(state="visible")
    assert own.evaluate("document.documentElement.scrollWidth") <= 390
    own.screenshot(path=SHOTS / "06-phone-bot-page.png", full_page=True)

    framed = open_page(f"{club_site}/?bot={live_bot.url}&embed=iframe", 1024, 900)
    frame = framed.locator("iframe").element_handle().content_frame()
    frame.wait_for_selector("#hb-question textarea", timeout=30_000)  # frame-ancestors lets the club origin frame it
    frame.wait_for_function("document.querySelector('#hb-chat').getBoundingClientRect().width > 400")  # laid out
    framed.screenshot(path=SHOTS / "07-iframe-fallback.png", full_page=True)

    docs = open_page(live_bot.url + "/docs", 1280, 900)
    docs.get_by_text("/api/ask").first.wait_for(timeout=15_000)  # Swagger UI, served by the bot itself
    docs.screenshot(path=SHOTS / "08-api-docs.png")
    assert page.outside == own.outside == framed.outside == docs.outside == []
