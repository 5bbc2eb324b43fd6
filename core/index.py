"""Reading the search index: Chroma collections plus a manifest that says which ones are live and fresh.

Ingest (the writing half, ingest/store.py) fills fresh collections and only then swaps the manifest, so a
reader never sees a half-written index and an interrupted ingest leaves the previous one in place.
Every store call goes through `call_store`: bounded in time, retried when a connection drops, and any
failure turned into an error that names the fix (missing, stale, damaged, unreachable, unwritable).
"""

import dataclasses
import errno
import fcntl
import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlparse

import chromadb
import httpx
import numpy as np
from chromadb.api.shared_system_client import SharedSystemClient
from langchain_chroma import Chroma
from pydantic import BaseModel, ValidationError

from core.embeddings import model_label
from core.errors import HamstringBotError, IndexCorrupt, IndexMissing, IndexStale, StoreUnreachable, StoreUnwritable
from core.corpus import load_articles
from core.settings import Settings
from core.types import Article, Chunk, Unit

MANIFEST_FORMAT = 2  # 2: answer units in their own collection
# Bump when ingest/chunking.py changes how text is cut: the manifest records it, and a change forces a rebuild.
CHUNKER_VERSION = "4"
COLLECTION_PREFIX = "hamstring"
BUILD_COMMAND = "make ingest  (or: .venv/bin/hamstring-ingest)"
# A damaged store needs --rebuild: a plain ingest would find nothing changed in the articles and keep it.
REBUILD_COMMAND = ".venv/bin/python -m ingest --rebuild  (it keeps the damaged store aside, renamed chroma.damaged-<time>)"
STORE_FILE = "chroma.sqlite3"
INGEST_LOCK = ".ingest.lock"  # held by an ingest while it writes; readers then keep off the store
T = TypeVar("T")


class Manifest(BaseModel):
    format: int = MANIFEST_FORMAT
    generation: str
    corpus_hash: str
    model: str
    chunker: str
    chunks_collection: str
    sentences_collection: str
    units_collection: str
    counts: dict[str, int]
    created: str
    # The generation this one replaced: kept until the next swap, so a bot still answering from it
    # when the manifest changes finishes its question and reloads, instead of failing.
    previous_collections: list[str] = []

    @property
    def collections(self) -> tuple[str, str, str]:
        return self.chunks_collection, self.sentences_collection, self.units_collection

    @staticmethod
    def new_generation() -> str:
        return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


@dataclass(frozen=True)
class LiveIndex:
    """The collections a manifest points at, opened and checked."""

    manifest: Manifest
    client: chromadb.ClientAPI
    chunks: chromadb.Collection
    sentences: chromadb.Collection
    units: chromadb.Collection


@dataclass(frozen=True)
class IndexStatus:
    fresh: bool
    reason: str
    corpus_hash: str | None = None
    model: str | None = None
    # fresh, missing, stale, damaged, unreachable, unwritable, building (an ingest is writing), broken (the
    # corpus or its rules), checking
    state: str = "fresh"
    remedy: str | None = None


# ---- the store: opening it, and every call to it bounded and named -----------------------------------

# Transport failures worth one more try: the connection dropped or was refused (a server restarting).
# A timeout is not retried: a stuck server stays stuck, and the runner is owed an answer within seconds.
_TRANSIENT = (httpx.ConnectError, httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)
_http_clients: dict[str, chromadb.ClientAPI] = {}
_embedded_identity: dict[str, tuple[int, int] | None] = {}  # store path → (device, inode) of the file opened
_clients_lock = threading.Lock()


def _server_url(settings: Settings) -> str:
    return settings.chroma_url.rstrip("/") if settings.chroma_url else ""


