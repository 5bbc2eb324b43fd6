"""Comparing two runs: cases whose verdict flipped (answers diffed), metric changes with Wilson intervals, new and removed cases.

`python -m evals compare A B [--html FILE] [--fail-on-regression]`; A and B are report folders or report.json files.
"""

import argparse
import difflib
import math
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from evals import html
from evals.metrics import METRICS, value
from evals.report import load_report
from evals.results import CaseResult, Rate, Report, runs_by_case

Z_95 = 1.959964  # two-sided 95%


def wilson(hits: int, total: int, z: float = Z_95) -> tuple[float, float] | None:
    """Wilson score interval of hits/total; None when nothing was measured.

    >>> [round(x, 3) for x in wilson(17, 20)]
    [0.64, 0.948]
    """
    if total == 0:
        return None
    p = hits / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return max(0.0, centre - half), min(1.0, centre + half)


def difference_interval(before: Rate, after: Rate) -> tuple[float, float] | None:
    """95% interval of after - before by Newcombe's method (hybrid of the two Wilson intervals).

    It treats the runs as independent samples; the same cases asked twice are correlated, so this errs on the
    side of calling a change noise. A change is beyond the noise when the interval excludes 0.
    >>> [round(x, 3) for x in difference_interval(Rate(hits=10, total=20), Rate(hits=19, total=20))]
    [0.176, 0.655]
    """
    a, b = wilson(before.hits, before.total), wilson(after.hits, after.total)
    if a is None or b is None:
        return None
    p1, p2 = before.hits / before.total, after.hits / after.total
    d = p2 - p1
    return d - math.sqrt((p2 - b[0]) ** 2 + (a[1] - p1) ** 2), d + math.sqrt((b[1] - p2) ** 2 + (p1 - a[0]) ** 2)


