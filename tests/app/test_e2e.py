"""End to end in headless Chromium: the club page on one origin embeds the real bot served from another.

Screenshots of every step go to test-artifacts/e2e/. No Chromium: skipped with a notice, but a failure under CI=true.
Covered: citations and the article they open, the warning in view after sending (phone, embeds), a hostile club
theme that must change nothing in the widget, WCAG AA contrast measured on the page, a club's own theming.
"""

import re
import sqlite3
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from core.settings import PROJECT_ROOT
from tests.browser import chromium

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

SHOTS = PROJECT_ROOT / "test-artifacts" / "e2e"
XSS = "<img src=x onerror=alert(1)>"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# In the window: the newest question, and its answer starting in the upper half (or, when the page has no more
# room to scroll, anywhere on screen). The chat has no scroll box of its own: the page scrolls.
LATEST_EXCHANGE_IN_VIEW = """() => {
  const last = (sel) => [...document.querySelectorAll(sel)].pop().getBoundingClientRect();
  const atEnd = window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 2;
  const question = last('.user-row'), answer = last('.bot-row');
  return question.top >= -1 && (answer.top < window.innerHeight / 2 || (atEnd && answer.top < window.innerHeight));
}"""
# Elements of the widget that scroll on their own (a scroll box inside the page); the question box may.
NESTED_SCROLLERS = """() => [...document.querySelectorAll('#hb-root, #hb-root *')].filter(e => {
  const y = getComputedStyle(e).overflowY;
  return e.tagName !== 'TEXTAREA' && (y === 'auto' || y === 'scroll') && e.scrollHeight > e.clientHeight + 1;
}).map(e => e.tagName + '.' + e.className)"""


@pytest.fixture(scope="module")
def browser():
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield from chromium()


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


def ask(chat, question: str | None = None, example: str | None = None, where=None) -> None:
    """Send a question with the Enter key, typed or by picking an example, as a keyboard user would.

    `where` is the document the chat is in when that is not the page's own (an iframe)."""
    where = where or chat.page
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
    where.wait_for_function("() => !document.querySelector('.pending, .generating')", timeout=30_000)
    where.wait_for_function(LATEST_EXCHANGE_IN_VIEW, timeout=5_000)
    assert where.evaluate(NESTED_SCROLLERS) == []


def plain(text: str) -> str:
    """Text as read, without Markdown list markers or emphasis, white space collapsed."""
    return " ".join(re.sub(r"(?m)^\s*(?:[-*+]|\d+[.)])\s+", "", text).replace("*", "").split())


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

    # An [n] marker in the text opens its citation, without changing the club page's address.
    marker = answer.locator("a.hb-marker").last
    n = marker.inner_text().strip("[]")
    marker.click()
    target = answer.locator(f"details.hb-citation#{marker.get_attribute('href').lstrip('#')}")
    assert target.get_attribute("open") is not None and target.locator("summary").inner_text().startswith(f"[{n}]")
    assert urlparse(page.url).fragment == ""
    page.screenshot(path=SHOTS / "02b-marker-opens-its-citation.png")

    # The citation opens its article on the bot's own server, at the quote, highlighted.
    link = target.locator("a.hb-open-article")
    href = link.get_attribute("href")
    assert href.startswith(f"{live_bot.url}/articles/") and re.search(r"\?start=\d+&end=\d+#quote$", href), href
    with page.context.expect_page() as opened:
        link.click()
    article = opened.value
    article.wait_for_load_state()
    mark = article.locator("mark#quote")
    mark.wait_for(state="visible")
    box, height = mark.bounding_box(), article.viewport_size["height"]
    assert 0 <= box["y"] < height, "the page opens scrolled to the quote"
    marked = " ".join(article.locator("main mark.hb-quote").all_inner_texts()[1:])  # [0] is the note saying what marks mean
    assert plain(marked) == plain(target.locator("blockquote").inner_text())  # exactly the quoted span
    article.screenshot(path=SHOTS / "02c-article-at-the-quote.png")
    article.close()

    ask(chat, "I felt a pop in my hamstring and now it's bruised")
    answer = chat.locator(".bot-row").last
    warning = answer.locator(".hb-escalation")
    warning.wait_for(state="visible")
    assert warning.get_attribute("role") == "alert"
    assert warning.bounding_box()["y"] < answer.locator(".hb-citations").bounding_box()["y"]
    box = warning.bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= 900, "after sending, the warning is in the window"
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


