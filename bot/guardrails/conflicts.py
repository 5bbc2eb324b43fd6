"""Disagreements between the articles: the reviewed registry (corpus/conflicts.yaml) and a detector for new ones.

The registry says how to recognise a question about each known disagreement and what each article says,
verbatim; the detector flags sentences of different articles that give opposite advice about one action.

>>> registry = ConflictRegistry.load()
>>> [topic.id for topic in registry.topics_in("My hamstrings feel tight, will stretching help?")]
['static-stretching', 'hamstring-tightness']
>>> registry.topics_in("Should I warm up before speed work?")
[]
"""

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from core.rulefile import Expression, RuleModel, Text, field_errors, load_rule_file, problem, repeated_ids
from core.settings import PROJECT_ROOT
from core.text import LIST_MARKER, sentence_spans
from core.text import rule_text  # read the way red_flags.yaml is read: one way to write patterns
from core.types import Article, Conflict, ConflictPosition, Passage

DEFAULT_PATH = PROJECT_ROOT / "corpus" / "conflicts.yaml"
REGISTRY_VERSION = 1


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

    def spoken_of_in(self, text: str) -> bool:
        """`is_about` for any text (an article's sentence, say), normalised first."""
        return self.is_about(rule_text(text))


class ConflictRegistry:
    """The reviewed disagreements of corpus/conflicts.yaml."""

    def __init__(self, topics: list[ConflictTopic], detector: "Detector", path: Path):
        self.topics = topics
        self.detector = detector
        self.path = path
        self._quotes = {position.quote for topic in topics for position in topic.positions}

    @classmethod
    def load(cls, path: Path | None = None) -> "ConflictRegistry":
        """Read the registry; RulesError naming the file, topic and field for anything malformed."""
        path = path or DEFAULT_PATH
        file = load_rule_file(path, ConflictsFile)
        return cls([entry.conflict_topic() for entry in file.topics], file.detector.compiled(), path)

    def topics_in(self, text: str) -> list[ConflictTopic]:
        """Registered topics a question is about; pass the question with earlier turns for a follow-up."""
        text = rule_text(text)
        return [topic for topic in self.topics if topic.is_about(text)]

    def as_conflict(self, topic: ConflictTopic) -> Conflict:
        return Conflict(topic=topic.topic, summary=topic.summary, positions=list(topic.positions))

    def covers(self, first: str, second: str) -> bool:
        """True when a registered topic already presents a disagreement between these two sentences."""
        if first in self._quotes or second in self._quotes:
            return True
        first, second = rule_text(first), rule_text(second)
        return any(topic.is_about(first) and topic.is_about(second) for topic in self.topics)


# ---- reading corpus/conflicts.yaml ----------------------------------------------------------------


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
    situations: list[Literal["healthy", "sore", "injured", "tendinopathy", "returning", "any"]] = []


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


_Checked = Annotated[Expression, AfterValidator(_compiles)]


class DetectorEntry(RuleModel):
    """The words the detector of unregistered disagreements looks for."""

    actions: Annotated[dict[str, _Checked], Field(min_length=1)]
    says_against: _Checked
    says_for: _Checked
    leads_against: _Checked
    leads_for: _Checked

    def compiled(self) -> "Detector":
        names = list(self.actions)
        action = re.compile("|".join(f"(?P<a{n}>(?<!\\w)(?:{p})(?!\\w))" for n, p in enumerate(self.actions.values())))
        return Detector(names, action, *(re.compile(p) for p in (self.says_against, self.says_for, self.leads_against, self.leads_for)))


class ConflictsFile(RuleModel):
    """corpus/conflicts.yaml: the reviewed disagreements between the articles, and the detector's words."""

    version: Literal[REGISTRY_VERSION]
    topics: Annotated[list[TopicEntry], Field(min_length=1)]
    detector: DetectorEntry

    @model_validator(mode="after")
    def _unique_ids(self) -> "ConflictsFile":
        problems = repeated_ids("topics", self.topics)
        if problems:
            raise field_errors(type(self).__name__, problems)
        return self


# ---- disagreements the registry does not know -----------------------------------------------------
# A deliberately simple reading: find an action a sentence talks about, then whether the sentence
# recommends it or warns against it. It flags for review; it never decides what is true.

@dataclass(frozen=True)
class Detector:
    """The detector's compiled words (corpus/conflicts.yaml, `detector:`)."""

    action_names: list[str]
    action: re.Pattern
    says_against: re.Pattern
    says_for: re.Pattern
    leads_against: re.Pattern
    leads_for: re.Pattern


_CONDITION = re.compile(r"\b(?:if|unless|when|whether)\b")
_CLAUSE = re.compile(r"[,;:()]|\s[-–—]\s")


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


@functools.lru_cache(maxsize=512)
def sentences(text: str) -> tuple[str, ...]:
    """The sentences of Markdown text, verbatim (headings dropped, list markers stripped). Cached: the same
    few dozen passages come back question after question, and splitting is the slow part."""
    found = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        line = LIST_MARKER.sub("", line)
        found.extend(line[start:end] for start, end in sentence_spans(line))
    return tuple(found)


def advice_in(sentence: str, source_id: str, title: str, words: Detector) -> list[Advice]:
    """The actions a sentence recommends or warns against; neutral mentions are left out."""
    found = []
    for clause in _CLAUSE.split(rule_text(sentence)):
        mentions = list(words.action.finditer(clause))
        for i, mention in enumerate(mentions):
            after_end = mentions[i + 1].start() if i + 1 < len(mentions) else len(clause)
            stance = _stance(clause[: mention.start()], clause[mention.end() : after_end], words)
            if stance:
                action = words.action_names[int(mention.lastgroup[1:])]
                found.append(Advice(action, stance, source_id, title, sentence))
    return found


def _stance(before: str, after: str, words: Detector) -> Literal["for", "against"] | None:
    against, support = words.says_against.search(after), words.says_for.search(after)
    if against or support:
        # what is said first about the action is what is said about it
        if against and (not support or against.start() < support.start()):
            return "against"
        return "for"
    if _CONDITION.search(before):
        return None  # "if you don't have a foam roller" sets a condition; it advises nothing
    if words.leads_against.search(before):
        return "against"
    if words.leads_for.search(before.strip()):
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
        for item in advice_in(sentence, passage.chunk.source_id, passage.chunk.title, registry.detector)
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


def candidate_disagreements(articles: list[Article], registry: ConflictRegistry) -> list[Candidate]:
    """Corpus-wide scan for disagreements a curator may want to register; one candidate per action and pair
    of articles, leaving out those the registry already presents."""
    advice = [
        item
        for article in articles
        for sentence in sentences(article.body)
        for item in advice_in(sentence, article.id, article.title, registry.detector)
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
