"""Red-flag escalation: recognise symptoms in a runner's messages that need a clinician, not self-care.

Symptoms, runners' words for them, descriptions of them, advice and the article sentences behind it are data
(corpus/red_flags.yaml, for a physio to review); this module reads messages clause by clause with two
signals, the reviewed phrases ('rules') and closeness in meaning to the reviewed descriptions ('semantic',
when the caller passes an embedder), minding negation, hypotheticals and time.

>>> rules = RedFlagRules.load()
>>> verdict = rules.check(["I felt a pop in my hammy yesterday", "what stretches can I do?"])
>>> verdict.escalate, [hit.flag_id for hit in verdict.personal]
(True, ['pop-or-tear'])
>>> rules.check(["I didn't feel a pop and there's no bruising"]).escalate
False
>>> rules.check(["I felt a pop two years ago, it's been fine since"]).escalate
False
"""

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, PrivateAttr, StrictBool, StrictStr, field_validator, model_validator

from core.rulefile import Expression, RuleModel, Text, field_errors, load_rule_file, problem, repeated_ids
from core.settings import PROJECT_ROOT
from core.text import APOSTROPHES, rule_text
from core.types import Escalation

RULES_PATH = PROJECT_ROOT / "corpus" / "red_flags.yaml"
RULES_VERSION = 2

Embed = Callable[[list[str]], np.ndarray]
"""Texts → an (n, d) array of unit-length float32 vectors, e.g. all-MiniLM-L6-v2 behind `CachedEmbed`."""
Signal = Literal["rules", "semantic"]

# ---- tuning of the semantic signal ----------------------------------------------------------------
# Measured with all-MiniLM-L6-v2 on the generated corpus (evals/robustness/red_flags.yaml) and every case of
# evals/sets/*.yaml that says whether it escalates: `python -m evals.robustness.measure` prints the closest
# calls. Run it again after changing descriptions, `ordinary` or the model.
SEMANTIC_THRESHOLD = 0.72
"""Cosine to the nearest description a part of a message needs. With the margin below, no part of a message
that must not escalate gets past both: the closest reaches 0.653 ("I carried on running" near "I can't walk
at all"). 0.70 with a 0.05 margin lets one through; 0.75 is as safe but catches 14% fewer of the parts
that must escalate."""
SEMANTIC_MARGIN = 0.08
"""How much closer to that description than to every `ordinary` line the part must be: ordinary hamstring
talk shares most of its words with the descriptions, and the margin, not the cosine, tells them apart. Of
the parts that must not escalate and pass the cosine, the closest margin is +0.019 ("I felt a sudden pain
in the back of my thigh during a sprint", from a runner who then kept going)."""
SEMANTIC_MIN_WORDS = 3  # shorter parts ("in 2019", "mid race") mean nothing on their own

# ---- how messages are read ------------------------------------------------------------------------
# Language mechanics, not medical knowledge: which words negate a symptom, which make it hypothetical,
# which make a clause about the runner (or someone they know) rather than a general question, which date it.

_SENTENCE = re.compile(r"[^.!?;:\n]+[.!?;:\n]*")
# A clause break resets negation: "I didn't feel a pop but it's badly bruised" is bruised.
_CLAUSE_BREAK = re.compile(r",? *\b(?:but|though|although|however|whereas|except that|yet)\b|\s[-–—]+\s")
# The semantic signal compares shorter parts: a long clause blurs its one symptom into the rest.
_PART_BREAK = re.compile(
    r",\s*|\s+(?:and|then|so)\s+(?=(?:then |now |suddenly )?"
    r"(?:i|im|ive|id|it|its|there|theres|my|he|hes|she|shes|they|his|her|their|we|now|the|a|this)\b)"
)

