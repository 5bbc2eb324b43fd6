"""The wording the terminal summary, report.md, report.html and compare share: what was run, the metrics,
throttling, rubric grades.

Plain strings only, so each renderer escapes them its own way.
"""

from evals.metrics import METRICS, value
from evals.results import GRADE_LABELS, CaseResult, Rate, Report, RubricResult


def throttling_line(report: Report) -> str:
    t = report.throttling
    return (f"throttled: the server answered 429 Too Many Requests {t.responses} times on {t.turns} turns; "
            f"{t.wait_seconds:.1f} s waited (not counted in latency). Raise its HAMSTRING_RATE_LIMIT_PER_MINUTE "
            "for an evaluation (README, Evaluating).")


def meta_lines(report: Report) -> list[tuple[str, str]]:
    """(label, value) rows describing what was run, for report.md and report.html."""
    meta = report.meta
    if meta is None:
        return [("target", report.target), ("metadata", "not recorded")]
    commit = (meta.commit[:12] + (" (uncommitted changes)" if meta.dirty else "")) if meta.commit else "unknown"
    rows = [("target", meta.target), ("commit", commit), ("corpus version", meta.corpus_version or "unknown"),
            ("embedding model", meta.embedding_model or "unknown")]
    if meta.health:
        rows.append(("server health", ", ".join(f"{k}={v}" for k, v in meta.health.items())))
    if meta.index_manifest:
        manifest = meta.index_manifest
        rows.append(("index", f"generation {manifest.get('generation')}, chunker {manifest.get('chunker')}, counts {manifest.get('counts')}"))
    rows.append(("settings", ", ".join(f"{k}={v}" for k, v in meta.settings.items()) or "those of the server"))
    rows.append(("rule files", ", ".join(f"{k} {v}" for k, v in meta.rule_files.items())))
    rows.append(("set files", ", ".join(f"{k} {v}" for k, v in meta.set_files.items())))
    finished = f" → {meta.finished:%H:%M:%S}" if meta.finished else ""
    rows.append(("date", f"{report.created:%Y-%m-%d %H:%M:%S}{finished} UTC, {report.wall_seconds:.1f} s"))
    rows.append(("command", " ".join(meta.command)))
    return rows


def rubric_status(result: CaseResult) -> str:
    """The rubric's verdict in words: "2 (meets) by judge gemma at http://…: reason", "needs a human", …"""
    rubric = result.rubric
    if rubric is None:
        return ""
    if rubric.grade is None:
        return rubric.status + (f": {rubric.reason}" if rubric.status == "judge error" and rubric.reason else "")
    return f"{rubric.grade} ({GRADE_LABELS[rubric.grade]}) by {grader_text(rubric)}" + (f": {rubric.reason}" if rubric.reason else "")


def grader_text(rubric: RubricResult) -> str:
    """Who graded a rubric: "judge gemma at http://…", "human (AB)", or "" when nobody has."""
    if rubric.grader == "judge":
        return f"judge {rubric.judge_model} at {rubric.judge_url}"
    if rubric.grader == "human":
        return f"human{f' ({rubric.grader_name})' if rubric.grader_name else ''}"
    return ""


def case_label(result: CaseResult) -> str:
    return result.key + (f" (run {result.run})" if result.run > 1 else "")


def md_line(text: str) -> str:
    """One Markdown line that cannot break the surrounding list or table."""
    return " ".join(text.split()).replace("|", "\\|")


def number_text(number: float | None, unit: str) -> str:
    if number is None:
        return "n/a"
    if unit == "ms":
        return f"{number:.1f} ms" if number >= 10 else f"{number:.2g} ms"  # a fake bot answers in microseconds
    return f"{number * 100:.1f}%"


def metric_rows(report: Report) -> list[tuple[str, str, str, str, bool]]:
    """(label, value, n, bar, bar met) for every metric the run measured; bar is "" when none was set."""
    m = report.metrics
    bars = {b.metric: b for b in report.thresholds}
    rows = []
    for name, info in METRICS.items():
        field = getattr(m, name)
        if field is None:
            continue
        count = f"{field.hits}/{field.total}" if isinstance(field, Rate) else str(len(m.latency_samples))
        bar = bars.get(name)
        shown_bar = f"{'≥' if bar.bound == 'min' else '≤'} {number_text(bar.bar, info.unit)}" if bar else ""
        rows.append((info.label, number_text(value(m, name), info.unit), count, shown_bar, bool(bar and bar.passed)))
    return rows
