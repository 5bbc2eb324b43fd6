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

    # ---- conversation ----------------------------------------------------------------------------------
    followup_topic_weight: float = 0.35
    """In a follow-up, the folded query's share of the vector that ranks sentences; the new question
    has the rest, so "how do I prevent it?" picks prevention sentences within the earlier topic."""


DEFAULT = Tuning()
