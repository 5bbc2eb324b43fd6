"""The Gradio chat page: one conversation per browser session, answers revealed progressively, feedback.

`build_chat` makes the page; it asks through the callable it is given, so the server decides concurrency.
"""

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import gradio as gr

from core.errors import AnswerUnavailable, BadQuestion
from core.questions import EXAMPLE_QUESTION, Question, check
from core.settings import Settings
from core.types import Answer, Message
from web.admission import REFUSAL_HEADER
from web.articles import Shelf, article_path
from web.feedback import FeedbackStore, Thumbs
from web.render import esc, render_answer, render_user, reveal

log = logging.getLogger("hamstring_bot.app")
EXAMPLES = [
    EXAMPLE_QUESTION,
    "How do I strengthen my hamstrings?",
    "What is high hamstring tendinopathy?",
    "Should I stretch an injured hamstring?",
]
REVEAL_PAUSE_S = 0.03  # between frames of a revealed answer
NOT_SAVED_MARKS = ("not saved", "not saved again")  # thumb values that light neither Like nor Dislike

# The conversation grows with the page instead of scrolling in a box of its own (a box inside a page inside a
# club page is the scroll trap phones fall into). After an answer, the page scrolls so the newest question sits
# at the top of the window, the answer and any warning under it; in an embed this scrolls the club's page.
# The delay lets the chat finish drawing the last frame first.
QUESTION_TOP_JS = """() => setTimeout(() => document.querySelectorAll('#hb-chat').forEach(chat => {
  const questions = chat.querySelectorAll('.user-row');
  const last = questions[questions.length - 1];
  if (last) last.scrollIntoView({block: 'start', behavior: 'instant'});
}), 150)"""

# Runs once when the page (or the widget) loads. It
# - makes links to the articles absolute against the bot's address: in a <gradio-app> on a club's site a
#   relative link would point at the club's own server;
# - opens a citation when its [n] marker is clicked, without touching the club page's address;
# - applies a club's theming: `data-title` / `data-accent` attributes on <gradio-app>, or `?title=` /
#   `?accent=` on the address of an iframe. Only when framed: frame-ancestors lets only allowed origins frame
#   the bot, so a link to the bot's own page can't retitle it. The accent must be #rrggbb; the text on it is
#   white or near-black, whichever contrasts more, so no accent makes the heading unreadable.
PAGE_JS = """() => {
  const luminance = (hex) => {
    const c = [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16) / 255)
      .map(v => v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const contrast = (a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  const setUp = (header) => {
    const root = header.closest('#hb-root') || document.body;
    if (root.dataset.hbReady) return;
    root.dataset.hbReady = '1';
    // The bot's own page is a <gradio-app> too, without src; an embed on a club's page has one.
    const app = header.closest('gradio-app');
    const embedded = app && app.hasAttribute('src');
    const base = embedded ? new URL(app.getAttribute('src').replace(/\\/?$/, '/'), location.href) : new URL('./', location.href);
    const query = new URLSearchParams(location.search);
    const framed = window.self !== window.top;
    const setting = (name) => (embedded ? app.getAttribute('data-' + name) : framed ? query.get(name) : '') || '';
    const title = setting('title').trim().slice(0, 80);
    if (title) header.querySelector('h1').textContent = title;
    const accent = setting('accent').trim();
    if (/^#[0-9a-fA-F]{6}$/.test(accent)) {
      const l = luminance(accent);
      const ink = contrast(l, 1) >= contrast(l, luminance('#111827')) ? '#ffffff' : '#111827';
      // On the element Gradio doesn't redraw (it rewrites its own elements' style attributes).
      const holder = app || document.documentElement;
      holder.style.setProperty('--hb-club-accent', accent);
      holder.style.setProperty('--hb-club-on-accent', ink);
    }
    const fix = () => root.querySelectorAll('a[href^="articles/"]').forEach(a => {
      a.href = new URL(a.getAttribute('href'), base).href;
    });
    fix();
    new MutationObserver(fix).observe(root, {childList: true, subtree: true});
    root.addEventListener('click', (event) => {
      const marker = event.target.closest('a.hb-marker');
      if (!marker) return;
      const target = root.querySelector(marker.getAttribute('href'));
      if (!target) return;
      event.preventDefault();
      target.open = true;
      target.scrollIntoView({block: 'nearest'});
      target.querySelector('summary').focus({preventScroll: true});
    });
  };
  const headers = () => document.querySelectorAll('.hb-header');
  headers().forEach(setUp);
  if (headers().length) return;
  const waiting = new MutationObserver(() => {
    if (!headers().length) return;
    waiting.disconnect();
    headers().forEach(setUp);
  });
  waiting.observe(document.body, {childList: true, subtree: true});
}"""


