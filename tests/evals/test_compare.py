"""Comparing two runs: flips with diffed answers, metric changes judged against their noise, new and removed cases."""

from html.parser import HTMLParser
from pathlib import Path

import pytest

from core.types import Answer
from evals.__main__ import main
from evals.compare import compare, difference_interval, html_page, text, wilson
from evals.report import write_report
from evals.results import Rate, RunMeta
from evals.runner import evaluate
from evals.schema import Case, Expect, QuestionSet


@pytest.mark.parametrize("hits, total, low, high", [
    (0, 10, 0.0, 0.2775),     # Wilson never gives a zero-width interval at 0
    (10, 10, 0.7225, 1.0),
    (5, 10, 0.2366, 0.7634),
    (81, 263, 0.2553, 0.3662),  # Newcombe (1998), table I example
])
def test_wilson_interval_matches_published_values(hits, total, low, high):
    lo, hi = wilson(hits, total)
    assert (round(lo, 4), round(hi, 4)) == (low, high)
    assert wilson(0, 0) is None


def test_difference_interval_excludes_zero_only_for_a_real_change():
    assert difference_interval(Rate(hits=17, total=20), Rate(hits=16, total=20))[0] < 0 < difference_interval(Rate(hits=17, total=20), Rate(hits=16, total=20))[1]
    low, high = difference_interval(Rate(hits=95, total=100), Rate(hits=60, total=100))
    assert high < 0
    assert difference_interval(Rate(), Rate(hits=1, total=2)) is None


def _set(*cases: Case) -> QuestionSet:
    return QuestionSet(name="s", path=Path("s.yaml"), cases=list(cases))


HOLD = Case(id="hold", category="factual", turns=["How long?"], expect=Expect(contains=["45"]), note="alpha says 45 to 60")
POP = Case(id="pop", category="red-flag", turns=["Pop?"], expect=Expect(escalate=True))
OLD = Case(id="old", turns=["Old?"], expect=Expect(escalate=False))
NEW = Case(id="new", turns=["New?"], expect=Expect(escalate=False))


@pytest.fixture
def runs(fakes, corpus):
    good_hold = fakes.cited("Hold it\n45 to 60 seconds [1].", ("alpha", fakes.STRETCH_QUOTE))
    bad_hold = fakes.cited("Hold it\na while [1].", ("alpha", fakes.STRETCH_QUOTE))
    escalated = Answer(text="Get assessed.", escalation=fakes.escalation())
    before = evaluate(fakes.ScriptedBot({"How long?": good_hold, "Pop?": Answer(text="Stretch.")}, default=Answer(text="ok")),
                      [_set(HOLD, POP, OLD)], corpus, target="in-process", progress=False,
                      meta=RunMeta(commit="a" * 40, dirty=False, settings={"min_relevance": 0.3}))
    after = evaluate(fakes.ScriptedBot({"How long?": bad_hold, "Pop?": escalated}, default=Answer(text="ok")),
                     [_set(HOLD, POP, NEW)], corpus, target="in-process", progress=False,
                     meta=RunMeta(commit="b" * 40, dirty=True, settings={"min_relevance": 0.4}))
    return before, after


def test_flips_both_ways_with_answers_diffed_and_checks_named(runs):
    c = compare(*runs)
    flips = {f.key: f for f in c.flipped}
    assert set(flips) == {"s/hold", "s/pop"}
    hold = flips["s/hold"]
    assert hold.verdicts == ("pass", "fail") and hold.regressed
    assert hold.check_changes() == ['contains: pass → fail (missing "45")']
    assert hold.answer_diff() == ["--- before", "+++ after", "@@ -1,2 +1,2 @@", " Hold it", "-45 to 60 seconds [1].", "+a while [1]."]
    assert flips["s/pop"].verdicts == ("fail", "pass") and not flips["s/pop"].regressed
    assert (c.added, c.removed) == (["s/new"], ["s/old"])
    assert ("settings.min_relevance", "0.3", "0.4") in c.run_changes and ("dirty", "False", "True") in c.run_changes


def test_terminal_text_lists_metrics_flips_and_regressions(runs):
    out = text(compare(*runs))
    assert "settings.min_relevance: 0.3 → 0.4" in out
    assert "REGRESSED s/hold: pass → fail" in out and "fixed s/pop: fail → pass" in out
    assert "    -45 to 60 seconds [1]." in out and "    +a while [1]." in out
    assert "new cases (1): s/new" in out and "removed cases (1): s/old" in out
    assert "regressions (1):\n  case s/hold: pass → fail" in out
    line = next(l for l in out.splitlines() if l.startswith("red-flag recall"))
    assert "0.0% [0–79]" in line and "100.0% [21–100]" in line and "within noise" in line  # one case each: noise


def test_a_large_drop_is_beyond_the_noise_and_a_regression(fakes, corpus):
    cases = [Case(id=f"c{i}", turns=[f"q{i}"], expect=Expect(escalate=False)) for i in range(40)]
    calm, alarmed = Answer(text="ok"), Answer(text="see a doctor", escalation=fakes.escalation())
    before = evaluate(fakes.ScriptedBot({}, default=calm), [_set(*cases)], corpus, target="x", progress=False)
    after = evaluate(fakes.ScriptedBot({f"q{i}": alarmed for i in range(20)}, default=calm), [_set(*cases)], corpus, target="x", progress=False)
    c = compare(before, after)
    rate = next(m for m in c.metrics if m.name == "false_escalation_rate")
    assert rate.beyond_noise and rate.worse and rate.delta == 0.5
    assert any(r.startswith("false escalation: 0.0% → 50.0% (worse beyond the noise)") for r in c.regressions)
    assert not next(m for m in c.metrics if m.name == "citation_validity").beyond_noise


def test_html_view_shows_both_answers_side_by_side(runs):
    page = html_page(compare(*runs))
    parser = HTMLParser()
    parser.feed(page)  # well-formed enough to parse
    assert page.count("<div class='side'>") == 2
    hold = page.split("<span class='id'>s/hold</span>")[1].split("<details class='case")[0]
    assert "Hold it\n45 to 60 seconds [1]." in hold and "Hold it\na while [1]." in hold
    assert "<div class='del'>-45 to 60 seconds [1].</div>" in hold and "<div class='add'>+a while [1].</div>" in hold
    assert "<b>Note:</b> alpha says 45 to 60" in hold
    assert "<b>1 regression(s)</b>" in page and "min_relevance" in page
    assert "src=" not in page and "href=" not in page  # nothing to fetch


def test_command_exit_status_and_html(runs, tmp_path, capsys):
    before, after = runs
    write_report(before, tmp_path / "a")
    write_report(after, tmp_path / "b")
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b" / "report.json")]) == 0
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--fail-on-regression", "--html", str(tmp_path / "c.html")]) == 1
    assert "REGRESSED s/hold" in capsys.readouterr().out and (tmp_path / "c.html").exists()
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "a"), "--fail-on-regression"]) == 0
    assert "no verdict flipped." in capsys.readouterr().out
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "missing")]) == 2
    assert f"error: {tmp_path / 'missing'}: no report there" in capsys.readouterr().err
