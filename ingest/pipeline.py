"""Articles → sentences and passages → embeddings → Chroma, incrementally and all-or-nothing.

Four phases: read the corpus, plan what can be reused, embed only new text, write a new generation and swap.
"""

import functools
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from core.corpus import load_articles
from core.embeddings import load_embeddings, model_label
from core.errors import HamstringBotError, IndexCorrupt
from core.index import (
    Manifest,
    call_store,
    check_store_file,
    chunker_signature,
    corpus_fingerprint,
    index_status,
    open_client,
    read_manifest,
    search_text,
    store_problem,
    units_rules_text,
)
from core.rulefile import verify_quotes
from core.settings import Settings
from core.types import Article, Chunk, Unit
from core.unit_questions import ask_vectors, load_unit_questions
from ingest.chunking import chunk_article, split_sentences
from ingest.units import article_units, load_unit_rules
from ingest.store import drop_orphans, set_aside, write_generation, write_manifest, writing


@dataclass
class IngestSummary:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    rebuilt: bool = False
    articles: int = 0
    set_aside: Path | None = None  # where a damaged store was moved, kept for inspection

    def line(self) -> str:
        what = "rebuilt" if self.rebuilt else "updated"
        kept = f" The damaged store was moved to {self.set_aside} (delete it when no longer needed)." if self.set_aside else ""
        return (
            f"Index {what}: {self.articles} articles; added {self.added}, updated {self.updated}, "
            f"removed {self.removed}, unchanged {self.unchanged} ({self.seconds:.1f} s).{kept}"
        )


@dataclass
class Plan:
    """What the live index already holds that this ingest can reuse."""

    full: bool  # rebuild everything: no usable previous generation, or another model or chunker
    previous: Manifest | None
    vectors: dict[str, list[float]] = field(default_factory=dict)  # piece id → stored vector
    positions: dict[tuple, str] = field(default_factory=dict)  # (kind, source, order) → id, to count updates


def pieces(articles: list[Article], settings: Settings) -> tuple[list[Chunk], list[Chunk], list[Unit]]:
    """All passages, sentences and answer units of the corpus (units only where corpus/units.yaml exists)."""
    chunks, sentences, units = [], [], []
    rules = load_unit_rules(settings.units_path) if settings.units_path.exists() else None
    for article in articles:
        article_sentences = split_sentences(article)
        sentences += article_sentences
        chunks += chunk_article(article, article_sentences, settings.chunk_chars, settings.chunk_overlap_sentences)
        if rules:
            units += article_units(article, rules, settings.units_path)
    return chunks, sentences, units


def plan(client, settings: Settings, model: str, rebuild: bool) -> Plan:
    try:
        previous = read_manifest(settings)
    except HamstringBotError:
        previous = None  # unreadable manifest: rebuild from scratch
    if rebuild or previous is None or previous.model != model or previous.chunker != chunker_signature(settings):
        return Plan(full=True, previous=previous)
    reuse = Plan(full=False, previous=previous)
    try:
        for what, name, count in (
            ("chunk", previous.chunks_collection, "chunks"),
            ("sentence", previous.sentences_collection, "sentences"),
            ("unit", previous.units_collection, "units"),
        ):
            got = call_store(lambda n=name: client.get_collection(n).get(include=["embeddings", "metadatas"]), settings)
            if len(got["ids"]) != previous.counts.get(count):
                return Plan(full=True, previous=previous)  # the live generation is not what its manifest says
            for cid, vec, meta in zip(got["ids"], got["embeddings"], got["metadatas"]):
                reuse.vectors[cid] = list(vec)
                reuse.positions[(what, meta["source_id"], meta["order"])] = cid
    except IndexCorrupt:  # the live collections are gone or damaged: nothing to reuse
        return Plan(full=True, previous=previous)
    return reuse


def open_store(settings: Settings, rebuild: bool) -> tuple[object, Path | None]:
    """The store to write to, and where a damaged one was moved. Without --rebuild a damaged store stops
    ingest with the command that fixes it; with it, the damaged store is moved aside (kept) and a new one made."""
    try:
        check_store_file(settings)
        client = open_client(settings)
        call_store(client.list_collections, settings)  # a store that opens can still fail on its first read
        return client, None
    except IndexCorrupt:
        if not rebuild or settings.chroma_url:
            raise
    moved = set_aside(settings)
    return open_client(settings), moved


