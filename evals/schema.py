"""Question sets: the YAML files evaluators write, and the loader that validates them.

Every problem in a set is reported at once, one line each, naming the file, the case id and the field.
"""

from pathlib import Path
from typing import Any

import re

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError, field_validator

from evals.errors import EvalSetError, read_text


def alternatives(item: str) -> list[str]:
    """'45|60' -> ['45', '60']: an expectation item is met when any alternative is."""
    return [alt.strip() for alt in item.split("|")]


def _check_alternatives(items: list[str] | None) -> list[str] | None:
    for item in items or []:
        if any(not alt for alt in alternatives(item)):
            raise ValueError(f"{item!r} has an empty alternative; write 'a|b' with text on both sides of '|'")
    return items


# extra="allow" so unknown keys survive validation and can be warned about, not silently dropped.
class Expect(BaseModel):
    """What the judged answer must show; a key left out is not checked."""

    model_config = ConfigDict(extra="allow")

    sources_any: list[StrictStr] | None = Field(None, description="At least one citation comes from one of these article ids.")
    contains: list[StrictStr] | None = Field(None, description="Each item appears in the answer text, case-insensitive; 'a|b' = a or b.")
    not_contains: list[StrictStr] | None = Field(None, description="No alternative of any item appears in the answer text.")
    escalate: StrictBool | None = Field(None, description="True: the answer escalates to a clinician; False: it must not.")
    conflict: StrictBool | None = Field(None, description="True: a disagreement between the articles is surfaced; False: none is.")
    out_of_scope: StrictBool | None = Field(None, description="True: the question is declined as outside the articles.")
    lead_contains: list[StrictStr] | None = Field(
        None, description="Each item appears in the lead (the article text said first); 'a|b' = a or b."
    )
    lead_source: list[StrictStr] | None = Field(None, description="The lead is quoted from one of these article ids.")
    body_not_contains: list[StrictStr] | None = Field(
        None, description="No alternative of any item appears in the body (lead, supporting items, notices)."
    )
    says_not_covered: StrictBool | None = Field(
        None, description="True: the answer says first that the articles don't discuss what was asked."
    )
    max_words: StrictInt | None = Field(None, gt=0, description="The body (lead, supporting items, notices) has at most this many words.")
    cites_quote: list[StrictStr] | None = Field(
        None, description="Each item is article text that some citation of the answer quotes verbatim (case and quotes aside)."
    )
    regex: list[StrictStr] | None = Field(
        None, description="Each Python regular expression matches somewhere in the answer text (case-insensitive)."
    )

    @field_validator("regex")
    @classmethod
    def _patterns_compile(cls, value: list[str] | None) -> list[str] | None:
        for pattern in value or []:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression ({exc}); escape special characters with \\") from None
        return value

    @field_validator("cites_quote")
    @classmethod
    def _quotes_have_text(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and (not value or any(not q.strip() for q in value)):
            raise ValueError("every quote needs text; name at least one or leave the key out")
        return value

    def checked(self) -> list[str]:
        """The expectation keys this case sets, i.e. the checks it asks for."""
        return [name for name in type(self).model_fields if getattr(self, name) is not None]

    @field_validator("lead_source", mode="before")
    @classmethod
    def _one_or_more(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("contains", "not_contains", "lead_contains", "body_not_contains")
    @classmethod
    def _items_have_text(cls, value: list[str] | None) -> list[str] | None:
        return _check_alternatives(value)

    @field_validator("sources_any", "lead_source")
    @classmethod
    def _not_empty(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise ValueError("empty list; name at least one article id or leave the key out")
        return value


class Case(BaseModel):
    """One conversation: the user turns in order; the answer to the last one is judged."""

    model_config = ConfigDict(extra="allow")

    id: StrictStr = Field(min_length=1, description="Unique within the set; names the case in reports.")
    turns: list[StrictStr] = Field(min_length=1, description="User messages, oldest first; the last is judged.")
    expect: Expect = Field(default_factory=Expect)
    category: StrictStr | None = Field(None, description="Groups cases in the report (factual, red-flag, conflict, ...).")
    tags: list[StrictStr] = Field(default_factory=list, description="Free labels to select cases by (e.g. tune, confirm).")
    note: StrictStr | None = Field(None, description="For humans: the article sentence that justifies the expectation.")
    rubric: StrictStr | None = Field(None, description="For a grader: what a good answer says, in plain words.")
    variant_of: StrictStr | None = Field(
        None, description="Set by `evals vary`: the id of the case this one rewords; reports show it beside the original."
    )

    @field_validator("turns")
    @classmethod
    def _turns_have_text(cls, turns: list[str]) -> list[str]:
        if any(not turn.strip() for turn in turns):
            raise ValueError("a turn is empty; every user message needs text")
        return turns


class QuestionSet(BaseModel):
    """A named list of cases, as read from one YAML file."""

    model_config = ConfigDict(extra="allow")

    name: StrictStr = Field(min_length=1)
    cases: list[Case] = Field(min_length=1)
    path: Path | None = Field(None, exclude=True, description="The file it was read from (set by the loader).")


def load_set(path: Path, strict: bool = False) -> tuple[QuestionSet, list[str]]:
    """Read and validate one set; returns it with warnings (unknown keys), or raises EvalSetError.

    A case that asks for no check (no expectation and no rubric) is an error: it would pass without checking
    anything. With `strict`, unknown keys are errors too.

    >>> qs, warnings = load_set(Path("evals/sets/core.yaml"))
    >>> qs.cases[0].turns[-1]
    'What are the three hamstring muscles?'
    """
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise EvalSetError(f"{path}: a question set is a mapping with 'name' and 'cases'; found {type(raw).__name__}.")
    problems: list[str] = []
    try:
        qset = QuestionSet.model_validate(raw)
    except ValidationError as exc:
        problems = [_describe(path, raw, err) for err in exc.errors()]
        qset = None
    problems += _duplicate_ids(path, raw)
    if qset is not None:
        problems += _checkless(path, qset)
        if strict:
            problems += [f"{w.removesuffix(' ignored')} (--strict: fix or remove it)" for w in _unknown_keys(path, qset)]
    if problems:
        raise EvalSetError("\n".join(dict.fromkeys(problems)))  # dedupe, keep order
    assert qset is not None
    qset.path = path
    return qset, _unknown_keys(path, qset)


def select(qset: QuestionSet, *, tags: list[str] = (), categories: list[str] = (), ids: list[str] = ()) -> QuestionSet:
    """The set with only the cases that have every tag given, one of the categories and one of the ids
    given (a filter left empty keeps everything); EvalSetError when nothing is left."""
    cases = [
        c for c in qset.cases
        if set(tags) <= set(c.tags) and (not categories or c.category in categories) and (not ids or c.id in ids)
    ]
    if not cases:
        wanted = ", ".join(f"{name} {values}" for name, values in (("tags", tags), ("categories", categories), ("ids", ids)) if values)
        raise EvalSetError(f"{qset.path}: no case matches {wanted}; check the spelling, or leave the filter out.")
    return qset.model_copy(update={"cases": cases})


def check_sources(qset: QuestionSet, known_ids: set[str], is_article_text=None) -> None:
    """Reject a set naming article ids the corpus does not have, or a cites_quote no article contains
    (`is_article_text(quote) -> bool`): a typo would make the case unpassable."""
    problems = [
        f"{qset.path}: case {case.id!r}: expect.{key}: unknown article id {source!r}; known: {', '.join(sorted(known_ids))}"
        for case in qset.cases
        for key in ("sources_any", "lead_source")
        for source in getattr(case.expect, key) or []
        if source not in known_ids
    ]
    if is_article_text is not None:
        problems += [
            f"{qset.path}: case {case.id!r}: expect.cites_quote: {quote!r} is not text of any article; copy it from the article"
            for case in qset.cases
            for quote in case.expect.cites_quote or []
            if not is_article_text(quote)
        ]
    if problems:
        raise EvalSetError("\n".join(problems))


def _read_yaml(path: Path) -> Any:
    text = read_text(path, EvalSetError)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or exc.__class__.__name__
        raise EvalSetError(f"{path}: not valid YAML{where}: {problem}.") from None


def _describe(path: Path, raw: dict, err: dict) -> str:
    """One pydantic error -> 'file: case 'id' (cases[3]): expect.escalate: <message>'."""
    loc = list(err["loc"])
    where = ""
    if len(loc) >= 2 and loc[0] == "cases" and isinstance(loc[1], int):
        index = loc[1]
        case_raw = raw.get("cases", [])[index] if isinstance(raw.get("cases"), list) else None
        case_id = case_raw.get("id") if isinstance(case_raw, dict) else None
        where = f"case {case_id!r} (cases[{index}]): " if case_id is not None else f"cases[{index}]: "
        loc = loc[2:]
    field = ".".join(str(part) for part in loc) or "(whole entry)"
    message = err["msg"]
    if err["type"] == "missing":
        message = "required field is missing"
    elif "input" in err and err["type"].endswith("_type"):
        message = f"{message} (got {type(err['input']).__name__} {_short(err['input'])})"
    return f"{path}: {where}{field}: {message}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _duplicate_ids(path: Path, raw: dict) -> list[str]:
    cases = raw.get("cases")
    if not isinstance(cases, list):
        return []
    first_seen: dict[str, int] = {}
    problems = []
    for index, case in enumerate(cases):
        case_id = case.get("id") if isinstance(case, dict) else None
        if not isinstance(case_id, str):
            continue
        if case_id in first_seen:
            problems.append(f"{path}: case {case_id!r} (cases[{index}]): id: duplicate id, first used at cases[{first_seen[case_id]}]")
        else:
            first_seen[case_id] = index
    return problems


def _checkless(path: Path, qset: QuestionSet) -> list[str]:
    known = ", ".join(Expect.model_fields)
    problems = []
    for case in qset.cases:
        if case.expect.checked() or case.rubric:
            continue
        unknown = list(case.expect.model_extra or {})
        hint = f" (unknown: {', '.join(unknown)})" if unknown else ""
        problems.append(f"{path}: case {case.id!r}: expect: no recognisable check{hint}; use one of {known}, or a rubric")
    return problems


def _unknown_keys(path: Path, qset: QuestionSet) -> list[str]:
    warnings = [f"{path}: unknown key {key!r} ignored" for key in qset.model_extra or {}]
    for case in qset.cases:
        warnings += [f"{path}: case {case.id!r}: unknown key {key!r} ignored" for key in case.model_extra or {}]
        warnings += [f"{path}: case {case.id!r}: unknown key 'expect.{key}' ignored" for key in case.expect.model_extra or {}]
    return warnings
