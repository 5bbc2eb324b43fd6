"""One admission policy for every route that answers a question: the page, Gradio's API and /api/ask.

Per client (its address, read through trusted proxies only): a rate limit, and a fair share of the queue
so one client's burst can't push everyone else out. A refusal is JSON with a `detail` that says when to retry.
"""

import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import gradio as gr
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from web.limits import RateLimiter, read_body

# A refused question joining the page's queue carries its refusal in this header, so the page can show it where
# the question was asked and keep the question in the box (an HTTP error would blank the chat with "Error").
REFUSAL_HEADER = "x-hamstring-refusal"
FAIR_SHARE_RETRY_S = 5  # an answer takes about a second; by then one of the client's own has finished
BUSY_RETRY_S = 10


@dataclass(frozen=True)
class Refusal:
    status: int
    detail: str
    retry_after: int

    def response(self) -> JSONResponse:
        return JSONResponse({"detail": self.detail}, status_code=self.status, headers={"Retry-After": str(self.retry_after)})


class Admission:
    """Decides whether a client's request may go ahead, and counts those still being handled.

    `queued(client)` says how many of the client's events the page's queue holds (waiting or running). A
    request counts as in flight from admission until its response: for a queue join, that covers the moment
    before Gradio has put the event in its queue, so a burst that arrives all at once is counted too.
    """

    def __init__(self, rate_per_minute: int, per_client: int, capacity: int, queued: Callable[..., int] = lambda c, refused=False: 0):
        self.rate_per_minute, self.per_client, self.capacity, self.queued = rate_per_minute, per_client, capacity, queued
        self.limiter = RateLimiter(rate_per_minute)
        self.in_flight: Counter[str] = Counter()
        self.api_in_flight = 0  # /api/ask's own waiting room, bounded by `capacity` (Gradio bounds the page's)
        self.refused_in_flight: Counter[str] = Counter()
        self.lock = threading.Lock()

    def pending(self, client: str) -> int:
        return self.in_flight[client] + self.queued(client)

    def refuse(self, client: str, question: bool = True) -> Refusal | None:
        """None when the client may go ahead (a question is then counted against its rate)."""
        if self.pending(client) >= self.per_client:
            return Refusal(
                429,
                f"You already have {self.per_client} question{'s' if self.per_client > 1 else ''} waiting for an answer; "
                f"try again in {FAIR_SHARE_RETRY_S} seconds, once one has arrived.",
                FAIR_SHARE_RETRY_S,
            )
        if question:
            wait = self.limiter.retry_after(client)
            if wait:
                seconds = int(wait) + 1
                return Refusal(
                    429, f"Too many questions: the limit is {self.rate_per_minute} a minute. Try again in {seconds} seconds.", seconds
                )
        return None

    def enter(self, client: str, question: bool = True, api: bool = True) -> Refusal | None:
        """Admit one request and count it in flight until `leave`; None when admitted."""
        with self.lock:
            refusal = self.refuse(client, question)
            if refusal:
                return refusal
            if api and self.api_in_flight >= self.capacity:
                return Refusal(503, f"The bot is busy answering other runners; try again in {BUSY_RETRY_S} seconds.", BUSY_RETRY_S)
            self.in_flight[client] += 1
            self.api_in_flight += api
        return None

    def enter_refused(self, client: str) -> bool:
        """Let one refused question per client into the page's queue, to be shown there; False past that one."""
        with self.lock:
            if self.refused_in_flight[client] or self.queued(client, refused=True):
                return False
            self.refused_in_flight[client] += 1
            return True

    def leave_refused(self, client: str) -> None:
        with self.lock:
            self.refused_in_flight[client] -= 1
            if self.refused_in_flight[client] <= 0:
                del self.refused_in_flight[client]

    def leave(self, client: str, api: bool = True) -> None:
        with self.lock:
            self.api_in_flight -= api
            self.in_flight[client] -= 1
            if self.in_flight[client] <= 0:
                del self.in_flight[client]


def client_of(scope: Scope) -> str:
    """The client's address; ProxyHeadersMiddleware has already replaced a trusted proxy's with the client's."""
    client = scope.get("client")
    return client[0] if client else "unknown"


def gradio_queued(blocks) -> Callable[..., int]:
    """How many events the page's queue holds for a client, waiting or running (or only its refused ones).

    Reads Gradio's own bookkeeping (`Queue.event_ids_to_events`, each event keeping its request), so the count
    is exact and nothing has to be released by hand; tests/faults/test_edge_floods.py fails if Gradio changes it.
    """

    def queued(client: str, refused: bool = False) -> int:
        queue = getattr(blocks, "_queue", None)
        events = list(getattr(queue, "event_ids_to_events", {}).values())
        return sum(
            1
            for e in events
            if e.request is not None and e.request.client and e.request.client.host == client
            and (not refused or REFUSAL_HEADER in e.request.headers)
        )

    return queued


@dataclass(frozen=True)
class QuestionRoutes:
    """Which requests ask a question: the API paths, and the page's events that send typed text."""

    api_paths: frozenset[str]
    gradio_fn_ids: frozenset[int]  # fn_index values of the page's question events
    gradio_api_names: frozenset[str]  # their names under /gradio_api/call/

    @classmethod
    def of(cls, page: gr.Blocks, api_paths: set[str]) -> "QuestionRoutes":
        """The page's events that send typed text are its questions, whatever they are called."""
        asking = [fn for fn in page.fns.values() if any(isinstance(block, gr.Textbox) for block in fn.inputs)]
        return cls(frozenset(api_paths), frozenset(fn._id for fn in asking), frozenset(fn.api_name for fn in asking if fn.api_name))


GRADIO_NAMED = ("/gradio_api/call/v2/", "/gradio_api/call/", "/gradio_api/run/", "/gradio_api/api/")
JOIN = "/gradio_api/queue/join"


class AdmissionGuard:
    """Applies the admission policy before a question reaches the API handler or Gradio's queue."""

    def __init__(self, app: ASGIApp, admission: Admission, routes: QuestionRoutes):
        self.app, self.admission, self.routes = app, admission, routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        path, client = scope["path"].rstrip("/"), client_of(scope)
        api = path in self.routes.api_paths
        if api:
            question = True
        elif path == JOIN:
            body, receive = await read_body(receive)  # already screened: web/gradio_guard.py
            question = json.loads(body or b"{}").get("fn_index") in self.routes.gradio_fn_ids
            scope["headers"] = [(k, v) for k, v in scope["headers"] if k != REFUSAL_HEADER.encode()]  # ours alone to set
        elif path.startswith(GRADIO_NAMED):
            question = path.rsplit("/", 1)[-1] in self.routes.gradio_api_names
        else:
            return await self.app(scope, receive, send)
        refusal = self.admission.enter(client, question, api)
        if refusal and path == JOIN and question and self.admission.enter_refused(client):
            # One refused page question goes to the queue marked, and the page says it beside the question.
            scope["headers"].append((REFUSAL_HEADER.encode(), refusal.detail.encode()))
            try:
                return await self.app(scope, receive, send)
            finally:
                self.admission.leave_refused(client)
        if refusal:
            return await refusal.response()(scope, receive, send)
        try:
            await self.app(scope, receive, send)
        finally:
            self.admission.leave(client, api)