def store_problem(exc: BaseException, settings: Settings) -> HamstringBotError:
    """What a failed store call means for an operator, as an error whose message ends with the fix."""
    if isinstance(exc, HamstringBotError):
        return exc
    detail = (str(exc).strip().splitlines() or [exc.__class__.__name__])[-1][:160]
    text = f"{exc.__class__.__name__}: {detail}" if detail != exc.__class__.__name__ else detail
    lowered = text.lower()
    if settings.chroma_url and (
        isinstance(exc, (httpx.TransportError, TimeoutError)) or "could not connect to a chroma server" in lowered
    ):
        waited = f"did not answer within {settings.chroma_timeout_s:g} s" if isinstance(exc, (httpx.TimeoutException, TimeoutError)) else f"cannot be reached ({text})"
        return StoreUnreachable(
            f"The Chroma server at {_server_url(settings)} {waited}. Start it or unfreeze it (chroma run --path DIR "
            f"--port PORT), or fix HAMSTRING_CHROMA_URL; nothing needs rebuilding, the bot reconnects by itself."
        )
    errno_ = getattr(exc, "errno", None)
    if errno_ in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or "disk is full" in lowered or "no space left" in lowered:
        return StoreUnwritable(
            f"The index in {settings.data_dir} cannot be written: the disk is full ({text}). Free some space on that disk, then try again."
        )
    if errno_ in (errno.EACCES, errno.EROFS, errno.EPERM) or "readonly database" in lowered or "read-only" in lowered:
        return StoreUnwritable(
            f"The index in {settings.data_dir} cannot be written: permission denied or read-only ({text}). "
            f"Make the folder writable, then try again."
        )
    where = f"on the Chroma server at {_server_url(settings)}" if settings.chroma_url else f"in {settings.chroma_dir}"
    return IndexCorrupt(f"The index {where} is damaged or incomplete ({text}). Rebuild it with: {REBUILD_COMMAND}")


_stuck_until: dict[str, tuple[float, str]] = {}  # server URL → (monotonic time, what was said) after a timeout


def call_store(call: Callable[[], T], settings: Settings) -> T:
    """Run one call to the store: retried (bounded) when a connection failed or dropped, any failure raised as
    the HamstringBotError that names the fix. Time is bounded by the client's own timeouts (see open_client).

    After a server timed out, calls fail at once for one timeout's length: with a stuck server, every
    question would otherwise hold a worker for the full timeout, and the ones queued behind wait longer still.
    """
    url = _server_url(settings)
    if url in _stuck_until and time.monotonic() < _stuck_until[url][0]:
        raise StoreUnreachable(_stuck_until[url][1])
    delay = 0.1
    for attempt in range(settings.chroma_retries + 1):
        try:
            return call()
        except HamstringBotError:
            raise
        except Exception as exc:
            if not isinstance(exc, _TRANSIENT) or attempt == settings.chroma_retries:
                problem = store_problem(exc, settings)
                if url and isinstance(exc, httpx.TimeoutException):
                    _stuck_until[url] = (time.monotonic() + settings.chroma_timeout_s, str(problem))
                raise problem from exc
            time.sleep(delay)
            delay *= 3
    raise AssertionError("unreachable")  # the loop always returns or raises


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _forget_embedded(key: str) -> None:
    """Drop Chroma's cached system for one store path, so the next client opens the files afresh.

    Chroma keeps one system per path for the life of the process, and it keeps the files it first opened:
    after the store was deleted and rebuilt, or failed to open, it would keep failing until a restart.
    chromadb 1.5.9 has no public call for one path (clear_system_cache drops every client's, HTTP ones too).
    """
    with SharedSystemClient._refcount_lock:
        system = SharedSystemClient._identifier_to_system.pop(key, None)
        SharedSystemClient._identifier_to_refcount.pop(key, None)
    _embedded_identity.pop(key, None)
    if system is not None:
        # Stopped, not just forgotten: its SQLite pool would otherwise open new connections by path, and
        # touch the new store an ingest is building there. A question still on it fails with an apology.
        try:
            system.stop()
        except Exception:  # noqa: BLE001 - half-started or already stopped: nothing left to release
            pass


def store_replaced(settings: Settings) -> bool:
    """Was the embedded store this process opened deleted, moved aside or replaced since?"""
    key = str(settings.chroma_dir)
    if settings.chroma_url or key not in _embedded_identity:
        return False
    return _embedded_identity[key] != _file_identity(settings.chroma_dir / STORE_FILE)


def release_store(settings: Settings) -> None:
    """Forget the embedded store's open files (before it is moved aside or replaced)."""
    with _clients_lock:
        _forget_embedded(str(settings.chroma_dir))


def ingest_running(settings: Settings) -> bool:
    """Is an ingest writing the index right now (in any process)?

    An embedded Chroma store is written by one process at a time: a reader opening it afresh mid-write
    applies the writer's log itself and breaks the build, so the bot and health wait for the lock to go.
    """
    try:
        fh = open(settings.data_dir / INGEST_LOCK, "rb")
    except OSError:
        return False
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
    return False


