"""Ingest with a fake embedder and a real embedded Chroma: idempotent, incremental, all-or-nothing."""

import json

import pytest

from core.errors import CorpusError, IndexCorrupt, IndexMissing, IndexStale, RulesError
from core.index import open_client, open_live_collections, read_manifest
from core.index import chunker_signature, corpus_fingerprint, index_status
from core.unit_questions import ask_vectors, load_unit_questions
from ingest.pipeline import pieces, run_ingest
from core.corpus import load_articles
from core.settings import PROJECT_ROOT, Settings
from tests.conftest import write_article
from tests.fakes import WordEmbeddings

MODEL = "fake-words"


def ingest(settings, embedder=None, **kw):
    return run_ingest(settings, embedder or WordEmbeddings(), model=MODEL, progress=False, **kw)


def live(settings):
    return open_live_collections(settings, corpus_fingerprint(load_articles(settings.articles_dir)), MODEL, chunker_signature(settings))


def test_first_ingest_adds_everything_and_second_changes_nothing(tiny_settings):
    first = ingest(tiny_settings)
    assert first.rebuilt and first.added > 0 and first.removed == first.updated == 0
    manifest_before = read_manifest(tiny_settings)
    embedder = WordEmbeddings()
    second = ingest(tiny_settings, embedder)
    assert (second.added, second.updated, second.removed, second.unchanged) == (0, 0, 0, first.added)
    assert embedder.embedded == []
    assert read_manifest(tiny_settings) == manifest_before


def test_changed_article_re_embeds_only_what_changed(tiny_settings):
    ingest(tiny_settings)
    write_article(tiny_settings.articles_dir, "beta", "Beta Notes", "Strength", "Single-leg deadlifts build strong hamstrings. Nordic curls help too.")
    embedder = WordEmbeddings()
    summary = ingest(tiny_settings, embedder)
    assert summary.updated >= 1 and not summary.rebuilt
    assert "Nordic curls help too." in embedder.embedded
    assert "Hold each static stretch for 45 seconds after a run." not in embedder.embedded
    sentences = live(tiny_settings).sentences
    texts = sentences.get()["documents"]
    assert "Nordic curls help too." in texts and "Eccentric curls help too." not in texts


def test_removed_article_is_deleted_from_the_index(tiny_settings):
    ingest(tiny_settings)
    (tiny_settings.articles_dir / "beta.md").unlink()
    summary = ingest(tiny_settings)
    assert summary.removed > 0
    sentences = live(tiny_settings).sentences
    assert {m["source_id"] for m in sentences.get()["metadatas"]} == {"alpha"}


def test_the_live_and_previous_generations_are_kept_older_ones_dropped(tiny_settings):
    ingest(tiny_settings)
    first = read_manifest(tiny_settings)
    write_article(tiny_settings.articles_dir, "gamma", body="Foam rolling eases tight hamstrings before runs.")
    ingest(tiny_settings)
    second = read_manifest(tiny_settings)
    assert second.previous_collections == list(first.collections)
    write_article(tiny_settings.articles_dir, "delta", body="Eccentric curls strengthen hamstrings over weeks.")
    ingest(tiny_settings)
    third = read_manifest(tiny_settings)
    ingest(tiny_settings)  # nothing changed: nothing dropped either
    names = {c.name for c in open_client(tiny_settings).list_collections()}
    assert names == {*third.collections, *second.collections}


def test_invalid_corpus_leaves_the_index_untouched(tiny_settings):
    ingest(tiny_settings)
    before = read_manifest(tiny_settings)
    (tiny_settings.articles_dir / "broken.md").write_bytes(b"\x00")
    with pytest.raises(CorpusError, match="broken.md: binary file"):
        ingest(tiny_settings)
    assert read_manifest(tiny_settings) == before
    (tiny_settings.articles_dir / "broken.md").unlink()
    live(tiny_settings)  # the previous index still opens


def test_a_rule_file_quote_that_drifted_stops_before_anything_is_written(tiny_settings):
    rules = tiny_settings.corpus_dir / "conflicts.yaml"
    rules.write_text("topics:\n  - id: rest\n    positions:\n      - {source_id: alpha, quote: Rest for a month.}\n")
    with pytest.raises(CorpusError, match=r"conflicts.yaml: topics\[0\] \(rest\).positions\[0\]: quote not verbatim in alpha"):
        ingest(tiny_settings)
    assert read_manifest(tiny_settings) is None


