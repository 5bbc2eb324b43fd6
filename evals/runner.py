"""The runner: plays each case's conversation against a bot (in-process or remote) and judges the last answer.

Earlier turns go to the bot as history, with the bot's own previous answers, just as a chat client would send them.
"""

import time
from datetime import datetime, timezone
from typing import Protocol

from tqdm import tqdm

from core.types import Answer, Message
from evals.checks import Corpus, judge
from evals.metrics import compute
from evals.results import CaseResult, CheckResult, Report, RubricResult, RunMeta, SetInfo, Throttling, TurnRecord
from evals.schema import Case, QuestionSet
from evals.thresholds import apply_thresholds


class AskingBot(Protocol):
    """What the runner needs of a bot: `bot.Bot`, `evals.remote.RemoteBot` and the tests' fakes all fit."""

    def ask(self, question: str, history: list[dict] | None = None) -> Answer: ...


class RubricGrader(Protocol):
    """What the runner needs of a rubric judge: `evals.rubric_judge.Judge` and the tests' fakes fit."""

    def grade(self, case: Case, answer: Answer, history: list[Message]) -> RubricResult: ...


def evaluate(
    bot: AskingBot,
    sets: list[QuestionSet],
    corpus: Corpus,
    *,
    target: str,
    repeat: int = 1,
    bars: dict[str, float] | None = None,
    progress: bool | None = None,
    meta: RunMeta | None = None,
    warnings: list[str] | None = None,
    grader: RubricGrader | None = None,
) -> Report:
    """Run every case of every set `repeat` times and return the full report (metrics and threshold verdicts).

    With a `grader`, each case's rubric is graded after its checks; without one, rubrics are left for a human.
    """
    created = datetime.now(timezone.utc)
    started = time.perf_counter()
    results = run_sets(bot, sets, corpus, repeat=repeat, progress=progress, grader=grader)
    metrics = compute(results)
    if meta is not None:
        meta = meta.model_copy(update={"finished": datetime.now(timezone.utc)})
    turns = [t for r in results for t in r.turns]
    return Report(
        created=created,
        target=target,
        meta=meta,
        warnings=list(warnings or []),
        throttling=Throttling(
            responses=sum(t.throttled for t in turns),
            wait_seconds=round(sum(t.throttle_wait_s for t in turns), 3),
            turns=sum(1 for t in turns if t.throttled),
        ),
        sets=[SetInfo(name=s.name, path=str(s.path or ""), cases=len(s.cases)) for s in sets],
        repeat=repeat,
        wall_seconds=time.perf_counter() - started,
        metrics=metrics,
        thresholds=apply_thresholds(bars or {}, metrics),
        cases=results,
    )


def run_sets(
    bot: AskingBot, sets: list[QuestionSet], corpus: Corpus, *, repeat: int = 1, progress: bool | None = None,
    grader: RubricGrader | None = None,
) -> list[CaseResult]:
    """All cases, all runs; run r of every case finishes before run r+1 starts, so a drifting bot shows up as inconsistency."""
    total = sum(len(s.cases) for s in sets) * repeat
    # progress=None lets tqdm decide: a bar on a terminal, silence in CI logs.
    with tqdm(total=total, unit="case", desc="evaluating", disable=None if progress is None else not progress) as bar:
        results = []
        for run in range(1, repeat + 1):
            for qset in sets:
                for case in qset.cases:
                    results.append(run_case(bot, case, qset.name, corpus, run=run, grader=grader))
                    bar.update()
    return results


def run_case(
    bot: AskingBot, case: Case, set_name: str, corpus: Corpus, *, run: int = 1, grader: RubricGrader | None = None
) -> CaseResult:
    """Play the case's turns in order; judge the answer to the last one (and grade its rubric, if it has one)."""
    history: list[Message] = []
    turns: list[TurnRecord] = []
    answer: Answer | None = None
    about = {
        "set_name": set_name, "case_id": case.id, "category": case.category, "tags": case.tags, "note": case.note,
        "variant_of": case.variant_of, "run": run, "expect": case.expect,
    }
    for question in case.turns:
        started = time.perf_counter()
        try:
            # model_validate returns an Answer as is, and turns anything else into a clear per-case error.
            answer = Answer.model_validate(bot.ask(question, [m.model_dump() for m in history]))
        except Exception as exc:  # noqa: BLE001 - one failing case must not abort the run; the error is reported on it
            error = f"{exc.__class__.__name__}: {exc}"
            turns.append(TurnRecord(question=question, error=error, **_throttling(bot)))
            return CaseResult(
                **about, turns=turns, error=error,
                checks=[CheckResult(name="answered", passed=False, why=f"turn {len(turns)} failed: {error}")],
                rubric=RubricResult(rubric=case.rubric, status="no answer") if case.rubric else None,
            )
        throttled = _throttling(bot)
        elapsed = time.perf_counter() - started - throttled["throttle_wait_s"]
        turns.append(TurnRecord(question=question, answer_text=answer.text, latency_ms=elapsed * 1000, **throttled))
        history += [Message(role="user", content=question), Message(role="assistant", content=answer.text)]
    assert answer is not None  # turns is never empty (schema)
    return CaseResult(
        **about, turns=turns, answer=answer, checks=judge(case.expect, answer, corpus), rubric=_rubric(case, answer, history[:-2], grader),
    )


def _throttling(bot: AskingBot) -> dict:
    """The 429s the last ask met (a RemoteBot records them; an in-process bot is never throttled)."""
    return {"throttled": getattr(bot, "rate_limited", 0), "throttle_wait_s": getattr(bot, "rate_limit_wait_s", 0.0)}


def _rubric(case: Case, answer: Answer, history: list[Message], grader: RubricGrader | None) -> RubricResult | None:
    if case.rubric is None:
        return None
    if grader is None:
        return RubricResult(rubric=case.rubric, status="needs a human")
    return grader.grade(case, answer, history)
