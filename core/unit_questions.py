"""The questions each answer unit answers (corpus/unit_questions.yaml), matched to the units and embedded.

A runner's question is closer in meaning to another question than to the paragraph that answers it, so the
planner also scores a unit by how close the question is to the questions that unit is known to answer.
Ingest checks every entry against the units it cuts and embeds the questions into a cache file beside the
index; the bot reads them from it when it loads (or embeds them itself when the cache is missing or stale).
"""

import hashlib
import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pydantic import Field

from core.errors import RulesError
from core.rulefile import RuleModel, load_rule_file
from core.types import Unit


class UnitAsks(RuleModel):
    source_id: str
    starts: str = Field(min_length=1)
    asks: list[str] = Field(default_factory=list)


class UnitQuestionsFile(RuleModel):
    version: int = 1
    units: list[UnitAsks]


def load_unit_questions(path: Path, units: list[Unit]) -> list[list[str]]:
    """Per unit (in the order given), the questions it answers; [] for units the file doesn't list.

    RulesError names every entry whose `starts` no unit starts with, so a re-cut unit is never silently
    left without its questions."""
    if not path.exists():
        return [[] for _ in units]
    rules = load_rule_file(path, UnitQuestionsFile)
    found: list[list[str]] = [[] for _ in units]
    problems = []
    for n, entry in enumerate(rules.units):
        matches = [i for i, u in enumerate(units) if u.source_id == entry.source_id and u.text.lstrip().startswith(entry.starts)]
        if len(matches) != 1:
            what = "no unit starts" if not matches else f"{len(matches)} units start"
            problems.append(f"{path}: units[{n}] ({entry.source_id}): {what} with {entry.starts!r}; quote the unit's first words exactly.")
            continue
        found[matches[0]] += [q.strip() for q in entry.asks if q.strip()]
    if problems:
        raise RulesError("\n".join(problems))
    return found


def ask_vectors(
    questions: list[list[str]], embed_documents: Callable[[list[str]], list], cache: Path | None = None, model: str = ""
) -> list[np.ndarray]:
    """Per unit, a (questions × dims) matrix of unit-length vectors (0 rows for a unit with none).

    With `cache`, vectors saved there for the same questions and `model` are used, and freshly embedded ones
    are saved (a cache that can't be read or written is only a slower load)."""
    flat = [q for qs in questions for q in qs]
    key = hashlib.sha256(json.dumps([model, flat]).encode("utf-8")).hexdigest()
    vectors = _read(cache, key, len(flat)) if cache else None
    if vectors is None:
        vectors = np.asarray(embed_documents(flat), dtype=np.float32) if flat else np.zeros((0, 1), dtype=np.float32)
        if len(flat):
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
        if cache:
            _write(cache, key, vectors)
    out, at = [], 0
    for qs in questions:
        out.append(vectors[at : at + len(qs)])
        at += len(qs)
    return out


def _read(cache: Path, key: str, rows: int) -> np.ndarray | None:
    try:
        with np.load(cache, allow_pickle=False) as saved:
            vectors = saved["vectors"]
            return vectors if str(saved["key"]) == key and vectors.shape[0] == rows else None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # missing, empty, truncated, not ours
        return None


def _write(cache: Path, key: str, vectors: np.ndarray) -> None:
    partial = cache.with_name(f".{cache.name}.{os.getpid()}.partial.npz")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(partial, key=np.array(key), vectors=vectors)
        os.replace(partial, cache)
    except OSError:
        partial.unlink(missing_ok=True)
