"""The errors the evaluation harness raises on purpose, under the project's root HamstringBotError.

Each message names the file, case or server at fault and says what to fix; the CLI prints it without a stack trace.
"""

from bot.errors import HamstringBotError


class EvalError(HamstringBotError):
    """Root of the harness's own errors."""


class EvalSetError(EvalError):
    """A question set cannot be used as written; the message lists every problem, one per line."""


class ThresholdsError(EvalError):
    """A thresholds file names an unknown metric or a bar that is not a number."""


class RemoteBotError(EvalError):
    """The server under evaluation (--url) could not be reached or answered with something other than an Answer."""
