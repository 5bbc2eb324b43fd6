"""Rubric grades by people: the CSV of cases that need a human, reading it back (`evals grade`), and the rubric
sections of the terminal summary and report.md.

Grades are 0 (misses the rubric), 1 (meets part of it) and 2 (meets it); they sit beside the checks, never in them.
"""

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from evals.describe import case_label, grader_text, md_line
from evals.errors import EvalError, read_text
from evals.results import GRADE_LABELS, CaseResult, Report, RubricResult

CSV_NAME = "rubric-to-grade.csv"
CSV_COLUMNS = ["case", "run", "rubric", "question", "answer", "status", "grade", "reason", "grader"]
GRADE_HELP = "write 0 (misses the rubric), 1 (meets part of it) or 2 (meets it), or leave it blank to grade later"


def awaiting_human(report: Report) -> list[CaseResult]:
    """Case runs whose rubric nobody has graded: no judge was configured, or the judge failed on them."""
    return [r for r in report.cases if r.rubric and r.rubric.status in ("needs a human", "judge error")]


def write_rubric_csv(report: Report, path: Path) -> int:
    """Write one row per case run awaiting a human (grade, reason and grader left to fill in); returns the rows written.

    UTF-8 with a byte-order mark, so spreadsheet programs open the typographic quotes of the articles correctly.
    """
    rows = awaiting_human(report)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for result in rows:
            assert result.rubric is not None
            writer.writerow({
                "case": result.key,
                "run": result.run,
                "rubric": result.rubric.rubric,
                "question": "\n".join(turn.question for turn in result.turns),
                "answer": _answer_for_people(result),
                "status": result.rubric.reason if result.rubric.status == "judge error" else result.rubric.status,
                "grade": "",
                "reason": "",
                "grader": "",
            })
    return len(rows)


@dataclass(frozen=True)
class HumanGrade:
    key: str
    run: int
    grade: int
    reason: str | None
    grader: str | None


def read_grades(path: Path, report: Report) -> tuple[list[HumanGrade], int]:
    """The filled-in rows of a grading CSV, checked against the report; (grades, rows left blank).

    Raises EvalError listing every bad row at once, so one edit fixes them all.
    """
    text = read_text(path, then="; save the sheet as CSV in UTF-8", encoding="utf-8-sig")
    if not text.strip():
        raise EvalError(f"{path}: the file is empty; use the CSV written by `python -m evals run`.")
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in ("case", "grade") if name not in header]
    if missing:
        raise EvalError(
            f"{path}: no {' or '.join(repr(m) for m in missing)} column (header: {', '.join(header) or 'none'}); "
            "use the CSV written by `python -m evals run`, keeping its header row."
        )
    rubric_runs = {(r.key, r.run) for r in report.cases if r.rubric}
    known_keys = {r.key for r in report.cases}
    grades, problems, blank, first_row = [], [], 0, {}
    for number, raw in enumerate(reader, start=2):  # row 1 is the header, as a spreadsheet numbers it
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if isinstance(v, str) or v is None}
        key, grade_text = row.get("case", ""), row.get("grade", "")
        if not key and not any(row.values()):
            continue  # an empty line a spreadsheet left at the end
        where = f"{path}: row {number} (case {key!r})"
        run_text = row.get("run") or "1"
        if not run_text.isdigit() or int(run_text) < 1:
            problems.append(f"{where}: run {run_text!r} is not a run number; write 1 (or the run shown in the report).")
            continue
        run = int(run_text)
        if key not in known_keys:
            problems.append(f"{where}: no such case in the report; copy the case column from the CSV the run wrote.")
            continue
        if (key, run) not in rubric_runs:
            runs = sorted(r for k, r in rubric_runs if k == key)
            why = f"the report has run(s) {', '.join(map(str, runs))} of it" if runs else "the case has no rubric in the report"
            problems.append(f"{where}: run {run}: {why}; only rubric cases can be graded.")
            continue
        if not grade_text:
            blank += 1
            continue
        if grade_text not in ("0", "1", "2"):
            problems.append(f"{where}: grade {grade_text!r} is not 0, 1 or 2; {GRADE_HELP}.")
            continue
        if (key, run) in first_row:
            problems.append(f"{where}: run {run} is graded again (first at row {first_row[key, run]}); keep one row per case run.")
            continue
        first_row[key, run] = number
        grades.append(HumanGrade(key, run, int(grade_text), row.get("reason") or None, row.get("grader") or None))
    if problems:
        raise EvalError("\n".join(problems))
    return grades, blank


