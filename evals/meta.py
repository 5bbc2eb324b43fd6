"""Run metadata: which code, corpus, index, model, settings and sets produced a report, and against what target.

Recorded in every report so a result can be understood later and `evals compare` can say what changed between runs.
"""

import hashlib
import platform
import subprocess
import sys
from pathlib import Path

from core.corpus import load_articles
from core.embeddings import model_label
from core.errors import HamstringBotError
from core.index import corpus_fingerprint, read_manifest, units_rules_text
from core.settings import PROJECT_ROOT, Settings
from evals.results import RunMeta

# The settings that change what the bot answers (where it listens, CORS and storage paths do not).
ANSWER_SETTINGS = (
    "embedding_model", "chunk_chars", "chunk_overlap_sentences", "k_dense", "k_lexical", "k_passages", "rrf_k",
    "history_turns", "min_relevance", "scope_strong_relevance", "scope_moderate_relevance", "scope_min_coverage",
    "scope_max_foreign_share", "max_message_chars", "max_history_messages", "corpus_dir", "data_dir", "chroma_url",
)


def collect(settings: Settings, set_paths: list[Path], target: str, health: dict | None = None) -> RunMeta:
    """Everything knowable before the run starts; never raises (a missing git or index leaves its field None)."""
    commit, dirty = git_state(PROJECT_ROOT)
    in_process = target == "in-process"
    return RunMeta(
        commit=commit,
        dirty=dirty,
        corpus_version=_corpus_version(settings),
        rule_files={p.name: file_hash(p) for p in settings.rule_files},
        index_manifest=_manifest(settings) if in_process else None,
        embedding_model=model_label(settings) if in_process else (health or {}).get("model"),
        settings={name: _plain(getattr(settings, name)) for name in ANSWER_SETTINGS} if in_process else {},
        set_files={str(p): file_hash(p) for p in set_paths},
        target=target,
        health=health,
        python=platform.python_version(),
        command=["python", "-m", "evals", *sys.argv[1:]],
    )


def git_state(folder: Path) -> tuple[str | None, bool | None]:
    """(HEAD commit, whether tracked files differ from it); (None, None) outside a git checkout or without git."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return None, None
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=folder,
                                capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None, None
    return head.stdout.strip(), bool(status.stdout.strip()) if status.returncode == 0 else None


def file_hash(path: Path) -> str:
    """First 16 hex digits of the file's sha256: enough to tell two versions apart."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return "unreadable"


def _corpus_version(settings: Settings) -> str | None:
    try:
        return corpus_fingerprint(load_articles(settings.articles_dir, settings.max_article_bytes), units_rules_text(settings))
    except (HamstringBotError, OSError):
        return None


def _manifest(settings: Settings) -> dict | None:
    try:
        manifest = read_manifest(settings)
    except HamstringBotError:
        return None
    return manifest.model_dump(mode="json") if manifest else None


def _plain(value: object) -> object:
    return str(value) if isinstance(value, Path) else value
