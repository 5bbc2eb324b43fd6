"""Thumbs up / down on answers, kept in a small SQLite file and exported as CSV.

Stored per rating: UTC time, question, answer text, "up" or "down" — nothing about the person.
"""

import csv
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO


class FeedbackStore:
    """Thumbs up/down on answers in SQLite: time, question, answer text, rating — nothing about the person."""

    COLUMNS = ("created_at", "question", "answer", "rating")

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS feedback (id INTEGER PRIMARY KEY, created_at TEXT NOT NULL,"
                " question TEXT NOT NULL, answer TEXT NOT NULL,"
                " rating TEXT NOT NULL CHECK (rating IN ('up', 'down')))"
            )

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # One short connection per call, committed and closed: safe from any worker thread.
        db = sqlite3.connect(self.path, timeout=10)
        try:
            with db:
                yield db
        finally:
            db.close()

    def record(self, question: str, answer: str, rating: str) -> None:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._connect() as db:
            db.execute(
                "INSERT INTO feedback (created_at, question, answer, rating) VALUES (?, ?, ?, ?)",
                (now, question, answer, rating),
            )

    def export_csv(self, out: TextIO) -> int:
        with self._connect() as db:
            rows = db.execute(f"SELECT {', '.join(self.COLUMNS)} FROM feedback ORDER BY id").fetchall()
        writer = csv.writer(out)
        writer.writerow(self.COLUMNS)
        writer.writerows(rows)
        return len(rows)
