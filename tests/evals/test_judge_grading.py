"""Rubrics graded by people: without a judge the run writes a CSV of the cases that need a human, and
`evals grade REPORT CSV` reads the filled-in grades back into report.json and report.md, refusing bad rows by name."""

import csv
import json
from pathlib import Path

import pytest

from evals.__main__ import main
from evals.errors import EvalError
from evals.grading import CSV_COLUMNS, CSV_NAME, read_grades, write_rubric_csv
from evals.report import write_report
from evals.results import Report
from evals.runner import evaluate
from evals.schema import load_set

SET = """\
    name: rubric
    cases:
      - id: hold
        turns: ["I run a lot.", "How long should I hold a stretch?"]
        expect: {contains: ["45"]}
        rubric: says to hold a stretch for 45 to 60 seconds
      - id: pop
        turns: ["I felt a pop."]
        expect: {escalate: true}
        rubric: tells the runner to get it assessed
      - id: plain
        turns: ["Write a poem about ankles."]
        expect: {out_of_scope: true}
"""


@pytest.fixture(autouse=True)
def no_judge(monkeypatch, corpus_dir):
    for name in ("URL", "MODEL", "API_KEY", "TIMEOUT", "RETRIES", "RESPONSE_FORMAT", "PROMPT_PATH"):
        monkeypatch.delenv(f"HAMSTRING_JUDGE_{name}", raising=False)
    monkeypatch.setenv("HAMSTRING_CORPUS_DIR", str(corpus_dir))


def scripted(fakes):
    return fakes.ScriptedBot({
        "How long should I hold a stretch?": fakes.cited("Hold it 45 to 60 seconds [1].", ("alpha", fakes.STRETCH_QUOTE)),
        "I felt a pop.": fakes.cited("That needs assessment [1].", ("alpha", fakes.POP_QUOTE), escalation=fakes.escalation()),
    })


@pytest.fixture
def ran(fakes, write_set, tmp_path, corpus) -> Path:
    """A run without a judge, as `run --report` leaves it: report.json, report.md and rubric-to-grade.csv in a folder."""
    qset, _ = load_set(write_set("rubric.yaml", SET))
    report = evaluate(scripted(fakes), [qset], corpus, target="in-process", progress=False)
    folder = tmp_path / "report"
    write_report(report, folder)
    write_rubric_csv(report, folder / CSV_NAME)
    return folder


