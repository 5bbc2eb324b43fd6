"""Red-flag escalation: recognise symptoms in a runner's messages that need a clinician, not self-care.

Symptoms, runners' words for them, advice and the article sentences behind it are data (corpus/red_flags.yaml,
for a physio to review); this module applies them clause by clause, minding negation and hypotheticals.

>>> rules = RedFlagRules.load()
>>> verdict = rules.check(["I felt a pop in my hammy yesterday", "what stretches can I do?"])
>>> verdict.escalate, [hit.flag_id for hit in verdict.personal]
(True, ['pop-or-tear'])
>>> rules.check(["I didn't feel a pop and there's no bruising"]).escalate
False
"""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, PrivateAttr, StrictBool, StrictStr, field_validator, model_validator

from core.rulefile import Expression, RuleModel, Text, field_errors, load_rule_file, problem, repeated_ids
from core.settings import PROJECT_ROOT
from core.text import APOSTROPHES
from core.text import rule_text
from core.types import Escalation

RULES_PATH = PROJECT_ROOT / "corpus" / "red_flags.yaml"
RULES_VERSION = 1

# ---- how messages are read ------------------------------------------------------------------------
# Language mechanics, not medical knowledge: which words negate a symptom, which make it hypothetical,
# which make a clause about the runner (or someone they know) rather than a general question.

_SENTENCE = re.compile(r"[^.!?;:\n]+[.!?;:\n]*")
# A clause break resets negation: "I didn't feel a pop but it's badly bruised" is bruised.
_CLAUSE_BREAK = re.compile(r",? *\b(?:but|though|although|however|whereas|except that|yet)\b|\s[-–—]+\s")

# "not sure", "no idea", "can't tell", "without warning" hedge or narrate rather than deny.
_NEGATOR = re.compile(
    r"\b(?:not|never|without|none|nor|neither|nothing|zero|no(?! (?:i|im|ive|my|it|its)\b)|dont|doesnt|didnt|"
    r"isnt|arent|wasnt|werent|havent|hasnt|hadnt|cant|cannot|couldnt|wouldnt|shouldnt|wont|free of)\b"
    r"(?! (?:any )?(?:sure|certain|idea|know|knowing|tell|remember|say|believe|stop|help|wait|explain|"
    r"understand|describe|warning|reason|notice|doubt|matter|joke|kidding|lie|wonder|surprise)\b)"
)
_NEGATION_REACH = 6  # words before a symptom that a negator may still govern
# A new subject ends what an earlier negator governs: "no bruising and I felt a pop".
_NEW_SUBJECT = re.compile(
    r"(?:,|\band\b|\bthen\b|\bso\b) (?:then |now )?"
    r"(?:i|im|ive|id|it|its|there|theres|my|he|she|they|his|her|their|we|now|suddenly|then)\b"
)

_HYPOTHETICAL = re.compile(
    r"\b(?:if|what if|in case|suppose|supposing|imagine|whether|hypothetically|signs? of|symptoms? of|"
    r"difference between|tell me about|explain|information (?:on|about)|learn about)\b"
)
# Doubt about one's own leg is not a hypothetical: "I don't know if it popped".
_UNSURE = re.compile(r"\b(?:dont know|not sure|unsure|no idea|cant tell|cant remember|not certain|wonder\w*)$")
# Past experience after "if" makes it real again: "what does it mean if I heard a pop?"
_PAST_EXPERIENCE = re.compile(r"\b(?:felt|heard|had|got|noticed|saw|was|were|did|happened|ive|has been|have been|its been)\b")
# "if I ever felt…", "if you were to hear…", "if someone should feel…": a supposition, whatever the tense.
_NEVER_HAPPENED = re.compile(r"\s*(?:i|you|someone|somebody|a runner|one|they|we)\s+(?:ever|were to|was to|should)\b")
_ASKING = re.compile(
    r"^(?:(?:so|and|but|ok|okay|hi|hey|um|also|then|quick question|question)\W+)*"
    r"(?:what|whats|which|is|are|does|do|can|could|should|would|will|how|hows|when|why|isnt|arent|doesnt|any)\b"
)
_ABOUT_SOMEONE = re.compile(
    r"\b(?:my|mine|me|myself|im|ive|his|her|him|he|she|our|us|we|"
    r"friend|friends|mate|buddy|partner|wife|husband|son|daughter|teammate|brother|sister|dad|mum|mom|"
    r"girlfriend|boyfriend|colleague)\b"
    r"|\bi (?:\w+ )?(?:felt|heard|had|got|noticed|saw|was|did|think|tore|pulled|strained|hurt|injured|have|am|cant|couldnt)\b"
)
# Before the symptom, "it" and "this" point at the runner's leg ("is it bad that it's bruised?"); after it,
# they are usually part of the question ("does swelling mean it's a grade 2 strain?").
_POINTING = re.compile(r"\b(?:this|these|its|it (?:is|was|feels|felt|looks|has))\b")
# "What does a pop mean? I heard one yesterday." turns the general question into the runner's own.
_OWN_EXPERIENCE = re.compile(
    r"\b(?:i|ive|i have|he|she|they|my \w+)(?: just| also| definitely| think i)? (?:felt|heard|had|got|noticed|have)"
    r" (?:one|it|that|this|those|some)\b|\bhappened to (?:me|him|her|them|my \w+)\b"
)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _clauses(message: str) -> list[str]:
    clauses = []
    for sentence in _SENTENCE.findall(rule_text(message)):
        for clause in _CLAUSE_BREAK.split(sentence):
            clause = clause.strip(" .!?;:\n")
            if clause:
                clauses.append(clause)
    return clauses


