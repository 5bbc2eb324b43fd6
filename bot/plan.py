"""Planning an answer from answer units: the unit that answers what is asked, for the runner's situation,
leads; at most two complementary units follow. Extractive: every word said is the articles' own.

score(unit) = ½ cos(question, unit) + ½ cos(question, its best sentence) + lexical overlap + heading
              + fit to the intent and to the runner's situation − how generic it is (see bot/tuning.py).
"""

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from bot.generate import Draft, Quote, Request, SentenceBank
from bot.tuning import DEFAULT, Tuning
from bot.understand import Measured, Reading, asked_measure
from core.text import LEANS_BACK, TURNS_BACK, content_terms, tells_own_experience
from core.types import Unit

# Never said as advice: the author's own experience, the publisher's marketing, introductions and outros.
NEVER_SAID = frozenset({"story", "promotion", "signpost"})
PAIN_GONE = "pain_gone"  # the key of corpus/questions.yaml `mismatched` for a runner who says the pain has gone
# A term in more than this share of the units ("hamstring", "pain", "running") names no topic.
COMMON_SHARE = 0.15
# A short follow-up whose words are all in more than this share ("run", "help", "train") names no topic of its
# own: "before or after the run?" is about the turn before.
BACKGROUND_SHARE = 0.12
# Words of a duration or amount itself ("how many times a week"): they don't say what it is of.
MEASURE_TERMS = frozenset(
    content_terms("long much often times week weeks day days month months year years hour hours minute minutes second seconds sets reps heavy heavier far fast hard quickly build increase bump ramp raise")
)
# ... nor do words placing it in time ("how long before I can run?").
RELATIONS = frozenset(content_terms("before after during"))
# The kind of unit that answers each intent best.
INTENT_KINDS = {
    "what-is": {"definition", "explanation"},
    "why": {"explanation"},
    "how-to": {"advice"},
    "should-i": {"advice"},
    "works": {"explanation"},
    "which": {"advice", "explanation"},
    "how-long": {"advice", "explanation", "definition"},
}


def own_heading(unit: Unit) -> str:
    """The unit's own (innermost) section heading; "" above the first one."""
    return (unit.section or "").split("›")[-1]


@dataclass
class UnitBank:
    """The corpus's answer units with their vectors, what they talk about and how generic they are."""

    units: list[Unit]
    vectors: np.ndarray
    sentences: SentenceBank
    asks: list[np.ndarray] | None = None  # per unit, the vectors of the questions it answers (core/unit_questions.py)
    terms: list[set[str]] = field(init=False)
    heading_terms: list[set[str]] = field(init=False)
    section_terms: list[set[str]] = field(init=False)  # the words of every heading above the unit
    hubness: np.ndarray = field(init=False)
    common: set[str] = field(init=False)  # terms in more than COMMON_SHARE of the units: they say nothing of a topic
    background: set[str] = field(init=False)  # terms in more than BACKGROUND_SHARE of the units
    members: list[list[int]] = field(init=False)  # sentence indices inside each unit
    personal: list[list[int]] = field(init=False)  # per unit, the positions in `members` of the author's own experience
    ask_matrix: np.ndarray = field(init=False)  # every unit's questions, stacked, one row each ...
    ask_owner: np.ndarray = field(init=False)  # ... and the unit each row belongs to
    # the articles' stories, each the run of adjacent story units telling it ("After more than two years of pain…
    # a massage therapist", "I was seeing her three times a week"), with the terms of all of them: it is about
    # what any of them names
    stories: list[tuple[list[int], set[str]]] = field(init=False)

    def __post_init__(self):
        self.terms = [set(content_terms(u.text)) for u in self.units]
        self.heading_terms = [set(content_terms(own_heading(u))) for u in self.units]
        self.section_terms = [set(content_terms(u.section or "")) for u in self.units]
        counts = Counter(term for terms in self.terms for term in terms)
        self.common = {term for term, k in counts.items() if k > COMMON_SHARE * len(self.units)}
        self.background = {term for term, k in counts.items() if k > BACKGROUND_SHARE * len(self.units)}
        # Generic text ("Dealing with sore hamstring muscles can be stressful.") sits near the centre of the
        # corpus and so near almost every question: its closeness to the centre is held against it.
        centroid = self.vectors.mean(axis=0) if len(self.units) else np.zeros(1)
        centroid = centroid / (np.linalg.norm(centroid) or 1.0)
        closeness = self.vectors @ centroid if len(self.units) else np.zeros(0)
        self.hubness = np.maximum(0.0, closeness - float(np.median(closeness))) if len(self.units) else closeness
        by_source = self.sentences.by_source
        self.members = [
            [i for i in by_source.get(u.source_id, []) if u.start <= self.sentences.sentences[i].start and self.sentences.sentences[i].end <= u.end]
            for u in self.units
        ]
        self.personal = [[k for k, i in enumerate(m) if tells_own_experience(self.sentences.sentences[i].text)] for m in self.members]
        asks = [m for m in (self.asks or []) if len(m)]
        self.ask_matrix = np.vstack(asks) if asks else np.zeros((0, self.vectors.shape[-1] if self.vectors.ndim == 2 else 1))
        self.stories = []
        for source in dict.fromkeys(u.source_id for u in self.units):
            order = sorted((n for n, u in enumerate(self.units) if u.source_id == source), key=lambda n: self.units[n].start)
            run: list[int] = []
            for n in [*order, None]:
                if n is not None and self.units[n].kind == "story":
                    run.append(n)
                elif run:
                    self.stories.append((run, set().union(*(self.terms[k] for k in run))))
                    run = []
        self.ask_owner = np.concatenate([np.full(len(m), n) for n, m in enumerate(self.asks or []) if len(m)] or [np.zeros(0, dtype=int)]).astype(int)


