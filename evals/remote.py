"""A deployed bot seen through its HTTP API (POST /api/ask, GET /api/health), with the same .ask as Bot.

Lets the same question sets judge a running server (`--url`) exactly as they judge the in-process bot.
"""

import time

import httpx
from pydantic import ValidationError

from core.types import Answer
from evals.errors import RemoteBotError

MAX_RETRY_WAIT_S = 60.0


class RemoteBot:
    """Asks a running hamstring-bot server; waits out rate limits (HTTP 429) rather than failing cases."""

    def __init__(self, url: str, timeout: float = 30.0, max_retries: int = 5, client: httpx.Client | None = None):
        self.url = url.rstrip("/")
        self.max_retries = max_retries
        self.client = client or httpx.Client(timeout=timeout)
        # Seconds the last ask spent waiting on 429s; the runner subtracts it so latency measures the bot, not the limiter.
        self.rate_limit_wait_s = 0.0

    def check_health(self) -> None:
        """Fail before the run, not 120 times during it, when the server is down or is not a hamstring-bot."""
        try:
            response = self.client.get(f"{self.url}/api/health")
        except httpx.HTTPError as exc:
            raise RemoteBotError(f"cannot reach {self.url}/api/health ({exc.__class__.__name__}: {exc}); is the server running?") from None
        if response.status_code != 200:
            raise RemoteBotError(f"{self.url}/api/health answered HTTP {response.status_code}; is this a hamstring-bot server?")

    def ask(self, question: str, history: list[dict] | None = None) -> Answer:
        self.rate_limit_wait_s = 0.0
        payload = {"question": question, "history": history or []}
        for attempt in range(self.max_retries + 1):
            try:
                response = self.client.post(f"{self.url}/api/ask", json=payload)
            except httpx.HTTPError as exc:
                raise RemoteBotError(f"POST {self.url}/api/ask failed ({exc.__class__.__name__}: {exc})") from None
            if response.status_code == 429 and attempt < self.max_retries:
                wait = _retry_after(response)
                self.rate_limit_wait_s += wait
                time.sleep(wait)
                continue
            break
        if response.status_code != 200:
            raise RemoteBotError(f"POST {self.url}/api/ask answered HTTP {response.status_code}: {response.text[:200]}")
        try:
            return Answer.model_validate(response.json())
        except (ValueError, ValidationError) as exc:
            raise RemoteBotError(f"POST {self.url}/api/ask did not return an Answer: {str(exc).splitlines()[0]}") from None

    def close(self) -> None:
        self.client.close()


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(max(float(response.headers.get("retry-after", "1")), 0.0), MAX_RETRY_WAIT_S)
    except ValueError:  # an HTTP date rather than seconds: wait a little and try again
        return 1.0
