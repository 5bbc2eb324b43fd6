"""The command line, end to end against a live HTTP server started by the test (the --url mode)."""

import json
import subprocess
from html import escape
import sys

import pytest

from core.types import Answer
from evals.__main__ import main
from evals.remote import RemoteBot

SET = """\
    name: live
    cases:
      - id: hold
        category: factual
        turns: ["How long should I hold a stretch?"]
        expect: {sources_any: [alpha], contains: ["45|60"], escalate: false}
      - id: follow-pop
        category: follow-up
        turns: ["I felt a pop yesterday.", "What stretches can I do?"]
        expect: {escalate: true, not_contains: ["45 to 60"]}
      - id: oos
        category: out-of-scope
        turns: ["Write a poem about ankles."]
        expect: {out_of_scope: true}
"""


@pytest.fixture
def good_bot(fakes):
    def stretches(question, history):
        # The server only knows about the pop from the history the harness sent over HTTP.
        popped = any("pop" in m["content"] for m in history if m["role"] == "user")
        if popped:
            return fakes.cited("Stop and get assessed [1].", ("alpha", fakes.POP_QUOTE), escalation=fakes.escalation())
        return Answer(text="Stretch gently.")

    return fakes.ScriptedBot({
        "How long should I hold a stretch?": fakes.cited("Hold it 45 to 60 seconds [1].", ("alpha", fakes.STRETCH_QUOTE)),
        "I felt a pop yesterday.": fakes.cited("That needs assessment [1].", ("alpha", fakes.POP_QUOTE), escalation=fakes.escalation()),
        "What stretches can I do?": stretches,
    })


@pytest.fixture(autouse=True)
def tiny_corpus(monkeypatch, corpus_dir):
    # The harness checks quotes against the corpus named by the settings, as any user would point it.
    monkeypatch.setenv("HAMSTRING_CORPUS_DIR", str(corpus_dir))


