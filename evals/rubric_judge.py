"""Rubric grading by a judge model: any OpenAI-compatible endpoint, reached through LangChain's ChatOpenAI.

The prompt is data (judge_prompt.yaml); a reply that is not the JSON asked for, a timeout or a refused connection
becomes a "judge error: …" on that case (after a bounded retry), never a grade and never a crashed run.

(Not named evals/judge.py: `evals.judge` is already the public check-running function re-exported by the package,
and a submodule of that name would replace it as an attribute of `evals` once imported.)
"""

import json
from pathlib import Path
from typing import Literal

import yaml
from langchain_core.language_models import BaseChatModel
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable
from langchain_core.utils.json import parse_json_markdown
from pydantic import BaseModel, Field, SecretStr, StrictInt, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.types import Answer, Message
from evals.checks import clip
from evals.errors import EvalError
from evals.results import RubricResult
from evals.schema import Case

PROMPT_PATH = Path(__file__).with_name("judge_prompt.yaml")
PROMPT_VERSION = 1
PROMPT_VARIABLES = {"rubric", "conversation", "question", "answer", "passages"}
REPLY_SHOWN_CHARS = 160  # how much of a malformed reply the report quotes: enough to see what came back
REASON_MAX_CHARS = 300  # json_object_schema only: about 60 words, well inside max_tokens
# After this many cases in a row whose every attempt failed to reach the judge (timeouts, refused connections, HTTP
# errors), the rest are not sent: a judge that is down would otherwise cost timeout x attempts on each of 161 cases.
MAX_CASES_FAILING_IN_A_ROW = 3


class JudgeSettings(BaseSettings):
    """The judge's connection, read from HAMSTRING_JUDGE_* variables (or the run's --judge-* flags).

    Kept apart from core.settings.Settings: only the evaluation harness has a judge, and the bot must not know of it.
    """

    model_config = SettingsConfigDict(env_prefix="HAMSTRING_JUDGE_", extra="ignore")

    url: str | None = Field(
        None, description="Base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:8080/v1; unset leaves rubrics for a human."
    )
    model: str = Field("judge", description="Model name sent to the endpoint (a local server with one model may ignore it).")
    api_key: SecretStr | None = Field(None, description="API key for the endpoint; local servers usually need none.")
    timeout: float = Field(60.0, gt=0, description="Seconds to wait for one reply before it counts as a failed attempt.")
    retries: int = Field(1, ge=0, le=5, description="Extra attempts after a timeout, a connection error, a 5xx/429 or a malformed reply.")
    max_tokens: int = Field(300, ge=16, description="Longest reply asked of the judge; the JSON verdict needs far less.")
    response_format: Literal["json_schema", "json_object_schema", "json_object", "none"] = Field(
        "json_schema",
        description="Structured output asked of the endpoint: json_schema (OpenAI's form: grade and reason constrained), "
        "json_object_schema (json_object with a 'schema', the form llama-cpp-python's server takes), json_object (any JSON), "
        "or none for an endpoint that rejects response_format (the prompt still asks for JSON).",
    )
    prompt_path: Path = Field(PROMPT_PATH, description="YAML file with the judge's system and user messages.")


class Verdict(BaseModel):
    """The reply the judge must give: {"grade": 0|1|2, "reason": "..."}."""

    grade: StrictInt = Field(ge=0, le=2, description="2 meets the rubric, 1 meets part of it, 0 misses it.")
    reason: str = Field(min_length=1, description="Why, in a sentence or two.")


