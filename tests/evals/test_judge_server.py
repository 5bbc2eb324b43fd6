"""The judge over real HTTP: LangChain's ChatOpenAI against a tiny fake OpenAI-compatible server written here, which
replies with whatever a test queues (a verdict, prose, wrong JSON, a broken body, an error status, or nothing in time).
"""

import json
import time

import pytest
from fastapi import FastAPI, Request, Response

from core.types import Answer
from evals.__main__ import main
from evals.rubric_judge import Judge, JudgeSettings
from evals.schema import Case

CASE = Case(id="hold", turns=["How long should I hold a stretch?"], rubric="says 45 to 60 seconds")


class FakeOpenAI:
    """POST /v1/chat/completions answers from a queue (the last entry repeats); GET /v1/models lists one model."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.requests: list[dict] = []
        self.headers: list[dict] = []

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/v1/models")
        def models() -> dict:
            return {"object": "list", "data": [{"id": "fake-judge", "object": "model", "owned_by": "tests"}]}

        @app.post("/v1/chat/completions")
        async def complete(request: Request) -> Response:
            self.requests.append(await request.json())
            self.headers.append(dict(request.headers))
            reply = self.replies[min(len(self.requests), len(self.replies)) - 1]
            if isinstance(reply, Response):
                return reply
            if isinstance(reply, tuple) and reply[0] == "sleep":
                time.sleep(reply[1])  # blocks this server's loop: the client's timeout is what is under test
                reply = reply[2]
            return Response(json.dumps(completion(reply)), media_type="application/json")

        return app


def completion(content: str) -> dict:
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "fake-judge",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


@pytest.fixture(autouse=True)
def no_judge_in_the_environment(monkeypatch):
    for name in ("URL", "MODEL", "API_KEY", "TIMEOUT", "RETRIES", "RESPONSE_FORMAT", "PROMPT_PATH"):
        monkeypatch.delenv(f"HAMSTRING_JUDGE_{name}", raising=False)


@pytest.fixture
def answer(fakes) -> Answer:
    return fakes.cited("Hold it 45 to 60 seconds [1].", ("alpha", fakes.STRETCH_QUOTE))


def judge_at(url: str, **settings) -> Judge:
    judge = Judge.from_settings(JudgeSettings(url=f"{url}/v1", model="fake-judge", **settings))
    assert judge is not None
    return judge


def test_a_verdict_over_http_is_recorded_and_the_request_is_what_an_openai_endpoint_expects(live_server, answer, monkeypatch):
    server = FakeOpenAI('{"grade": 2, "reason": "It says 45 to 60 seconds."}')
    url = live_server(server.app())
    monkeypatch.setenv("HAMSTRING_JUDGE_API_KEY", "sk-test-123")
    result = judge_at(url).grade(CASE, answer, [])
    assert (result.status, result.grade, result.reason) == ("graded", 2, "It says 45 to 60 seconds.")
    assert (result.judge_model, result.judge_url) == ("fake-judge", f"{url}/v1")
    sent = server.requests[0]
    assert sent["model"] == "fake-judge" and sent["temperature"] == 0 and not sent.get("stream")
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    assert "says 45 to 60 seconds" in sent["messages"][1]["content"]
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["schema"]["properties"]["grade"] == {"type": "integer", "enum": [0, 1, 2]}
    assert server.headers[0]["authorization"] == "Bearer sk-test-123"


def test_structured_output_can_be_turned_off_for_endpoints_that_reject_it(live_server, answer):
    server = FakeOpenAI('{"grade": 1, "reason": "Partly."}')
    result = judge_at(live_server(server.app()), response_format="none").grade(CASE, answer, [])
    assert result.grade == 1 and "response_format" not in server.requests[0]
    judge_at(live_server(server.app()), response_format="json_object").grade(CASE, answer, [])
    assert server.requests[-1]["response_format"] == {"type": "json_object"}
    judge_at(live_server(server.app()), response_format="json_object_schema").grade(CASE, answer, [])
    schema = server.requests[-1]["response_format"]["schema"]  # the form llama-cpp-python's server takes
    assert server.requests[-1]["response_format"]["type"] == "json_object" and schema["required"] == ["grade", "reason"]
    assert schema["properties"]["reason"]["maxLength"] == 300


@pytest.mark.parametrize("reply, says", [
    ("I think the answer is fine, grade 2.", "the reply is not JSON: “I think the answer is fine, grade 2.”"),
    ('{"score": 5, "why": "great"}', "grade: Field required"),
    ('{"grade": "2", "reason": "a string grade"}', "grade: Input should be a valid integer"),
    (Response("<html>gateway error</html>", media_type="text/html"), "judge error: "),
    (Response('{"choices": []}', media_type="application/json"), "judge error: "),
])
def test_a_malformed_reply_over_http_is_a_judge_error_after_one_retry(live_server, answer, reply, says):
    server = FakeOpenAI(reply)
    result = judge_at(live_server(server.app())).grade(CASE, answer, [])
    assert result.status == "judge error" and result.grade is None
    assert result.reason.startswith("judge error: ") and says in result.reason, result.reason
    assert len(server.requests) == 2  # the default: one retry


def test_a_slow_judge_is_a_timeout_not_a_hang(live_server, answer):
    server = FakeOpenAI(("sleep", 1.0, '{"grade": 2, "reason": "late"}'))
    result = judge_at(live_server(server.app()), timeout=0.2, retries=0).grade(CASE, answer, [])
    # Only the client's own timeout produces this message; the late reply would have been a grade.
    assert result.status == "judge error" and "within 0.2 s" in result.reason, result.reason


def test_a_server_error_is_retried_and_the_retry_grades(live_server, answer):
    server = FakeOpenAI(Response("overloaded", status_code=503), '{"grade": 0, "reason": "Misses it."}')
    result = judge_at(live_server(server.app())).grade(CASE, answer, [])
    assert (result.status, result.grade, len(server.requests)) == ("graded", 0, 2)


def test_a_judge_that_is_not_running_is_a_judge_error(answer):
    import socket

    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = judge_at(f"http://127.0.0.1:{port}", timeout=2).grade(CASE, answer, [])
    assert result.status == "judge error" and "cannot connect to" in result.reason and "is the judge server running?" in result.reason


SET = """\
    name: rubric
    cases:
      - id: hold
        turns: ["How long should I hold a stretch?"]
        expect: {contains: ["45"]}
        rubric: says to hold a stretch for 45 to 60 seconds
      - id: oos
        turns: ["Write a poem about ankles."]
        expect: {out_of_scope: true}
