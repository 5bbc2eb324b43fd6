"""Who may embed or call the bot: CORS for the allowed origins, and the headers every response carries.

The bot's own origin and localhost (any port, for development) are always allowed.
"""

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware

from core.settings import Settings

# Development origins: any port on this machine may embed or call the bot.
LOCAL_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"


def install_security(app: FastAPI, settings: Settings) -> None:
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
