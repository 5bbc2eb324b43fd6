"""Abuse limits: how many questions one client may ask in a sliding window, and how big a request may be.

Kept in memory: one process serves the page and the API, so one limiter sees every request.
"""

import threading
import time
from collections import deque
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


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


class BodyTooLarge(HTTPException):
    """Raised from `receive` so FastAPI, Gradio and this middleware all answer it as a 413."""

    def __init__(self, limit: int):
        super().__init__(413, f"The request body is over {limit // 1024} KiB; send a shorter question.")


# Gradio's upload route: the page has no file inputs, so nothing may be written to disk through it.
UPLOAD_PATHS = ("/gradio_api/upload",)


class BodyLimit:
    """Bodies over `limit` bytes get a JSON 413, whether announced (Content-Length) or streamed; uploads are off."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"].rstrip("/")
        if path in UPLOAD_PATHS:
            detail = "Uploads are turned off: the bot takes typed questions only."
            return await JSONResponse({"detail": detail}, status_code=403)(scope, receive, send)
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.limit:
            exc = BodyTooLarge(self.limit)
            return await JSONResponse({"detail": exc.detail}, status_code=413)(scope, receive, send)

        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge as exc:
            if started:
                raise
            await JSONResponse({"detail": exc.detail}, status_code=413)(scope, receive, send)


async def read_body(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body (bounded by BodyLimit further out), and a `receive` that hands it on unchanged."""
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            return b"", receive  # the client left; let the app see the disconnect
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body, replayed = b"".join(chunks), False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay
