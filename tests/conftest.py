"""Shared fixtures: tiny corpora made in tmp_path, and one real index (real model, real Chroma) per run."""

import shutil
from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT, Settings

ARTICLE = """---
id: {id}
title: {title}
seed: {id}.txt
---

# {title}

Intro sentence about hamstrings and running that is long enough.

## {heading}

{body}
"""


def write_article(folder: Path, id: str, title: str = "A Title", heading: str = "Section", body: str = "Rest is good for sore hamstrings after long runs.") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{id}.md"
    path.write_text(ARTICLE.format(id=id, title=title, heading=heading, body=body), encoding="utf-8")
    return path


@pytest.fixture
def tiny_settings(tmp_path) -> Settings:
    """Settings over a two-article corpus in tmp_path (no registries: for ingest and retrieval tests)."""
    corpus = tmp_path / "corpus"
    write_article(corpus / "articles", "alpha", "Alpha Guide", "Stretching", "Hold each static stretch for 45 seconds after a run. Never stretch before a workout.")
    write_article(corpus / "articles", "beta", "Beta Notes", "Strength", "Single-leg deadlifts build strong hamstrings. Eccentric curls help too.")
    return Settings(corpus_dir=corpus, data_dir=tmp_path / "data")


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory) -> Settings:
    """The project's real corpus, indexed once per test run with the real model into a private data dir."""
    from ingest import run_ingest

    settings = Settings(data_dir=tmp_path_factory.mktemp("real-index"))
    run_ingest(settings, progress=False)
    return settings


@pytest.fixture(scope="session")
def real_bot(real_settings):
    from bot.chain import Bot

    return Bot.load(real_settings)


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A writable copy of the project's corpus folder."""
    target = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", target)
    return target
