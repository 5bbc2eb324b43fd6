"""Fixtures for the web app tests: a fake bot with canned answers, and live servers for the real one.

The fake answers in the shape the real chain writes (warning and disagreement paragraphs in the text);
`live_bot` runs `python app.py` over the run's real index, `club_site` serves the example page elsewhere.
"""

import os
import socket
import subprocess
import sys
import time
from types import SimpleNamespace

import httpx
import pytest

import app  # first, so gradio is imported with analytics already off
from bot.errors import BadQuestion
from bot.settings import PROJECT_ROOT, Settings
from bot.types import Answer, Citation, Conflict, ConflictPosition, Escalation

REMINDER = "_General information from the cited articles, not a diagnosis. If in doubt, see a doctor or physiotherapist._"

CITED = Answer(
    text=(
        "Strength work such as Nordic curls and bridges makes the hamstrings more resilient [1]\n\n"
        "- Start with two sets of eight and add load slowly [2]\n\n" + REMINDER
    ),
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
)

ESCALATED = Answer(
    text=(
        "**⚠️ Please get this assessed before you run again.**\n\n"
        "You mentioned: a pop; bruising. Stop running and see a doctor or physiotherapist. [1]\n\n" + REMINDER
    ),
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
        reasons=["a pop", "bruising"], advice="Stop running and see a doctor or physiotherapist.", urgent=False
    ),
)

DISAGREEING = Answer(
    text=(
        "Gentle stretching can ease tightness [1]\n\n"
        "**The sources disagree — Static stretching.** The articles differ on stretching an injured hamstring.\n"
        "- *How Runners Can Relieve Tight Hamstrings* — against: “Do not stretch an injured hamstring.” [2]\n"
        "- *The Complete Guide to Managing Hamstring Pain and Injuries in Runners* — for: “Stretch gently.” [1]\n\n"
        + REMINDER
    ),
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
                ConflictPosition(source_id="fitzgerald-tight-hamstrings", stance="against", quote="Do not stretch an injured hamstring."),
                ConflictPosition(source_id="dack-complete-guide", stance="for", quote="Stretch gently."),
            ],
        )
    ],
)

OUT_OF_SCOPE = Answer(text="I couldn't find anything in the five articles that answers that.", out_of_scope=True)


class FakeBot:
    """Replays canned answers chosen by keyword, and records what it was asked."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.calls: list[tuple[str, list[dict]]] = []

    def ask(self, question: str, history: list[dict] | None = None) -> Answer:
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
def live_bot(real_settings, tmp_path_factory):
    """`python app.py` with the real bot over the run's real index, on a free port; yields its base URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("live-bot") / "app.log"
    env = {**os.environ, "HAMSTRING_DATA_DIR": str(real_settings.data_dir), "HAMSTRING_PORT": str(port),
           "HAMSTRING_HOST": "127.0.0.1", "PYTHONUNBUFFERED": "1"}
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
