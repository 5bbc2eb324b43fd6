"""Thresholds: loading the bars, applying them as minimums or maximums, and failing on what was not measured."""

import pytest

from evals.errors import ThresholdsError
from evals.metrics import compute
from evals.results import CaseResult, CheckResult, Metrics, Rate, TurnRecord
from evals.schema import Expect
from evals.thresholds import apply_thresholds, load_thresholds


def metrics_with(**rates: tuple[int, int]) -> Metrics:
    m = compute([])
    for name, (hits, total) in rates.items():
        setattr(m, name, Rate(hits=hits, total=total))
    return m


def test_shipped_thresholds_load():
    from core.settings import PROJECT_ROOT

    bars = load_thresholds(PROJECT_ROOT / "evals" / "thresholds.yaml")
    assert bars["pass_rate"] == 0.85 and bars["citation_validity"] == 1.0 and bars["red_flag_recall"] == 1.0
    assert bars["false_escalation_rate"] == 0.0 and bars["conflict_surfacing_rate"] == 0.9 and bars["out_of_scope_recall"] == 0.9


def test_unknown_metrics_and_non_numbers_are_refused_one_per_line(write_set):
    path = write_set("t.yaml", "pass_rate: high\nred_flag_recal: 1.0\ncitation_validity: true\nerror_rate: 0\n")
    with pytest.raises(ThresholdsError) as exc:
        load_thresholds(path)
    lines = str(exc.value).splitlines()
    assert lines == [
        f"{path}: pass_rate: bar must be a number, got 'high'",
        f"{path}: red_flag_recal: unknown metric; known: " + lines[1].split("known: ")[1],
        f"{path}: citation_validity: bar must be a number, got True",
    ]


def test_minimum_and_maximum_bars():
    m = metrics_with(pass_rate=(102, 120), false_escalation_rate=(1, 40), red_flag_recall=(19, 20))
    verdicts = {b.metric: b for b in apply_thresholds({"pass_rate": 0.85, "false_escalation_rate": 0.0, "red_flag_recall": 0.9}, m)}
    assert verdicts["pass_rate"].passed and verdicts["pass_rate"].bound == "min"  # 102/120 == 0.85 exactly, despite floats
    assert not verdicts["false_escalation_rate"].passed and verdicts["false_escalation_rate"].bound == "max"
    assert verdicts["false_escalation_rate"].why == "false_escalation_rate = 0.025, bar ≤ 0"
    assert verdicts["red_flag_recall"].passed


def test_latency_bar_is_a_maximum():
    m = compute([CaseResult(set_name="s", case_id="c", expect=Expect(), turns=[TurnRecord(question="q", latency_ms=80.0)],
                            checks=[CheckResult(name="citations", passed=True, why="")])])
    assert [b.passed for b in apply_thresholds({"latency_p95_ms": 50, "latency_p50_ms": 100}, m)] == [False, True]


def test_a_metric_not_measured_fails_its_bar():
    (verdict,) = apply_thresholds({"red_flag_recall": 1.0}, metrics_with(pass_rate=(3, 3)))
    assert not verdict.passed and verdict.actual is None
    assert "not measured" in verdict.why
