"""Articles → sentences and passages → embeddings → Chroma, incrementally and all-or-nothing.

Unchanged pieces (same content hash) reuse their stored vectors; only new text is embedded.
"""

import sys
import time
from dataclasses import dataclass

from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from bot.errors import HamstringBotError
from bot.settings import Settings
from bot.types import Article, Chunk
from ingest.chunking import CHUNKER_VERSION, chunk_article, search_text, split_sentences
from ingest.corpus import load_articles
from ingest.index import (
    COLLECTION_PREFIX,
    IndexStatus,
    LiveIndex,
    Manifest,
    collection_names,
    corpus_fingerprint,
    open_client,
    open_live_collections,
    read_manifest,
    write_manifest,
)

COSINE = {"hnsw": {"space": "cosine"}}


@dataclass
class IngestSummary:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    rebuilt: bool = False
    articles: int = 0

    def line(self) -> str:
        what = "rebuilt" if self.rebuilt else "updated"
        return (
            f"Index {what}: {self.articles} articles; added {self.added}, updated {self.updated}, "
            f"removed {self.removed}, unchanged {self.unchanged} ({self.seconds:.1f} s)."
        )


def chunker_signature(settings: Settings) -> str:
    return f"v{CHUNKER_VERSION}:{settings.chunk_chars}:{settings.chunk_overlap_sentences}"


def pieces(articles: list[Article], settings: Settings) -> tuple[list[Chunk], list[Chunk]]:
    """All passages and all sentences of the corpus."""
    chunks, sentences = [], []
    for article in articles:
        article_sentences = split_sentences(article)
        sentences += article_sentences
        chunks += chunk_article(article, article_sentences, settings.chunk_chars, settings.chunk_overlap_sentences)
    return chunks, sentences


def open_fresh_index(settings: Settings, model: str) -> tuple[list[Article], LiveIndex]:
    """The corpus and the live index built from it with this model and chunker, or the error saying what to run."""
    articles = load_articles(settings.articles_dir, settings.max_article_bytes)
    corpus_hash, _ = corpus_fingerprint(articles)
    return articles, open_live_collections(settings, corpus_hash, model, chunker_signature(settings))


def index_status(settings: Settings, model: str | None = None) -> IndexStatus:
    """Is there a live index matching the corpus, model and chunker? Never raises for a bad index."""
    from bot.embeddings import model_label

    try:
        manifest = open_fresh_index(settings, model or model_label(settings))[1].manifest
    except HamstringBotError as exc:
        manifest = _quiet_manifest(settings)
        return IndexStatus(False, str(exc), manifest.corpus_hash if manifest else None, manifest.model if manifest else None)
    return IndexStatus(True, "fresh", manifest.corpus_hash, manifest.model)


def _quiet_manifest(settings: Settings) -> Manifest | None:
    try:
        return read_manifest(settings)
    except HamstringBotError:
        return None


