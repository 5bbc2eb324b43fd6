"""The answer chain: question (+ conversation) → screen → retrieve → compose → judge scope → assemble.

Each step is a plain function over an immutable `Snapshot` of one index generation, returning a typed
result; `answer_question` wires them in a few lines, and `Bot` only keeps the current snapshot.
"""

import dataclasses
import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever

from bot.assemble import answered, declined, escalated, small_talk
from bot.generate import Draft, Generator, Request, SentenceBank
from bot.guardrails.conflicts import ConflictRegistry, ConflictTopic, passage_disagreements
from bot.guardrails.redflags import CachedEmbed, Embed, RedFlagRules, RedFlagVerdict
from bot.guardrails.scope import ScopeRules, corpus_vocabulary
from bot.plan import AnswerPlanner, UnitBank
from bot.retrieval import build_retriever, leaned_on, to_passage
from bot.tuning import DEFAULT, Tuning
from bot.understand import Measured, QuestionReader, Reading, asked_measure
from core.unit_questions import ask_vectors, load_unit_questions
from core.text import POINTS_BACK, message_sentences, words
from core.embeddings import QueryCache, load_embeddings, model_label
from core.errors import AnswerUnavailable, HamstringBotError, IndexCorrupt, IndexMissing, IndexStale, StoreUnreachable, StoreUnwritable
from core.index import (
    REBUILD_COMMAND,
    BoundedChroma,
    LiveIndex,
    call_store,
    ingest_running,
    open_fresh_index,
    read_chunks,
    read_manifest,
    release_store,
    remedy_for,
    store_replaced,
)
from core.questions import Question, check
from core.rulefile import verify_quotes
from core.settings import Settings
from core.types import Answer, Article, Chunk, Conflict, Message, Notice, Passage, Unit

log = logging.getLogger("hamstring_bot")


@dataclass(frozen=True)
class Rules:
    """The reviewed rule files the chain applies, loaded and checked against the articles."""

    red_flags: RedFlagRules
    conflicts: ConflictRegistry
    scope: ScopeRules
    questions: QuestionReader

    @classmethod
    def load(cls, settings: Settings, articles: list[Article]) -> "Rules":
        verify_quotes(settings.rule_files, articles)  # a quote that drifted from its article must never be shown
        return cls(
            RedFlagRules.load(settings.red_flags_path),
            ConflictRegistry.load(settings.conflicts_path),
            ScopeRules.load(settings.scope_path),
            QuestionReader.load(settings.questions_path),
        )


