"""Question and history checks: clear messages for bad input, nothing lost that can be kept."""

import pytest

from core.errors import BadQuestion
from core.questions import check_history, check_question, clean_text
from core.settings import Settings

SETTINGS = Settings(max_message_chars=50, max_history_messages=4)


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "Type a question about hamstring pain first"),
        ("   \n\t \x00 \u200b", "Type a question about hamstring pain first"),
        ("x" * 51, "51 characters long; please keep it under 50"),
        (None, "must be text"),
        (42, "must be text"),
    ],
)
def test_bad_questions_say_what_to_do(question, message):
    with pytest.raises(BadQuestion, match=message):
        check_question(question, SETTINGS)


def test_control_and_invisible_characters_are_dropped_not_the_words():
    assert check_question("Should I\x00 foam\u200b roll\x07 my\n hamstrings?", SETTINGS) == "Should I foam roll my hamstrings?"
    assert clean_text("lone surrogate \ud800 here") == "lone surrogate here"
    assert clean_text("<img src=x onerror=alert(1)>") == "<img src=x onerror=alert(1)>"  # text stays text


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ("not a list", "history must be a list"),
        ([{"role": "robot", "content": "hi"}], r"history\[0\] must be"),
        ([{"role": "user", "content": "ok"}, {"content": "no role"}], r"history\[1\] must be"),
        ([["user", "hi"]], r"history\[0\] must be"),
    ],
)
def test_malformed_history_names_the_message(history, message):
    with pytest.raises(BadQuestion, match=message):
        check_history(history, SETTINGS)


def test_overlong_history_keeps_the_newest_messages_and_drops_empty_ones():
    history = [{"role": "user", "content": f"q{i}"} for i in range(10)] + [{"role": "assistant", "content": " \x00 "}]
    kept = check_history(history, SETTINGS)
    assert [m.content for m in kept] == ["q6", "q7", "q8", "q9"]
    assert check_history(None, SETTINGS) == []
    assert check_history(history, Settings(max_history_messages=0)) == []
