"""Disagreements between the articles: the reviewed registry (corpus/conflicts.yaml) and a detector for new ones.

The registry says how to recognise a question about each known disagreement and what each article says,
verbatim; the detector flags sentences of different articles that give opposite advice about one action.

>>> registry = ConflictRegistry.load(Path("corpus/conflicts.yaml"))
>>> [topic.id for topic in registry.topics_in("My hamstrings feel tight, will stretching help?")]
['static-stretching', 'hamstring-tightness']
>>> registry.topics_in("Should I warm up before speed work?")
[]
"""

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from bot.errors import CorpusError
from bot.guardrails.rulefile import Expression, RuleModel, Text, field_errors, load_rule_file, problem, repeated_ids
from bot.types import Article, Conflict, ConflictPosition, Passage

REGISTRY_VERSION = 1

# Read text the way red_flags.yaml is read, so curators write patterns one way for both files.
_APOSTROPHES = re.compile(r"['’‘`´]")
_INNER_HYPHEN = re.compile(r"(?<=\w)[-‐‑–](?=\w)")


def _normalise(text: str) -> str:
    text = _INNER_HYPHEN.sub(" ", _APOSTROPHES.sub("", text.lower()))
    return " ".join(text.split())


# ---- the registry ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConflictTopic:
    """One known disagreement: what it is about, how to recognise it, and each article's side."""

    id: str
    topic: str
    summary: str
    positions: tuple[ConflictPosition, ...] = field(compare=False)
    # Any one rule recognises the topic; a rule is a set of expressions that must all be found.
    recognise: tuple[tuple[re.Pattern, ...], ...] = field(compare=False, repr=False)

    def is_about(self, text: str) -> bool:
        """True when normalised text matches every expression of one of the topic's rules."""
        return any(all(pattern.search(text) for pattern in rule) for rule in self.recognise)


class ConflictRegistry:
    """The reviewed disagreements of corpus/conflicts.yaml."""

    def __init__(self, topics: list[ConflictTopic], path: Path):
        self.topics = topics
        self.path = path
        self._quotes = {position.quote for topic in topics for position in topic.positions}

    @classmethod
    def load(cls, path: Path) -> "ConflictRegistry":
        """Read the registry; RulesError naming the file, topic and field for anything malformed."""
        file = load_rule_file(path, ConflictsFile)
        return cls([entry.conflict_topic() for entry in file.topics], path)

    def verify(self, articles: list[Article]) -> None:
        """CorpusError listing every quote that is no longer verbatim in its source article."""
        bodies = {article.id: article.body for article in articles}
        problems = []
        for topic in self.topics:
            for position in topic.positions:
                if position.source_id not in bodies:
                    problems.append(f"{self.path}: topic {topic.id}: no article with id {position.source_id!r}.")
                elif position.quote not in bodies[position.source_id]:
                    problems.append(
                        f"{self.path}: topic {topic.id}: quote is no longer verbatim in {position.source_id}: "
                        f"{position.quote!r}"
                    )
        if problems:
            raise CorpusError("\n".join(problems) + "\nCopy each quote again from its article, word for word.")

    def topics_in(self, text: str) -> list[ConflictTopic]:
        """Registered topics a question is about; pass the question with earlier turns for a follow-up."""
        text = _normalise(text)
        return [topic for topic in self.topics if topic.is_about(text)]

    def as_conflict(self, topic: ConflictTopic) -> Conflict:
        return Conflict(topic=topic.topic, summary=topic.summary, positions=list(topic.positions))

    def covers(self, first: str, second: str) -> bool:
        """True when a registered topic already presents a disagreement between these two sentences."""
        if first in self._quotes or second in self._quotes:
            return True
        first, second = _normalise(first), _normalise(second)
        return any(topic.is_about(first) and topic.is_about(second) for topic in self.topics)


# ---- reading corpus/conflicts.yaml ----------------------------------------------------------------
# Keys the reader does not know are ignored, as they always were.


def _recogniser(expression: str) -> str:
    return r"(?<!\w)(?:" + expression + r")(?!\w)"


def _compiles(expression: str) -> str:
    try:
        re.compile(_recogniser(expression))
    except re.error as exc:
        raise problem(f"not a valid regular expression ({exc}).") from exc
    return expression


# A recognise rule: expressions that must all be found in the question.
_Rule = Annotated[list[Annotated[Expression, AfterValidator(_compiles)]], Field(min_length=1)]