@dataclass(frozen=True)
class Snapshot:
    """Everything one generation of the index gives the chain. Never changed: a re-ingest makes a new one."""

    articles: dict[str, Article]
    retriever: BaseRetriever
    bank: SentenceBank
    generator: Generator
    rules: Rules
    vocabulary: frozenset[str]  # words of the articles and the red-flag rules, for the scope step
    corpus_text: str  # the articles, lower-cased, to look a runner's phrase up in
    version: str
    stamp: int  # the manifest's modification time when this was opened

    @classmethod
    def build(
        cls,
        articles: list[Article],
        chunks: list[Chunk],
        sentences: list[Chunk],
        sentence_vectors: np.ndarray,
        units: list[Unit],
        unit_vectors: np.ndarray,
        dense: Chroma,
        rules: Rules,
        settings: Settings,
        *,
        unit_asks: list[np.ndarray] | None = None,
        tuning: Tuning = DEFAULT,
        version: str = "",
        stamp: int = 0,
    ) -> "Snapshot":
        """A snapshot from parts in hand (an index on disk, or in-memory parts in tests)."""
        bank = SentenceBank({a.id: a.body for a in articles}, sentences, sentence_vectors)
        order = sorted(range(len(units)), key=lambda i: (units[i].source_id, units[i].start, units[i].end))
        unit_bank = UnitBank(
            [units[i] for i in order], unit_vectors[order] if len(order) else unit_vectors, bank, [unit_asks[i] for i in order] if unit_asks else None
        )
        s = settings
        return cls(
            articles={a.id: a for a in articles},
            retriever=build_retriever(dense, chunks, s.k_dense, s.k_lexical, s.k_passages, s.rrf_k),
            bank=bank,
            generator=AnswerPlanner(
                unit_bank, rules.questions.measures, rules.questions.mismatched, min_relevance=s.min_relevance, tuning=tuning,
                unless_also=rules.questions.unless_also, referral=rules.questions.referral, severe=rules.questions.severe,
                no_topic=rules.questions.unnamed,
            ),
            rules=rules,
            vocabulary=frozenset(corpus_vocabulary(articles) | rules.red_flags.vocabulary() | rules.questions.bridged_words),
            corpus_text="\n".join(" ".join(a.body.lower().split()) for a in articles),
            version=version,
            stamp=stamp,
        )

    @classmethod
    def check(cls, settings: Settings, model: str) -> tuple[int, list[Article], LiveIndex]:
        """The live index generation, checked against corpus, model and chunker (IndexMissing / IndexStale /
        IndexCorrupt say what to run), with the manifest's modification time read before opening it: a swap
        landing after this is then seen as a change on the next question."""
        stamp = settings.manifest_path.stat().st_mtime_ns if settings.manifest_path.exists() else 0
        return (stamp, *open_fresh_index(settings, model))

    @classmethod
    def open(
        cls, settings: Settings, model: str, embeddings: Embeddings, tuning: Tuning = DEFAULT, checked: tuple | None = None
    ) -> "Snapshot":
        """Everything the chain needs from the live index, with the rule files checked against its articles;
        `checked` is a result of `check` already in hand."""
        stamp, articles, live = checked or cls.check(settings, model)
        rules = Rules.load(settings, articles)
        chunks = call_store(lambda: read_chunks(live.chunks), settings)
        sentences, vectors = call_store(lambda: read_chunks(live.sentences, with_vectors=True), settings)
        units, unit_vectors = call_store(lambda: read_chunks(live.units, with_vectors=True, record=Unit), settings)
        asks = ask_vectors(load_unit_questions(settings.unit_questions_path, units), embeddings.embed_documents, settings.unit_questions_cache, model)
        store = BoundedChroma(
            settings,
            client=live.client,
            collection_name=live.manifest.chunks_collection,
            embedding_function=embeddings,
            create_collection_if_not_exists=False,
        )
        return cls.build(
            articles, chunks, sentences, vectors, units, unit_vectors, store, rules, settings,
            unit_asks=asks, tuning=tuning, version=live.manifest.corpus_hash, stamp=stamp,
        )


# ---- the steps --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Screening:
    red_flags: RedFlagVerdict
    injection: bool


@dataclass(frozen=True)
class Retrieval:
    query: str  # the question, folded with earlier turns when it leans on them
    passages: list[Passage]
    vector: np.ndarray  # what ranks sentences: the question's direction, with the topic's in a follow-up
    follows_up: bool = False  # the question was read with the earlier turns
    asked: np.ndarray | None = None  # a follow-up's direction without the topic's
    leaned_on: tuple[str, ...] = ()  # the earlier user turns it was read with, for a follow-up


def screen(snap: Snapshot, question: Question, embed: Embed | None = None) -> Screening:
    """Red flags are read from every user turn (by the reviewed phrases, and with `embed` by closeness to the
    reviewed symptom descriptions); an injection attempt is noticed in the question."""
    return Screening(
        red_flags=snap.rules.red_flags.check([*question.earlier_user_turns, question.text], embed),
        injection=snap.rules.scope.looks_like_injection(question.text),
    )


def read(snap: Snapshot, question: Question) -> Reading:
    return snap.rules.questions.read(question, snap.vocabulary, snap.corpus_text)


def retrieve(
    snap: Snapshot, embeddings: Embeddings, question: Question, settings: Settings, tuning: Tuning, reading: Reading | None = None,
    fold: bool = False,
) -> Retrieval:
    """`fold`: read the question with the earlier turns even when it seems to stand alone."""
    # a short question naming no topic of its own ("before or after the run?") is about the earlier turns'
    # (one with words the articles never use is not: "what is the capital of France?")
    own_topic = not reading or not question.earlier_user_turns or snap.generator.names_topic(reading.topic or question.text) or bool(
        snap.rules.scope.unknown_focus_terms(question.text, snap.vocabulary)
    )
    turns = leaned_on(question.text, question.earlier_user_turns, settings.history_turns, snap.rules.questions.unnamed, always=fold, own_topic=own_topic)
    folded = " ".join([*turns, question.text])
    # Passages are found, and what is said is ranked, with the question in the articles' words ("icing my
    # hammy" → "ice my hamstring", typos mended); the closest thing to a gap is found without the gap.
    normalise = (lambda text: snap.rules.questions.normalise(text, snap.vocabulary)) if reading else (lambda text: text)
    query = normalise(folded)
    passages = [to_passage(d) for d in snap.retriever.invoke(query)]
    without_gap = question.text.replace(reading.gap, " ") if reading and reading.gap else question.text
    asked_text = without_gap if len(without_gap.split()) >= 3 else question.text
    asked = query if asked_text == folded else normalise(asked_text)  # mending typos is not free: once is enough
    vector = own = np.asarray(embeddings.embed_query(asked), dtype=np.float32)
    follows_up = bool(turns)
    if follows_up:
        # A follow-up: the earlier turns fix the topic; within it, what is asked now ("how do I prevent
        # it?") should lead.
        w = tuning.followup_topic_weight
        vector = w * np.asarray(embeddings.embed_query(query), dtype=np.float32) + (1 - w) * own
        vector /= np.linalg.norm(vector)
    return Retrieval(query, passages, vector, follows_up, own, turns)


