"""The evaluation harness's own errors: a malformed set, a bad thresholds file, an unreachable server.

They share the project's root error, so every entry point prints them as one readable message.
"""

from pathlib import Path

from core.errors import HamstringBotError


class EvalError(HamstringBotError):
    """Root of the evaluation harness's own errors."""


class EvalSetError(EvalError):
    """A question set cannot be used as written; the message lists every problem, one per line."""


class ThresholdsError(EvalError):
    """A thresholds file names an unknown metric or a bar that is not a number."""


class RemoteBotError(EvalError):
    """The server under evaluation (--url) could not be reached or answered with something other than an Answer."""


def read_text(path: Path, error: type[EvalError] = EvalError, missing: str = "file not found.", then: str = "", encoding: str = "utf-8") -> str:
    """The file's text, or `error` saying "PATH: missing" when there is none, or that it cannot be read (and
    `then`, what to do about it)."""
    try:
        return path.read_text(encoding=encoding)
    except FileNotFoundError:
        raise error(f"{path}: {missing}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read ({exc}){then}.") from None