def check_store_file(settings: Settings) -> None:
    """The embedded store's SQLite file passes SQLite's own quick check, or IndexCorrupt names the fix.

    Chroma meets a damaged file with raw errors deep in its Rust core (or an empty store over a truncated
    one); SQLite's quick_check reads every page in milliseconds and says plainly that the file is damaged.
    """
    if settings.chroma_url:
        return
    path = settings.chroma_dir / STORE_FILE
    if not path.exists():
        if settings.manifest_path.exists():
            raise IndexCorrupt(f"The store {path} is missing, but the index manifest points into it. Rebuild it with: {REBUILD_COMMAND}")
        return
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=settings.chroma_timeout_s)) as db:
            verdict = [row[0] for row in db.execute("PRAGMA quick_check(3)")]
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            return  # an ingest is committing: not damage
        raise IndexCorrupt(f"The store {path} is damaged ({exc}). Rebuild it with: {REBUILD_COMMAND}") from exc
    if verdict != ["ok"]:
        found = " ".join(" ".join(verdict).split())[:160]  # SQLite's findings span lines; the message is one
        raise IndexCorrupt(f"The store {path} is damaged (SQLite: {found}). Rebuild it with: {REBUILD_COMMAND}")


def open_client(settings: Settings) -> chromadb.ClientAPI:
    """Embedded store under data/ by default; a Chroma server when HAMSTRING_CHROMA_URL is set.

    A failure raises the HamstringBotError that names the fix (StoreUnreachable, IndexCorrupt, StoreUnwritable).
    """
    with _clients_lock:
        try:
            return _open_http(settings) if settings.chroma_url else _open_embedded(settings)
        except HamstringBotError:
            raise
        except Exception as exc:
            raise store_problem(exc, settings) from exc


def _open_embedded(settings: Settings) -> chromadb.ClientAPI:
    key = str(settings.chroma_dir)
    store_file = settings.chroma_dir / STORE_FILE
    if key in _embedded_identity and _embedded_identity[key] != _file_identity(store_file):
        _forget_embedded(key)  # the store was deleted, replaced or moved aside since this process opened it
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    try:
        client = chromadb.PersistentClient(path=key, settings=chromadb.config.Settings(anonymized_telemetry=False))
    except BaseException:
        _forget_embedded(key)  # Chroma caches a half-started system that would fail every later open
        raise
    _embedded_identity[key] = _file_identity(store_file)
    return client


def _open_http(settings: Settings) -> chromadb.ClientAPI:
    url = _server_url(settings)
    if url in _http_clients:
        return _http_clients[url]
    # Chroma's HTTP client waits forever (httpx timeout=None) and already calls the server while it is
    # built: a short heartbeat first, then the build in a thread we stop waiting for, then its timeouts.
    timeout = httpx.Timeout(settings.chroma_timeout_s, connect=min(2.0, settings.chroma_timeout_s))
    call_store(lambda: httpx.get(f"{url}/api/v2/heartbeat", timeout=timeout).raise_for_status(), settings)
    parsed = urlparse(url)
    built: dict = {}

    def build() -> None:
        try:
            built["client"] = chromadb.HttpClient(
                host=parsed.hostname or "localhost",
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                settings=chromadb.config.Settings(anonymized_telemetry=False),
            )
        except BaseException as exc:  # handed to the waiting caller
            built["error"] = exc

    worker = threading.Thread(target=build, name="chroma-connect", daemon=True)
    worker.start()
    worker.join(settings.chroma_timeout_s * 2)
    if worker.is_alive():
        raise store_problem(TimeoutError("building the client"), settings)
    if "error" in built:
        raise built["error"]
    client = built["client"]
    # chromadb 1.5.9 offers no timeout setting; its httpx session is the one place to put it.
    client._server._session.timeout = timeout
    _http_clients[url] = client
    return client


class BoundedChroma(Chroma):
    """LangChain's Chroma vector store whose searches go through `call_store`: bounded, retried, named."""

    def __init__(self, settings: Settings, **kwargs):
        self._store_settings = settings
        call_store(lambda: super(BoundedChroma, self).__init__(**kwargs), settings)

    def similarity_search_with_score(self, *args, **kwargs):
        return call_store(lambda: super(BoundedChroma, self).similarity_search_with_score(*args, **kwargs), self._store_settings)


