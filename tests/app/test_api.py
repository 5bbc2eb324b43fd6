"""The HTTP API through FastAPI's test client, over the fake bot: answers, bad input, limits, headers.

Nothing here needs the model or the index; the live-server tests cover the real bot.
"""

import re

import pytest
from fastapi.testclient import TestClient

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def client(web_app) -> TestClient:
    return TestClient(web_app)


def ask(client, question, history=None, **kw):
    return client.post("/api/ask", json={"question": question, "history": history or []}, **kw)


def test_answer_has_text_and_numbered_citations_quoting_the_articles(client):
    r = ask(client, "How do I strengthen my hamstrings?")
    assert r.status_code == 200
    answer = r.json()
    # today's fields stay; the answer's parts are new fields beside them
    assert set(answer) >= {"text", "citations", "escalation", "conflicts", "out_of_scope"}
    assert set(answer) - {"text", "citations", "escalation", "conflicts", "out_of_scope"} == {"lead", "items", "notices", "reminder"}
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer["text"])}
    assert markers and markers <= {c["n"] for c in answer["citations"]}
    first = answer["citations"][0]
    assert first["title"] and first["quote"] and first["source_id"] == "dack-complete-guide"
    assert first["section"] == "Strength Train Your Hamstrings"


def test_guardrail_fields_come_through(client):
    warned = ask(client, "I felt a pop in my hamstring and now it's bruised").json()
    assert warned["escalation"]["reasons"] == ["a pop", "bruising"]
    assert warned["escalation"]["advice"]
    disagree = ask(client, "Should I stretch an injured hamstring?").json()
    assert disagree["conflicts"][0]["topic"] == "Static stretching"
    assert {p["source_id"] for p in disagree["conflicts"][0]["positions"]} == {"fitzgerald-tight-hamstrings", "dack-complete-guide"}
    assert ask(client, "What's the weather like?").json()["out_of_scope"] is True


@pytest.mark.parametrize("question", ["", "   \n\t ", "\x00\x07\x1b"])
def test_empty_question_is_a_422_with_a_prompt(client, fake_bot, question):
    r = ask(client, question)
    assert r.status_code == 422
    assert "Type a question" in r.json()["detail"]
    assert fake_bot.calls == []


def test_overlong_question_says_the_limit(client, settings):
    r = ask(client, "why " * 300)
    assert r.status_code == 422
    assert f"{settings.max_message_chars:,} characters" in r.json()["detail"]


def test_control_characters_are_stripped_and_history_trimmed_to_the_newest(client, fake_bot, settings):
    history = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"message {i}\x00"} for i in range(10)]
    assert ask(client, "How do I\x00 strengthen\x1b them?", history).status_code == 200
    question, passed = fake_bot.calls[-1]
    assert question == "How do I strengthen them?"
    assert len(passed) == settings.max_history_messages
    assert passed[-1] == {"role": "assistant", "content": "message 9"}


@pytest.mark.parametrize(
    "body",
    [
        b'{"question": ',  # cut-off JSON
        b"question=hello",  # not JSON at all
        b'{"question": "caf\xe9"}',  # Latin-1, not UTF-8
        b'{"question": 42}',  # wrong type
        b'{"history": []}',  # missing question
        b'{"question": "hi", "history": [{"role": "coach", "content": "x"}]}',  # bad role
    ],
)
def test_malformed_requests_get_a_readable_422_without_a_stack_trace(client, body):
    r = client.post("/api/ask", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert "question" in r.json()["detail"] or "JSON" in r.json()["detail"]
    assert all(isinstance(p, str) for p in r.json().get("problems", []))
    assert "Traceback" not in r.text and "File \"" not in r.text


def test_an_oversized_body_is_refused_before_parsing(client, fake_bot):
    r = client.post("/api/ask", content=b'{"question": "' + b"x" * 300_000 + b'"}', headers={"content-type": "application/json"})
    assert r.status_code == 413 and "Traceback" not in r.text
    assert fake_bot.calls == []


def test_lone_surrogates_do_not_break_the_response(client):
    r = client.post("/api/ask", content=b'{"question": "strength \\ud800 work?"}', headers={"content-type": "application/json"})
    assert r.status_code == 200


def test_rate_limit_answers_429_with_retry_after(client, settings):
    codes = [ask(client, "How do I strengthen my hamstrings?").status_code for _ in range(settings.rate_limit_per_minute + 1)]
    assert codes[:-1] == [200] * settings.rate_limit_per_minute
    assert codes[-1] == 429
    last = ask(client, "again?")
    assert last.status_code == 429 and int(last.headers["retry-after"]) >= 1
    assert "limit" in last.json()["detail"]


def test_xss_payload_comes_back_as_inert_json(client):
    r = ask(client, XSS)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["x-content-type-options"] == "nosniff"


def test_health_reports_index_corpus_and_model(client):
    health = client.get("/api/health").json()
    assert health == {
        "status": "ok",
        "index_fresh": True,
        "index": "fresh",
        "reason": "fresh",
        "remedy": None,
        "corpus_version": "0123456789abcdef",
        "model": "fake-embedder",
        "gradio": "6.31.0",
    }


def test_openapi_documents_the_api_with_no_cdn(client):
    spec = client.get("/openapi.json").json()
    assert {"/api/ask", "/api/health"} <= set(spec["paths"])
    for page in ["/docs", "/redoc"]:
        html = client.get(page).text
        assets = re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"url: '([^']+)'", html)
        assert assets and all(a.startswith("/") for a in assets), assets
        assert all(client.get(a).status_code == 200 for a in assets if not a.endswith(".json"))


def test_cors_allows_the_bots_own_origin_and_configured_origins_only(settings, fake_bot):
    import app

    settings.allowed_origins = ["https://riverside-harriers.example/"]
    client = TestClient(app.create_app(settings, fake_bot, index_status=lambda s: None))
    for origin in ["http://localhost:7860", "http://127.0.0.1:7860", "https://riverside-harriers.example"]:
        r = client.get("/config", headers={"Origin": origin})
        assert r.headers.get("access-control-allow-origin") == origin
    for origin in ["https://elsewhere.example", "http://localhost:8000"]:  # no other localhost port
        r = client.get("/config", headers={"Origin": origin})
        assert "access-control-allow-origin" not in r.headers
    preflight = client.options(
        "/api/ask", headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in preflight.headers
    csp = client.get("/").headers["content-security-policy"]
    assert csp == "frame-ancestors 'self' https://riverside-harriers.example"


def test_the_page_and_its_web_component_script_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "<html" in page.text
    script = client.get("/gradio.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "./assets/" in script.text
