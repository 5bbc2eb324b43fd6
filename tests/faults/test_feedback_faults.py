"""Fault injection on the feedback database: read-only, locked, corrupted (at start-up and while serving),
deleted, full disk, and a flood of thumbs from one session.

Each case asserts what the runner sees (the sentence the page shows, or nothing when the rating was saved) and
what the operator sees (one log line naming the remedy), and that no rating is lost without the runner being
told: attempts == saved + told. The disk faults use a small tmpfs (mount needs root); figures go to
test-artifacts/faults/feedback.json.
"""

import json
import logging
import os
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import app
from core.settings import PROJECT_ROOT, Settings
from core.types import Answer, Citation, Part
from web.feedback import NOT_SAVED, SqliteFeedback, Thumbs

pytestmark = pytest.mark.faults

FIGURES: dict[str, dict] = {}
OUT = PROJECT_ROOT / "test-artifacts" / "faults" / "feedback.json"


def answer(n: int, words: int = 20) -> Answer:
    text = f"Answer {n}: " + " ".join(["Strength work keeps hamstrings resilient"] * words) + " [1]"
    return Answer(text=text, lead=Part(text=text, citations=[1]),
                  citations=[Citation(n=1, source_id="guide", title="Guide", section="Strength", quote="Strong hamstrings.")])


class AnsweringBot:
    def ask(self, question) -> Answer:
        return answer(0)


@pytest.fixture
def fake_bot():
    return AnsweringBot()


@pytest.fixture(scope="module", autouse=True)
def figures():
    yield FIGURES
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(FIGURES, indent=2) + "\n", encoding="utf-8")


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.INFO, logger="hamstring_bot.feedback")
    return caplog


def operator_lines(log) -> list[str]:
    return [r.getMessage() for r in log.records if r.name == "hamstring_bot.feedback" and r.levelno >= logging.WARNING]


class Runner:
    """Clicks thumbs on distinct answers, one browser session, and keeps the tally the targets are about."""

    def __init__(self, store):
        self.thumbs, self.store = Thumbs(store), store
        self.attempts = self.told = 0
        self.told_within_s = 0.0
        self.n = 0

    def rate(self, liked=True) -> str | None:
        self.n += 1
        started = time.perf_counter()
        said = self.thumbs.rate("one-browser-session", [(f"Question {self.n}?", answer(self.n))], 0, liked)
        self.told_within_s = max(self.told_within_s, time.perf_counter() - started) if said else self.told_within_s
        self.attempts += 1
        self.told += said == NOT_SAVED
        return said

    def saved(self) -> int:
        with sqlite3.connect(self.store.path) as db:
            return db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]


def record(case: str, runner: Runner, saved: int, log, **extra) -> None:
    lost = runner.attempts - saved - runner.told
    FIGURES[case] = {"attempts": runner.attempts, "saved": saved, "told_not_saved": runner.told, "lost_silently": lost,
                     "slowest_telling_s": round(runner.told_within_s, 3), "operator_lines": operator_lines(log), **extra}
    assert lost == 0, f"{case}: {lost} ratings lost without the runner being told"


# ---- a small disk of its own ----------------------------------------------------------------------


def unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: the fault suite needs root to mount a small tmpfs (CI runs as root).")
    pytest.skip(f"{reason}: run as root to inject disk faults on a small tmpfs.")


def mount(*args: str) -> None:
    result = subprocess.run(["mount", *args], capture_output=True, text=True)
    if result.returncode:
        unavailable(f"mount {' '.join(args)} failed ({result.stderr.strip()})")


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KiB tmpfs mounted for this test alone; unmounted afterwards."""
    point = tmp_path / "disk"
    point.mkdir()
    mount("-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs", str(point))
    yield point
    subprocess.run(["umount", "-l", str(point)], check=False)


def fill(disk: Path) -> Path:
    """Fill the disk to the last byte with one file; delete it to free the space."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 4096)
        except OSError:
            pass
    return filler