def _negated(clause: str, start: int) -> bool:
    before = clause[:start]
    subjects = list(_NEW_SUBJECT.finditer(before))
    if subjects:
        before = before[subjects[-1].start():]
    return bool(_NEGATOR.search(" ".join(before.split()[-_NEGATION_REACH:])))


def _informational(clause: str, start: int) -> bool:
    """A hypothetical or a general question rather than the runner's (or a friend's) own symptom."""
    before = clause[:start]
    cues = list(_HYPOTHETICAL.finditer(before))
    if cues:
        cue = cues[-1]
        if _NEVER_HAPPENED.match(before[cue.end():]):
            return True  # "if I ever felt a pop": past tense, but nothing has happened
        return not (_UNSURE.search(before[: cue.start()].rstrip()) or _PAST_EXPERIENCE.search(before[cue.end():]))
    return bool(_ASKING.match(clause)) and not (_ABOUT_SOMEONE.search(clause) or _POINTING.search(before))


# ---- verdicts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RedFlagHit:
    """One red flag recognised in one of the runner's messages."""

    flag_id: str
    reason: str  # plain words, shown to the runner
    urgent: bool
    message_index: int  # position among the runner's messages, oldest first
    matched: str  # the words that matched, as normalised for matching


@dataclass(frozen=True)
class RedFlagVerdict:
    """What the runner's messages say: their own (or a friend's) red flags, and red flags asked about."""

    personal: tuple[RedFlagHit, ...] = ()
    informational: tuple[RedFlagHit, ...] = ()  # answer these, and say the sign is a reason to get assessed

    @property
    def escalate(self) -> bool:
        return bool(self.personal)

    @property
    def urgent(self) -> bool:
        return any(hit.urgent for hit in self.personal)


@dataclass(frozen=True)
class RedFlag:
    """One reviewed rule of red_flags.yaml, its phrases and patterns compiled into one expression."""

    id: str
    reason: str
    urgent: bool
    informational_only: bool
    evidence_ids: tuple[str, ...]
    pattern: re.Pattern


# ---- the rules ------------------------------------------------------------------------------------


class RedFlagRules:
    """The reviewed red-flag rules; `check` reads a conversation, `escalation` says what to do about it."""

    def __init__(
        self, flags: list[RedFlag], advice: str, urgent_advice: str, evidence: dict[str, tuple[str, str]], path: Path
    ):
        self.flags = flags
        self.advice = advice
        self.urgent_advice = urgent_advice
        self._evidence = evidence
        self.evidence: list[tuple[str, str]] = list(evidence.values())  # (source_id, verbatim quote)
        self.path = path

    @classmethod
    def load(cls, path: Path | None = None) -> "RedFlagRules":
        """Read and compile the rules file; RulesError naming the file and field for anything malformed."""
        path = path or RULES_PATH
        file = load_rule_file(path, RedFlagsFile)
        evidence = {item.id: (item.source_id, item.quote) for item in file.evidence}
        return cls(file.flags, file.advice, file.urgent_advice, evidence, path)

    def check(self, user_messages: list[str]) -> RedFlagVerdict:
        """Red flags in all of the runner's messages, oldest first: an earlier red flag still counts."""
        personal: dict[str, RedFlagHit] = {}
        informational: dict[str, RedFlagHit] = {}
        for index, message in enumerate(user_messages):
            own_experience = bool(_OWN_EXPERIENCE.search(rule_text(message)))
            for clause in _clauses(message):
                for flag in self.flags:
                    for match in flag.pattern.finditer(clause):
                        if _negated(clause, match.start()):
                            continue
                        hit = RedFlagHit(flag.id, flag.reason, flag.urgent, index, match.group())
                        asked = flag.informational_only or (
                            _informational(clause, match.start()) and not own_experience
                        )
                        (informational if asked else personal).setdefault(flag.id, hit)
                        break
        return RedFlagVerdict(
            personal=tuple(personal.values()),
            informational=tuple(hit for flag_id, hit in informational.items() if flag_id not in personal),
        )

    def escalation(self, verdict: RedFlagVerdict) -> Escalation:
        """The notice that opens an escalated answer: the reasons recognised, in plain words, and what to do."""
        if not verdict.escalate:
            raise ValueError("escalation() needs a verdict with at least one personal red flag")
        reasons = list(dict.fromkeys(hit.reason for hit in verdict.personal))
        advice = self.urgent_advice if verdict.urgent else self.advice
        return Escalation(reasons=reasons, advice=advice, urgent=verdict.urgent)

    def evidence_for(self, verdict: RedFlagVerdict) -> list[tuple[str, str]]:
        """The article sentences, (source_id, quote), that back the flags of a verdict, for citing."""
        by_id = {flag.id: flag for flag in self.flags}
        hits = verdict.personal or verdict.informational
        ids = dict.fromkeys(evidence_id for hit in hits for evidence_id in by_id[hit.flag_id].evidence_ids)
        return [self._evidence[evidence_id] for evidence_id in ids]

    def vocabulary(self) -> set[str]:
        """Words of the rules' phrases and patterns ("numbness", "lump"): symptoms the articles may not name
        but that a reviewed rule knows belong to this subject."""
        file = load_rule_file(self.path, RedFlagsFile)
        phrases = [phrase for rule in file.rules for phrase in rule.phrases + rule.patterns]
        return {w for phrase in phrases for w in re.findall(r"[a-z]+", phrase.lower())}


