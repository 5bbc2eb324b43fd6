"""Reading a runner's question: what is asked (intent), whose situation it is, the article words behind
their everyday words, what they ask about that the articles never discuss, and small talk.

The words and expressions are reviewed data (corpus/questions.yaml); this module only applies them.
"""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field

from core.questions import Question
from core.rulefile import RuleModel, Text, Words, load_rule_file
from core.settings import PROJECT_ROOT
from core.text import APOSTROPHES, POINTS_BACK, STOPWORDS, content_terms, is_typo_of_any, message_sentences, typo_of, words

DEFAULT_PATH = PROJECT_ROOT / "corpus" / "questions.yaml"
QUESTIONS_VERSION = 1
COMPARES = re.compile(r"\b(?:which|better|best|worse|vs|versus)\b")  # a question comparing things named before it
# a verdict asked with no object of its own ("any good for a tight sore hamstring?", "worth using on a strained
# hammy?"): on the thing the sentence before names
VERDICT_OPENS = re.compile(r"^\W*(?:(?:is|are) (?:it|they|this|that) )?(?:any good|worth (?:using|trying|buying|getting|it|a go|a try)|(?:does|do|would|will) (?:it|they|this|that) (?:even |actually |really )?(?:work|help))\b")
GAP_WORDS = 4  # longest phrase named as a gap ("carbon plated super shoes")
ACRONYM_LETTERS = 5  # longest word in capitals read as a name ("PRP", "MRI"), not as shouting ("FINALLY")
ASIDE_WORDS = 6  # longest sentence a question may point back past to what it asks about ("no change at all.")
ROMAN = re.compile(r"I{1,3}|IV")  # "grade II" names a grade, not a product
_TOKEN = re.compile(r"[a-z0-9]+", re.I)


class Bridge(RuleModel):
    words: list[str]
    means: str
    named: bool = True
    # the articles never discuss it: read as itself only so it is not taken for another word ("menstrual cycle" is
    # not the bike), and named as a gap ("The articles don't discuss the menstrual cycle.")
    gap: bool = False


class Measure(RuleModel):
    """How passages say how long (or how much, how often), and what to say when none does."""

    states: Text
    none: Text | None = None  # None: nothing is said when no passage states one ("when should I see a physio?")
    notice: Literal["no-timeline", "no-amount"] | None = None
    look: int = Field(0, ge=0)  # how many of the closest passages must not state one either, for `none` to be said
    instead: list[Literal["advice", "explanation", "definition"]] = []  # after `none`, the kinds of unit that lead, if one is close
    on_topic: bool = True  # the passage must share a word of what is asked about (not for "when should I see someone?")
    experience: "Experience | None" = None  # after `none`, an author's own experience that states one, as theirs


class Experience(RuleModel):
    """An author's own experience stating what the articles give no advice on ("how often should I see a massage
    therapist?": "I was seeing her three times a week…"): quoted after `none`, framed as theirs, never as advice."""

    framing: Text  # the words before the quotes
    states: Text  # how a sentence of the story states it


@dataclass(frozen=True)
class Measured:
    """A measure with its expressions compiled: `search` finds a statement of it; `told` one in an author's own
    story (None when the rule quotes no story); `rule` is the reviewed entry."""

    pattern: re.Pattern
    rule: Measure
    told: re.Pattern | None = None

    def search(self, text: str) -> re.Match | None:
        return self.pattern.search(text)


class QuestionsFile(RuleModel):
    """corpus/questions.yaml: intents, situations, vocabulary, small talk, durations and amounts."""

    version: Literal[QUESTIONS_VERSION]
    intents: dict[str, Text]
    situations: dict[str, Text]
    vocabulary: list[Bridge]
    not_a_topic: Words
    subject: Words
    small_talk: dict[str, Text]
    replies: dict[str, Text]
    measures: dict[str, Measure]
    gap_things: Words
    situation_names: dict[str, Text]
    mismatched: dict[str, list[str]]
    unless_also: list[str]
    not_said: Text
    no_professional: Text
    referral: Text
    mild: Text
    severe: Text
    prevention: Text
    pain_gone: Text
    assessed: Text
    self_care: Text
    reminders: dict[str, Text]


