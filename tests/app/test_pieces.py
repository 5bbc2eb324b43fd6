"""The chat page's parts on their own: feedback storage and export, the rate limiter, history trimming.

How answers render is in test_render.py; the browser test shows the same blocks in a real page.
"""

import csv
import io

import app
from core.questions import check_history
from web.feedback import FeedbackStore
from web.limits import RateLimiter



def test_feedback_is_stored_and_exported_as_csv(tmp_path):
    store = FeedbackStore(tmp_path / "sub" / "feedback.sqlite3")
    store.record("How do I stretch?", "Gently [1]", "up")
    store.record("Pop, bruise?", "See a physio [1]", "down")
    out = io.StringIO()
    assert store.export_csv(out) == 2
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["created_at", "question", "answer", "rating"]
    assert [r[1:] for r in rows[1:]] == [["How do I stretch?", "Gently [1]", "up"], ["Pop, bruise?", "See a physio [1]", "down"]]


def test_export_feedback_command_writes_a_csv_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HAMSTRING_DATA_DIR", str(tmp_path))
    FeedbackStore(tmp_path / "feedback.sqlite3").record("q", "a", "up")
    assert app.main(["export-feedback", "--out", str(tmp_path / "fb.csv")]) == 0
    assert (tmp_path / "fb.csv").read_text(encoding="utf-8").splitlines()[1].endswith(",q,a,up")
    assert "Wrote 1 feedback rows" in capsys.readouterr().err
    assert app.main(["export-feedback"]) == 0
    assert capsys.readouterr().out.startswith("created_at,question,answer,rating")


def test_rate_limiter_is_a_sliding_window_per_client():
    now = [0.0]
    limiter = RateLimiter(limit=2, window=60, clock=lambda: now[0])
    assert limiter.retry_after("a") == 0 and limiter.retry_after("a") == 0
    assert limiter.retry_after("a") == 60
    assert limiter.retry_after("b") == 0  # another client is not affected
    now[0] = 30
    assert limiter.retry_after("a") == 30
    now[0] = 60.5
    assert limiter.retry_after("a") == 0


def test_history_is_cleaned_and_trimmed(settings):
    history = [{"role": "user", "content": "\x00"}] + [{"role": "user", "content": f"q{i}"} for i in range(6)]
    assert [m.model_dump() for m in check_history(history, settings)] == [{"role": "user", "content": f"q{i}"} for i in range(2, 6)]
