"""The access log: one line per request with its method, path, status and duration, for an operator.

Never the query string or the body, so a runner's question never reaches the log.
"""

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("hamstring_bot.access")


class AccessLog:
    """Logs `METHOD /path STATUS 12 ms` once each response is finished (or the client has gone)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start, status = time.perf_counter(), 0

        async def watched_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        finally:
            # 0 means no response was started: the client left first, or the app failed before answering.
            path = scope["path"][:200]
            path = path if path.isprintable() else ascii(path)  # a %0A in a URL must not forge a log line
            log.info("%s %s %d %.0f ms", scope["method"], path, status or 0, (time.perf_counter() - start) * 1000)