# ---- reading red_flags.yaml -----------------------------------------------------------------------


class EvidenceEntry(RuleModel):
    """An article sentence saying such symptoms need assessment, quoted word for word."""

    id: Text
    source_id: Text
    quote: Text


class RuleEntry(RuleModel):
    """One rule as written: a symptom, whether it is urgent, and the phrases or patterns that recognise it."""

    id: Text
    reason: Text
    urgent: StrictBool  # `urgent: maybe` or `urgent: 1` is a slip to report, not a yes
    informational_only: StrictBool = False
    evidence: list[StrictStr] = []
    phrases: list[Expression] = []
    patterns: list[Expression] = []

    @field_validator("evidence", "phrases", "patterns", mode="before")
    @classmethod
    def _empty_when_left_blank(cls, value: object) -> object:
        return [] if value is None else value

    @model_validator(mode="after")
    def _recognises_something(self) -> "RuleEntry":
        if not self.phrases and not self.patterns:
            raise problem("needs phrases or patterns; add at least one.")
        return self


class RedFlagsFile(RuleModel):
    """red_flags.yaml: the advice, the words patterns share, the rules and the evidence behind them."""

    version: Literal[RULES_VERSION]
    advice: Text
    urgent_advice: Text
    words: dict[str, Annotated[list[StrictStr], Field(min_length=1)]] = {}
    rules: Annotated[list[RuleEntry], Field(min_length=1)]
    evidence: Annotated[list[EvidenceEntry], Field(min_length=1)]
    _flags: list[RedFlag] = PrivateAttr(default_factory=list)

    @field_validator("words", mode="before")
    @classmethod
    def _none_when_left_blank(cls, value: object) -> object:
        return {} if value is None else value

    @model_validator(mode="after")
    def _compile(self) -> "RedFlagsFile":
        """Ids unique, evidence defined, {word} placeholders known; each rule compiled into one expression."""
        problems = repeated_ids("evidence", self.evidence) + repeated_ids("rules", self.rules)
        evidence_ids = {item.id for item in self.evidence}
        flags: list[RedFlag] = []
        alternatives = {
            name: "(?:" + "|".join(APOSTROPHES.sub("", fragment) for fragment in fragments) + ")"
            for name, fragments in self.words.items()
        }
        for n, rule in enumerate(self.rules):
            unknown = [e for e in rule.evidence if e not in evidence_ids]
            if unknown:
                problems.append(
                    (("rules", n, "evidence"), f"unknown evidence ids {unknown}; define them under evidence:.")
                )
            parts = [re.escape(rule_text(phrase)) for phrase in rule.phrases]
            for k, pattern in enumerate(rule.patterns):
                try:
                    parts.append(_expand(pattern, alternatives))
                except ValueError as exc:
                    problems.append((("rules", n, "patterns", k), str(exc)))
            if len(parts) < len(rule.phrases) + len(rule.patterns):
                continue  # its broken pattern is reported; the rest cannot be compiled without it
            try:
                compiled = re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)")
            except re.error as exc:
                problems.append((("rules", n, "patterns"), f"not a valid regular expression together ({exc})."))
                continue
            flags.append(
                RedFlag(rule.id, rule.reason, rule.urgent, rule.informational_only, tuple(rule.evidence), compiled)
            )
        if problems:
            raise field_errors(type(self).__name__, problems)
        self._flags = flags
        return self

    @property
    def flags(self) -> list[RedFlag]:
        return self._flags


def _expand(pattern: str, alternatives: dict[str, str]) -> str:
    """The pattern with each {word} replaced by its alternatives; ValueError saying what is wrong with it."""

    def substitute(match: re.Match) -> str:
        if match.group(1) not in alternatives:
            raise ValueError(f"{{{match.group(1)}}} is not defined under words:; add it there or fix the name.")
        return alternatives[match.group(1)]

    # a quantifier such as {2} is left alone; {0,3} has a comma, so it never looks like a placeholder
    expanded = _PLACEHOLDER.sub(lambda m: m.group() if m.group(1).isdigit() else substitute(m), APOSTROPHES.sub("", pattern))
    try:
        re.compile(expanded)
    except re.error as exc:
        raise ValueError(f"{pattern!r} is not a valid regular expression ({exc}).") from exc
    return expanded
