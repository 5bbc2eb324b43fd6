"""`python -m ingest`: a corpus problem is one plain message, exit 2, and the index is not touched."""

import os
import subprocess
import sys


def run_ingest_cli(corpus_dir, data_dir, *args):
    env = {**os.environ, "HAMSTRING_CORPUS_DIR": str(corpus_dir), "HAMSTRING_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "ingest", *args], capture_output=True, text=True, env=env, timeout=120)


def test_a_broken_article_stops_ingest_with_a_plain_message(corpus_copy, tmp_path):
    (corpus_copy / "articles" / "notes.md").write_bytes(b"\xff\xfe not utf-8")
    out = run_ingest_cli(corpus_copy, tmp_path / "data")
    assert out.returncode == 2
    assert "ingest failed, index left as it was" in out.stderr
    assert "notes.md: not UTF-8" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "data" / "index-manifest.json").exists()


def test_a_registry_quote_that_no_longer_matches_fails_loudly(corpus_copy, tmp_path):
    article = corpus_copy / "articles" / "fitzgerald-tight-hamstrings.md"
    article.write_text(article.read_text(encoding="utf-8").replace("static stretching makes them worse", "static stretching helps"), encoding="utf-8")
    out = run_ingest_cli(corpus_copy, tmp_path / "data")
    assert out.returncode == 2
    assert "fitzgerald-tight-hamstrings" in out.stderr and "Traceback" not in out.stderr
