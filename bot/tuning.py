"""The answer chain's tuning numbers, named, in one place, each with what it does and what was tried.

Change them here (or pass another `Tuning` to the chain); `make eval` and `make bench` show the effect.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Tuning:
    """How the answer planner scores and selects units (bot/plan.py), and how a follow-up is read.

    Tuned on the `tune` half of evals/sets/runner.yaml only (lead checks and blind grades), and on 360 more
    blind-written runner questions, each labelled with the unit it was written for (kept out of
    corpus/unit_questions.yaml for that purpose): ask_weight 1.5 → 2.0 and whole_weight 0.35 → 0.7 ranked the
    labelled unit first for 58% of them instead of 55%, with the tune half's lead checks unchanged. The
    `confirm` half and evals/sets/runner-dev.yaml are measured, never tuned on."""

    # ---- planning an answer from units (bot/plan.py) -------------------------------------------------
    unit_overlap_weight: float = 0.3
    """× IDF-weighted share of the question's terms (and the article words they mean) a unit's best
    sentence holds (with the unit's heading)."""
    passage_weight: float = 0.1
    """× 1 / rank of the best retrieved passage overlapping the unit."""
    ask_weight: float = 2.0
    """× cosine between the question and the closest of the questions a unit is known to answer
    (corpus/unit_questions.yaml)."""
    expansion_weight: float = 0.5
    """Weight of the article words meant by the runner's everyday words, against the runner's own words."""
    whole_weight: float = 0.7
    """Share of a unit's score from its similarity as a whole; the rest comes from its best sentence."""
    length_penalty: float = 0.05
    """× every 100 words past long_unit_words: a shorter unit saying the same thing is quoted instead."""
    hub_weight: float = 0.5
    """× how much closer than the median unit a unit sits to the corpus centre: generic text loses."""
    intent_bonus: float = 0.05
    """When the unit's kind answers the intent (a definition for "what is", advice for "how do I")."""
    focus_bonus: float = 0.08
    """When the unit holds the question's most specific word the articles know ("RICE", "overstriding")."""
    situation_bonus: float = 0.08
    """When the unit speaks to the runner's stated situation (injured, sore, tendinopathy, returning)."""
    time_margin: float = 0.3
    """A "how long" ("how much", "when") question leads with a unit saying how long (how much, on what
    condition), if it scores within this of the best. (0.2 → 0.3: the tune half's "at what point should I get
    it looked at?" gained "if you can't bear weight…"; 0.4 lost one.)"""
    side_margin: float = 0.35
    """Where the runner's situation decides a disagreement the question is about, the side that fits leads
    if it scores within this of the best unit. (Always, before: "should I keep doing hill reps?" led with
    "you can make some adjustments to your running routine", and "keep it still or move it?", four days after
    a strain, with what a grade III tear needs. Of the 34 read-set answers where a side outranked the best
    unit, the side answered better in 14 of the 16 below 0.2 and 4 of the 5 in 0.25–0.35 ("big stretches at
    my desk, good plan?": avoid aggressive stretching); beyond 0.4 the best unit did, in all 7. At 0.25, the
    three stretching questions in 0.3–0.35 lost their answer.)"""
    units_after_lead: int = 2
    """Complementary units after the lead, at most."""
    support_margin: float = 0.06
    """A complementary unit is within this of the lead in closeness of meaning to the question ..."""
    support_score_margin: float = 0.3
    """... and within this of it in score (word matches and fit included) ..."""
    next_unit_margin: float = 0.15
    """... or, for the unit right after the lead in its section, within this in meaning alone."""
    unit_redundancy: float = 0.93
    """Cosine between two units above which the second adds nothing. (At 0.85, units of one article on one
    topic that say different things were dropped: "static stretching makes sore hamstrings worse" after
    "tightness is rarely why they hurt"; 19 tune-half answers compared by hand, most gained the answer.)"""
    word_budget: int = 110
    """Words of quoted text after which no more units are added ..."""
    word_slack: int = 30
    """... and a unit that would take the body past budget + slack is skipped."""
    long_unit_words: int = 60
    """A paragraph or tip longer than this is quoted as its best few sentences, not whole."""
    window_chars: int = 320
    """The best sentences of a long paragraph grow to about this many characters ..."""
    window_min_words: int = 20
    """... and at least this many words, so a quote is never a bare heading-like line ("Add in more warm-up time!")."""
    window_margin: float = 0.12
    """... taking a neighbour only while it is nearly as close to the question as the best sentence."""
    opener_words: int = 5
    """A unit's opening sentence this short is a heading-like line ("Ice and heat."): the quote opens after it
    when a later sentence answers better."""
    measure_quote_bonus: float = 0.1
    """Added to a sentence's closeness, when choosing a long unit's sentences, if it states what a "how long"
    ("how much", "when") question asks for."""

    # ---- conversation ----------------------------------------------------------------------------------
    followup_topic_weight: float = 0.35
    """In a follow-up, the folded query's share of the vector that ranks sentences; the new question
    has the rest, so "how do I prevent it?" picks prevention sentences within the earlier topic."""


DEFAULT = Tuning()
