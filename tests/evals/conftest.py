"""Fakes for the harness tests: a tiny two-article corpus, a bot that replays scripted answers, a live HTTP server.

The fakes are small real classes (a bot with .ask, a FastAPI app on a real socket), not mocks.
"""

import socket
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI, Response
from pydantic import BaseModel

from core.types import Answer, Citation, Conflict, ConflictPosition, Escalation, Message
from evals.checks import Corpus
from core.corpus import load_articles

ALPHA = """\
---
id: alpha
title: Alpha guide
seed: alpha.txt
---

# Alpha guide

## Stretching

Hold each stretch for 45 to 60 seconds.
Stretch after a run, never before.

## Warning signs

A pop or heavy bruising needs urgent medical assessment.
"""

BETA = """\
---
id: beta
title: Beta guide
seed: beta.txt
---

# Beta guide

Static stretching makes sore hamstrings worse.

Single-leg deadlifts build strength.
"""

STRETCH_QUOTE = "Hold each stretch for 45 to 60 seconds."
AGAINST_QUOTE = "Static stretching makes sore hamstrings worse."
DEADLIFT_QUOTE = "Single-leg deadlifts build strength."
POP_QUOTE = "A pop or heavy bruising needs urgent medical assessment."


class ScriptedBot:
    """Replays a canned Answer per question (or computes one), and remembers every call it got."""

    def __init__(self, replies: dict[str, Answer | Callable[[str, list[dict]], Answer]], default: Answer | None = None):
        self.replies = replies
        self.default = default or Answer(text="I can only help with hamstring pain in runners.", out_of_scope=True)
        self.calls: list[tuple[str, list[dict]]] = []

    def ask(self, question: str, history: list[dict] | None = None) -> Answer:
        history = list(history or [])
        self.calls.append((question, history))
        reply = self.replies.get(question, self.default)
        return reply(question, history) if callable(reply) else reply


def cited(text: str, *quotes: tuple[str, str], **fields) -> Answer:
    """An Answer whose citations are numbered 1.. in order: cited("... [1]", ("alpha", "quote"))."""
    citations = [Citation(n=i, source_id=s, title=s.title(), quote=q) for i, (s, q) in enumerate(quotes, 1)]
    return Answer(text=text, citations=citations, **fields)


def stretching_conflict() -> Conflict:
    return Conflict(
        topic="Static stretching",
        summary="Alpha says stretch after runs; Beta says stretching makes sore hamstrings worse.",
        positions=[
            ConflictPosition(source_id="alpha", stance="stretch after runs", quote=STRETCH_QUOTE),
            ConflictPosition(source_id="beta", stance="not when sore", quote=AGAINST_QUOTE),
        ],
    )


def escalation() -> Escalation:
    return Escalation(reasons=["a pop"], advice="Stop running and see a doctor or physiotherapist.", urgent=False)


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A corpus folder (HAMSTRING_CORPUS_DIR layout) holding articles/alpha.md and articles/beta.md."""
    root = tmp_path / "corpus"
    (root / "articles").mkdir(parents=True)
    (root / "articles" / "alpha.md").write_text(ALPHA, encoding="utf-8")
    (root / "articles" / "beta.md").write_text(BETA, encoding="utf-8")
    return root


@pytest.fixture
def corpus(corpus_dir: Path) -> Corpus:
    return Corpus.from_articles(load_articles(corpus_dir / "articles"))


@pytest.fixture
def write_set(tmp_path: Path) -> Callable[[str, str], Path]:
    """write_set("name.yaml", yaml_text) -> path; the text is dedented so tests can indent it."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


class AskRequest(BaseModel):
    question: str
    history: list[Message] = []


def make_app(bot: ScriptedBot, rate_limited_first: int = 0) -> FastAPI:
    """The web app's contract (POST /api/ask, GET /api/health) around a fake bot; optionally 429 the first N asks."""
    app = FastAPI()
    state = {"asks": 0}

    @app.get("/api/health")
    def health() -> dict:
        return {"status": "ok"}

    @app.post("/api/ask")
    def ask(request: AskRequest, response: Response):
        state["asks"] += 1
        if state["asks"] <= rate_limited_first:
            return Response(status_code=429, headers={"Retry-After": "0"}, content="slow down")
        return bot.ask(request.question, [m.model_dump() for m in request.history]).model_dump()

    return app


@pytest.fixture
def live_server():
    """live_server(app) -> base URL of that app served by uvicorn on a free local port, stopped after the test."""
    servers = []

    def start(app: FastAPI) -> str:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        servers.append((server, thread, sock))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"

    yield start
    for server, thread, sock in servers:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def fakes():
    """The helpers above, for test modules (importlib mode cannot import conftest by name)."""
    import types

    return types.SimpleNamespace(
        ScriptedBot=ScriptedBot, cited=cited, stretching_conflict=stretching_conflict, escalation=escalation,
        make_app=make_app, STRETCH_QUOTE=STRETCH_QUOTE, AGAINST_QUOTE=AGAINST_QUOTE, DEADLIFT_QUOTE=DEADLIFT_QUOTE,
        POP_QUOTE=POP_QUOTE,
    )