@dataclass
class Turn:
    question: str
    answer: Answer


def build_chat(settings: Settings, ask: Callable[[Question], Answer], store: FeedbackStore, shelf: Shelf) -> gr.Blocks:
    """The Gradio page: one conversation per browser session, streamed answers, feedback, examples; `shelf`
    holds the articles its links and footer name (the same one /articles serves)."""
    thumbs = Thumbs(store)

    def drawn(turns: list[Turn]) -> dict:
        """How the answer after `turns` is drawn: its anchors apart from the others', the reminder in full
        only on the first answer that has one."""
        first = not any(t.answer.reminder for t in turns)
        return {"key": f"t{len(turns)}", "first": first, "link": shelf.link}

    def display(turns: list[Turn]) -> list[dict]:
        messages = []
        for i, t in enumerate(turns):
            messages.append({"role": "user", "content": render_user(t.question)})
            messages.append({"role": "assistant", "content": render_answer(t.answer, **drawn(turns[:i]))})
        return messages

    def chat(message: str, turns: list[Turn], request: gr.Request) -> Iterator[tuple]:
        refused = request.headers.get(REFUSAL_HEADER) if request else None
        if refused:  # over the rate limit or its share of the queue (web/admission.py): say when, keep the text
            yield gr.skip(), turns, gr.skip(), refused
            return
        history = [m for t in turns for m in (Message(role="user", content=t.question), Message(role="assistant", content=t.answer.text))]
        try:
            question = check(message or "", history, settings)
        except BadQuestion as exc:  # keep what was typed, so an overlong message can be shortened, not retyped
            yield gr.skip(), turns, gr.skip(), str(exc)
            return
        shown = display(turns) + [{"role": "user", "content": render_user(question.text)}]
        yield shown + [{"role": "assistant", "content": "…"}], turns, "", ""
        try:
            answer = ask(question)
        except AnswerUnavailable as exc:  # the index can't be read right now: the bot's own apology; the question is kept
            yield display(turns), turns, message, f"{exc} Try again in {exc.retry_after} seconds."
            return
        except Exception:  # the runner gets an apology, the log gets the details
            log.exception("answering %r failed", question.text)
            yield display(turns), turns, message, "Sorry, something went wrong on our side. Please try again."
            return
        # The answer is computed in milliseconds; revealing it a block at a time lets the reader start at
        # the top (the warning, when there is one) instead of facing a wall of text at once.
        for content in reveal(answer, **drawn(turns)):
            yield shown + [{"role": "assistant", "content": content}], turns, "", ""
            time.sleep(REVEAL_PAUSE_S)
        turns = turns + [Turn(question.text, answer)]
        yield display(turns), turns, "", ""

    def record_feedback(turns: list[Turn], thumbs_shown: list, data: gr.LikeData, request: gr.Request):
        """Save the thumb (a second click on the same answer replaces it); if it can't be saved, say so and
        put the thumb out, so nobody believes a rating counted that didn't."""
        index = data.index if isinstance(data.index, int) else data.index[0]
        if index % 2 != 1 or index // 2 >= len(turns):
            return gr.skip(), thumbs_shown
        turn = index // 2
        problem = thumbs.rate(request.session_hash or "", [(t.question, t.answer) for t in turns], turn, data.liked)
        if problem is None:
            return gr.skip(), thumbs_shown
        gr.Warning(problem, duration=20)
        # The page redraws a thumb only when its value changes to another non-empty one, so a thumb not
        # saved gets one of two values that light neither thumb, in turn; the other answers' keep theirs.
        shown = list(thumbs_shown) + [None] * (turn + 1 - len(thumbs_shown))
        shown[turn] = NOT_SAVED_MARKS[shown[turn] == NOT_SAVED_MARKS[0]]
        return gr.update(feedback_value=shown), shown

    def pick_example(data: gr.SelectData) -> str:
        return data.value["text"]

    footer = "".join(
        f'<li><a href="{esc(article_path(a.id))}" target="_blank" rel="noopener">{esc(a.title)}</a>'
        + (f" — {esc(a.author)}" if a.author else "") + "</li>"
        for a in shelf.articles.values()
    )
    with gr.Blocks(title="Hamstring help for runners", analytics_enabled=False) as page:
        # One outer column with an id: chat.css scopes every rule under it, which outranks a club theme.
        with gr.Column(elem_id="hb-root"):
            gr.HTML(
                '<header class="hb-header"><h1>Hamstring help for runners</h1>'
                "<p>Ask about hamstring pain, tightness or injury. Every answer quotes its sources.</p></header>"
            )
            turns = gr.State([])
            chatbot = gr.Chatbot(
                label="Conversation",
                show_label=False,
                elem_id="hb-chat",
                height=None,  # grows with the conversation: the page scrolls, not a box inside it
                min_height=320,
                autoscroll=False,  # the page scrolls to the newest question itself (QUESTION_TOP_JS)
                examples=[{"text": q} for q in EXAMPLES],
                placeholder="**Ask a question** about hamstring pain in running, or pick an example.",
                feedback_options=("Like", "Dislike"),
                buttons=[],  # a copy button would copy the rendering's HTML, not the answer
                sanitize_html=True,
                latex_delimiters=[],
            )
            notice = gr.Markdown("", elem_id="hb-notice")
            with gr.Row(equal_height=False, elem_id="hb-ask-row"):
                textbox = gr.Textbox(
                    label="Your question",
                    placeholder="e.g. How do I strengthen my hamstrings?",
                    lines=1,
                    max_lines=6,
                    scale=5,
                    autofocus=False,
                    elem_id="hb-question",
                )
                send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="hb-send")
            clear = gr.Button("Clear conversation", variant="secondary", size="sm", elem_id="hb-clear")
            gr.HTML(
                '<footer class="hb-footer"><p><strong>What this is:</strong> general information drawn from five '
                f"articles about hamstring pain in runners (each opens in a new tab):</p><ul>{footer}</ul>"
                '<p class="hb-disclaimer">It is not a diagnosis or medical advice. If pain is severe, sudden or not '
                "improving, see a physiotherapist or doctor.</p></footer>"
            )

        outputs = [chatbot, turns, textbox, notice]
        asked = [textbox.submit, send.click]
        gr.on(asked, chat, [textbox, turns], outputs, api_name="chat").then(None, js=QUESTION_TOP_JS)
        chatbot.example_select(pick_example, None, textbox, api_visibility="private").then(
            chat, [textbox, turns], outputs, api_visibility="private"
        ).then(None, js=QUESTION_TOP_JS)
        thumbs_shown = gr.State([])  # what the page was last told to show on each answer's thumbs
        chatbot.like(record_feedback, [turns, thumbs_shown], [chatbot, thumbs_shown], api_visibility="private")
        chatbot.clear(lambda: ([], ""), None, [turns, notice], api_visibility="private")
        clear.click(lambda: ([], [], "", ""), None, outputs, api_visibility="private")
    return page