# "not sure", "no idea", "can't tell", "without warning" hedge or narrate rather than deny.
_NEGATOR = re.compile(
    r"\b(?:not|never|without|none|nor|neither|nothing|zero|no(?! (?:i|im|ive|my|it|its)\b)|dont|doesnt|didnt|"
    r"isnt|arent|wasnt|werent|havent|hasnt|hadnt|cant|cannot|couldnt|wouldnt|shouldnt|wont|free of)\b"
    r"(?! (?:any )?(?:sure|certain|idea|know|knowing|tell|remember|say|believe|stop|help|wait|explain|"
    r"understand|describe|warning|reason|notice|doubt|matter|joke|kidding|lie|wonder|surprise)\b)"
)
_NEGATION_REACH = 6  # words before a symptom that a negator may still govern
# Said right after it to be gone: "the swelling has gone now", "bruising went down", "the swelling's cleared";
# not changing ("the bruising has gone purple").
_SUBSIDED = re.compile(
    r"\s*(?:s |has |have |had |is |was |were |are )?(?:now |since |all |completely |totally |mostly |pretty much |almost |finally )?"
    r"(?:(?:gone|went|come|came|died|calmed|settled) (?:down|away)|gone(?! (?:\w+ )?(?:black|purple|blue|yellow|green|worse|bigger|up|hard|red|dark)\b)|"
    r"cleared|disappeared|faded|subsided|eased|settled|vanished)\b"
)
# A new subject ends what an earlier negator governs: "no bruising and I felt a pop".
_NEW_SUBJECT = re.compile(
    r"(?:,|\band\b|\bthen\b|\bso\b) (?:then |now )?"
    r"(?:i|im|ive|id|it|its|there|theres|my|he|she|they|his|her|their|we|now|suddenly|then)\b"
)
# Not being able to do something is the symptom, not its denial: "couldnt put weight on it".
_INABILITY = re.compile(
    r"\b(?:cant|cannot|can not|couldnt|could not|unable to|not able to|wasnt able to|werent able to|"
    r"havent been able to|hasnt been able to|wont|wouldnt)(?: even| really| properly)? "
    r"(?:walk|stand|bear|put|get|lift|raise|bend|run|carry|continue|finish|keep|move|straighten|take|hold)\w*"
)
# A word a gap in a phrase ("felt ... pop") may not be: "felt no pop" is not "felt a pop".
_GAP_WORD = r"(?!(?:no|not|never|any|nothing|without)\b)\w+ "

_HYPOTHETICAL = re.compile(
    r"\b(?:if|what if|in case|suppose|supposing|imagine|whether|hypothetically|signs? of|symptoms? of|"
    r"difference between|tell me about|explain|information (?:on|about)|learn about|"
    # what a word means, asked at the start of a clause: "this mean the muscle is torn?", "does that mean its
    # ruptured?"; not a consequence told ("it means i cant walk")
    r"^(?:(?:so|and|but|ok|okay) )*(?:(?:does|do|would|could|will) )?(?:this|that|it|which) mean(?: that)?)\b"
)
# Doubt about one's own leg is not a hypothetical: "I don't know if it popped".
_UNSURE = re.compile(r"\b(?:dont know|not sure|unsure|no idea|cant tell|cant remember|not certain|wonder\w*)$")
# Past experience after "if" makes it real again: "what does it mean if I heard a pop?"
_PAST_EXPERIENCE = re.compile(r"\b(?:felt|heard|had|got|noticed|saw|was|were|did|happened|ive|has been|have been|its been)\b")
# "if I ever felt…", "if you were to hear…", "if someone should feel…": a supposition, whatever the tense.
_NEVER_HAPPENED = re.compile(r"\s*(?:i|you|someone|somebody|a runner|one|they|we)\s+(?:ever|were to|was to|should)\b")
_ASKING = re.compile(
    r"^(?:(?:so|and|but|ok|okay|hi|hey|um|also|then|quick question|question)\W+)*"
    # ("can barely hobble" is a runner telling, with the "I" left out, not asking)
    r"(?:what|whats|which|is|are|does|do|(?:can|could)(?! (?:barely|hardly)\b)|should|would|will|how|hows|when|why|isnt|arent|doesnt|any)\b"
)
_ABOUT_SOMEONE = re.compile(
    r"\b(?:my|mine|me|myself|im|ive|his|her|him|he|she|our|us|we|"
    r"friend|friends|mate|buddy|partner|wife|husband|son|daughter|teammate|brother|sister|dad|mum|mom|"
    r"girlfriend|boyfriend|colleague)\b"
    r"|\bi (?:\w+ )?(?:felt|heard|had|got|noticed|saw|was|did|think|tore|pulled|strained|hurt|injured|have|am|cant|couldnt)\b"
)
# Others, counted, told of as what happens in a group ("two of his training group have torn hamstrings this
# season", "loads of my clubmates have pulled hamstrings"): a report prompting a general question, not one
# person's leg to assess. (One other person, "my friend heard a snap", is that person's leg.)
_OTHERS_COUNTED = re.compile(
    r"\b(?:two|three|four|five|six|seven|eight|nine|ten|dozens?|\d+|a few|a couple|several|many|most|half|lots|loads|"
    r"plenty|a lot|a bunch|a handful|both|all)(?: of)?(?: (?:my|his|her|their|our|the|your))?(?: \w+)?? "
    r"(?:group|club|squad|team|mates|friends|teammates|clubmates|runners|people|players|athletes|kids|lads|girls|boys|"
    r"members|guys|folks?|pals|colleagues|us)\b"
)
# Before the symptom, "it" and "this" point at the runner's leg ("is it bad that it's bruised?"); after it,
# they are usually part of the question ("does swelling mean it's a grade 2 strain?").
_POINTING = re.compile(r"\b(?:this|these|its|it (?:is|was|feels|felt|looks|has))\b")
# "What does a pop mean? I heard one yesterday." turns the general question into the runner's own.
_OWN_EXPERIENCE = re.compile(
    r"\b(?:i|ive|i have|he|she|they|my \w+)(?: just| also| definitely| think i)? (?:felt|heard|had|got|noticed|have)"
    r" (?:one|it|that|this|those|some)\b|\bhappened to (?:me|him|her|them|my \w+)\b"
)

