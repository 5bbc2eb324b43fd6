"""The HTTP API for scripts: POST /api/ask, GET /api/health, the web component script, readable JSON errors.

Every error is JSON with a `detail` that says what to do; nothing echoes the request back. Admission (rate
limit, fair share, body size) happens before a request gets here: web/admission.py, web/limits.py.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import fastapi_offline
import gradio as gr
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from core.errors import AnswerUnavailable, BadQuestion
from core.index import StatusWatch
from core.questions import Question, check
from core.settings import Settings
from core.types import Answer, Message

# The web component script that ships inside the installed gradio package, so an embedding page loads
# exactly the version this server runs, and works without any CDN.
GRADIO_JS = Path(gr.__file__).parent / "templates" / "frontend" / "gradio.js"
# ReDoc's bundle (served offline by fastapi-offline) still draws its "API docs by Redocly" logo from a CDN;
# served here with that image made an empty inline one, the docs page makes no request off the machine.
REDOC_JS = Path(fastapi_offline.__file__).parent / "static" / "redoc.standalone.js"
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
EMPTY_SVG = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"


class Detail(BaseModel):
    detail: str = Field(description="What went wrong and what to do instead.")


def error(description: str) -> dict:
    return {"description": description, "model": Detail}


# Every status an /api route can answer besides 200, as the OpenAPI schema documents them.
ASK_ERRORS = {
    405: error("Wrong method: /api/ask takes POST (the `Allow` header says so)"),
    413: error("Body over max_body_bytes (256 KiB by default)"),
    422: error("Empty, overlong or malformed question, or a body that is not UTF-8 JSON of the right shape"),
    429: error("Too many questions from this client, or too many of its questions waiting; `Retry-After` says when to retry"),
    503: error("Every place in the queue is taken; `Retry-After` says when to retry"),
}
HEALTH_ERRORS = {405: error("Wrong method: /api/health takes GET")}


def ask_request(settings: Settings) -> type[BaseModel]:
    """The request body, with the question's length bounds from settings written into the schema."""
    # The bounds are documented, not enforced by pydantic: core.questions.check says the limit in words.
    bounds = {"minLength": 1, "maxLength": settings.max_message_chars}

    class AskRequest(BaseModel):
        question: str = Field(
            description=f"The runner's question, 1 to {settings.max_message_chars:,} characters.",
            examples=["How do I strengthen my hamstrings?"],
            json_schema_extra=bounds,
        )
        history: list[Message] = Field(
            default_factory=list, description="The conversation so far, oldest first; only the newest messages are used."
        )

    return AskRequest


class Health(BaseModel):
    status: str = Field(description='"ok" when the index is present and fresh, else "degraded".')
    index_fresh: bool
    index: str = Field(
        "fresh",
        description="fresh, missing, stale (rebuild from the articles), damaged (--rebuild), unreachable (the Chroma "
        "server is down or stuck: nothing to rebuild), unwritable (disk full or read-only), building (an ingest is "
        "writing), broken (corpus or rules), checking.",
    )
    reason: str = Field(description="Why the index is or is not fresh.")
    remedy: str | None = Field(None, description="What an operator should do, when something is wrong.")
    corpus_version: str | None = Field(description="Hash of the corpus the index was built from.")
    model: str | None = Field(description="Embedding model of the index.")
    gradio: str = gr.__version__


def api_routes(settings: Settings, ask: Callable[[Question], Answer], index_status: Callable[[Settings], Any]) -> APIRouter:
    router = APIRouter()
    AskRequest = ask_request(settings)
    # Questions wait for a thread here, on the event loop, not in the shared thread pool: waiting costs no
    # thread, so health (a plain `def`, run in that pool) never queues behind the answer gate.
    answering = anyio.CapacityLimiter(settings.max_concurrency)

    @router.post(
        "/api/ask", summary="Ask a question", response_model=Answer, max_body_size=settings.max_body_bytes, responses=ASK_ERRORS
    )
    async def api_ask(body: AskRequest):  # type: ignore[valid-type]
        """Answer one question, with numbered citations quoting the articles verbatim."""
        try:
            question = check(body.question, body.history, settings)
        except BadQuestion as exc:
            return JSONResponse(status_code=422, content={"detail": str(exc)})
        return await anyio.to_thread.run_sync(ask, question, limiter=answering)

    # The check runs in a worker thread and is reused for a moment, so health answers at once however
    # slow or stuck the store is, and a crowd of health checks costs one look at the index.
    watch = StatusWatch(
        lambda: index_status(settings), max_age_s=settings.health_max_age_s, stuck_after_s=settings.chroma_timeout_s + 0.5
    )

    @router.get("/api/health", summary="Index health", response_model=Health, responses=HEALTH_ERRORS)
    def api_health():
        """Whether the search index is present and matches the corpus, and which corpus and model it holds;
        when not, what is wrong (`index`) and what to do (`remedy`). Answers within a second whatever the store does."""
        status = watch.current()
        return Health(
            status="ok" if status.fresh else "degraded",
            index_fresh=status.fresh,
            index=getattr(status, "state", "fresh" if status.fresh else "broken"),
            reason=status.reason,
            remedy=getattr(status, "remedy", None),
            corpus_version=status.corpus_hash,
            model=status.model,
        )

    redoc_js = REDOC_JS.read_text(encoding="utf-8").replace(REDOC_LOGO, EMPTY_SVG)

    @router.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title="Hamstring bot API - ReDoc",
            redoc_js_url="/redoc.standalone.js",
            redoc_favicon_url="/static-offline-docs/favicon.png",
            with_google_fonts=False,
        )

    @router.get("/redoc.standalone.js", include_in_schema=False)
    def redoc_script() -> Response:
        return Response(redoc_js, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})

    @router.get("/gradio.js", include_in_schema=False)
    def web_component_script():
        return FileResponse(GRADIO_JS, media_type="text/javascript")

    # Load balancers often check health with HEAD.
    router.add_api_route("/api/health", api_health, methods=["HEAD"], include_in_schema=False)
    for path, allowed in {"/api/ask": ["POST"], "/api/health": ["GET", "HEAD"]}.items():
        wrong = sorted({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"} - set(allowed))
        router.add_api_route(path, wrong_method(path, allowed), methods=wrong, include_in_schema=False)
    return router


def wrong_method(path: str, allowed: list[str]) -> Callable:
    # Without these, a wrong method falls through to the Gradio page mounted at / and comes back 404.
    async def refuse() -> JSONResponse:
        return JSONResponse(
            status_code=405, headers={"Allow": ", ".join(allowed)}, content={"detail": f"{path} takes {' or '.join(allowed)}."}
        )

    return refuse


def install_error_handlers(app: FastAPI) -> None:
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
            # FastAPI's only 400 here is a body it cannot parse: nested too deeply for json, or not UTF-8.
            if isinstance(exc.__cause__, RecursionError):
                detail = "The request body is JSON nested too deeply; send a flat object like {\"question\": \"…\", \"history\": []}."
            else:
                detail = "The request body must be JSON encoded as UTF-8."
            return JSONResponse(status_code=422, content={"detail": detail})
        return JSONResponse(status_code=exc.status_code, content={"detail": exc.detail}, headers=exc.headers)

    @app.exception_handler(AnswerUnavailable)
    async def index_unavailable(request: Request, exc: AnswerUnavailable) -> JSONResponse:
        # The index could not be read (the log names the operator's fix): an apology and when to retry, not a 500.
        return JSONResponse(status_code=503, headers={"Retry-After": str(exc.retry_after)}, content={"detail": str(exc)})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(status_code=500, content={"detail": "Something went wrong on our side; please try again."})
