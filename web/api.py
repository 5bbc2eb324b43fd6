"""The HTTP API for scripts: POST /api/ask, GET /api/health, the web component script, readable JSON errors.

Every error is JSON with a `detail` that says what to do; nothing echoes the request back.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from core.errors import AnswerUnavailable, BadQuestion
from core.index import StatusWatch
from core.questions import Question, check
from core.settings import Settings
from core.types import Answer, Message
from web.limits import RateLimiter

# The web component script that ships inside the installed gradio package, so an embedding page loads
# exactly the version this server runs, and works without any CDN.
GRADIO_JS = Path(gr.__file__).parent / "templates" / "frontend" / "gradio.js"
MAX_BODY_BYTES = 256 * 1024


class AskRequest(BaseModel):
    question: str = Field(description="The runner's question.", examples=["How do I strengthen my hamstrings?"])
    history: list[Message] = Field(
        default_factory=list, description="The conversation so far, oldest first; only the newest messages are used."
    )


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
    limiter = RateLimiter(settings.rate_limit_per_minute)

    @router.post(
        "/api/ask",
        summary="Ask a question",
        response_model=Answer,
        max_body_size=MAX_BODY_BYTES,
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
            return ask(check(body.question, body.history, settings))
        except BadQuestion as exc:
            return JSONResponse(status_code=422, content={"detail": str(exc)})

    # The check runs in a worker thread and is reused for a moment, so health answers at once however
    # slow or stuck the store is, and a crowd of health checks costs one look at the index.
    watch = StatusWatch(
        lambda: index_status(settings), max_age_s=settings.health_max_age_s, stuck_after_s=settings.chroma_timeout_s + 0.5
    )

    @router.get("/api/health", summary="Index health", response_model=Health)
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

    @router.get("/gradio.js", include_in_schema=False)
    def web_component_script():
        return FileResponse(GRADIO_JS, media_type="text/javascript")

    return router


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
            # FastAPI's only 400 here is a body it cannot decode, e.g. bytes that are not UTF-8.
            return JSONResponse(status_code=422, content={"detail": "The request body must be JSON encoded as UTF-8."})
        return JSONResponse(status_code=exc.status_code, content={"detail": exc.detail}, headers=exc.headers)

    @app.exception_handler(AnswerUnavailable)
    async def index_unavailable(request: Request, exc: AnswerUnavailable) -> JSONResponse:
        # The index could not be read (the log names the operator's fix): an apology and when to retry, not a 500.
        return JSONResponse(status_code=503, headers={"Retry-After": str(exc.retry_after)}, content={"detail": str(exc)})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(status_code=500, content={"detail": "Something went wrong on our side; please try again."})
