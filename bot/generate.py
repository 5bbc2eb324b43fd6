"""Answer generators. The default one is extractive: it answers with the articles' own sentences.

A generator receives the question and the retrieved passages and returns which sentences to say;
numbering, citations and guardrail blocks are added afterwards, so an LLM-backed generator can
replace this one without touching retrieval or guardrails.
"""

import re
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from bot.tuning import DEFAULT, Tuning
from core.text import ABOUT_THE_ARTICLE, CONTINUES, LEANS_BACK, LIST_MARKER, content_terms
from bot.understand import Reading
from core.types import Chunk, Passage

# "First… Next…" continue a sequence; "It…", "That is why…" lean on the sentence before, quoted with it.
_CONTINUES, _META, _LEANS_BACK = CONTINUES, ABOUT_THE_ARTICLE, LEANS_BACK


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
    before: list[str] = field(default_factory=list)  # notes to say before the lead, e.g. "no-timeline"

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


class Generator(Protocol):
    def compose(self, request: Request) -> Draft: ...


class SentenceBank:
    """All sentences of the corpus with their unit vectors, grouped by article in reading order."""

    def __init__(self, articles: dict[str, str], sentences: list[Chunk], vectors: np.ndarray):
        self.articles = articles  # article id → body, to cut verbatim spans
        order = sorted(range(len(sentences)), key=lambda i: (sentences[i].source_id, sentences[i].start))
        self.sentences = [sentences[i] for i in order]
        self.vectors = vectors[order] if len(order) else vectors
        self.terms = [set(content_terms(s.text)) for s in self.sentences]
        # The innermost heading ("Prevention") names what a sentence is about.
        self.heading_terms = [set(content_terms((s.section or "").split("›")[-1])) for s in self.sentences]
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

    def within(self, passage: Passage) -> list[int]:
        c = passage.chunk
        return [i for i in self.by_source.get(c.source_id, []) if self.sentences[i].start >= c.start and self.sentences[i].end <= c.end]

    def section_of(self, passage: Passage) -> list[int]:
        c = passage.chunk
        return [i for i in self.by_source.get(c.source_id, []) if self.sentences[i].section == c.section]

    def next(self, i: int) -> int | None:
        """The sentence just after i in the same section, if any."""
        if i + 1 >= len(self.sentences):
            return None
        cur, nxt = self.sentences[i], self.sentences[i + 1]
        return i + 1 if nxt.source_id == cur.source_id and nxt.section == cur.section else None

    def previous(self, i: int) -> int | None:
        """The sentence just before i in the same section, if any."""
        if i == 0:
            return None
        prev, cur = self.sentences[i - 1], self.sentences[i]
        return i - 1 if prev.source_id == cur.source_id and prev.section == cur.section else None

    def following_list(self, i: int) -> list[int]:
        """The list items right after a sentence that introduces them ("…include:")."""
        items = []
        body = self.articles[self.sentences[i].source_id]
        j = i + 1
        while j < len(self.sentences) and self.sentences[j].source_id == self.sentences[i].source_id:
            gap = body[self.sentences[j - 1].end : self.sentences[j].start]
            marker = gap.lstrip()
            new_item = "\n" in gap[: len(gap) - len(marker)] and LIST_MARKER.fullmatch(marker)
            if not new_item or self.sentences[j].section != self.sentences[i].section:
                break
            items.append(j)
            j += 1
        return items

    def opens_list_item(self, i: int) -> bool:
        """Does sentence i start a list item ("- …" or "2. …")?"""
        s = self.sentences[i]
        body = self.articles[s.source_id]
        line_start = body.rfind("\n", 0, s.start) + 1
        return bool(LIST_MARKER.fullmatch(body[line_start : s.start]))