class PositionEntry(RuleModel):
    """One article's side of a disagreement, with its sentence quoted word for word."""

    source_id: Text
    stance: Text
    quote: Text


class TopicEntry(RuleModel):
    """One disagreement as written: what it is about, how to recognise it, and each article's side."""

    id: Text
    topic: Text
    summary: Text
    recognise: Annotated[list[_Rule], Field(min_length=1)]
    positions: list[PositionEntry]

    @field_validator("positions")
    @classmethod
    def _two_articles(cls, positions: list[PositionEntry]) -> list[PositionEntry]:
        if len({position.source_id for position in positions}) < 2:
            raise problem("a disagreement needs positions from at least two different articles; add one.")
        return positions

    def conflict_topic(self) -> ConflictTopic:
        return ConflictTopic(
            id=self.id,
            topic=self.topic,
            summary=self.summary,
            positions=tuple(ConflictPosition(**position.model_dump()) for position in self.positions),
            recognise=tuple(tuple(re.compile(_recogniser(p)) for p in rule) for rule in self.recognise),
        )


class ConflictsFile(RuleModel):
    """corpus/conflicts.yaml: the reviewed disagreements between the articles."""

    version: Literal[REGISTRY_VERSION]
    topics: Annotated[list[TopicEntry], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_ids(self) -> "ConflictsFile":
        problems = repeated_ids("topics", self.topics)
        if problems:
            raise field_errors(type(self).__name__, problems)
        return self


# ---- disagreements the registry does not know -----------------------------------------------------
# A deliberately simple reading: find an action a sentence talks about, then whether the sentence
# recommends it or warns against it. It flags for review; it never decides what is true.

_ACTIONS = {
    "stretching": r"(?<!dynamic )(?<!dynamically )(?:static |statically )?stretch(?:es|ing)?",
    "foam rolling": r"foam roll\w*",
    "massage": r"(?:self )?massag\w*",
    "cycling": r"cycling|stationary bike|bike|biking",
    "running through pain": (
        r"keep running|keep going|continu\w* to run|continu\w* running|run\w* through|work\w* through|"
        r"push\w* through|tough\w* out"
    ),
    "strength training": r"strength training|strength work|strengthen\w*",
    "hill running": r"hills?|uphill running",
    "ice": r"ice|icing",
    "heat": r"heat",
    "rest": r"rest|resting",
    "squats and lunges": r"squat\w*|lunges?|lunging",
    "anti-inflammatory medication": r"anti inflammatory\w*",
}
_ACTION = re.compile("|".join(f"(?P<a{n}>(?<!\\w)(?:{p})(?!\\w))" for n, p in enumerate(_ACTIONS.values())))
_ACTION_NAMES = list(_ACTIONS)

# Warnings and recommendations in what a sentence says about the action (after it) ...
_SAYS_AGAINST = re.compile(
    r"\b(?:makes? (?:\w+ ){0,2}worse|aggravat\w*|harm|impractical|impossible|wont help|prevent\w* healing|"
    r"worsen\w*|increase (?:compression|stress|injury risk)|compromise|should not|shouldnt|not be)\b"
)
_SAYS_FOR = re.compile(
    r"\b(?:can help|may help|helps?|helpful|useful|is key|critical|important|recommended|benefits?|better|works? "
    r"(?:very )?well|fantastic|good|aids?|improve\w*|ideal|soothes?|relieves?|advisable|heal|warrants)\b"
)
# ... and in how the sentence leads up to it.
_LEADS_AGAINST = re.compile(r"\b(?:avoid\w*|never|do not|dont|rather than|instead of|not|stop)\b")
_LEADS_FOR = re.compile(
    r"^(?:perform|try|use|add|apply|do|start|include|make)\b|\b(?:should|critical to|important to|recommend\w*)\b"
)
_CONDITION = re.compile(r"\b(?:if|unless|when|whether)\b")
_CLAUSE = re.compile(r"[,;:()]|\s[-–—]\s")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_LIST_MARK = re.compile(r"^(?:[-*]|\d+\.)\s+")


@dataclass(frozen=True)
class Advice:
    """What one article sentence says about one action."""

    action: str
    stance: Literal["for", "against"]
    source_id: str
    title: str
    sentence: str  # verbatim article text


@dataclass(frozen=True)
class Candidate:
    """Two articles that seem to give opposite advice about one action: for a curator to review."""

    action: str
    source_for: str
    sentence_for: str
    source_against: str
    sentence_against: str


def sentences(text: str) -> list[str]:
    """The sentences of Markdown text, verbatim (headings dropped, list markers stripped)."""
    found = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        line = _LIST_MARK.sub("", line)
        found.extend(part for part in _SENTENCE_END.split(line) if part)
    return found


def advice_in(sentence: str, source_id: str, title: str) -> list[Advice]:
    """The actions a sentence recommends or warns against; neutral mentions are left out."""
    found = []
    for clause in _CLAUSE.split(_normalise(sentence)):
        mentions = list(_ACTION.finditer(clause))
        for i, mention in enumerate(mentions):
            after_end = mentions[i + 1].start() if i + 1 < len(mentions) else len(clause)
            stance = _stance(clause[: mention.start()], clause[mention.end() : after_end])
            if stance:
                action = _ACTION_NAMES[int(mention.lastgroup[1:])]
                found.append(Advice(action, stance, source_id, title, sentence))
    return found


def _stance(before: str, after: str) -> Literal["for", "against"] | None:
    against, support = _SAYS_AGAINST.search(after), _SAYS_FOR.search(after)
    if against or support:
        # what is said first about the action is what is said about it
        if against and (not support or against.start() < support.start()):
            return "against"
        return "for"
    if _CONDITION.search(before):
        return None  # "if you don't have a foam roller" sets a condition; it advises nothing
    if _LEADS_AGAINST.search(before):
        return "against"
    if _LEADS_FOR.search(before.strip()):
        return "for"
    return None


def _opposed(advice: list[Advice], registry: "ConflictRegistry | None") -> dict[str, tuple[list[Advice], list[Advice]]]:
    """Per action, the advice for and against it, when different articles take the two sides."""
    by_action: dict[str, tuple[list[Advice], list[Advice]]] = {}
    for item in advice:
        for_it, against_it = by_action.setdefault(item.action, ([], []))
        (for_it if item.stance == "for" else against_it).append(item)
    opposed = {}
    for action, (for_it, against_it) in by_action.items():
        pairs = [
            (a, b) for a in for_it for b in against_it
            if a.source_id != b.source_id and not (registry and registry.covers(a.sentence, b.sentence))
        ]
        if pairs:
            opposed[action] = ([a for a, _ in pairs], [b for _, b in pairs])
    return opposed


def passage_disagreements(passages: list[Passage], registry: ConflictRegistry) -> list[Conflict]:
    """Likely disagreements among retrieved passages that the registry does not already present."""
    advice = [
        item
        for passage in passages
        for sentence in sentences(passage.chunk.text)
        for item in advice_in(sentence, passage.chunk.source_id, passage.chunk.title)
    ]
    conflicts = []
    for action, (for_it, against_it) in _opposed(advice, registry).items():
        positions, seen = [], set()
        for item in for_it + against_it:
            if item.source_id in seen:
                continue
            seen.add(item.source_id)
            stance = f"recommends {action}" if item.stance == "for" else f"advises against {action}"
            positions.append(ConflictPosition(source_id=item.source_id, stance=stance, quote=item.sentence))
        titles_for = _names(item.title for item in for_it)
        titles_against = _names(item.title for item in against_it)
        conflicts.append(
            Conflict(
                topic=action.capitalize(),
                summary=(
                    f"These passages give opposite advice about {action}: {titles_for} recommends it, while "
                    f"{titles_against} advises against it. They may be describing different situations, such as "
                    f"a healthy hamstring versus a sore or injured one; read each in its context."
                ),
                positions=positions,
            )
        )
    return conflicts


def candidate_disagreements(articles: list[Article], registry: ConflictRegistry | None = None) -> list[Candidate]:
    """Corpus-wide scan for disagreements a curator may want to register; one candidate per action and pair
    of articles. With a registry, disagreements it already presents are left out."""
    advice = [
        item
        for article in articles
        for sentence in sentences(article.body)
        for item in advice_in(sentence, article.id, article.title)
    ]
    candidates, seen = [], set()
    for action, (for_it, against_it) in _opposed(advice, registry).items():
        for a, b in zip(for_it, against_it):
            if (action, a.source_id, b.source_id) not in seen:
                seen.add((action, a.source_id, b.source_id))
                candidates.append(Candidate(action, a.source_id, a.sentence, b.source_id, b.sentence))
    return candidates


def _names(titles) -> str:
    unique = list(dict.fromkeys(f"“{title}”" for title in titles))
    return unique[0] if len(unique) == 1 else ", ".join(unique[:-1]) + " and " + unique[-1]
