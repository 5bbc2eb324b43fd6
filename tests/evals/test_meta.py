"""Run metadata: the commit and dirty flag, corpus and index, model, answer settings and set hashes."""

import subprocess
from pathlib import Path

from core.settings import Settings
from evals.meta import ANSWER_SETTINGS, collect, file_hash, git_state


def _git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=folder, check=True, capture_output=True)


def test_git_state_reads_commit_and_dirty_flag(tmp_path):
    assert git_state(tmp_path) == (None, None)  # not a checkout
    _git(tmp_path, "init", "-q")
    (tmp_path / "f.txt").write_text("one")
    _git(tmp_path, "add", "f.txt")
    _git(tmp_path, "commit", "-qm", "first")
    commit, dirty = git_state(tmp_path)
    assert len(commit) == 40 and dirty is False
    (tmp_path / "f.txt").write_text("two")
    assert git_state(tmp_path) == (commit, True)
    (tmp_path / "untracked.txt").write_text("new")  # an untracked file (a report folder, say) is not a change
    _git(tmp_path, "checkout", "-q", "f.txt")
    assert git_state(tmp_path) == (commit, False)


def test_collect_in_process_records_corpus_settings_and_sets(corpus_dir, tmp_path, write_set):
    settings = Settings(corpus_dir=corpus_dir, data_dir=tmp_path / "data", min_relevance=0.42)
    qset = write_set("s.yaml", "name: s\n")
    meta = collect(settings, [qset], "in-process")
    assert meta.target == "in-process" and meta.health is None
    assert meta.corpus_version and len(meta.corpus_version) == 16
    assert meta.index_manifest is None  # no index built in data_dir
    assert set(meta.settings) == set(ANSWER_SETTINGS) and meta.settings["min_relevance"] == 0.42
    assert meta.set_files == {str(qset): file_hash(qset)} and len(file_hash(qset)) == 16
    assert meta.embedding_model.startswith("sentence-transformers/all-MiniLM-L6-v2")
    # Another article text is another corpus version.
    (corpus_dir / "articles" / "beta.md").write_text((corpus_dir / "articles" / "beta.md").read_text() + "\nMore.\n")
    assert collect(settings, [qset], "in-process").corpus_version != meta.corpus_version


def test_collect_for_a_server_keeps_its_health_not_local_settings(corpus_dir, tmp_path):
    health = {"status": "ok", "corpus_version": "abc", "model": "m"}
    meta = collect(Settings(corpus_dir=corpus_dir, data_dir=tmp_path), [], "http://127.0.0.1:1", health)
    assert meta.health == health and meta.embedding_model == "m" and meta.settings == {} and meta.index_manifest is None
