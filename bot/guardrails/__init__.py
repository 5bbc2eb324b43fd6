"""Guardrails that run on every question, outside any model: red flags, disagreements, scope.

Rules are reviewed data (red_flags.yaml here, corpus/conflicts.yaml); the answer chain wires these pieces in.
"""

from bot.guardrails.conflicts import (
    Candidate,
    ConflictRegistry,
    ConflictTopic,
    candidate_disagreements,
    passage_disagreements,
)
from bot.guardrails.redflags import RedFlagHit, RedFlagRules, RedFlagVerdict
from bot.guardrails.scope import (
    DECLINE_TEXT,
    INJECTION_TEXT,
    corpus_vocabulary,
    looks_like_injection,
    unknown_focus_terms,
)

__all__ = [
    "DECLINE_TEXT", "INJECTION_TEXT", "Candidate", "ConflictRegistry", "ConflictTopic", "RedFlagHit",
    "RedFlagRules", "RedFlagVerdict", "candidate_disagreements", "corpus_vocabulary", "looks_like_injection",
    "passage_disagreements", "unknown_focus_terms",
]