def compose(
    snap: Snapshot, question: Question, retrieval: Retrieval, reading: Reading | None = None, sides: tuple = (), unfit: tuple = (), said: str = ""
) -> Draft:
    return snap.generator.compose(Request(question.text, retrieval.query, retrieval.vector, retrieval.passages, reading, sides, unfit, retrieval.follows_up, retrieval.asked, said))


def plan_answer(snap: Snapshot, question: Question, retrieval: Retrieval, reading: Reading | None) -> tuple[list[Conflict], Draft]:
    """The disagreements to show, and the answer: where the question is about one its situation decides, the
    side that fits the runner leads."""
    conflicts = disagreements(snap, retrieval, reading)
    sides, unfit = applicable_sides(snap, retrieval, reading, conflicts)
    said = last_answer(question)
    draft = compose(snap, question, retrieval, reading, sides, unfit, said)
    asked = asking_parts(snap, question, retrieval, reading)
    return [c for c in conflicts if bears_on(snap, c, asked, draft, said, reading)], draft


def last_answer(question: Question) -> str:
    """What the bot said last in the conversation ("" at its start)."""
    return next((m.content for m in reversed(question.history) if m.role == "assistant"), "")


def asking_parts(snap: Snapshot, question: Question, retrieval: Retrieval, reading: Reading | None) -> tuple[str, list[str]]:
    """What the runner asks, in the articles' words: the asking part of the message when it names a topic;
    else the message, and for a follow-up what each turn it leans on asked, read the same way (so "should I
    ditch them?" after "…sore up top. why would stairs do that?" asks what that turn asked: why stairs, not
    what causes injuries, which only its story touches). Returns (the message's part, the earlier turns' parts)."""
    if own := _own_ask(snap, reading):
        return own, []
    if not retrieval.follows_up:
        return retrieval.query, []
    rules = snap.rules.questions
    earlier = [_own_ask(snap, read(snap, Question(turn, ()))) or rules.normalise(turn, snap.vocabulary) for turn in retrieval.leaned_on]
    return rules.normalise(question.text, snap.vocabulary), earlier


def _own_ask(snap: Snapshot, reading: Reading | None) -> str:
    """The asking part of a message when it names a topic of its own, else ""."""
    return reading.ask if reading is not None and reading.ask and snap.generator.names_topic(reading.topic) else ""


def bears_on(snap: Snapshot, conflict: Conflict, asked: tuple[str, list[str]], draft: Draft, said: str = "", reading: Reading | None = None) -> bool:
    """Is a disagreement one the answer must show: the runner asks about it (`asking_parts`), or the answer quotes
    a side of it? One only their story touches ("felt my hammy tighten… what should I do for the next few days?"
    and whether tight hamstrings are the problem), or only an earlier turn ("so which bit of the stride is the
    risky bit?" after sprinting, and what mainly causes injuries), or only a retrieved passage the answer doesn't
    quote, is not: the block would bury the answer. Nor is one the answer before (`said`) already showed, unless
    this message itself asks about it: not when only the turns it leans on do ("any tips for work then?" after
    "why would sitting hurt it more?"), nor when the answer only quotes a side ("what can I do instead to hang on
    to my fitness?" after "do I have to stop running?"): the runner has just read it. Unless what a "how long" ("how
    much") question asks for is only in the block: "how long do I hold each one?" after being told static
    stretching makes sore hamstrings worse is answered by the side for healthy ones ("45 to 60 seconds")."""
    topic = next((t for t in snap.rules.conflicts.topics if t.topic == conflict.topic), None)
    message, earlier = asked
    if topic is not None and topic.spoken_of_in(message):
        return True
    if conflict.topic in said:
        return _measured_only_in(conflict, draft, asked_measure(snap.rules.questions.measures, reading))
    if topic is not None and any(topic.spoken_of_in(e) for e in earlier):
        return True
    quoted = [q.text for q in draft.quotes]
    return any(p.quote in text or text in p.quote for p in conflict.positions for text in quoted)


