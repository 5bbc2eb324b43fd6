"""Writing the search index: a new generation of Chroma collections, made live by an atomic manifest swap.

The reading half (core/index.py) only ever sees a manifest that points at complete collections.
"""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from core.errors import HamstringBotError
from core.index import COLLECTION_PREFIX, INGEST_LOCK, Manifest, collection_names, release_store, store_problem
from core.settings import Settings
from core.types import Chunk, Unit

COSINE = {"hnsw": {"space": "cosine"}}
BATCH = 500  # records per Chroma add call


def write_generation(
    client, chunks: list[Chunk], sentences: list[Chunk], units: list[Unit], vectors: dict[str, list[float]]
) -> tuple[str, str, str, str]:
    """Fresh collections holding every passage, sentence and unit with its vector:
    (generation, chunks, sentences, units)."""
    generation = Manifest.new_generation()
    names = collection_names(generation)
    for name, items in zip(names, (chunks, sentences, units)):
        collection = client.create_collection(name, configuration=COSINE, embedding_function=None)
        for i in range(0, len(items), BATCH):
            part = items[i : i + BATCH]
            collection.add(
                ids=[c.id for c in part],
                documents=[c.text for c in part],
                metadatas=[c.metadata() for c in part],
                embeddings=[vectors[c.id] for c in part],
            )
    return generation, *names


def write_manifest(settings: Settings, manifest: Manifest) -> None:
    """Write to a temporary file, flush it to disk, then rename: the swap is all or nothing."""
    path = settings.manifest_path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(manifest.model_dump_json(indent=2))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def drop_orphans(client, keep: tuple[str, ...]) -> None:
    """Delete this project's collections that no manifest references any more."""
    for collection in client.list_collections():
        name = collection if isinstance(collection, str) else collection.name
        if name.startswith(COLLECTION_PREFIX + "_") and name not in keep:
            client.delete_collection(name)


def set_aside(settings: Settings) -> Path | None:
    """Move a damaged embedded store out of the way, kept for inspection: data/chroma → data/chroma.damaged-<UTC time>
    (None when there was no store folder left to move).

    A rename, not a copy: it is instant whatever the size, and needs no free space on a full disk.
    """
    release_store(settings)
    if not settings.chroma_dir.exists():
        return None
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = settings.chroma_dir.with_name(f"{settings.chroma_dir.name}.damaged-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = settings.chroma_dir.with_name(f"{settings.chroma_dir.name}.damaged-{stamp}-{n}")
    os.replace(settings.chroma_dir, target)
    return target


@contextmanager
def writing(settings: Settings) -> Iterator[None]:
    """Hold the ingest lock while the store is written (see core.index.ingest_running): one ingest at a time,
    and a serving bot keeps off the store until the new generation is live."""
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        fh = open(settings.data_dir / INGEST_LOCK, "a+b")
    except OSError as exc:  # a read-only or full disk: say so, with the fix
        raise store_problem(exc, settings) from exc
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise HamstringBotError(
                f"Another ingest is writing the index in {settings.data_dir} right now. Wait for it to finish, then run this again if still needed."
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
