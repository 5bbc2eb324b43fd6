"""The runner: conversations are replayed with the bot's own answers as history, and failures stay on their case."""

from pathlib import Path

from core.types import Answer
from evals.runner import evaluate, run_case
from evals.schema import Case, Expect, QuestionSet


def test_earlier_turns_go_as_history_with_the_bots_own_answers(fakes, corpus):
    bot = fakes.ScriptedBot({
        "What is tendinopathy?": Answer(text="Tendon irritation."),
        "How do I prevent it?": Answer(text="Load it gradually."),
        "And hills?": fakes.cited("Moderate hills [1].", ("alpha", fakes.STRETCH_QUOTE)),
    })
    case = Case(id="follow", turns=["What is tendinopathy?", "How do I prevent it?", "And hills?"], expect=Expect(contains=["hills"]))
    result = run_case(bot, case, "demo", corpus)
    assert [h for _, h in bot.calls] == [
        [],
        [{"role": "user", "content": "What is tendinopathy?"}, {"role": "assistant", "content": "Tendon irritation."}],
        [{"role": "user", "content": "What is tendinopathy?"}, {"role": "assistant", "content": "Tendon irritation."},
         {"role": "user", "content": "How do I prevent it?"}, {"role": "assistant", "content": "Load it gradually."}],
    ]
    assert result.answer.text == "Moderate hills [1]."  # the last answer is the judged one
    assert [t.answer_text for t in result.turns] == ["Tendon irritation.", "Load it gradually.", "Moderate hills [1]."]
    assert all(t.latency_ms is not None and t.latency_ms >= 0 for t in result.turns)
    assert result.passed and [c.name for c in result.checks] == ["contains", "citations"]


def test_a_failing_ask_is_recorded_on_its_case_not_raised(fakes, corpus):
    def explode(question, history):
        raise RuntimeError("index is gone")

    bot = fakes.ScriptedBot({"first": Answer(text="ok"), "second": explode})
    result = run_case(bot, Case(id="boom", turns=["first", "second"], expect=Expect(escalate=True)), "demo", corpus)
    assert not result.passed and result.answer is None
    assert result.error == "RuntimeError: index is gone"
    assert [c.model_dump() for c in result.checks] == [
        {"name": "answered", "passed": False, "why": "turn 2 failed: RuntimeError: index is gone"}]
    assert [t.error for t in result.turns] == [None, "RuntimeError: index is gone"]


def test_a_reply_that_is_not_an_answer_is_a_case_error(fakes, corpus):
    bot = fakes.ScriptedBot({"q": lambda q, h: {"text": "serialised", "citations": []}, "bad": lambda q, h: {"txt": 1}})
    assert run_case(bot, Case(id="dict", turns=["q"]), "demo", corpus).passed  # Answer JSON is accepted
    broken = run_case(bot, Case(id="bad", turns=["bad"]), "demo", corpus)
    assert broken.error.startswith("ValidationError") and not broken.passed


def test_evaluate_repeats_every_case_and_reports_consistency(fakes, corpus):
    answers = iter([Answer(text="See a doctor.", escalation=fakes.escalation()), Answer(text="Stretch it.")])
    bot = fakes.ScriptedBot({"pop": lambda q, h: next(answers), "steady": Answer(text="Plain.")})
    qset = QuestionSet(name="demo", cases=[Case(id="pop", turns=["pop"], expect=Expect(escalate=True)),
                                           Case(id="steady", turns=["steady"], expect=Expect(escalate=False))], path=Path("demo.yaml"))
    report = evaluate(bot, [qset], corpus, target="in-process", repeat=2, bars={"red_flag_recall": 1.0}, progress=False)
    assert [(r.case_id, r.run) for r in report.cases] == [("pop", 1), ("steady", 1), ("pop", 2), ("steady", 2)]
    assert report.metrics.inconsistent_cases == ["demo/pop"]
    assert (report.metrics.red_flag_recall.hits, report.metrics.red_flag_recall.total) == (1, 2)
    assert not report.thresholds_passed and report.repeat == 2
    assert report.sets[0].model_dump() == {"name": "demo", "path": "demo.yaml", "cases": 2}