def _measured_only_in(conflict: Conflict, draft: Draft, measure: Measured | None) -> bool:
    """Does only the disagreement's sides, not the answer, state what a "how long" ("how much") question asks for?"""
    said = [conflict.summary, *(p.quote for p in conflict.positions)]
    return bool(measure) and not any(measure.search(q.text) for q in draft.quotes) and any(measure.search(text) for text in said)


def applicable_sides(snap: Snapshot, retrieval: Retrieval, reading: Reading | None, conflicts: list[Conflict]) -> tuple[tuple, tuple]:
    """Of the disagreements the question itself is about ("I pulled it, should I stretch?"), not those only its
    passages show, and that the runner's situation decides: (article, quote) of each side that fits them, and
    (article, "is this about the disagreement?") of each side written for another situation ("settle for the
    stationary bike", to a runner with tendinopathy), which only the disagreement block, saying it doesn't fit
    them, may quote."""
    if not reading or not reading.situation:
        return (), ()
    asked = {t.topic: t for t in snap.rules.conflicts.topics_in(retrieval.query)}
    decided = [(c, asked[c.topic]) for c in conflicts if c.topic in asked and c.fits]
    fit = tuple((p.source_id, p.quote) for c, _ in decided for p in c.positions if reading.situation in p.situations)
    unfit = tuple(
        (p.source_id, functools.partial(_states_side, p.quote, topic))
        for c, topic in decided for p in c.positions if p.situations and reading.situation not in p.situations
    )
    return fit, unfit


def _states_side(quote: str, topic: ConflictTopic, text: str) -> bool:
    """Does `text` state this side of the disagreement: its own quote ("…adjustments to your running routine rather
    than opting out altogether", which names no running through pain), or anything the topic is recognised by?"""
    return quote in text or topic.spoken_of_in(text)


def covered(snap: Snapshot, question: Question, retrieval: Retrieval, draft: Draft, settings: Settings, asked: str = "") -> bool:
    """Do the articles cover the question? Decided from retrieval evidence and topic.

    Nothing close retrieved → no; a question naming the hamstring → yes; any other needs strong
    similarity, or its rarer words found in the retrieved passages, or moderate similarity with few words
    the articles (and the reviewed red-flag rules) never use: in the message, or in `asked` when given (its
    asking sentences, `asking_sentences`). Creative writing is never covered.
    """
    s, scope = settings, snap.rules.scope
    if scope.wants_creative_writing(question.text) or draft.relevance < s.min_relevance or draft.lead is None:
        return False
    # (in the runner's own words as well as mended ones: "bum crease" is not "bum increase")
    if scope.names_the_subject(question.text) or (not scope.changes_subject(question.text) and scope.names_the_subject(retrieval.query)):
        return True
    named_before = _named_before(scope, question)
    if scope.complains_elsewhere(question.text) and not named_before:
        return False  # another part of the body: "always get a stitch in my side", "how do I fix runner's knee?"
    content, foreign = scope.foreign_terms(asked or question.text, snap.vocabulary)
    # A conversation already about the hamstring keeps its subject: "how many reps?" follows on from it,
    # as long as it brings in nothing the articles don't know.
    if not foreign and not scope.changes_subject(question.text) and named_before:
        return True
    share = len(foreign) / len(content) if content else 0.0
    return (
        draft.relevance >= s.scope_strong_relevance
        or snap.bank.coverage(question.text, retrieval.passages) >= s.scope_min_coverage
        or (draft.relevance >= s.scope_moderate_relevance and share < s.scope_max_foreign_share)
    )


def asking_sentences(text: str) -> str:
    """The sentences of a message that ask, when others only tell; "" when none or all ask. The words "got a
    foam roller for xmas… the leaflet that came with it is useless" or "my son has a kettlebell i could pinch"
    bring in say nothing of what is asked ("am i meant to use it before my runs or after?", "should i be using
    weights straight away?")."""
    sentences = message_sentences(text)
    asking = [s for s in sentences if s.rstrip().endswith("?")]
    return " ".join(asking) if asking and len(asking) < len(sentences) else ""


