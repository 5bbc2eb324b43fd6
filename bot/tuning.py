"""The answer chain's tuning numbers, named, in one place, each with what it does and what was tried.

Change them here (or pass another `Tuning` to the chain); `make eval` and `make bench` show the effect.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Tuning:
    """How the extractive generator scores and selects sentences, and how a follow-up is read."""

    # ---- scoring a sentence: cosine(question, sentence) plus these ------------------------------------
    overlap_weight: float = 0.3
    """× IDF-weighted share of the question's terms the sentence contains. Tried 0.2–0.4 on the core set:
    within two cases of each other; 0.3 best first-citation rate."""
    focus_bonus: float = 0.1
    """When the sentence holds the question's most specific word. 0, 0.05, 0.1, 0.15 tried: 0.1 best."""
    heading_bonus: float = 0.1
    """When the sentence's innermost section heading names a word of the question ("Prevention")."""
    rank_weight: float = 0.05
    """× the weight of the passage it came from (1 / passage rank; half that outside the passage)."""
    exclaim_penalty: float = 0.1
    """Subtracted from sentences ending in "!": cheerleading, rarely the answer."""
    section_weight: float = 0.5
    """Weight of a retrieved passage's section-mates outside it: the answer may sit just outside."""

    # ---- selecting -------------------------------------------------------------------------------------
    near_supporting: int = 3
    """How many sentences (lead included) need only be fairly close to the lead's score ..."""
    near_floor: float = 0.6
    """... at least this share of it ..."""
    far_floor: float = 0.75
    """... while later ones need this share."""
    redundancy: float = 0.8
    """Cosine between two sentences above which the second says nothing new."""
    min_chars: int = 30
    min_words: int = 6
    """Shorter sentences are rhetorical filler ("Sounds great?") and never said."""
    bare_item_words: int = 8
    """A list item shorter than this ("Weighted lunges") is quoted only with its lead-in."""

    # ---- quoting ---------------------------------------------------------------------------------------
    lean_back_steps: int = 2
    """How far back "That is why…" after "It helps…" is followed to its subject."""
    tip_sentences: int = 3
    """Sentences after the first of a numbered tip quoted with it."""
    sequence_steps: int = 4
    """"First… Next… Finally…" sentences quoted after "There are four phases…"."""

    # ---- planning an answer from units (bot/plan.py) -------------------------------------------------
    unit_overlap_weight: float = 0.3
    """× IDF-weighted share of the question's terms (and the article words they mean) a unit's best
    sentence holds (with the unit's heading)."""
    passage_weight: float = 0.1
    """× 1 / rank of the best retrieved passage overlapping the unit."""
    expansion_weight: float = 0.5
    """Weight of the article words meant by the runner's everyday words, against the runner's own words."""
    whole_weight: float = 0.35
    """Share of a unit's score from its similarity as a whole; the rest comes from its best sentence."""
    length_penalty: float = 0.05
    """× every 100 words past long_unit_words: a shorter unit saying the same thing is quoted instead."""
    hub_weight: float = 0.5
    """× how much closer than the median unit a unit sits to the corpus centre: generic text loses."""
    intent_bonus: float = 0.05
    """When the unit's kind answers the intent (a definition for "what is", advice for "how do I")."""
    situation_bonus: float = 0.08
    """When the unit speaks to the runner's stated situation (injured, sore, tendinopathy, returning)."""
    wrong_situation_penalty: float = 0.3
    """When the runner's hamstring is not healthy and the unit is written only for healthy ones."""
    time_margin: float = 0.08
    """A "how long" question leads with a unit saying how long, if it scores within this of the best."""
    units_after_lead: int = 2
    """Complementary units after the lead, at most."""
    support_margin: float = 0.06
    """A complementary unit scores within this of the lead."""
    unit_redundancy: float = 0.85
    """Cosine between two units above which the second adds nothing."""
    word_budget: int = 110
    """Words of quoted text after which no more units are added ..."""
    word_slack: int = 30
    """... and a unit that would take the body past budget + slack is skipped."""
    long_unit_words: int = 70
    """A paragraph longer than this is quoted as its best few sentences, not whole."""
    window_chars: int = 320
    """The best sentences of a long paragraph grow to about this many characters ..."""
    window_margin: float = 0.12
    """... taking a neighbour only while it is nearly as close to the question as the best sentence."""

    # ---- conversation ----------------------------------------------------------------------------------
    followup_topic_weight: float = 0.35
    """In a follow-up, the folded query's share of the vector that ranks sentences; the new question
    has the rest, so "how do I prevent it?" picks prevention sentences within the earlier topic."""


DEFAULT = Tuning()