def embed(to_embed: list[Chunk], embeddings: Embeddings, batch: int, progress: bool) -> dict[str, list[float]]:
    vectors = {}
    with tqdm(total=len(to_embed), desc="Embedding", unit="text", disable=not progress) as bar:
        for i in range(0, len(to_embed), batch):
            part = to_embed[i : i + batch]
            for c, vec in zip(part, embeddings.embed_documents([search_text(c) for c in part])):
                vectors[c.id] = vec
            bar.update(len(part))
    return vectors


def run_ingest(
    settings: Settings,
    embeddings: Embeddings | None = None,
    *,
    model: str | None = None,
    rebuild: bool = False,
    progress: bool | None = None,
) -> IngestSummary:
    """Bring the index in line with the corpus. Validation failures raise before anything is touched:
    the articles, every article quote in the reviewed rule files (corpus/*.yaml), and every entry of
    corpus/unit_questions.yaml against the units cut. The store is written
    under the ingest lock (ingest.store.writing)."""
    started = time.perf_counter()
    articles = load_articles(settings.articles_dir, settings.max_article_bytes)
    verify_quotes(settings.rule_files, articles)
    model = model or model_label(settings)
    chunks, sentences, units = pieces(articles, settings)
    model_of = functools.cache(lambda: embeddings or load_embeddings(settings))  # loaded once, when something needs embedding
    # an entry no unit starts with stops ingest, not the bot; the questions are embedded now, so loading is quick
    questions = load_unit_questions(settings.unit_questions_path, units)
    ask_vectors(questions, lambda texts: model_of().embed_documents(texts), settings.unit_questions_cache, model)
    fingerprint = corpus_fingerprint(articles, units_rules_text(settings))
    everything = [*chunks, *sentences, *units]
    new_ids = {c.id for c in everything}
    summary = IngestSummary(articles=len(articles))

    with writing(settings):
        client, summary.set_aside = open_store(settings, rebuild)
        reuse = plan(client, settings, model, rebuild)
        previous = reuse.previous
        summary.rebuilt = reuse.full
        if not reuse.full and previous.corpus_hash == fingerprint and new_ids == set(reuse.vectors):
            summary.unchanged = len(everything)
            call_store(lambda: drop_orphans(client, keep=(*previous.collections, *previous.previous_collections)), settings)
            summary.seconds = time.perf_counter() - started
            return summary

        to_embed = [c for c in everything if c.id not in reuse.vectors]
        summary.unchanged = len(everything) - len(to_embed)
        replaced = {reuse.positions.get((_what(c), c.source_id, c.order)) for c in to_embed} - {None} - new_ids
        summary.updated = len(replaced)
        summary.added = len(to_embed) - summary.updated
        summary.removed = len(set(reuse.vectors) - new_ids) - summary.updated

        vectors = dict(reuse.vectors)
        if to_embed:
            show = sys.stderr.isatty() if progress is None else progress
            vectors |= embed(to_embed, model_of(), settings.embedding_batch_size, show)

        # A moved-aside store took the previous generation with it: nothing there is left to keep.
        replaced_collections = list(previous.collections) if previous and not summary.set_aside else []
        try:
            generation, *names = write_generation(client, chunks, sentences, units, vectors)
            write_manifest(
                settings,
                Manifest(
                    generation=generation,
                    corpus_hash=fingerprint,
                    model=model,
                    chunker=chunker_signature(settings),
                    chunks_collection=names[0],
                    sentences_collection=names[1],
                    units_collection=names[2],
                    counts={"chunks": len(chunks), "sentences": len(sentences), "units": len(units), "articles": len(articles)},
                    created=Manifest.new_generation(),
                    previous_collections=replaced_collections,
                ),
            )
        except HamstringBotError:
            raise
        except Exception as exc:  # a full disk, a read-only folder, a store that broke while written
            raise store_problem(exc, settings) from exc
        # Only now is the generation before the previous one unreferenced; removing it (and any left by a
        # crashed run) is safe.
        call_store(lambda: drop_orphans(client, keep=(*names, *replaced_collections)), settings)
    summary.seconds = time.perf_counter() - started
    return summary


def _what(piece: Chunk | Unit) -> str:
    return piece.kind if isinstance(piece, Chunk) else "unit"


def ensure_index(settings: Settings, progress: bool | None = None) -> IngestSummary | None:
    """Build or update the index when it is missing or stale; None when it was already fresh."""
    if index_status(settings).fresh:
        return None
    return run_ingest(settings, progress=progress)
