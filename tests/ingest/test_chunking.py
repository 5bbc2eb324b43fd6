"""Chunking: whole sentences, never across a section, exact spans, content-hash ids."""

from core.types import Article
from core.index import search_text
from ingest.chunking import chunk_article, split_sentences

BODY = """# Guide

Opening words that belong to no section at all.

## Stretching

Hold a static stretch for 45 seconds. Do it after a run. Never before a workout.

Ideal moves include:

- Single-leg deadlift
- Glute bridges

## Strength

Strength work matters. Build it gradually over weeks.
"""


def article(body: str = BODY) -> Article:
    return Article(id="guide", title="Guide", body=body, seed="guide.txt")


def test_sentences_are_exact_spans_with_their_section():
    sentences = split_sentences(article())
    assert [s.text for s in sentences][:4] == [
        "Opening words that belong to no section at all.",
        "Hold a static stretch for 45 seconds.",
        "Do it after a run.",
        "Never before a workout.",
    ]
    assert all(BODY[s.start : s.end] == s.text for s in sentences)
    assert "Single-leg deadlift" in [s.text for s in sentences]  # list items, without their marker
    assert {s.section for s in sentences} == {None, "Stretching", "Strength"}


def test_chunks_never_cross_a_section_and_overlap_by_one_sentence():
    a = article()
    chunks = chunk_article(a, split_sentences(a), chunk_chars=60, overlap=1)
    for c in chunks:
        assert a.body[c.start : c.end] == c.text
        assert "##" not in c.text
    stretching = [c for c in chunks if c.section == "Stretching"]
    assert len(stretching) >= 2
    first_last_sentence = stretching[0].text.split(". ")[-1]
    assert stretching[1].text.startswith(first_last_sentence.rstrip("."))


def test_ids_depend_on_content_not_on_position():
    a = article()
    before = {c.text: c.id for c in split_sentences(a)}
    b = article(BODY.replace("Opening words", "New opening words"))
    after = {c.text: c.id for c in split_sentences(b)}
    assert before["Strength work matters."] == after["Strength work matters."]
    assert "New opening words that belong to no section at all." in after


def test_repeated_sentences_get_distinct_ids():
    a = article(BODY.replace("Strength work matters.", "Strength work matters. Strength work matters."))
    ids = [c.id for c in split_sentences(a)]
    assert len(ids) == len(set(ids))


def test_passages_are_searched_with_their_title_and_section():
    a = article()
    chunk = chunk_article(a, split_sentences(a), 700, 1)[1]
    assert search_text(chunk).startswith("Guide › Stretching\n")
    assert search_text(chunk).endswith(chunk.text)