def read_chunks(collection: chromadb.Collection, with_vectors: bool = False, record=Chunk):
    """Every record of a collection as Chunks (or Units, with `record=Unit`), and their vectors as float32
    rows when asked."""
    got = collection.get(include=["documents", "metadatas", *(["embeddings"] if with_vectors else [])])
    chunks = [record.from_record(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])]
    return (chunks, np.asarray(got["embeddings"], dtype=np.float32)) if with_vectors else chunks


def collection_names(generation: str) -> tuple[str, str, str]:
    return tuple(f"{COLLECTION_PREFIX}_{what}_{generation}" for what in ("chunks", "sentences", "units"))


def corpus_fingerprint(articles: list[Article], units_rules: str = "") -> str:
    """A hash of the whole corpus: any change to an article's text or front matter, or to the rules that cut
    and label its answer units (corpus/units.yaml), shows."""
    per_article = {
        a.id: hashlib.sha256(json.dumps(dataclasses.astuple(a)).encode("utf-8")).hexdigest()[:16]
        for a in sorted(articles, key=lambda a: a.id)
    }
    per_article["units.yaml"] = hashlib.sha256(units_rules.encode("utf-8")).hexdigest()[:16]
    return hashlib.sha256(json.dumps(per_article, sort_keys=True).encode()).hexdigest()[:16]


def units_rules_text(settings: Settings) -> str:
    """corpus/units.yaml as text ("" when a corpus has none), for the fingerprint."""
    return settings.units_path.read_text(encoding="utf-8") if settings.units_path.exists() else ""


def read_manifest(settings: Settings) -> Manifest | None:
    """The live manifest, None when no index was ever built; IndexCorrupt when unreadable."""
    path = settings.manifest_path
    if not path.exists():
        return None
    try:
        manifest = Manifest.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, ValidationError) as exc:
        raise IndexCorrupt(f"The index manifest {path} is unreadable ({exc.__class__.__name__}). Rebuild it with: {REBUILD_COMMAND}") from exc
    if manifest.format != MANIFEST_FORMAT:
        raise IndexStale(f"The index was built by another version (format {manifest.format}); rebuild it with: {BUILD_COMMAND}")
    return manifest


def open_live_collections(settings: Settings, expected_corpus_hash: str, expected_model: str, expected_chunker: str) -> LiveIndex:
    """The fresh live index, or the error that says what to run."""
    manifest = read_manifest(settings)
    if manifest is None:
        raise IndexMissing(f"No search index yet in {settings.data_dir}. Build it with: {BUILD_COMMAND}")
    check_store_file(settings)  # damage first: rebuilding for new articles would fail on it anyway
    if manifest.model != expected_model or manifest.chunker != expected_chunker:
        raise IndexStale(
            f"The index was built with model {manifest.model!r} / chunker {manifest.chunker!r}, "
            f"but the settings ask for {expected_model!r} / {expected_chunker!r}. Rebuild it with: {BUILD_COMMAND}"
        )
    if manifest.corpus_hash != expected_corpus_hash:
        raise IndexStale(f"The articles changed since the index was built. Update it with: {BUILD_COMMAND}")
    client = open_client(settings)
    chunks, sentences, units = (call_store(lambda n=name: client.get_collection(n), settings) for name in manifest.collections)
    counts = {what: call_store(c.count, settings) for what, c in (("chunks", chunks), ("sentences", sentences), ("units", units))}
    promised = {k: manifest.counts.get(k) for k in counts}
    if counts != promised:
        raise IndexCorrupt(
            f"The index in {settings.data_dir} holds {counts} but its manifest promises {promised}. "
            f"Rebuild it with: {REBUILD_COMMAND}"
        )
    return LiveIndex(manifest, client, chunks, sentences, units)


def chunker_signature(settings: Settings) -> str:
    return f"v{CHUNKER_VERSION}:{settings.chunk_chars}:{settings.chunk_overlap_sentences}"


def search_text(chunk: Chunk | Unit) -> str:
    """What is embedded and indexed for a passage or unit: its title and section, then its verbatim text.

    Headings such as "Prevention" say what a passage is about better than its sentences do.
    """
    if isinstance(chunk, Chunk) and chunk.kind == "sentence":
        return chunk.text
    return f"{chunk.title} › {chunk.section}\n{chunk.text}" if chunk.section else f"{chunk.title}\n{chunk.text}"


