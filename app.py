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
import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import gradio as gr
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from pydantic import ValidationError
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from core.corpus import load_articles
from core.errors import HamstringBotError, SettingsError
from core.index import index_status as live_index_status
from core.questions import Question
from core.settings import Settings
from core.types import Answer
from web.accesslog import AccessLog
from web.admission import Admission, AdmissionGuard, QuestionRoutes, gradio_queued
from web.api import api_routes, install_error_handlers
from web.admin import admin_routes
from web.articles import Shelf, article_routes
from web.feedback import VIEWS, QuestionCounter, SqliteFeedback, write_csv
from web.gradio_guard import GradioScreen, PageEvents
from web.limits import BodyLimit
from web.origins import EdgePolicy, edge_policy
from web.page import PAGE_JS, build_chat
from web.security import install_security
from web.server import bind, serve

WEB_DIR = Path(__file__).resolve().parent / "web"


class Asker(Protocol):
    def ask(self, question: Question) -> Answer: ...


def create_app(
    settings: Settings, bot: Asker, index_status: Callable[[Settings], Any] = live_index_status, policy: EdgePolicy | None = None
) -> FastAPI:
    """The FastAPI app: JSON API, web component script, and the Gradio page mounted at /."""
    policy = policy or edge_policy(settings)  # SettingsError for origins, public URL or proxies that can't work
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
        redoc_url=None,  # web/api.py serves /redoc, with its bundle's CDN logo taken out
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False, "auto_configure": False},
    )
    install_error_handlers(app)
    app.include_router(api_routes(settings, ask, index_status))
    if settings.admin_password:  # unset: no /admin route at all, so it answers 404
        app.include_router(admin_routes(settings, store))
    shelf = Shelf.of(load_articles(settings.articles_dir, settings.max_article_bytes))  # the page and /articles share it
    app.include_router(article_routes(shelf))

    app.state.feedback, app.state.question_counter = store, counter
    page = build_chat(settings, ask, store, shelf)
    page.queue(default_concurrency_limit=settings.max_concurrency, max_size=settings.queue_size)
    app = gr.mount_gradio_app(
        app,
        page,
        path="/",
        # Every absolute URL Gradio sends (/config's root, file links) comes from here, never from Host.
        root_path=policy.public_url,
        max_file_size="1kb",  # the page takes no files; web/limits.py turns the upload route away as well
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
    # The edge, innermost first (Starlette runs the last added first): admission for every question route,
    # Gradio requests screened, body limits, CORS and security headers, the client's address through
    # trusted proxies only, the access log.
    admission = Admission(settings.rate_limit_per_minute, settings.max_pending_per_client, settings.queue_size, gradio_queued(page))
    app.add_middleware(AdmissionGuard, admission=admission, routes=QuestionRoutes.of(page, api_paths={"/api/ask"}))
    app.add_middleware(GradioScreen, events=PageEvents.of(page), page=page)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    install_security(app, policy)
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(policy.trusted_proxies))
    if settings.access_log:
        app.add_middleware(AccessLog)
    return app


def read_settings() -> Settings:
    """Settings from the environment; a bad value is one readable line (SettingsError), not a traceback."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"HAMSTRING_{str(e['loc'][0] if e['loc'] else '').upper()}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()
        )
        raise SettingsError(f"{problems} (see the settings table in README.md)") from None


def log_to_stderr() -> None:
    """The app's own log lines (refused origins, the access log, failed answers) on stderr."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("hamstring_bot")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


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
    try:
        settings = read_settings()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.command == "export-feedback":
        return export_feedback(settings, args.out, args.view)

    from bot import Bot  # the model and Chroma load only when serving, not for export-feedback
    from ingest import ensure_index

    log_to_stderr()  # before anything that logs: the feedback store's start-up repairs, the index's warnings
    try:
        policy = edge_policy(settings)  # settings mistakes first, before a minute of indexing
        sock = bind(settings)  # a busy port is said before anything is announced
        summary = ensure_index(settings, progress=True)
        if summary is not None:
            print(summary.line())
        bot = Bot.load(settings)
        app = create_app(settings, bot, policy=policy)
    except HamstringBotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Hamstring bot: {policy.public_url}/  (API docs: /docs)", flush=True)
    serve(app, sock, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
