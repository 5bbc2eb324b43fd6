"""Exports of a report, one row per case run: CSV for spreadsheets, JSON Lines for scripts, JUnit XML for CI.

Every format carries the same facts: set, case id, run, category, tags, pass, each check's verdict, latency.
"""

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from evals.results import CaseResult, Report

FORMATS = ("csv", "jsonl", "junit")
FILES = {"csv": "cases.csv", "jsonl": "cases.jsonl", "junit": "junit.xml"}


def write_exports(report: Report, folder: Path, formats: list[str]) -> list[Path]:
    """Write each requested format into `folder`; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    writers = {"csv": write_csv, "jsonl": write_jsonl, "junit": write_junit}
    paths = []
    for name in formats:
        path = folder / FILES[name]
        writers[name](report, path)
        paths.append(path)
    return paths


def check_names(report: Report) -> list[str]:
    """Every check that ran on some case, in first-seen order: the per-check columns."""
    return list(dict.fromkeys(c.name for r in report.cases for c in r.checks))


def row(result: CaseResult, checks: list[str]) -> dict:
    """One case run as flat fields; a check the case did not ask for is empty."""
    verdicts = {c.name: c.passed for c in result.checks}
    return {
        "set": result.set_name,
        "id": result.case_id,
        "run": result.run,
        "category": result.category or "",
        "tags": " ".join(result.tags),
        "variant_of": result.variant_of or "",
        "pass": result.passed,
        **{f"check:{name}": ("" if name not in verdicts else "pass" if verdicts[name] else "fail") for name in checks},
        "rubric": "" if result.rubric is None else (result.rubric.status if result.rubric.grade is None else result.rubric.grade),
        "latency_ms": round(result.latency_ms, 3) if result.latency_ms is not None else "",
        "throttled": sum(t.throttled for t in result.turns),
        "error": result.error or "",
    }


def write_csv(report: Report, path: Path) -> None:
    checks = check_names(report)
    rows = [row(r, checks) for r in report.cases]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(row(report.cases[0], checks)) if rows else ["set", "id"])
        writer.writeheader()
        writer.writerows({k: ("pass" if v is True else "fail" if v is False else v) for k, v in r.items()} for r in rows)


def write_jsonl(report: Report, path: Path) -> None:
    """Like the CSV row, but checks are a mapping with each check's why, and the answer text is included."""
    with path.open("w", encoding="utf-8") as out:
        for r in report.cases:
            record = row(r, [])
            record["tags"] = r.tags
            record["checks"] = {c.name: {"pass": c.passed, "why": c.why} for c in r.checks}
            record["latency_ms"] = r.latency_ms
            record["answer"] = r.answer.text if r.answer else None
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_junit(report: Report, path: Path) -> None:
    """One <testsuite> per set, one <testcase> per case run; a failed check is a <failure>, no answer an <error>."""
    suites = ET.Element("testsuites", name="hamstring-evals", tests=str(len(report.cases)),
                        failures=str(sum(1 for r in report.cases if not r.passed and r.error is None)),
                        errors=str(sum(1 for r in report.cases if r.error is not None)), time=f"{report.wall_seconds:.3f}")
    by_set: dict[str, list[CaseResult]] = {}
    for r in report.cases:
        by_set.setdefault(r.set_name, []).append(r)
    for name, results in by_set.items():
        suite = ET.SubElement(
            suites, "testsuite", name=name, tests=str(len(results)),
            failures=str(sum(1 for r in results if not r.passed and r.error is None)),
            errors=str(sum(1 for r in results if r.error is not None)), skipped="0",
            time=f"{sum((r.latency_ms or 0) for r in results) / 1000:.3f}", timestamp=report.created.strftime("%Y-%m-%dT%H:%M:%S"),
        )
        for r in results:
            case_name = r.case_id + (f" (run {r.run})" if report.repeat > 1 else "")
            test = ET.SubElement(suite, "testcase", classname=f"{name}.{r.category or 'uncategorised'}", name=case_name,
                                 time=f"{(r.latency_ms or 0) / 1000:.3f}")
            if r.tags:  # JUnit's schema puts properties first
                props = ET.SubElement(test, "properties")
                for tag in r.tags:
                    ET.SubElement(props, "property", name="tag", value=tag)
            details = "\n".join(f"[{'pass' if c.passed else 'FAIL'}] {c.name}: {c.why}" for c in r.checks)
            if r.error is not None:
                ET.SubElement(test, "error", message=r.error[:200], type="NoAnswer").text = details
            elif not r.passed:
                failed = [c for c in r.checks if not c.passed]
                message = "; ".join(f"{c.name}: {c.why}" for c in failed)
                ET.SubElement(test, "failure", message=message[:500], type="CheckFailed").text = details
            out = [f"question: {t.question}" for t in r.turns] + ([f"answer:\n{r.answer.text}"] if r.answer else [])
            ET.SubElement(test, "system-out").text = "\n".join(out)
    tree = ET.ElementTree(suites)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
