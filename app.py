"""The web product: a Gradio chat page, an embeddable widget and a JSON API over one Bot, served by uvicorn.

`python app.py` builds the index if needed and serves; `python app.py export-feedback [--out FILE]` writes CSV.
"""
# ruff: noqa: E402  (the environment must be set before gradio is imported)

import os

# Before gradio is imported: its analytics (and the hub's telemetry) must never phone home.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import argparse
import logging
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import gradio as gr
import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from bot.errors import BadQuestion, HamstringBotError
from bot.questions import EXAMPLE_QUESTION, check_history, check_question
from bot.settings import Settings
from bot.types import Answer, Message
from ingest.corpus import load_articles
from web.feedback import FeedbackStore
from web.render import esc, render_answer, render_user, reveal

log = logging.getLogger("hamstring_bot.app")
WEB_DIR = Path(__file__).resolve().parent / "web"
# The web component script that ships inside the installed gradio package, so an embedding page loads
# exactly the version this server runs, and works without any CDN.
GRADIO_JS = Path(gr.__file__).parent / "templates" / "frontend" / "gradio.js"
# Development origins: any port on this machine may embed or call the bot.
LOCAL_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"
EXAMPLES = [
    EXAMPLE_QUESTION,
    "How do I strengthen my hamstrings?",
    "What is high hamstring tendinopathy?",
    "Should I stretch an injured hamstring?",
]


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


class Asker(Protocol):
    def ask(self, question: str, history: list[dict] | None = None) -> Answer: ...


# ---- input hygiene ------------------------------------------------------------------------------------


def trim_history(history: list[dict], settings: Settings) -> list[dict]:
    """Clean each message, drop empty ones and keep only the newest max_history_messages."""
    return [m.model_dump() for m in check_history(history, settings)]


# ---- abuse limits ---------------------------------------------------------------------------------------


