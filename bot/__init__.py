"""hamstring-bot: cited answers about hamstring pain in runners, from five published articles.

`Bot.load()` opens the index; `bot.ask(question, history)` returns an `Answer`.
"""

from core.errors import BadQuestion, CorpusError, HamstringBotError, IndexCorrupt, IndexMissing, IndexStale
from core.settings import Settings
from core.types import Answer, Citation, Conflict, ConflictPosition, Escalation, Message


def __getattr__(name):
    # Bot pulls in torch and Chroma; load it on first use so `from bot import Settings` stays cheap.
    if name == "Bot":
        from bot.chain import Bot

        return Bot
    raise AttributeError(name)


__all__ = [
    "Answer", "BadQuestion", "Bot", "Citation", "Conflict", "ConflictPosition", "CorpusError", "Escalation",
    "HamstringBotError", "IndexCorrupt", "IndexMissing", "IndexStale", "Message", "Settings",
]