@dataclass(frozen=True)
class Reading:
    """What the question asks, as far as these rules can tell."""

    intent: str | None  # how-long, how-much, why, what-is, how-to, should-i, which
    situations: tuple[str, ...]  # injured, tendinopathy, returning, sore: what the runner said, first counts most

    @property
    def situation(self) -> str | None:
        return self.situations[0] if self.situations else None
    expansion: str  # article words meant by the runner's everyday words
    unnamed: tuple[tuple[str, str], ...]  # (runner's word, the general thing the articles speak of)
    gap: str | None  # what is asked about that the articles never discuss, in the runner's words
    small_talk: str | None  # greeting, thanks, goodbye
    ask: str = ""  # the asking part of the message ("how do i massage my own hamstring?"), in the articles' words
    topic: str = ""  # the words of `ask` that name what it is about (not "actually", "mean", "like")
    prevention: bool = False  # asks how to prevent a problem: prevention advice fits whatever the situation
    no_professional: bool = False  # can't see a professional (cost, wait): what they can do themselves leads
    mild: bool = False  # says the injury is mild ("can walk fine", "no bruising"): what a severe tear needs isn't for them
    pain_gone: bool = False  # says the pain has gone ("the pain has finally gone"): advice for a hamstring that hurts isn't for them
    alternatives: tuple[str, ...] = ()  # the things compared ("a physio or a massage therapist?"), a few words each


def asked_measure(measures: dict[str, Measured], reading: Reading | None) -> Measured | None:
    """How a passage states what a "how long" ("how much", "when") question asks for; None for other intents."""
    return measures.get(reading.intent) if reading and reading.intent else None


def _whole_words(expression: str) -> re.Pattern:
    return re.compile(rf"(?<![a-z0-9])(?:{expression})(?![a-z0-9])")


def _plain(text: str) -> str:
    return " ".join(APOSTROPHES.sub("", text.lower()).split())