def _foreign_readings(scope: ScopeRules, text: str, vocabulary: set[str]) -> list[tuple[list[str], list[str]]]:
    """(content words, those the articles never use) of the whole message, and of its asking sentences alone
    when others only tell: either may show it is on the articles' ground. (The asking sentences alone never show
    it isn't: its story's known words may be what makes "ready to try a short jog yet?" theirs.)"""
    return [scope.foreign_terms(part, vocabulary) for part in filter(None, (text, asking_sentences(text)))]


FOLLOW_ON_FOREIGN = 1  # words the articles never use, at most, in a question read as following on ("sets") ...
# ... or, in a longer one, this share of its content words at most ("what cardio can I do in the meantime so I
# don't lose my fitness?": "meantime" and "lose" of five; "go heavy straight away? I'm not a total newbie")
FOLLOW_ON_FOREIGN_SHARE = 0.4
# A message in the articles' words alone may follow on when this close to them on its own (below min_relevance)
FOLLOW_ON_KNOWN_WORDS_RELEVANCE = 0.2


def follows_on(
    snap: Snapshot, question: Question, draft: Draft, settings: Settings, earlier_covered: Callable[[], bool] = lambda: False
) -> bool:
    """Could a question that doesn't seem covered on its own follow on from a conversation about the
    hamstring? Only when it is about as close to the articles as a question in scope needs to be, with
    few foreign words ("how many sets and reps?"), never a question on another subject ("who won the cup?",
    "any good banana bread recipes with walnuts?"). A conversation is about the hamstring when an earlier
    message names it, or when the message before was itself covered (`earlier_covered`, asked only then):
    "what should a proper warm-up look like?" never says "hamstring", and "how do I know I've done enough?"
    follows on from it."""
    scope = snap.rules.scope
    if not question.earlier_user_turns or scope.changes_subject(question.text):
        return False
    named_before = _named_before(scope, question)
    if scope.complains_elsewhere(question.text) and not named_before:
        return False
    readings = _foreign_readings(scope, question.text, snap.vocabulary)
    content, foreign = readings[0]
    few = any(len(f) <= FOLLOW_ON_FOREIGN or len(f) <= FOLLOW_ON_FOREIGN_SHARE * len(c) for c, f in readings) or _asks_on(snap, question.text)
    # a message all in the articles' words may be further from them on its own ("cool. how heavy should i go to
    # begin with?" after one-legged deadlifts); read with the conversation, it is judged as any question is
    close = draft.relevance >= (FOLLOW_ON_KNOWN_WORDS_RELEVANCE if content and not foreign else settings.min_relevance)
    if not (close and few and not scope.wants_creative_writing(question.text)):
        return False
    return named_before or earlier_covered()


def _named_before(scope: ScopeRules, question: Question) -> bool:
    """Did an earlier message of the runner's name the hamstring?"""
    return any(scope.names_the_subject(t) for t in question.earlier_user_turns)


def _asks_on(snap: Snapshot, text: str) -> bool:
    """Does the message open with a question about what was said before, in words the articles use? Its "it" or
    "that" can only point back at the conversation ("what would u put in it? i get maybe 10 min in the car park
    before i set off"): the story after it, however foreign its words, is context. ("my garmin keeps dying. can
    you fix it?" opens with no such question.)"""
    first = message_sentences(text)[0] if text.strip() else ""
    return first.rstrip().endswith("?") and bool(POINTS_BACK & set(words(first))) and not snap.rules.scope.foreign_terms(first, snap.vocabulary)[1]


def earlier_covered(snap: Snapshot, embeddings: Embeddings, question: Question, settings: Settings, tuning: Tuning) -> bool:
    """Was the runner's message before this one covered by the articles (decided as it was then)?"""
    history = list(question.history)
    while history and history[-1].role != "user":
        history.pop()
    if not history:
        return False
    before = Question(history[-1].content, tuple(history[:-1]))
    reading = read(snap, before)
    return not reading.small_talk and in_scope(snap, embeddings, before, settings, tuning, reading) is not None


