"""The rubric judge with LangChain's fake chat models: the prompt it sends, the grades it records, and every way a
reply can go wrong ending as a 'judge error' on the case (bounded retries, never a grade, never an exception)."""

from pathlib import Path

import httpx
import openai
import pytest
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from core.types import Answer, Message
from evals.errors import EvalError
from evals.rubric_judge import Judge, JudgeSettings, load_prompt, prompt_inputs
from evals.runner import evaluate, run_case
from evals.schema import Case, Expect, QuestionSet

RUBRIC = "says to hold a stretch for 45 to 60 seconds"
URL = "http://judge.test/v1"


class CountingChat(BaseChatModel):
    """A chat model replaying queued replies (text, or an exception to raise; the last one repeats) and keeping
    every prompt it was sent. LangChain's FakeListChatModel takes strings only, and the errors matter here."""

    replies: list[Any]
    sent: list[list[BaseMessage]] = []

    @property
    def _llm_type(self) -> str:
        return "counting-fake"

    def _generate(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs) -> ChatResult:
        self.sent.append(list(messages))
        reply = self.replies[min(len(self.sent), len(self.replies)) - 1]
        if isinstance(reply, BaseException):
            raise reply
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=reply))])


def chat(*replies) -> CountingChat:
    return CountingChat(replies=list(replies), sent=[])


def make_judge(model: CountingChat, retries: int = 1) -> Judge:
    return Judge(model, model="tiny-judge", url=URL, retries=retries, timeout=5.0)


@pytest.fixture
def hold_case() -> Case:
    return Case(id="hold", turns=["I felt tightness.", "How long should I hold a stretch?"], rubric=RUBRIC)


@pytest.fixture
def hold_answer(fakes) -> Answer:
    return fakes.cited("Hold it 45 to 60 seconds [1].", ("alpha", fakes.STRETCH_QUOTE))


HISTORY = [Message(role="user", content="I felt tightness."), Message(role="assistant", content="Tightness is common.")]


def test_the_prompt_gives_the_rubric_conversation_question_answer_and_cited_passages(hold_case, hold_answer):
    model = chat('{"grade": 2, "reason": "It gives 45 to 60 seconds."}')
    make_judge(model).grade(hold_case, hold_answer, HISTORY)
    system, user = model.sent[0]
    assert "JSON" in system.content and '{"grade": <0, 1 or 2>, "reason":' in system.content  # the doubled braces came out single
    assert f"Rubric: {RUBRIC}" in user.content
    assert "Question: How long should I hold a stretch?" in user.content
    assert "user: I felt tightness.\nassistant: Tightness is common." in user.content
    assert "Hold it 45 to 60 seconds [1]." in user.content
    assert "[1] Alpha: “Hold each stretch for 45 to 60 seconds.”" in user.content


def test_an_answer_without_citations_or_history_says_so(hold_case):
    inputs = prompt_inputs(hold_case, Answer(text="I can only help with hamstrings."), [])
    assert inputs["passages"] == "(the answer cited no passage)" and inputs["conversation"] == "(none)"


@pytest.mark.parametrize("reply", [
    '{"grade": 2, "reason": "Gives the hold time."}',
    '```json\n{"grade": 2, "reason": "Gives the hold time."}\n```',  # small models like fences; the JSON inside is strict
    '{"grade": 2, "reason": "Gives the hold time.", "confidence": "high"}',  # extra keys are ignored
])
def test_a_verdict_is_recorded_with_its_reason_and_the_judge(hold_case, hold_answer, reply):
    result = make_judge(chat(reply)).grade(hold_case, hold_answer, HISTORY)
    assert result.model_dump() == {
        "rubric": RUBRIC, "status": "graded", "grade": 2, "reason": "Gives the hold time.", "grader": "judge",
        "grader_name": None, "judge_model": "tiny-judge", "judge_url": URL,
    }


