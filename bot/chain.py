"""The answer chain: question (+ conversation) → guardrails → hybrid retrieval → cited Answer.

Each step is a plain function over a `Turn` state; `Bot.ask` wires them together at the bottom.
"""

import logging
import threading
from dataclasses import dataclass, field

import numpy as np
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings
from langchain_core.runnables import RunnableLambda

from bot.errors import HamstringBotError
from bot.generate import Draft, ExtractiveGenerator, Generator, Request, SentenceBank
from bot.guardrails.conflicts import ConflictRegistry, passage_disagreements
from bot.guardrails.redflags import RedFlagRules, RedFlagVerdict
from bot.guardrails.scope import (
    DECLINE_TEXT,
    INJECTION_TEXT,
    corpus_vocabulary,
    looks_like_injection,
    names_the_subject,
    unknown_focus_terms,
    wants_creative_writing,
)
from bot.render import NOTHING_FOUND, REMINDER, CitationBook, conflict_block, escalation_block, inline
from bot.retrieval import HybridRetriever, QueryCache, build_retriever, fold_history, to_passage
from bot.questions import check_history, check_question
from bot.settings import Settings
from bot.types import Answer, Article, Conflict, Message, Passage

log = logging.getLogger("hamstring_bot")
MAX_EVIDENCE = 3  # article sentences cited for a red flag: enough to show the source, not a wall


@dataclass
class Turn:
    """Everything the chain learns about one question on its way to an Answer."""

    question: str
    history: list[Message]
    query: str = ""
    query_vector: np.ndarray | None = None
    passages: list[Passage] = field(default_factory=list)
    red_flags: RedFlagVerdict | None = None
    draft: Draft | None = None
    declined: str | None = None  # the polite decline, when the question is out of scope or an injection
    injection: bool = False


@dataclass
class Knowledge:
    """What one generation of the index gives the chain: articles, retriever, sentence bank, registries."""

    articles: dict[str, Article]
    retriever: HybridRetriever
    generator: Generator
    red_flags: RedFlagRules
    conflicts: ConflictRegistry
    vocabulary: set[str]
    version: str
    stamp: int  # the manifest's modification time when this was opened

    @staticmethod
    def check(settings: Settings, model: str):
        """The live index, checked against corpus, model and chunker; the articles and registries, checked."""
        from ingest.pipeline import open_fresh_index

        # Read before opening: a swap landing after this is then seen as a change on the next question.
        stamp = settings.manifest_path.stat().st_mtime_ns if settings.manifest_path.exists() else 0
        articles, live = open_fresh_index(settings, model)
        red_flags = RedFlagRules.load()
        conflicts = ConflictRegistry.load(settings.corpus_dir / "conflicts.yaml")
        for registry in (red_flags, conflicts):  # a quote that drifted from its article must never be shown
            registry.verify(articles)
        return stamp, articles, live, red_flags, conflicts

    @classmethod
    def open(cls, settings: Settings, model: str, embeddings: Embeddings, checked=None) -> "Knowledge":
        """Everything the chain needs from the live index; `checked` is a result of `check` already in hand."""
        from ingest.index import read_chunks

        stamp, articles, live, red_flags, conflicts = checked or cls.check(settings, model)
        chunks = read_chunks(live.chunks)
        sentences, vectors = read_chunks(live.sentences, with_vectors=True)
        store = Chroma(
            client=live.client,
            collection_name=live.manifest.chunks_collection,
            embedding_function=embeddings,
            create_collection_if_not_exists=False,
        )
        retriever = build_retriever(store, chunks, settings.k_dense, settings.k_lexical, settings.k_passages, settings.rrf_k)
        bank = SentenceBank({a.id: a.body for a in articles}, sentences, vectors)
        return cls(
            articles={a.id: a for a in articles},
            retriever=retriever,
            generator=ExtractiveGenerator(bank, max_support=settings.max_supporting, min_relevance=settings.min_relevance),
            red_flags=red_flags,
            conflicts=conflicts,
            vocabulary=corpus_vocabulary(articles) | red_flags.vocabulary(),
            version=live.manifest.corpus_hash,
            stamp=stamp,
        )