class Interrupted(Exception):
    pass


class DiesHalfway(WordEmbeddings):
    def embed_documents(self, texts):
        if len(self.embedded) > 3:
            raise Interrupted
        return super().embed_documents(texts[:2]) + super().embed_documents(texts[2:]) if len(texts) > 2 else super().embed_documents(texts)


def test_an_interrupted_ingest_keeps_the_old_index_and_a_rerun_converges(tiny_settings):
    tiny_settings.embedding_batch_size = 2
    ingest(tiny_settings)
    before = read_manifest(tiny_settings)
    write_article(tiny_settings.articles_dir, "gamma", body="Foam rolling eases tight hamstrings. Massage helps. Heat helps later. Ice helps early.")
    with pytest.raises(Interrupted):
        ingest(tiny_settings, DiesHalfway())
    assert read_manifest(tiny_settings) == before  # readers still see the complete old index
    summary = ingest(tiny_settings)
    assert summary.added > 0
    again = ingest(tiny_settings)
    assert again.added == again.updated == again.removed == 0


def test_model_or_chunker_change_forces_a_full_rebuild(tiny_settings):
    ingest(tiny_settings)
    assert run_ingest(tiny_settings, WordEmbeddings(), model="another-model", progress=False).rebuilt
    tiny_settings.chunk_chars = 200
    assert run_ingest(tiny_settings, WordEmbeddings(), model="another-model", progress=False).rebuilt


def test_missing_stale_and_corrupt_indexes_say_what_to_run(tiny_settings):
    with pytest.raises(IndexMissing, match="make ingest"):
        live(tiny_settings)
    ingest(tiny_settings)
    write_article(tiny_settings.articles_dir, "alpha", body="Changed text about hamstrings.")
    with pytest.raises(IndexStale, match="articles changed"):
        live(tiny_settings)
    assert index_status(tiny_settings, model=MODEL).state == "stale"
    ingest(tiny_settings)
    tiny_settings.manifest_path.write_text("{ not json", encoding="utf-8")
    with pytest.raises(IndexCorrupt, match="unreadable"):
        live(tiny_settings)
    status = index_status(tiny_settings, model=MODEL)
    assert (status.fresh, status.state) == (False, "damaged")
    assert "--rebuild" in status.reason and "--rebuild" in status.remedy


def test_manifest_promising_more_than_the_store_holds_is_corrupt(tiny_settings):
    ingest(tiny_settings)
    data = json.loads(tiny_settings.manifest_path.read_text())
    data["counts"]["sentences"] += 5
    tiny_settings.manifest_path.write_text(json.dumps(data))
    with pytest.raises(IndexCorrupt, match="manifest promises.*--rebuild"):
        live(tiny_settings)
    status = index_status(tiny_settings, model=MODEL)
    assert status.state == "damaged" and "--rebuild" in status.remedy and "make ingest" not in status.remedy
    # A plain ingest no longer trusts the lying manifest either: it writes a generation that matches one.
    assert ingest(tiny_settings).rebuilt
    live(tiny_settings)


def test_a_unit_question_entry_that_matches_no_unit_stops_ingest_not_the_bot(tiny_settings):
    (tiny_settings.corpus_dir / "unit_questions.yaml").write_text(
        "units:\n  - {source_id: alpha, starts: Hold each dynamic stretch, asks: ['How long do I hold a stretch?']}\n"
    )
    with pytest.raises(RulesError, match=r"unit_questions.yaml: units\[0\] \(alpha\): no unit starts with 'Hold each dynamic stretch'"):
        ingest(tiny_settings)
    assert read_manifest(tiny_settings) is None


def test_ingest_embeds_the_unit_questions_so_loading_needs_not(tmp_path):
    settings = Settings(corpus_dir=PROJECT_ROOT / "corpus", data_dir=tmp_path / "data")
    ingest(settings)
    units = pieces(load_articles(settings.articles_dir), settings)[2]
    questions = load_unit_questions(settings.unit_questions_path, units)
    # what the bot does when it loads: the vectors are read, nothing is embedded
    vectors = ask_vectors(questions, lambda texts: pytest.fail("embedded at load"), settings.unit_questions_cache, MODEL)
    assert sum(len(v) for v in vectors) == sum(len(q) for q in questions) > 100