@pytest.mark.parametrize("reply, says", [
    ("The answer is good. Grade: 2", "the reply is not JSON: “The answer is good. Grade: 2”"),
    ("", "the reply is not JSON"),
    ('{"grade": 2, "reason": "cut off', "the reply is not JSON"),  # a truncated reply is not completed into a grade
    ('Sure! {"grade": 2, "reason": "x"}', "the reply is not JSON"),
    ('{"grade": "pass", "reason": "fine"}', "grade: Input should be a valid integer"),
    ('{"grade": 3, "reason": "very good"}', "grade: Input should be less than or equal to 2"),
    ('{"grade": true, "reason": "yes"}', "grade: Input should be a valid integer"),
    ('{"grade": 1.5, "reason": "half"}', "grade: Input should be a valid integer"),
    ('{"grade": 2}', "reason: Field required"),
    ('{"grade": 2, "reason": ""}', "reason: String should have at least 1 character"),
    ("[2]", "reply: Input should be a valid dictionary"),
])
def test_a_malformed_reply_is_a_judge_error_after_one_retry(hold_case, hold_answer, reply, says):
    model = chat(reply)
    result = make_judge(model, retries=1).grade(hold_case, hold_answer, HISTORY)
    assert result.status == "judge error" and result.grade is None
    assert result.reason.startswith("judge error: ") and says in result.reason, result.reason
    assert result.reason.endswith("(after 2 attempts)") and len(model.sent) == 2
    assert (result.judge_model, result.judge_url, result.grader) == ("tiny-judge", URL, "judge")


def test_a_retry_that_gets_a_good_reply_grades_the_case(hold_case, hold_answer):
    model = chat("Let me think...", '{"grade": 1, "reason": "Gives 45 seconds only."}')
    result = make_judge(model, retries=2).grade(hold_case, hold_answer, HISTORY)
    assert (result.status, result.grade, len(model.sent)) == ("graded", 1, 2)


def test_retries_are_bounded_by_the_setting(hold_case, hold_answer):
    model = chat("nope")
    assert make_judge(model, retries=0).grade(hold_case, hold_answer, HISTORY).reason.endswith("(after 1 attempt)")
    model = chat("nope")
    make_judge(model, retries=3).grade(hold_case, hold_answer, HISTORY)
    assert len(model.sent) == 4


REQUEST = httpx.Request("POST", f"{URL}/chat/completions")


@pytest.mark.parametrize("error, says, attempts", [
    (openai.APITimeoutError(request=REQUEST), f"no reply from {URL} within 5.0 s; raise HAMSTRING_JUDGE_TIMEOUT", 2),
    (openai.APIConnectionError(request=REQUEST), f"cannot connect to {URL}", 2),
    (openai.InternalServerError("boom", response=httpx.Response(500, request=REQUEST), body=None), "answered HTTP 500: boom", 2),
    (openai.AuthenticationError("bad key", response=httpx.Response(401, request=REQUEST), body=None), "check HAMSTRING_JUDGE_API_KEY", 1),
    (openai.BadRequestError("no schema", response=httpx.Response(400, request=REQUEST), body=None), "set HAMSTRING_JUDGE_RESPONSE_FORMAT", 1),
    (RuntimeError("something odd"), "RuntimeError: something odd", 2),
])
def test_transport_failures_are_judge_errors_and_only_transient_ones_are_retried(hold_case, hold_answer, error, says, attempts):
    model = chat(error)
    result = make_judge(model, retries=1).grade(hold_case, hold_answer, HISTORY)
    assert result.status == "judge error" and result.grade is None
    assert says in result.reason and len(model.sent) == attempts, result.reason


# ---- the runner with a judge ----------------------------------------------------------------------------


def test_the_runner_grades_rubrics_beside_the_checks_never_in_them(fakes, corpus):
    bot = fakes.ScriptedBot({
        "hold?": fakes.cited("Hold it 45 to 60 seconds [1].", ("alpha", fakes.STRETCH_QUOTE)),
        "plain?": Answer(text="Plain."),
        "broken?": lambda q, h: (_ for _ in ()).throw(RuntimeError("index is gone")),
    })
    qset = QuestionSet(name="demo", path=Path("demo.yaml"), cases=[
        Case(id="hold", turns=["hold?"], expect=Expect(contains=["45"]), rubric=RUBRIC),
        Case(id="plain", turns=["plain?"], expect=Expect(contains=["Plain"])),
        Case(id="broken", turns=["broken?"], expect=Expect(contains=["x"]), rubric="anything"),
    ])
    model = chat('{"grade": 0, "reason": "Misses it."}')
    report = evaluate(bot, [qset], corpus, target="in-process", progress=False, grader=make_judge(model))
    hold, plain, broken = report.cases
    assert hold.passed and (hold.rubric.status, hold.rubric.grade) == ("graded", 0)  # a 0 grade does not fail the case
    assert plain.rubric is None
    assert broken.rubric.status == "no answer" and broken.rubric.grader is None
    assert len(model.sent) == 1  # only the answered rubric case went to the judge
    assert report.metrics.pass_rate.hits == 2


