"""The HTTP edge over the fake bot: origins, admission on every question route, limits, headers and error codes.

FastAPI's test client drives the whole middleware stack in-process; tests/faults/ floods a real server.
"""

import json
import logging
import socket
import time

import pytest
import uvicorn
from fastapi.testclient import TestClient

import app
from core.errors import SettingsError
from core.settings import Settings
from web.admission import Admission
from web.origins import edge_policy
from web.server import DeadlineH11Protocol, bind

from tests.app.conftest import FakeIndexStatus, free_port, running

PEER = ("203.0.113.7", 40000)  # the test client's address, as a real peer would have one


def make_client(settings, fake_bot, peer=PEER) -> TestClient:
    return TestClient(app.create_app(settings, fake_bot, index_status=lambda s: FakeIndexStatus()), client=peer)


@pytest.fixture
def client(settings, fake_bot) -> TestClient:
    return make_client(settings, fake_bot)


def events(client) -> dict[str, dict]:
    """The page's events by name, from its config (ids change whenever the page does)."""
    return {d["api_name"]: d for d in client.get("/config").json()["dependencies"] if d.get("api_name")}


def join(client, text="How do I strengthen my hamstrings?", session="s1", **headers):
    chat = events(client)["chat"]
    data = [text, None][: len(chat["inputs"])]
    return client.post("/gradio_api/queue/join", json={"data": data, "fn_index": chat["id"], "session_hash": session}, headers=headers)


def call_chat(client, text="How do I strengthen my hamstrings?", **headers):
    return client.post("/gradio_api/call/chat", json={"data": [text]}, headers=headers)


def ask(client, text="How do I strengthen my hamstrings?", **headers):
    return client.post("/api/ask", json={"question": text}, headers=headers)


# ---- origins ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, origins",
    [
        ("https://club.example", ["https://club.example"]),  # not JSON: the likeliest way to write it
        ("https://club.example/, http://Other.Example:8080/join?x=1", ["https://club.example", "http://other.example:8080"]),
        ('["https://club.example/"]', ["https://club.example"]),
        ("https://club.example:443, https://club.example", ["https://club.example"]),
        ("", []),
    ],
)
def test_allowed_origins_are_read_as_a_list_or_json_and_normalised(monkeypatch, value, origins):
    monkeypatch.setenv("HAMSTRING_ALLOWED_ORIGINS", value)
    assert list(edge_policy(Settings()).allowed_origins) == origins


