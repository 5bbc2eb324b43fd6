"""The chat page's parts on their own: the rate limiter and history trimming. How answers render is in
test_render.py, feedback in test_feedback.py; the browser test shows the same blocks in a real page.
"""

from core.questions import check_history
from web.limits import RateLimiter


def test_rate_limiter_is_a_sliding_window_per_client():
    now = [0.0]
    limiter = RateLimiter(limit=2, window=60, clock=lambda: now[0])
    assert limiter.retry_after("a") == 0 and limiter.retry_after("a") == 0
    assert limiter.retry_after("a") == 60
    assert limiter.retry_after("b") == 0  # another client is not affected
    now[0] = 30
    assert limiter.retry_after("a") == 30
    now[0] = 60.5
    assert limiter.retry_after("a") == 0


def test_history_is_cleaned_and_trimmed(settings):
    history = [{"role": "user", "content": "\x00"}] + [{"role": "user", "content": f"q{i}"} for i in range(6)]
    assert [m.model_dump() for m in check_history(history, settings)] == [{"role": "user", "content": f"q{i}"} for i in range(2, 6)]