class QuestionReader:
    """The compiled rules of corpus/questions.yaml."""

    def __init__(self, file: QuestionsFile):
        self.file = file
        self.intents = {name: _whole_words(e) for name, e in file.intents.items()}
        self.situations = {name: _whole_words(e) for name, e in file.situations.items()}
        self.small_talk = {name: re.compile(rf"^\W*(?:{e})\W*$") for name, e in file.small_talk.items()}
        self.measures = {
            intent: Measured(re.compile(m.states, re.I), m, re.compile(m.experience.states, re.I) if m.experience else None)
            for intent, m in file.measures.items()
        }
        self.assessed = _whole_words(file.assessed)
        self.prevention = _whole_words(file.prevention)
        self.pain_gone = _whole_words(file.pain_gone)
        self.no_professional = _whole_words(file.no_professional)
        self.referral = re.compile(file.referral, re.I)
        self.mild = _whole_words(file.mild)
        self.severe = re.compile(file.severe, re.I)
        self.not_said = re.compile(rf"\b(?:{file.not_said})$")
        self.self_care = _whole_words(file.self_care)
        self.not_a_topic = file.not_a_topic | STOPWORDS
        self.subject = file.subject  # "hamstring", "hammy": named by every question
        self.gap_things = file.gap_things
        # longest phrases first, so "foam roller" is read before "roller"
        bridges = sorted(((_plain(w), b) for b in file.vocabulary for w in b.words), key=lambda wb: -len(wb[0]))
        self.bridge = _whole_words("|".join(re.escape(w) for w, _ in bridges))
        self.means = {w: b for w, b in bridges}
        self.bridged_words = {t for w, _ in bridges for t in w.split()}

    @classmethod
    def load(cls, path: Path | None = None) -> "QuestionReader":
        return cls(load_rule_file(path or DEFAULT_PATH, QuestionsFile))

    def reply(self, kind: str) -> str:
        return self.file.replies[kind]

    def reminder(self, kind: str, reasons: list[str]) -> str:
        said = " and ".join([", ".join(reasons[:-1]), reasons[-1]] if len(reasons) > 1 else reasons)
        return self.file.reminders[kind].format(reasons=said)

    def says_assessed(self, messages: list[str]) -> bool:
        return any(self.assessed.search(_plain(m)) for m in messages)

    def asks_self_care(self, text: str) -> bool:
        return bool(self.self_care.search(_plain(text)))

    @property
    def unnamed(self) -> frozenset[str]:
        """Words that name no topic, and the subject every question shares ("hamstring", "hammy")."""
        return self.not_a_topic | self.subject

    @property
    def unless_also(self) -> frozenset[str]:
        return frozenset(self.file.unless_also)

    @property
    def mismatched(self) -> dict[str, frozenset[str]]:
        return {k: frozenset(v) for k, v in self.file.mismatched.items()}

    def none_measured(self, intent: str) -> tuple[str, str]:
        """The notice kind and words for "the articles give no duration (amount) for that"."""
        measure = self.file.measures[intent]
        return measure.notice, measure.none

    def read(self, question: Question, vocabulary: set[str], corpus_text: str = "") -> Reading:
        """`vocabulary`: the articles' words; `corpus_text`: their text, lower-cased, to look phrases up in."""
        text = _plain(question.text)
        everything = _plain(" ".join([*question.earlier_user_turns, question.text]))
        small_talk = next((name for name, p in self.small_talk.items() if p.match(text)), None)
        intent, ask = None, question.text
        # a cue in a sentence that asks ("…what do i think about while running to stop doing it?") before one in a
        # sentence that doesn't ("dont really want to relearn how to run")
        asking = [m.span() for m in re.finditer(r"[^.?!]*\?", text)]
        for spans in (asking, [(0, len(text))]):
            found = next(((name, m) for name, pattern in self.intents.items() for span in spans if (m := pattern.search(text, *span))), None)
            if found:
                intent, ask = found[0], _asking_clause(text, found[1].start())
                break
        situations = tuple(name for name, p in self.situations.items() if self._said(p, everything))
        found = [m.group() for m in self.bridge.finditer(text)]
        expansion = " ".join(dict.fromkeys(self.means[w].means for w in found if self.means[w].means))
        unnamed = tuple(dict.fromkeys((w, self.means[w].means) for w in found if not self.means[w].named))
        gap = next((self.means[w].means for w in found if self.means[w].gap), None) or self._gap(question.text, vocabulary, corpus_text)
        prevention = bool(self.prevention.search(text))
        no_professional = bool(self.no_professional.search(everything))
        # a runner who says it isn't an injury, asking what to do, has no severe tear either ("a bit achy, I
        # don't think it's injured. what can I tweak?")
        denied = "injured" not in situations and bool(self.situations["injured"].search(everything))
        said_mild = self._said(self.mild, everything) or (intent in ADVICE_ASKED and denied)
        # (not when the grades themselves are asked about: "what's the difference between a grade 1 and 2?", "is
        # mine mild or a proper tear?"; other comparisons are the mild runner's own: "can I keep fit in the gym
        # or will that make it worse?")
        compared = _alternatives(ask) if intent in COMPARING else ()
        # nor when this message names a severe injury, not to deny it: "ok so what would a grade 3 feel like?"
        mild = said_mild and intent != "what-is" and not self._said(self.severe, text) and not any(
            self.mild.search(side) or self.severe.search(side) for side in compared
        )
        ask = self.normalise(ask, vocabulary)
        return Reading(
            intent=intent, situations=situations, expansion=expansion, unnamed=unnamed, gap=gap, small_talk=small_talk,
            ask=ask, topic=self.topic_words(ask), prevention=prevention, no_professional=no_professional, mild=mild,
            pain_gone=self._said(self.pain_gone, everything),
            alternatives=tuple(self.topic_words(side) for side in _alternatives(ask)) if intent in COMPARING else (),
        )

    def topic_words(self, text: str) -> str:
        """The words of `text` that name a topic: not "actually", "mean", "like", nor the subject ("hamstring")."""
        return " ".join(w for w in words(text) if w not in self.unnamed)

    def _said(self, pattern: re.Pattern, text: str) -> bool:
        """Does the runner say this of themselves? ("not injured, just grumpy" says sore, not injured)"""
        return any(not self.not_said.search(text[: m.start()]) for m in pattern.finditer(text))

    def normalise(self, text: str, vocabulary: set[str] = frozenset()) -> str:
        """The text with each everyday word replaced by the article words it means, and each misspelling of
        an article word mended ("strenghten" → "strengthen"), for the embedder: the model then meets the
        articles' own vocabulary."""
        text = self.bridge.sub(lambda m: self.means[m.group()].means, _plain(text))
        return " ".join(_mended(word, vocabulary) for word in text.split())

    def _gap(self, question: str, vocabulary: set[str], corpus_text: str) -> str | None:
        """What the asking sentence names that the articles never discuss: a run of topic words holding a word
        the articles never use, that names a thing (it ends in a word of `gap_things`, or one of its words is
        written as a name: "PRP", "MRI", "Advil"), or a thing of two or more words the articles never name
        ("compression shorts"). The run with most such words wins, with the next when the runner names two."""
        sentences = message_sentences(question)
        asking = [s for n, s in enumerate(sentences) if s.rstrip().endswith("?") or self._asked_back_at(sentences, n)]
        asking = asking or sentences
        found = self._things_unknown(asking, vocabulary, corpus_text)
        if not found:
            # an asking sentence in words the articles never use that name no thing ("whats the success rate and how
            # long off running after?") asks about what the sentence before names ("GP mentioned PRP injections…")
            before = [sentences[n - 1] for n, s in enumerate(sentences) if n and s in asking and sentences[n - 1] not in asking
                      and not self.subject & set(words(s)) and any(_unknown(w, vocabulary) for w in words(s) if w not in self.not_a_topic)]
            found = self._things_unknown(before, vocabulary, corpus_text)
        if not found:
            return None
        # the run with most such words, with the next when the runner asks about two ("shockwave or a PRP
        # injection"), in the order they wrote them
        best, *rest = sorted(found, key=lambda f: -f[0])
        named = [best, *(f for f in rest[:1] if not set(f[3].lower().split()) <= set(best[3].lower().split()))]  # not "shoes" again
        return " or ".join(dict.fromkeys(f[3] for f in sorted(named, key=lambda f: f[1:3])))

    def _things_unknown(self, asking: list[str], vocabulary: set[str], corpus_text: str) -> list[tuple[int, int, int, str]]:
        """(unknown words, sentence, position, phrase) of each run of topic words in `asking` that names a thing
        the articles never discuss."""
        found: list[tuple[int, int, int, str]] = []
        for at, sentence in enumerate(asking):
            runs: list[list[tuple[int, str]]] = [[]]
            for position, match in enumerate(_TOKEN.finditer(APOSTROPHES.sub("", sentence))):
                word = match.group().lower()
                # (a thing's name ends at the thing: "fish oil / omega 3 capsules" names fish oil, then the capsules)
                ended = bool(runs[-1]) and self._is_a_thing(runs[-1][-1][1]) and not self._is_a_thing(word)
                if word in self.not_a_topic or word in self.bridged_words or len(runs[-1]) == GAP_WORDS or ended:
                    runs.append([])
                if word not in self.not_a_topic and word not in self.bridged_words:
                    runs[-1].append((position, match.group()))
            for run in runs:
                # a run opening on a thing names that thing: "collagen vit c before" names collagen ("PRP
                # injections", both things, names both)
                leading = next((n for n, (_, w) in enumerate(run) if not self._is_a_thing(w)), len(run))
                run = run[:leading] if leading else run
                unknown = sum(_unknown(w.lower(), vocabulary) for _, w in run)
                phrase = " ".join(w.lower() for _, w in run)
                if not unknown and len(run) > 1 and self._ends_in_a_thing(run) and phrase not in corpus_text:
                    unknown = 1  # "compression shorts": known words, but a thing the articles never name
                if unknown and self._names_a_thing(run):
                    found.append((unknown, at, run[0][0], " ".join(w for _, w in run)))
        return found

    def _asked_back_at(self, sentences: list[str], n: int) -> bool:
        """Is sentence n what a question after it asks about: the next sentence, or the one after a short aside,
        asks by pointing back ("my physio wants to dry needle it. does that help?", "physio has done dry needling 3
        sessions. no change at all. is it worth carrying on with it?") or names nothing of its own ("… a cortisone
        shot or PRP injection. which is better?")?"""
        for k in (1, 2):
            if n + k >= len(sentences) or any(len(words(aside)) > ASIDE_WORDS for aside in sentences[n + 1 : n + k]):
                return False
            later = sentences[n + k]
            if later.rstrip().endswith("?") and self._leans_back(_plain(later)):
                return True
        return False

    def _leans_back(self, question: str) -> bool:
        """Does an asking sentence lean on the one before it: it points back ("does that help?", "what was she
        checking for?") or compares without naming what ("which is better?", "which one?")? ("What can I do?"
        leans on nothing.)"""
        said = words(question)
        pointer = next((n for n, w in enumerate(said) if w in LEANS_ON_BEFORE), None)
        # a pointer after the subject's own name points at it ("what are the 3 hamstring muscles called and
        # where do they go?"), not at the sentence before
        # a verdict or a comparison asked of nothing named ("legit or waste of money?", "which is better?") is
        # asked of what the sentence before names; advice asked of nothing ("what can I do?") is not
        return (pointer is not None and not self.subject & set(said[:pointer])) or bool(VERDICT_OPENS.search(question)) or (
            bool(COMPARES.search(question) or self.intents["works"].search(question))
            and not [w for w in words(question) if w not in STOPWORDS and len(w) > 1 and w not in self.not_a_topic]
        )

    def _names_a_thing(self, run: list[tuple[int, str]]) -> bool:
        # a word in capitals is a name when it is short, like an acronym ("PRP", "MRI", "BFR"); a longer one is
        # shouted ("has FINALLY calmed down")
        # (a single letter is no name: the "E" of "A&E doctor wrote…")
        named = any(w.isalpha() and len(w) > 1 and ((w.isupper() and len(w) <= ACRONYM_LETTERS and not ROMAN.fullmatch(w)) or (w.istitle() and position > 0)) for position, w in run)
        return named or self._ends_in_a_thing(run)

    def _ends_in_a_thing(self, run: list[tuple[int, str]]) -> bool:
        return self._is_a_thing(run[-1][1])

    def _is_a_thing(self, word: str) -> bool:
        word = word.lower()
        return word in self.gap_things or word.rstrip("s") in self.gap_things