def open_fresh_index(settings: Settings, model: str) -> tuple[list[Article], LiveIndex]:
    """The corpus and the live index built from it with this model and chunker, or the error saying what to run."""
    articles = load_articles(settings.articles_dir, settings.max_article_bytes)
    fingerprint = corpus_fingerprint(articles, units_rules_text(settings))
    return articles, open_live_collections(settings, fingerprint, model, chunker_signature(settings))


def remedy_for(exc: HamstringBotError, settings: Settings) -> tuple[str, str]:
    """(state, remedy) of an index problem, for /api/health and the operator."""
    if isinstance(exc, StoreUnreachable):
        return "unreachable", f"start or unfreeze the Chroma server at {_server_url(settings)} (or unset HAMSTRING_CHROMA_URL); no rebuild needed"
    if isinstance(exc, StoreUnwritable):
        return "unwritable", f"free disk space or make {settings.data_dir} writable; the bot reopens the index by itself"
    if isinstance(exc, IndexCorrupt):
        return "damaged", REBUILD_COMMAND
    if isinstance(exc, IndexStale):
        return "stale", BUILD_COMMAND
    if isinstance(exc, IndexMissing):
        return "missing", BUILD_COMMAND
    return "broken", "fix what the reason names in corpus/, then run: " + BUILD_COMMAND


def index_status(settings: Settings, model: str | None = None) -> IndexStatus:
    """Is there a live index matching the corpus, model and chunker? Never raises for a bad index."""
    if ingest_running(settings):
        return IndexStatus(
            False, "An ingest is writing a new index; questions are answered from the previous one while it can be read.",
            state="building", remedy="wait for the ingest to finish; the bot picks the new index up by itself",
        )
    try:
        manifest = open_fresh_index(settings, model or model_label(settings))[1].manifest
    except HamstringBotError as exc:
        try:
            manifest = read_manifest(settings)
        except HamstringBotError:
            manifest = None
        state, remedy = remedy_for(exc, settings)
        return IndexStatus(
            False, str(exc), manifest.corpus_hash if manifest else None, manifest.model if manifest else None, state, remedy
        )
    return IndexStatus(True, "fresh", manifest.corpus_hash, manifest.model)


class StatusWatch:
    """The index status for a health check that must answer at once, whatever the store does.

    The check runs in one worker thread at a time; callers get the newest result without waiting (only the
    very first caller waits, up to `first_wait_s`). A check still running after the store's timeout is
    itself the answer: the store is not answering.
    """

    def __init__(self, check: Callable[[], IndexStatus], max_age_s: float = 2.0, stuck_after_s: float = 3.0, first_wait_s: float = 0.8):
        self._check, self.max_age_s, self.stuck_after_s, self.first_wait_s = check, max_age_s, stuck_after_s, first_wait_s
        self._lock = threading.Lock()
        self._last: IndexStatus | None = None
        self._checked_at = 0.0
        self._running_since: float | None = None
        self._done = threading.Event()

    def current(self) -> IndexStatus:
        now = time.monotonic()
        with self._lock:
            if self._running_since is None and (self._last is None or now - self._checked_at > self.max_age_s):
                self._running_since, self._done = now, threading.Event()
                threading.Thread(target=self._run, name="index-health", daemon=True).start()
            done, last = self._done, self._last
        if last is None:
            done.wait(self.first_wait_s)
        with self._lock:
            last, since = self._last, self._running_since
        busy = time.monotonic() - since if since is not None else 0.0
        if busy > self.stuck_after_s:
            return IndexStatus(
                False, f"The index store has not answered a health check for {busy:.0f} s.",
                last.corpus_hash if last else None, last.model if last else None, "unreachable",
                "check the Chroma server (or the disk holding the embedded store); the bot recovers by itself once it answers",
            )
        return last or IndexStatus(False, "The index is being checked; ask again in a moment.", state="checking")

    def _run(self) -> None:
        try:
            status = self._check()
        except Exception as exc:  # never let a check kill the watch: report it
            status = IndexStatus(False, f"The index check failed ({exc.__class__.__name__}: {exc})", state="broken")
        with self._lock:
            self._last, self._checked_at, self._running_since = status, time.monotonic(), None
            self._done.set()
