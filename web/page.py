"""The Gradio chat page: one conversation per browser session, answers revealed progressively, feedback.

`build_chat` makes the page; it asks through the callable it is given, so the server decides concurrency.
"""

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import gradio as gr

from core.corpus import load_articles
from core.errors import BadQuestion
from core.questions import EXAMPLE_QUESTION, Question, check
from core.settings import Settings
from core.types import Answer, Message
from web.admission import REFUSAL_HEADER
from web.feedback import FeedbackStore
from web.render import esc, render_answer, render_user, reveal

log = logging.getLogger("hamstring_bot.app")
EXAMPLES = [
    EXAMPLE_QUESTION,
    "How do I strengthen my hamstrings?",
    "What is high hamstring tendinopathy?",
    "Should I stretch an injured hamstring?",
]
REVEAL_PAUSE_S = 0.03  # between frames of a revealed answer

# Client-side scrolling of the conversation (its scroll box is Gradio's role="log" element). Before a
# question: to the bottom, so the chat follows the streamed answer. After it: if the question has scrolled
# out of sight, back up to it, so the answer, and a warning at its top, is read from its first line.
# The delay lets the chat's own autoscroll (300 ms) go first.
FOLLOW_JS = """() => document.querySelectorAll('#hb-chat [role="log"]').forEach(log => { log.scrollTop = log.scrollHeight; })"""
QUESTION_TOP_JS = """() => setTimeout(() => document.querySelectorAll('#hb-chat [role="log"]').forEach(log => {
  const questions = log.querySelectorAll('.user-row');
  const last = questions[questions.length - 1];
  const top = last ? last.getBoundingClientRect().top - log.getBoundingClientRect().top : 0;
  if (top < 0) log.scrollTop += top - 8;
}), 500)"""


@dataclass
class Turn:
    question: str
    answer: Answer


def build_chat(settings: Settings, ask: Callable[[Question], Answer], store: FeedbackStore) -> gr.Blocks:
    """The Gradio page: one conversation per browser session, streamed answers, feedback, examples."""
    articles = load_articles(settings.articles_dir, settings.max_article_bytes)

    def display(turns: list[Turn]) -> list[dict]:
        messages = []
        for t in turns:
            messages.append({"role": "user", "content": render_user(t.question)})
            messages.append({"role": "assistant", "content": render_answer(t.answer)})
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
        except Exception:  # the runner gets an apology, the log gets the details
            log.exception("answering %r failed", question.text)
            yield display(turns), turns, message, "Sorry, something went wrong on our side. Please try again."
            return
        # The answer is computed in milliseconds; revealing it a few words at a time lets the reader
        # start at the top (the warning, when there is one) instead of facing a wall of text at once.
        for content in reveal(answer):
            yield shown + [{"role": "assistant", "content": content}], turns, "", ""
            time.sleep(REVEAL_PAUSE_S)
        turns = turns + [Turn(question.text, answer)]
        yield display(turns), turns, "", ""

    def record_feedback(turns: list[Turn], data: gr.LikeData) -> None:
        index = data.index if isinstance(data.index, int) else data.index[0]
        if index % 2 == 1 and index // 2 < len(turns) and data.liked in (True, False):
            turn = turns[index // 2]
            store.record(turn.question, turn.answer.text, "up" if data.liked else "down")

    def pick_example(data: gr.SelectData) -> str:
        return data.value["text"]

    footer = "".join(f"<li>{esc(a.title)}" + (f" — {esc(a.author)}" if a.author else "") + "</li>" for a in articles)
    with gr.Blocks(title="Hamstring help for runners", analytics_enabled=False) as page:
        gr.HTML(
            '<header class="hb-header"><h1>Hamstring help for runners</h1>'
            "<p>Ask about hamstring pain, tightness or injury. Every answer quotes its sources.</p></header>"
        )
        turns = gr.State([])
        chatbot = gr.Chatbot(
            label="Conversation",
            show_label=False,
            elem_id="hb-chat",
            height="60vh",
            min_height=320,
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
            f"articles about hamstring pain in runners:</p><ul>{footer}</ul><p>It is not a diagnosis or "
            "medical advice. If pain is severe, sudden or not improving, see a physiotherapist or doctor.</p>"
            "</footer>"
        )

        outputs = [chatbot, turns, textbox, notice]
        asked = [textbox.submit, send.click]
        gr.on(asked, None, js=FOLLOW_JS)
        gr.on(asked, chat, [textbox, turns], outputs, api_name="chat").then(None, js=QUESTION_TOP_JS)
        chatbot.example_select(pick_example, None, textbox, api_visibility="private").then(
            chat, [textbox, turns], outputs, api_visibility="private"
        ).then(None, js=QUESTION_TOP_JS)
        chatbot.like(record_feedback, [turns], None, api_visibility="private")
        chatbot.clear(lambda: ([], ""), None, [turns, notice], api_visibility="private")
        clear.click(lambda: ([], [], "", ""), None, outputs, api_visibility="private")
    return page
