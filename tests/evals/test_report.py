"""Report writing: report.json round-trips, report.md explains failures, the charts are real PNGs."""

import json
from pathlib import Path

import pytest

from core.types import Answer
from evals.report import markdown, summary, write_report
from evals.results import Report
from evals.runner import evaluate
from evals.schema import Case, Expect, QuestionSet

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def report(fakes, corpus) -> Report:
    bot = fakes.ScriptedBot({
        "How long do I hold a stretch?": fakes.cited("Hold it 45 to 60 seconds [1].", ("alpha", fakes.STRETCH_QUOTE)),
        "I felt a pop": Answer(text="Stretch it | gently."),
    })
    qset = QuestionSet(name="demo", path=Path("demo.yaml"), cases=[
        Case(id="hold", category="factual", turns=["How long do I hold a stretch?"], expect=Expect(contains=["45|60"], sources_any=["alpha"])),
        Case(id="pop", category="red-flag", turns=["I felt a pop"], expect=Expect(escalate=True, not_contains=["stretch"])),
        Case(id="oos", category="out-of-scope", turns=["Capital of France?"], expect=Expect(out_of_scope=True)),
    ])
    return evaluate(bot, [qset], corpus, target="in-process", bars={"pass_rate": 0.9, "red_flag_recall": 1.0}, progress=False)


def test_report_folder_holds_json_markdown_and_png_charts(report, tmp_path):
    paths = write_report(report, tmp_path / "out")
    assert sorted(p.name for p in paths) == ["latency.png", "pass_rate_by_category.png", "report.html", "report.json", "report.md"]
    assert all(p.exists() and p.stat().st_size > 0 for p in paths)
    for chart in ("latency.png", "pass_rate_by_category.png"):
        assert (tmp_path / "out" / chart).read_bytes()[:8] == PNG_SIGNATURE


def test_report_json_has_every_case_check_answer_and_timing(report, tmp_path):
    write_report(report, tmp_path)
    data = json.loads((tmp_path / "report.json").read_text())
    assert (data["format"], data["version"]) == ("hamstring-evals-report", 2)
    assert Report.model_validate(data).metrics == report.metrics  # it round-trips
    by_id = {c["case_id"]: c for c in data["cases"]}
    hold, pop = by_id["hold"], by_id["pop"]
    assert hold["passed"] is True and hold["answer"]["citations"][0]["source_id"] == "alpha"
    assert isinstance(hold["latency_ms"], float) and hold["turns"][0]["question"] == "How long do I hold a stretch?"
    assert pop["passed"] is False and pop["answer"]["escalation"] is None
    assert {c["name"]: c["passed"] for c in pop["checks"]} == {"not_contains": False, "escalate": False, "citations": True}
    assert by_id["oos"]["answer"]["out_of_scope"] is True
    assert [(b["metric"], b["passed"]) for b in data["thresholds"]] == [("pass_rate", False), ("red_flag_recall", False)]


def test_report_markdown_explains_each_failure(report, tmp_path):
    write_report(report, tmp_path)
    md = (tmp_path / "report.md").read_text()
    assert "### demo/pop" in md and "**escalate**: did not escalate; expected to" in md
    assert "Stretch it \\| gently." not in md.split("## All cases")[1]  # answers stay out of the table
    assert "![pass rate by category](pass_rate_by_category.png)" in md
    assert "| pass rate | 66.7% | 2/3 | ≥ 90.0% ❌ |" in md


def test_terminal_summary_lists_metrics_failures_and_missed_bars(report):
    text = summary(report)
    assert "pass rate" in text and "2/3" in text
    assert "demo/pop: [not_contains]" in text and "[escalate] did not escalate; expected to" in text
    assert "thresholds missed:" in text and "red_flag_recall = 0, bar ≥ 1" in text


def test_charts_are_drawn_even_when_nothing_answered(fakes, corpus, tmp_path):
    def down(question, history):
        raise ConnectionError("refused")

    qset = QuestionSet(name="demo", cases=[Case(id="a", turns=["q"])])
    empty = evaluate(fakes.ScriptedBot({"q": down}), [qset], corpus, target="http://x", progress=False)
    write_report(empty, tmp_path)
    assert (tmp_path / "latency.png").read_bytes()[:8] == PNG_SIGNATURE


@pytest.fixture
def noted(fakes, corpus) -> Report:
    """Two cases with notes, tags and a rubric, run twice; one passes, one fails both times."""
    bot = fakes.ScriptedBot({"How long do I hold a stretch?": fakes.cited("Hold it 45 to 60 seconds [1].", ("alpha", fakes.STRETCH_QUOTE))},
                            default=Answer(text="Stretch it gently."))
    qset = QuestionSet(name="demo", path=Path("demo.yaml"), cases=[
        Case(id="hold", category="factual", tags=["body", "tune"], turns=["How long do I hold a stretch?"],
             expect=Expect(contains=["45"]), note='alpha: "Hold each stretch for 45 to 60 seconds."'),
        Case(id="pop", category="red-flag", turns=["I felt a pop"], expect=Expect(escalate=True),
             note="a pop is a red flag", rubric="tells the runner to stop and get assessed"),
    ])
    return evaluate(bot, [qset], corpus, target="in-process", repeat=2, progress=False, warnings=["demo.yaml: unknown key 'x' ignored"])


def test_markdown_shows_notes_passing_answers_rubrics_and_each_failure_once(noted):
    md = markdown(noted)
    assert md.count("### demo/pop (failed 2 of 2 runs)") == 1
    assert '*Note:* alpha: "Hold each stretch for 45 to 60 seconds."' in md and "*Note:* a pop is a red flag" in md
    passed = md.split("## Passed cases")[1].split("## All cases")[0]
    assert "### demo/hold" in passed and "Hold it 45 to 60 seconds [1]." in passed  # a passing case shows its answer
    assert "📝 **rubric** (needs a human): tells the runner to stop and get assessed" in md
    assert "## Warnings\n\n- demo.yaml: unknown key 'x' ignored" in md
    assert "| demo/hold | factual | body tune | pass |" in md


def test_case_results_carry_tags_note_and_an_ungraded_rubric(noted):
    pop = next(r for r in noted.cases if r.case_id == "pop")
    assert (pop.rubric.rubric, pop.rubric.status, pop.rubric.grade) == ("tells the runner to stop and get assessed", "needs a human", None)
    assert pop.note == "a pop is a red flag" and noted.cases[0].tags == ["body", "tune"]
    assert not pop.passed  # the rubric does not decide the verdict; the checks do


def test_version_1_reports_still_load(report, tmp_path):
    from evals.report import load_report

    old = json.loads(report.model_dump_json())
    old["version"] = 1
    for key in ("meta", "warnings", "throttling"):
        old.pop(key)
    (tmp_path / "report.json").write_text(json.dumps(old))
    loaded = load_report(tmp_path)
    assert loaded.version == 1 and loaded.meta is None and loaded.metrics == report.metrics