def _asking_clause(text: str, at: int) -> str:
    """From the start of the clause holding the intent cue to the end of its sentence: "cant afford a
    physio, how do i massage my own hamstring?" asks "how do i massage my own hamstring?". A clause that
    names at most one thing and points back at the rest ("everyone says RICE, what does that stand for?")
    asks about what it points at: the whole sentence."""
    ends = [i for i in (text.find(mark, at) for mark in ("?", ".", "!")) if i >= 0]
    end = min(ends) + 1 if ends else len(text)
    start = max(text.rfind(mark, 0, at) for mark in (".", "?", "!", ",", ";", " but ", " so ")) + 1
    if len(content_terms(text[start:end])) < 2 and _points_back(text[start:end]):
        start = max(text.rfind(mark, 0, at) for mark in (".", "?", "!")) + 1
    if start > 0 and _opens_pointing_back(text[start:end]):
        # a sentence that opens by pointing back asks about what the sentence before names ("physio has been
        # using an ultrasound wand thing on my hamstring. whats that meant to do that my ice pack doesnt?")
        before = max(text.rfind(mark, 0, start - 1) for mark in (".", "?", "!")) + 1
        # what the sentence before says, not who said it ("physio reckons my pelvis tips forward…")
        told = _TOLD.search(text, before, start)
        start = told.end() if told else before
    return text[start:end].strip(" ,;")