class AnswerPlanner:
    """The default generator: picks units, not sentences, so what is quoted reads alone and answers."""

    def __init__(
        self,
        bank: UnitBank,
        measures: dict[str, Measured],
        mismatched: dict[str, frozenset[str]],
        min_relevance: float = 0.3,
        tuning: Tuning = DEFAULT,
        unless_also: frozenset[str] = frozenset(),
        referral: re.Pattern | None = None,
        severe: re.Pattern | None = None,
        no_topic: frozenset[str] = frozenset(),
    ):
        self.bank = bank
        self.measures = measures  # per intent ("how-long", "how-much"), how a passage states a duration or amount
        self.mismatched = mismatched  # runner's situation → unit situations whose advice is wrong for it
        self.unless_also = unless_also  # ... unless the runner also says they are in one of these
        self.referral = referral  # "make an appointment with a massage therapist": no answer to "I can't afford one"
        # per unit, the positions in its members of sentences on what a severe tear needs ("may require
        # immobilisation and urgent medical care", or all of one under "Recognising a Grade III Tear"): not for a
        # runner who says theirs is mild
        sentences = bank.sentences.sentences
        self.severe = [
            ([] if not severe else list(range(len(m))) if severe.search(own_heading(u)) else [k for k, i in enumerate(m) if severe.search(sentences[i].text)])
            for u, m in zip(bank.units, bank.members)
        ]
        self.min_relevance = min_relevance
        self.tuning = tuning
        self.no_topic = set(content_terms(" ".join(no_topic)))  # words naming no topic ("work", "need", "go")

    def compose(self, request: Request) -> Draft:
        bank, t = self.bank, self.tuning
        relevance = self._relevance(request)
        if not bank.units or relevance < self.min_relevance:
            return Draft(lead=None, relevance=relevance)
        reading = request.reading
        scores, meaning, unsuitable = self._scores(request)
        ranked = [int(i) for i in np.argsort(-scores) if scores[i] > -np.inf]
        if not ranked:
            return Draft(lead=None, relevance=relevance)
        said: dict[int, Quote] = {}  # each unit is cut to a quote once

        def quote(i: int) -> Quote:
            if i not in said:
                said[i] = self._quote(i, request, float(scores[i]))
            return said[i]

        # what an article says on a disagreement shown with the side that fits the runner, when its side doesn't
        # and the passage is written for others than them ("settle for the… stationary bike", for a strain, to a
        # runner with tendinopathy), is left to the disagreement block, which says that it doesn't fit them
        ranked = [i for i in ranked if not self._left_to_block(i, request, lambda i=i: quote(i).text)] or ranked
        lead = ranked[0]
        # a disagreement the runner's situation decides ("pulled it, should I stretch?"): the side that fits
        # leads, when it answers about as well as the best unit; when it doesn't ("how do I work on the knot
        # myself?", "should I keep it still or move it?"), the best unit leads, and the disagreement shown
        # below it still says which side fits them (nothing unsuitable for their situation is in `ranked`)
        siding = [i for i in ranked if self._side_in(i, request) is not None and scores[i] >= scores[lead] - t.side_margin]
        lead = siding[0] if siding else lead
        before: list[str] = []
        experience: tuple[str, list[Quote]] | None = None
        measure = self._measure(reading)
        if measure:
            # what the duration (amount) is of: the asking words, less those most of the articles use
            # ("hamstring", "pain", "running"), which any passage shares
            # (when the asking words name nothing but the measure, "how fast should I build up?", "how long till I
            # notice a difference?", the rest of the message says what it is of; in a follow-up, what the turn
            # before asked about and the runner was told: the massage therapist they booked, not the rest of
            # their story)
            asked = set(content_terms(reading.topic or request.question))
            named = self._names_any(asked)
            if named:
                topic = self._topic_terms(asked)
            else:
                before_terms = set(content_terms(request.query)) - asked
                topic = self._topic_terms((before_terms & set(content_terms(request.said))) or before_terms or asked)
            # a topic borrowed from the turn before must be held whole (a physical therapist's ultrasound is not the
            # massage therapist); one the question names needs a word in common
            borrowed = request.follows_up and not named

            def about(terms: set[str]) -> bool:
                return topic <= terms if borrowed else bool(topic & terms)

            # a duration about something else (how long to hold a stretch, for "how long before intervals?")
            # doesn't answer: the unit must share what is asked about
            # (what is said must hold the duration: a long unit is quoted as its best sentences, which may not)
            measured = [
                i for i in ranked
                if scores[i] >= scores[lead] - t.time_margin and (about(bank.terms[i]) or not measure.rule.on_topic) and measure.search(quote(i).text)
            ]
            if measured:
                lead = measured[0]
            elif measure.rule.none is not None and not any(measure.search(bank.units[i].text) and topic & bank.terms[i] for i in [*unsuitable, *ranked[: measure.rule.look]]):
                # "the articles give no number" only when none of the closest units gives one about it ("warm
                # up… never skip it", for "how often?"; `look` in the measures table), nor one for other
                # hamstrings than this runner's (how long to hold a stretch, when theirs is injured)
                before.append(f"none-measured:{reading.intent}")
                experience = self._experience(measure, topic)
                # then what they do say instead (how to manage it, not what it is): the closest unit of the kinds
                # `instead` names, on what is asked by its words or its section's ("Managing Symptoms" under
                # "Proximal Hamstring Tendinopathy"), unless a side that fits the runner leads
                # (nor, after a story on the massage therapist, the closest unit on running load: what follows a
                # topic the turn before named is on it)
                kinds = measure.rule.instead
                if not siding and ((kinds and bank.units[lead].kind not in kinds) or (borrowed and not about(bank.terms[lead] | bank.section_terms[lead]))):
                    instead = [i for i in ranked if (not kinds or bank.units[i].kind in kinds) and about(bank.terms[i] | bank.section_terms[i])]
                    lead = instead[0] if instead else lead

        chosen = [lead]
        words = quote(lead).text.count(" ") + 1
        # A comparison ("a physio or a massage therapist?") hears from both sides: when the lead speaks of one
        # only, the closest unit on the other follows it
        for side in self._sides_missed(reading, lead):
            other = next((i for i in ranked if side & bank.terms[i] and not any(self._overlap(i, j) for j in chosen)), None)
            if other is not None:
                chosen.append(other)
                words += quote(other).text.count(" ") + 1
        # What follows the lead in its own section usually completes it ("… It usually builds gradually." then
        # "The pain comes from irritation around the tendon…"): it may follow with a wider margin. Others
        # must be about as close in meaning to the question as the lead (its word bonuses aside). What a thing
        # is completes only another definition: the anatomy after "tightness is rarely why they hurt" doesn't
        # complete it for "I stretch every night and they still feel tight".
        # Nor does the next of a run of tips complete the one before: each is its own piece of advice ("Monitor
        # your pace…" is not completed by "Add in more warm-up time!").
        following = self._next_in_section(lead)
        if following is not None and (bank.units[following].kind == "definition" != bank.units[lead].kind or bank.units[following].form == "tip" == bank.units[lead].form):
            following = None
        if following is None or scores[following] == -np.inf or meaning[following] < meaning[lead] - t.next_unit_margin:
            following = None
        for i in ([following] if following is not None else []) + ranked:
            if len(chosen) > t.units_after_lead or words >= t.word_budget:
                break
            if i in chosen or any(self._overlap(i, j) for j in chosen):
                continue
            if i != following and (meaning[i] < meaning[lead] - t.support_margin or scores[i] < scores[lead] - t.support_score_margin):
                continue
            if i != following and any(float(bank.vectors[i] @ bank.vectors[j]) > t.unit_redundancy for j in chosen):
                continue
            size = quote(i).text.count(" ") + 1
            if words + size > t.word_budget + t.word_slack:
                continue
            chosen.append(i)
            words += size
        return Draft(lead=quote(chosen[0]), support=[quote(i) for i in chosen[1:]], relevance=relevance, before=before, experience=experience)

    def _experience(self, measure: Measured, topic: set[str]) -> tuple[str, list[Quote]] | None:
        """Where the articles advise no duration (amount) on what is asked, the sentences of an author's own
        experience that state one ("how often should I go for massage?": "I was seeing her three times a week for
        30-minute sessions."), with the words that frame them as theirs. The story must be about all that is
        asked about: not a massage therapist's sessions for "how often should I see a physio?"."""
        if measure.told is None:
            return None
        bank, sentences = self.bank, self.bank.sentences.sentences
        named = {term for term in topic if term in bank.sentences.idf} - bank.background - self.no_topic
        for run, said in bank.stories if named else []:
            if named <= said:
                told = [sentences[i] for n in run for i in bank.members[n] if measure.told.search(sentences[i].text)]
                if told:  # the first two statements of it, as the story tells them
                    return measure.rule.experience.framing, [Quote(s.source_id, s.text, s.start, s.end, 0.0) for s in told[:2]]
        return None

    def _left_to_block(self, n: int, request: Request, said: Callable[[], str]) -> bool:
        """Does unit n, quoted as `said()`, state a side of a shown disagreement that doesn't fit the runner, in a
        passage written for none of their situations? The unit is cut to a quote only when the rest leaves it in
        question: cutting every ranked unit was a fifth of an answer's time."""
        unit, reading = self.bank.units[n], request.reading
        if not request.unfit or not reading or set(reading.situations) & set(unit.situations) or "any" in unit.situations:
            return False
        return any(source == unit.source_id and about(said()) for source, about in request.unfit)

    def _side_in(self, n: int, request: Request) -> int | None:
        """The position in unit n's members of the sentence quoting a side that fits the runner, if it holds one."""
        unit, sentences = self.bank.units[n], self.bank.sentences.sentences
        for source, side in request.sides:
            if unit.source_id == source and side in unit.text:
                return next((k for k, i in enumerate(self.bank.members[n]) if side[:40] in sentences[i].text), 0)
        return None

    def _sides_missed(self, reading: Reading | None, lead: int) -> list[set[str]]:
        """The terms of each compared thing the lead doesn't speak of, when it speaks of the other."""
        if not reading or len(reading.alternatives) != 2:
            return []
        left, right = (self._topic_terms(set(content_terms(side))) for side in reading.alternatives)
        idf = self.bank.sentences.idf
        # each side by its most specific word the articles use: "physical" of "physical therapist"
        left, right = ({max(known, key=idf.__getitem__)} if (known := side & idf.keys()) else set() for side in (left - right, right - left))
        said = self.bank.terms[lead]
        return [side for side, other in ((left, right), (right, left)) if side and not side & said and other & said]

    def _names_any(self, terms: set[str]) -> bool:
        """Do `terms` hold a word the articles use, other than a measure's, a time's or one naming no topic? ("how
        long till I notice a difference?" holds none: what it is of is in the turn before)"""
        return bool((terms - MEASURE_TERMS - RELATIONS - self.no_topic) & self.bank.sentences.idf.keys())

    def _topic_terms(self, terms: set[str]) -> set[str]:
        """The terms that say what is asked about: not those most units share, a measure's or a time's."""
        return terms - self.bank.common - MEASURE_TERMS - RELATIONS

    def names_topic(self, text: str) -> bool:
        """Does `text` name something the articles discuss, beyond what most of them share ("hamstring",
        "running", "run"), a measure ("how heavy", "how often") and when ("before", "after")?"""
        return self.topical(set(content_terms(text)))

    def topical(self, terms: set[str]) -> bool:
        """`names_topic` for terms already cut (content_terms)."""
        idf = self.bank.sentences.idf
        return any(term in idf for term in terms - self.bank.background - MEASURE_TERMS - RELATIONS)

    # ---- scoring ---------------------------------------------------------------------------------------

    def _relevance(self, request: Request) -> float:
        """Best question-sentence similarity among the retrieved passages: what the scope step weighs."""
        ids = sorted({i for p in request.passages for i in self.bank.sentences.section_of(p)})
        return float(max(self.bank.sentences.vectors[ids] @ request.query_vector)) if ids else 0.0

    def _scores(self, request: Request) -> tuple[np.ndarray, np.ndarray, set[int]]:
        """A unit scores as its best sentence (meaning plus the question's words it holds, so a long unit gains
        nothing from its length) and as a whole, then by its fit to the intent and situation."""
        bank, t, reading = self.bank, self.tuning, request.reading
        q = request.query_vector
        sentences = bank.sentences
        asked, meant, focus = self._focus(request)
        idf = sentences.idf
        weight = _rarity(asked, idf) + t.expansion_weight * _rarity(meant, idf) or 1.0
        sims = sentences.vectors @ q
        whole = bank.vectors @ q
        found = self._retrieved(request)
        asked_like = self._asked_like(q)
        scores = np.full(len(bank.units), -np.inf)
        unsuitable: set[int] = set()  # units written only for other hamstrings than this runner's
        meaning = np.zeros(len(bank.units))  # closeness in meaning alone, to compare complements with the lead
        for n, unit in enumerate(bank.units):
            if unit.kind in NEVER_SAID:
                continue
            if reading and reading.no_professional and self.referral and self.referral.search(unit.text):
                continue  # they said they can't see one: telling them to book one doesn't answer them
            heading = bank.heading_terms[n]
            best, closest = -np.inf, float(whole[n])
            skipped = self._not_for(n, reading)
            if skipped and len(skipped) == len(bank.members[n]):
                continue  # all of it is on a severe tear, for a runner who says theirs is mild
            for k, i in enumerate(bank.members[n] or []):
                if k in skipped:
                    continue
                terms = sentences.terms[i] | heading
                overlap = (_rarity(asked & terms, idf) + t.expansion_weight * _rarity(meant & terms, idf)) / weight
                best = max(best, float(sims[i]) + t.unit_overlap_weight * overlap)
                closest = max(closest, float(sims[i]))
            if best == -np.inf:
                best = float(whole[n])
            meaning[n] = t.whole_weight * float(whole[n]) + (1 - t.whole_weight) * closest
            score = t.whole_weight * float(whole[n]) + (1 - t.whole_weight) * best - t.hub_weight * float(bank.hubness[n])
            score -= t.length_penalty * max(0.0, unit.words - t.long_unit_words) / 100
            score += t.passage_weight * found[n]
            score += t.ask_weight * asked_like[n]
            score += t.focus_bonus if focus in bank.terms[n] else 0.0
            if reading and reading.intent in INTENT_KINDS and unit.kind in INTENT_KINDS[reading.intent]:
                score += t.intent_bonus
            if reading and reading.situations:
                # the runner's main situation decides what is unsuitable ("pulled it yesterday, it's sore" is
                # injured, and advice for a sore hamstring still being run on is not for them)
                # (and a runner who says the pain has gone is not told what to do while it hurts)
                fits = set(unit.situations)
                not_theirs = not reading.prevention and fits <= self.mismatched.get(reading.situation, frozenset()) and not fits & set(reading.situations) & self.unless_also
                if not_theirs or (reading.pain_gone and fits <= self.mismatched.get(PAIN_GONE, frozenset())):
                    unsuitable.add(n)
                    continue  # written only for other hamstrings than this runner's: never said to them
                if set(reading.situations) & set(unit.situations):
                    score += t.situation_bonus
            scores[n] = score
        return scores, meaning, unsuitable

    def _focus(self, request: Request) -> tuple[set[str], set[str], str | None]:
        """The words asked (counting in full), the words meant (the message's context, the earlier turns a
        follow-up leans on and the article words behind the runner's own: counting for less), and the focus:
        the asking words' rarest term that names a topic."""
        bank, reading, idf = self.bank, request.reading, self.bank.sentences.idf
        # The asking part of the message counts in full; its context, the earlier turns a follow-up leans
        # on and the article words behind the runner's own count for less.
        asked = _asked(request) or set(content_terms(request.query))
        meant = set(content_terms(request.query)) - asked
        # the focus: the asking words' rarest term that names a topic (sorted: ties break the same way every
        # time; not one most units share, nor a word naming none, "actually", "though"); when they name nothing
        # ("do I do it before or after my runs?"), the words leant on (the earlier turn's "foam rolling")
        named = set(content_terms(reading.topic)) if reading and reading.ask else asked
        if request.follows_up and not self.topical(asked & named):
            # a follow-up naming no topic of its own asks about the earlier turn's: its words count in full,
            # less the earlier turn's "before" when this one asks "and after the run?"
            asked, meant = asked | (meant - RELATIONS if asked & RELATIONS else meant), set()
        # (nor a number: "one week 15 miles, next week 45" is about mileage, not the "45 to 60 seconds" of a stretch)
        no_focus = bank.common | self.no_topic

        def usable(terms: set[str]) -> list[str]:
            return sorted(term for term in terms - no_focus if term in idf and not _numeric(term))

        known = usable(asked & named) or usable(meant)
        focus = max(known, key=idf.__getitem__) if known else None
        return asked, meant, focus

    def _measure(self, reading: Reading | None) -> Measured | None:
        return asked_measure(self.measures, reading)

    def _not_for(self, n: int, reading: Reading | None) -> set[int]:
        """Positions in unit n's members of sentences not said to this runner: what a severe tear needs, to one
        who says theirs is mild."""
        return set(self.severe[n]) if reading and reading.mild else set()

    def _asked_like(self, q: np.ndarray) -> np.ndarray:
        """Per unit, how close the question is to the closest question that unit is known to answer."""
        bank = self.bank
        best = np.full(len(bank.units), -np.inf)
        np.maximum.at(best, bank.ask_owner, bank.ask_matrix @ q if len(bank.ask_owner) else np.zeros(0))
        return np.where(best == -np.inf, 0.0, best)  # a unit with no questions listed gains nothing

    def _next_in_section(self, n: int) -> int | None:
        """The unit right after n in the same section, if it can be said."""
        units = self.bank.units
        after = [i for i, u in enumerate(units) if u.source_id == units[n].source_id and u.section == units[n].section and u.start >= units[n].end]
        first = min(after, key=lambda i: units[i].start, default=None)
        return first if first is not None and units[first].kind not in NEVER_SAID else None

    def _retrieved(self, request: Request) -> np.ndarray:
        """Per unit, 1 / rank of the best retrieved passage overlapping it (0 when none does): the hybrid
        retriever's word and meaning match over whole passages, as evidence for the units inside them."""
        found = np.zeros(len(self.bank.units))
        for p in request.passages:
            for n, u in enumerate(self.bank.units):
                if u.source_id == p.chunk.source_id and u.start < p.chunk.end and p.chunk.start < u.end and p.rank:
                    found[n] = max(found[n], 1.0 / p.rank)
        return found

    def _overlap(self, i: int, j: int) -> bool:
        a, b = self.bank.units[i], self.bank.units[j]
        return a.source_id == b.source_id and a.start < b.end and b.start < a.end

    # ---- quoting ---------------------------------------------------------------------------------------

    def _quote(self, n: int, request: Request, score: float = 0.0) -> Quote:
        """The unit, or for a long paragraph its best few sentences (never starting mid-thought); either opens past
        a heading-like line or what the runner has just read, when a later sentence answers better."""
        bank, unit, t = self.bank, self.bank.units[n], self.tuning
        members = bank.members[n]
        # an author's own experience inside advice ("it didn't work for me") is never quoted as advice: the
        # quote is cut from the sentences on one side of it
        # (nor, to a runner who says theirs is mild, what a severe tear needs)
        unsaid = sorted(set(bank.personal[n]) | self._not_for(n, request.reading))
        long = unit.words > t.long_unit_words
        if unit.form not in ("paragraph", "tip") or len(members) < 2 or (not long and not unsaid and not self._aside(n, 0, request.said)):
            return Quote(unit.source_id, unit.text, unit.start, unit.end, score)
        # the unit was chosen on the conversation's topic; within it, what is asked now picks the sentences
        # ("does ice even get deep enough?" after "ice or heat?": "ice and heat don't penetrate…")
        sims = bank.sentences.vectors[members] @ (request.query_vector if request.asked_vector is None else request.asked_vector)
        # the question's words each sentence holds, the rarer counting more, as when units are scored
        idf = bank.sentences.idf
        asked = _asked(request)
        weight = _rarity(asked, idf) or 1.0
        sims = sims + t.unit_overlap_weight * np.array([_rarity(asked & bank.sentences.terms[i], idf) / weight for i in members])
        # a "how long" ("how much", "at what point") question: the sentences saying how long (how much, on what
        # condition) are what it asks for
        measure = self._measure(request.reading)
        if measure:
            sims = sims + t.measure_quote_bonus * np.array([bool(measure.search(bank.sentences.sentences[i].text)) for i in members])
        sims[unsaid] = -np.inf
        # a unit holding the side of a disagreement that fits the runner is quoted on it
        side = self._side_in(n, request)
        best = side if side is not None and side not in unsaid else int(np.argmax(sims))
        if not long and not unsaid:  # a short unit is quoted whole, less what opens it without answering
            return self._cut(n, self._open_at(n, 0, best, request.said), len(members) - 1, score)
        low = max([k + 1 for k in unsaid if k < best], default=0)  # the run of sentences the quote may span
        high = min([k - 1 for k in unsaid if k > best], default=len(members) - 1)
        first, last = best, best
        while first > low and LEANS_BACK.match(bank.sentences.sentences[members[first]].text):
            first -= 1
        # then the neighbour that says most, while the quote stays short
        while True:
            span = bank.sentences.sentences[members[last]].end - bank.sentences.sentences[members[first]].start
            options = [k for k in (first - 1, last + 1) if low <= k <= high]
            words = len(bank.sentences.articles[unit.source_id][bank.sentences.sentences[members[first]].start : bank.sentences.sentences[members[last]].end].split())
            if not options or span > t.window_chars:
                break
            k = max(options, key=lambda k: sims[k])
            if sims[k] < sims[best] - t.window_margin and words >= t.window_min_words:
                break
            first, last = min(first, k), max(last, k)
            while first > low and LEANS_BACK.match(bank.sentences.sentences[members[first]].text):
                first -= 1
        # a quote never ends on a question the article goes on to answer ("… more stretching, right?"), nor
        # before the sentence that turns its claim ("… rarely too tight. Instead, they are over-stretched…")
        while last < high and (bank.sentences.sentences[members[last]].text.rstrip().endswith("?")
                               or TURNS_BACK.match(bank.sentences.sentences[members[last + 1]].text)):
            last += 1
        return self._cut(n, self._open_at(n, first, best, request.said), last, score)

    def _open_at(self, n: int, first: int, best: int, said: str) -> int:
        """Where a quote of unit n's sentences first..best.. opens: past a heading-like line ("Ice and heat.",
        "Decrease the elevation gains.") and past what the runner has just read in the answer before ("how
        heavy should I start?" after the exercises were listed), when the sentence that answers comes later;
        never on a sentence leaning on the one before it."""
        sentences, members = self.bank.sentences.sentences, self.bank.members[n]
        k = first
        while k < best and self._aside(n, k, said):
            k += 1
        while k > first and LEANS_BACK.match(sentences[members[k]].text):
            k -= 1
        return k

    def _aside(self, n: int, k: int, said: str) -> bool:
        """May a quote open past unit n's k-th sentence: a heading-like line, or one the runner has just read?"""
        text = self.bank.sentences.sentences[self.bank.members[n][k]].text
        return len(text.split()) <= self.tuning.opener_words or bool(said and text.strip() in said)

    def _cut(self, n: int, first: int, last: int, score: float) -> Quote:
        """Unit n's sentences first..last (positions in its members), verbatim."""
        unit, sentences, members = self.bank.units[n], self.bank.sentences.sentences, self.bank.members[n]
        if first == 0 and last == len(members) - 1:
            return Quote(unit.source_id, unit.text, unit.start, unit.end, score)
        start, end = sentences[members[first]].start, sentences[members[last]].end
        return Quote(unit.source_id, self.bank.sentences.articles[unit.source_id][start:end], start, end, score)


def _numeric(term: str) -> bool:
    """Does the term hold a digit ("45", "10k", "2nd")? A number or an amount names no topic."""
    return any(ch.isdigit() for ch in term)


def _rarity(terms: set[str], idf: dict[str, float]) -> float:
    """How much `terms` weigh when matched: the sum of their IDF (a term the sentences never use weighs nothing)."""
    return sum(idf.get(term, 0.0) for term in terms)


def _asked(request: Request) -> set[str]:
    """The words of what is asked: the asking part of the message when it was told apart, else the question."""
    reading = request.reading
    return set(content_terms(reading.ask if reading and reading.ask else request.question))