def test_a_run_without_a_judge_leaves_rubrics_for_a_human(fakes, live_server, write_set, tmp_path, capsys):
    folder = tmp_path / "report"
    code = main(["run", str(write_set("rubric.yaml", SET)), "--url", live_server(fakes.make_app(scripted(fakes))), "--report", str(folder), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "rubric grades (nobody yet: no judge configured (HAMSTRING_JUDGE_URL or --judge-url), so each needs a human;" in out
    assert "needs a human (2): rubric/hold, rubric/pop" in out
    assert f"fill in the grade column (0, 1, 2) of {folder / 'rubric-to-grade.csv'}, then: python -m evals grade {folder} " in out
    assert (folder / "rubric-to-grade.csv").read_text(encoding="utf-8-sig").startswith(",".join(CSV_COLUMNS))


def rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def fill(path: Path, grades: dict[str, tuple[str, str, str]], delimiter: str = ",") -> None:
    """Fill in (grade, reason, grader) per case, as a person would in a spreadsheet, and save."""
    table = rows(path)
    for row in table:
        if row["case"] in grades:
            row["grade"], row["reason"], row["grader"] = grades[row["case"]]
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS, delimiter=delimiter)
        writer.writeheader()
        writer.writerows(table)


def test_the_csv_lists_each_rubric_case_with_what_a_human_needs_to_grade_it(ran):
    table = rows(ran / "rubric-to-grade.csv")
    assert [r["case"] for r in table] == ["rubric/hold", "rubric/pop"]
    hold = table[0]
    assert hold["run"] == "1" and hold["rubric"] == "says to hold a stretch for 45 to 60 seconds"
    assert hold["question"] == "I run a lot.\nHow long should I hold a stretch?"
    assert hold["answer"] == "Hold it 45 to 60 seconds [1].\n\nSources:\n[1] Alpha: “Hold each stretch for 45 to 60 seconds.”"
    assert hold["status"] == "needs a human" and hold["grade"] == hold["reason"] == hold["grader"] == ""
    md = (ran / "report.md").read_text()
    assert "| rubric/hold | says to hold a stretch for 45 to 60 seconds | **needs a human** |  |  |" in md


def test_grades_read_back_update_both_reports(ran, capsys):
    csv_path = ran / "rubric-to-grade.csv"
    fill(csv_path, {"rubric/hold": ("2", "Gives 45 to 60 s.", "AB"), "rubric/pop": ("", "", "")})
    assert main(["grade", str(ran), str(csv_path)]) == 0
    out = capsys.readouterr().out
    assert "1 grade(s) read from" in out and "1 row(s) left blank" in out
    assert "graded 1/2: meets 1 · partly 0 · misses 0" in out and "needs a human (1): rubric/pop" in out
    saved = json.loads((ran / "report.json").read_text())
    assert saved["cases"][0]["rubric"] == {
        "rubric": "says to hold a stretch for 45 to 60 seconds", "status": "graded", "grade": 2, "reason": "Gives 45 to 60 s.",
        "grader": "human", "grader_name": "AB", "judge_model": None, "judge_url": None}
    assert saved["cases"][1]["rubric"]["status"] == "needs a human"
    assert saved["cases"][0]["passed"] is True  # the grade sits beside the checks
    md = (ran / "report.md").read_text()
    assert "| rubric/hold | says to hold a stretch for 45 to 60 seconds | 2 (meets) | Gives 45 to 60 s. | human (AB) |" in md
    assert "Graded by a human (evals grade)." in md


def test_a_spreadsheet_saved_with_semicolons_and_the_report_json_path_are_accepted(ran, capsys):
    csv_path = ran / "rubric-to-grade.csv"
    fill(csv_path, {"rubric/pop": ("0", 'Says "stretch it"; no "assessment".', "")}, delimiter=";")
    assert main(["grade", str(ran / "report.json"), str(csv_path)]) == 0
    rubric = json.loads((ran / "report.json").read_text())["cases"][1]["rubric"]
    assert (rubric["grade"], rubric["reason"], rubric["grader_name"]) == (0, 'Says "stretch it"; no "assessment".', None)


BAD_ROWS = [
    ({"rubric/hold": ("yes", "", "")}, "row 2 (case 'rubric/hold'): grade 'yes' is not 0, 1 or 2; write 0 (misses the rubric), 1 (meets part of it) or 2 (meets it), or leave it blank to grade later."),
    ({"rubric/hold": ("3", "", "")}, "grade '3' is not 0, 1 or 2"),
    ({"rubric/hold": ("1.5", "", "")}, "grade '1.5' is not 0, 1 or 2"),
]


@pytest.mark.parametrize("grades, says", BAD_ROWS)
def test_a_bad_grade_is_refused_by_row_and_nothing_is_changed(ran, capsys, grades, says):
    csv_path = ran / "rubric-to-grade.csv"
    fill(csv_path, grades)
    before = (ran / "report.json").read_text()
    assert main(["grade", str(ran), str(csv_path)]) == 2
    err = capsys.readouterr().err
    assert f"error: {csv_path}: {says}" in err if says.startswith("row") else says in err
    assert (ran / "report.json").read_text() == before


def edited(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, says", [
    ("case,run,grade\nrubric/nope,1,2\n", "row 2 (case 'rubric/nope'): no such case in the report; copy the case column from the CSV the run wrote."),
    ("case,run,grade\nrubric/plain,1,2\n", "row 2 (case 'rubric/plain'): run 1: the case has no rubric in the report; only rubric cases can be graded."),
    ("case,run,grade\nrubric/hold,2,2\n", "run 2: the report has run(s) 1 of it"),
    ("case,run,grade\nrubric/hold,first,2\n", "run 'first' is not a run number"),
    ("case,run,grade\nrubric/hold,1,2\nrubric/hold,1,1\n", "row 3 (case 'rubric/hold'): run 1 is graded again (first at row 2); keep one row per case run."),
    ("id,score\nrubric/hold,2\n", "no 'case' or 'grade' column (header: id, score); use the CSV written by `python -m evals run`"),
    ("case,run,grade\nrubric/hold,1,\n", "no row has a grade (1 left blank); fill in the grade column with 0, 1 or 2."),
    ("", "the file is empty"),
])
def test_bad_rows_are_named_with_what_to_do(ran, capsys, text, says):
    assert main(["grade", str(ran), str(edited(ran / "mine.csv", text))]) == 2
    assert says in capsys.readouterr().err