def test_url_mode_runs_the_set_over_http_and_writes_the_report(fakes, good_bot, live_server, write_set, tmp_path, capsys):
    url = live_server(fakes.make_app(good_bot))
    qset = write_set("live.yaml", SET)
    bars = write_set("bars.yaml", "pass_rate: 1.0\nred_flag_recall: 1.0\ncitation_validity: 1.0\nout_of_scope_recall: 1.0\n")
    code = main(["run", str(qset), "--url", url, "--report", str(tmp_path / "report"), "--thresholds", str(bars), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "all 4 thresholds met" in out
    assert good_bot.calls[2] == ("What stretches can I do?", [
        {"role": "user", "content": "I felt a pop yesterday."},
        {"role": "assistant", "content": "That needs assessment [1]."},
    ])
    data = json.loads((tmp_path / "report" / "report.json").read_text())
    assert data["target"] == url and [c["passed"] for c in data["cases"]] == [True, True, True]


def test_missed_threshold_gives_exit_status_1_and_names_the_metric(fakes, live_server, write_set, capsys):
    lazy = fakes.ScriptedBot({}, default=Answer(text="Stretch gently."))  # never escalates, never declines
    url = live_server(fakes.make_app(lazy))
    bars = write_set("bars.yaml", "red_flag_recall: 1.0\nout_of_scope_recall: 0.5\ncitation_validity: 1.0\n")
    code = main(["run", str(write_set("live.yaml", SET)), "--url", url, "--thresholds", str(bars), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 1
    missed = out.split("thresholds missed:")[1]
    assert "red_flag_recall = 0, bar ≥ 1" in missed and "out_of_scope_recall = 0, bar ≥ 0.5" in missed
    assert "citation_validity" not in missed


def test_without_thresholds_failures_are_reported_but_exit_0(fakes, live_server, write_set, capsys):
    url = live_server(fakes.make_app(fakes.ScriptedBot({}, default=Answer(text="Hmm."))))
    assert main(["run", str(write_set("live.yaml", SET)), "--url", url, "--no-progress"]) == 0
    assert "failed (3 cases):" in capsys.readouterr().out


def test_rate_limited_server_is_waited_out(fakes, good_bot, live_server):
    url = live_server(fakes.make_app(good_bot, rate_limited_first=2))
    remote = RemoteBot(url)
    answer = remote.ask("How long should I hold a stretch?")
    assert answer.citations[0].quote == fakes.STRETCH_QUOTE and remote.rate_limit_wait_s == 0.0  # Retry-After: 0
    assert len(good_bot.calls) == 1


def test_server_errors_and_non_answers_fail_their_case_only(fakes, live_server, write_set, capsys):
    from fastapi import FastAPI, Response

    app = FastAPI()

    @app.get("/api/health")
    def health():
        return {"ok": True}

    @app.post("/api/ask")
    def ask(body: dict):
        if "poem" in body["question"]:
            return {"not": "an answer"}
        return Response(status_code=500, content="boom")

    url = live_server(app)
    assert main(["run", str(write_set("live.yaml", SET)), "--url", url, "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "live/hold: [answered] turn 1 failed: RemoteBotError: POST" in out and "HTTP 500: boom" in out
    assert "did not return an Answer" in out


def test_unreachable_server_is_a_clear_error(write_set, capsys):
    code = main(["run", str(write_set("live.yaml", SET)), "--url", "http://127.0.0.1:9", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: cannot reach http://127.0.0.1:9/api/health") and "Traceback" not in err


def test_malformed_sets_are_refused_before_anything_runs(write_set, capsys):
    bad = write_set("bad.yaml", 'name: bad\ncases:\n  - {id: a, expect: {escalate: "yes"}}\n  - {id: a, turns: ["q"]}\n')
    typo = write_set("typo.yaml", 'name: typo\ncases:\n  - {id: b, turns: ["q"], expect: {sources_any: [alhpa]}}\n')
    code = main(["run", str(bad), str(typo), "--url", "http://127.0.0.1:9"])
    err = capsys.readouterr().err.splitlines()
    assert code == 2
    assert err == [
        f"error: {bad}: case 'a' (cases[0]): turns: required field is missing",
        f"error: {bad}: case 'a' (cases[0]): expect.escalate: Input should be a valid boolean (got str 'yes')",
        f"error: {bad}: case 'a' (cases[1]): id: duplicate id, first used at cases[0]",
    ]
    # Once the first file is fixed, the second file's unknown article id is caught, still before asking anything.
    good = write_set("good.yaml", 'name: good\ncases:\n  - {id: a, turns: ["q"], expect: {escalate: false}}\n')
    assert main(["run", str(good), str(typo), "--url", "http://127.0.0.1:9"]) == 2
    assert "typo.yaml: case 'b': expect.sources_any: unknown article id 'alhpa'" in capsys.readouterr().err


def test_unknown_keys_warn_on_stderr(fakes, good_bot, live_server, write_set, capsys):
    url = live_server(fakes.make_app(good_bot))
    path = write_set("w.yaml", 'name: w\ncases:\n  - {id: a, turns: ["How long should I hold a stretch?"], reviewer: kim, expect: {escalate: false}}\n')
    assert main(["run", str(path), "--url", url, "--no-progress"]) == 0
    assert f"warning: {path}: case 'a': unknown key 'reviewer' ignored" in capsys.readouterr().err


def test_python_dash_m_evals_prints_no_stack_trace(tmp_path):
    result = subprocess.run([sys.executable, "-m", "evals", "run", str(tmp_path / "missing.yaml")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'missing.yaml'}: file not found."


def test_throttling_is_counted_and_shown_in_the_summary_and_both_reports(fakes, good_bot, live_server, write_set, tmp_path, capsys):
    url = live_server(fakes.make_app(good_bot, rate_limited_first=2))
    assert main(["run", str(write_set("live.yaml", SET)), "--url", url, "--report", str(tmp_path / "r"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "throttled: the server answered 429 Too Many Requests 2 times on 1 turns" in out
    assert "HAMSTRING_RATE_LIMIT_PER_MINUTE" in out
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    assert data["throttling"] == {"responses": 2, "wait_seconds": 0.0, "turns": 1}
    assert data["cases"][0]["turns"][0]["throttled"] == 2 and all(c["passed"] for c in data["cases"])
    assert data["meta"]["target"] == url and data["meta"]["health"] == {"status": "ok"}
    assert "429 Too Many Requests 2 times" in (tmp_path / "r" / "report.md").read_text()
    assert "id='throttling'" in (tmp_path / "r" / "report.html").read_text()


def throttling_app(headers: list[dict]):
    """A server that answers 429 with each of `headers` in turn, then a real answer."""
    from fastapi import FastAPI, Response

    app, queue = FastAPI(), list(headers)

    @app.post("/api/ask")
    def ask(body: dict):
        if queue:
            return Response(status_code=429, headers=queue.pop(0), content="slow down")
        return Answer(text="ok").model_dump()

    return app


def test_backoff_follows_retry_after_and_doubles_without_it(live_server):
    from email.utils import format_datetime
    from datetime import datetime, timedelta, timezone

    later = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=20), usegmt=True)
    url = live_server(throttling_app([{"Retry-After": "3"}, {}, {}, {"Retry-After": later}, {"Retry-After": "soon"}]))
    waits = []
    remote = RemoteBot(url, sleep=waits.append)
    assert remote.ask("q").text == "ok"
    assert waits[0] == 3.0 and waits[1:3] == [2.0, 4.0]  # attempt 1 and 2 without a header: 1 × 2**attempt
    assert 15 < waits[3] <= 20  # an HTTP date: the seconds until then
    assert waits[4] == 16.0  # unreadable: keep doubling
    assert remote.rate_limited == 5 and remote.rate_limit_wait_s == sum(waits)


def test_a_server_that_never_stops_throttling_fails_the_case_with_the_remedy(live_server):
    from evals.errors import RemoteBotError

    url = live_server(throttling_app([{"Retry-After": "0"}] * 10))
    remote = RemoteBot(url, max_retries=2, sleep=lambda s: None)
    with pytest.raises(RemoteBotError) as err:
        remote.ask("q")
    assert "still answered 429 Too Many Requests after 3 tries" in str(err.value)
    assert "HAMSTRING_RATE_LIMIT_PER_MINUTE" in str(err.value)


def test_failed_from_reruns_only_what_failed_last_time(fakes, live_server, write_set, tmp_path, capsys):
    half = fakes.ScriptedBot({"How long should I hold a stretch?": fakes.cited("Hold it 45 to 60 seconds [1].", ("alpha", fakes.STRETCH_QUOTE))},
                             default=Answer(text="Hmm."))
    url = live_server(fakes.make_app(half))
    qset = write_set("live.yaml", SET)
    assert main(["run", str(qset), "--url", url, "--report", str(tmp_path / "first"), "--no-progress"]) == 0
    half.calls.clear()
    assert main(["run", str(qset), "--url", url, "--failed-from", str(tmp_path / "first"), "--no-progress"]) == 0
    assert [q for q, _ in half.calls] == ["I felt a pop yesterday.", "What stretches can I do?", "Write a poem about ankles."]
    assert "live (2 cases)" in capsys.readouterr().out
    # Nothing failed: a clear message, not an empty run.
    everything = fakes.ScriptedBot({}, default=Answer(text="Hmm."))
    passed = write_set("passed.yaml", 'name: live\ncases:\n  - {id: hold, turns: ["q"], expect: {escalate: false}}\n')
    url2 = live_server(fakes.make_app(everything))
    assert main(["run", str(passed), "--url", url2, "--report", str(tmp_path / "ok"), "--no-progress"]) == 0
    assert main(["run", str(passed), "--url", url2, "--failed-from", str(tmp_path / "ok" / "report.json")]) == 2
    assert "no case of these sets failed there (it lists 0 failures); nothing to re-run." in capsys.readouterr().err


def test_failed_from_a_file_that_is_not_a_report_is_a_clear_error(write_set, tmp_path, capsys):
    (tmp_path / "junk.json").write_text('{"hello": 1}')
    code = main(["run", str(write_set("live.yaml", SET)), "--failed-from", str(tmp_path / "junk.json")])
    assert code == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path / 'junk.json'}: not an evals report (")
    assert main(["run", str(write_set("live.yaml", SET)), "--failed-from", str(tmp_path / "nowhere")]) == 2
    assert "no report there; give a folder written by `evals run --report DIR`" in capsys.readouterr().err


def test_strict_refuses_unknown_keys_before_asking(write_set, capsys):
    path = write_set("w.yaml", 'name: w\ncases:\n  - {id: a, turns: ["q"], reviewer: kim, expect: {escalate: false}}\n')
    assert main(["run", str(path), "--strict", "--url", "http://127.0.0.1:9"]) == 2
    assert capsys.readouterr().err == f"error: {path}: case 'a': unknown key 'reviewer' (--strict: fix or remove it)\n"


def test_unknown_keys_are_in_the_summary_and_both_reports(fakes, good_bot, live_server, write_set, tmp_path, capsys):
    url = live_server(fakes.make_app(good_bot))
    path = write_set("w.yaml", 'name: w\ncases:\n  - {id: a, turns: ["How long should I hold a stretch?"], reviewer: kim, expect: {escalate: false}}\n')
    assert main(["run", str(path), "--url", url, "--report", str(tmp_path / "r"), "--no-progress"]) == 0
    warning = f"{path}: case 'a': unknown key 'reviewer' ignored"
    assert f"warnings (1):\n  {warning}" in capsys.readouterr().out
    assert f"- {warning}" in (tmp_path / "r" / "report.md").read_text()
    assert escape(warning) in (tmp_path / "r" / "report.html").read_text()
    assert json.loads((tmp_path / "r" / "report.json").read_text())["warnings"] == [warning]


def test_formats_need_a_report_folder_and_known_names(write_set, capsys):
    qset = str(write_set("live.yaml", SET))
    assert main(["run", qset, "--format", "csv"]) == 2
    assert "--format csv writes into the report folder; add --report DIR." in capsys.readouterr().err
    assert main(["run", qset, "--format", "csv,xml", "--report", "x"]) == 2
    assert "--format xml: unknown; choose from csv, jsonl, junit" in capsys.readouterr().err


def test_repeat_prints_each_failing_case_once(fakes, live_server, write_set, capsys):
    url = live_server(fakes.make_app(fakes.ScriptedBot({}, default=Answer(text="Hmm."))))
    assert main(["run", str(write_set("live.yaml", SET)), "--url", url, "--repeat", "3", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "failed (3 cases):" in out
    assert out.count("live/follow-pop (failed 3 of 3 runs): [escalate] did not escalate; expected to") == 1
    assert out.count("live/follow-pop") == 1
