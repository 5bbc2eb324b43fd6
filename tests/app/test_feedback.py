"""Feedback storage over a real SQLite file in tmp_path: one rating per answer per session, the conversation and
citations kept, what the club view records (and doesn't), CSV export with formula cells neutralised.
"""

import csv
import io
import json
import sqlite3
import threading
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient

import app
from core.settings import Settings
from core.types import Answer, Notice
from web.feedback import NOT_SAVED, Asked, FeedbackNotSaved, SqliteFeedback, Table, Thumbs, asked_from, outcome_of, topic_of, write_csv


@pytest.fixture
def store(tmp_path) -> SqliteFeedback:
    return SqliteFeedback(tmp_path / "sub" / "feedback.sqlite3")


def rows(store: SqliteFeedback, sql: str = "SELECT rating, question FROM feedback") -> list[tuple]:
    with sqlite3.connect(store.path) as db:
        return db.execute(sql).fetchall()


def conversation(answers) -> list[tuple[str, Answer]]:
    return [("How do I strengthen my hamstrings?", answers.cited), ("I felt a pop and it's bruised", answers.escalated)]


def test_a_second_click_changes_the_rating_and_taking_it_back_removes_it(store, answers):
    thumbs = Thumbs(store)
    turns = conversation(answers)
    assert thumbs.rate("session-a", turns, 1, True) is None
    assert rows(store) == [("up", "I felt a pop and it's bruised")]
    assert thumbs.rate("session-a", turns, 1, False) is None
    assert rows(store) == [("down", "I felt a pop and it's bruised")]
    assert thumbs.rate("session-b", turns, 1, True) is None  # another browser session: its own rating
    assert sorted(rows(store)) == [("down", "I felt a pop and it's bruised"), ("up", "I felt a pop and it's bruised")]
    assert thumbs.rate("session-a", turns, 1, "") is None  # the page sends "" when a lit thumb is clicked again
    assert rows(store) == [("up", "I felt a pop and it's bruised")]


def test_a_new_answer_in_the_same_place_is_a_new_rating(store, answers):
    # After "Clear conversation" the first answer of the new conversation is another answer.
    thumbs = Thumbs(store)
    thumbs.rate("s", [("How do I strengthen my hamstrings?", answers.cited)], 0, True)
    thumbs.rate("s", [("Should I stretch?", answers.disagreeing)], 0, False)
    assert sorted(rows(store)) == [("down", "Should I stretch?"), ("up", "How do I strengthen my hamstrings?")]


def test_thumbs_from_one_session_in_parallel_end_as_one_row(store, answers):
    # 30 here; the fault suite floods 300 and records the time (tests/faults/test_feedback_faults.py).
    thumbs, turns = Thumbs(store), conversation(answers)
    problems = []

    def click(n):
        problems.append(thumbs.rate("one-session", turns, 0, n % 2 == 0))

    workers = [threading.Thread(target=click, args=(n,)) for n in range(30)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert problems == [None] * 30, "no click was refused"
    assert len(rows(store)) == 1


def test_a_rating_keeps_the_conversation_as_typed_and_the_answers_citations(store, answers):
    Thumbs(store).rate("s", conversation(answers), 1, False)
    (stored_conversation, citations, answer), = rows(store, "SELECT conversation, citations, answer FROM feedback")
    assert json.loads(stored_conversation) == [
        {"role": "runner", "content": "How do I strengthen my hamstrings?"},
        {"role": "bot", "content": answers.cited.text},
    ]
    assert [c["quote"] for c in json.loads(citations)] == [c.quote for c in answers.escalated.citations]
    assert answer == answers.escalated.text
    # Nothing that identifies the browser: the id is keyed with a secret of this process.
    (rating_id,), = rows(store, "SELECT id FROM feedback")
    assert "s" != rating_id and len(rating_id) == 32
    down = store.view("rated-down")
    assert down.columns == ("rated_at", "question", "answer", "conversation", "citations")
    assert down.rows[0][3] == f"runner: How do I strengthen my hamstrings?\nbot: {answers.cited.text}"
    assert down.rows[0][4].startswith("[1] Common Hamstring Injuries in Runners — Hamstring Strain")


@pytest.mark.parametrize(
    ("name", "outcome", "topic"),
    [
        ("cited", "answered", "Strength Train Your Hamstrings (The Complete Guide to Managing Hamstring Pain and Injuries in Runners)"),
        ("disagreeing", "answered", "Stretching Your Hamstrings (The Complete Guide to Managing Hamstring Pain and Injuries in Runners)"),
        ("escalated", "red-flag", None),
        ("out_of_scope", "declined", None),
    ],
)
def test_what_an_answer_was_comes_from_its_fields(answers, name, outcome, topic):
    answer = getattr(answers, name)
    assert (outcome_of(answer), topic_of(answer)) == (outcome, topic)


def test_the_club_view_keeps_a_questions_text_only_when_the_articles_did_not_answer_it(answers):
    gap = answers.cited.model_copy(update={"notices": [Notice(kind="not-covered", text="The articles don't discuss yoga.")]})
    small_talk = Answer(text="Hello!", notices=[Notice(kind="small-talk", text="Hello!")])
    kept = {
        "answered": asked_from("How do I strengthen my hamstrings? I'm Jo, 42", answers.cited),
        "red-flag": asked_from("I felt a pop", answers.escalated),
        "declined": asked_from("What's the weather?", answers.out_of_scope),
        "not-covered": asked_from("Does yoga help?", gap),
        "small-talk": asked_from("hi", small_talk),
    }
    assert {k: (a.outcome, a.question) for k, a in kept.items()} == {
        "answered": ("answered", None),
        "red-flag": ("red-flag", None),
        "declined": ("declined", "What's the weather?"),
        "not-covered": ("not-covered", "Does yoga help?"),
        "small-talk": ("small-talk", None),
    }


def test_views_group_unanswered_questions_count_red_flags_per_week_and_rank_topics(store):
    def at(day):
        return datetime(2026, 11, day, 12, tzinfo=timezone.utc)

    for asked in [
        Asked("declined", None, "What's the weather?", at(2)),
        Asked("declined", None, "What's the weather?", at(9)),
        Asked("not-covered", "Rest (Guide)", "Does yoga help?", at(9)),
        Asked("red-flag", None, None, at(2)),
        Asked("red-flag", None, None, at(10)),
        Asked("red-flag", None, None, at(11)),
        Asked("answered", "Rest (Guide)", None, at(11)),
        Asked("answered", "Strength (Guide)", None, at(11)),
    ]:
        store.record([asked])
    assert store.view("unanswered").rows == [
        ("What's the weather?", "declined", 2, "2026-11-09T12:00:00+00:00"),
        ("Does yoga help?", "not-covered", 1, "2026-11-09T12:00:00+00:00"),
    ]
    assert store.view("red-flags").rows == [("2026-W46", 2, 6), ("2026-W45", 1, 2)]
    assert store.view("topics").rows == [("Rest (Guide)", 2), ("Strength (Guide)", 1)]
    assert store.view("topics", limit=1).rows == [("Rest (Guide)", 2)]


def test_csv_export_neutralises_formula_cells_as_owasp_describes(store, answers):
    nasty = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1:A2)", "\tTAB", "\rCR", "ok = fine"]
    for n, text in enumerate(nasty):
        Thumbs(store).rate("s", [(text, answers.cited)], 0, n % 2 == 0)
    out = io.StringIO()
    assert write_csv(store.view("ratings"), out) == len(nasty)
    assert out.getvalue().startswith('"rated_at","rating","question"')  # every cell quoted
    assert '"\'=HYPERLINK(""http://evil"",""x"")"' in out.getvalue()
    questions = [row[2] for row in list(csv.reader(io.StringIO(out.getvalue())))[1:]]
    assert sorted(questions) == sorted(["'" + t if t[0] in "=+-@\t\r" else t for t in nasty])
    assert write_csv(Table(("n", "text"), [(-1, "-1"), (3, "3")]), io.StringIO()) == 2


