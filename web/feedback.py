"""Feedback and the club's view: thumbs on answers, what was asked (declined, not covered, red flags, topics).

Storage sits behind the small `FeedbackStore` protocol; `SqliteFeedback` is the embedded default, and it heals.
A rating that can't be saved raises `FeedbackNotSaved`, so the page can tell the runner; nothing fails silently.

Stored, and nothing else (see the README's "Feedback and the club's view"):
- a rating: up/down, the rated question and answer, the conversation before it as typed, the answer's citations;
- a question asked (only while the club view is on): its week, outcome (answered, declined, not covered,
  red flag, small talk) and topic; its text only when it was declined or not covered.
"""

import csv
import errno
import hashlib
import json
import logging
import queue
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal, Protocol, TextIO

from core.errors import HamstringBotError
from core.types import Answer

log = logging.getLogger("hamstring_bot.feedback")

Outcome = Literal["answered", "declined", "not-covered", "red-flag", "small-talk"]
ViewName = Literal["ratings", "unanswered", "rated-down", "red-flags", "topics"]
VIEWS: tuple[ViewName, ...] = ("unanswered", "rated-down", "red-flags", "topics", "ratings")
NOT_SAVED = "Sorry — we couldn't save your rating just now, so it isn't counted. Please try again in a minute."
# A write waits this long for a database another program holds locked, then the runner is told.
BUSY_TIMEOUT_S = 2.0
# A write waits this long for the other writes of this process before the runner is told (a flood's tail).
WRITE_QUEUE_TIMEOUT_S = 10.0
COUNT_BATCH = 500  # questions written for the club view in one transaction


class FeedbackNotSaved(HamstringBotError):
    """A rating or a record of a question could not be written; the message is for the operator."""


@dataclass(frozen=True)
class Rating:
    """One runner's thumb on one answer. `id` is the same for every click on that answer in that browser
    session, so a second click replaces the first. `rating` None takes the thumb back."""

    id: str
    rating: Literal["up", "down"] | None
    question: str
    answer: str
    conversation: tuple[tuple[str, str], ...] = ()  # (role, text) of the turns before, as typed and as shown
    citations: tuple[dict, ...] = ()  # the answer's citations, as the API serialises them


@dataclass(frozen=True)
class Asked:
    """A question as the club view counts it: text kept only when declined or not covered."""

    outcome: Outcome
    topic: str | None
    question: str | None
    at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def week(self) -> str:
        """ISO week, e.g. '2026-W47': red flags are counted per week."""
        year, week, _ = self.at.isocalendar()
        return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Table:
    """One view of the stored feedback, as the admin page shows it and the CSV export writes it."""

    columns: tuple[str, ...]
    rows: list[tuple]


class FeedbackStore(Protocol):
    """Where ratings and the club's counts live. Every method raises FeedbackNotSaved when storage fails."""

    def rate(self, rating: Rating) -> None: ...

    def record(self, asked: Sequence[Asked]) -> None: ...

    def view(self, name: ViewName, limit: int | None = None) -> Table: ...


# ---- what an answer was, for the club's view ------------------------------------------------------


def outcome_of(answer: Answer) -> Outcome:
    """How the bot dealt with a question, from the answer's own fields.

    >>> from core.types import Notice
    >>> outcome_of(Answer(text="", out_of_scope=True, notices=[Notice(kind="declined", text="No.")]))
    'declined'
    """
    kinds = {n.kind for n in answer.notices}
    if answer.escalation is not None:
        return "red-flag"
    if answer.out_of_scope or "declined" in kinds:
        return "declined"
    if "small-talk" in kinds:
        return "small-talk"
    if kinds & {"not-covered", "nothing-found"}:
        return "not-covered"
    return "answered"


def topic_of(answer: Answer) -> str | None:
    """The article section the answer's lead quotes ("Section (Article)"): what the question was about,
    in the articles' words, without keeping what the runner typed.

    >>> from core.types import Citation, Part
    >>> topic_of(Answer(text="", lead=Part(text="Rest.", citations=[1]),
    ...     citations=[Citation(n=1, source_id="a", title="Guide", section="Rest", quote="Rest.")]))
    'Rest (Guide)'
    """
    parts = [answer.lead] if answer.lead else answer.items
    cited = {c.n: c for c in answer.citations}
    for n in (n for p in parts for n in p.citations):
        if n in cited:
            c = cited[n]
            return f"{c.section} ({c.title})" if c.section else c.title
    return None


