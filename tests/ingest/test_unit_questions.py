"""The questions each unit answers: matched to units by their first words, embedded, and used by the planner."""

import numpy as np
import pytest

from core.unit_questions import ask_vectors, load_unit_questions
from core.corpus import load_articles
from core.errors import RulesError
from core.settings import Settings
from core.types import Unit
from ingest.pipeline import pieces
from tests.fakes import WordEmbeddings


def _unit(source_id: str, text: str) -> Unit:
    return Unit(
        id=text[:8], source_id=source_id, title="t", section=None, text=text, start=0, end=len(text), order=0,
        form="paragraph", kind="advice", situations=("any",),
    )


UNITS = [_unit("a", "Ice the area for ten minutes."), _unit("a", "Rest for a week."), _unit("b", "Ice is not for everyone.")]


def test_questions_attach_to_the_unit_that_starts_with_the_given_words(tmp_path):
    path = tmp_path / "unit_questions.yaml"
    path.write_text(
        "units:\n"
        "  - {source_id: a, starts: 'Ice the area', asks: ['Should I ice it?', '  ']}\n"
        "  - {source_id: b, starts: Ice is, asks: ['Does ice help everyone?']}\n",
        encoding="utf-8",
    )
    assert load_unit_questions(path, UNITS) == [["Should I ice it?"], [], ["Does ice help everyone?"]]


def test_an_entry_matching_no_unit_is_an_error_naming_it(tmp_path):
    path = tmp_path / "unit_questions.yaml"
    path.write_text("units:\n  - {source_id: a, starts: Ice the arena, asks: [x]}\n  - {source_id: c, starts: Rest, asks: [y]}\n", encoding="utf-8")
    with pytest.raises(RulesError) as err:
        load_unit_questions(path, UNITS)
    assert "units[0] (a): no unit starts with 'Ice the arena'" in str(err.value)
    assert "units[1] (c)" in str(err.value)


def test_a_misspelt_key_is_an_error(tmp_path):
    path = tmp_path / "unit_questions.yaml"
    path.write_text("units:\n  - {source_id: a, starts: Ice, askz: [x]}\n", encoding="utf-8")
    with pytest.raises(RulesError, match="askz"):
        load_unit_questions(path, UNITS)


def test_no_file_means_no_questions(tmp_path):
    assert load_unit_questions(tmp_path / "missing.yaml", UNITS) == [[], [], []]


def test_vectors_are_grouped_per_unit_and_unit_length():
    vectors = ask_vectors([["Should I ice it?", "Is ice good?"], [], ["Does ice help?"]], WordEmbeddings(dims=64).embed_documents)
    assert [len(v) for v in vectors] == [2, 0, 1]
    assert np.allclose(np.linalg.norm(vectors[0], axis=1), 1.0)


def test_every_entry_of_the_reviewed_file_matches_exactly_one_unit_of_the_articles():
    settings = Settings()
    _, _, units = pieces(load_articles(settings.articles_dir), settings)
    questions = load_unit_questions(settings.unit_questions_path, units)  # raises naming any entry that drifted
    assert settings.unit_questions_path.exists()
    said = [u for u, qs in zip(units, questions) if u.kind not in ("story", "promotion", "signpost")]
    assert sum(1 for u, qs in zip(units, questions) if qs) >= 0.9 * len(said)


def test_vectors_are_read_from_the_cache_when_the_questions_and_model_are_the_same(tmp_path):
    cache, calls = tmp_path / "unit-questions.npz", []

    def embed(texts):
        calls.append(list(texts))
        return WordEmbeddings().embed_documents(texts)

    first = ask_vectors([["how do I stretch?"], []], embed, cache, "model-a")
    again = ask_vectors([["how do I stretch?"], []], embed, cache, "model-a")
    assert len(calls) == 1 and np.array_equal(first[0], again[0])
    ask_vectors([["how do I stretch it?"], []], embed, cache, "model-a")  # a question edited
    ask_vectors([["how do I stretch it?"], []], embed, cache, "model-b")  # another model
    assert len(calls) == 3


@pytest.mark.parametrize("damage", ["not a numpy file", "empty", "truncated"])
def test_a_damaged_cache_is_only_a_slower_load(tmp_path, damage):
    cache = tmp_path / "unit-questions.npz"
    ask_vectors([["how do I stretch?"]], WordEmbeddings().embed_documents, cache, "model-a")
    saved = cache.read_bytes()
    cache.write_bytes({"not a numpy file": b"not a numpy file", "empty": b"", "truncated": saved[: len(saved) // 2]}[damage])
    vectors = ask_vectors([["how do I stretch?"]], WordEmbeddings().embed_documents, cache, "model-a")
    assert vectors[0].shape[0] == 1
    assert len(ask_vectors([["how do I stretch?"]], lambda texts: pytest.fail("embedded again"), cache, "model-a")[0]) == 1