def test_export_feedback_command_writes_each_view(tmp_path, monkeypatch, capsys, answers):
    monkeypatch.setenv("HAMSTRING_DATA_DIR", str(tmp_path))
    store = SqliteFeedback(tmp_path / "feedback.sqlite3")
    Thumbs(store).rate("s", [("=1+1", answers.cited)], 0, True)
    store.record([Asked("declined", None, "What's the weather?")])
    assert app.main(["export-feedback", "--out", str(tmp_path / "fb.csv")]) == 0
    lines = (tmp_path / "fb.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == '"rated_at","rating","question","answer","conversation","citations"'
    assert lines[1].split(",")[1:3] == ['"up"', "\"'=1+1\""]
    assert "Wrote 1 ratings rows" in capsys.readouterr().err
    assert app.main(["export-feedback", "--view", "unanswered"]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith('"What\'s the weather?","declined","1"')


def test_the_first_versions_ratings_are_kept_when_the_table_changes(tmp_path, caplog):
    path = tmp_path / "feedback.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE feedback (id INTEGER PRIMARY KEY, created_at TEXT, question TEXT, answer TEXT, rating TEXT)")
        db.execute("INSERT INTO feedback VALUES (1, '2026-01-01', 'old q', 'old a', 'up')")
    store = SqliteFeedback(path)
    assert rows(store, "SELECT question FROM feedback_v1") == [("old q",)]
    assert store.view("ratings").rows == []
    assert "kept as table feedback_v1" in caplog.text


def test_a_store_that_fails_tells_the_runner(answers):
    class Refusing:
        def rate(self, rating):
            raise FeedbackNotSaved("disk full")

    assert Thumbs(Refusing()).rate("s", conversation(answers), 0, True) == NOT_SAVED


# ---- wiring in create_app --------------------------------------------------------------------------


def test_without_an_admin_password_there_is_no_admin_page_and_no_question_is_recorded(web_app, settings):
    client = TestClient(web_app)
    assert client.post("/api/ask", json={"question": "What's the weather?"}).status_code == 200
    for path in ("/admin", "/admin/", "/admin/unanswered.csv"):
        assert client.get(path, auth=("club", "anything")).status_code == 404
    assert SqliteFeedback(settings.feedback_db).view("red-flags").rows == []


def test_with_an_admin_password_each_question_is_counted(settings, fake_bot):
    settings = Settings(data_dir=settings.data_dir, admin_password="correct horse battery")
    web_app = app.create_app(settings, fake_bot, index_status=lambda s: None)
    client = TestClient(web_app)
    for question in ["What's the weather?", "I felt a pop", "How do I strengthen my hamstrings?"]:
        assert client.post("/api/ask", json={"question": question}).status_code == 200
    web_app.state.question_counter.flush()
    store = SqliteFeedback(settings.feedback_db)
    assert store.view("unanswered").rows[0][:3] == ("What's the weather?", "declined", 1)
    week = store.view("red-flags").rows
    assert [(r[1], r[2]) for r in week] == [(1, 3)]
    assert rows(store, "SELECT question FROM asked WHERE question IS NOT NULL") == [("What's the weather?",)]
