"""A deployed bot seen through its HTTP API (POST /api/ask, GET /api/health), with the same .ask as Bot.

Lets the same question sets judge a running server (`--url`) exactly as they judge the in-process bot.
"""

import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import httpx
from pydantic import ValidationError

from core.types import Answer
from evals.errors import RemoteBotError

MAX_RETRY_WAIT_S = 60.0
# Without a Retry-After header, wait 1, 2, 4, 8… seconds: a server that did not say when is asked less and less often.
FIRST_BACKOFF_S = 1.0


class RemoteBot:
    """Asks a running hamstring-bot server; waits out rate limits (HTTP 429) rather than failing cases."""

    def __init__(
        self, url: str, timeout: float = 30.0, max_retries: int = 8, client: httpx.Client | None = None, sleep=time.sleep
    ):
        self.url = url.rstrip("/")
        self.max_retries = max_retries
        self.client = client or httpx.Client(timeout=timeout)
        self.sleep = sleep
        # The last ask's 429s and the seconds spent waiting them out; the runner records both and subtracts the
        # wait, so latency measures the bot, not the limiter.
        self.rate_limited = 0
        self.rate_limit_wait_s = 0.0

    def check_health(self) -> dict:
        """Fail before the run, not 120 times during it, when the server is down or is not a hamstring-bot.

        Returns the server's health reply (corpus version, model, index freshness) for the report's metadata."""
        try:
            response = self.client.get(f"{self.url}/api/health")
        except httpx.HTTPError as exc:
            raise RemoteBotError(f"cannot reach {self.url}/api/health ({exc.__class__.__name__}: {exc}); is the server running?") from None
        if response.status_code != 200:
            raise RemoteBotError(f"{self.url}/api/health answered HTTP {response.status_code}; is this a hamstring-bot server?")
        try:
            health = response.json()
        except ValueError:
            health = None
        return health if isinstance(health, dict) else {"reply": response.text[:200]}

    def ask(self, question: str, history: list[dict] | None = None) -> Answer:
        self.rate_limited, self.rate_limit_wait_s = 0, 0.0
        payload = {"question": question, "history": history or []}
        for attempt in range(self.max_retries + 1):
            try:
                response = self.client.post(f"{self.url}/api/ask", json=payload)
            except httpx.HTTPError as exc:
                raise RemoteBotError(f"POST {self.url}/api/ask failed ({exc.__class__.__name__}: {exc})") from None
            if response.status_code != 429:
                break
            self.rate_limited += 1
            if attempt == self.max_retries:
                raise RemoteBotError(
                    f"POST {self.url}/api/ask still answered 429 Too Many Requests after {self.rate_limited} tries; "
                    "raise the server's HAMSTRING_RATE_LIMIT_PER_MINUTE for the evaluation (see README, Evaluating)"
                )
            wait = retry_after(response, attempt)
            self.rate_limit_wait_s += wait
            self.sleep(wait)
        if response.status_code != 200:
            raise RemoteBotError(f"POST {self.url}/api/ask answered HTTP {response.status_code}: {response.text[:200]}")
        try:
            return Answer.model_validate(response.json())
        except (ValueError, ValidationError) as exc:
            raise RemoteBotError(f"POST {self.url}/api/ask did not return an Answer: {str(exc).splitlines()[0]}") from None

    def close(self) -> None:
        self.client.close()


def retry_after(response: httpx.Response, attempt: int = 0) -> float:
    """Seconds to wait before asking again: the server's Retry-After (seconds or an HTTP date), else 1, 2, 4… s.

    >>> retry_after(httpx.Response(429, headers={"Retry-After": "3"})), retry_after(httpx.Response(429), attempt=2)
    (3.0, 4.0)
    """
    header = response.headers.get("retry-after")
    wait = FIRST_BACKOFF_S * 2**attempt
    if header is not None:
        try:
            wait = float(header)
        except ValueError:
            try:
                wait = (parsedate_to_datetime(header) - datetime.now(timezone.utc)).total_seconds()
            except (TypeError, ValueError):
                pass  # unreadable header: keep the doubling backoff
    return min(max(wait, 0.0), MAX_RETRY_WAIT_S)