def apply_grades(report: Report, grades: list[HumanGrade]) -> Report:
    """The report with each graded case run's rubric marked graded by a human (a human's grade replaces a judge's)."""
    by_run = {(g.key, g.run): g for g in grades}
    cases = []
    for result in report.cases:
        grade = by_run.get((result.key, result.run))
        if grade is not None and result.rubric is not None:
            rubric = RubricResult(rubric=result.rubric.rubric, status="graded", grade=grade.grade, reason=grade.reason,
                                  grader="human", grader_name=grade.grader)
            result = result.model_copy(update={"rubric": rubric})
        cases.append(result)
    return report.model_copy(update={"cases": cases})


def rubric_summary(report: Report) -> list[str]:
    """Terminal lines: counts per status and grade, who graded, and the case runs still waiting for a human."""
    rubrics = [r.rubric for r in report.cases if r.rubric]
    if not rubrics:
        return []
    graded = [r for r in rubrics if r.status == "graded"]
    counts = " · ".join(f"{GRADE_LABELS[g]} {sum(r.grade == g for r in graded)}" for g in (2, 1, 0))
    lines = ["", f"rubric grades ({_graders(report)}; shown beside the checks, not counted in the pass rate):",
             f"  graded {len(graded)}/{len(rubrics)}: {counts}"]
    for status in ("judge error", "needs a human", "no answer"):
        runs = [r for r in report.cases if r.rubric and r.rubric.status == status]
        if runs:
            lines.append(f"  {status} ({len(runs)}): {', '.join(case_label(r) for r in runs[:12])}{' …' if len(runs) > 12 else ''}")
    return lines


def rubric_markdown(report: Report) -> list[str]:
    """The '## Rubric grades' section of report.md: every rubric case with its grade, reason and grader."""
    results = [r for r in report.cases if r.rubric]
    if not results:
        return []
    out = ["## Rubric grades", "",
           f"Graded by {_graders(report)}. A grade is an opinion of the answer against the case's rubric "
           "(2 meets it, 1 meets part of it, 0 misses it); it is shown beside the checks and not counted in the pass rate.",
           "", "| case | rubric | grade | reason | graded by |", "|---|---|---|---|---|"]
    for result in results:
        rubric = result.rubric
        assert rubric is not None
        grade = f"{rubric.grade} ({GRADE_LABELS[rubric.grade]})" if rubric.grade is not None else f"**{rubric.status}**"
        out.append(f"| {case_label(result)} | {md_line(rubric.rubric)} | {grade} | {md_line(rubric.reason or '')} | {md_line(grader_text(rubric))} |")
    return out + [""]


def _graders(report: Report) -> str:
    judges = sorted({f"the judge {r.rubric.judge_model} at {r.rubric.judge_url}" for r in report.cases if r.rubric and r.rubric.grader == "judge"})
    humans = any(r.rubric and r.rubric.grader == "human" for r in report.cases)
    who = judges + (["a human (evals grade)"] if humans else [])
    return " and ".join(who) if who else "nobody yet: no judge configured (HAMSTRING_JUDGE_URL or --judge-url), so each needs a human"


def _answer_for_people(result: CaseResult) -> str:
    if result.answer is None:
        return f"(no answer: {result.error})"
    sources = [f"[{c.n}] {c.title}: “{c.quote}”" for c in sorted(result.answer.citations, key=lambda c: c.n)]
    return result.answer.text + ("\n\nSources:\n" + "\n".join(sources) if sources else "")


def _delimiter(text: str) -> str:
    """Commas as written; a spreadsheet saving in a locale that uses ';' or tabs is read too.

    Only the delimiter is sniffed (from the header): the rest of Excel's dialect, doubled quotes included, is kept.
    """
    try:
        return csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t").delimiter
    except csv.Error:
        return ","
