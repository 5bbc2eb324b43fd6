"""Every metric against a hand-built run whose figures were worked out on paper (see the table below)."""

import pytest

from core.types import Answer, Citation
from evals.checks import judge
from evals.metrics import compute, percentile, value
from evals.results import CaseResult, CheckResult, TurnRecord
from evals.schema import Expect


def outcome(corpus, case_id, expect, answer, category=None, latency=10.0, run=1):
    return CaseResult(
        set_name="demo", case_id=case_id, category=category, run=run, expect=expect,
        turns=[TurnRecord(question="q", answer_text=answer.text, latency_ms=latency)],
        answer=answer, checks=judge(expect, answer, corpus),
    )


def failed_to_answer(case_id, expect, category=None, run=1):
    return CaseResult(
        set_name="demo", case_id=case_id, category=category, run=run, expect=expect,
        turns=[TurnRecord(question="q", error="RemoteBotError: HTTP 500")],
        checks=[CheckResult(name="answered", passed=False, why="turn 1 failed")], error="RemoteBotError: HTTP 500",
    )


@pytest.fixture
def run(fakes, corpus):
    alpha, beta = ("alpha", fakes.STRETCH_QUOTE), ("beta", fakes.DEADLIFT_QUOTE)
    two_sided = fakes.stretching_conflict()
    plain = Answer(text="Plain answer.")
    specs = [
        # id                expect                                 answer                                                   category     passes?
        ("first-hit",       Expect(sources_any=["alpha"]),         fakes.cited("A [1] B [2]", alpha, beta),                "factual"),   # yes; source hit, first hit
        ("source-miss",     Expect(sources_any=["beta"]),          fakes.cited("A [1]", alpha),                            "factual"),   # no; source miss, first miss
        ("second-hit",      Expect(sources_any=["alpha"]),         fakes.cited("B [1] A [2]", beta, alpha),                "factual"),   # yes; source hit, first miss
        ("red-hit",         Expect(escalate=True),                 Answer(text="See a doctor.", escalation=fakes.escalation()), "red-flag"),  # yes
        ("red-miss",        Expect(escalate=True),                 plain,                                                  "red-flag"),  # no
        ("false-escalate",  Expect(escalate=False),                Answer(text="See a doctor.", escalation=fakes.escalation()), "negated"),   # no
        ("calm",            Expect(escalate=False),                plain,                                                  "negated"),   # yes
        ("conflict-hit",    Expect(conflict=True),                 Answer(text="The sources disagree.", conflicts=[two_sided]), "conflict"),  # yes
        ("false-conflict",  Expect(conflict=False),                Answer(text="The sources disagree.", conflicts=[two_sided]), "agreement"), # no
        ("oos-hit",         Expect(out_of_scope=True),             Answer(text="Sorry.", out_of_scope=True),               "out-of-scope"),  # yes
        ("oos-miss",        Expect(out_of_scope=True),             plain,                                                  "out-of-scope"),  # no
        ("oos-wrong",       Expect(out_of_scope=False),            Answer(text="Sorry.", out_of_scope=True),               "out-of-scope"),  # no
        ("bad-quote",       Expect(),                              Answer(text="X [1]", citations=[Citation(n=1, source_id="alpha", title="A", quote="Invented.")]), None),  # no
    ]
    results = [outcome(corpus, cid, exp, ans, cat, latency=10.0 * i) for i, (cid, exp, ans, cat) in enumerate(specs, 1)]
    results.append(failed_to_answer("error", Expect(sources_any=["alpha"], escalate=True), "factual"))
    return results


def test_rates_match_the_hand_computed_figures(run):
    m = compute(run)
    assert m.cases == 14
    figures = {name: (getattr(m, name).hits, getattr(m, name).total) for name in [
        "pass_rate", "error_rate", "source_hit_rate", "first_citation_hit_rate", "red_flag_recall", "false_escalation_rate",
        "conflict_surfacing_rate", "false_conflict_rate", "out_of_scope_precision", "out_of_scope_recall", "citation_validity",
    ]}
    assert figures == {
        "pass_rate": (6, 14),                # first-hit, second-hit, red-hit, calm, conflict-hit, oos-hit
        "error_rate": (1, 14),
        "source_hit_rate": (2, 3),           # the errored case is left out of behavioural rates
        "first_citation_hit_rate": (1, 3),
        "red_flag_recall": (1, 2),
        "false_escalation_rate": (1, 2),
        "conflict_surfacing_rate": (1, 1),
        "false_conflict_rate": (1, 1),
        "out_of_scope_precision": (1, 2),    # declined: oos-hit (right), oos-wrong (wrong)
        "out_of_scope_recall": (1, 2),
        "citation_validity": (12, 13),       # bad-quote
    }
    assert value(m, "pass_rate") == pytest.approx(6 / 14)


def test_per_check_and_per_category_rates(run):
    m = compute(run)
    checks = {name: (r.hits, r.total) for name, r in m.check_pass_rates.items()}
    assert checks == {
        "answered": (0, 1), "citations": (12, 13), "conflict": (1, 2), "escalate": (2, 4),
        "out_of_scope": (1, 3), "sources_any": (2, 3),
    }
    categories = {name: (r.hits, r.total) for name, r in m.category_pass_rates.items()}
    assert categories == {
        "agreement": (0, 1), "conflict": (1, 1), "factual": (2, 4), "negated": (1, 2),
        "out-of-scope": (1, 3), "red-flag": (1, 2), "uncategorised": (0, 1),
    }


def test_latency_percentiles_over_successful_asks(run):
    m = compute(run)
    assert m.latency_samples == [10.0 * i for i in range(1, 14)]  # the errored ask has no latency
    assert m.latency_p50_ms == pytest.approx(70.0)
    assert m.latency_p95_ms == pytest.approx(124.0)  # rank 11.4 of 0..12: 120 + 0.4 * 10


def test_empty_denominators_are_none_not_zero():
    m = compute([])
    assert m.pass_rate.value is None and m.red_flag_recall.value is None and m.latency_p95_ms is None
    assert m.repeat_consistency is None


def test_percentile_interpolates_linearly():
    assert percentile([10, 20, 30, 40], 50) == 25.0
    assert percentile([10, 20, 30, 40], 95) == pytest.approx(38.5)
    assert percentile([7], 95) == 7.0
    assert percentile([], 50) is None


def test_repeat_consistency_flags_cases_whose_verdicts_changed(fakes, corpus):
    steady = Answer(text="See a doctor.", escalation=fakes.escalation())
    expect = Expect(escalate=True)
    results = [
        outcome(corpus, "steady", expect, steady, run=1), outcome(corpus, "flaky", expect, steady, run=1),
        outcome(corpus, "steady", expect, steady, run=2), outcome(corpus, "flaky", expect, Answer(text="Stretch."), run=2),
    ]
    m = compute(results)
    assert (m.repeat_consistency.hits, m.repeat_consistency.total) == (1, 2)
    assert m.inconsistent_cases == ["demo/flaky"]
    assert (m.pass_rate.hits, m.pass_rate.total) == (3, 4)  # every run counts


def test_an_error_in_one_run_only_is_an_inconsistency(fakes, corpus):
    expect = Expect(escalate=True)
    results = [
        outcome(corpus, "a", expect, Answer(text="Doctor.", escalation=fakes.escalation()), run=1),
        failed_to_answer("a", expect, run=2),
    ]
    assert compute(results).inconsistent_cases == ["demo/a"]