def load_prompt(path: Path = PROMPT_PATH) -> ChatPromptTemplate:
    """The judge's prompt from its YAML file, checked: version 1, a system and a user message, every placeholder used.

    >>> sorted(load_prompt().input_variables)
    ['answer', 'conversation', 'passages', 'question', 'rubric']
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalError(f"judge prompt {path}: cannot read ({exc}); set HAMSTRING_JUDGE_PROMPT_PATH to a readable UTF-8 file.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise EvalError(f"judge prompt {path}: not valid YAML{where} ({getattr(exc, 'problem', None) or exc.__class__.__name__}); "
                        "write each message as a block (system: | then indented lines).") from None
    if not isinstance(raw, dict) or raw.get("version") != PROMPT_VERSION:
        raise EvalError(f"judge prompt {path}: expected a mapping with 'version: {PROMPT_VERSION}', 'system' and 'user'.")
    missing = [key for key in ("system", "user") if not isinstance(raw.get(key), str) or not raw[key].strip()]
    if missing:
        raise EvalError(f"judge prompt {path}: {' and '.join(missing)} message missing or empty; write both as text.")
    try:
        prompt = ChatPromptTemplate.from_messages([("system", raw["system"]), ("human", raw["user"])])
    except (ValueError, KeyError) as exc:
        raise EvalError(f"judge prompt {path}: {exc}; write a literal brace twice ({{{{ or }}}}).") from None
    used = set(prompt.input_variables)
    problems = [f"never uses {{{name}}}" for name in sorted(PROMPT_VARIABLES - used)]
    problems += [f"uses unknown placeholder {{{name}}}" for name in sorted(used - PROMPT_VARIABLES)]
    if problems:
        raise EvalError(
            f"judge prompt {path}: {'; '.join(problems)}; the placeholders are {', '.join(sorted(PROMPT_VARIABLES))} "
            "(a literal brace is written twice)."
        )
    return prompt


def prompt_inputs(case: Case, answer: Answer, history: list[Message]) -> dict[str, str]:
    """What the prompt's placeholders are filled with for one case."""
    assert case.rubric is not None
    conversation = "\n".join(f"{m.role}: {' '.join(m.content.split())}" for m in history) or "(none)"
    passages = "\n".join(
        f"[{c.n}] {c.title}{f' ({c.section})' if c.section else ''}: “{c.quote}”" for c in sorted(answer.citations, key=lambda c: c.n)
    ) or "(the answer cited no passage)"
    return {"rubric": case.rubric, "conversation": conversation, "question": case.turns[-1], "answer": answer.text, "passages": passages}


