"""The benchmark's verdicts: a figure past its target fails, one within it passes."""

from evals.bench import TARGETS, verdicts


def test_every_target_is_judged_and_a_miss_fails():
    good = {"cold ingest (s)": 20.0, "cold load + first answer (s)": 7.0, "warm ask p95 / one query embedding": 6.0,
            "guardrails p95 (ms)": 2.0, "throughput at concurrency 2 / at 1": 1.3, "first citation: ours - plain recipe": 0.17}
    assert all(met for *_, met in verdicts(good)) and len(verdicts(good)) == len(TARGETS)
    slow = {**good, "warm ask p95 / one query embedding": 12.0, "throughput at concurrency 2 / at 1": 0.9}
    missed = [name for name, *_, met in verdicts(slow) if not met]
    assert missed == ["warm ask p95 / one query embedding", "throughput at concurrency 2 / at 1"]
