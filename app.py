"""The web product: the chat page, the embeddable widget and the JSON API over one Bot, served by uvicorn.

`python app.py` builds the index if needed and serves; `python app.py export-feedback [--out FILE]` writes CSV.
This module only wires the pieces in web/ together and starts the server.
"""
# ruff: noqa: E402  (the environment must be set before gradio is imported)

import os

# Before gradio is imported: its analytics (and the hub's telemetry) must never phone home.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import argparse
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import gradio as gr
import uvicorn
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from core.corpus import load_articles
from core.errors import HamstringBotError
from core.index import index_status as live_index_status
from core.questions import Question
from core.settings import Settings
from core.types import Answer
from web.api import api_routes, install_error_handlers
from web.admin import admin_routes
from web.articles import Shelf, article_routes
from web.feedback import VIEWS, QuestionCounter, SqliteFeedback, write_csv
from web.page import PAGE_JS, build_chat
from web.security import install_security

WEB_DIR = Path(__file__).resolve().parent / "web"
QUEUE_SIZE = 64  # questions waiting for the page; past this, newcomers are told the queue is full


class Asker(Protocol):
    def ask(self, question: Question) -> Answer: ...


def create_app(settings: Settings, bot: Asker, index_status: Callable[[Settings], Any] = live_index_status) -> FastAPI:
    """The FastAPI app: JSON API, web component script, and the Gradio page mounted at /."""
    # One gate for the page and the API together, so the machine never computes more than this at once.
    gate = threading.BoundedSemaphore(settings.max_concurrency)

    # Opening never fails: a damaged or missing feedback database is set aside and recreated, and what
    # can't be fixed here (read-only, full disk) is logged while the bot starts anyway.
    store = SqliteFeedback(settings.feedback_db)
    # Questions are counted only while the club's view is on, and off the answer's path.
    counter = QuestionCounter(store) if settings.admin_password else None

    def ask(question: Question) -> Answer:
        with gate:
            answer = bot.ask(question)
        if counter:
            counter.count(question.text, answer)
        return answer

    # FastAPIOffline serves the Swagger UI and ReDoc assets itself: the docs pages load no CDN.
    app = FastAPIOffline(
        title="Hamstring bot API",
        version="1",
        description="Cited answers about hamstring pain in runners, from five articles. Not a diagnosis.",
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False, "auto_configure": False},
    )
    install_security(app, settings)
    install_error_handlers(app)
    app.include_router(api_routes(settings, ask, index_status))
    if settings.admin_password:  # unset: no /admin route at all, so it answers 404
        app.include_router(admin_routes(settings, store))
    app.include_router(article_routes(Shelf.of(load_articles(settings.articles_dir, settings.max_article_bytes))))

    app.state.feedback, app.state.question_counter = store, counter
    page = build_chat(settings, ask, store)
    page.queue(default_concurrency_limit=settings.max_concurrency, max_size=QUEUE_SIZE)
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
        js=PAGE_JS,  # article links, [n] markers and a club's theming (see web/page.py)
        # Dark blue buttons so white text keeps WCAG AA contrast; the theme's fonts are served locally.
        theme=gr.themes.Default(primary_hue="blue").set(
            button_primary_background_fill="*primary_700", button_primary_background_fill_hover="*primary_800"
        ),
    )


def export_feedback(settings: Settings, out: Path | None, view: str = "ratings") -> int:
    try:
        table = SqliteFeedback(settings.feedback_db).view(view)
    except HamstringBotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if out is None:
        write_csv(table, sys.stdout)
        return 0
    with out.open("w", newline="", encoding="utf-8") as fh:
        count = write_csv(table, fh)
    print(f"Wrote {count} {view} rows to {out}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="app.py", description="Serve the hamstring bot's web page and API.")
    sub = parser.add_subparsers(dest="command")
    export = sub.add_parser("export-feedback", help="write the thumbs up/down feedback as CSV")
    export.add_argument("--out", type=Path, help="CSV file to write (default: standard output)")
    export.add_argument("--view", choices=VIEWS, default="ratings", help="what to export (default: every rating)")
    args = parser.parse_args(argv)
    settings = Settings()
    if args.command == "export-feedback":
        return export_feedback(settings, args.out, args.view)

    from bot import Bot  # the model and Chroma load only when serving, not for export-feedback
    from ingest import ensure_index

    try:
        summary = ensure_index(settings, progress=True)
        if summary is not None:
            print(summary.line())
        bot = Bot.load(settings)
    except HamstringBotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    app = create_app(settings, bot)
    print(f"Hamstring bot: http://{settings.host}:{settings.port}/  (API docs: /docs)", flush=True)
    # Open page connections (Gradio keeps one per tab) must not hold a shutdown up for long.
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", timeout_graceful_shutdown=3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
