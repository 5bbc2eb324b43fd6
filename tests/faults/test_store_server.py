"""Faults of a Chroma server (HAMSTRING_CHROMA_URL, issue 13 items 2 and 7): a real `chroma run` frozen
(SIGSTOP) and killed while the app serves, and down when the app or ingest starts.

What the runner must see: an apology within a few seconds, never a hang or a 500, and answers again once the
server is back, without a restart. What the operator must see: health within a second saying "unreachable"
(not "damaged, run ingest"), and one line naming the server at start-up.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import app  # first, so gradio is imported with analytics already off
from bot.chain import Bot
from core.index import index_status
from core.settings import PROJECT_ROOT, Settings
from ingest.pipeline import run_ingest
from tests.fakes import WordEmbeddings
from tests.faults.store_faults import MODEL, Runner, ServedApp, failed, free_port, operator_lines, record, run_cli, wait_until

pytestmark = pytest.mark.faults
TIMEOUT_S = 2.0  # the Chroma call timeout these tests run with (HAMSTRING_CHROMA_TIMEOUT_S)


class ChromaServer:
    """`chroma run` on a free port over a folder; can be frozen, thawed, killed and started again."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> "ChromaServer":
        chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
        self.process = subprocess.Popen(
            [chroma, "run", "--path", str(self.folder), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

        def up() -> bool:
            try:
                return httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        if not wait_until(up, 30, step=0.2):
            pytest.fail("chroma run did not start within 30 s")
        return self

    def freeze(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.thaw()
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def server(tmp_path):
    chroma = ChromaServer(tmp_path / "server-data").start()
    yield chroma
    chroma.stop()


@pytest.fixture
def say(request):
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    return lambda line: reporter.write_line(line) if reporter else print(line)


def settings_for(url: str, tmp_path: Path) -> Settings:
    return Settings(
        chroma_url=url, chroma_timeout_s=TIMEOUT_S, data_dir=tmp_path / "data", corpus_dir=PROJECT_ROOT / "corpus",
        rate_limit_per_minute=1_000_000, health_max_age_s=0.5,
    )


def test_a_frozen_then_killed_server_gets_apologies_in_seconds_and_heals_without_a_restart(server, tmp_path, say):
    settings = settings_for(server.url, tmp_path)
    run_ingest(settings, WordEmbeddings(), model=MODEL, progress=False)
    bot = Bot.load(settings, embeddings=WordEmbeddings())
    served = ServedApp(app.create_app(settings, bot, index_status=lambda s: index_status(s, model=MODEL)))
    with served, Runner(served.url, threads=2, timeout=30) as runner:
        assert wait_until(lambda: len(runner.outcomes) >= 6, 30) and not failed(runner.outcomes)
        assert served.health()[0]["index"] == "fresh"

        # Frozen: every question answered (an apology) within a few seconds; health answers at once.
        frozen_at = time.monotonic()
        server.freeze()
        health_times, health = [], {}
        while time.monotonic() - frozen_at < 3 * TIMEOUT_S + 2:
            health, took = served.health()
            health_times.append(took)
            time.sleep(0.25)
        assert max(health_times) < 1.0
        assert health["index"] == "unreachable", health
        assert "Chroma server" in health["reason"] and "ingest" not in health["remedy"] and "damaged" not in health["reason"]
        frozen = runner.asked_after(frozen_at)
        assert frozen and all(o.status == 503 for o in frozen), [(o.status, round(o.seconds, 1)) for o in frozen]
        assert max(o.seconds for o in frozen) < TIMEOUT_S * 2 + 1.5
        assert all("try again" in o.detail for o in frozen)
        frozen_worst_s = max(o.seconds for o in frozen)

        thawed_at = time.monotonic()
        server.thaw()
        assert wait_until(lambda: any(o.status == 200 for o in runner.asked_after(thawed_at)), 20)
        thaw_recovery_s = min(o.at for o in runner.asked_after(thawed_at) if o.status == 200) - thawed_at
        time.sleep(1.0)
        steady = runner.asked_after(thawed_at + thaw_recovery_s)
        assert not failed(steady)

        # Killed: refused connections are retried a little, then an apology at once; health says so.
        killed_at = time.monotonic()
        server.kill()
        time.sleep(2.0)
        killed = runner.asked_after(killed_at)
        assert killed and all(o.status == 503 for o in killed) and max(o.seconds for o in killed) < 2.0
        health = wait_until(lambda: "cannot be reached" in (h := served.health()[0])["reason"] and h, 5)
        assert health and health["index"] == "unreachable" and "ingest" not in health["remedy"], served.health()[0]

        restarted_at = time.monotonic()
        server.start()  # same port, same folder: the collections are still there
        up_at = time.monotonic()
        assert wait_until(lambda: any(o.status == 200 for o in runner.asked_after(up_at)), 20)
        restart_recovery_s = min(o.at for o in runner.asked_after(up_at) if o.status == 200) - up_at
        time.sleep(1.0)
        after = runner.asked_after(up_at + restart_recovery_s)
        assert after and not failed(after)
        assert wait_until(lambda: served.health()[0]["index"] == "fresh", 5)
    say(record("chroma-server-frozen", answers_during_fault=len(frozen), failed_during_fault=len(failed(frozen)),
               slowest_apology_s=frozen_worst_s, slowest_health_s=max(health_times), recovery_s=thaw_recovery_s,
               failed_after_recovery=len(failed(steady))))
    say(record("chroma-server-killed", answers_during_fault=len(killed), failed_during_fault=len(failed(killed)),
               server_down_s=restarted_at - killed_at, recovery_after_restart_s=restart_recovery_s,
               failed_after_recovery=len(failed(after))))


def test_a_server_down_at_start_up_is_one_line_naming_it(tmp_path, say, monkeypatch, capsys):
    dead = f"http://127.0.0.1:{free_port()}"
    settings = settings_for(dead, tmp_path)
    status = index_status(settings, model=MODEL)
    assert status.state == "missing"  # no manifest yet: nothing to reach
    monkeypatch.setenv("HAMSTRING_CHROMA_URL", dead)
    monkeypatch.setenv("HAMSTRING_DATA_DIR", str(settings.data_dir))
    started = time.monotonic()
    out = run_cli(settings, "-m", "ingest", "--quiet", timeout=120)
    lines = operator_lines(out.stderr)
    assert out.returncode == 1 and len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
    assert lines[0].startswith(f"ingest failed: The Chroma server at {dead} cannot be reached")
    assert "--rebuild" not in lines[0] and "damaged" not in lines[0]
    assert app.main([]) == 1
    err = capsys.readouterr().err
    assert operator_lines(err) == [f"error: {lines[0].removeprefix('ingest failed: ')}"], err
    say(record("chroma-server-down-at-start", ingest_exit=out.returncode, operator_lines=len(lines),
               seconds=time.monotonic() - started))


def test_a_frozen_server_at_start_up_is_one_line_within_the_timeout(server, tmp_path, monkeypatch, capsys):
    settings = settings_for(server.url, tmp_path)
    run_ingest(settings, WordEmbeddings(), model=MODEL, progress=False)
    server.freeze()
    monkeypatch.setenv("HAMSTRING_CHROMA_URL", server.url)
    monkeypatch.setenv("HAMSTRING_CHROMA_TIMEOUT_S", str(TIMEOUT_S))
    monkeypatch.setenv("HAMSTRING_DATA_DIR", str(settings.data_dir))
    started = time.monotonic()
    status = index_status(settings, model=MODEL)
    assert status.state == "unreachable" and f"did not answer within {TIMEOUT_S:g} s" in status.reason
    assert app.main([]) == 1
    lines = operator_lines(capsys.readouterr().err)
    assert len(lines) == 1 and "did not answer" in lines[0] and "Traceback" not in lines[0]
    assert time.monotonic() - started < 6 * TIMEOUT_S + 10  # status, then start-up: each bounded by the timeout