class RateLimiter:
    """At most `limit` requests per client in any sliding `window` of seconds, kept in memory."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self.calls: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def retry_after(self, client: str) -> float:
        """0 when the request may go ahead (and counts it); otherwise seconds until it may."""
        now = self.clock()
        with self.lock:
            if len(self.calls) > 10_000:  # forget idle clients so memory stays bounded
                self.calls = {k: q for k, q in self.calls.items() if q and q[-1] > now - self.window}
            calls = self.calls.setdefault(client, deque())
            while calls and calls[0] <= now - self.window:
                calls.popleft()
            if len(calls) >= self.limit:
                return calls[0] + self.window - now
            calls.append(now)
            return 0.0


# ---- the chat page --------------------------------------------------------------------------------------


@dataclass
class Turn:
    question: str
    answer: Answer


def build_chat(settings: Settings, ask: Callable[..., Answer], store: FeedbackStore) -> gr.Blocks:
    """The Gradio page: one conversation per browser session, streamed answers, feedback, examples."""
    articles = load_articles(settings.articles_dir, settings.max_article_bytes)
    titles = {a.id: a.title for a in articles}

    def display(turns: list[Turn]) -> list[dict]:
        messages = []
        for t in turns:
            messages.append({"role": "user", "content": render_user(t.question)})
            messages.append({"role": "assistant", "content": render_answer(t.answer, titles)})
        return messages

    def chat(message: str, turns: list[Turn]) -> Iterator[tuple]:
        try:
            question = check_question(message or "", settings)
        except BadQuestion as exc:  # keep what was typed, so an overlong message can be shortened, not retyped
            yield gr.skip(), turns, gr.skip(), str(exc)
            return
        history = []
        for t in turns:
            history += [{"role": "user", "content": t.question}, {"role": "assistant", "content": t.answer.text}]
        shown = display(turns) + [{"role": "user", "content": render_user(question)}]
        yield shown + [{"role": "assistant", "content": "…"}], turns, "", ""
        try:
            answer = ask(question, trim_history(history, settings))
        except BadQuestion as exc:
            yield display(turns), turns, message, str(exc)
            return
        except Exception:  # the runner gets an apology, the log gets the details
            log.exception("answering %r failed", question)
            yield display(turns), turns, message, "Sorry, something went wrong on our side. Please try again."
            return
        # The answer is computed in milliseconds; revealing it a few words at a time lets the reader
        # start at the top (the warning, when there is one) instead of facing a wall of text at once.
        for content in reveal(answer, titles):
            yield shown + [{"role": "assistant", "content": content}], turns, "", ""
            time.sleep(0.03)
        turns = turns + [Turn(question, answer)]
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


# ---- the server -----------------------------------------------------------------------------------------


class AskRequest(BaseModel):
    question: str = Field(description="The runner's question.", examples=["How do I strengthen my hamstrings?"])
    history: list[Message] = Field(
        default_factory=list, description="The conversation so far, oldest first; only the newest messages are used."
    )


class Health(BaseModel):
    status: str = Field(description='"ok" when the index is present and fresh, else "degraded".')
    index_fresh: bool
    reason: str = Field(description="Why the index is or is not fresh.")
    corpus_version: str | None = Field(description="Hash of the corpus the index was built from.")
    model: str | None = Field(description="Embedding model of the index.")
    gradio: str = gr.__version__


def create_app(settings: Settings, bot: Asker, index_status: Callable[[Settings], Any] | None = None) -> FastAPI:
    """The FastAPI app: JSON API, web component script, and the Gradio page mounted at /."""
    if index_status is None:
        from ingest import index_status
    store = FeedbackStore(settings.feedback_db)
    limiter = RateLimiter(settings.rate_limit_per_minute)
    # One gate for the page and the API together, so the machine never computes more than this at once.
    gate = threading.BoundedSemaphore(settings.max_concurrency)

    def ask(question: str, history: list[dict]) -> Answer:
        with gate:
            return bot.ask(question, history)

    # FastAPIOffline serves the Swagger UI and ReDoc assets itself: the docs pages load no CDN.
    app = FastAPIOffline(
        title="Hamstring bot API",
        version="1",
        description="Cited answers about hamstring pain in runners, from five articles. Not a diagnosis.",
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False, "auto_configure": False},
    )
    # A CORSMiddleware on the parent also makes Gradio drop its own CORS handling, so this policy rules.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.allowed_origins,
        allow_origin_regex=LOCAL_ORIGINS,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["*"],
        allow_credentials=True,
    )
    local = [f"{scheme}://{host}:*" for host in ("localhost", "127.0.0.1") for scheme in ("http", "https")]
    ancestors = " ".join(["'self'", *local, *settings.allowed_origins])

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = f"frame-ancestors {ancestors}"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Readable, and never echoes the input back (it may not even be encodable).
        problems = [
            f"not valid JSON at character {e['loc'][-1]}: {e.get('ctx', {}).get('error', e['msg'])}"
            if e["type"] == "json_invalid"
            else f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}"
            for e in exc.errors()
        ]
        return JSONResponse(
            status_code=422,
            content={
                "detail": 'Send JSON like {"question": "How do I stretch my hamstrings?", "history": []}.',
                "problems": problems,
            },
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 400 and request.url.path.startswith("/api/"):
            # FastAPI's only 400 here is a body it cannot decode, e.g. bytes that are not UTF-8.
            return JSONResponse(
                status_code=422, content={"detail": "The request body must be JSON encoded as UTF-8."}
            )
        return JSONResponse(status_code=exc.status_code, content={"detail": exc.detail}, headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(status_code=500, content={"detail": "Something went wrong on our side; please try again."})

    @app.post(
        "/api/ask",
        summary="Ask a question",
        response_model=Answer,
        max_body_size=256 * 1024,
        responses={422: {"description": "Empty, overlong or malformed question"}, 429: {"description": "Too many requests"}},
    )
    def api_ask(body: AskRequest, request: Request):
        """Answer one question, with numbered citations quoting the articles verbatim."""
        client = request.client.host if request.client else "unknown"
        wait = limiter.retry_after(client)
        if wait:
            return JSONResponse(
                status_code=429,
                headers={"Retry-After": str(int(wait) + 1)},
                content={
                    "detail": f"Too many questions: the limit is {settings.rate_limit_per_minute} a minute. "
                    f"Try again in {int(wait) + 1} seconds."
                },
            )
        try:
            question = check_question(body.question, settings)
        except BadQuestion as exc:
            return JSONResponse(status_code=422, content={"detail": str(exc)})
        try:
            return ask(question, trim_history([m.model_dump() for m in body.history], settings))
        except BadQuestion as exc:
            return JSONResponse(status_code=422, content={"detail": str(exc)})

    @app.get("/api/health", summary="Index health", response_model=Health)
    def api_health():
        """Whether the search index is present and matches the corpus, and which corpus and model it holds."""
        status = index_status(settings)
        return Health(
            status="ok" if status.fresh else "degraded",
            index_fresh=status.fresh,
            reason=status.reason,
            corpus_version=status.corpus_hash,
            model=status.model,
        )

    @app.get("/gradio.js", include_in_schema=False)
    def web_component_script():
        return FileResponse(GRADIO_JS, media_type="text/javascript")

    page = build_chat(settings, ask, store)
    # A bounded queue: past 64 waiting questions, newcomers are told the queue is full instead of waiting forever.
    page.queue(default_concurrency_limit=settings.max_concurrency, max_size=64)
    return gr.mount_gradio_app(
        app,
        page,
        path="/",
        footer_links=["api"],
        run_history=False,
        mcp_server=False,
        ssr_mode=False,
        show_error=False,
        css_paths=[WEB_DIR / "chat.css"],
        # Dark blue buttons so white text keeps WCAG AA contrast; the theme's fonts are served locally.
        theme=gr.themes.Default(primary_hue="blue").set(
            button_primary_background_fill="*primary_700", button_primary_background_fill_hover="*primary_800"
        ),
    )


# ---- command line ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="app.py", description="Serve the hamstring bot's web page and API.")
    sub = parser.add_subparsers(dest="command")
    export = sub.add_parser("export-feedback", help="write the thumbs up/down feedback as CSV")
    export.add_argument("--out", type=Path, help="CSV file to write (default: standard output)")
    args = parser.parse_args(argv)
    settings = Settings()

    if args.command == "export-feedback":
        store = FeedbackStore(settings.feedback_db)
        if args.out is None:
            store.export_csv(sys.stdout)
        else:
            with args.out.open("w", newline="", encoding="utf-8") as out:
                count = store.export_csv(out)
            print(f"Wrote {count} feedback rows to {args.out}", file=sys.stderr)
        return 0

    from bot import Bot
    from ingest import ensure_index, index_status

    try:
        summary = ensure_index(settings, progress=True)
        if summary is not None:
            print(summary.line())
        bot = Bot.load(settings)
    except HamstringBotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    app = create_app(settings, bot, index_status)
    print(f"Hamstring bot: http://{settings.host}:{settings.port}/  (API docs: /docs)", flush=True)
    # Open page connections (Gradio keeps one per tab) must not hold a shutdown up for long.
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", timeout_graceful_shutdown=3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
