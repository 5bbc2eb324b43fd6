"""The metrics of a run, computed from its case results, and the catalogue of metric names thresholds use.

Each rate counts case runs (a case asked N times with --repeat counts N times); definitions are on `compute`.
"""

from collections import defaultdict
from dataclasses import dataclass

from evals.checks import first_citation, two_sided_conflicts
from evals.results import CaseResult, Metrics, Rate

UNCATEGORISED = "uncategorised"


@dataclass(frozen=True)
class MetricInfo:
    label: str
    higher_is_better: bool
    unit: str = "rate"  # "rate" (0..1, shown as %) or "ms"


# The names a thresholds file may use, in the order the summary shows them.
METRICS: dict[str, MetricInfo] = {
    "pass_rate": MetricInfo("pass rate", True),
    "error_rate": MetricInfo("errors (no answer)", False),
    "source_hit_rate": MetricInfo("source hit", True),
    "first_citation_hit_rate": MetricInfo("first-citation hit", True),
    "red_flag_recall": MetricInfo("red-flag recall", True),
    "false_escalation_rate": MetricInfo("false escalation", False),
    "conflict_surfacing_rate": MetricInfo("conflict surfacing", True),
    "false_conflict_rate": MetricInfo("false conflict", False),
    "out_of_scope_precision": MetricInfo("out-of-scope precision", True),
    "out_of_scope_recall": MetricInfo("out-of-scope recall", True),
    "citation_validity": MetricInfo("citation validity", True),
    "latency_p50_ms": MetricInfo("latency p50", False, "ms"),
    "latency_p95_ms": MetricInfo("latency p95", False, "ms"),
    "repeat_consistency": MetricInfo("repeat consistency", True),
}


def compute(results: list[CaseResult]) -> Metrics:
    """Metrics over every case run in `results`.

    - pass_rate: case runs that got an answer and passed every check / all case runs.
    - check_pass_rates[name], category_pass_rates[category]: the same, per check that ran / per case category.
    - error_rate: case runs where asking failed (exception, HTTP error, not an Answer) / all case runs.
    The behavioural rates below count answered case runs only (errors are in error_rate and pass_rate):
    - source_hit_rate: runs with expect.sources_any where any citation's source is listed / such runs.
    - first_citation_hit_rate: the same runs where the lowest-numbered citation's source is listed.
    - red_flag_recall: runs with expect.escalate true that escalated / such runs.
    - false_escalation_rate: runs with expect.escalate false that escalated / such runs.
    - conflict_surfacing_rate: runs with expect.conflict true showing a disagreement with >= 2 sources' positions.
    - false_conflict_rate: runs with expect.conflict false showing any disagreement / such runs.
    - out_of_scope_precision: runs declined as out of scope whose expect.out_of_scope is true / declined runs
      whose expect.out_of_scope is set (true or false).
    - out_of_scope_recall: runs with expect.out_of_scope true that were declined / such runs.
    - citation_validity: answered runs where every [n] has a citation and every quote is verbatim / answered runs.
    - latency_p50_ms, latency_p95_ms: linear-interpolated percentiles of every successful ask (all turns, all runs).
    - repeat_consistency (only when some case ran more than once): cases whose runs all had the same verdict
      on every check / cases.
    """
    answered = [r for r in results if r.answer is not None]
    by_check: dict[str, Rate] = defaultdict(Rate)
    by_category: dict[str, Rate] = defaultdict(Rate)
    for result in results:
        for check in result.checks:
            _count(by_check[check.name], check.passed)
        _count(by_category[result.category or UNCATEGORISED], result.passed)

    latencies = [turn.latency_ms for r in results for turn in r.turns if turn.latency_ms is not None]
    consistency, inconsistent = _repeat_consistency(results)
    return Metrics(
        cases=len(results),
        pass_rate=_rate(results, lambda r: r.passed),
        check_pass_rates=dict(sorted(by_check.items())),
        category_pass_rates=dict(sorted(by_category.items())),
        error_rate=_rate(results, lambda r: r.answer is None),
        source_hit_rate=_rate(
            [r for r in answered if r.expect.sources_any],
            lambda r: any(c.source_id in r.expect.sources_any for c in r.answer.citations),
        ),
        first_citation_hit_rate=_rate(
            [r for r in answered if r.expect.sources_any],
            lambda r: (first := first_citation(r.answer)) is not None and first.source_id in r.expect.sources_any,
        ),
        red_flag_recall=_rate([r for r in answered if r.expect.escalate is True], lambda r: r.answer.escalation is not None),
        false_escalation_rate=_rate([r for r in answered if r.expect.escalate is False], lambda r: r.answer.escalation is not None),
        conflict_surfacing_rate=_rate([r for r in answered if r.expect.conflict is True], lambda r: bool(two_sided_conflicts(r.answer))),
        false_conflict_rate=_rate([r for r in answered if r.expect.conflict is False], lambda r: bool(r.answer.conflicts)),
        out_of_scope_precision=_rate(
            [r for r in answered if r.answer.out_of_scope and r.expect.out_of_scope is not None],
            lambda r: r.expect.out_of_scope is True,
        ),
        out_of_scope_recall=_rate([r for r in answered if r.expect.out_of_scope is True], lambda r: r.answer.out_of_scope),
        citation_validity=_rate(answered, lambda r: all(c.passed for c in r.checks if c.name == "citations")),
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        latency_samples=latencies,
        repeat_consistency=consistency,
        inconsistent_cases=inconsistent,
    )


def value(metrics: Metrics, name: str) -> float | None:
    """The number a threshold compares against: a rate's value or a latency in ms."""
    field = getattr(metrics, name)
    return field.value if isinstance(field, Rate) else field


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default).

    >>> percentile([10, 20, 30, 40], 50), percentile([10, 20, 30, 40], 95)
    (25.0, 38.5)
    """
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def _repeat_consistency(results: list[CaseResult]) -> tuple[Rate | None, list[str]]:
    verdicts: dict[str, set[tuple]] = defaultdict(set)
    runs: dict[str, int] = defaultdict(int)
    for result in results:
        # The verdict of a run: which checks passed, and whether an answer came back at all.
        verdicts[result.key].add((result.error is None, tuple((c.name, c.passed) for c in result.checks)))
        runs[result.key] += 1
    if not any(count > 1 for count in runs.values()):
        return None, []
    inconsistent = [key for key, seen in verdicts.items() if len(seen) > 1]
    return Rate(hits=len(verdicts) - len(inconsistent), total=len(verdicts)), inconsistent


def _rate(results: list[CaseResult], hit) -> Rate:
    return Rate(hits=sum(1 for r in results if hit(r)), total=len(results))


def _count(rate: Rate, hit: bool) -> None:
    rate.total += 1
    rate.hits += int(hit)