# Time. A symptom dated long ago, or said to be over (contexts: resolved), is history, not a red flag now.
_NUMBER = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a few|a couple of|several|many|some)"
_LONG_AGO = re.compile(
    rf"\b(?:{_NUMBER} (?:years?|seasons?|decades?) ago|years ago|ages ago|(?:a )?long (?:time )?ago|"
    r"back in (?:19|20)\d\d|in (?:19|20)\d\d|last year|the year before|"
    r"(?:when|while) (?:i|he|she|they|we|you) (?:was|were) (?:at|in) (?:\w+ )?(?:school|university|uni|college)|"
    r"as a (?:teenager|kid|child|junior|student)|in (?:high )?school|at (?:university|uni|college))\b"
)
_RECENT = re.compile(
    rf"\b(?:today|tonight|yesterday|now|just now|this (?:morning|afternoon|evening|week|weekend)|"
    r"last (?:night|week|weekend|run|session|race|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    r"(?:on|since) (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    rf"{_NUMBER} (?:days?|hours?|minutes?) ago|(?:days|hours) ago|earlier|this past)\b"
)
# Still there, however long ago it began: "tore it two years ago and it still hurts".
_STILL_THERE = re.compile(
    r"\b(?:still|ever since|again|never (?:\w+ )?(?:healed|recovered|settled|went away|got better|been right)|"
    r"(?:sore|hurting|hurt|painful|aching|trouble|problems?|niggling|bothering|weak) (?:\w+ ){0,2}?since)\b"
)

# The descriptions are in the first person; the semantic signal reads a friend's account the same way, since
# the model finds "her hamstring came off the bone" far from "my hamstring came off the bone".
_SOMEONE = r"(?:running |training |club )?(?:friend|mate|buddy|partner|wife|husband|son|daughter|teammate|clubmate|" \
    r"brother|sister|dad|mum|mom|girlfriend|boyfriend|colleague|kid|client|athlete)"
_FIRST_PERSON = [
    (re.compile(rf"\bmy {_SOMEONE}s\b"), "my"),  # "my friends hamstring" (apostrophe dropped)
    (re.compile(rf"\bmy {_SOMEONE}\b"), "i"),
    (re.compile(r"\b(?:hes|shes|theyre)\b"), "im"),
    (re.compile(r"\b(?:hed|shed|theyd)\b(?= (?:been|had|felt|heard|just|got)\b)"), "id"),
    (re.compile(r"\b(?:he|she|they)\b"), "i"),
    (re.compile(r"\b(?:his|their)\b"), "my"),
    (re.compile(r"\bher(?= (?:\w+ )?(?:hamstring|hammy|hammie|leg|thigh|knee|foot|toes|muscle|back|bum|glute|sit|sitting|calf|hip|upper|left|right|injured|bad|whole)\w*)"), "my"),
    (re.compile(r"\b(?:her|him|them)\b"), "me"),
]
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _sentences(text: str) -> list[list[str]]:
    """The clauses of each sentence of text already read by `rule_text`."""
    sentences = []
    for sentence in _SENTENCE.findall(text):
        clauses = [c.strip(" .!?;:\n") for c in _CLAUSE_BREAK.split(sentence)]
        clauses = [c for c in clauses if c]
        if clauses:
            sentences.append(clauses)
    return sentences


def _first_person(part: str) -> str:
    """A part of a message as the runner would say it of themself.

    >>> _first_person("my friend felt like her hamstring came off the bone and shed been shot")
    'i felt like my hamstring came off the bone and id been shot'
    """
    for pattern, replacement in _FIRST_PERSON:
        part = pattern.sub(replacement, part)
    return part


def _negated(clause: str, start: int) -> bool:
    before = clause[:start]
    subjects = list(_NEW_SUBJECT.finditer(before))
    if subjects:
        before = before[subjects[-1].start():]
    return bool(_NEGATOR.search(" ".join(before.split()[-_NEGATION_REACH:])))


def _subsided(clause: str, end: int) -> bool:
    """Is the symptom ending at `end` said, right after it, to be gone?"""
    return bool(_SUBSIDED.match(clause, end))


def _denies(part: str) -> bool:
    """Any denial in a part of a message, for the semantic signal, which has no position to look before: a
    model reads "no pop" much like "a pop"."""
    return bool(_NEGATOR.search(_INABILITY.sub(" ", part)))


def _informational(clause: str, start: int, pointing: bool = True) -> bool:
    """A hypothetical or a general question rather than the runner's (or a friend's) own symptom."""
    before = clause[:start]
    if _OTHERS_COUNTED.search(before):
        return True  # what happens to a group of others, told as a report
    cues = list(_HYPOTHETICAL.finditer(before))
    if cues:
        cue = cues[-1]
        if _NEVER_HAPPENED.match(before[cue.end():]):
            return True  # "if I ever felt a pop": past tense, but nothing has happened
        return not (_UNSURE.search(before[: cue.start()].rstrip()) or _PAST_EXPERIENCE.search(before[cue.end():]))
    pointed = pointing and _POINTING.search(before)
    return bool(_ASKING.match(clause)) and not (_ABOUT_SOMEONE.search(clause) or pointed)


# ---- verdicts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RedFlagHit:
    """One red flag recognised in one of the runner's messages."""

    flag_id: str
    reason: str  # plain words, shown to the runner
    urgent: bool  # urgent on its own; urgent_together can make a verdict urgent without it
    message_index: int  # position among the runner's messages, oldest first
    matched: str  # the words that matched (the part of the message, for 'semantic'), as read for matching
    signal: Signal = "rules"


@dataclass(frozen=True)
class RedFlagVerdict:
    """What the runner's messages say: their own (or a friend's) red flags, and red flags asked about."""

    personal: tuple[RedFlagHit, ...] = ()
    informational: tuple[RedFlagHit, ...] = ()  # answer these, with the rules' info lines
    urgent: bool = False  # signs of a rupture or grade III tear among the personal flags

    @property
    def escalate(self) -> bool:
        return bool(self.personal)


@dataclass(frozen=True)
class RedFlag:
    """One reviewed rule of red_flags.yaml, its phrases and patterns compiled into one expression."""

    id: str
    reason: str
    info: str
    urgent: bool
    informational_only: bool
    evidence_ids: tuple[str, ...]
    pattern: re.Pattern
    descriptions: tuple[str, ...] = ()
    only_with: frozenset[str] = frozenset()
    not_escalated_with: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Clause:
    text: str
    past: bool  # dated long ago, or over with, and not said to be still there


@dataclass(frozen=True)
class _Reading:
    """One message as the rules read it."""

    index: int
    clauses: tuple[_Clause, ...]
    contexts: frozenset[str]
    own_experience: bool


@dataclass(frozen=True)
class _Bank:
    """The descriptions' vectors for one embedder: rows of `flags` belong to `owners`."""

    embed: Embed
    flags: np.ndarray
    owners: tuple[RedFlag, ...]
    ordinary: np.ndarray


@dataclass(frozen=True)
class _Part:
    """A part of a clause, weighed by the semantic signal against the nearest description."""

    reading: _Reading
    clause: _Clause
    text: str
    end: int  # where the part ends in its clause: what comes before it may make it a question
    flag: RedFlag
    cosine: float
    margin: float  # cosine less the cosine to the nearest `ordinary` line


@dataclass
class _Found:
    personal: dict[str, RedFlagHit] = field(default_factory=dict)
    informational: dict[str, RedFlagHit] = field(default_factory=dict)


# ---- the rules ------------------------------------------------------------------------------------


class RedFlagRules:
    """The reviewed red-flag rules; `check` reads a conversation, `escalation` says what to do about it."""

    def __init__(self, file: "RedFlagsFile", path: Path):
        self.flags = file.flags
        self.advice = file.advice
        self.urgent_advice = file.urgent_advice
        self.urgent_together = [frozenset(ids) for ids in file.urgent_together]
        self.ordinary = list(file.ordinary)
        self._urgent_evidence = list(file.urgent_evidence)
        self._evidence = {item.id: (item.source_id, item.quote) for item in file.evidence}
        self.evidence: list[tuple[str, str]] = list(self._evidence.values())  # (source_id, verbatim quote)
        self._contexts = file.context_patterns
        self._spelling = file.corrections
        resolved = self._contexts.get("resolved")
        self._over = re.compile(resolved.pattern + r"(?: now)?") if resolved else None
        self.semantic_threshold = SEMANTIC_THRESHOLD
        self.semantic_margin = SEMANTIC_MARGIN
        self._bank: _Bank | None = None
        self._bank_lock = threading.Lock()
        self.path = path

    @classmethod
    def load(cls, path: Path | None = None) -> "RedFlagRules":
        """Read and compile the rules file; RulesError naming the file and field for anything malformed."""
        path = path or RULES_PATH
        return cls(load_rule_file(path, RedFlagsFile), path)

    def check(self, user_messages: Sequence[str], embed: Embed | None = None) -> RedFlagVerdict:
        """Red flags in all of the runner's messages, oldest first: an earlier red flag still counts.

        The reviewed phrases always run; with `embed`, parts of the messages are also compared with the
        reviewed descriptions, and a close one counts like a phrase (signal 'semantic').
        """
        readings = [self._read(index, message) for index, message in enumerate(user_messages)]
        contexts = frozenset().union(*(r.contexts for r in readings))
        found = _Found()
        for reading in readings:
            for clause in reading.clauses:
                for flag in self.flags:
                    for match in flag.pattern.finditer(clause.text):
                        if _negated(clause.text, match.start()) or _subsided(clause.text, match.end()):
                            continue
                        asked = _informational(clause.text, match.start())
                        self._note(found, flag, reading, clause, contexts, asked, match.group(), "rules")
                        break
        if embed is not None:
            self._semantic(readings, contexts, embed, found)
        personal = tuple(found.personal.values())
        ids = {hit.flag_id for hit in personal}
        return RedFlagVerdict(
            personal=personal,
            informational=tuple(hit for flag_id, hit in found.informational.items() if flag_id not in ids),
            urgent=any(hit.urgent for hit in personal) or any(together <= ids for together in self.urgent_together),
        )

    def escalation(self, verdict: RedFlagVerdict) -> Escalation:
        """The notice that opens an escalated answer: the reasons recognised, in plain words, and what to do."""
        if not verdict.escalate:
            raise ValueError("escalation() needs a verdict with at least one personal red flag")
        reasons = list(dict.fromkeys(hit.reason for hit in verdict.personal))
        signals = [s for s in ("rules", "semantic") if any(hit.signal == s for hit in verdict.personal)]
        advice = self.urgent_advice if verdict.urgent else self.advice
        return Escalation(reasons=reasons, advice=advice, urgent=verdict.urgent, signals=signals)

    def asks_when_to_get_assessed(self, verdict: RedFlagVerdict) -> bool:
        """Is a question itself about when to get assessed (a rule that is only ever informational)?"""
        by_id = {flag.id: flag for flag in self.flags}
        return any(by_id[hit.flag_id].informational_only for hit in verdict.informational)

    def info_lines(self, verdict: RedFlagVerdict) -> list[str]:
        """One reviewed sentence per red flag the runner only asked about, for the answer to add."""
        by_id = {flag.id: flag for flag in self.flags}
        return list(dict.fromkeys(by_id[hit.flag_id].info for hit in verdict.informational))

    def evidence_for(self, verdict: RedFlagVerdict) -> list[tuple[str, str]]:
        """The article sentences, (source_id, quote), that back the flags of a verdict, for citing; an
        urgent verdict's start with the sentences saying a severe tear needs urgent care."""
        by_id = {flag.id: flag for flag in self.flags}
        hits = verdict.personal or verdict.informational
        ids = self._urgent_evidence if verdict.urgent else []
        ids = dict.fromkeys([*ids, *(e for hit in hits for e in by_id[hit.flag_id].evidence_ids)])
        return [self._evidence[evidence_id] for evidence_id in ids]

    def vocabulary(self) -> set[str]:
        """Words of the rules' phrases and patterns ("numbness", "lump"): symptoms the articles may not name
        but that a reviewed rule knows belong to this subject."""
        file = load_rule_file(self.path, RedFlagsFile)
        phrases = [phrase for rule in file.rules for phrase in rule.phrases + rule.patterns]
        return {w for phrase in phrases for w in re.findall(r"[a-z]+", _PLACEHOLDER.sub(" ", phrase.lower()))}

    # ---- reading ----------------------------------------------------------------------------------

    def read(self, message: str) -> str:
        """A message as the rules match it: `rule_text`, with slips of the `spelling` words corrected.

        >>> RedFlagRules.load().read("Felt somthing tear, can't put wieght on it")
        'felt something tear, cant put weight on it'
        """
        return re.sub(r"[a-z]+", lambda m: self._spelling.get(m.group(), m.group()), rule_text(message))

    def _read(self, index: int, message: str) -> _Reading:
        text = self.read(message)
        sentences = _sentences(text)
        contexts = frozenset(
            name
            for name, pattern in self._contexts.items()
            if any(
                not _negated(clause, m.start()) for clauses in sentences for clause in clauses for m in pattern.finditer(clause)
            )
        )
        message_time = self._time(text)
        clauses = []
        for sentence_clauses in sentences:
            sentence_time = self._time(" ".join(sentence_clauses)) or message_time
            for clause in sentence_clauses:
                time = self._time(clause) or sentence_time
                past = not _STILL_THERE.search(self._unresolved(clause)) and (
                    time == "long ago" or (time != "recent" and "resolved" in contexts)
                )
                clauses.append(_Clause(clause, past))
        return _Reading(index, tuple(clauses), contexts, bool(_OWN_EXPERIENCE.search(text)))

    def _unresolved(self, text: str) -> str:
        """The text less what says it is over: "fully healed now" dates nothing, "no problems since" is not
        a problem."""
        return self._over.sub(" ", text) if self._over else text

    def _time(self, text: str) -> str | None:
        """'recent', 'long ago' or None: when the text dates what it tells."""
        text = self._unresolved(text)
        if _RECENT.search(text):
            return "recent"
        if _LONG_AGO.search(text):
            return "long ago"
        return None

    def _note(self, found: _Found, flag: RedFlag, reading: _Reading, clause: _Clause, contexts: frozenset[str], asked: bool, matched: str, signal: Signal) -> None:
        """Record a recognised symptom as personal or informational, or not at all (history, no context)."""
        status = _status(flag, reading, clause, contexts, asked)
        if status:
            hit = RedFlagHit(flag.id, flag.reason, flag.urgent, reading.index, matched, signal)
            (found.personal if status == "personal" else found.informational).setdefault(flag.id, hit)

    # ---- the semantic signal ----------------------------------------------------------------------

    def _semantic(self, readings: list[_Reading], contexts: frozenset[str], embed: Embed, found: _Found) -> None:
        """Parts of the messages close in meaning to a reviewed description, and clearly closer to it than
        to ordinary hamstring talk, count as that description's flag (only where the phrases found none)."""
        for part in self._scored_parts(readings, embed):
            if part.cosine >= self.semantic_threshold and part.margin >= self.semantic_margin:
                if part.flag.id not in found.personal:
                    asked = _informational(part.clause.text, part.end, pointing=False)
                    self._note(found, part.flag, part.reading, part.clause, contexts, asked, part.text, "semantic")

    def semantic_scores(self, user_messages: Sequence[str], embed: Embed) -> list[tuple[str, str, float, float, str | None]]:
        """For measuring the semantic signal: each part of the messages it weighs (not negated, not history)
        as (part, nearest flag id, cosine to its nearest description, margin over `ordinary`, what a hit
        there would be: 'personal', 'informational' or None)."""
        readings = [self._read(index, message) for index, message in enumerate(user_messages)]
        contexts = frozenset().union(*(r.contexts for r in readings))
        return [
            (
                p.text, p.flag.id, p.cosine, p.margin,
                _status(p.flag, p.reading, p.clause, contexts, _informational(p.clause.text, p.end, pointing=False)),
            )
            for p in self._scored_parts(readings, embed)
        ]

    def semantic_texts(self, user_messages: Sequence[str]) -> list[str]:
        """The texts `check` would embed for these messages: to embed many conversations in one batch
        beforehand (a `CachedEmbed` then answers `check` from memory)."""
        readings = [self._read(index, message) for index, message in enumerate(user_messages)]
        return [_first_person(text) for _, _, text, _ in _parts(readings)]

    def _scored_parts(self, readings: list[_Reading], embed: Embed) -> list["_Part"]:
        parts = _parts(readings)
        if not parts:
            return []
        bank = self._descriptions(embed)
        vectors = np.asarray(embed([_first_person(text) for _, _, text, _ in parts]), dtype=np.float32)
        closeness = vectors @ bank.flags.T
        ordinary = (vectors @ bank.ordinary.T).max(axis=1)
        best = closeness.argmax(axis=1)
        return [
            _Part(reading, clause, text, end, bank.owners[b], float(row[b]), float(row[b] - plain))
            for (reading, clause, text, end), row, b, plain in zip(parts, closeness, best, ordinary)
        ]

    def _descriptions(self, embed: Embed) -> _Bank:
        """The descriptions' vectors, computed once per rules object and embedder."""
        bank = self._bank
        if bank is None or bank.embed is not embed:
            with self._bank_lock:
                bank = self._bank
                if bank is None or bank.embed is not embed:
                    owners = tuple(flag for flag in self.flags for _ in flag.descriptions)
                    texts = [self.read(d) for flag in self.flags for d in flag.descriptions]
                    vectors = np.asarray(embed(texts + [self.read(o) for o in self.ordinary]), dtype=np.float32)
                    bank = _Bank(embed, vectors[: len(texts)], owners, vectors[len(texts):])
                    self._bank = bank
        return bank


def _parts(readings: list[_Reading]) -> list[tuple[_Reading, _Clause, str, int]]:
    """The parts of clauses the semantic signal weighs: long enough to mean something, not denied, not
    history; with where each ends in its clause."""
    return [
        (reading, clause, part, clause.text.find(part) + len(part))
        for reading in readings
        for clause in reading.clauses
        if not clause.past
        for part in _PART_BREAK.split(clause.text)
        if len(part.split()) >= SEMANTIC_MIN_WORDS and not _denies(part)
    ]


def _status(flag: RedFlag, reading: _Reading, clause: _Clause, contexts: frozenset[str], asked: bool) -> str | None:
    """'personal', 'informational', or None for history and for a rule whose context is missing."""
    if clause.past or (flag.only_with and not flag.only_with & contexts):
        return None
    if flag.informational_only or (asked and not reading.own_experience) or flag.not_escalated_with & contexts:
        return "informational"
    return "personal"


class CachedEmbed:
    """An `Embed` over a LangChain embedder that keeps vectors by text: a conversation's earlier turns, and
    the descriptions, are embedded once. Thread-safe; the model runs outside the lock."""

    def __init__(self, embeddings, size: int = 2048):
        self.embeddings = embeddings
        self.size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            vectors = np.asarray(self.embeddings.embed_documents(missing), dtype=np.float32)
            with self._lock:
                for text, vector in zip(missing, vectors):
                    self._cache[text] = vector
                while len(self._cache) > self.size:
                    self._cache.popitem(last=False)
        with self._lock:
            rows = []
            for text in texts:
                vector = self._cache.get(text)
                if vector is None:  # pushed out by a very large batch: embed it again
                    vector = np.asarray(self.embeddings.embed_documents([text])[0], dtype=np.float32)
                self._cache[text] = vector
                self._cache.move_to_end(text)
                rows.append(vector)
        return np.stack(rows)


# ---- reading red_flags.yaml -----------------------------------------------------------------------


class EvidenceEntry(RuleModel):
    """An article sentence saying such symptoms need assessment, quoted word for word."""

    id: Text
    source_id: Text
    quote: Text


class RuleEntry(RuleModel):
    """One rule as written: a symptom, how urgent it is, and the phrases, patterns and descriptions of it."""

    id: Text
    reason: Text
    info: Text
    urgent: StrictBool  # `urgent: maybe` or `urgent: 1` is a slip to report, not a yes
    informational_only: StrictBool = False
    evidence: list[StrictStr] = []
    phrases: list[Expression] = []
    patterns: list[Expression] = []
    descriptions: list[Text] = []
    only_with: list[StrictStr] = []
    not_escalated_with: list[StrictStr] = []

    @field_validator("evidence", "phrases", "patterns", "descriptions", "only_with", "not_escalated_with", mode="before")
    @classmethod
    def _empty_when_left_blank(cls, value: object) -> object:
        return [] if value is None else value

    @field_validator("info")
    @classmethod
    def _a_sentence(cls, value: str) -> str:
        if not (value[0].isupper() and value.endswith(".")):
            raise problem("should be one whole sentence, starting with a capital letter and ending with a full stop.")
        return value

    @model_validator(mode="after")
    def _recognises_something(self) -> "RuleEntry":
        if not self.phrases and not self.patterns:
            raise problem("needs phrases or patterns; add at least one.")
        return self


class RedFlagsFile(RuleModel):
    """red_flags.yaml: advice, urgency, contexts, spellings, shared words, the rules and their evidence."""

    version: Literal[RULES_VERSION]
    advice: Text
    urgent_advice: Text
    urgent_evidence: list[StrictStr] = []
    urgent_together: list[Annotated[list[StrictStr], Field(min_length=2)]] = []
    contexts: dict[str, Annotated[list[Expression], Field(min_length=1)]] = {}
    spelling: list[Annotated[str, Field(strict=True, min_length=4, pattern=r"^[a-z]+$")]] = []
    words: dict[str, Annotated[list[StrictStr], Field(min_length=1)]] = {}
    ordinary: list[Text] = []
    rules: Annotated[list[RuleEntry], Field(min_length=1)]
    evidence: Annotated[list[EvidenceEntry], Field(min_length=1)]
    _flags: list[RedFlag] = PrivateAttr(default_factory=list)
    _contexts: dict[str, re.Pattern] = PrivateAttr(default_factory=dict)
    _corrections: dict[str, str] = PrivateAttr(default_factory=dict)

    @field_validator("words", "contexts", mode="before")
    @classmethod
    def _none_when_left_blank(cls, value: object) -> object:
        return {} if value is None else value

    @model_validator(mode="after")
    def _compile(self) -> "RedFlagsFile":
        """Ids unique and known, {word} placeholders known; each rule and context compiled into one expression."""
        problems = repeated_ids("evidence", self.evidence) + repeated_ids("rules", self.rules)
        evidence_ids = {item.id for item in self.evidence}
        rule_ids = {rule.id for rule in self.rules}
        alternatives = {
            name: "(?:" + "|".join(APOSTROPHES.sub("", fragment) for fragment in fragments) + ")"
            for name, fragments in self.words.items()
        }
        unknown = [e for e in self.urgent_evidence if e not in evidence_ids]
        if unknown:
            problems.append((("urgent_evidence",), f"unknown evidence ids {unknown}; define them under evidence:."))
        for n, together in enumerate(self.urgent_together):
            unknown = [i for i in together if i not in rule_ids]
            if unknown:
                problems.append((("urgent_together", n), f"unknown rule ids {unknown}; use the id of a rule."))

        contexts: dict[str, re.Pattern] = {}
        for name, phrases in self.contexts.items():
            parts = []
            for k, phrase in enumerate(phrases):
                try:
                    parts.append(_phrase(phrase, alternatives))
                except ValueError as exc:
                    problems.append((("contexts", name, k), str(exc)))
            contexts[name] = re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)")

        flags: list[RedFlag] = []
        for n, rule in enumerate(self.rules):
            unknown = [e for e in rule.evidence if e not in evidence_ids]
            if unknown:
                problems.append(
                    (("rules", n, "evidence"), f"unknown evidence ids {unknown}; define them under evidence:.")
                )
            for key in ("only_with", "not_escalated_with"):
                unknown = [c for c in getattr(rule, key) if c not in self.contexts]
                if unknown:
                    problems.append(((("rules", n, key)), f"unknown contexts {unknown}; define them under contexts:."))
            parts = []
            for key, compile_one in (("phrases", _phrase), ("patterns", _expand)):
                for k, written in enumerate(getattr(rule, key)):
                    try:
                        parts.append(compile_one(written, alternatives))
                    except ValueError as exc:
                        problems.append((("rules", n, key, k), str(exc)))
            if len(parts) < len(rule.phrases) + len(rule.patterns):
                continue  # its broken phrase or pattern is reported; the rest cannot be compiled without it
            try:
                compiled = re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)")
            except re.error as exc:
                problems.append((("rules", n, "patterns"), f"not a valid regular expression together ({exc})."))
                continue
            flags.append(
                RedFlag(
                    rule.id, rule.reason, rule.info, rule.urgent, rule.informational_only, tuple(rule.evidence),
                    compiled, tuple(rule.descriptions), frozenset(rule.only_with), frozenset(rule.not_escalated_with),
                )
            )
        if problems:
            raise field_errors(type(self).__name__, problems)
        self._flags = flags
        self._contexts = contexts
        self._corrections = _corrections(self.spelling)
        return self

    @property
    def flags(self) -> list[RedFlag]:
        return self._flags

    @property
    def context_patterns(self) -> dict[str, re.Pattern]:
        return self._contexts

    @property
    def corrections(self) -> dict[str, str]:
        return self._corrections


