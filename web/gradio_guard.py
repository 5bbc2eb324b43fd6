"""Gradio's routes screened before Gradio sees them: what it would answer with a 500 gets a readable 4xx first.

Gradio trusts its own front end; a hand-made request with a wrong shape (no data, an unknown event, bytes that
are not UTF-8 JSON) would reach its handlers and fail there. Routes the bot never uses are turned away whole.
"""

import json
from dataclasses import dataclass
from urllib.parse import parse_qs

import gradio as gr
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from web.limits import read_body

PREFIX = "/gradio_api/"
JOIN = "/gradio_api/queue/join"
NAMED_CALLS = ("/gradio_api/call/v2/", "/gradio_api/call/")
# Gradio features the bot has no use for: developer tools, media streams, recordings, run history, and the
# direct-call routes /run/ and /api/, which would answer outside the queue (gradio_client uses the queue).
UNUSED = ("vibe-edit", "undo-vibe-edit", "vibe-code", "process_recording", "stream", "run-history", "dev", "proxy=", "run/", "api/", "upload_progress")
MAX_SESSION_HASH = 100
HOW = 'Ask through /gradio_api/call/chat with JSON like {"data": ["How do I stretch my hamstrings?"]}, or use /api/ask'


@dataclass(frozen=True)
class PageEvents:
    """What the page's events take: per event id its inputs' kinds, per public name its event id and parameters."""

    inputs: dict[int, tuple[type, ...]]
    named: dict[str, int]  # public api_name -> event id
    parameters: dict[str, tuple[tuple[str, bool, bool], ...]]  # public api_name -> (parameter name, required, is text)

    @classmethod
    def of(cls, page: gr.Blocks) -> "PageEvents":
        inputs = {fn._id: tuple(type(b) for b in fn.inputs) for fn in page.fns.values()}
        named = {fn.api_name: fn._id for fn in page.fns.values() if fn.api_name and fn.api_visibility == "public"}
        info = page.get_api_info()["named_endpoints"]
        parameters = {
            name: tuple(
                (p["parameter_name"], not p.get("parameter_has_default", False), p.get("component") == "Textbox")
                for p in info[f"/{name}"]["parameters"]
            )
            for name in named
            if f"/{name}" in info
        }
        return cls(inputs, named, parameters)

    def data_problem(self, fn_id: int, data: object, whole: bool = False) -> str | None:
        """Why `data` can't be this event's inputs: all of them, or (not `whole`) all but its server-side State,
        which Gradio's named call routes fill in and its queue does not."""
        kinds = self.inputs[fn_id]
        shown = [k for k in kinds if not issubclass(k, gr.State)]
        if not isinstance(data, list) or len(data) not in ((len(kinds),) if whole else (len(kinds), len(shown))):
            wanted = len(kinds) if whole else len(shown)
            return f"data must be a list of {wanted} input value{'s' if wanted != 1 else ''}"
        texts = [v for k, v in zip(kinds if len(data) == len(kinds) else shown, data) if issubclass(k, gr.Textbox)]
        if not all(isinstance(v, str) or v is None for v in texts):
            return "a question must be text"
        return None


class GradioScreen:
    """Turns away, with a readable 4xx, the Gradio requests its handlers would fail on."""

    def __init__(self, app: ASGIApp, events: PageEvents, page: gr.Blocks):
        self.app, self.events, self.page = app, events, page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(PREFIX):
            return await self.app(scope, receive, send)
        route = path[len(PREFIX) :]
        if route.startswith(UNUSED):
            return await refuse(scope, receive, send, 404, "This Gradio feature is not used by the bot.")
        if scope["method"] == "GET" and not self.stream_known(route.rstrip("/"), scope):
            # Gradio would start the event stream and then break it off: say so before it starts.
            return await refuse(scope, receive, send, 404, "No question is waiting under that id: join the queue first, then listen.")
        if scope["method"] != "POST":
            return await self.app(scope, receive, send)

        body, receive = await read_body(receive)
        try:
            payload = json.loads(body) if body else None
            # JSON may escape half a surrogate pair ("\ud800"), which Gradio fails on when it writes it back.
            json.dumps(payload, ensure_ascii=False).encode("utf-8")
        except (ValueError, RecursionError):  # ValueError covers bytes that are not UTF-8 too
            return await refuse(scope, receive, send, 422, f"The body must be UTF-8 JSON, not nested too deeply. {HOW}.")
        problem = self.problem(path.rstrip("/"), payload)
        if problem:
            return await refuse(scope, receive, send, 422, f"{problem}. {HOW}.")
        await self.app(scope, receive, send)

    def stream_known(self, route: str, scope: Scope) -> bool:
        """False for an event stream Gradio holds nothing for (its queue's own bookkeeping says)."""
        queue = self.page._queue
        if route == "queue/data":
            session = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("session_hash", [""])[0]
            return 0 < len(session) <= MAX_SESSION_HASH and session in queue.pending_messages_per_session
        parts = route.split("/")
        if parts[0] == "call" and len(parts) == (4 if parts[1:2] == ["v2"] else 3):  # call/[v2/]name/event_id
            event_id = parts[-1]
            return event_id in queue.event_ids_to_events or any(event_id in ids for ids in queue.pending_event_ids_session.values())
        return True

    def problem(self, path: str, payload: object) -> str | None:
        if path == JOIN:
            if not isinstance(payload, dict):
                return "The body must be a JSON object"
            fn_id, session = payload.get("fn_index"), payload.get("session_hash")
            if not isinstance(fn_id, int) or isinstance(fn_id, bool) or fn_id not in self.events.inputs:
                return "fn_index must name one of the page's events"
            if not isinstance(session, str) or not 0 < len(session) <= MAX_SESSION_HASH:
                return "session_hash must be a short string"
            return self.events.data_problem(fn_id, payload.get("data"), whole=True)
        if path.startswith(NAMED_CALLS):
            name = path.rsplit("/", 1)[-1]
            if name not in self.events.named:  # Gradio answers an unknown name with a 500
                return f"There is no endpoint {name[:50]!r}"
            if not isinstance(payload, dict):
                return "The body must be a JSON object"
            if path.startswith("/gradio_api/call/v2/"):
                return self.v2_problem(name, payload)  # the body itself holds the named inputs
            return self.events.data_problem(self.events.named[name], payload.get("data"))
        return None

    def v2_problem(self, name: str, data: object) -> str | None:
        parameters = self.events.parameters.get(name, ())
        if not isinstance(data, dict):
            return "The body must be a JSON object of named inputs"
        known = {p for p, _, _ in parameters} | {"oauth_token", "session_hash"}
        missing = [p for p, required, _ in parameters if required and p not in data]
        if missing or any(k not in known for k in data):
            return f"/call/v2/{name} takes {', '.join(p for p, _, _ in parameters)}" + (f"; missing {', '.join(missing)}" if missing else "")
        if not all(isinstance(data[p], str) for p, _, text in parameters if text and p in data):
            return "a question must be text"
        return None


async def refuse(scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
    await JSONResponse({"detail": detail}, status_code=status)(scope, receive, send)