def run_ingest(
    settings: Settings,
    embeddings: Embeddings | None = None,
    *,
    model: str | None = None,
    rebuild: bool = False,
    progress: bool | None = None,
    checks=(),
) -> IngestSummary:
    """Bring the index in line with the corpus. Validation failures raise before anything is touched.

    `checks` are callables taking the articles (e.g. the conflict registry's quote check); any that
    raises stops the ingest with the index untouched.
    """
    from bot.embeddings import load_embeddings, model_label

    started = time.perf_counter()
    articles = load_articles(settings.articles_dir, settings.max_article_bytes)
    for check in checks:
        check(articles)
    model = model or model_label(settings)
    corpus_hash, article_hashes = corpus_fingerprint(articles)
    chunks, sentences = pieces(articles, settings)
    summary = IngestSummary(articles=len(articles))

    client = open_client(settings)
    try:
        previous = read_manifest(settings)
    except HamstringBotError:
        previous = None  # unreadable manifest: rebuild from scratch
    full = rebuild or previous is None or previous.model != model or previous.chunker != chunker_signature(settings)
    summary.rebuilt = full

    old_vectors: dict[str, list[float]] = {}
    old_positions: dict[tuple, str] = {}
    if not full:
        try:
            for name in (previous.chunks_collection, previous.sentences_collection):
                got = client.get_collection(name).get(include=["embeddings", "metadatas"])
                for cid, vec, meta in zip(got["ids"], got["embeddings"], got["metadatas"]):
                    old_vectors[cid] = list(vec)
                    old_positions[(meta["kind"], meta["source_id"], meta["order"])] = cid
        except Exception:
            full = summary.rebuilt = True  # the live collections are gone or damaged
            old_vectors.clear()
            old_positions.clear()

    everything = chunks + sentences
    new_ids = {c.id for c in everything}
    if not full and previous.corpus_hash == corpus_hash and new_ids == set(old_vectors):
        summary.unchanged = len(everything)
        _drop_orphans(client, keep=(previous.chunks_collection, previous.sentences_collection, *previous.previous_collections))
        summary.seconds = time.perf_counter() - started
        return summary

    to_embed = [c for c in everything if c.id not in old_vectors]
    summary.unchanged = len(everything) - len(to_embed)
    replaced = {old_positions.get((c.kind, c.source_id, c.order)) for c in to_embed} - {None} - new_ids
    summary.updated = len(replaced)
    summary.added = len(to_embed) - summary.updated
    summary.removed = len(set(old_vectors) - new_ids) - summary.updated

    vectors = dict(old_vectors)
    if to_embed:
        embeddings = embeddings or load_embeddings(settings)
        show = sys.stderr.isatty() if progress is None else progress
        batch = settings.embedding_batch_size
        bar = tqdm(total=len(to_embed), desc="Embedding", unit="text", disable=not show)
        for i in range(0, len(to_embed), batch):
            part = to_embed[i : i + batch]
            for c, vec in zip(part, embeddings.embed_documents([search_text(c) for c in part])):
                vectors[c.id] = vec
            bar.update(len(part))
        bar.close()

    replaced_collections = [previous.chunks_collection, previous.sentences_collection] if previous else []
    generation = Manifest.new_generation()
    chunks_name, sentences_name = collection_names(generation)
    for name, items in ((chunks_name, chunks), (sentences_name, sentences)):
        collection = client.create_collection(name, configuration=COSINE, embedding_function=None)
        for i in range(0, len(items), 500):
            part = items[i : i + 500]
            collection.add(
                ids=[c.id for c in part],
                documents=[c.text for c in part],
                metadatas=[c.metadata() for c in part],
                embeddings=[vectors[c.id] for c in part],
            )
    write_manifest(
        settings,
        Manifest(
            generation=generation,
            corpus_hash=corpus_hash,
            article_hashes=article_hashes,
            model=model,
            chunker=chunker_signature(settings),
            chunks_collection=chunks_name,
            sentences_collection=sentences_name,
            counts={"chunks": len(chunks), "sentences": len(sentences), "articles": len(articles)},
            created=Manifest.new_generation(),
            previous_collections=replaced_collections,
        ),
    )
    # Only now is the generation before the previous one unreferenced; removing it (and any left by a
    # crashed run) is safe.
    _drop_orphans(client, keep=(chunks_name, sentences_name, *replaced_collections))
    summary.seconds = time.perf_counter() - started
    return summary


def _drop_orphans(client, keep: tuple[str, ...]) -> None:
    for collection in client.list_collections():
        name = collection if isinstance(collection, str) else collection.name
        if name.startswith(COLLECTION_PREFIX + "_") and name not in keep:
            client.delete_collection(name)


def ensure_index(settings: Settings, progress: bool | None = None) -> IngestSummary | None:
    """Build or update the index when it is missing or stale; None when it was already fresh."""
    if index_status(settings).fresh:
        return None
    return run_ingest(settings, progress=progress)