"""


def test_the_command_line_grades_with_the_judge_and_the_reports_show_it(fakes, live_server, write_set, tmp_path, capsys, monkeypatch, corpus_dir):
    monkeypatch.setenv("HAMSTRING_CORPUS_DIR", str(corpus_dir))
    bot = fakes.ScriptedBot({"How long should I hold a stretch?": fakes.cited("Hold it 45 to 60 seconds [1].", ("alpha", fakes.STRETCH_QUOTE))})
    bot_url = live_server(fakes.make_app(bot))
    judge_url = live_server(FakeOpenAI('{"grade": 2, "reason": "Gives 45 to 60 seconds."}').app())
    folder = tmp_path / "report"
    code = main(["run", str(write_set("rubric.yaml", SET)), "--url", bot_url, "--report", str(folder), "--no-progress",
                 "--judge-url", f"{judge_url}/v1", "--judge-model", "fake-judge", "--judge-timeout", "5"])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    assert f"rubrics graded by the judge fake-judge at {judge_url}/v1" in captured.err
    assert f"rubric grades (the judge fake-judge at {judge_url}/v1; shown beside the checks, not counted in the pass rate):" in captured.out
    assert "graded 1/1: meets 1 · partly 0 · misses 0" in captured.out
    assert not (folder / "rubric-to-grade.csv").exists()  # nothing left for a human
    saved = json.loads((folder / "report.json").read_text())
    assert saved["cases"][0]["rubric"] == {
        "rubric": "says to hold a stretch for 45 to 60 seconds", "status": "graded", "grade": 2, "reason": "Gives 45 to 60 seconds.",
        "grader": "judge", "grader_name": None, "judge_model": "fake-judge", "judge_url": f"{judge_url}/v1"}
    assert saved["cases"][1]["rubric"] is None
    md = (folder / "report.md").read_text()
    assert "## Rubric grades" in md and f"| rubric/hold | says to hold a stretch for 45 to 60 seconds | 2 (meets) | Gives 45 to 60 seconds. | judge fake-judge at {judge_url}/v1 |" in md


def test_judge_errors_are_left_for_a_human_in_the_csv(fakes, live_server, write_set, tmp_path, capsys, monkeypatch, corpus_dir):
    monkeypatch.setenv("HAMSTRING_CORPUS_DIR", str(corpus_dir))
    bot_url = live_server(fakes.make_app(fakes.ScriptedBot({})))
    judge_url = live_server(FakeOpenAI("no JSON here").app())
    monkeypatch.setenv("HAMSTRING_JUDGE_URL", f"{judge_url}/v1")  # the environment configures the judge as well as a flag
    folder = tmp_path / "report"
    assert main(["run", str(write_set("rubric.yaml", SET)), "--url", bot_url, "--report", str(folder), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "judge error (1): rubric/hold" in out
    assert f"rubric: 1 case run(s) need a human: fill in the grade column (0, 1, 2) of {folder / 'rubric-to-grade.csv'}" in out
    csv_text = (folder / "rubric-to-grade.csv").read_text(encoding="utf-8-sig")
    assert "judge error: the reply is not JSON" in csv_text


def test_bad_judge_settings_are_a_usage_error(fakes, live_server, write_set, capsys, monkeypatch, corpus_dir):
    monkeypatch.setenv("HAMSTRING_CORPUS_DIR", str(corpus_dir))
    monkeypatch.setenv("HAMSTRING_JUDGE_RESPONSE_FORMAT", "xml")
    bot_url = live_server(fakes.make_app(fakes.ScriptedBot({})))
    assert main(["run", str(write_set("rubric.yaml", SET)), "--url", bot_url, "--judge-url", "http://127.0.0.1:9/v1", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "error: judge settings: response_format: Input should be 'json_schema', 'json_object_schema', 'json_object' or 'none'" in err