def in_scope(
    snap: Snapshot, embeddings: Embeddings, question: Question, settings: Settings, tuning: Tuning, reading: Reading
) -> tuple[list[Conflict], Draft] | None:
    """The question's disagreements and draft answer when the articles cover it; None when it is declined.
    A question that doesn't seem covered on its own but may follow on from the conversation ("how many sets
    and reps?" after a question on strength work) is read with the conversation before it is declined; read
    so, it needs only the closeness any question in scope needs."""
    retrieval = retrieve(snap, embeddings, question, settings, tuning, reading)
    conflicts, draft = plan_answer(snap, question, retrieval, reading)
    if covered(snap, question, retrieval, draft, settings):
        return conflicts, draft
    if not follows_on(snap, question, draft, settings, lambda: earlier_covered(snap, embeddings, question, settings, tuning)):
        # a message whose asking sentences are on the articles' ground, whatever the rest tells
        asked = asking_sentences(question.text)
        return (conflicts, draft) if asked and covered(snap, question, retrieval, draft, settings, asked) else None
    retrieval = retrieve(snap, embeddings, question, settings, tuning, reading, fold=True)
    conflicts, draft = plan_answer(snap, question, retrieval, reading)
    if covered(snap, question, retrieval, draft, settings) or (draft.lead is not None and draft.relevance >= settings.min_relevance):
        return conflicts, draft
    return None


def disagreements(snap: Snapshot, retrieval: Retrieval, reading: Reading | None = None) -> list[Conflict]:
    """Registered topics recognised in the question with the turns it leans on, then any the passages show;
    where the runner described their situation, each says which side fits it."""
    registry = snap.rules.conflicts
    found = [registry.as_conflict(t) for t in registry.topics_in(retrieval.query)]
    found += passage_disagreements(retrieval.passages, registry)
    unique: dict[str, Conflict] = {}
    for conflict in found:
        unique.setdefault(conflict.topic, conflict)
    return [_fitted(c, snap, reading) for c in unique.values()]


def _fitted(conflict: Conflict, snap: Snapshot, reading: Reading | None) -> Conflict:
    names = snap.rules.questions.file.situation_names
    if not reading or reading.situation not in names:
        return conflict
    sides = [p for p in conflict.positions if reading.situation in p.situations]
    if not sides:
        return conflict
    said = "; ".join(f"{p.stance} ({snap.articles[p.source_id].title})" for p in sides)
    return conflict.model_copy(update={"fits": f"For {names[reading.situation]}, the side that applies: {said}."})


def notices_before(snap: Snapshot, reading: Reading, draft: Draft) -> list[Notice]:
    """What the answer says first, in our own words: a gap in the articles, or that they give no timeline (amount)."""
    notices = []
    if reading.gap:
        notices.append(Notice(kind="not-covered", text=f"The articles don't discuss {reading.gap}. The closest they come:"))
    elif reading.unnamed:
        names = " or ".join(dict.fromkeys(word for word, _ in reading.unnamed))
        means = reading.unnamed[0][1]
        notices.append(Notice(kind="not-covered", text=f"The articles don't mention {names} by name. What they say about {means}:"))
    for note in draft.before:
        if note.startswith("none-measured:"):
            kind, text = snap.rules.questions.none_measured(note.removeprefix("none-measured:"))
            notices.append(Notice(kind=kind, text=text))
    return notices


def answer_question(
    snap: Snapshot, embeddings: Embeddings, question: Question, settings: Settings, tuning: Tuning = DEFAULT, embed: Embed | None = None
) -> Answer:
    """The chain. Safety first: "ignore your rules, I felt a pop" still gets the escalation, and nothing else."""
    screening = screen(snap, question, embed)
    verdict, reader = screening.red_flags, snap.rules.questions
    now = len(question.earlier_user_turns)  # the index of this message among the runner's
    if any(hit.message_index == now for hit in verdict.personal):
        return escalated(snap.articles, snap.rules.red_flags, verdict)
    reminders, injured = earlier_red_flags(snap, question, verdict)
    if injured and reader.asks_self_care(question.text):
        return escalated(snap.articles, snap.rules.red_flags, verdict, reminders)
    if screening.injection:
        return declined(snap.rules.scope.injection_text)
    reading = read(snap, question)
    if reading.small_talk:
        return small_talk(reader.reply(reading.small_talk))
    if injured:  # until it is assessed, the leg is treated as freshly injured: no advice for healthy ones
        reading = dataclasses.replace(reading, situations=("injured", *reading.situations))
    found = in_scope(snap, embeddings, question, settings, tuning, reading)
    if found is None:
        return declined(snap.rules.scope.decline_text)
    conflicts, draft = found
    return answered(
        snap.articles, draft, snap.rules.red_flags, verdict, conflicts, snap.rules.scope.nothing_found,
        [*reminders, *notices_before(snap, reading, draft)],
    )