# ---- the cases ------------------------------------------------------------------------------------------


def test_read_only_database(small_disk, log):
    store = SqliteFeedback(small_disk / "feedback.sqlite3")
    runner = Runner(store)
    assert runner.rate() is None
    mount("-o", "remount,ro", str(small_disk))
    try:
        said = [runner.rate() for _ in range(20)]
        assert said == [NOT_SAVED] * 20, "each runner is told"
        lines = operator_lines(log)
        assert len(lines) == 1 and "read-only: make the file and its folder writable" in lines[0], lines
    finally:
        mount("-o", "remount,rw", str(small_disk))
    assert runner.rate() is None, "saving works again once the disk is writable"
    assert "being saved again" in operator_lines(log)[-1] and "(20 refused meanwhile, each runner told)" in operator_lines(log)[-1]
    record("read-only", runner, runner.saved(), log)


def test_database_read_only_at_start_up_does_not_stop_the_bot(small_disk, log, fake_bot):
    mount("-o", "remount,ro", str(small_disk))
    try:
        settings = Settings(data_dir=small_disk / "data")  # the folder can't even be created
        client = TestClient(app.create_app(settings, fake_bot, index_status=lambda s: None))
        assert client.post("/api/ask", json={"question": "How do I strengthen my hamstrings?"}).status_code == 200
        runner = Runner(client.app.state.feedback)
        assert runner.rate() == NOT_SAVED
        assert operator_lines(log) == [
            f"Feedback database {settings.feedback_db} can't be written or read: it is read-only: make the file and its "
            "folder writable by the bot (check permissions and the disk's mount). Until then runners are told their rating wasn't saved."
        ]
    finally:
        mount("-o", "remount,rw", str(small_disk))
    assert runner.rate() is None
    record("read-only-at-start-up", runner, runner.saved(), log)


