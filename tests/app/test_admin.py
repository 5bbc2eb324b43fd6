"""The club's /admin page through FastAPI's test client: off without a password, HTTP Basic with constant-time
checks and a cap on attempts, the four views, CSV downloads, and no password in logs or responses.
"""

import base64
import csv
import html
import io
import logging
from datetime import datetime, timezone

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import app
from core.settings import Settings
from web.admin import admin_routes
from web.api import install_error_handlers
from web.feedback import Asked, FeedbackNotSaved, SqliteFeedback, Thumbs

PASSWORD = "correct horse battery staple"


@pytest.fixture
def club(tmp_path, fake_bot, answers):
    settings = Settings(data_dir=tmp_path / "data", admin_password=PASSWORD)
    web_app = app.create_app(settings, fake_bot, index_status=lambda s: None)
    store: SqliteFeedback = web_app.state.feedback
    week = datetime(2026, 11, 18, 9, tzinfo=timezone.utc)
    store.record([
        Asked("declined", None, "=cmd|' /C calc'!A0", week),
        Asked("not-covered", "Rest (Guide)", "Does yoga help <b>hamstrings</b>?", week),
        Asked("red-flag", None, None, week),
        Asked("answered", "Strength Train Your Hamstrings (Guide)", None, week),
    ])
    Thumbs(store).rate("s", [("How do I strengthen my hamstrings?", answers.cited)], 0, False)
    return TestClient(web_app)


def test_the_page_needs_the_password(club, caplog):
    caplog.set_level(logging.DEBUG)
    missing = club.get("/admin")
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Basic realm=")
    assert "HAMSTRING_ADMIN_PASSWORD" in missing.json()["detail"]
    assert club.get("/admin", auth=("club", "wrong")).status_code == 401
    assert club.get("/admin", auth=("club", PASSWORD[:-1])).status_code == 401
    assert club.get("/admin", headers={"Authorization": "Basic !!not-base64"}).status_code == 401
    assert club.get("/admin", headers={"Authorization": "Bearer " + PASSWORD}).status_code == 401
    assert club.get("/admin/topics.csv").status_code == 401
    ok = club.get("/admin", auth=("anyone", PASSWORD))
    assert ok.status_code == 200
    assert ok.headers["cache-control"] == "no-store" and ok.headers["x-frame-options"] == "DENY"
    assert PASSWORD not in caplog.text and PASSWORD not in ok.text


def test_a_password_outside_ascii_works(tmp_path, fake_bot):
    settings = Settings(data_dir=tmp_path, admin_password="läuferclub-ß-2026")
    client = TestClient(app.create_app(settings, fake_bot, index_status=lambda s: None))
    token = base64.b64encode("club:läuferclub-ß-2026".encode()).decode()
    assert client.get("/admin", headers={"Authorization": f"Basic {token}"}).status_code == 200


def test_guessing_is_capped_per_client(club):
    codes = [club.get("/admin", auth=("club", f"guess{n}")).status_code for n in range(25)]
    assert codes[:20] == [401] * 20 and set(codes[20:]) == {429}
    refused = club.get("/admin", auth=("club", PASSWORD))  # even the right password waits: guesses stay slow
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0


def test_the_four_views_show_what_the_club_needs(club):
    page = club.get("/admin", auth=("club", PASSWORD)).text
    for title in ("Questions the articles didn't answer", "Answers rated down", "Red flags per week", "Most-asked topics"):
        assert html.escape(title) in page
    assert "Does yoga help &lt;b&gt;hamstrings&lt;/b&gt;?" in page and "<b>hamstrings" not in page
    assert "2026-W47" in page
    assert "Strength Train Your Hamstrings (Guide)" in page
    assert "How do I strengthen my hamstrings?" in page  # rated down
    assert page.count("Download CSV") == 4


def test_csv_downloads_are_attachments_with_formula_cells_neutralised(club):
    response = club.get("/admin/unanswered.csv", auth=("club", PASSWORD))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="hamstring-unanswered.csv"'
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["question", "outcome", "times", "last_asked"]
    assert ["'=cmd|' /C calc'!A0", "declined", "1"] in [row[:3] for row in rows[1:]]
    for name in ("rated-down", "red-flags", "topics", "ratings"):
        assert club.get(f"/admin/{name}.csv", auth=("club", PASSWORD)).status_code == 200
    unknown = club.get("/admin/passwords.csv", auth=("club", PASSWORD))
    assert unknown.status_code == 404 and "unanswered" in unknown.json()["detail"]


def test_an_unreadable_database_is_a_readable_503(club):
    club.app.state.feedback.path.write_bytes(b"")  # an empty file reads as an empty database: views are empty, not errors
    assert club.get("/admin", auth=("club", PASSWORD)).status_code == 200

    class Broken:
        def view(self, name, limit=None):
            raise FeedbackNotSaved("Feedback database x can't be written or read: the disk reported an error: check the disk.")

    bare = FastAPI()
    install_error_handlers(bare)
    bare.include_router(admin_routes(Settings(admin_password=PASSWORD), Broken()))
    response = TestClient(bare).get("/admin", auth=("club", PASSWORD))
    assert response.status_code == 503 and "check the disk" in response.json()["detail"]