@dataclass
class MetricChange:
    name: str
    label: str
    unit: str
    higher_is_better: bool
    before: float | None
    after: float | None
    before_rate: Rate | None = None
    after_rate: Rate | None = None
    interval: tuple[float, float] | None = None  # of after - before, for rates

    @property
    def delta(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before

    @property
    def beyond_noise(self) -> bool:
        return self.interval is not None and (self.interval[0] > 0 or self.interval[1] < 0)

    @property
    def worse(self) -> bool:
        """Worse beyond the noise (latency has no interval, so it is never called a regression by itself)."""
        return self.beyond_noise and self.delta is not None and (self.delta < 0) == self.higher_is_better


@dataclass
class CaseChange:
    key: str
    before: list[CaseResult]
    after: list[CaseResult]

    @property
    def verdicts(self) -> tuple[str, str]:
        return verdict(self.before), verdict(self.after)

    @property
    def regressed(self) -> bool:
        return self.verdicts[0] == "pass" and self.verdicts[1] != "pass"

    def check_changes(self) -> list[str]:
        """'escalate: pass → fail' for every check whose verdict (first run) changed, or appeared or went."""
        a = {c.name: c for c in self.before[0].checks}
        b = {c.name: c for c in self.after[0].checks}
        out = []
        for name in dict.fromkeys([*a, *b]):
            va = ("pass" if a[name].passed else "fail") if name in a else "—"
            vb = ("pass" if b[name].passed else "fail") if name in b else "—"
            if va != vb:
                out.append(f"{name}: {va} → {vb}" + (f" ({b[name].why})" if name in b and not b[name].passed else ""))
        return out

    def answer_diff(self) -> list[str]:
        """Unified diff of the judged answers (first run of each), line by line."""
        return list(difflib.unified_diff(_answer_lines(self.before[0]), _answer_lines(self.after[0]),
                                         fromfile="before", tofile="after", lineterm="", n=2))


@dataclass
class Comparison:
    before: Report
    after: Report
    metrics: list[MetricChange]
    categories: list[MetricChange]
    flipped: list[CaseChange]
    changed_answers: list[CaseChange] = field(default_factory=list)  # same verdict, different answer text
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    run_changes: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def regressions(self) -> list[str]:
        """What makes --fail-on-regression fail: cases that passed and no longer do, metrics worse beyond the noise."""
        return [f"case {c.key}: {' → '.join(c.verdicts)}" for c in self.flipped if c.regressed] + [
            f"{m.label}: {_show(m.before, m.unit)} → {_show(m.after, m.unit)} (worse beyond the noise)" for m in self.metrics if m.worse
        ]


def verdict(runs: list[CaseResult]) -> str:
    """'pass' (every run passed), 'fail' (none did) or 'mixed'."""
    passed = sum(r.passed for r in runs)
    return "pass" if passed == len(runs) else "fail" if passed == 0 else "mixed"


def compare(before: Report, after: Report) -> Comparison:
    a, b = runs_by_case(before.cases), runs_by_case(after.cases)
    common = [k for k in b if k in a]
    changes = [CaseChange(k, a[k], b[k]) for k in common]
    return Comparison(
        before=before,
        after=after,
        metrics=_metric_changes(before, after),
        categories=[
            _rate_change(f"category:{name}", name, before.metrics.category_pass_rates.get(name), after.metrics.category_pass_rates.get(name))
            for name in dict.fromkeys([*before.metrics.category_pass_rates, *after.metrics.category_pass_rates])
        ],
        flipped=[c for c in changes if c.verdicts[0] != c.verdicts[1]],
        changed_answers=[c for c in changes if c.verdicts[0] == c.verdicts[1] and _answer_lines(c.before[0]) != _answer_lines(c.after[0])],
        added=[k for k in b if k not in a],
        removed=[k for k in a if k not in b],
        run_changes=run_changes(before, after),
    )


def run_changes(before: Report, after: Report) -> list[tuple[str, str, str]]:
    """(what, before, after) for each piece of run metadata that differs: commit, corpus, model, settings, set files."""
    if before.meta is None or after.meta is None:
        return [("metadata", "recorded" if before.meta else "not recorded", "recorded" if after.meta else "not recorded")]
    a, b = before.meta, after.meta
    out = []
    for name in ("target", "commit", "dirty", "corpus_version", "embedding_model"):
        if getattr(a, name) != getattr(b, name):
            out.append((name, str(getattr(a, name)), str(getattr(b, name))))
    for group in ("settings", "rule_files", "set_files"):
        x, y = getattr(a, group), getattr(b, group)
        for key in dict.fromkeys([*x, *y]):
            if x.get(key) != y.get(key):
                out.append((f"{group}.{key}", str(x.get(key, "—")), str(y.get(key, "—"))))
    return out


def _metric_changes(before: Report, after: Report) -> list[MetricChange]:
    out = []
    for name, info in METRICS.items():
        x, y = getattr(before.metrics, name), getattr(after.metrics, name)
        if x is None and y is None:
            continue
        if info.unit == "rate":
            if not ((x and x.total) or (y and y.total)):
                continue  # neither run measured it
            out.append(_rate_change(name, info.label, x, y, info.higher_is_better))
        else:
            out.append(MetricChange(name, info.label, info.unit, info.higher_is_better, value(before.metrics, name), value(after.metrics, name)))
    return out


def _rate_change(name: str, label: str, x: Rate | None, y: Rate | None, higher_is_better: bool = True) -> MetricChange:
    x, y = x or Rate(), y or Rate()
    return MetricChange(name, label, "rate", higher_is_better, x.value, y.value, x, y, difference_interval(x, y))


# ---- terminal ---------------------------------------------------------------------------------------


def text(c: Comparison, max_diff_lines: int = 30) -> str:
    lines = [f"before: {_run_label(c.before)}", f"after:  {_run_label(c.after)}", ""]
    if c.run_changes:
        lines += ["what changed between the runs:"] + [f"  {what}: {a} → {b}" for what, a, b in c.run_changes] + [""]
    lines.append(f"{'metric':<24} {'before':>22} {'after':>22} {'change':>10}  noise")
    lines += [_metric_line(m) for m in c.metrics]
    if c.categories:
        lines += ["per category:"] + [_metric_line(m, indent=2) for m in c.categories]
    lines += ["", "rates with their 95% Wilson interval; a change is beyond the noise when the 95% interval of the "
              "difference (Newcombe) excludes 0."]
    lines += ["", f"flipped ({len(c.flipped)}):" if c.flipped else "no verdict flipped."]
    for change in c.flipped:
        tag = "REGRESSED" if change.regressed else "fixed" if change.verdicts[1] == "pass" else "changed"
        lines.append(f"  {tag} {change.key}: {' → '.join(change.verdicts)}")
        lines += [f"    {line}" for line in change.check_changes()]
        diff = change.answer_diff()
        lines += [f"    {line}" for line in diff[:max_diff_lines]]
        if len(diff) > max_diff_lines:
            lines.append(f"    … {len(diff) - max_diff_lines} more diff lines (see --html)")
    if c.changed_answers:
        lines += ["", f"same verdict, different answer: {len(c.changed_answers)} cases ({', '.join(x.key for x in c.changed_answers[:8])}"
                  + (", …" if len(c.changed_answers) > 8 else "") + ")"]
    if c.added:
        lines += ["", f"new cases ({len(c.added)}): " + ", ".join(c.added)]
    if c.removed:
        lines += ["", f"removed cases ({len(c.removed)}): " + ", ".join(c.removed)]
    regressions = c.regressions
    lines += ["", f"regressions ({len(regressions)}):" if regressions else "no regression."] + [f"  {r}" for r in regressions]
    return "\n".join(lines)


def _metric_line(m: MetricChange, indent: int = 0) -> str:
    label = " " * indent + m.label
    if m.unit != "rate":
        delta = f"{m.delta:+.1f} ms" if m.delta is not None else "n/a"
        return f"{label:<24} {_show(m.before, m.unit):>22} {_show(m.after, m.unit):>22} {delta:>10}  (no interval)"
    delta = f"{m.delta * 100:+.1f} pts" if m.delta is not None else "n/a"
    noise = ("WORSE" if m.worse else "better") + " beyond noise" if m.beyond_noise else "within noise" if m.interval else ""
    return f"{label:<24} {_rate_cell(m.before_rate):>22} {_rate_cell(m.after_rate):>22} {delta:>10}  {noise}"


def _rate_cell(rate: Rate | None) -> str:
    if rate is None or not rate.total:
        return "n/a"
    lo, hi = wilson(rate.hits, rate.total)
    return f"{rate.value * 100:.1f}% [{lo * 100:.0f}–{hi * 100:.0f}]"


def _show(number: float | None, unit: str) -> str:
    if number is None:
        return "n/a"
    return f"{number:.1f} ms" if unit == "ms" else f"{number * 100:.1f}%"


def _run_label(report: Report) -> str:
    commit = report.meta.commit[:10] + ("+dirty" if report.meta.dirty else "") if report.meta and report.meta.commit else "commit unknown"
    return f"{report.created:%Y-%m-%d %H:%M} UTC · {report.target} · {commit} · {len(report.cases)} case runs"


def _answer_lines(result: CaseResult) -> list[str]:
    if result.answer is None:
        return [f"(no answer: {result.error})"]
    return result.answer.text.splitlines()


# ---- HTML ---------------------------------------------------------------------------------------------


def html_page(c: Comparison) -> str:
    """The side-by-side view: what changed, metric table, then each flipped case with both answers and the diff."""
    out = ["<h1>Comparison of two evaluation runs</h1>",
           f"<table><tr><th>before</th><td>{escape(_run_label(c.before))}</td></tr><tr><th>after</th><td>{escape(_run_label(c.after))}</td></tr></table>"]
    regressions = c.regressions
    out.append(f"<div class='banner {'bad' if regressions else 'good'}' id='verdict'>"
               + (f"<b>{len(regressions)} regression(s)</b><ul>" + "".join(f"<li>{escape(r)}</li>" for r in regressions) + "</ul>"
                  if regressions else "No regression: no passing case fails now and no metric got worse beyond the noise.") + "</div>")
    if c.run_changes:
        out.append("<h2>What changed between the runs</h2><table id='run-changes'><tr><th>what</th><th>before</th><th>after</th></tr>"
                   + "".join(f"<tr><td>{escape(w)}</td><td>{escape(a)}</td><td>{escape(b)}</td></tr>" for w, a, b in c.run_changes) + "</table>")
    rows = []
    for m in c.metrics + c.categories:
        label = m.label if m in c.metrics else f"category: {m.label}"
        if m.unit == "rate":
            cells = (_rate_cell(m.before_rate), _rate_cell(m.after_rate), f"{m.delta * 100:+.1f} pts" if m.delta is not None else "n/a")
            interval = f"[{m.interval[0] * 100:+.1f}, {m.interval[1] * 100:+.1f}]" if m.interval else ""
            noise = ("<b class='fail'>worse beyond noise</b>" if m.worse else "<b class='pass'>better beyond noise</b>") if m.beyond_noise else "within noise"
        else:
            cells = (_show(m.before, m.unit), _show(m.after, m.unit), f"{m.delta:+.1f} ms" if m.delta is not None else "n/a")
            interval, noise = "", "no interval"
        rows.append(f"<tr><td>{escape(label)}</td>" + "".join(f"<td class='num'>{escape(x)}</td>" for x in cells)
                    + f"<td class='num'>{interval}</td><td>{noise}</td></tr>")
    out.append("<h2>Metrics</h2><p class='muted'>Rates with their 95% Wilson interval; the change is beyond the noise when the 95% "
               "interval of the difference (Newcombe) excludes 0.</p><table id='metrics'><tr><th>metric</th><th>before</th><th>after</th>"
               "<th>change</th><th>95% interval of change</th><th></th></tr>" + "".join(rows) + "</table>")
    out.append(f"<h2>Flipped verdicts ({len(c.flipped)})</h2>")
    out += [_side_by_side(x, open_=True) for x in c.flipped] or ["<p>None.</p>"]
    if c.changed_answers:
        out.append(f"<h2>Same verdict, different answer ({len(c.changed_answers)})</h2>")
        out += [_side_by_side(x, open_=False) for x in c.changed_answers]
    for title, keys in (("New cases", c.added), ("Removed cases", c.removed)):
        if keys:
            out.append(f"<h2>{title} ({len(keys)})</h2><ul>" + "".join(f"<li>{escape(k)}</li>" for k in keys) + "</ul>")
    return html.page("Comparison of two evaluation runs", "\n".join(out))


def _side_by_side(change: CaseChange, open_: bool) -> str:
    before, after = change.before[0], change.after[0]
    a, b = change.verdicts
    cls = "failed" if change.regressed else ""
    columns = []
    for label, result, v in (("before", before, a), ("after", after, b)):
        checks = "".join(f"<tr><td>{escape(x.name)}</td><td class='{'pass' if x.passed else 'fail'}'>{'pass' if x.passed else 'FAIL'}</td>"
                         f"<td>{escape(x.why)}</td></tr>" for x in result.checks)
        answer = html.answer_html(result.answer) if result.answer else f"<p class='fail'>no answer: {escape(result.error or '')}</p>"
        columns.append(f"<div><h3>{label}: <span class='badge {v if v != 'mixed' else 'human'}'>{v}</span></h3>"
                       f"<table class='checks'>{checks}</table>{answer}</div>")
    diff = "".join(
        f"<div class='{'add' if line.startswith('+') and not line.startswith('+++') else 'del' if line.startswith('-') and not line.startswith('---') else ''}'>{escape(line)}</div>"
        for line in change.answer_diff()
    )
    turns = "".join(f"<div class='turn'><div class='q'>{escape(t.question)}</div></div>" for t in after.turns)
    note = f"<div class='note'><b>Note:</b> {escape(after.note)}</div>" if after.note else ""
    return (f"<details class='case {cls}'{' open' if open_ else ''}><summary><span class='id'>{escape(change.key)}</span> "
            f"{escape(a)} → {escape(b)}</summary><div class='body'>{turns}{note}"
            f"<div class='side'>{''.join(columns)}</div><h4>Answer diff</h4><div class='diff'>{diff or 'identical'}</div></div></details>")


# ---- command ----------------------------------------------------------------------------------------


def command(args: argparse.Namespace) -> int:
    comparison = compare(load_report(args.before), load_report(args.after))
    print(text(comparison))
    if args.html:
        Path(args.html).parent.mkdir(parents=True, exist_ok=True)
        Path(args.html).write_text(html_page(comparison), encoding="utf-8")
        print(f"\nside-by-side view written: {args.html}")
    return 1 if args.fail_on_regression and comparison.regressions else 0