# ---- a club theme can't break the widget; a club themes it on purpose ------------------------------------

CONVERSATION = ["How do I strengthen my hamstrings?", "Should I stretch an injured hamstring?",
                "I felt a pop in my hamstring and now it's bruised"]
# The widget's parts, ours and Gradio's, and what a theme could change about them.
PARTS = [".hb-header", ".hb-header h1", ".hb-header p", ".hb-footer", ".hb-footer p", ".hb-footer ul", ".hb-footer li",
         ".hb-footer a", ".hb-disclaimer", "#hb-send", "#hb-clear", "#hb-question textarea", ".hb-user", ".hb-lead",
         ".hb-escalation", ".hb-escalation p", ".hb-escalation strong", ".hb-marker", ".hb-reminder",
         ".hb-citation summary", ".hb-citation blockquote", ".hb-open-article", ".hb-conflict", ".hb-conflict li",
         "button.icon-button[aria-label=Like]"]
PROPERTIES = ["color", "background-color", "font-size", "font-family", "font-style", "font-weight", "line-height",
              "margin-top", "margin-left", "padding-top", "padding-left", "box-sizing", "text-transform",
              "letter-spacing", "word-spacing", "text-align", "border-top-width", "border-left-width",
              "list-style-type", "text-decoration-line", "box-shadow", "border-radius"]
STYLES = """([parts, properties]) => Object.fromEntries(parts.map(sel => {
  const e = document.querySelector('#hb-root ' + sel);
  if (!e) return [sel, null];
  const style = getComputedStyle(e);
  return [sel, Object.fromEntries(properties.map(p => [p, style.getPropertyValue(p)]))];
}))"""
# The text colour of an element and the background colours behind it, innermost first, up to the page.
COLOURS = """(sel) => {
  const e = document.querySelector(sel);
  const backgrounds = [];
  for (let n = e; n; n = n.parentElement) backgrounds.push(getComputedStyle(n).backgroundColor);
  return {color: getComputedStyle(e).color, backgrounds};
}"""


def rgba(css: str) -> tuple[float, float, float, float]:
    values = [float(v) for v in re.findall(r"[\d.]+", css)]
    return (*values[:3], values[3] if len(values) > 3 else 1.0)


