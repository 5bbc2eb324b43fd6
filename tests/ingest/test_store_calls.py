"""Every store call bounded, retried and named (core/index.py): call_store's retry and classification, and the
health watch that answers at once whatever the check does. Small real fakes: calls that fail on cue."""

import errno
import threading
import time

import httpx
import pytest

from core.errors import IndexCorrupt, StoreUnreachable, StoreUnwritable
from core.index import IndexStatus, StatusWatch, call_store
from core.settings import Settings


class FailsThen:
    """A store call that raises the given errors in turn, then answers."""

    def __init__(self, *errors: Exception, answer="ok"):
        self.errors, self.answer, self.calls = list(errors), answer, 0

    def __call__(self):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.answer


@pytest.fixture
def server(tmp_path) -> Settings:
    # A name per test (never contacted: the calls are fakes), since the short circuit after a timeout is per URL.
    return Settings(data_dir=tmp_path, chroma_url=f"http://{tmp_path.name.replace('_', '-')}.invalid:8000", chroma_timeout_s=1.0)


def test_a_dropped_connection_is_retried_and_then_answers(server):
    call = FailsThen(httpx.ConnectError("refused"), httpx.RemoteProtocolError("dropped"))
    assert call_store(call, server) == "ok" and call.calls == 3


def test_a_server_that_stays_down_is_unreachable_after_a_bounded_number_of_tries(server):
    call = FailsThen(*[httpx.ConnectError("refused")] * 10)
    with pytest.raises(StoreUnreachable, match="cannot be reached.*nothing needs rebuilding"):
        call_store(call, server)
    assert call.calls == server.chroma_retries + 1


def test_a_timeout_is_not_retried_and_later_calls_fail_at_once_for_a_while(server):
    call = FailsThen(httpx.ReadTimeout("stuck"))
    with pytest.raises(StoreUnreachable, match="did not answer within 1 s"):
        call_store(call, server)
    assert call.calls == 1
    healthy = FailsThen()
    started = time.monotonic()
    with pytest.raises(StoreUnreachable):
        call_store(healthy, server)
    assert healthy.calls == 0 and time.monotonic() - started < 0.1
    time.sleep(server.chroma_timeout_s)
    assert call_store(healthy, server) == "ok"


@pytest.mark.parametrize(
    ("error", "kind", "says"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), StoreUnwritable, "disk is full"),
        (RuntimeError("error returned from database: (code: 13) database or disk is full"), StoreUnwritable, "disk is full"),
        (RuntimeError("attempt to write a readonly database"), StoreUnwritable, "read-only"),
        (RuntimeError("error returned from database: (code: 11) database disk image is malformed"), IndexCorrupt, "--rebuild"),
    ],
)
def test_an_embedded_store_failure_names_its_fix(tmp_path, error, kind, says):
    with pytest.raises(kind, match=says) as raised:
        call_store(FailsThen(error), Settings(data_dir=tmp_path))
    assert "\n" not in str(raised.value)


def test_health_answers_at_once_from_the_last_check_and_names_a_stuck_store():
    release = threading.Event()
    checks = []

    def check() -> IndexStatus:
        checks.append(time.monotonic())
        if len(checks) > 1:
            release.wait(10)  # the store stops answering
        return IndexStatus(True, "fresh")

    watch = StatusWatch(check, max_age_s=0.05, stuck_after_s=0.5, first_wait_s=0.8)
    assert watch.current().fresh  # the first caller waits for the first check
    time.sleep(0.1)
    started = time.monotonic()
    assert watch.current().fresh  # stale: a new check starts, the caller gets the last result at once
    assert time.monotonic() - started < 0.05
    time.sleep(0.6)
    stuck = watch.current()
    assert (stuck.fresh, stuck.state) == (False, "unreachable") and "has not answered" in stuck.reason
    for _ in range(20):
        watch.current()
    assert len(checks) == 2  # one check at a time, however many callers
    release.set()
    time.sleep(0.1)
    assert watch.current().fresh


def test_the_first_health_check_never_waits_more_than_its_bound():
    watch = StatusWatch(lambda: time.sleep(5) or IndexStatus(True, "fresh"), first_wait_s=0.2)
    started = time.monotonic()
    status = watch.current()
    assert time.monotonic() - started < 0.5 and status.state == "checking"
