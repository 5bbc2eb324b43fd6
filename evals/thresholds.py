"""Thresholds: the bars a run's metrics must clear for CI to pass, read from a small YAML file.

A file maps metric name to bar; the metric decides whether the bar is a minimum or a maximum (metrics.METRICS).
"""

from pathlib import Path

import yaml

from evals.errors import ThresholdsError
from evals.metrics import METRICS, value
from evals.results import BarResult, Metrics

# Rates are computed as exact fractions, but 0.85 has no exact float form: 102/120 must still clear it.
_TOLERANCE = 1e-9


def load_thresholds(path: Path) -> dict[str, float]:
    """{metric: bar}; ThresholdsError lists every unknown metric or non-numeric bar, one per line."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ThresholdsError(f"{path}: file not found.") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ThresholdsError(f"{path}: cannot read thresholds ({exc.__class__.__name__}: {exc}).") from None
    if not isinstance(raw, dict):
        raise ThresholdsError(f"{path}: thresholds are 'metric: bar' lines; found {type(raw).__name__}.")
    problems, bars = [], {}
    for name, bar in raw.items():
        if name not in METRICS:
            problems.append(f"{path}: {name}: unknown metric; known: {', '.join(METRICS)}")
        elif isinstance(bar, bool) or not isinstance(bar, (int, float)):
            problems.append(f"{path}: {name}: bar must be a number, got {bar!r}")
        else:
            bars[name] = float(bar)
    if problems:
        raise ThresholdsError("\n".join(problems))
    return bars


def apply_thresholds(bars: dict[str, float], metrics: Metrics) -> list[BarResult]:
    """One verdict per bar. A metric the run could not measure fails its bar: a gate must not pass by absence."""
    results = []
    for name, bar in bars.items():
        info = METRICS[name]
        bound = "min" if info.higher_is_better else "max"
        actual = value(metrics, name)
        if actual is None:
            results.append(BarResult(metric=name, bound=bound, bar=bar, actual=None, passed=False,
                                     why=f"{name} was not measured: no case in these sets exercises it"))
            continue
        passed = actual >= bar - _TOLERANCE if info.higher_is_better else actual <= bar + _TOLERANCE
        sign = "≥" if info.higher_is_better else "≤"
        results.append(BarResult(metric=name, bound=bound, bar=bar, actual=actual, passed=passed,
                                 why=f"{name} = {actual:.4g}, bar {sign} {bar:g}"))
    return results
