"""The club's /admin page: questions the articles didn't answer, answers rated down, red flags per week and
the most-asked topics, each downloadable as CSV. Behind HTTP Basic with HAMSTRING_ADMIN_PASSWORD; off when unset.

The password is compared in constant time (as digests), never logged, and never in a URL.
"""

import base64
import binascii
import hashlib
import html
import io
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from core.settings import Settings
from web.feedback import FeedbackNotSaved, FeedbackStore, Table, ViewName, write_csv
from web.limits import RateLimiter

ATTEMPTS_PER_MINUTE = 20  # per client, right or wrong: guessing the password stays slow
ROWS_SHOWN = 100  # per view on the page; the CSV has them all
REALM = "hamstring-bot club view"
# What each view is called on the page, and the sentence under its title.
TITLES: dict[ViewName, tuple[str, str]] = {
    "unanswered": ("Questions the articles didn't answer", "Declined as off-topic, or not covered by the five articles: what your runners need beyond them."),
    "rated-down": ("Answers rated down", "With the conversation that led to each, and the article passages it cited."),
    "red-flags": ("Red flags per week", "Questions that described symptoms needing assessment (the bot told the runner to see someone)."),
    "topics": ("Most-asked topics", "The article section each answer was drawn from."),
}
COLUMN_NAMES = {"last_asked": "last asked", "rated_at": "rated", "red_flags": "red flags", "outcome": "how"}
HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}
STYLE = """
body{font:16px/1.45 system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:1rem;color:#1a1a1a;background:#fff}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}p.hint{color:#444;margin:.2rem 0 .6rem}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#eef2f7}td.n{text-align:right;font-variant-numeric:tabular-nums}td pre{white-space:pre-wrap;margin:0;font:inherit}
a.csv{display:inline-block;margin:.2rem 0;color:#0b4fa0}.empty{color:#444;font-style:italic}
"""


def admin_routes(settings: Settings, store: FeedbackStore) -> APIRouter:
    """Routes for /admin and /admin/{view}.csv; include only when `settings.admin_password` is set."""
    assert settings.admin_password is not None, "the admin page is off without a password"
    expected = hashlib.sha256(settings.admin_password.get_secret_value().encode()).digest()
    attempts = RateLimiter(ATTEMPTS_PER_MINUTE)
    router = APIRouter(include_in_schema=False)

    def admitted(request: Request) -> None:
        client = request.client.host if request.client else "unknown"
        wait = attempts.retry_after(client)
        if wait:
            raise HTTPException(429, f"Too many attempts; try again in {int(wait) + 1} seconds.", {"Retry-After": str(int(wait) + 1)})
        password = _basic_password(request.headers.get("Authorization", ""))
        given = hashlib.sha256(password.encode()).digest() if password is not None else b"\0" * 32
        # Digests of equal length, compared in constant time: the check leaks neither content nor length.
        if not secrets.compare_digest(given, expected) or password is None:
            raise HTTPException(401, "Log in with the club password (HAMSTRING_ADMIN_PASSWORD); any user name.",
                                {"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'})

    def read(name: ViewName, limit: int | None) -> Table:
        try:
            return store.view(name, limit)
        except FeedbackNotSaved as exc:  # logged by the store; the operator reading this page sees the remedy
            raise HTTPException(503, f"The feedback can't be read right now. {exc}") from exc

    @router.get("/admin", response_class=HTMLResponse)
    def admin_page(request: Request) -> HTMLResponse:
        admitted(request)
        sections = "".join(_section(name, read(name, ROWS_SHOWN)) for name in TITLES)
        page = (
            f"<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content='width=device-width,initial-scale=1'>"
            f"<title>Club view — hamstring bot</title><style>{STYLE}</style></head><body><main>"
            "<h1>Club view: what your runners ask</h1>"
            "<p class=hint>Only what these views need is stored: a question's text only when the articles didn't answer it; "
            "otherwise just counts and topics. <a class=csv href='/admin/ratings.csv' download>All ratings (CSV)</a></p>"
            f"{sections}</main></body></html>"
        )
        return HTMLResponse(page, headers=HEADERS)

    @router.get("/admin/{name}.csv")
    def admin_csv(request: Request, name: str) -> Response:
        admitted(request)
        if name not in (*TITLES, "ratings"):
            raise HTTPException(404, f"No view called {name!r}; use one of: {', '.join([*TITLES, 'ratings'])}.")
        out = io.StringIO()
        write_csv(read(name, None), out)  # type: ignore[arg-type]
        disposition = {"Content-Disposition": f'attachment; filename="hamstring-{name}.csv"'}
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={**HEADERS, **disposition})

    return router


def _basic_password(header: str) -> str | None:
    """The password of an HTTP Basic Authorization header (UTF-8, RFC 7617), or None if there is none."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        _user, sep, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, ValueError):
        return None
    return password if sep else None


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def _section(name: ViewName, table: Table) -> str:
    title, hint = TITLES[name]
    head = "".join(f"<th scope=col>{esc(COLUMN_NAMES.get(c, c))}</th>" for c in table.columns)
    body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in table.rows)
    table_html = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>" if table.rows else "<p class=empty>Nothing yet.</p>"
    return (
        f"<section id='{name}' aria-labelledby='{name}-title'><h2 id='{name}-title'>{esc(title)}</h2><p class=hint>{esc(hint)}</p>"
        f"<a class=csv href='/admin/{name}.csv' download>Download CSV</a>{table_html}</section>"
    )


def _cell(value: object) -> str:
    if isinstance(value, int):
        return f"<td class=n>{value}</td>"
    if value is None:
        return "<td></td>"
    return f"<td><pre>{esc(str(value))}</pre></td>"