def test_locked_database(tmp_path, log):
    store = SqliteFeedback(tmp_path / "feedback.sqlite3", busy_timeout=1.0)
    runner = Runner(store)
    holder = sqlite3.connect(store.path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")  # a backup or an open sqlite3 shell holding the file
    try:
        started = time.perf_counter()
        assert runner.rate() == NOT_SAVED
        told_after = time.perf_counter() - started
        assert told_after < 3, "the runner is told within seconds, not left waiting"
        assert "kept it locked" in operator_lines(log)[0]
    finally:
        holder.execute("ROLLBACK")
    # A lock shorter than the wait is no fault: the write waits, then saves.
    holder.execute("BEGIN EXCLUSIVE")
    threading.Timer(0.4, lambda: holder.execute("ROLLBACK")).start()
    started = time.perf_counter()
    assert runner.rate() is None
    waited = time.perf_counter() - started
    holder.close()
    record("locked", runner, runner.saved(), log, told_after_s=round(told_after, 3), short_lock_saved_after_s=round(waited, 3))


@pytest.mark.parametrize("damage", ["garbage-header", "truncated", "random-64KiB"])
def test_corrupted_database_at_start_up_is_kept_aside_and_the_bot_starts(tmp_path, log, fake_bot, damage):
    settings = Settings(data_dir=tmp_path / "data")
    SqliteFeedback(settings.feedback_db)
    with sqlite3.connect(settings.feedback_db) as db:  # a few hundred ratings, so the file spans many pages
        db.executemany("INSERT INTO feedback VALUES (?, '2026-11-22T10:00:00+00:00', 'up', ?, ?, '[]', '[]')",
                       [(str(n), f"Q{n}", answer(n).text) for n in range(300)])
    body = settings.feedback_db.read_bytes()
    broken = {
        "garbage-header": b"this is not sqlite" + body[18:],
        "truncated": body[: len(body) // 3],
        "random-64KiB": os.urandom(65536),
    }[damage]
    settings.feedback_db.write_bytes(broken)
    log.clear()

    client = TestClient(app.create_app(settings, fake_bot, index_status=lambda s: None))  # starts: no exception
    assert client.post("/api/ask", json={"question": "How do I strengthen my hamstrings?"}).status_code == 200
    aside = list(settings.data_dir.glob("feedback.sqlite3.broken-*"))
    assert [p.read_bytes() for p in aside if not p.name.endswith("-journal")] == [broken], "kept, byte for byte"
    lines = operator_lines(log)
    assert len(lines) == 1 and "was damaged" in lines[0] and aside[0].name in lines[0]
    runner = Runner(client.app.state.feedback)
    assert runner.rate() is None
    record(f"corrupted-at-start-up:{damage}", runner, runner.saved(), log, kept_aside=aside[0].name)


def test_corrupted_while_serving_heals_on_the_next_write(tmp_path, log):
    store = SqliteFeedback(tmp_path / "feedback.sqlite3")
    runner = Runner(store)
    assert runner.rate() is None
    store.path.write_bytes(b"\x00garbage" * 4096)
    said = [runner.rate() for _ in range(5)]
    assert said == [None] * 5, "healed on the first write after the damage: nothing to tell"
    assert len(list(tmp_path.glob("feedback.sqlite3.broken-*"))) == 1
    assert "was damaged" in operator_lines(log)[0]
    # The rating saved before the damage is in the kept file, not the new one.
    record("corrupted-while-serving", runner, runner.saved() + 1, log)


def test_deleted_while_serving_heals_on_the_next_write(tmp_path, log):
    store = SqliteFeedback(tmp_path / "data" / "feedback.sqlite3")
    runner = Runner(store)
    assert runner.rate() is None
    store.path.unlink()
    assert runner.rate() is None
    store.path.parent.rename(tmp_path / "moved")  # the whole data folder gone
    assert runner.rate() is None
    assert [line for line in operator_lines(log) if "was missing" in line] != []
    record("deleted-while-serving", runner, runner.saved() + 2, log)  # two saved into files since removed


def test_full_disk(small_disk, log):
    store = SqliteFeedback(small_disk / "feedback.sqlite3")
    runner = Runner(store)
    assert runner.rate() is None
    filler = fill(small_disk)
    said = [runner.rate() for _ in range(51)]
    saved_while_full = said.count(None)
    assert said.count(NOT_SAVED) > 0, "a full disk refuses some ratings, and those runners are told"
    assert all(s in (None, NOT_SAVED) for s in said)
    assert operator_lines(log) == [f"Feedback database {store.path} can't be written or read: the disk is full: free space on it. "
                                   "Until then runners are told their rating wasn't saved."]
    filler.unlink()
    assert runner.rate() is None, "saving works again once there is space"
    assert "being saved again" in operator_lines(log)[-1]
    record("full-disk", runner, runner.saved(), log, saved_while_full=saved_while_full, disk="tmpfs 256 KiB")


def test_300_thumbs_from_one_session_end_as_one_row_and_dont_hold_up_others(tmp_path, log):
    store = SqliteFeedback(tmp_path / "feedback.sqlite3")
    thumbs, turns = Thumbs(store), [("How do I strengthen my hamstrings?", answer(1))]
    said: list = []
    workers = [threading.Thread(target=lambda n=n: said.append(thumbs.rate("one-session", turns, 0, n % 2 == 0))) for n in range(300)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    with sqlite3.connect(store.path) as db:
        rows = db.execute("SELECT rating FROM feedback").fetchall()
    assert said == [None] * 300 and len(rows) == 1
    # Another runner's thumb right after the burst is saved at once.
    started = time.perf_counter()
    assert thumbs.rate("another-session", turns, 0, True) is None
    other = time.perf_counter() - started
    assert other < 1
    FIGURES["flood-300-thumbs-one-session"] = {"clicks": 300, "rows": len(rows), "told_not_saved": said.count(NOT_SAVED),
                                               "seconds": round(elapsed, 2), "next_runner_saved_in_s": round(other, 3)}
