"""What a question and a conversation history must look like before the bot answers them.

One place for the rules, used by the Bot itself and by the web app before it queues a question.
"""

import re
import unicodedata

from bot.errors import BadQuestion
from bot.settings import Settings
from bot.types import Message

EXAMPLE_QUESTION = "Why do my hamstrings feel tight after running?"
_INVISIBLE = re.compile(r"[\u200b-\u200f\u2028\u2029\ufeff]")


def clean_text(text: str) -> str:
    """Drop control, invisible and unpaired-surrogate characters; one space between words.

    >>> clean_text("Should I\\x00 stretch\\u200b  it?\\n")
    'Should I stretch it?'
    """
    text = unicodedata.normalize("NFC", _INVISIBLE.sub(" ", text))
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in text)
    return " ".join(text.split())


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


def check_history(history: object, settings: Settings) -> list[Message]:
    """The newest `max_history_messages` messages, cleaned, empty ones dropped; BadQuestion if malformed."""
    if history is None:
        return []
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