def _phrase(phrase: str, alternatives: dict[str, str]) -> str:
    """A reviewed phrase as a regular expression: words literal, {word} its alternatives, "..." a gap of up to
    three words that are not a negation.

    >>> bool(re.fullmatch(_phrase("{felt} ... pop", {"felt": "(?:felt|heard)"}), "heard a loud pop"))
    True
    >>> bool(re.fullmatch(_phrase("{felt} ... pop", {"felt": "(?:felt|heard)"}), "felt no pop"))
    False
    """
    expression = ""
    tokens = rule_text(phrase).split(" ")
    for i, token in enumerate(tokens):
        if token == "...":
            expression += f"(?:{_GAP_WORD}){{0,3}}"  # each gap word brings its own space
            continue
        placeholder = _PLACEHOLDER.fullmatch(token)
        if placeholder and placeholder.group(1) not in alternatives:
            raise ValueError(f"{token} is not defined under words:; add it there or fix the name.")
        expression += alternatives[placeholder.group(1)] if placeholder else re.escape(token)
        if i < len(tokens) - 1:
            expression += " "
    return expression


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


def _corrections(words: list[str]) -> dict[str, str]:
    """Each slip of a listed word → the word: two inner neighbours swapped, and for words of five letters or
    more one inner letter dropped or doubled (a four-letter word less a letter is too often another word:
    "nub", "wak"). First and last letters are kept, as in most real typos. A slip that two listed words
    share, or that is itself listed, is left alone.

    >>> sorted(_corrections(["crack", "walk"]).items())
    [('cack', 'crack'), ('carck', 'crack'), ('craack', 'crack'), ('cracck', 'crack'), ('crak', 'crack'), ('crcak', 'crack'), ('crck', 'crack'), ('crrack', 'crack'), ('wlak', 'walk')]
    """
    seen: dict[str, set[str]] = {}
    for word in words:
        slips = {word[:k] + word[k + 1] + word[k] + word[k + 2 :] for k in range(1, len(word) - 2)}
        if len(word) >= 5:
            inner = range(1, len(word) - 1)
            slips |= {word[:k] + word[k + 1 :] for k in inner} | {word[:k] + word[k] + word[k:] for k in inner}
        for slip in slips - {word}:
            seen.setdefault(slip, set()).add(word)
    listed = set(words)
    return {slip: next(iter(targets)) for slip, targets in seen.items() if len(targets) == 1 and slip not in listed}