def earlier_red_flags(snap: Snapshot, question: Question, verdict: RedFlagVerdict) -> tuple[list[Notice], bool]:
    """The conversation policy after a red flag in an earlier message: a reminder at the top of later answers,
    softer once the runner says it has been assessed. Also whether the leg is still unassessed."""
    earlier = verdict.personal  # none is in this message: that escalated before this is asked
    if not earlier:
        return [], False
    reader = snap.rules.questions
    reasons = list(dict.fromkeys(hit.reason for hit in earlier))
    since = question.earlier_user_turns[min(hit.message_index for hit in earlier) + 1 :] + [question.text]
    if reader.says_assessed(since):
        return [Notice(kind="earlier-red-flag", text=reader.reminder("assessed", reasons))], False
    kind = "self_care_before_assessment" if reader.asks_self_care(question.text) else "earlier_red_flag"
    return [Notice(kind="earlier-red-flag", text=reader.reminder(kind, reasons))], True


# ---- the bot ----------------------------------------------------------------------------------------


# What a store failure means while serving: each is logged with its fix; the runner gets an apology.
STORE_FAILURES = (IndexCorrupt, IndexMissing, IndexStale, StoreUnreachable, StoreUnwritable)
RELOAD_BACKOFF_S = 2.0  # between attempts to reopen an index that failed, so a burst of questions tries once
UNREACHABLE_LOG_EVERY_S = 30.0  # a server down for an hour logs its fix every half minute, not per question
APOLOGY = (
    "Sorry, I can't reach the articles I answer from right now, so I can't answer safely. "
    "Please try again in a minute."
)


