"""Ingest: the clean corpus becomes a Chroma index of passages and sentences.

`ensure_index(settings)` builds or updates it when needed; `python -m ingest` does it from a terminal.
"""

from ingest.index import IndexStatus
from ingest.pipeline import IngestSummary, ensure_index, index_status, run_ingest

__all__ = ["IndexStatus", "IngestSummary", "ensure_index", "index_status", "run_ingest"]
