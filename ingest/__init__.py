"""Ingest: the clean corpus becomes a Chroma index of passages and sentences (the writing half of the index).

`ensure_index(settings)` builds or updates it when needed; `python -m ingest` does it from a terminal.
"""

from ingest.pipeline import IngestSummary, ensure_index, run_ingest

__all__ = ["IngestSummary", "ensure_index", "run_ingest"]
