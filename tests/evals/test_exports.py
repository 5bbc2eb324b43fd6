"""Exports: one row per case run in CSV and JSON Lines, and a JUnit file any CI system can display."""

import csv
import json
import xml.etree.ElementTree as ET

import pytest

from core.types import Answer
from evals.__main__ import main
from evals.exports import write_exports
from evals.runner import evaluate
from evals.schema import Case, Expect, QuestionSet


@pytest.fixture
def report(fakes, corpus):
    def down(question, history):
        raise ConnectionError("refused")

    bot = fakes.ScriptedBot({
        "How long?": fakes.cited("Hold it 45 to 60 seconds [1].", ("alpha", fakes.STRETCH_QUOTE)),
        "Pop?": Answer(text="Stretch it."),
        "Down?": down,
    })
    sets = [
        QuestionSet(name="one", cases=[
            Case(id="hold", category="factual", tags=["body", "tune"], turns=["How long?"], expect=Expect(contains=["45"], regex=[r"\d+ seconds"])),
            Case(id="pop", category="red-flag", turns=["Pop?"], expect=Expect(escalate=True), rubric="says stop"),
        ]),
        QuestionSet(name="two", cases=[Case(id="down", turns=["Down?"], expect=Expect(escalate=False))]),
    ]
    return evaluate(bot, sets, corpus, target="in-process", repeat=2, progress=False)


def test_csv_has_one_row_per_case_run_with_each_check(report, tmp_path):
    [path] = write_exports(report, tmp_path, ["csv"])
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == 6  # 3 cases x 2 runs
    hold = rows[0]
    assert (hold["set"], hold["id"], hold["run"], hold["tags"], hold["pass"]) == ("one", "hold", "1", "body tune", "pass")
    assert (hold["check:contains"], hold["check:regex"], hold["check:escalate"], hold["check:citations"]) == ("pass", "pass", "", "pass")
    assert float(hold["latency_ms"]) >= 0
    pop, down = rows[1], rows[2]
    assert (pop["pass"], pop["check:escalate"], pop["rubric"]) == ("fail", "fail", "needs a human")
    assert (down["pass"], down["check:answered"], down["latency_ms"]) == ("fail", "fail", "")
    assert down["error"] == "ConnectionError: refused"
    assert [r["run"] for r in rows] == ["1", "1", "1", "2", "2", "2"]


def test_jsonl_rows_carry_checks_with_why_and_the_answer(report, tmp_path):
    [path] = write_exports(report, tmp_path, ["jsonl"])
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 6 and rows[0]["tags"] == ["body", "tune"] and rows[0]["pass"] is True
    assert rows[1]["checks"]["escalate"] == {"pass": False, "why": "did not escalate; expected to"}
    assert rows[0]["answer"] == "Hold it 45 to 60 seconds [1]." and rows[2]["answer"] is None


def test_junit_parses_and_counts_tests_failures_and_errors(report, tmp_path):
    [path] = write_exports(report, tmp_path, ["junit"])
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("6", "2", "2")
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert {n: (s.get("tests"), s.get("failures"), s.get("errors")) for n, s in suites.items()} == {
        "one": ("4", "2", "0"), "two": ("2", "0", "2")}
    cases = suites["one"].findall("testcase")
    assert [c.get("name") for c in cases] == ["hold (run 1)", "pop (run 1)", "hold (run 2)", "pop (run 2)"]
    assert cases[0].get("classname") == "one.factual" and cases[0].find("failure") is None
    assert [p.get("value") for p in cases[0].find("properties")] == ["body", "tune"]
    failure = cases[1].find("failure")
    assert failure.get("message") == "escalate: did not escalate; expected to" and "[FAIL] escalate" in failure.text
    assert "answer:\nStretch it." in cases[1].find("system-out").text
    assert suites["two"].find("testcase/error").get("message") == "ConnectionError: refused"


def test_several_formats_at_once_from_the_command_line(fakes, live_server, write_set, tmp_path, monkeypatch, corpus_dir):
    monkeypatch.setenv("HAMSTRING_CORPUS_DIR", str(corpus_dir))
    url = live_server(fakes.make_app(fakes.ScriptedBot({}, default=Answer(text="Hmm."))))
    qset = write_set("s.yaml", 'name: s\ncases:\n  - {id: a, turns: ["q"], expect: {escalate: false}}\n  - {id: b, turns: ["r"], expect: {escalate: true}}\n')
    code = main(["run", str(qset), "--url", url, "--report", str(tmp_path / "r"), "--format", "csv,junit", "--format", "jsonl", "--no-progress"])
    assert code == 0
    for name in ("cases.csv", "cases.jsonl", "junit.xml", "report.html", "report.json"):
        assert (tmp_path / "r" / name).stat().st_size > 0
    assert ET.parse(tmp_path / "r" / "junit.xml").getroot().get("failures") == "1"
