"""Reading the search index: Chroma collections plus a manifest that says which ones are live and fresh.

Ingest (the writing half, ingest/store.py) fills fresh collections and only then swaps the manifest, so a
reader never sees a half-written index and an interrupted ingest leaves the previous one in place.
"""

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlparse

import chromadb
import numpy as np
from pydantic import BaseModel, ValidationError

from core.embeddings import model_label
from core.errors import HamstringBotError, IndexCorrupt, IndexMissing, IndexStale
from core.corpus import load_articles
from core.settings import Settings
from core.types import Article, Chunk, Unit

MANIFEST_FORMAT = 2  # 2: answer units in their own collection
# Bump when ingest/chunking.py changes how text is cut: the manifest records it, and a change forces a rebuild.
CHUNKER_VERSION = "4"
COLLECTION_PREFIX = "hamstring"
BUILD_COMMAND = "make ingest  (or: .venv/bin/hamstring-ingest)"


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


def open_client(settings: Settings) -> chromadb.ClientAPI:
    """Embedded store under data/ by default; a Chroma server when HAMSTRING_CHROMA_URL is set."""
    chroma_settings = chromadb.config.Settings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "localhost",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


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
        raise IndexCorrupt(f"The index manifest {path} is unreadable ({exc.__class__.__name__}); rebuild it with: {BUILD_COMMAND}") from exc
    if manifest.format != MANIFEST_FORMAT:
        raise IndexStale(f"The index was built by another version (format {manifest.format}); rebuild it with: {BUILD_COMMAND}")
    return manifest


def open_live_collections(settings: Settings, expected_corpus_hash: str, expected_model: str, expected_chunker: str) -> LiveIndex:
    """The fresh live index, or the error that says what to run."""
    manifest = read_manifest(settings)
    if manifest is None:
        raise IndexMissing(f"No search index yet in {settings.data_dir}. Build it with: {BUILD_COMMAND}")
    if manifest.model != expected_model or manifest.chunker != expected_chunker:
        raise IndexStale(
            f"The index was built with model {manifest.model!r} / chunker {manifest.chunker!r}, "
            f"but the settings ask for {expected_model!r} / {expected_chunker!r}. Rebuild it with: {BUILD_COMMAND}"
        )
    if manifest.corpus_hash != expected_corpus_hash:
        raise IndexStale(f"The articles changed since the index was built. Update it with: {BUILD_COMMAND}")
    try:
        client = open_client(settings)
        chunks = client.get_collection(manifest.chunks_collection)
        sentences = client.get_collection(manifest.sentences_collection)
        units = client.get_collection(manifest.units_collection)
        counts = {"chunks": chunks.count(), "sentences": sentences.count(), "units": units.count()}
    except Exception as exc:  # chromadb raises NotFoundError, ValueError, sqlite errors… for a damaged store
        raise IndexCorrupt(
            f"The index in {settings.data_dir} is damaged or incomplete ({exc.__class__.__name__}). Rebuild it with: {BUILD_COMMAND}"
        ) from exc
    promised = {k: manifest.counts.get(k) for k in counts}
    if counts != promised:
        raise IndexCorrupt(
            f"The index in {settings.data_dir} holds {counts} but its manifest promises {promised}. "
            f"Rebuild it with: {BUILD_COMMAND}"
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


def index_status(settings: Settings, model: str | None = None) -> IndexStatus:
    """Is there a live index matching the corpus, model and chunker? Never raises for a bad index."""
    try:
        manifest = open_fresh_index(settings, model or model_label(settings))[1].manifest
    except HamstringBotError as exc:
        try:
            manifest = read_manifest(settings)
        except HamstringBotError:
            manifest = None
        return IndexStatus(False, str(exc), manifest.corpus_hash if manifest else None, manifest.model if manifest else None)
    return IndexStatus(True, "fresh", manifest.corpus_hash, manifest.model)
