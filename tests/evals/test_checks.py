"""Each check on its own: what passes, what fails, and that the reason says why."""

from core.types import Answer, Citation, Conflict, ConflictPosition
from evals.checks import (
    check_citations,
    check_conflict,
    check_contains,
    check_escalate,
    check_not_contains,
    check_out_of_scope,
    check_sources_any,
    judge,
    normalise,
)
from evals.schema import Expect


def test_normalise_folds_case_quotes_and_whitespace():
    assert normalise("Don’t  STRETCH\n“it”") == "don't stretch \"it\""


def test_sources_any(fakes):
    answer = fakes.cited("Hold it [1]. Lift [2].", ("alpha", fakes.STRETCH_QUOTE), ("beta", fakes.DEADLIFT_QUOTE))
    assert check_sources_any(answer, ["beta", "gamma"]).passed
    miss = check_sources_any(answer, ["gamma"])
    assert not miss.passed and miss.why == "cited alpha, beta; expected any of gamma"
    assert check_sources_any(Answer(text="nothing"), ["alpha"]).why == "cited nothing; expected any of alpha"


def test_contains_is_case_insensitive_with_alternatives():
    answer = Answer(text="Hold each STRETCH for 45 to 60 seconds; don’t bounce.")
    assert check_contains(answer, ["45|90", "stretch", "don't"]).passed
    result = check_contains(answer, ["90|120", "static", "stretch"])
    assert not result.passed and result.why == 'missing "90|120", "static"'


def test_not_contains_names_what_was_found_in_context():
    answer = Answer(text="Stop running. Do not foam roll it yet.")
    assert check_not_contains(answer, ["stretch", "45|60"]).passed
    result = check_not_contains(answer, ["deadlift|Foam Roll"])
    assert not result.passed
    assert result.why.startswith('found "Foam Roll" in "…') and "do not foam roll it yet" in result.why


def test_escalate_both_ways(fakes):
    escalated = Answer(text="Get assessed.", escalation=fakes.escalation())
    calm = Answer(text="Hold for 45 seconds.")
    assert check_escalate(escalated, True).passed and check_escalate(calm, False).passed
    assert check_escalate(calm, True).why == "did not escalate; expected to"
    assert check_escalate(escalated, False).why == "escalated (a pop); expected not to"


def test_conflict_needs_two_sides(fakes):
    both = Answer(text="The sources disagree.", conflicts=[fakes.stretching_conflict()])
    one_sided = Answer(
        text="Stretch.",
        conflicts=[Conflict(topic="Static stretching", summary="s", positions=[
            ConflictPosition(source_id="alpha", stance="for", quote=fakes.STRETCH_QUOTE),
            ConflictPosition(source_id="alpha", stance="also for", quote="Stretch after a run, never before."),
        ])],
    )
    none = Answer(text="Lift.")
    assert check_conflict(both, True).passed
    assert check_conflict(one_sided, True).why == "only one side shown for Static stretching; expected one"
    assert check_conflict(none, True).why == "no disagreement surfaced; expected one"
    assert check_conflict(none, False).passed
    assert check_conflict(both, False).why == "surfaced Static stretching; expected none"


def test_out_of_scope_both_ways():
    declined = Answer(text="I can only help with hamstrings.", out_of_scope=True)
    answered = Answer(text="Hold 45 seconds.")
    assert check_out_of_scope(declined, True).passed and check_out_of_scope(answered, False).passed
    assert not check_out_of_scope(answered, True).passed and not check_out_of_scope(declined, False).passed


def test_citations_valid_when_markers_resolve_and_quotes_are_verbatim(fakes, corpus):
    answer = fakes.cited("Hold it [1]. Sore? Careful [2].", ("alpha", fakes.STRETCH_QUOTE), ("beta", fakes.AGAINST_QUOTE))
    answer.conflicts = [fakes.stretching_conflict()]
    result = check_citations(answer, corpus)
    assert result.passed and result.why == "4 quotes verbatim, every marker resolves"


def test_citation_quote_may_be_reflowed_but_not_reworded(corpus):
    # A quote spanning the article's line break, shown on one line, is still the article's words.
    reflowed = Answer(text="[1]", citations=[Citation(n=1, source_id="alpha", title="A",
                                                      quote="45 to 60 seconds.   Stretch after a run")])
    assert check_citations(reflowed, corpus).passed
    reworded = Answer(text="[1]", citations=[Citation(n=1, source_id="alpha", title="A", quote="Hold each stretch for 30 seconds.")])
    assert check_citations(reworded, corpus).why == "citation [1]: quote not verbatim in alpha: 'Hold each stretch for 30 seconds.'"


def test_citation_problems_are_all_reported(fakes, corpus):
    answer = Answer(
        text="One [1], two [2], three [3], three again [3].",
        citations=[
            Citation(n=1, source_id="gamma", title="G", quote="anything"),
            Citation(n=2, source_id="beta", title="B", quote="  "),
        ],
        conflicts=[Conflict(topic="T", summary="s", positions=[ConflictPosition(source_id="beta", stance="x", quote="Invented.")])],
    )
    result = check_citations(answer, corpus)
    assert not result.passed
    assert result.why == ("[3] has no citation; citation [1]: no article with id 'gamma'; "
                          "citation [2]: empty quote from beta; and 1 more")


def test_judge_runs_only_the_checks_asked_for_plus_citations(fakes, corpus):
    answer = fakes.cited("Hold 45 to 60 seconds [1].", ("alpha", fakes.STRETCH_QUOTE))
    assert [c.name for c in judge(Expect(), answer, corpus)] == ["citations"]
    full = Expect(sources_any=["alpha"], contains=["45"], not_contains=["foam"], escalate=False, conflict=False, out_of_scope=False)
    results = judge(full, answer, corpus)
    assert [c.name for c in results] == ["sources_any", "contains", "not_contains", "escalate", "conflict", "out_of_scope", "citations"]
    assert all(c.passed for c in results)


def test_cites_quote_needs_a_citation_quoting_it_verbatim(fakes):
    from evals.checks import check_cites_quote

    answer = fakes.cited("Hold it [1].", ("alpha", fakes.STRETCH_QUOTE))
    assert check_cites_quote(answer, ["45 to 60 SECONDS", "hold each stretch"]).passed  # case folded, a part is enough
    miss = check_cites_quote(answer, ["45 to 60 seconds", "Static stretching makes sore hamstrings worse."])
    assert not miss.passed and miss.why == "no citation quotes 'Static stretching makes sore hamstrings worse.' (1 citations)"
    # Saying the words is not citing them.
    said = Answer(text="Static stretching makes sore hamstrings worse.")
    assert check_cites_quote(said, ["static stretching"]).why == "no citation quotes 'static stretching' (no citations)"


def test_regex_must_match_the_answer_text_case_insensitively():
    from evals.checks import check_regex

    answer = Answer(text="Hold each stretch for 45 to 60 seconds.")
    assert check_regex(answer, [r"\b(45|60)\s+(to\s+60\s+)?seconds", r"^hold"]).passed
    miss = check_regex(answer, [r"\bminutes?\b", "hold"])
    assert not miss.passed and miss.why == r"no match for /\bminutes?\b/"


def test_judge_runs_the_new_checks_in_order(fakes, corpus):
    answer = fakes.cited("Hold it 45 to 60 seconds [1].", ("alpha", fakes.STRETCH_QUOTE))
    results = judge(Expect(regex=["45"], cites_quote=["Hold each stretch"], contains=["hold"]), answer, corpus)
    assert [r.name for r in results] == ["contains", "cites_quote", "regex", "citations"]
    assert all(r.passed for r in results)