class ExtractiveGenerator:
    """Picks the sentences that best answer the question: relevant, not redundant, readable alone.

    score = cosine(question, sentence) + overlap_weight × IDF-weighted share of the question's terms it holds
            + heading_bonus + focus_bonus + rank_weight × passage weight − exclaim_penalty  (see bot/tuning.py).
    Selection is maximal marginal relevance.
    """

    def __init__(self, bank: SentenceBank, max_support: int = 4, min_relevance: float = 0.3, tuning: Tuning = DEFAULT):
        self.bank = bank
        self.max_support = max_support
        self.min_relevance = min_relevance
        self.tuning = tuning

    def compose(self, request: Request) -> Draft:
        candidates = self._candidates(request.passages)
        if not candidates:
            return Draft(lead=None)
        ids = np.array(sorted(candidates))
        sims = self.bank.vectors[ids] @ request.query_vector
        relevance = float(max(sims))
        scored = self._score(request, candidates, ids.tolist(), sims.tolist())
        if not scored or relevance < self.min_relevance:
            return Draft(lead=None, relevance=relevance)
        chosen = self._select(scored)
        if not chosen:
            return Draft(lead=None, relevance=relevance)
        quotes = _dedupe_spans([self._quote(i, score) for score, _, i in scored if i in chosen])
        lead, support = quotes[0], quotes[1:]
        # Supporting sentences read best grouped by article, in the article's own order.
        first_seen = {q.source_id: n for n, q in reversed(list(enumerate(support)))}
        support.sort(key=lambda q: (first_seen[q.source_id], q.start))
        return Draft(lead=lead, support=support, relevance=relevance)

    def _candidates(self, passages: list[Passage]) -> dict[int, float]:
        """Sentence index → weight of the best passage it came with (1 / rank)."""
        candidates: dict[int, float] = {}
        for passage in passages:
            weight = 1.0 / passage.rank if passage.rank else 0.0
            inside = set(self.bank.within(passage))
            # The rest of a retrieved passage's section comes along at lower weight: sections are short,
            # and the sentence that answers may sit just outside the passage that was found.
            for i in self.bank.section_of(passage):
                candidates[i] = max(candidates.get(i, 0.0), weight if i in inside else weight * self.tuning.section_weight)
        return candidates

    def _score(self, request: Request, candidates: dict[int, float], ids: list[int], sims: list[float]) -> list[tuple[float, float, int]]:
        """(score, similarity, sentence index) of every sentence worth saying, best first."""
        bank, t = self.bank, self.tuning
        # Retrieval already fixed the topic (earlier turns included); within it, what is asked now decides.
        asked = set(content_terms(request.question)) or set(content_terms(request.query))
        q_weight = sum(bank.idf.get(term, 0.0) for term in asked)
        # The question's most specific word the articles know ("overstriding" in "can overstriding cause
        # hamstring pain?") is what an answer must talk about.
        known = sorted(term for term in asked if term in bank.idf)  # sorted: ties break the same way in every process
        focus = max(known, key=bank.idf.__getitem__) if known else None
        scored = []
        for i, sim in zip(ids, sims):
            s = bank.sentences[i]
            introduces_list = s.text.endswith(":") and bool(bank.following_list(i))
            if not (introduces_list or self._worth_saying(s.text)) or self._bare_list_item(i):
                continue
            overlap = sum(bank.idf[term] for term in asked & bank.terms[i]) / q_weight if q_weight else 0.0
            score = (
                sim
                + t.overlap_weight * overlap
                + (t.heading_bonus if asked & bank.heading_terms[i] else 0.0)
                + (t.focus_bonus if focus in bank.terms[i] else 0.0)
                + t.rank_weight * candidates[i]
                - (t.exclaim_penalty if s.text.endswith("!") else 0.0)
            )
            scored.append((score, sim, i))
        scored.sort(reverse=True)
        return scored

    def _select(self, scored: list[tuple[float, float, int]]) -> list[int]:
        """Maximal marginal relevance: the best, then the next best that adds something, within the floors."""
        bank, t = self.bank, self.tuning
        chosen: list[int] = []
        for score, _, i in scored:
            floor = scored[0][0] * (t.near_floor if len(chosen) < t.near_supporting else t.far_floor)
            if len(chosen) > self.max_support or score < floor:
                break
            if score < self.min_relevance:  # word overlap can carry what the model misses ("R.I.C.E")
                continue
            if any(float(bank.vectors[i] @ bank.vectors[j]) > t.redundancy for j in chosen):
                continue
            if any(self._overlaps(i, j) for j in chosen):
                continue
            chosen.append(i)
        return chosen

    def _quote(self, i: int, score: float) -> Quote:
        bank, s, t = self.bank, self.bank.sentences[i], self.tuning
        body = bank.articles[s.source_id]
        first, last = i, i
        for _ in range(t.lean_back_steps):  # "That is why…" after "It helps…": follow the chain back to its subject
            prev = bank.previous(first)
            if prev is None or not _LEANS_BACK.match(bank.sentences[first].text):
                break
            first = prev
        if s.text.rstrip().endswith(":"):
            last = (bank.following_list(i) or [i])[-1]
        elif bank.opens_list_item(i):
            # A numbered tip is a unit: "Use form cues…" is explained by the rest of its item.
            line_end = body.find("\n", s.end)
            item_end = len(body) if line_end < 0 else line_end
            while last - i < t.tip_sentences and (nxt := bank.next(last)) is not None and bank.sentences[nxt].end <= item_end:
                last = nxt
        else:
            # "There are four phases…" is answered by the "First, … Finally, …" that follows it.
            while last - i < t.sequence_steps and (nxt := bank.next(last)) is not None and _CONTINUES.match(bank.sentences[nxt].text):
                last = nxt
        start, end = bank.sentences[first].start, bank.sentences[last].end
        return Quote(s.source_id, body[start:end], start, end, score)

    def _overlaps(self, i: int, j: int) -> bool:
        a, b = self.bank.sentences[i], self.bank.sentences[j]
        return a.source_id == b.source_id and abs(a.order - b.order) <= 1 and bool(_LEANS_BACK.match(a.text) or _LEANS_BACK.match(b.text))

    def _bare_list_item(self, i: int) -> bool:
        """A short list item ("Weighted lunges") means little alone; it is quoted with its lead-in instead."""
        return self.bank.opens_list_item(i) and len(self.bank.sentences[i].text.split()) < self.tuning.bare_item_words

    def _worth_saying(self, text: str) -> bool:
        """Skip rhetorical filler ("Sounds great?", "It’s simple.") and signposts that answer nothing."""
        t = self.tuning
        return len(text) >= t.min_chars and len(text.split()) >= t.min_words and not text.endswith("?") and not _META.search(text)


def _dedupe_spans(quotes: list[Quote]) -> list[Quote]:
    """Drop a quote whose span lies inside one already kept (a context sentence chosen twice)."""
    kept: list[Quote] = []
    for q in quotes:
        if not any(k.source_id == q.source_id and k.start <= q.start and q.end <= k.end for k in kept):
            kept = [k for k in kept if not (k.source_id == q.source_id and q.start <= k.start and k.end <= q.end)]
            kept.append(q)
    return kept
