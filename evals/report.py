"""Rendering a Report: the terminal summary, and report.json, report.md and PNG charts in a folder.

Charts are drawn on bare matplotlib Figures (Agg canvas), so nothing needs a display or touches pyplot's global state.
"""

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from evals.grading import rubric_markdown, rubric_summary
from evals.metrics import METRICS, value
from evals.results import CaseResult, Rate, Report

CATEGORY_CHART = "pass_rate_by_category.png"
LATENCY_CHART = "latency.png"


def write_report(report: Report, folder: Path) -> list[Path]:
    """Write report.json, report.md and the charts into `folder` (created if needed); returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "report.json", folder / "report.md", folder / CATEGORY_CHART, folder / LATENCY_CHART]
    paths[0].write_text(report.model_dump_json(indent=2), encoding="utf-8")
    paths[1].write_text(markdown(report), encoding="utf-8")
    draw_category_chart(report, paths[2])
    draw_latency_chart(report, paths[3])
    return paths


# ---- the metric table, for the terminal and report.md ------------------------------------------------


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
        shown_bar = f"{'≥' if bar.bound == 'min' else '≤'} {_fmt(bar.bar, info.unit)}" if bar else ""
        rows.append((info.label, _fmt(value(m, name), info.unit), count, shown_bar, bool(bar and bar.passed)))
    return rows


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
    lines += [f"  {name:<22} {_fmt(rate.value, 'rate'):>8} {rate.hits:>4}/{rate.total}" for name, rate in m.check_pass_rates.items()]
    lines += ["", "per category:"]
    lines += [f"  {name:<22} {_fmt(rate.value, 'rate'):>8} {rate.hits:>4}/{rate.total}" for name, rate in m.category_pass_rates.items()]
    if m.inconsistent_cases:
        lines += ["", "verdicts changed between runs: " + ", ".join(m.inconsistent_cases)]
    failed = [r for r in report.cases if not r.passed]
    if failed:
        lines += ["", f"failed ({len(failed)}):"]
        for result in failed[:max_failures]:
            lines.append(f"  {_case_label(result)}: {_failed_checks(result)}")
        if len(failed) > max_failures:
            lines.append(f"  … and {len(failed) - max_failures} more (see report.json)")
    lines += rubric_summary(report)
    misses = [b for b in report.thresholds if not b.passed]
    if misses:
        lines += ["", "thresholds missed:"] + [f"  {b.why}" for b in misses]
    elif report.thresholds:
        lines += ["", f"all {len(report.thresholds)} thresholds met"]
    return "\n".join(lines)


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
    out += ["", "## Pass rate per check", "", "| check | pass rate | n |", "|---|---:|---:|"]
    out += [f"| {name} | {_fmt(r.value, 'rate')} | {r.hits}/{r.total} |" for name, r in m.check_pass_rates.items()]
    out += ["", "## Pass rate per category", "", f"![pass rate by category]({CATEGORY_CHART})", "",
            "| category | pass rate | n |", "|---|---:|---:|"]
    out += [f"| {name} | {_fmt(r.value, 'rate')} | {r.hits}/{r.total} |" for name, r in m.category_pass_rates.items()]
    out += ["", "## Latency", "", f"![latency distribution]({LATENCY_CHART})", ""]
    if m.repeat_consistency is not None:
        out += ["## Repeat consistency", "",
                f"{m.repeat_consistency.hits}/{m.repeat_consistency.total} cases had identical verdicts in every run.", ""]
        out += [f"- changed: `{key}`" for key in m.inconsistent_cases] + [""]
    failed = [r for r in report.cases if not r.passed]
    out += ["## Failed cases", "", "None." if not failed else ""]
    for result in failed:
        out += [f"### {_case_label(result)}", ""]
        out += [f"{i}. > {_md_line(turn.question)}" for i, turn in enumerate(result.turns, 1)]
        out.append("")
        for check in result.checks:
            out.append(f"- {'✅' if check.passed else '❌'} **{check.name}**: {_md_line(check.why)}")
        if result.answer is not None:
            out += ["", "<details><summary>answer</summary>", "", result.answer.text, "", "</details>"]
        out.append("")
    out += rubric_markdown(report)
    out += ["## All cases", "", "| case | category | result | latency ms |", "|---|---|---|---:|"]
    for result in report.cases:
        latency = f"{result.latency_ms:.1f}" if result.latency_ms is not None else "—"
        out.append(f"| {_case_label(result)} | {result.category or ''} | {'pass' if result.passed else 'FAIL'} | {latency} |")
    return "\n".join(out) + "\n"


# ---- charts ---------------------------------------------------------------------------------------


def draw_category_chart(report: Report, path: Path) -> None:
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


def draw_latency_chart(report: Report, path: Path) -> None:
    m = report.metrics
    fig = Figure(figsize=(7, 3.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if m.latency_samples:
        ax.hist(m.latency_samples, bins=min(30, max(5, len(m.latency_samples) // 4)), color="#1565c0")
        for label, at, style in (("p50", m.latency_p50_ms, "--"), ("p95", m.latency_p95_ms, ":")):
            ax.axvline(at, color="black", linestyle=style, label=f"{label} {_fmt(at, 'ms')}")
        ax.legend()
    else:
        ax.text(0.5, 0.5, "no successful answers", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("latency per answer (ms)")
    ax.set_ylabel("answers")
    ax.set_title(f"Latency distribution ({report.target})")
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100)


# ---- helpers ----------------------------------------------------------------------------------------


def _fmt(number: float | None, unit: str) -> str:
    if number is None:
        return "n/a"
    if unit == "ms":
        return f"{number:.1f} ms" if number >= 10 else f"{number:.2g} ms"  # a fake bot answers in microseconds
    return f"{number * 100:.1f}%"


def _case_label(result: CaseResult) -> str:
    return result.key + (f" (run {result.run})" if result.run > 1 else "")


def _failed_checks(result: CaseResult) -> str:
    return "; ".join(f"[{c.name}] {c.why}" for c in result.checks if not c.passed)


def _md_line(text: str) -> str:
    """One Markdown line that cannot break the surrounding list or table."""
    return " ".join(text.split()).replace("|", "\\|")