def luminance(rgb) -> float:
    def channel(v):
        v /= 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(doc, selector: str) -> float:
    """WCAG contrast ratio of an element's text on what is behind it, from computed styles (alpha composited)."""
    found = doc.evaluate(COLOURS, selector)
    background = (255.0, 255.0, 255.0)  # the canvas, when nothing up the tree paints
    for layer in reversed(found["backgrounds"]):
        r, g, b, a = rgba(layer)
        background = tuple(a * c + (1 - a) * under for c, under in zip((r, g, b), background))
    r, g, b, a = rgba(found["color"])
    text = tuple(a * c + (1 - a) * under for c, under in zip((r, g, b), background))
    hi, lo = sorted((luminance(text), luminance(background)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def chat_in(page, embed: str):
    """The document holding the chat and a locator for it: the page itself, or the iframe's document."""
    if embed == "iframe":
        frame = page.locator("iframe").element_handle().content_frame()
        frame.wait_for_selector("#hb-question textarea", timeout=30_000)
        return frame, frame.locator("body")
    chat = page.locator("gradio-app")
    chat.locator("#hb-question textarea").wait_for(timeout=30_000)
    return page, chat


def converse(open_page, url: str, embed: str, width: int, height: int):
    page = open_page(url, width, height)
    doc, chat = chat_in(page, embed)
    for question in CONVERSATION:
        ask(chat, question, where=doc)
    chat.locator(".hb-citation summary").first.click()
    return page, doc


@pytest.mark.parametrize(("embed", "width", "height"), [("component", 1280, 900), ("component", 390, 844),
                                                        ("iframe", 1280, 900), ("iframe", 390, 844)])
def test_a_hostile_club_theme_changes_nothing_in_the_widget(open_page, live_bot, club_site, embed, width, height):
    mode = "&embed=iframe" if embed == "iframe" else ""
    plain_page, plain_doc = converse(open_page, f"{club_site}/?bot={live_bot.url}{mode}", embed, width, height)
    hostile_page, hostile_doc = converse(open_page, f"{club_site}/?bot={live_bot.url}{mode}&theme=hostile", embed, width, height)
    assert hostile_page.evaluate("getComputedStyle(document.documentElement).fontSize") == "20px"  # the theme is on

    plain, hostile = (doc.evaluate(STYLES, [PARTS, PROPERTIES]) for doc in (plain_doc, hostile_doc))
    assert [p for p in PARTS if plain[p] is None] == []  # every part was on the page
    changed = {p: {k: (plain[p][k], hostile[p][k]) for k in PROPERTIES if plain[p][k] != hostile[p][k]} for p in PARTS}
    assert {p: c for p, c in changed.items() if c} == {}, "the club's theme reached into the widget"

    # WCAG AA, measured: 4.5:1 for the text that keeps runners safe (and the rest of the small print).
    for selector in (".hb-disclaimer", ".hb-escalation strong", ".hb-escalation p", ".hb-reminder", ".hb-footer a",
                     ".hb-header h1", ".hb-header p", ".hb-conflict li", ".hb-marker"):
        ratio = contrast(hostile_doc, "#hb-root " + selector)
        assert ratio >= 4.5, f"{selector}: contrast {ratio:.2f}:1 is under WCAG AA"
    assert hostile_page.evaluate("document.documentElement.scrollWidth") <= width  # nothing sticks out sideways
    name = f"09-hostile-theme-{embed}-{width}"
    hostile_page.screenshot(path=SHOTS / f"{name}.png", full_page=True)
    plain_page.screenshot(path=SHOTS / f"{name}-without.png", full_page=True)
    assert plain_page.outside == hostile_page.outside == []


@pytest.mark.parametrize("embed", ["component", "iframe"])
def test_on_a_phone_the_newest_answer_and_its_warning_are_in_view_after_sending(open_page, live_bot, club_site, embed):
    mode = "&embed=iframe" if embed == "iframe" else ""
    page = open_page(f"{club_site}/?bot={live_bot.url}{mode}", 390, 844)
    doc, chat = chat_in(page, embed)
    ask(chat, "How do I strengthen my hamstrings?", where=doc)
    ask(chat, "Should I stretch an injured hamstring?", where=doc)
    disagreement = chat.locator(".bot-row").last.locator(".hb-conflict").first
    assert 0 <= disagreement.bounding_box()["y"] < 844, "the disagreement is seen right after the lead, without scrolling"
    page.screenshot(path=SHOTS / f"10-phone-{embed}-disagreement-in-view.png")
    ask(chat, "I felt a pop in my hamstring and now it's bruised", where=doc)
    warning = chat.locator(".bot-row").last.locator(".hb-escalation")
    title = warning.locator(".hb-escalation-title")
    # In the page's window (for the iframe: the frame's window, and the frame itself in the page's window).
    assert doc.evaluate("(e) => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; }",
                        title.element_handle())
    assert 0 <= title.bounding_box()["y"] < 844
    assert doc.evaluate(NESTED_SCROLLERS) == []
    # The answer reads like a chat: the one-line reminder, not the paragraph, after the first answer.
    reminders = chat.locator(".bot-row .hb-reminder")
    assert "hb-reminder-short" not in (reminders.first.get_attribute("class") or "")
    assert "hb-reminder-short" in reminders.last.get_attribute("class")
    assert reminders.last.bounding_box()["height"] < 30  # one line at phone width
    page.screenshot(path=SHOTS / f"10-phone-{embed}-warning-in-view.png")


def test_a_club_sets_its_title_and_accent_colour(open_page, live_bot, club_site):
    page = open_page(f"{club_site}/?bot={live_bot.url}", 1280, 900)
    chat = page.locator("gradio-app")
    chat.locator("#hb-question textarea").wait_for(timeout=30_000)
    holder = page.locator("gradio-app")
    title, accent = holder.get_attribute("data-title"), holder.get_attribute("data-accent")
    header = chat.locator(".hb-header")
    page.wait_for_function("(t) => document.querySelector('.hb-header h1').textContent === t", arg=title)
    expected = tuple(int(accent[i:i + 2], 16) for i in (1, 3, 5))
    assert rgba(header.evaluate("e => getComputedStyle(e).backgroundColor"))[:3] == expected
    # Gradio's buttons fade their colour in (a CSS transition): on a loaded machine a single read can land
    # mid-fade, so wait (retrying) for the accent
    expect(chat.locator("#hb-send")).to_have_css("background-color", "rgb({}, {}, {})".format(*expected))
    assert contrast(page, ".hb-header h1") >= 4.5 and contrast(page, "#hb-send") >= 4.5
    page.screenshot(path=SHOTS / "11-club-theme.png")

    # The iframe takes the same settings from its address; a light accent gets dark text, still readable.
    framed = open_page(f"{club_site}/?bot={live_bot.url}&embed=iframe&accent=%23fde047", 1024, 800)
    frame, _ = chat_in(framed, "iframe")
    frame.wait_for_function("(t) => document.querySelector('.hb-header h1').textContent === t", arg=title)
    assert rgba(frame.locator(".hb-header").evaluate("e => getComputedStyle(e).backgroundColor"))[:3] == (253, 224, 71)
    expect(frame.locator("#hb-send")).to_have_css("background-color", "rgb(253, 224, 71)")
    assert contrast(frame, ".hb-header h1") >= 4.5 and contrast(frame, "#hb-send") >= 4.5
    framed.screenshot(path=SHOTS / "12-iframe-light-accent.png")

    # On the bot's own page the address can't retitle it (only a page allowed to frame the bot can theme it);
    # a bad accent is ignored and a title is text, never markup.
    own = open_page(f"{live_bot.url}/?title=Call%20555-0100%20now&accent=%23fde047", 1024, 700)
    own.wait_for_function("() => document.querySelector('#hb-root')?.dataset.hbReady", timeout=30_000)  # its script ran
    assert own.locator(".hb-header h1").inner_text() == "Hamstring help for runners"
    assert rgba(own.locator(".hb-header").evaluate("e => getComputedStyle(e).backgroundColor"))[:3] == (29, 78, 216)
    bad = open_page(f"{club_site}/?bot={live_bot.url}&embed=iframe", 1024, 700)
    frame, _ = chat_in(bad, "iframe")
    frame.evaluate("""() => { const u = new URL(location.href);
        u.searchParams.set('title', '<img src=x onerror=alert(1)>'); u.searchParams.set('accent', 'red;background:url(x)');
        location.href = u.href; }""")
    frame = bad.locator("iframe").element_handle().content_frame()
    frame.wait_for_function("() => document.querySelector('.hb-header h1')?.textContent.startsWith('<img')", timeout=30_000)
    assert frame.locator(".hb-header img").count() == 0 and bad.dialogs == []
    assert rgba(frame.locator(".hb-header").evaluate("e => getComputedStyle(e).backgroundColor"))[:3] == (29, 78, 216)