def test_without_a_judge_rubric_cases_need_a_human(fakes, corpus):
    bot = fakes.ScriptedBot({"hold?": Answer(text="Hold 45 s.")})
    result = run_case(bot, Case(id="hold", turns=["hold?"], rubric=RUBRIC), "demo", corpus)
    assert result.rubric.model_dump(exclude_none=True) == {"rubric": RUBRIC, "status": "needs a human"}


def test_the_judge_gets_the_earlier_turns_of_the_conversation(fakes, corpus):
    bot = fakes.ScriptedBot({"first": Answer(text="First answer."), "second": Answer(text="Second answer.")})
    model = chat('{"grade": 2, "reason": "ok"}')
    run_case(bot, Case(id="two", turns=["first", "second"], rubric=RUBRIC), "demo", corpus, grader=make_judge(model))
    user = model.sent[0][1].content
    assert "user: first\nassistant: First answer." in user and "Question: second" in user and "Second answer." in user


# ---- settings and the prompt file -------------------------------------------------------------------------


def test_no_url_means_no_judge_and_the_env_configures_one(monkeypatch):
    for name in ("URL", "MODEL", "TIMEOUT", "API_KEY"):
        monkeypatch.delenv(f"HAMSTRING_JUDGE_{name}", raising=False)
    assert Judge.from_settings(JudgeSettings()) is None
    monkeypatch.setenv("HAMSTRING_JUDGE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("HAMSTRING_JUDGE_MODEL", "gemma-3-270m")
    monkeypatch.setenv("HAMSTRING_JUDGE_TIMEOUT", "2.5")
    judge = Judge.from_settings(JudgeSettings())
    assert judge.label == "gemma-3-270m at http://127.0.0.1:9/v1" and judge.timeout == 2.5
    assert JudgeSettings(timeout=7).timeout == 7  # a flag (init argument) beats the environment


def test_every_settings_field_is_described():
    assert all(field.description for field in JudgeSettings.model_fields.values())


PROMPT = """\
version: 1
system: |
  Grade it. Reply {{"grade": 0, "reason": "…"}}.
user: |
  {rubric} {conversation} {question} {answer} {passages}
"""


@pytest.mark.parametrize("text, says", [
    (PROMPT.replace(" {passages}", ""), "never uses {passages}"),
    (PROMPT.replace("{rubric}", "{rubric} {score}"), "uses unknown placeholder {score}"),
    (PROMPT.replace("{{", "{").replace("}}", "}"), "judge prompt"),  # single braces around JSON: an unknown placeholder
    (PROMPT.replace("version: 1", "version: 2"), "expected a mapping with 'version: 1'"),
    (PROMPT.replace("system: |", "system: ''\nnot_system: |"), "system message missing or empty"),
    ("system: [unclosed", "not valid YAML"),
])
def test_a_broken_prompt_file_is_refused_with_what_to_fix(tmp_path, text, says):
    path = tmp_path / "prompt.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EvalError, match="judge prompt") as caught:
        load_prompt(path)
    assert says in str(caught.value)


def test_a_prompt_file_of_ones_own_is_used(tmp_path, hold_case, hold_answer):
    path = tmp_path / "prompt.yaml"
    path.write_text(PROMPT, encoding="utf-8")
    model = chat('{"grade": 2, "reason": "ok"}')
    Judge(model, model="m", url=URL, prompt=load_prompt(path)).grade(hold_case, hold_answer, [])
    assert model.sent[0][0].content == 'Grade it. Reply {"grade": 0, "reason": "…"}.\n'


def test_a_judge_that_cannot_be_reached_is_given_up_after_three_cases_in_a_row(hold_case, hold_answer):
    refused = openai.APIConnectionError(request=REQUEST)
    model = chat(refused, refused, refused, refused, refused, refused, '{"grade": 2, "reason": "back"}')
    judge = make_judge(model, retries=1)
    results = [judge.grade(hold_case, hold_answer, []) for _ in range(5)]
    assert len(model.sent) == 6  # three cases x two attempts; the fourth and fifth were not sent
    assert all(r.status == "judge error" for r in results)
    assert results[3].reason.startswith("judge error: not asked, the judge failed on 3 cases in a row (last: cannot connect to")


def test_malformed_replies_do_not_count_as_an_unreachable_judge(hold_case, hold_answer):
    model = chat("prose")
    judge = make_judge(model, retries=0)
    for _ in range(5):
        judge.grade(hold_case, hold_answer, [])
    assert len(model.sent) == 5  # it answers, just badly: every case is still asked