def asked_from(question: str, answer: Answer) -> Asked:
    """What the club view keeps of one question: its text only when the articles didn't answer it."""
    outcome = outcome_of(answer)
    return Asked(outcome=outcome, topic=topic_of(answer), question=question if outcome in ("declined", "not-covered") else None)


class QuestionCounter:
    """Counts questions for the club view off the answer's path: a background thread writes them in batches,
    so an answer never waits for the disk, and a storage failure never costs the runner their answer."""

    def __init__(self, store: FeedbackStore, capacity: int = 10_000):
        self.store = store
        self._queue: queue.Queue[Asked] = queue.Queue(capacity)
        self.dropped = 0
        threading.Thread(target=self._write_batches, name="question-counter", daemon=True).start()

    def count(self, question: str, answer: Answer) -> None:
        try:
            self._queue.put_nowait(asked_from(question, answer))
        except queue.Full:  # the disk can't keep up: counts are lost, answers are not
            self.dropped += 1
            if self.dropped in (1, 10, 100) or self.dropped % 1000 == 0:
                log.warning("Club view: %d questions not counted, the feedback database is not keeping up.", self.dropped)

    def flush(self) -> None:
        """Wait until every question counted so far has been written (or refused and logged)."""
        self._queue.join()

    def _write_batches(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < COUNT_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self.store.record(batch)
            except FeedbackNotSaved:
                pass  # the store has logged it with its remedy
            finally:
                for _ in batch:
                    self._queue.task_done()


# ---- thumbs from the page ---------------------------------------------------------------------------


class Thumbs:
    """Turns a click on a thumb into a stored Rating; returns what the runner should be told (None: saved)."""

    def __init__(self, store: FeedbackStore):
        self.store = store
        # Rating ids are keyed with a secret of this process: nobody can link a stored rating to a browser session.
        self._salt = secrets.token_bytes(16)
        self._guard = threading.Lock()
        self._clicks: dict[str, _Clicks] = {}  # answers with a click being saved

    def rating_id(self, session: str, turns: Sequence[tuple[str, Answer]], index: int) -> str:
        question, answer = turns[index]
        key = json.dumps([session, index, question, answer.text]).encode()
        return hashlib.blake2b(key, key=self._salt, digest_size=16).hexdigest()

    def rate(self, session: str, turns: Sequence[tuple[str, Answer]], index: int, liked: object) -> str | None:
        """Store the thumb on turn `index` (liked True/False; anything else takes it back).

        Returns None when saved, or the sentence to show the runner when it could not be."""
        question, answer = turns[index]
        rating = Rating(
            id=self.rating_id(session, turns, index),
            rating="up" if liked is True else "down" if liked is False else None,
            question=question,
            answer=answer.text,
            conversation=tuple((role, text) for q, a in turns[:index] for role, text in (("runner", q), ("bot", a.text))),
            citations=tuple(c.model_dump() for c in answer.citations),
        )
        try:
            self._save_latest(rating)
        except FeedbackNotSaved:  # the store has logged why, with the remedy, for the operator
            return NOT_SAVED
        return None

    def _save_latest(self, rating: Rating) -> None:
        """Clicks on one answer are saved one at a time, and a click overtaken by a newer one while it waited
        is not written at all: the newer one replaces it, and its runner is told if that fails. So a burst of
        300 clicks costs two writes, not 300, and can't hold up other runners' ratings."""
        with self._guard:
            clicks = self._clicks.setdefault(rating.id, _Clicks())
            clicks.latest += 1
            clicks.waiting += 1
            mine = clicks.latest
        try:
            with clicks.lock:
                if clicks.latest == mine:
                    self.store.rate(rating)
        finally:
            with self._guard:
                clicks.waiting -= 1
                if not clicks.waiting:
                    del self._clicks[rating.id]


@dataclass
class _Clicks:
    latest: int = 0  # number of the newest click on the answer
    waiting: int = 0  # clicks not yet done
    lock: threading.Lock = field(default_factory=threading.Lock)


# ---- CSV ---------------------------------------------------------------------------------------------

# Cells a spreadsheet would read as a formula (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralised(cell: object) -> object:
    """A cell a spreadsheet shows as text: formula-like text gets a leading apostrophe (OWASP).

    >>> [neutralised(c) for c in ["=1+2", "-3", "@SUM(A1)", "\\tx", "plain", 7]]
    ["'=1+2", "'-3", "'@SUM(A1)", "'\\tx", 'plain', 7]
    """
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return cell


def write_csv(table: Table, out: TextIO) -> int:
    """Write a view as CSV, every cell quoted and formula-like cells neutralised; returns the row count."""
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow(table.columns)
    writer.writerows([neutralised(c) for c in row] for row in table.rows)
    return len(table.rows)


# ---- the embedded default: SQLite ------------------------------------------------------------------

# Plain types and SQL any database speaks (TEXT, INTEGER, ON CONFLICT upsert), so a Postgres store can
# share it; times are ISO-8601 UTC text and the week is stored, so no date functions are needed.
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS feedback (id TEXT PRIMARY KEY, rated_at TEXT NOT NULL,"
    " rating TEXT NOT NULL CHECK (rating IN ('up', 'down')), question TEXT NOT NULL, answer TEXT NOT NULL,"
    " conversation TEXT NOT NULL, citations TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS asked (id TEXT PRIMARY KEY, asked_at TEXT NOT NULL, week TEXT NOT NULL,"
    " outcome TEXT NOT NULL, topic TEXT, question TEXT)",
)
UPSERT = (
    "INSERT INTO feedback (id, rated_at, rating, question, answer, conversation, citations) VALUES (?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (id) DO UPDATE SET rated_at = excluded.rated_at, rating = excluded.rating"
)
QUERIES: dict[str, tuple[tuple[str, ...], str]] = {
    "ratings": (
        ("rated_at", "rating", "question", "answer", "conversation", "citations"),
        "SELECT rated_at, rating, question, answer, conversation, citations FROM feedback ORDER BY rated_at, id",
    ),
    "rated-down": (
        ("rated_at", "question", "answer", "conversation", "citations"),
        "SELECT rated_at, question, answer, conversation, citations FROM feedback WHERE rating = 'down'"
        " ORDER BY rated_at DESC, id",
    ),
    "unanswered": (
        ("question", "outcome", "times", "last_asked"),
        "SELECT question, outcome, COUNT(*), MAX(asked_at) FROM asked WHERE question IS NOT NULL"
        " GROUP BY question, outcome ORDER BY COUNT(*) DESC, MAX(asked_at) DESC",
    ),
    "red-flags": (
        ("week", "red_flags", "questions"),
        "SELECT week, SUM(CASE WHEN outcome = 'red-flag' THEN 1 ELSE 0 END), COUNT(*) FROM asked"
        " GROUP BY week ORDER BY week DESC",
    ),
    "topics": (
        ("topic", "questions"),
        "SELECT topic, COUNT(*) FROM asked WHERE topic IS NOT NULL GROUP BY topic ORDER BY COUNT(*) DESC, topic",
    ),
}

# SQLite result codes (sqlite3.SQLITE_* in Python 3.11) by what the operator must do about them.
DAMAGED = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
REMEDY = {
    sqlite3.SQLITE_READONLY: "it is read-only: make the file and its folder writable by the bot (check permissions and the disk's mount)",
    sqlite3.SQLITE_FULL: "the disk is full: free space on it",
    sqlite3.SQLITE_BUSY: "another program kept it locked (a backup, an open sqlite3 shell?): close it",
    sqlite3.SQLITE_LOCKED: "another program kept it locked (a backup, an open sqlite3 shell?): close it",
    sqlite3.SQLITE_CANTOPEN: "it can't be opened: check that its folder exists and is writable",
    sqlite3.SQLITE_IOERR: "the disk reported an error: check the disk",
}

# The same remedies when the operating system refuses first (creating the folder, setting a file aside).
OS_ERRORS = {
    errno.EROFS: sqlite3.SQLITE_READONLY,
    errno.EACCES: sqlite3.SQLITE_READONLY,
    errno.EPERM: sqlite3.SQLITE_READONLY,
    errno.ENOSPC: sqlite3.SQLITE_FULL,
    errno.EDQUOT: sqlite3.SQLITE_FULL,
    errno.EIO: sqlite3.SQLITE_IOERR,
}


class SqliteFeedback:
    """FeedbackStore in one SQLite file that heals: a damaged file is kept aside and a new one started, a
    deleted file (or folder) is recreated, at start-up and while serving. The bot starts whatever the file's
    state; what can't heal (read-only, full, locked) is logged with its remedy and raised as FeedbackNotSaved."""

    def __init__(self, path: Path, busy_timeout: float = BUSY_TIMEOUT_S):
        self.path = path
        self.busy_timeout = busy_timeout
        self._heal_lock = threading.RLock()
        self._state_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._failing: str | None = None  # what the operator was last told is wrong; None while writes work
        self._lost = 0  # writes refused since then
        try:
            self._prepare(check=True)
        except FeedbackNotSaved:
            pass  # logged; the bot starts and each write tries again, so the store heals once the cause is fixed

    # -- the protocol

    def rate(self, rating: Rating) -> None:
        now = _now()
        if rating.rating is None:
            self._run("DELETE FROM feedback WHERE id = ?", (rating.id,))
            return
        conversation = json.dumps([{"role": r, "content": t} for r, t in rating.conversation], ensure_ascii=False)
        citations = json.dumps(list(rating.citations), ensure_ascii=False)
        self._run(UPSERT, (rating.id, now, rating.rating, rating.question, rating.answer, conversation, citations))

    def record(self, asked: Sequence[Asked]) -> None:
        rows = [
            (uuid.uuid4().hex, a.at.astimezone(timezone.utc).isoformat(timespec="seconds"), a.week, a.outcome, a.topic, a.question)
            for a in asked
        ]
        self._run("INSERT INTO asked (id, asked_at, week, outcome, topic, question) VALUES (?, ?, ?, ?, ?, ?)", rows, many=True)

    def view(self, name: ViewName, limit: int | None = None) -> Table:
        columns, sql = QUERIES[name]
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = self._run(sql, ())
        if name in ("ratings", "rated-down"):  # conversation and citations read as text in a sheet or a page
            at = columns.index("conversation")
            rows = [(*r[:at], _conversation_text(r[at]), _citations_text(r[at + 1]), *r[at + 2 :]) for r in rows]
        return Table(columns, rows)

    # -- opening and healing

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # One short connection per call, committed and closed: safe from any worker thread, and a file
        # replaced underneath (deleted, set aside) is picked up by the next call.
        db = sqlite3.connect(self.path, timeout=self.busy_timeout)
        try:
            with db:
                yield db
        finally:
            db.close()

    def _prepare(self, check: bool) -> None:
        """Create the folder and tables; with `check`, a file that fails SQLite's quick check is set aside first.
        A file found damaged is set aside and a new one made; anything else raises FeedbackNotSaved."""
        try:
            self._create(check)
            return
        except sqlite3.DatabaseError as exc:
            if _code(exc) not in DAMAGED:
                raise self._failed(exc) from exc
            damage = str(exc)
        except OSError as exc:
            raise self._failed(exc) from exc
        try:
            self._set_aside(damage)
            self._create(check=False)
        except (sqlite3.DatabaseError, OSError) as exc:
            raise self._failed(exc) from exc

    def _create(self, check: bool) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if check and self.path.exists() and not self._readable():
            self._set_aside("it failed SQLite's quick check")
        with self._connect() as db:
            self._migrate(db)
            for statement in SCHEMA:
                db.execute(statement)

    def _readable(self) -> bool:
        try:
            with self._connect() as db:
                return db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        except sqlite3.DatabaseError as exc:
            return _code(exc) not in DAMAGED

    def _migrate(self, db: sqlite3.Connection) -> None:
        # The first version's table (INTEGER id, created_at, no conversation) is kept, renamed, not dropped.
        columns = {row[1] for row in db.execute("PRAGMA table_info(feedback)")}
        if columns and "conversation" not in columns:
            db.execute("ALTER TABLE feedback RENAME TO feedback_v1")
            log.warning("Feedback: the earlier ratings in %s were kept as table feedback_v1; new ratings go to a new table.", self.path)

    def _set_aside(self, why: str) -> None:
        """Rename the damaged file (and its journal) to *.broken-<UTC time>: kept for inspection, never deleted."""
        with self._heal_lock:
            if not self.path.exists() or self._readable():
                return  # another thread has already set it aside
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
            aside = self.path.with_name(f"{self.path.name}.broken-{stamp}")
            self.path.rename(aside)
            for suffix in ("-journal", "-wal", "-shm"):
                extra = self.path.with_name(self.path.name + suffix)
                if extra.exists():
                    extra.rename(aside.with_name(aside.name + suffix))
            log.warning("Feedback database %s was damaged (%s): kept it as %s and started a new one.", self.path, why, aside.name)

    def _run(self, sql: str, params: Sequence, many: bool = False) -> list[tuple]:
        """Run one statement (`many`: once per parameter tuple, in one transaction); heal a damaged or missing
        database once and retry; else FeedbackNotSaved."""
        for attempt in (1, 2):
            try:
                with self._one_writer(sql), self._connect() as db:
                    rows = db.executemany(sql, params).fetchall() if many else db.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                if attempt == 2 or not self._healed(exc):
                    raise self._failed(exc) from exc
                continue
            except OSError as exc:
                raise self._failed(exc) from exc
            self._working()
            return rows
        raise AssertionError("unreachable")  # pragma: no cover

    @contextmanager
    def _one_writer(self, sql: str) -> Iterator[None]:
        """Writes from this process take turns here: SQLite's own busy wait polls with growing sleeps, so a
        burst of threads contending inside it (300 thumbs at once) would time out; queueing here doesn't."""
        if sql.startswith("SELECT"):
            yield
            return
        if not self._write_lock.acquire(timeout=WRITE_QUEUE_TIMEOUT_S):
            raise sqlite3.OperationalError("too many feedback writes waiting")
        try:
            yield
        finally:
            self._write_lock.release()

    def _healed(self, exc: sqlite3.DatabaseError) -> bool:
        """True when `exc` meant a damaged or missing database and a new one has been made."""
        damaged = _code(exc) in DAMAGED
        if not damaged and "no such table" not in str(exc) and self.path.parent.exists():
            return False
        try:
            if damaged:
                self._set_aside(str(exc))
            self._create(check=False)
        except (sqlite3.DatabaseError, OSError) as again:
            raise self._failed(again) from again
        if not damaged:
            log.warning("Feedback database %s was missing (deleted while serving?): started a new one.", self.path)
        return True

    # -- what the operator is told: once when writes start failing, once when they work again

    def _failed(self, exc: Exception) -> FeedbackNotSaved:
        code = _code(exc) if isinstance(exc, sqlite3.Error) else OS_ERRORS.get(getattr(exc, "errno", None))
        what = REMEDY.get(code, f"{exc}: check the file and its disk")
        message = f"Feedback database {self.path} can't be written or read: {what}. Until then runners are told their rating wasn't saved."
        with self._state_lock:
            self._lost += 1
            first = self._failing != message
            self._failing = message
        if first:
            log.error(message)
        return FeedbackNotSaved(message)

    def _working(self) -> None:
        if self._failing is None:
            return
        with self._state_lock:
            lost, self._failing, self._lost = self._lost, None, 0
        log.warning("Feedback is being saved again to %s (%d refused meanwhile, each runner told).", self.path, lost)


def _code(exc: sqlite3.Error) -> int | None:
    return getattr(exc, "sqlite_errorcode", None)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _conversation_text(stored: str) -> str:
    return "\n".join(f"{m['role']}: {m['content']}" for m in json.loads(stored))


def _citations_text(stored: str) -> str:
    return "\n".join(f"[{c['n']}] {c['title']}" + (f" — {c['section']}" if c.get("section") else "") for c in json.loads(stored))
