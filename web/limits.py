"""Abuse limits: how many questions one client may ask in a sliding window.

Kept in memory: one process serves the page and the API, so one limiter sees every request.
"""

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """At most `limit` requests per client in any sliding `window` of seconds, kept in memory."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self.calls: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def retry_after(self, client: str) -> float:
        """0 when the request may go ahead (and counts it); otherwise seconds until it may."""
        now = self.clock()
        with self.lock:
            if len(self.calls) > 10_000:  # forget idle clients so memory stays bounded
                self.calls = {k: q for k, q in self.calls.items() if q and q[-1] > now - self.window}
            calls = self.calls.setdefault(client, deque())
            while calls and calls[0] <= now - self.window:
                calls.popleft()
            if len(calls) >= self.limit:
                return calls[0] + self.window - now
            calls.append(now)
            return 0.0
