"""Answer generators. The default one is extractive: it answers with the articles' own sentences.

A generator receives the question and the retrieved passages and returns which sentences to say;
numbering, citations and guardrail blocks are added afterwards, so an LLM-backed generator can
replace this one without touching retrieval or guardrails.
"""

import re
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from bot.retrieval import content_terms
from bot.types import Chunk, Passage

# A sentence opening with one of these leans on the one before it; quote both so it reads alone.
OVERLAP_WEIGHT = 0.3  # tried 0.2–0.4 on the core set: within two cases of each other; best first-citation rate
FOCUS_BONUS = 0.1  # 0, 0.05, 0.1, 0.15 tried on the core set: 0.1 best on pass rate and first-citation rate
_CONTINUES = re.compile(r"^(First|Second|Third|Fourth|Next|Then|Finally|Lastly)\b")
# Sentences about the article itself ("In this article, I’ll share…") introduce, they don't answer.
_META = re.compile(r"\b(in this article|this guide|here is my article|I’ll dive into|I'll dive into)\b", re.I)
_LEANS_BACK = re.compile(r"^(It|It’s|This|That|These|Those|They|Such|He|She|Doing so|However|But)\b")


@dataclass(frozen=True)
class Quote:
    """A verbatim span of one article: one sentence, or a few adjacent ones read together."""

    source_id: str
    title: str
    section: str | None
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

    @property
    def quotes(self) -> list[Quote]:
        return ([self.lead] if self.lead else []) + self.support


@dataclass(frozen=True)
class Request:
    question: str
    query: str  # the retrieval query (the question, folded with earlier turns when it leans on them)
    query_vector: np.ndarray
    passages: list[Passage]


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
            if not re.fullmatch(r"\s*\n(?:- |\d+\. )", gap) or self.sentences[j].section != self.sentences[i].section:
                break
            items.append(j)
            j += 1
        return items


