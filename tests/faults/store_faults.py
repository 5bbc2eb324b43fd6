"""Tools for the store fault tests: a real app served in this process, a runner asking questions, a separate
ingest process, damage done to a real Chroma store, and the figures written to test-artifacts/faults/store.json.

The app runs in-process (uvicorn in a thread) with the word-hash embedder, so a fault costs seconds, not a
model load; ingest always runs as its own process, as an operator's would, writing the same real store.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn

from core.settings import PROJECT_ROOT, Settings

ARTIFACT = PROJECT_ROOT / "test-artifacts" / "faults" / "store.json"
QUESTIONS = ["How do I strengthen my hamstrings?", "Should I stretch after a run?", "Ice or heat for a hamstring strain?"]
MODEL = "fake-words"

# The operator's ingest, run as its own process with the test embedder (the CLI itself loads the real model).
INGEST = """
import sys
from core.settings import Settings
from ingest.pipeline import run_ingest
from tests.fakes import WordEmbeddings
print(run_ingest(Settings(), WordEmbeddings(), model="fake-words", progress=False, rebuild="--rebuild" in sys.argv).line())
"""


def env_for(settings: Settings, **extra: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "HAMSTRING_DATA_DIR": str(settings.data_dir)}
    env.pop("HAMSTRING_CHROMA_URL", None)
    if settings.chroma_url:
        env["HAMSTRING_CHROMA_URL"] = settings.chroma_url
    return {**env, **extra}


def run_ingest_process(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", INGEST, *args], env=env_for(settings), capture_output=True, text=True, timeout=180, cwd=PROJECT_ROOT
    )


def run_cli(settings: Settings, *argv: str, timeout: float = 180, **extra_env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *argv], env=env_for(settings, **extra_env), capture_output=True, text=True, timeout=timeout, cwd=PROJECT_ROOT
    )


def operator_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- damage ---------------------------------------------------------------------------------------


def damage(store_file: Path, kind: str) -> None:
    """Damage a real chroma.sqlite3 in place, the ways the issue measured."""
    size = store_file.stat().st_size
    with open(store_file, "r+b") as fh:
        if kind == "garbage-header":
            fh.write(b"this is not a database" * 8)
        elif kind == "truncated":
            fh.truncate(size // 3)
        elif kind == "random-64k":
            fh.seek(size // 2)
            fh.write(os.urandom(64 * 1024))
        else:
            raise ValueError(kind)


class FullDisk:
    """A small tmpfs filled to the last byte, holding a copy of a data folder (root only; see `available`)."""

    def __init__(self, where: Path):
        self.mount = where

    @staticmethod
    def available(tmp: Path) -> bool:
        probe = tmp / "probe-mount"
        probe.mkdir()
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(probe)], capture_output=True).returncode == 0
        if ok:
            subprocess.run(["umount", str(probe)], check=True)
        return ok

    def __enter__(self) -> "FullDisk":
        self.mount.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(self.mount)], check=True)
        return self

    def fill(self) -> None:
        with open(self.mount / "filler", "wb") as fh:
            try:
                while True:
                    fh.write(b"\0" * 65536)
                    fh.flush()
            except OSError:
                pass

    def __exit__(self, *exc) -> None:
        subprocess.run(["umount", "-l", str(self.mount)], check=False)


# ---- a served app and a runner ---------------------------------------------------------------------


class ServedApp:
    """The real web app (create_app over a real Bot) served by uvicorn in a thread on a free port."""

    def __init__(self, app):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "ServedApp":
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the app did not start within 30 s")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def health(self) -> tuple[dict, float]:
        started = time.monotonic()
        body = httpx.get(f"{self.url}/api/health", timeout=10).json()
        return body, time.monotonic() - started


@dataclass
class Outcome:
    at: float  # monotonic time the answer arrived
    status: int  # HTTP status, 0 for no answer within the client's timeout
    seconds: float
    detail: str = ""


@dataclass
class Runner:
    """Asks questions through /api/ask, one after another, from a few threads, and keeps every outcome."""

    url: str
    threads: int = 2
    timeout: float = 20.0
    outcomes: list[Outcome] = field(default_factory=list)

    def __post_init__(self):
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._workers = [threading.Thread(target=self._loop, args=(i,), daemon=True) for i in range(self.threads)]

    def ask(self, question: str) -> Outcome:
        started = time.monotonic()
        try:
            r = httpx.post(f"{self.url}/api/ask", json={"question": question, "history": []}, timeout=self.timeout)
            outcome = Outcome(time.monotonic(), r.status_code, time.monotonic() - started, r.json().get("detail", ""))
        except httpx.HTTPError as exc:
            outcome = Outcome(time.monotonic(), 0, time.monotonic() - started, exc.__class__.__name__)
        with self._lock:
            self.outcomes.append(outcome)
        return outcome

    def _loop(self, i: int) -> None:
        n = i
        while not self._stop.is_set():
            self.ask(QUESTIONS[n % len(QUESTIONS)])
            n += 1
            time.sleep(0.05)

    def __enter__(self) -> "Runner":
        for w in self._workers:
            w.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for w in self._workers:
            w.join(self.timeout + 5)

    def between(self, start: float, end: float = float("inf")) -> list[Outcome]:
        """Answers that arrived in [start, end)."""
        with self._lock:
            return [o for o in self.outcomes if start <= o.at < end]

    def asked_after(self, start: float) -> list[Outcome]:
        """Answers to questions asked at or after `start` (none was in flight before it)."""
        with self._lock:
            return [o for o in self.outcomes if o.at - o.seconds >= start]


def failed(outcomes: list[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.status != 200]


def wait_until(condition, timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return condition()


# ---- figures ----------------------------------------------------------------------------------------


def record(fault: str, **figures) -> str:
    """Add one fault's figures to test-artifacts/faults/store.json; the summary line for it."""
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    try:
        data = json.loads(ARTIFACT.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    data[fault] = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in figures.items()}
    ARTIFACT.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    parts = ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items())
    return f"store fault {fault}: {parts}"


def copy_data(source: Settings, target: Path) -> Settings:
    """A copy of a built data folder; the rate limit is lifted, since the runner here is one busy client."""
    shutil.copytree(source.data_dir, target)
    return source.model_copy(update={"data_dir": target, "rate_limit_per_minute": 1_000_000})
