"""Who may embed or call the bot: CORS for the allowed origins, and the headers every response carries.

Only the bot's own origin and HAMSTRING_ALLOWED_ORIGINS are allowed; a refused site is logged once, naming the setting.
"""

import logging
import threading
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.origins import EdgePolicy

log = logging.getLogger("hamstring_bot.security")

# The page uses none of these; saying so stops an embedded or injected script from asking for them.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), display-capture=()"
# Questions are not in URLs, but which page a runner came from is nobody else's business either.
REFERRER_POLICY = "same-origin"


def security_headers(policy: EdgePolicy) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": f"frame-ancestors {policy.frame_ancestors}",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": REFERRER_POLICY,
        "Permissions-Policy": PERMISSIONS_POLICY,
    }
    # X-Frame-Options can name no other site, and browsers that know frame-ancestors ignore it anyway;
    # it is sent only when no other site may embed the bot, for browsers that don't.
    if not policy.public and not policy.allowed_origins:
        headers["X-Frame-Options"] = "SAMEORIGIN"
    return headers


class OriginGuard:
    """Adds the security headers to every response and logs, once per site, a site that is refused."""

    def __init__(self, app: ASGIApp, policy: EdgePolicy):
        self.app, self.policy = app, policy
        self.headers = list(security_headers(policy).items())
        self.logged: set[str] = set()
        self.lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        self.note_refused(Headers(scope=scope), scope.get("scheme", "http"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    if name not in headers:  # a route's own, stricter value stays (/admin: X-Frame-Options DENY)
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def note_refused(self, headers: Headers, scheme: str) -> None:
        origin = headers.get("origin")
        framing = headers.get("sec-fetch-dest") == "iframe" and headers.get("sec-fetch-site") == "cross-site"
        if not origin and framing:
            parts = urlsplit(headers.get("referer", ""))
            origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None
        if not origin or origin == "null" or self.policy.allows(origin) or origin == f"{scheme}://{headers.get('host')}":
            return
        with self.lock:
            if origin in self.logged or len(self.logged) > 1000:  # bounded: a scanner must not grow it forever
                return
            self.logged.add(origin)
        log.warning(
            "Refused %s from %s: to let that site embed or call the bot, add it to HAMSTRING_ALLOWED_ORIGINS "
            "(comma-separated), or set HAMSTRING_PUBLIC_EMBED=true to allow every site",
            "framing" if framing else "a request",
            origin[:200],
        )


def install_security(app: FastAPI, policy: EdgePolicy) -> None:
    # A CORSMiddleware on the parent also makes Gradio drop its own CORS handling, so this policy rules.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=policy.cors_origins,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["*"],
        # A public embed answers any site, so it must never let one send the runner's cookies along.
        allow_credentials=not policy.public,
    )
    app.add_middleware(OriginGuard, policy=policy)
