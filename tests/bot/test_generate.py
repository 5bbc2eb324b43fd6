"""The extractive generator and citation numbering, over a hand-made sentence bank."""

import numpy as np

from bot.generate import ExtractiveGenerator, Request, SentenceBank
from bot.assemble import CitationBook
from core.markdown import inline
from core.types import Article, Chunk, Passage
from ingest.chunking import chunk_article, split_sentences
from tests.fakes import WordEmbeddings

BODY = """# Guide

## Stretching

Hold each static stretch for 45 to 60 seconds after a run. It should never hurt while you hold it. Sounds great?

Ideal hamstring strength exercises include:

- Single-leg deadlift
- Glute bridges

## Rest

Rest from running lets a strained hamstring heal before you load it again.
"""
ARTICLE = Article(id="guide", title="Guide", body=BODY, seed="g.txt")
EMBED = WordEmbeddings()


def setup(question: str, **kw):
    sentences = split_sentences(ARTICLE)
    chunks = chunk_article(ARTICLE, sentences, 2000, 0)
    vectors = np.asarray(EMBED.embed_documents([s.text for s in sentences]), dtype=np.float32)
    bank = SentenceBank({"guide": BODY}, sentences, vectors)
    passages = [Passage(chunk=c, fused_score=1.0, rank=i + 1) for i, c in enumerate(chunks)]
    qv = np.asarray(EMBED.embed_query(question), dtype=np.float32)
    return ExtractiveGenerator(bank, min_relevance=kw.pop("min_relevance", 0.1), **kw), Request(question, question, qv, passages)


def test_lead_is_the_sentence_that_answers_and_quotes_are_verbatim():
    generator, request = setup("How long should I hold a static stretch after a run?")
    draft = generator.compose(request)
    assert draft.lead.text == "Hold each static stretch for 45 to 60 seconds after a run."
    for q in draft.quotes:
        assert BODY[q.start : q.end] == q.text


def test_a_sentence_that_leans_back_is_quoted_with_the_one_before():
    generator, request = setup("should a stretch ever hurt while you hold it")
    texts = [q.text for q in generator.compose(request).quotes]
    assert "Hold each static stretch for 45 to 60 seconds after a run. It should never hurt while you hold it." in texts


def test_a_list_is_quoted_with_its_lead_in():
    generator, request = setup("which strength exercises for the hamstring")
    lead = generator.compose(request).lead
    assert lead.text.startswith("Ideal hamstring strength exercises include:")
    assert lead.text.endswith("- Glute bridges")
    assert inline(lead.text) == "Ideal hamstring strength exercises include: Single-leg deadlift; Glute bridges"


def test_rhetorical_filler_is_never_said():
    generator, request = setup("sounds great")
    assert all("Sounds great?" not in q.text for q in generator.compose(request).quotes)


def test_nothing_relevant_gives_no_lead():
    generator, request = setup("quantum chromodynamics lecture", min_relevance=0.3)
    draft = generator.compose(request)
    assert draft.lead is None and draft.relevance < 0.3


def test_support_is_capped():
    generator, request = setup("hamstring stretch run rest seconds", max_support=1)
    assert len(generator.compose(request).support) <= 1


def test_citation_numbers_are_reused_for_the_same_quote():
    book = CitationBook({"guide": ARTICLE})
    assert book.cite("guide", "Rest from running lets a strained hamstring heal before you load it again.") == 1
    assert book.cite("guide", "Hold each static stretch for 45 to 60 seconds after a run.") == 2
    assert book.cite("guide", "Rest from running lets a strained hamstring heal before you load it again.") == 1
    assert [(c.n, c.section) for c in book.citations] == [(1, "Rest"), (2, "Stretching")]



def two_sentence_bank(first: str, second: str, vectors):
    body = f"# T\n\n## S\n\n{first}\n\n{second}\n"
    art = Article(id="t", title="T", body=body, seed="t.txt")
    sentences = split_sentences(art)
    bank = SentenceBank({"t": body}, sentences, np.array(vectors, dtype=np.float32))
    return bank, [Passage(chunk=chunk_article(art, sentences, 2000, 0)[0], fused_score=1.0, rank=1)]


def test_rare_word_overlap_carries_a_sentence_the_model_underrates():
    # "R.I.C.E" means little to the embedding model (similarity 0.25) but the rare word says it all.
    bank, passages = two_sentence_bank(
        "In the early stage, the R.I.C.E approach can help with the pain.", "A different sentence about recovery and rest days.",
        [[0.25, 0.968, 0.0], [0.31, 0.0, 0.951]],
    )
    draft = ExtractiveGenerator(bank, min_relevance=0.3).compose(Request("RICE", "RICE", np.array([1.0, 0.0, 0.0], dtype=np.float32), passages))
    assert draft.lead.text.startswith("In the early stage, the R.I.C.E approach")


def test_when_every_candidate_falls_under_the_bar_there_is_no_lead_and_no_error():
    # The only sentence over the similarity bar is cheerleading, whose penalty takes it under.
    bank, passages = two_sentence_bank(
        "You can absolutely beat this injury with patience!", "A different sentence about recovery and rest days.",
        [[0.32, 0.947, 0.0], [0.05, 0.0, 0.999]],
    )
    draft = ExtractiveGenerator(bank, min_relevance=0.3).compose(Request("zzz", "zzz", np.array([1.0, 0.0, 0.0], dtype=np.float32), passages))
    assert draft.lead is None


def test_a_numbered_tip_is_quoted_whole_and_an_announced_sequence_with_its_steps():
    body = (
        "# T\n\n## Tips\n\n1. Use form cues to avoid overstriding when running. Think about cues that raise your cadence.\n"
        "2. Rest well between hard sessions, always.\n\n## Phases\n\nThere are four phases to treating a hamstring injury. "
        "First, reduce the pain. Next, restore range of motion.\n"
    )
    art = Article(id="t", title="T", body=body, seed="t.txt")
    sentences = split_sentences(art)
    bank = SentenceBank({"t": body}, sentences, np.asarray(EMBED.embed_documents([s.text for s in sentences]), dtype=np.float32))
    passages = [Passage(chunk=c, fused_score=1.0, rank=n + 1) for n, c in enumerate(chunk_article(art, sentences, 2000, 0))]
    generator = ExtractiveGenerator(bank, min_relevance=0.1)

    def lead(question):
        return generator.compose(Request(question, question, np.asarray(EMBED.embed_query(question), dtype=np.float32), passages)).lead.text

    assert lead("form cues overstriding running") == "Use form cues to avoid overstriding when running. Think about cues that raise your cadence."
    assert lead("phases of treating a hamstring injury") == "There are four phases to treating a hamstring injury. First, reduce the pain. Next, restore range of motion."


def test_the_sentence_about_the_questions_most_specific_word_leads():
    # The model rates the generic sentence higher (0.60 vs 0.33); the question's rarest word decides.
    bank, passages = two_sentence_bank(
        "Three things are behind hamstring pain in runners.", "When you overstride, hamstring pain follows.",
        [[0.60, 0.8, 0.0], [0.33, 0.0, 0.944]],
    )
    question = "can overstride cause hamstring pain"
    draft = ExtractiveGenerator(bank, min_relevance=0.1).compose(Request(question, question, np.array([1.0, 0.0, 0.0], dtype=np.float32), passages))
    assert draft.lead.text == "When you overstride, hamstring pain follows."
