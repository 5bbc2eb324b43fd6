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


class CaseResult(BaseModel):
    """One run of one case: the conversation, the judged answer and every check's verdict."""

    set_name: str
    case_id: str
    category: str | None = None
    run: int = Field(1, description="1-based run number when --repeat is above 1.")
    expect: Expect
    turns: list[TurnRecord]
    answer: Answer | None = Field(None, description="The judged (last) answer; None when asking failed.")
    checks: list[CheckResult]
    error: str | None = Field(None, description="Why no answer was obtained, when asking failed.")

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


class Report(BaseModel):
    """Everything report.json holds; the version header lets later readers refuse a format they don't know."""

    format: Literal["hamstring-evals-report"] = "hamstring-evals-report"
    version: Literal[1] = 1
    created: datetime
    target: str = Field(description="'in-process' or the URL of the server evaluated.")
    sets: list[SetInfo]
    repeat: int
    wall_seconds: float
    metrics: Metrics
    thresholds: list[BarResult] = Field(default_factory=list)
    cases: list[CaseResult]

    @property
    def thresholds_passed(self) -> bool:
        return all(bar.passed for bar in self.thresholds)
