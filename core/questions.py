"""What a question and a conversation history must look like before the bot answers them.

One place for the rules: `check` turns what was sent into a `Question`, once, wherever it arrives
(the Bot, the web page, the API); the Bot takes a `Question` as already checked.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from core.errors import BadQuestion
from core.settings import Settings
from core.text import clean_text
from core.types import Message

EXAMPLE_QUESTION = "Why do my hamstrings feel tight after running?"


def check_question(question: object, settings: Settings) -> str:
    """The cleaned question, or BadQuestion saying what to do instead."""
    if not isinstance(question, str):
        raise BadQuestion("The question must be text.")
    question = clean_text(question)
    if not question:
        raise BadQuestion(f"Type a question about hamstring pain first — for example: “{EXAMPLE_QUESTION}”")
    if len(question) > settings.max_message_chars:
        raise BadQuestion(
            f"Your message is {len(question):,} characters long; please keep it under "
            f"{settings.max_message_chars:,} characters and ask one question at a time."
        )
    return question


@dataclass(frozen=True)
class Question:
    """A checked question and the conversation before it (cleaned, newest `max_history_messages` kept)."""

    text: str
    history: tuple[Message, ...] = ()

    @property
    def earlier_user_turns(self) -> list[str]:
        return [m.content for m in self.history if m.role == "user"]


def check(question: object, history: Sequence[Message | dict] | None, settings: Settings) -> Question:
    """The question and its history, checked; BadQuestion saying what to do for anything malformed."""
    return Question(check_question(question, settings), tuple(check_history(history, settings)))


def check_history(history: object, settings: Settings) -> list[Message]:
    """The newest `max_history_messages` messages, cleaned, empty ones dropped; BadQuestion if malformed."""
    if history is None:
        return []
    if isinstance(history, tuple):
        history = list(history)
    if not isinstance(history, list):
        raise BadQuestion("history must be a list of {role, content} messages, oldest first.")
    messages = []
    for n, item in enumerate(history):
        try:
            m = item if isinstance(item, Message) else Message.model_validate(item)
        except ValueError as exc:
            raise BadQuestion(
                f"history[{n}] must be {{'role': 'user' | 'assistant', 'content': str}}; got {str(item)[:80]!r}."
            ) from exc
        content = clean_text(m.content)[: settings.max_message_chars * 4]
        if content:
            messages.append(Message(role=m.role, content=content))
    return messages[-settings.max_history_messages :] if settings.max_history_messages else []
