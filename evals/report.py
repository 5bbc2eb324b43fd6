"""Rendering a Report: the terminal summary, and report.json, report.md, report.html and PNG charts in a folder.

Charts are drawn on bare matplotlib Figures (Agg canvas), so nothing needs a display or touches pyplot's global state.
"""

from pathlib import Path
from typing import BinaryIO

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from pydantic import ValidationError

from evals import html
from evals.describe import case_label, md_line, meta_lines, metric_rows, number_text, rubric_status, throttling_line
from evals.errors import EvalError, read_text
from evals.grading import rubric_markdown, rubric_summary
from evals.results import CaseResult, Report, runs_by_case

CATEGORY_CHART = "pass_rate_by_category.png"
LATENCY_CHART = "latency.png"
HTML_REPORT = "report.html"


def write_report(report: Report, folder: Path) -> list[Path]:
    """Write report.json, report.md, report.html and the charts into `folder` (created if needed); returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "report.json", folder / "report.md", folder / HTML_REPORT, folder / CATEGORY_CHART, folder / LATENCY_CHART]
    paths[0].write_text(report.model_dump_json(indent=2), encoding="utf-8")
    paths[1].write_text(markdown(report), encoding="utf-8")
    draw_category_chart(report, paths[3])
    draw_latency_chart(report, paths[4])
    charts = {name: path.read_bytes() for name, path in (("category", paths[3]), ("latency", paths[4]))}
    paths[2].write_text(html.report_page(report, charts), encoding="utf-8")
    return paths


def load_report(path: Path) -> Report:
    """A report written earlier, from its folder or its report.json; EvalError saying what is wrong otherwise."""
    file = path / "report.json" if path.is_dir() else path
    text = read_text(file, missing="no report there; give a folder written by `evals run --report DIR` or its report.json.")
    try:
        return Report.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise EvalError(f"{file}: not an evals report ({where}: {first['msg']}); was it written by `evals run --report`?") from None


# ---- terminal --------------------------------------------------------------------------------------


def summary(report: Report, max_failures: int = 40) -> str:
    """The table printed at the end of a run: metrics, bars, then the failed cases with why."""
    m = report.metrics
    sets = ", ".join(f"{s.name} ({s.cases} cases)" for s in report.sets)
    lines = [f"{sets} · {report.target} · {report.repeat} run(s) · {report.wall_seconds:.1f} s", ""]
    lines.append(f"{'metric':<24} {'value':>8} {'n':>9}  bar")
    for label, shown, count, bar, passed in metric_rows(report):
        verdict = f"{bar}  {'ok' if passed else 'FAIL'}" if bar else ""
        lines.append(f"{label:<24} {shown:>8} {count:>9}  {verdict}".rstrip())
    lines += ["", "per check:"]
    lines += [f"  {name:<22} {number_text(rate.value, 'rate'):>8} {rate.hits:>4}/{rate.total}" for name, rate in m.check_pass_rates.items()]
    lines += ["", "per category:"]
    lines += [f"  {name:<22} {number_text(rate.value, 'rate'):>8} {rate.hits:>4}/{rate.total}" for name, rate in m.category_pass_rates.items()]
    if m.inconsistent_cases:
        lines += ["", "verdicts changed between runs: " + ", ".join(m.inconsistent_cases)]
    if report.throttling.responses:
        lines += ["", throttling_line(report)]
    failed = failed_cases(report)
    if failed:
        lines += ["", f"failed ({len(failed)} case{'s' if len(failed) != 1 else ''}):"]
        for key, runs in list(failed.items())[:max_failures]:
            lines.append(f"  {_runs_label(key, runs, report.repeat)}: {_failed_checks_of(runs)}")
        if len(failed) > max_failures:
            lines.append(f"  … and {len(failed) - max_failures} more (see report.html)")
    if report.warnings:
        lines += ["", f"warnings ({len(report.warnings)}):"] + [f"  {w}" for w in report.warnings]
    lines += rubric_summary(report)
    misses = [b for b in report.thresholds if not b.passed]
    if misses:
        lines += ["", "thresholds missed:"] + [f"  {b.why}" for b in misses]
    elif report.thresholds:
        lines += ["", f"all {len(report.thresholds)} thresholds met"]
    return "\n".join(lines)


def failed_cases(report: Report) -> dict[str, list[CaseResult]]:
    """'set/case' -> all its runs, for every case that failed in at least one run (each case once, whatever --repeat)."""
    return {key: runs for key, runs in runs_by_case(report.cases).items() if not all(r.passed for r in runs)}


# ---- report.md ---------------------------------------------------------------------------------------


def markdown(report: Report) -> str:
    m = report.metrics
    out = [
        "# Evaluation report",
        "",
        f"- Target: {report.target}",
        "- Sets: " + ", ".join(f"`{s.name}` ({s.cases} cases, {s.path})" for s in report.sets),
        f"- Runs: {report.repeat} · case runs: {m.cases} · wall time {report.wall_seconds:.1f} s · {report.created:%Y-%m-%d %H:%M} UTC",
        "",
        "## Metrics",
        "",
        "| metric | value | n | bar |",
        "|---|---:|---:|---|",
    ]
    for label, shown, count, bar, passed in metric_rows(report):
        verdict = f"{bar} {'✅' if passed else '❌'}" if bar else ""
        out.append(f"| {label} | {shown} | {count} | {verdict} |")
    if report.throttling.responses:
        out += ["", f"**{throttling_line(report)}**"]
    if report.warnings:
        out += ["", "## Warnings", ""] + [f"- {md_line(w)}" for w in report.warnings]
    out += ["", "## What was run", "", "| | |", "|---|---|"]
    out += [f"| {label} | {md_line(shown)} |" for label, shown in meta_lines(report)]
    out += ["", "## Pass rate per check", "", "| check | pass rate | n |", "|---|---:|---:|"]
    out += [f"| {name} | {number_text(r.value, 'rate')} | {r.hits}/{r.total} |" for name, r in m.check_pass_rates.items()]
    out += ["", "## Pass rate per category", "", f"![pass rate by category]({CATEGORY_CHART})", "",
            "| category | pass rate | n |", "|---|---:|---:|"]
    out += [f"| {name} | {number_text(r.value, 'rate')} | {r.hits}/{r.total} |" for name, r in m.category_pass_rates.items()]
    out += ["", "## Latency", "", f"![latency distribution]({LATENCY_CHART})", ""]
    if m.repeat_consistency is not None:
        out += ["## Repeat consistency", "",
                f"{m.repeat_consistency.hits}/{m.repeat_consistency.total} cases had identical verdicts in every run.", ""]
        out += [f"- changed: `{key}`" for key in m.inconsistent_cases] + [""]
    grouped = runs_by_case(report.cases)
    failed = failed_cases(report)
    out += ["## Failed cases", "", "None." if not failed else ""]
    for key, runs in failed.items():
        out += [f"### {_runs_label(key, runs, report.repeat)}", ""] + _md_case(next(r for r in runs if not r.passed))
    passed = [runs for key, runs in grouped.items() if key not in failed]
    out += ["## Passed cases", "", "None." if not passed else ""]
    for runs in passed:
        out += [f"### {runs[0].key}", ""] + _md_case(runs[0])
    out += rubric_markdown(report)
    out += ["## All cases", "", "| case | category | tags | result | latency ms |", "|---|---|---|---|---:|"]
    for result in report.cases:
        latency = f"{result.latency_ms:.1f}" if result.latency_ms is not None else "—"
        out.append(f"| {case_label(result)} | {result.category or ''} | {' '.join(result.tags)} | "
                   f"{'pass' if result.passed else 'FAIL'} | {latency} |")
    return "\n".join(out) + "\n"


def _md_case(result: CaseResult) -> list[str]:
    """The conversation, the note, every check, the rubric and the answer of one case run."""
    out = [f"{i}. > {md_line(turn.question)}" for i, turn in enumerate(result.turns, 1)] + [""]
    if result.note:
        out += [f"*Note:* {md_line(result.note)}", ""]
    for check in result.checks:
        out.append(f"- {'✅' if check.passed else '❌'} **{check.name}**: {md_line(check.why)}")
    if result.rubric is not None:
        out.append(f"- 📝 **rubric** ({rubric_status(result)}): {md_line(result.rubric.rubric)}")
    if result.answer is not None:
        out += ["", "<details><summary>answer</summary>", "", result.answer.text, "", "</details>"]
    return out + [""]


# ---- charts ---------------------------------------------------------------------------------------


def draw_category_chart(report: Report, path: Path | BinaryIO) -> None:
    rates = report.metrics.category_pass_rates
    names = list(rates)
    values = [(rates[n].value or 0.0) * 100 for n in names]
    # Colour against the run's own pass-rate bar when it has one, so the chart agrees with the gate.
    bar_at = next((b.bar * 100 for b in report.thresholds if b.metric == "pass_rate"), None)
    colours = ["#1565c0" if bar_at is None else "#2e7d32" if v >= bar_at - 1e-7 else "#c62828" for v in values]
    fig = Figure(figsize=(7, 0.45 * max(len(names), 2) + 1.2))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    bars = ax.barh(names, values, color=colours)
    if bar_at is not None:
        ax.axvline(bar_at, color="black", linestyle="--", linewidth=1, label=f"pass-rate bar {bar_at:.0f}%")
        ax.legend(loc="lower right", fontsize=8)
    for bar, name in zip(bars, names):
        ax.text(bar.get_width() + 1, bar.get_y() + bar.get_height() / 2, f"{rates[name].hits}/{rates[name].total}",
                va="center", fontsize=8)
    ax.set_xlim(0, 112)
    ax.invert_yaxis()  # categories read top-down in the order of the table
    ax.set_xlabel("cases passed (%)")
    ax.set_title("Pass rate by category")
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100)


def draw_latency_chart(report: Report, path: Path | BinaryIO) -> None:
    m = report.metrics
    fig = Figure(figsize=(7, 3.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if m.latency_samples:
        ax.hist(m.latency_samples, bins=min(30, max(5, len(m.latency_samples) // 4)), color="#1565c0")
        for label, at, style in (("p50", m.latency_p50_ms, "--"), ("p95", m.latency_p95_ms, ":")):
            ax.axvline(at, color="black", linestyle=style, label=f"{label} {number_text(at, 'ms')}")
        ax.legend()
    else:
        ax.text(0.5, 0.5, "no successful answers", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("latency per answer (ms)")
    ax.set_ylabel("answers")
    ax.set_title(f"Latency distribution ({report.target})")
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100)


# ---- helpers ----------------------------------------------------------------------------------------


def _runs_label(key: str, runs: list[CaseResult], repeat: int) -> str:
    if repeat <= 1:
        return key
    return f"{key} (failed {sum(not r.passed for r in runs)} of {len(runs)} runs)"


def _failed_checks_of(runs: list[CaseResult]) -> str:
    """The failing checks of every failed run, each distinct reason once."""
    reasons = [f"[{c.name}] {c.why}" for r in runs if not r.passed for c in r.checks if not c.passed]
    return "; ".join(dict.fromkeys(reasons))