@pytest.mark.parametrize(
    "env, says",
    [
        ({"HAMSTRING_ALLOWED_ORIGINS": "club.example"}, "has no scheme; write the address as the browser shows it, e.g. https://club.example"),
        ({"HAMSTRING_ALLOWED_ORIGINS": "ftp://club.example"}, "is not an http(s) address"),
        ({"HAMSTRING_ALLOWED_ORIGINS": "*"}, "set HAMSTRING_PUBLIC_EMBED=true"),
        ({"HAMSTRING_ALLOWED_ORIGINS": '["https://a.example"'}, "not a valid JSON list"),
        ({"HAMSTRING_TRUSTED_PROXIES": "my-proxy"}, "HAMSTRING_TRUSTED_PROXIES: 'my-proxy' is not an address or network"),
        ({"HAMSTRING_HOST": "0.0.0.0"}, "set HAMSTRING_PUBLIC_URL"),
        ({"HAMSTRING_PUBLIC_URL": "bot.club.example"}, "HAMSTRING_PUBLIC_URL: 'bot.club.example' has no scheme"),
        ({"HAMSTRING_PORT": "seventy"}, "HAMSTRING_PORT: Input should be a valid integer"),
    ],
)
def test_a_setting_that_cannot_work_is_one_readable_line_at_start_up(monkeypatch, capsys, tmp_path, env, says):
    monkeypatch.setenv("HAMSTRING_DATA_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert app.main([]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and says in err, err
    assert "Traceback" not in err and "pydantic" not in err


def test_public_embed_allows_every_site_but_never_credentials(settings, fake_bot):
    settings.allowed_origins, settings.public_embed = ["*"], True
    client = make_client(settings, fake_bot)
    r = client.get("/config", headers={"Origin": "https://anyone.example"})
    assert r.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in r.headers
    assert r.headers["content-security-policy"] == "frame-ancestors *"
    assert "x-frame-options" not in r.headers


def test_a_refused_site_is_logged_once_naming_the_setting(client, caplog):
    with caplog.at_level(logging.WARNING, logger="hamstring_bot.security"):
        for _ in range(3):
            client.get("/config", headers={"Origin": "https://stranger.example"})
        client.get("/", headers={"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Site": "cross-site", "Referer": "https://framer.example/page"})
        client.get("/config", headers={"Origin": "http://localhost:7860"})  # the bot's own page
    refused = [r.getMessage() for r in caplog.records if "Refused" in r.getMessage()]
    assert len(refused) == 2
    assert "https://stranger.example" in refused[0] and "HAMSTRING_ALLOWED_ORIGINS" in refused[0]
    assert refused[1].startswith("Refused framing from https://framer.example")


def test_security_headers_on_every_response(client, settings, fake_bot):
    for path in ["/", "/config", "/api/health", "/docs", "/nothing-here"]:
        headers = client.get(path).headers
        assert headers["content-security-policy"] == "frame-ancestors 'self'"
        assert headers["x-frame-options"] == "SAMEORIGIN"  # no other site may embed: say it to old browsers too
        assert headers["referrer-policy"] == "same-origin"
        assert "camera=()" in headers["permissions-policy"] and headers["x-content-type-options"] == "nosniff"
    settings.allowed_origins = ["https://club.example"]
    embeddable = make_client(settings, fake_bot).get("/").headers
    assert embeddable["content-security-policy"] == "frame-ancestors 'self' https://club.example"
    assert "x-frame-options" not in embeddable  # it can't name the club; frame-ancestors does


def test_absolute_urls_come_from_settings_never_from_host(client, settings, fake_bot):
    config = client.get("/config", headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"}).json()
    assert config["root"] == "http://127.0.0.1:7860"
    settings.public_url = "https://bot.club.example/"
    config = make_client(settings, fake_bot).get("/config", headers={"X-Forwarded-Host": "evil.example"}).json()
    assert config["root"] == "https://bot.club.example"


# ---- admission ---------------------------------------------------------------------------------------


def test_one_rate_limit_covers_the_api_the_gradio_api_and_the_page(client, settings):
    assert all(ask(client).status_code == 200 for _ in range(settings.rate_limit_per_minute))
    for refused in [ask(client), call_chat(client)]:
        assert refused.status_code == 429
        assert "Try again in" in refused.json()["detail"] and int(refused.headers["retry-after"]) >= 1
    # The page's question is queued once, marked, so the page shows the refusal beside the question ...
    assert join(client, session="page").status_code == 200
    # ... and a second one while the first waits is refused outright: a refused client can't fill the queue.
    again = join(client, session="page")
    assert again.status_code == 429 and "Try again in" in again.json()["detail"]
    # events that send no text (a thumb, clearing the chat) are not questions, and not counted against the limit
    quiet = next(e for e in events(client).values() if not e["inputs"])
    r = client.post("/gradio_api/queue/join", json={"data": [], "fn_index": quiet["id"], "session_hash": "s1"})
    assert r.status_code == 200


def test_a_client_cannot_forge_the_refusal_mark(client):
    from web.admission import REFUSAL_HEADER

    assert join(client, **{REFUSAL_HEADER: "refused"}).status_code == 200
    page = client.app  # the join went to the queue unmarked: Gradio's event holds the request as received by the page
    blocks = next(r.app.get_blocks() for r in page.routes if hasattr(getattr(r, "app", None), "get_blocks"))
    assert [REFUSAL_HEADER in e.request.headers for e in blocks._queue.event_ids_to_events.values()] == [False]


def test_forwarded_headers_are_believed_only_from_trusted_proxies(settings, fake_bot):
    spoofer = make_client(settings, fake_bot)
    codes = [ask(spoofer, **{"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(settings.rate_limit_per_minute + 1)]
    assert codes[-1] == 429  # a new X-Forwarded-For per request does not make a new client

    settings.trusted_proxies = ["203.0.113.0/24"]
    proxied = make_client(settings, fake_bot)
    codes = [ask(proxied, **{"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(settings.rate_limit_per_minute + 1)]
    assert codes == [200] * (settings.rate_limit_per_minute + 1)  # behind the proxy, each runner is its own client


def test_fair_share_one_client_cannot_fill_the_queue():
    waiting = {"greedy": 2, "polite": 1}  # events the page's queue holds per client
    admission = Admission(rate_per_minute=100, per_client=2, capacity=64, queued=lambda c: waiting.get(c, 0))
    refusal = admission.enter("greedy")
    assert refusal and refusal.status == 429 and "already have 2 questions waiting" in refusal.detail
    assert admission.enter("polite") is None  # 1 on the page + this one = its share
    assert admission.enter("polite", api=False) is not None  # a join arriving meanwhile is counted too
    admission.leave("polite")
    assert admission.enter("polite", api=False) is None


def test_a_burst_of_joins_is_counted_before_gradio_queues_them():
    admission = Admission(rate_per_minute=100, per_client=2, capacity=64)  # nothing in the page's queue yet
    outcomes = [admission.enter("burst", api=False) for _ in range(10)]
    assert outcomes[:2] == [None, None] and all(o and o.status == 429 for o in outcomes[2:])


def test_the_api_waiting_room_is_bounded():
    admission = Admission(rate_per_minute=100, per_client=10, capacity=3)
    assert [admission.enter(c) for c in "abc"] == [None] * 3
    busy = admission.enter("d")
    assert busy.status == 503 and "busy" in busy.detail and busy.retry_after > 0


# ---- limits and error codes ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/ask", "/gradio_api/queue/join", "/gradio_api/call/chat", "/gradio_api/call/v2/chat"])
def test_bodies_over_the_limit_are_a_json_413_on_every_route(client, fake_bot, path):
    big = b'{"data": ["' + b"x" * 300_000 + b'"]}'
    announced = client.post(path, content=big, headers={"content-type": "application/json"})

    def chunks():
        for _ in range(30):
            yield b"x" * 10_000

    streamed = client.post(path, content=chunks(), headers={"content-type": "application/json"})
    for r in (announced, streamed):
        assert r.status_code == 413 and "256 KiB" in r.json()["detail"]
    assert fake_bot.calls == []


def test_uploads_are_turned_off(client, settings):
    r = client.post("/gradio_api/upload", files={"files": ("a.txt", b"hello")})
    assert r.status_code == 403 and "Uploads are turned off" in r.json()["detail"]


def test_a_wrong_method_is_a_json_405_naming_the_right_one(client):
    r = client.get("/api/ask")
    assert r.status_code == 405 and r.headers["allow"] == "POST" and r.json() == {"detail": "/api/ask takes POST."}
    r = client.delete("/api/health")
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"
    assert client.head("/api/health").status_code == 200


def test_openapi_documents_413_405_and_the_question_bounds(client, settings):
    spec = client.get("/openapi.json").json()
    ask_op = spec["paths"]["/api/ask"]["post"]
    assert {"405", "413", "422", "429", "503"} <= set(ask_op["responses"])
    assert spec["paths"]["/api/ask"].keys() == {"post"}  # the 405 routes are not operations
    schema_ref = ask_op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    question = spec["components"]["schemas"][schema_ref]["properties"]["question"]
    assert (question["minLength"], question["maxLength"]) == (1, settings.max_message_chars)


def test_deep_nesting_is_a_422_saying_so(client):
    deep = b'{"question": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    r = client.post("/api/ask", content=deep, headers={"content-type": "application/json"})
    assert r.status_code == 422 and "nested too deeply" in r.json()["detail"]
    r = client.post("/gradio_api/queue/join", content=deep, headers={"content-type": "application/json"})
    assert r.status_code == 422 and "nested too deeply" in r.json()["detail"]


GRADIO_BAD = [
    ("/gradio_api/queue/join", b"{}"),
    ("/gradio_api/queue/join", b'{"data": [1, 2, 3, 4, 5, 6, 7, 8, 9], "fn_index": 1, "session_hash": "a"}'),
    ("/gradio_api/queue/join", b'{"data": ["hi", null], "fn_index": 999, "session_hash": "a"}'),
    ("/gradio_api/queue/join", b'{"data": "hi", "fn_index": 1, "session_hash": "a"}'),
    ("/gradio_api/queue/join", b'{"data": ["hi", null], "fn_index": true, "session_hash": ["a"]}'),
    ("/gradio_api/call/nope", b'{"data": []}'),
    ("/gradio_api/call/chat", b'{"data": []}'),
    ("/gradio_api/run/chat", b'{"data": []}'),
    ("/gradio_api/api/chat", b'{"data": "hi"}'),
    ("/gradio_api/call/v2/chat", b"{}"),
    ("/gradio_api/call/v2/chat", b'{"message": "hi", "extra": 1}'),
    ("/gradio_api/cancel", b"\xff\xfe"),
    ("/gradio_api/reset", b"\xff\xfe"),
    ("/gradio_api/reset", b'{"session_hash": "\\ud800", "fn_index": 1, "event_id": "x"}'),  # half a surrogate pair
    ("/gradio_api/vibe-edit", b"\xff\xfe"),
    ("/gradio_api/stream/abc", b"{}"),
]


@pytest.mark.parametrize("path, body", GRADIO_BAD)
def test_malformed_gradio_requests_get_a_readable_4xx_not_a_500(client, fake_bot, path, body):
    r = client.post(path, content=body, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:200])
    assert r.json()["detail"] and "Traceback" not in r.text
    assert fake_bot.calls == []


@pytest.mark.parametrize("path", ["/gradio_api/queue/data", "/gradio_api/queue/data?session_hash=", "/gradio_api/queue/data?session_hash=nobody",
                                  "/gradio_api/call/chat/no-such-event"])
def test_listening_for_nothing_is_a_404_before_any_stream_starts(client, path):
    r = client.get(path)
    assert r.status_code == 404 and r.headers["content-type"] == "application/json"


def test_the_access_log_has_method_path_status_and_duration_but_never_the_question(client, caplog):
    with caplog.at_level(logging.INFO, logger="hamstring_bot.access"):
        ask(client, "my secret hamstring question")
        client.get("/api/health?q=my%20secret")
        client.get("/api/ask%0Aforged 200 1 ms")
    lines = [r.getMessage() for r in caplog.records if r.name == "hamstring_bot.access"]
    assert lines[0].startswith("POST /api/ask 200 ") and lines[0].endswith(" ms")
    assert lines[1].startswith("GET /api/health 200 ")
    assert "\n" not in lines[2] and lines[2].startswith("GET '/api/ask\\nforged")
    assert not any("secret" in line for line in lines)


# ---- serving -------------------------------------------------------------------------------------------


def test_a_busy_port_is_one_line_naming_the_fix(settings):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings.port = taken.getsockname()[1]
        with pytest.raises(SettingsError, match=rf"Port {settings.port} on 127.0.0.1 is already in use .* HAMSTRING_PORT="):
            bind(settings)


def test_the_banner_is_printed_only_once_the_port_is_ours(monkeypatch, capsys, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setenv("HAMSTRING_PORT", str(taken.getsockname()[1]))
        monkeypatch.setenv("HAMSTRING_DATA_DIR", str(tmp_path))
        assert app.main([]) == 1
    out, err = capsys.readouterr()
    assert "Hamstring bot:" not in out and "already in use" in err and err.count("\n") == 1


@pytest.fixture
def slow_server(settings, fake_bot):
    """The app under uvicorn with the deadline protocol and a 1 s request deadline, in a thread."""
    settings.port, settings.request_timeout_s = free_port(), 1.0
    sock = bind(settings)
    protocol = type("Protocol", (DeadlineH11Protocol,), {"request_timeout_s": settings.request_timeout_s})
    config = uvicorn.Config(app.create_app(settings, fake_bot, index_status=lambda s: FakeIndexStatus()), http=protocol, log_level="error")
    with running(config, [sock]):
        yield settings


@pytest.mark.parametrize(
    "sent",
    [
        b"GET /api/health HTTP/1.1\r\nHost: x\r\n",  # headers never finished
        b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"quest",  # half a body
        b"",  # connected and said nothing
    ],
)
def test_a_half_sent_request_is_cut_off_with_a_408(slow_server, sent):
    with socket.create_connection(("127.0.0.1", slow_server.port), timeout=10) as conn:
        conn.sendall(sent)
        started = time.monotonic()
        reply = b""
        while chunk := conn.recv(4096):
            reply += chunk
        waited = time.monotonic() - started
    assert reply.startswith(b"HTTP/1.1 408 ") and b"took too long" in reply
    assert 0.5 < waited < 5


def test_a_whole_request_is_not_cut_off(slow_server):
    with socket.create_connection(("127.0.0.1", slow_server.port), timeout=10) as conn:
        conn.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        reply = conn.recv(65536)
        assert reply.startswith(b"HTTP/1.1 200 ")
        time.sleep(1.5)  # idle on keep-alive past the request deadline: uvicorn's keep-alive timeout rules now
        conn.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert conn.recv(65536).startswith(b"HTTP/1.1 200 ")
    assert json.loads(reply.split(b"\r\n\r\n", 1)[1])["status"] == "ok"


def test_a_page_join_must_send_every_input_state_included(client, fake_bot):
    """Gradio's queue does not fill in the page's State (its named call routes do): a join without it is
    turned away before Gradio would fail on it after answering 200."""
    chat = events(client)["chat"]
    r = client.post("/gradio_api/queue/join", json={"data": ["a "], "fn_index": chat["id"], "session_hash": "s9"})
    assert r.status_code == 422 and f"{len(chat['inputs'])} input values" in r.json()["detail"]
    assert fake_bot.calls == []