# who told the runner something: "physio reckons", "my coach says", "doc told me"
_TOLD = re.compile(r"\b(?:says?|said|reckons?|thinks?|told me|mentioned|suggested|wrote)\b(?: that)?")


def _opens_pointing_back(clause: str) -> bool:
    """Does the clause point back ("that", "it") before it names anything of its own?"""
    for word in words(clause):
        if word in POINTS_BACK:
            return True
        if word not in STOPWORDS and len(word) > 1:
            return False
    return False


# An asking sentence with one of these leans on the sentence before it: it points back at a thing ("does that
# help?") or at a person named there ("physio did a slump test. what was she checking for?").
LEANS_ON_BEFORE = POINTS_BACK | frozenset("she he her him".split())


def _points_back(text: str) -> bool:
    return bool(POINTS_BACK & set(words(text)))


def _mended(token: str, vocabulary: set[str]) -> str:
    word = token.strip("?!.,;:'\"()")
    if not word.isalpha() or word in vocabulary:
        return token
    known = typo_of(word, vocabulary)
    return token.replace(word, known) if known else token


def _unknown(word: str, vocabulary: set[str]) -> int:
    """1 when the articles never use the word (nor its plural-free form, nor a near spelling)."""
    if len(word) < 3 or word.isdigit() or word in vocabulary or word.rstrip("s") in vocabulary:
        return 0
    return 0 if is_typo_of_any(word, vocabulary) else 1


# The intents a comparison is read in ("which is better, X or Y?", "what's the difference between X and Y?"):
# elsewhere "or" joins alternatives nobody asked to weigh ("is it legit or just bro science?").
COMPARING = frozenset({"which", "what-is", "should-i"})
ADVICE_ASKED = frozenset({"how-to", "should-i"})  # what to do, not why or what it is
_BETWEEN = re.compile(r"\bbetween ((?:\w+ ){1,3})and\b")


def _alternatives(ask: str) -> tuple[str, ...]:
    """The two things a question compares: up to three words each side of "or", "vs", "compared to", or the
    words of "between … and"; () when it compares nothing. The reader keeps their topic words.

    >>> _alternatives("should i see a physio or a massage therapist for it?")
    ('see a physio', 'a massage therapist')
    >>> _alternatives("whats the difference between a strain and tendinopathy")
    ('a strain', 'tendinopathy')
    >>> _alternatives("how do i foam roll properly")
    ()
    """
    ask = re.sub(r"[^\w\s']", " ", ask.lower())
    between = _BETWEEN.search(ask)
    if between:
        left, right = between.group(1).split(), ask[between.end():].split()
    else:
        found = re.search(r"\b(?:or|vs|versus|compared (?:to|with))\b", ask)
        if not found:
            return ()
        left, right = ask[: found.start()].split(), ask[found.end():].split()
    left, right = left[-3:], right[:3]
    return (" ".join(left), " ".join(right)) if left and right else ()