def test_every_bad_row_is_reported_at_once(ran, capsys):
    text = "case,run,grade\nrubric/hold,1,A\nrubric/pop,1,-1\nrubric/nope,1,2\n"
    assert main(["grade", str(ran), str(edited(ran / "mine.csv", text))]) == 2
    err = capsys.readouterr().err
    assert [line.split(": ")[2] for line in err.splitlines()] == ["row 2 (case 'rubric/hold')", "row 3 (case 'rubric/pop')", "row 4 (case 'rubric/nope')"]


def test_a_missing_report_or_csv_is_a_clear_error(ran, tmp_path, capsys):
    assert main(["grade", str(tmp_path / "nowhere"), str(ran / "rubric-to-grade.csv")]) == 2
    assert "nowhere: no report there; give a folder written by `evals run --report DIR` or its report.json." in capsys.readouterr().err
    assert main(["grade", str(ran), str(tmp_path / "none.csv")]) == 2
    assert "none.csv: file not found." in capsys.readouterr().err
    assert main(["grade", str(edited(tmp_path / "report.json", '{"format": "other"}')), str(ran / "rubric-to-grade.csv")]) == 2
    assert "not an evals report" in capsys.readouterr().err


def test_a_human_grade_replaces_a_judges_and_a_rubric_csv_path_can_be_chosen(ran, tmp_path):
    report = Report.model_validate_json((ran / "report.json").read_text())
    hold = report.cases[0]
    hold.rubric = hold.rubric.model_copy(update={"status": "judge error", "reason": "judge error: timed out", "grader": "judge",
                                                 "judge_model": "m", "judge_url": "http://x/v1"})
    path = tmp_path / "elsewhere" / "grades.csv"
    assert write_rubric_csv(report, path) == 2
    assert rows(path)[0]["status"] == "judge error: timed out"
    fill(path, {"rubric/hold": ("1", "Partly.", "")})
    grades, blank = read_grades(path, report)
    assert [(g.key, g.grade, g.reason) for g in grades] == [("rubric/hold", 1, "Partly.")] and blank == 1


def test_run_without_report_says_how_to_get_a_csv(fakes, live_server, write_set, capsys, tmp_path):
    url = live_server(fakes.make_app(fakes.ScriptedBot({})))
    assert main(["run", str(write_set("rubric.yaml", SET)), "--url", url, "--no-progress"]) == 0
    assert "rubric: 2 case run(s) need a human; add --report DIR (or --rubric-csv PATH) for a CSV to fill in." in capsys.readouterr().out
    csv_path = tmp_path / "grades.csv"
    assert main(["run", str(write_set("rubric.yaml", SET)), "--url", url, "--no-progress", "--rubric-csv", str(csv_path)]) == 0
    assert "re-run with --report DIR" in capsys.readouterr().out and len(rows(csv_path)) == 2


def test_read_grades_raises_with_every_problem(ran):
    report = Report.model_validate_json((ran / "report.json").read_text())
    with pytest.raises(EvalError) as caught:
        read_grades(edited(ran / "x.csv", "case,grade\nrubric/hold,x\nrubric/pop,y\n"), report)
    assert len(str(caught.value).splitlines()) == 2