class ExtractiveGenerator:
    """Picks the sentences that best answer the question: relevant, not redundant, readable alone.

    score = cosine(question, sentence) + OVERLAP_WEIGHT × IDF-weighted share of the question's terms it contains
            + 0.1 when its section heading names what is asked + 0.05 × how well its passage ranked.
    Selection is maximal marginal relevance.
    """

    def __init__(self, bank: SentenceBank, max_support: int = 4, min_relevance: float = 0.3, redundancy: float = 0.8):
        self.bank = bank
        self.max_support = max_support
        self.min_relevance = min_relevance
        self.redundancy = redundancy

    def compose(self, request: Request) -> Draft:
        bank = self.bank
        candidates: dict[int, float] = {}
        for passage in request.passages:
            weight = 1.0 / passage.rank if passage.rank else 0.0
            inside = set(bank.within(passage))
            # The rest of a retrieved passage's section comes along at half weight: sections are short,
            # and the sentence that answers may sit just outside the passage that was found.
            for i in bank.section_of(passage):
                candidates[i] = max(candidates.get(i, 0.0), weight if i in inside else weight / 2)
        if not candidates:
            return Draft(lead=None)
        ids = np.array(sorted(candidates))
        sims = bank.vectors[ids] @ request.query_vector
        # Retrieval already fixed the topic (earlier turns included); within it, what is asked now decides.
        asked = set(content_terms(request.question)) or set(content_terms(request.query))
        q_weight = sum(bank.idf.get(t, 0.0) for t in asked)
        # The question's most specific word the articles know ("overstriding" in "can overstriding cause
        # hamstring pain?") is what an answer must talk about.
        known = sorted(t for t in asked if t in bank.idf)  # sorted: ties break the same way in every process
        focus = max(known, key=bank.idf.__getitem__) if known else None
        scored = []
        for i, sim in zip(ids.tolist(), sims.tolist()):
            s = bank.sentences[i]
            introduces_list = s.text.endswith(":") and bool(bank.following_list(i))
            if not (introduces_list or self._worth_saying(s.text)) or self._bare_list_item(i):
                continue
            overlap = sum(bank.idf[t] for t in asked & bank.terms[i]) / q_weight if q_weight else 0.0
            penalty = 0.1 if s.text.endswith("!") else 0.0  # cheerleading, rarely the answer
            heading = 0.1 if asked & bank.heading_terms[i] else 0.0
            on_focus = FOCUS_BONUS if focus in bank.terms[i] else 0.0
            scored.append((sim + OVERLAP_WEIGHT * overlap + heading + on_focus + 0.05 * candidates[i] - penalty, sim, i))
        relevance = float(max(sims)) if len(sims) else 0.0
        if not scored or relevance < self.min_relevance:
            return Draft(lead=None, relevance=relevance)
        scored.sort(reverse=True)
        chosen: list[int] = []
        for score, sim, i in scored:
            # Two supporting sentences need only be fairly close to the lead; more must be close.
            floor = scored[0][0] * (0.6 if len(chosen) < 3 else 0.75)
            if len(chosen) > self.max_support or score < floor:
                break
            if score < self.min_relevance:  # word overlap can carry what the model misses ("R.I.C.E")
                continue
            if any(float(bank.vectors[i] @ bank.vectors[j]) > self.redundancy for j in chosen):
                continue
            if any(self._overlaps(i, j) for j in chosen):
                continue
            chosen.append(i)
        if not chosen:
            return Draft(lead=None, relevance=relevance)
        quotes = [self._quote(i, score) for score, _, i in scored if i in chosen]
        quotes = _dedupe_spans(quotes)
        lead, support = quotes[0], quotes[1:]
        # Supporting sentences read best grouped by article, in the article's own order.
        first_seen = {q.source_id: n for n, q in reversed(list(enumerate(support)))}
        support.sort(key=lambda q: (first_seen[q.source_id], q.start))
        return Draft(lead=lead, support=support, relevance=relevance)

    def _quote(self, i: int, score: float) -> Quote:
        bank, s = self.bank, self.bank.sentences[i]
        body = bank.articles[s.source_id]
        first, last = i, i
        for _ in range(2):  # "That is why…" after "It helps…": follow the chain back to its subject
            prev = bank.previous(first)
            if prev is None or not _LEANS_BACK.match(bank.sentences[first].text):
                break
            first = prev
        if s.text.rstrip().endswith(":"):
            last = (bank.following_list(i) or [i])[-1]
        elif self._opens_list_item(i):
            # A numbered tip is a unit: "Use form cues…" is explained by the rest of its item.
            line_end = body.find("\n", s.end)
            item_end = len(body) if line_end < 0 else line_end
            while last - i < 3 and (nxt := bank.next(last)) is not None and bank.sentences[nxt].end <= item_end:
                last = nxt
        else:
            # "There are four phases…" is answered by the "First, … Finally, …" that follows it.
            while last - i < 4 and (nxt := bank.next(last)) is not None and _CONTINUES.match(bank.sentences[nxt].text):
                last = nxt
        start, end = bank.sentences[first].start, bank.sentences[last].end
        return Quote(s.source_id, s.title, s.section, body[start:end], start, end, score)

    def _overlaps(self, i: int, j: int) -> bool:
        a, b = self.bank.sentences[i], self.bank.sentences[j]
        return a.source_id == b.source_id and abs(a.order - b.order) <= 1 and bool(_LEANS_BACK.match(a.text) or _LEANS_BACK.match(b.text))

    def _opens_list_item(self, i: int) -> bool:
        s = self.bank.sentences[i]
        body = self.bank.articles[s.source_id]
        line_start = body.rfind("\n", 0, s.start) + 1
        return bool(re.fullmatch(r"(?:- |\d+\. )", body[line_start : s.start]))

    def _bare_list_item(self, i: int) -> bool:
        """A short list item ("Weighted lunges") means little alone; it is quoted with its lead-in instead."""
        return self._opens_list_item(i) and len(self.bank.sentences[i].text.split()) < 8

    @staticmethod
    def _worth_saying(text: str) -> bool:
        """Skip rhetorical filler ("Sounds great?", "It’s simple.") and signposts that answer nothing."""
        return len(text) >= 30 and len(text.split()) >= 6 and not text.endswith("?") and not _META.search(text)


def _dedupe_spans(quotes: list[Quote]) -> list[Quote]:
    """Drop a quote whose span lies inside one already kept (a context sentence chosen twice)."""
    kept: list[Quote] = []
    for q in quotes:
        if not any(k.source_id == q.source_id and k.start <= q.start and q.end <= k.end for k in kept):
            kept = [k for k in kept if not (k.source_id == q.source_id and q.start <= k.start and k.end <= q.end)]
            kept.append(q)
    return kept
