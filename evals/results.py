"""The records a run produces: each check's verdict, each case's conversation and answer, the whole report.

They are pydantic models because report.json is their serialised form; report.py only renders them.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, computed_field

from core.types import Answer
from evals.schema import Expect


class CheckResult(BaseModel):
    name: str = Field(description="sources_any, contains, not_contains, escalate, conflict, out_of_scope, citations or answered.")
    passed: bool
    why: str = Field(description="What was expected and what the answer showed, in a sentence.")


class TurnRecord(BaseModel):
    """One user message sent and what came back (earlier turns are kept so multi-turn failures can be read)."""

    question: str
    answer_text: str | None = None
    latency_ms: float | None = None
    error: str | None = None
    throttled: int = Field(0, description="HTTP 429 replies waited out before this turn was answered (--url only).")
    throttle_wait_s: float = Field(0.0, description="Seconds spent waiting them out; not counted in latency_ms.")


RubricStatus = Literal["graded", "judge error", "needs a human", "no answer"]
GRADE_LABELS = {0: "misses", 1: "partly", 2: "meets"}


class RubricResult(BaseModel):
    """A case's rubric and how it was graded: by a judge model, by a human (`evals grade`), or not yet.

    Rubric grades are an opinion reported beside the checks; they never change a case's pass or the metrics.
    """

    rubric: str = Field(description="What a good answer says, in the evaluator's plain words (the case's `rubric:`).")
    status: RubricStatus = Field(description="graded; judge error (see reason); needs a human (no judge, or not yet); no answer.")
    grade: int | None = Field(None, ge=0, le=2, description="2 meets the rubric, 1 meets part of it, 0 misses it; None until graded.")
    reason: str | None = Field(None, description="The grader's reason; for a judge error, what went wrong.")
    grader: Literal["judge", "human"] | None = Field(None, description="Who gave the grade (or tried to).")
    grader_name: str | None = Field(None, description="The human's name or initials, from the CSV's grader column.")
    judge_model: str | None = Field(None, description="The judge's model name, when a judge graded (or failed to).")
    judge_url: str | None = Field(None, description="The judge's OpenAI-compatible endpoint (base URL).")


class CaseResult(BaseModel):
    """One run of one case: the conversation, the judged answer and every check's verdict."""

    set_name: str
    case_id: str
    category: str | None = None
    tags: list[str] = Field(default_factory=list)
    note: str | None = Field(None, description="The case author's justification of the expectation.")
    variant_of: str | None = Field(None, description="For a variant from `evals vary`: the id of its original case.")
    run: int = Field(1, description="1-based run number when --repeat is above 1.")
    expect: Expect
    turns: list[TurnRecord]
    answer: Answer | None = Field(None, description="The judged (last) answer; None when asking failed.")
    checks: list[CheckResult]
    error: str | None = Field(None, description="Why no answer was obtained, when asking failed.")
    rubric: RubricResult | None = Field(None, description="The rubric and its grade, when the case has one; not part of `passed`.")

    @computed_field
    @property
    def passed(self) -> bool:
        return self.error is None and all(check.passed for check in self.checks)

    @computed_field
    @property
    def latency_ms(self) -> float | None:
        """Latency of the judged turn."""
        return self.turns[-1].latency_ms if self.turns else None

    @property
    def key(self) -> str:
        return f"{self.set_name}/{self.case_id}"


class SetInfo(BaseModel):
    name: str
    path: str
    cases: int


class Rate(BaseModel):
    """hits out of total; value is None when no case measured it (e.g. a set without red-flag cases)."""

    hits: int = 0
    total: int = 0

    @computed_field
    @property
    def value(self) -> float | None:
        return self.hits / self.total if self.total else None


class Metrics(BaseModel):
    """Every figure of a run; definitions in evals/metrics.py."""

    cases: int = Field(description="Case runs judged (cases x repeat).")
    pass_rate: Rate
    check_pass_rates: dict[str, Rate]
    category_pass_rates: dict[str, Rate]
    error_rate: Rate
    source_hit_rate: Rate
    first_citation_hit_rate: Rate
    red_flag_recall: Rate
    false_escalation_rate: Rate
    conflict_surfacing_rate: Rate
    false_conflict_rate: Rate
    out_of_scope_precision: Rate
    out_of_scope_recall: Rate
    citation_validity: Rate
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    latency_samples: list[float] = Field(description="Every successful ask, in ms (all turns, all runs).")
    repeat_consistency: Rate | None = Field(None, description="Cases whose verdicts were identical in every run; None without --repeat.")
    inconsistent_cases: list[str] = Field(default_factory=list)


class BarResult(BaseModel):
    """One threshold applied to one metric."""

    metric: str
    bound: Literal["min", "max"]
    bar: float
    actual: float | None
    passed: bool
    why: str


class Throttling(BaseModel):
    """How often a server (--url) answered 429 Too Many Requests, and how long the runner waited it out."""

    responses: int = 0
    wait_seconds: float = 0.0
    turns: int = Field(0, description="Turns that met at least one 429.")


class RunMeta(BaseModel):
    """What was run, so a report can be understood (and compared) later."""

    commit: str | None = Field(None, description="git HEAD of the evaluating checkout; None outside a git checkout.")
    dirty: bool | None = Field(None, description="True when tracked files differed from the commit.")
    corpus_version: str | None = Field(None, description="Fingerprint of the articles (and answer-unit rules) evaluated.")
    rule_files: dict[str, str] = Field(default_factory=dict, description="sha256 (first 16 hex) of every reviewed rule file.")
    index_manifest: dict | None = Field(None, description="The live index manifest (in-process runs).")
    embedding_model: str | None = None
    settings: dict[str, object] = Field(default_factory=dict, description="Every setting that affects answers (in-process runs).")
    set_files: dict[str, str] = Field(default_factory=dict, description="sha256 (first 16 hex) of each question set file.")
    target: str = "in-process"
    health: dict | None = Field(None, description="The server's /api/health reply (--url runs).")
    python: str | None = None
    command: list[str] = Field(default_factory=list, description="The evals command line.")
    finished: datetime | None = None


class Report(BaseModel):
    """Everything report.json holds; the version header lets later readers refuse a format they don't know.

    Version 2 added meta, warnings, throttling and per-case tags/note/rubric; version 1 reports still load.
    """

    format: Literal["hamstring-evals-report"] = "hamstring-evals-report"
    version: Literal[1, 2] = 2
    created: datetime
    target: str = Field(description="'in-process' or the URL of the server evaluated.")
    meta: RunMeta | None = None
    warnings: list[str] = Field(default_factory=list, description="Unknown keys in the sets (ignored), and other things to fix.")
    throttling: Throttling = Field(default_factory=Throttling)
    sets: list[SetInfo]
    repeat: int
    wall_seconds: float
    metrics: Metrics
    thresholds: list[BarResult] = Field(default_factory=list)
    cases: list[CaseResult]

    @property
    def thresholds_passed(self) -> bool:
        return all(bar.passed for bar in self.thresholds)


def runs_by_case(cases: list[CaseResult]) -> dict[str, list[CaseResult]]:
    """'set/case' -> its runs in run order, cases in the order they were first run."""
    grouped: dict[str, list[CaseResult]] = {}
    for result in cases:
        grouped.setdefault(result.key, []).append(result)
    return grouped