class Judge:
    """Grades a case's rubric with a chat model; every failure ends as a 'judge error' RubricResult, never an exception."""

    def __init__(self, chat: Runnable, *, model: str, url: str, prompt: ChatPromptTemplate | None = None, retries: int = 1,
                 timeout: float | None = None):
        self.chat = chat
        self.model = model
        self.url = url
        self.prompt = prompt or load_prompt()
        self.retries = retries
        self.timeout = timeout
        self.unreachable_in_a_row = 0
        self.last_problem = ""

    @classmethod
    def from_settings(cls, settings: JudgeSettings) -> "Judge | None":
        """The configured judge, or None when no URL is set (rubrics are then left for a human)."""
        if not settings.url:
            return None
        # Imported only when a judge is configured: the OpenAI client adds about 0.6 s to every run's start-up.
        from langchain_openai import ChatOpenAI

        chat: BaseChatModel = ChatOpenAI(
            model=settings.model,
            base_url=settings.url,
            # The OpenAI client refuses to start without a key; local servers ignore whatever is sent.
            api_key=settings.api_key or SecretStr("not-needed"),
            timeout=settings.timeout,
            max_retries=0,  # retries are ours, counted and bounded by settings.retries
            temperature=0,
            max_tokens=settings.max_tokens,
            use_responses_api=False,  # OpenAI-compatible servers speak chat completions
        )
        runnable: Runnable = chat
        if settings.response_format != "none":
            runnable = chat.bind(response_format=_response_format(settings.response_format))
        return cls(runnable, model=settings.model, url=settings.url, prompt=load_prompt(settings.prompt_path),
                   retries=settings.retries, timeout=settings.timeout)

    @property
    def label(self) -> str:
        return f"{self.model} at {self.url}"

    def grade(self, case: Case, answer: Answer, history: list[Message]) -> RubricResult:
        assert case.rubric is not None
        if self.unreachable_in_a_row >= MAX_CASES_FAILING_IN_A_ROW:
            return self._result(case, status="judge error", reason=(
                f"judge error: not asked, the judge failed on {self.unreachable_in_a_row} cases in a row "
                f"(last: {self.last_problem}); fix the judge and re-run, or grade the CSV by hand"))
        messages = self.prompt.format_messages(**prompt_inputs(case, answer, history))
        problem, reached = "", False
        for attempt in range(1, self.retries + 2):
            try:
                reply = self.chat.invoke(messages)
            except Exception as exc:  # noqa: BLE001 - whatever the endpoint does, the run goes on and the case says why
                problem, retryable = self._transport_problem(exc)
                if not retryable:
                    break
                continue
            reached = True
            try:
                verdict = self._verdict(_text(reply.content))
            except ValueError as exc:
                problem = str(exc)
                continue
            self.unreachable_in_a_row = 0
            return self._result(case, status="graded", grade=verdict.grade, reason=verdict.reason)
        # A judge that replies, however badly, is up: only cases that never got a reply count towards giving up.
        self.unreachable_in_a_row = 0 if reached else self.unreachable_in_a_row + 1
        self.last_problem = problem
        tried = f" (after {attempt} attempt{'s' if attempt > 1 else ''})"
        return self._result(case, status="judge error", reason=f"judge error: {problem}{tried}")

    def _verdict(self, reply: str) -> Verdict:
        shown = clip(reply, REPLY_SHOWN_CHARS)
        try:
            # Strict JSON (json.loads: no completing of a cut-off reply), but a ```json fence around it is allowed.
            data = parse_json_markdown(reply, parser=json.loads)
        except ValueError:
            raise ValueError(f"the reply is not JSON: “{shown}”") from None
        try:
            return Verdict.model_validate(data)
        except ValidationError as exc:
            fields = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'reply'}: {e['msg']}" for e in exc.errors())
            raise ValueError(f'the reply is not {{"grade": 0|1|2, "reason": "…"}} ({fields}): “{shown}”') from None

    def _transport_problem(self, exc: Exception) -> tuple[str, bool]:
        """(what went wrong, worth another attempt)."""
        import openai  # already loaded by ChatOpenAI when the chat model is one; see from_settings

        if isinstance(exc, openai.APITimeoutError):
            return f"no reply from {self.url} within {self.timeout} s; raise HAMSTRING_JUDGE_TIMEOUT (--judge-timeout)", True
        if isinstance(exc, openai.APIConnectionError):
            return f"cannot connect to {self.url} ({exc.__cause__ or exc}); is the judge server running?", True
        if isinstance(exc, openai.APIStatusError):
            hint = {
                401: "; check HAMSTRING_JUDGE_API_KEY",
                404: "; check the URL (it usually ends in /v1) and HAMSTRING_JUDGE_MODEL",
            }.get(exc.status_code, "")
            # Servers differ in how they refuse a response_format they don't take (400, 422, even 500).
            if exc.status_code in (400, 422) or "response_format" in str(exc.message):
                hint = "; if the endpoint rejects structured output, set HAMSTRING_JUDGE_RESPONSE_FORMAT (README 'Rubric grading')"
            return f"{self.url} answered HTTP {exc.status_code}: {clip(str(exc.message), REPLY_SHOWN_CHARS)}{hint}", exc.status_code in (408, 429) or exc.status_code >= 500
        return f"{exc.__class__.__name__}: {clip(str(exc), REPLY_SHOWN_CHARS)}", True

    def _result(self, case: Case, **fields) -> RubricResult:
        return RubricResult(rubric=case.rubric, grader="judge", judge_model=self.model, judge_url=self.url, **fields)


def _response_format(kind: str) -> dict:
    # Written out rather than Verdict.model_json_schema(): strict structured output accepts only a small subset of
    # JSON Schema (enum yes; lengths and titles not everywhere).
    schema = {
        "type": "object",
        "properties": {"grade": {"type": "integer", "enum": [0, 1, 2]}, "reason": {"type": "string"}},
        "required": ["grade", "reason"],
        "additionalProperties": False,
    }
    if kind == "json_object":
        return {"type": "json_object"}
    if kind == "json_object_schema":
        # A grammar-constrained server follows the schema token by token; a length bound keeps a small model that
        # rambles from running into max_tokens mid-string, which would cut the JSON off.
        schema["properties"]["reason"]["maxLength"] = REASON_MAX_CHARS
        return {"type": "json_object", "schema": schema}
    return {"type": "json_schema", "json_schema": {"name": "verdict", "schema": schema, "strict": True}}


def _text(content: str | list) -> str:
    """A chat reply's text; some providers send a list of content blocks instead of a string."""
    if isinstance(content, str):
        return content
    return "".join(block if isinstance(block, str) else str(block.get("text", "")) for block in content)