class Bot:
    """Answers a runner's questions from the five articles, with citations and guardrails.

    >>> bot = Bot.load()                                   # doctest: +SKIP
    >>> bot.ask("Should I stretch after a run?").conflicts[0].topic   # doctest: +SKIP
    'Static stretching'
    """

    def __init__(self, settings: Settings, embeddings: Embeddings, knowledge: "Knowledge", model: str):
        self.settings = settings
        self.embeddings = embeddings
        self.model = model
        self.knowledge = knowledge
        # One question at a time sees one consistent index, and a reload waits for it to finish.
        self._lock = threading.RLock()

    # What the steps read comes from the current index generation.
    articles = property(lambda self: self.knowledge.articles)
    retriever = property(lambda self: self.knowledge.retriever)
    generator = property(lambda self: self.knowledge.generator)
    red_flags = property(lambda self: self.knowledge.red_flags)
    conflicts = property(lambda self: self.knowledge.conflicts)
    vocabulary = property(lambda self: self.knowledge.vocabulary)
    corpus_version = property(lambda self: self.knowledge.version)

    @classmethod
    def load(cls, settings: Settings | None = None, embeddings: Embeddings | None = None) -> "Bot":
        """Open the live index (IndexMissing / IndexStale / IndexCorrupt say what to run) and warm up."""
        from bot.embeddings import load_embeddings, model_label

        settings = settings or Settings()
        # With an injected embedder (tests), trust whatever model the index says it was built with.
        model = model_label(settings) if embeddings is None else manifest_model(settings)
        checked = Knowledge.check(settings, model)  # fail fast, before the model is loaded
        embeddings = QueryCache(embeddings or load_embeddings(settings))
        bot = cls(settings, embeddings, Knowledge.open(settings, model, embeddings, checked), model)
        bot.ask("What are the hamstrings?")  # warm-up: first real answer is as fast as the rest
        return bot

    def _follow_reindex(self) -> None:
        """A re-run ingest swaps the manifest; pick up the new index without a restart.

        If it cannot be opened, keep answering from the one in hand (ingest keeps it) and say why once.
        """
        try:
            stamp = self.settings.manifest_path.stat().st_mtime_ns
        except OSError:
            return
        if stamp == self.knowledge.stamp:
            return
        try:
            self.knowledge = Knowledge.open(self.settings, self.model, self.embeddings)
        except HamstringBotError as exc:
            log.warning("index changed but could not be reloaded; still answering from the previous one: %s", exc)
            self.knowledge.stamp = stamp

    # ---- the steps ------------------------------------------------------------------------------

    def _screen(self, turn: Turn) -> None:
        """Red flags are read from every user turn; an injection attempt is declined unless one is present.

        Safety first: "ignore your rules, I felt a pop" still gets the escalation, and nothing else.
        """
        user_turns = [m.content for m in turn.history if m.role == "user"] + [turn.question]
        turn.red_flags = self.red_flags.check(user_turns)
        turn.injection = looks_like_injection(turn.question)
        if turn.injection and not turn.red_flags.escalate:
            turn.declined = INJECTION_TEXT

    def _retrieve(self, turn: Turn) -> None:
        earlier = [m.content for m in turn.history if m.role == "user"]
        turn.query = fold_history(turn.question, earlier, self.settings.history_turns)
        turn.passages = [to_passage(d) for d in self.retriever.invoke(turn.query)]
        vector = np.asarray(self.embeddings.embed_query(turn.query), dtype=np.float32)
        if turn.query != turn.question:
            # A follow-up: the folded query found the topic's passages; within them, the sentences
            # that answer what is asked now ("how do I prevent it?") should lead.
            vector = 0.35 * vector + 0.65 * np.asarray(self.embeddings.embed_query(turn.question), dtype=np.float32)
            vector /= np.linalg.norm(vector)
        turn.query_vector = vector

    def _compose(self, turn: Turn) -> None:
        turn.draft = self.generator.compose(Request(turn.question, turn.query, turn.query_vector, turn.passages))

    def _judge_scope(self, turn: Turn) -> None:
        """Decide from retrieval evidence and topic whether the articles cover the question.

        Red flags never get here (they are answered with the escalation). Nothing close retrieved →
        declined; a question naming the hamstring is covered; any other needs strong similarity, or its
        rarer words found in the retrieved passages, or moderate similarity with few words the articles
        (and the reviewed red-flag rules) never use. Creative writing is never covered.
        """
        s = self.settings
        relevance = turn.draft.relevance
        if wants_creative_writing(turn.question) or relevance < s.min_relevance or turn.draft.lead is None:
            covered = False
        elif names_the_subject(turn.query):
            covered = True
        else:
            content = unknown_focus_terms(turn.question, set())
            foreign = unknown_focus_terms(turn.question, self.vocabulary)
            share = len(foreign) / len(content) if content else 0.0
            covered = (
                relevance >= s.scope_strong_relevance
                or self.generator.bank.coverage(turn.question, turn.passages) >= s.scope_min_coverage
                or (relevance >= s.scope_moderate_relevance and share < s.scope_max_foreign_share)
            )
        if not covered:
            turn.declined = DECLINE_TEXT

    def _answer(self, turn: Turn) -> Answer:
        if turn.declined:
            return Answer(text=turn.declined, out_of_scope=True)
        if turn.red_flags.escalate:
            return self._escalate(turn.red_flags)
        book = CitationBook(self.articles)
        parts: list[str] = []
        draft = turn.draft
        if draft and draft.lead:
            parts.append(f"{inline(draft.lead.text)} [{book.cite(draft.lead.source_id, draft.lead.text)}]")
            if draft.support:
                parts.append("\n".join(f"- {inline(q.text)} [{book.cite(q.source_id, q.text)}]" for q in draft.support))
        else:
            parts.append(NOTHING_FOUND)
        if turn.red_flags.informational:
            reasons = "; ".join(dict.fromkeys(h.reason for h in turn.red_flags.informational))
            markers = " ".join(f"[{book.cite(s, q)}]" for s, q in self.red_flags.evidence_for(turn.red_flags)[:MAX_EVIDENCE])
            parts.append(f"**If this is happening to you:** {reasons} is a reason to stop running and get assessed by a doctor or physiotherapist. {markers}".rstrip())
        conflicts = self._disagreements(turn)
        for conflict in conflicts:
            parts.append(conflict_block(conflict, book))
        parts.append(REMINDER)
        return Answer(text="\n\n".join(parts), citations=book.citations, conflicts=conflicts)

    def _escalate(self, verdict: RedFlagVerdict) -> Answer:
        """The notice, then only the vetted article sentences about getting assessed: no retrieved
        sentence is said here, since any of them could read as permission to carry on."""
        book = CitationBook(self.articles)
        escalation = self.red_flags.escalation(verdict)
        parts = [escalation_block(escalation)]
        evidence = self.red_flags.evidence_for(verdict)[:MAX_EVIDENCE]
        if evidence:
            parts.append("What the articles say:\n" + "\n".join(f"- “{inline(q)}” [{book.cite(s, q)}]" for s, q in evidence))
        parts.append(REMINDER)
        return Answer(text="\n\n".join(parts), citations=book.citations, escalation=escalation)

    def _disagreements(self, turn: Turn) -> list[Conflict]:
        # Registered topics are recognised in the question with the turns it leans on (the folded query).
        found = [self.conflicts.as_conflict(t) for t in self.conflicts.topics_in(turn.query)]
        found += passage_disagreements(turn.passages, self.conflicts)
        seen, unique = set(), []
        for c in found:
            if c.topic not in seen:
                seen.add(c.topic)
                unique.append(c)
        return unique

    # ---- wiring ---------------------------------------------------------------------------------

    def ask(self, question: str, history: list[dict] | None = None) -> Answer:
        """Answer one question; `history` is the conversation so far, oldest first."""
        turn = Turn(question=check_question(question, self.settings), history=check_history(history, self.settings))
        with self._lock:
            self._follow_reindex()
            self._screen(turn)
            if not (turn.declined or turn.injection or turn.red_flags.escalate):
                self._retrieve(turn)
                self._compose(turn)
                self._judge_scope(turn)
            return self._answer(turn)

    def as_runnable(self) -> RunnableLambda:
        """The chain as a LangChain Runnable: {"question": str, "history": [...]} → Answer."""
        return RunnableLambda(lambda x: self.ask(x["question"], x.get("history")), name="hamstring-bot")


def manifest_model(settings: Settings) -> str:
    """With an injected embedder (tests), trust whatever model the index says it was built with."""
    from ingest.index import read_manifest

    manifest = read_manifest(settings)
    return manifest.model if manifest else ""
