"""Hybrid retrieval: dense (Chroma) and lexical (BM25) passages fused by reciprocal rank fusion.

Built from LangChain parts, so `HybridRetriever` is a Runnable like any other retriever.
"""

import re

from langchain_chroma import Chroma
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from rank_bm25 import BM25Okapi

from core.index import search_text
from core.text import POINTS_BACK, STOPWORDS, content_terms, message_sentences, words
from core.types import Chunk, Passage


class LexicalRetriever(BaseRetriever):
    """BM25 (rank_bm25's Okapi) over the passages; keeps each score, drops passages sharing no term."""

    docs: list[Document]
    index: BM25Okapi
    k: int = 8

    model_config = {"arbitrary_types_allowed": True}

    @classmethod
    def build(cls, docs: list[Document], search_texts: list[str], k: int) -> "LexicalRetriever":
        return cls(docs=docs, index=BM25Okapi([content_terms(t) or ["∅"] for t in search_texts]), k=k)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        scores = self.index.get_scores(content_terms(query))
        ranked = sorted((i for i, s in enumerate(scores) if s > 0), key=lambda i: -scores[i])[: self.k]
        return [_with(self.docs[i], lexical_score=float(scores[i])) for i in ranked]


class DenseRetriever(BaseRetriever):
    """Chroma similarity search that keeps the cosine similarity of each hit."""

    store: Chroma
    k: int = 8

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        hits = self.store.similarity_search_with_score(query, k=self.k)
        # The collection uses cosine distance; similarity = 1 - distance.
        return [_with(doc, dense_score=1.0 - float(distance)) for doc, distance in hits]


class HybridRetriever(BaseRetriever):
    """Reciprocal rank fusion of a dense and a lexical retriever; scores ride along in metadata.

    score(d) = Σ 1 / (rrf_k + rank_i(d)) over the retrievers that returned d (rank from 1).
    """

    dense: BaseRetriever
    lexical: BaseRetriever
    k: int = 6
    rrf_k: int = 60

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        fused: dict[str, dict] = {}
        for results in (self.dense.invoke(query), self.lexical.invoke(query)):
            for rank, doc in enumerate(results, start=1):
                entry = fused.setdefault(doc.id, {"doc": doc, "score": 0.0, "meta": {}})
                entry["score"] += 1.0 / (self.rrf_k + rank)
                entry["meta"].update({k: v for k, v in doc.metadata.items() if k in ("dense_score", "lexical_score")})
        ranked = sorted(fused.values(), key=lambda e: -e["score"])[: self.k]
        return [_with(e["doc"], fused_score=e["score"], rank=i, **e["meta"]) for i, e in enumerate(ranked, start=1)]


def _with(doc: Document, **extra) -> Document:
    return Document(id=doc.id, page_content=doc.page_content, metadata={**doc.metadata, **extra})


def chunk_document(chunk: Chunk) -> Document:
    return Document(id=chunk.id, page_content=chunk.text, metadata=chunk.metadata())


def to_passage(doc: Document) -> Passage:
    m = doc.metadata
    return Passage(
        chunk=Chunk.from_record(doc.id, doc.page_content, m),
        fused_score=m.get("fused_score", 0.0),
        rank=m.get("rank", 0),
        dense_score=m.get("dense_score"),
        lexical_score=m.get("lexical_score"),
    )


def build_retriever(store: Chroma, chunks: list[Chunk], k_dense: int, k_lexical: int, k: int, rrf_k: int) -> HybridRetriever:
    # BM25 sees the same title-and-section context as the embeddings; documents keep the verbatim text.
    lexical = LexicalRetriever.build([chunk_document(c) for c in chunks], [search_text(c) for c in chunks], k_lexical)
    return HybridRetriever(dense=DenseRetriever(store=store, k=k_dense), lexical=lexical, k=k, rrf_k=rrf_k)


# ---- conversation ---------------------------------------------------------------------------------

_ANAPHORA = POINTS_BACK | frozenset("its one ones there same".split())
_CONNECTIVES = ("so ", "and ", "but ", "then ", "also ", "what about", "how about", "ok ", "okay ")
# A relation whose other end is left unsaid ("i added hill reps a month ago... related?") is to the turn before.
_RELATES_BACK = re.compile(r"\b(?:related|connected|linked|the cause|the reason|to blame|a factor)\W*$")


def leans_on_history(question: str, unnamed: frozenset[str] = frozenset(), own_topic: bool = True) -> bool:
    """Does the question need earlier turns to be understood? ("How do I prevent it?" does.) `unnamed`: words
    that name no topic ("exactly", "like", "bit"), so "where exactly, like which bit of the hamstring?" does too.
    `own_topic`: whether it names a topic of its own (or words the articles never use); a short question that
    doesn't leans on the turn before: "before or after the run?", "how heavy should I go?".

    >>> leans_on_history("How do I prevent it?"), leans_on_history("How do I prevent a hamstring strain?")
    (True, False)
    >>> leans_on_history("before or after the run?", own_topic=False)
    True
    >>> leans_on_history("i did add hill reps and fartleks about a month ago... related?")
    True
    >>> leans_on_history("thing is it still twinges when i walk up stairs or walk the dog fast. does that matter?")
    True
    >>> leans_on_history("it eases off once i'm a couple of km in though, so can i just keep running through it?")
    True
    """
    tokens = words(question)
    content = [t for t in tokens if t not in STOPWORDS and t not in unnamed]
    has_anaphor = any(t in _ANAPHORA for t in tokens)
    opens_with_connective = question.strip().lower().startswith(_CONNECTIVES)
    # news, then a short question pointing back at it and at the conversation ("… does that matter?")
    sentences = message_sentences(question)
    last = words(sentences[-1])
    asks_back = len(sentences) > 1 and sentences[-1].endswith("?") and len(last) <= 5 and any(t in POINTS_BACK for t in last)
    # a message opening on what the conversation was about ("it eases off once i'm warm though…")
    opens_pointing_back = bool(tokens) and tokens[0] in POINTS_BACK
    return asks_back or opens_pointing_back or bool(_RELATES_BACK.search(question.lower())) or (has_anaphor and len(content) <= 5) or (opens_with_connective and len(content) <= 6) or len(content) <= 1 or (len(content) <= 3 and not own_topic)


def leaned_on(
    question: str, earlier_user_turns: list[str], turns: int = 2, unnamed: frozenset[str] = frozenset(), always: bool = False, own_topic: bool = True
) -> tuple[str, ...]:
    """The recent user turns the question is read with, oldest first: those it leans on (or, with `always`, those
    before it). The retrieval query is these turns followed by the question."""
    if not earlier_user_turns or turns == 0 or not (always or leans_on_history(question, unnamed, own_topic)):
        return ()
    return tuple(earlier_user_turns[-turns:])
