"""The generator contract (Request in, Draft out) and the corpus's sentences with their vectors.

A generator receives the question, what was read of it and the retrieved passages, and returns which
article text to say; numbering, citations and guardrail blocks are added afterwards, so an LLM-backed
generator can replace the default one (bot/plan.py) without touching retrieval or guardrails.
"""

from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np

from core.text import content_terms
from bot.understand import Reading
from core.types import Chunk, Passage



@dataclass(frozen=True)
class Quote:
    """A verbatim span of one article: one sentence, or a few adjacent ones read together."""

    source_id: str
    text: str
    start: int
    end: int
    score: float


@dataclass
class Draft:
    """What a generator decided to say: a lead, then supporting quotes (empty when nothing relevant)."""

    lead: Quote | None
    support: list[Quote] = field(default_factory=list)
    relevance: float = 0.0  # best question-sentence similarity seen
    before: list[str] = field(default_factory=list)  # notes to say before the lead, e.g. "none-measured:how-long"
    # an author's own experience stating what the articles give no advice on, and the words that frame it
    experience: tuple[str, list[Quote]] | None = None

    @property
    def quotes(self) -> list[Quote]:
        return ([self.lead] if self.lead else []) + self.support


@dataclass(frozen=True)
class Request:
    question: str
    query: str  # the retrieval query (the question, folded with earlier turns when it leans on them)
    query_vector: np.ndarray
    passages: list[Passage]
    reading: "Reading | None" = None  # intent, situation, vocabulary (bot.understand)
    sides: tuple[tuple[str, str], ...] = ()  # (article, quote): sides of a disagreement that fit the runner; one leads
    # (article, "is this text about that disagreement?") of each side that doesn't fit the runner, of a
    # disagreement shown with the side that does: what that article says on it is left to the disagreement block
    unfit: tuple[tuple[str, Callable[[str], bool]], ...] = ()
    follows_up: bool = False  # read with the earlier turns (`query` holds them): a follow-up
    asked_vector: np.ndarray | None = None  # a follow-up's own words alone (`query_vector` mixes in the topic)
    said: str = ""  # the answer the runner read just before this question: not quoted to them again first


class Generator(Protocol):
    def compose(self, request: Request) -> Draft: ...

    def names_topic(self, text: str) -> bool:
        """Does the text name a topic of its own (the chain reads a short question that doesn't as a follow-up)?"""
        ...


class SentenceBank:
    """All sentences of the corpus with their unit vectors, grouped by article in reading order."""

    def __init__(self, articles: dict[str, str], sentences: list[Chunk], vectors: np.ndarray):
        self.articles = articles  # article id → body, to cut verbatim spans
        order = sorted(range(len(sentences)), key=lambda i: (sentences[i].source_id, sentences[i].start))
        self.sentences = [sentences[i] for i in order]
        self.vectors = vectors[order] if len(order) else vectors
        self.terms = [set(content_terms(s.text)) for s in self.sentences]
        # Rare words ("pop", "bike") say more about what a sentence is about than common ones ("hamstring").
        df: dict[str, int] = {}
        for terms in self.terms:
            for t in terms:
                df[t] = df.get(t, 0) + 1
        n = max(len(self.terms), 1)
        self.idf = {t: float(np.log((n + 1) / (c + 0.5))) for t, c in df.items()}
        self.max_idf = float(np.log((n + 1) / 0.5))  # what a word no sentence uses would weigh
        self.by_source: dict[str, list[int]] = {}
        for i, s in enumerate(self.sentences):
            self.by_source.setdefault(s.source_id, []).append(i)

    def coverage(self, question: str, passages: list[Passage]) -> float:
        """IDF-weighted share of the question's words that the passages contain (unknown words weigh most).

        "What is the 10 percent rule?" is fully covered; "How do I treat an ankle sprain?" is not.
        """
        terms = set(content_terms(question))
        if not terms:
            return 1.0
        found = set().union(*(set(content_terms(p.chunk.text)) for p in passages)) if passages else set()
        weight = {t: self.idf.get(t, self.max_idf) for t in terms}
        return sum(weight[t] for t in terms & found) / sum(weight.values())

    def section_of(self, passage: Passage) -> list[int]:
        c = passage.chunk
        return [i for i in self.by_source.get(c.source_id, []) if self.sentences[i].section == c.section]
