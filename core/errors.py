"""The errors hamstring-bot raises on purpose.

Each message says what happened and what to do next; entry points print it without a stack trace.
"""


class HamstringBotError(Exception):
    """Root of every error a user may see; its message is meant for them."""


class SettingsError(HamstringBotError):
    """A HAMSTRING_* setting has a value the app cannot use; the message says what to write."""


class CorpusError(HamstringBotError):
    """The corpus (articles, build rules, conflict registry) is malformed."""


class IndexMissing(HamstringBotError):
    """No search index has been built yet."""


class IndexStale(HamstringBotError):
    """The index exists but no longer matches the corpus, model or chunker."""


class IndexCorrupt(HamstringBotError):
    """The index exists but cannot be read."""


class RulesError(HamstringBotError):
    """A guardrail rules file (red flags, conflicts) is malformed."""


class BadQuestion(HamstringBotError):
    """The question cannot be answered as sent (empty, too long, bad history)."""


class StoreUnreachable(HamstringBotError):
    """The Chroma server did not answer in time or refused the connection: nothing to rebuild, start it."""


class StoreUnwritable(HamstringBotError):
    """The index cannot be written: the disk is full, or the folder is read-only."""


class AnswerUnavailable(HamstringBotError):
    """A question could not be answered because the index could not be read. The message is for the runner;
    the log holds the operator's remedy. `retry_after` is a hint in seconds."""

    def __init__(self, message: str, retry_after: int = 30):
        super().__init__(message)
        self.retry_after = retry_after