class Bot:
    """Answers a runner's questions from the five articles, with citations and guardrails.

    Answers run in parallel; only picking up a re-ingested index takes a lock, and it swaps the snapshot
    in one assignment, so a question in flight finishes on the snapshot it started with. When the store
    fails under a question (deleted, damaged, a server down), the runner gets `AnswerUnavailable` (an
    apology), the log the operator's fix, and the index is reopened as soon as it can be: no restart.

    Use: `Bot.load().ask("Should I stretch after a run?").conflicts[0].topic` is
    'Static stretching of the hamstrings' (tests/bot/test_bot_integration.py runs it).
    """

    def __init__(self, settings: Settings, embeddings: Embeddings, snapshot: Snapshot, model: str, tuning: Tuning = DEFAULT):
        self.settings = settings
        self.embeddings = embeddings
        self.model = model
        self.tuning = tuning
        self.snapshot = snapshot
        # Symptom descriptions and a conversation's earlier turns are embedded once for the red-flag check.
        self.symptoms = CachedEmbed(embeddings)
        self._seen_stamp = snapshot.stamp
        self._reload = threading.Lock()
        self._failed_stamp: int | None = None  # a manifest whose index could not be opened
        self._broken = False  # the snapshot in hand failed under a question
        self._retry_at = 0.0  # monotonic time of the next reopen attempt after a failure
        self._unreachable_logged = -UNREACHABLE_LOG_EVERY_S

    @classmethod
    def load(cls, settings: Settings | None = None, embeddings: Embeddings | None = None) -> "Bot":
        """Open the live index (IndexMissing / IndexStale / IndexCorrupt / StoreUnreachable say what to do)
        and warm up."""
        settings = settings or Settings()
        # With an injected embedder (tests), trust whatever model the index says it was built with.
        if embeddings is None:
            model = model_label(settings)
        else:
            manifest = read_manifest(settings)
            model = manifest.model if manifest else ""
        checked = Snapshot.check(settings, model)  # fail fast, before the model is loaded
        embeddings = QueryCache(embeddings or load_embeddings(settings))
        bot = cls(settings, embeddings, Snapshot.open(settings, model, embeddings, checked=checked), model)
        # Warm-up, so the first real answer is as fast as the rest; a store failing here raises the operator's
        # error (what to fix), not the runner's apology.
        answer_question(bot.snapshot, bot.embeddings, check("What are the hamstrings?", None, settings), settings, bot.tuning, bot.symptoms)
        return bot

    def ask(self, question: "str | Question", history: Sequence[Message | dict] | None = None) -> Answer:
        """Answer one question; `history` is the conversation so far, oldest first. A `Question` is already
        checked (core.questions.check) and carries its history. AnswerUnavailable (a readable apology) when
        the index cannot be read."""
        if not isinstance(question, Question):
            question = check(question, history, self.settings)
        snap = self._current()
        try:
            return answer_question(snap, self.embeddings, question, self.settings, self.tuning, self.symptoms)
        except STORE_FAILURES as exc:
            failure = exc
        self._note_failure(snap, failure)
        if not isinstance(failure, StoreUnreachable):  # a stuck server would only make the runner wait twice
            fresh = self._current()
            if fresh is not snap:  # the store was rebuilt under this question: answer from the new one
                try:
                    return answer_question(fresh, self.embeddings, question, self.settings, self.tuning, self.symptoms)
                except STORE_FAILURES as exc:
                    self._note_failure(fresh, exc)
        # A server that stopped answering is often back in seconds; a damaged index waits for an operator.
        raise AnswerUnavailable(APOLOGY, retry_after=10 if isinstance(failure, StoreUnreachable) else 30) from failure

    def _note_failure(self, snap: Snapshot, exc: HamstringBotError) -> None:
        """Log the operator's fix once per episode. An unreachable server needs no reopening (the client
        reconnects by itself); anything else marks the snapshot broken, so the index is opened again."""
        state, remedy = remedy_for(exc, self.settings)
        with self._reload:
            if isinstance(exc, StoreUnreachable):
                if time.monotonic() >= self._unreachable_logged + UNREACHABLE_LOG_EVERY_S:
                    self._unreachable_logged = time.monotonic()
                    log.error("questions get an apology while the store is unreachable: %s Fix: %s", exc, remedy)
            elif snap is self.snapshot and not self._broken:
                self._broken = True
                log.error("questions get an apology until the index can be read (%s): %s Fix: %s", state, exc, remedy)
                # Stop the store in hand: left running, it reconnects by path, and would touch the new store
                # an ingest --rebuild builds there. Questions fail at once until the index is reopened.
                release_store(self.settings)

    def _current(self) -> Snapshot:
        """The snapshot to answer from. A re-run ingest swaps the manifest, and the new index is picked up
        here without a restart; so is a store that failed under a question and has been repaired since.
        An index that cannot be opened is tried again after RELOAD_BACKOFF_S, or at once when the manifest
        changes again."""
        if not self._broken and store_replaced(self.settings):
            # Deleted or moved aside under us: answering from its leftovers in memory would go on touching
            # the path where an ingest may now be building a new store.
            self._note_failure(self.snapshot, IndexCorrupt(
                f"The store {self.settings.chroma_dir} was deleted or replaced while the bot was serving; if no "
                f"ingest is running, rebuild it with: {REBUILD_COMMAND}"
            ))
        try:
            stamp = self.settings.manifest_path.stat().st_mtime_ns
        except OSError:
            stamp = None  # no manifest (the data folder was deleted): nothing newer to open yet
        if not self._reopen_due(stamp):
            return self.snapshot
        with self._reload:
            if not self._reopen_due(stamp):
                return self.snapshot  # another thread reopened (or just tried) while this one waited
            try:
                self.snapshot = Snapshot.open(self.settings, self.model, self.embeddings, self.tuning)
            except HamstringBotError as exc:
                self._failed_stamp, self._retry_at = stamp, time.monotonic() + RELOAD_BACKOFF_S
                state, remedy = remedy_for(exc, self.settings)
                if self._broken:
                    log.warning("the index still cannot be read (%s): %s Fix: %s", state, exc, remedy)
                else:
                    log.warning(
                        "the index changed but the new one cannot be opened (%s): %s Fix: %s. Answering from the "
                        "generation opened before, as long as it can be read.", state, exc, remedy,
                    )
                return self.snapshot
            self._seen_stamp, self._failed_stamp, self._broken = self.snapshot.stamp, None, False
            log.warning("index reopened: answering from generation %s", self.snapshot.version)
        return self.snapshot

    def _reopen_due(self, stamp: int | None) -> bool:
        """Open the index again? When the manifest changed (unless that very manifest just failed), or when
        the snapshot in hand failed under a question; never while the manifest is gone or an ingest writes."""
        if stamp is None:
            return False
        changed = stamp != self._seen_stamp
        if not changed and not self._broken:
            return False
        retrying = stamp == self._failed_stamp or not changed
        if retrying and time.monotonic() < self._retry_at:
            return False
        return not ingest_running(self.settings)  # an ingest writing now will swap the manifest when done
