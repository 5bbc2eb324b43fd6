"""Fixtures for the web app tests: a fake bot with canned answers, and live servers for the real one.

The fake answers carry their parts as fields and their text drawn from them, as the real chain's do;
`live_bot` runs `python app.py` over the run's real index, `club_site` serves the example page elsewhere.
"""

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import httpx
import pytest
import uvicorn

import app  # first, so gradio is imported with analytics already off
from core.errors import BadQuestion
from core.settings import PROJECT_ROOT, Settings
from core.markdown import REMINDER, markdown
from core.questions import Question
from core.types import Answer, Citation, Conflict, ConflictPosition, Escalation, Notice, Part

def drawn(answer: Answer) -> Answer:
    """The canned answer with its Markdown text drawn from its fields, as the chain does."""
    return answer.model_copy(update={"text": markdown(answer)})


CITED = drawn(Answer(
    text="",
    lead=Part(text="Strength work such as Nordic curls and bridges makes the hamstrings more resilient", citations=[1]),
    items=[Part(text="Start with two sets of eight and add load slowly", citations=[2])],
    reminder=REMINDER,
    citations=[
        Citation(
            n=1,
            source_id="dack-complete-guide",
            title="The Complete Guide to Managing Hamstring Pain and Injuries in Runners",
            section="Strength Train Your Hamstrings",
            quote="Strong hamstrings are less likely to get injured.",
        ),
        Citation(
            n=2,
            source_id="fitzgerald-tight-hamstrings",
            title="How Runners Can Relieve Tight Hamstrings",
            section=None,
            quote="Add weight gradually & keep <good> form.",  # markup-looking corpus text must stay text
        ),
    ],
))

ESCALATED = drawn(Answer(
    text="",
    reminder=REMINDER,
    citations=[
        Citation(
            n=1,
            source_id="common-hamstring-injuries",
            title="Common Hamstring Injuries in Runners",
            section="Hamstring Strain",
            quote="A popping sensation and bruising can mean a tear.",
        )
    ],
    escalation=Escalation(
        reasons=["a pop", "bruising"],
        advice="Stop running and see a doctor or physiotherapist.",
        urgent=False,
        evidence=[Part(text="A popping sensation and bruising can mean a tear.", citations=[1])],
    ),
))

DISAGREEING = drawn(Answer(
    text="",
    lead=Part(text="Gentle stretching can ease tightness", citations=[1]),
    reminder=REMINDER,
    citations=[
        Citation(
            n=1,
            source_id="dack-complete-guide",
            title="The Complete Guide to Managing Hamstring Pain and Injuries in Runners",
            section="Stretching Your Hamstrings",
            quote="Stretch gently.",
        ),
        Citation(
            n=2,
            source_id="fitzgerald-tight-hamstrings",
            title="How Runners Can Relieve Tight Hamstrings",
            section=None,
            quote="Do not stretch an injured hamstring.",
        ),
    ],
    conflicts=[
        Conflict(
            topic="Static stretching",
            summary="The articles differ on stretching an injured hamstring.",
            positions=[
                ConflictPosition(source_id="fitzgerald-tight-hamstrings", stance="against", quote="Do not stretch an injured hamstring.", n=2),
                ConflictPosition(source_id="dack-complete-guide", stance="for", quote="Stretch gently.", n=1),
            ],
        )
    ],
))

OUT_OF_SCOPE = drawn(Answer(
    text="",
    out_of_scope=True,
    notices=[Notice(kind="declined", text="I couldn't find anything in the five articles that answers that.")],
))


class FakeBot:
    """Replays canned answers chosen by keyword, and records what it was asked."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.calls: list[tuple[str, list[dict]]] = []

    def ask(self, question: "str | Question", history: list[dict] | None = None) -> Answer:
        if isinstance(question, Question):  # the web layer checks once and hands the Question over
            question, history = question.text, [m.model_dump() for m in question.history]
        if not question.strip():
            raise BadQuestion("Please type a question about hamstring pain.")
        if len(question) > self.settings.max_message_chars:
            raise BadQuestion("That message is too long.")
        self.calls.append((question, list(history or [])))
        q = question.lower()
        if "pop" in q or "bruis" in q:
            return ESCALATED
        if "stretch" in q:
            return DISAGREEING
        if "weather" in q:
            return OUT_OF_SCOPE
        return CITED


class FakeIndexStatus:
    fresh = True
    reason = "fresh"
    corpus_hash = "0123456789abcdef"
    model = "fake-embedder"


@pytest.fixture
def answers() -> SimpleNamespace:
    """The canned answers, for tests that render them directly."""
    return SimpleNamespace(cited=CITED, escalated=ESCALATED, disagreeing=DISAGREEING, out_of_scope=OUT_OF_SCOPE)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", rate_limit_per_minute=5, max_history_messages=4)


@pytest.fixture
def fake_bot(settings) -> FakeBot:
    return FakeBot(settings)


@pytest.fixture
def web_app(settings, fake_bot):
    return app.create_app(settings, fake_bot, index_status=lambda s: FakeIndexStatus())


# ---- live servers (real bot) ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running(config: uvicorn.Config, sockets: list[socket.socket] | None = None) -> Iterator[uvicorn.Server]:
    """uvicorn serving `config` in a thread (on `sockets` when given), started within 30 s; stopped after."""
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": sockets} if sockets else {}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start within 30 s"
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def wait_for_http(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.25)
    raise TimeoutError(f"nothing answered at {url} after {timeout:.0f} s")


@pytest.fixture(scope="session")
def live_bot(real_settings, tmp_path_factory, club_site):
    """`python app.py` with the real bot over the run's real index, on a free port; yields its base URL.

    The example club site is its one allowed origin: no other site (not even another localhost port) may embed it.
    """
    port = free_port()
    log = tmp_path_factory.mktemp("live-bot") / "app.log"
    env = {**os.environ, "HAMSTRING_DATA_DIR": str(real_settings.data_dir), "HAMSTRING_PORT": str(port),
           "HAMSTRING_HOST": "127.0.0.1", "HAMSTRING_ALLOWED_ORIGINS": club_site, "PYTHONUNBUFFERED": "1",
           # every browser test asks from this one address, faster than a runner would: the per-client limit
           # is raised so the session's later tests are not refused (test_edge_e2e.py tests the refusal itself)
           "HAMSTRING_RATE_LIMIT_PER_MINUTE": "1000"}
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/api/health", proc, timeout=120)
        assert f"Hamstring bot: {url}/" in log.read_text(), "app.py should print its address"
        yield SimpleNamespace(url=url, settings=real_settings, log=log)
    except Exception:
        print(log.read_text())
        raise
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="session")
def club_site(tmp_path_factory):
    """examples/club-site served by `python -m http.server` as http://localhost:PORT — another origin than the bot."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(PROJECT_ROOT / "examples" / "club-site")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://localhost:{port}"
    try:
        wait_for_http(url, proc, timeout=15)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
