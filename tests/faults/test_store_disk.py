"""Faults of the embedded Chroma store (issue 13, items 1 and 7): a damaged chroma.sqlite3, a full disk, the
data folder deleted while serving and then re-ingested, a manifest that lies about its counts.

Each case asserts what the runner sees (answers, a readable apology, never a 500) and what the operator sees
(one line naming the fix, health's state and remedy), and records failed answers and time to recover.
"""

import json
import shutil
import time

import pytest

import app  # first, so gradio is imported with analytics already off
import ingest.__main__ as ingest_cli
from bot.chain import Bot
from core.errors import IndexCorrupt
from core.index import index_status
from core.settings import Settings
from ingest.pipeline import run_ingest
from tests.fakes import WordEmbeddings
from tests.faults.store_faults import (
    MODEL,
    FullDisk,
    Runner,
    ServedApp,
    copy_data,
    damage,
    failed,
    operator_lines,
    record,
    run_cli,
    run_ingest_process,
    wait_until,
)

pytestmark = pytest.mark.faults
DAMAGE = ["garbage-header", "truncated", "random-64k"]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Settings:
    """A real store over the real corpus, built once (word-hash embedder); each test damages its own copy."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("store-base") / "data")
    run_ingest(settings, WordEmbeddings(), model=MODEL, progress=False)
    return settings


@pytest.fixture
def say(request):
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    return lambda line: reporter.write_line(line) if reporter else print(line)


def serve(settings: Settings) -> ServedApp:
    bot = Bot.load(settings, embeddings=WordEmbeddings())
    return ServedApp(app.create_app(settings, bot, index_status=lambda s: index_status(s, model=MODEL)))


@pytest.mark.parametrize("kind", DAMAGE)
def test_a_damaged_store_is_one_line_at_start_up_and_rebuild_moves_it_aside(built, tmp_path, kind, say, monkeypatch, capsys):
    settings = copy_data(built, tmp_path / "data")
    store = settings.chroma_dir / "chroma.sqlite3"
    damage(store, kind)
    damaged_bytes = store.read_bytes()

    status = index_status(settings, model=MODEL)
    assert (status.state, status.fresh) == ("damaged", False)
    assert "--rebuild" in status.remedy and "make ingest" not in status.remedy

    # The operator's two commands: serving stops with one line; a plain ingest too, naming --rebuild. One
    # kind runs them as real processes (what a terminal shows, imports included); the others in-process.
    monkeypatch.setenv("HAMSTRING_DATA_DIR", str(settings.data_dir))
    started = time.monotonic()
    if kind == "garbage-header":
        served, plain = run_cli(settings, "app.py", timeout=120), run_cli(settings, "-m", "ingest", "--quiet", timeout=120)
        exits, serve_err, ingest_err = (served.returncode, plain.returncode), served.stderr, plain.stderr
    else:
        exits = (app.main([]), ingest_cli.main(["--quiet"]))
        serve_err, ingest_err = capsys.readouterr().err.split("ingest failed", 1)
        ingest_err = "ingest failed" + ingest_err
    start_up_s = time.monotonic() - started
    lines = operator_lines(serve_err)
    assert exits == (1, 1)
    assert len(lines) == 1 and "Traceback" not in serve_err, serve_err
    assert lines[0].startswith("error: The store") and "damaged" in lines[0] and "python -m ingest --rebuild" in lines[0]
    assert operator_lines(ingest_err) == [f"ingest failed: {status.reason}"], ingest_err

    with pytest.raises(IndexCorrupt, match="--rebuild"):
        run_ingest(settings, WordEmbeddings(), model=MODEL, progress=False)
    started = time.monotonic()
    summary = run_ingest(settings, WordEmbeddings(), model=MODEL, progress=False, rebuild=True)
    rebuild_s = time.monotonic() - started
    assert summary.rebuilt and summary.set_aside is not None and "moved to" in summary.line()
    assert summary.set_aside.name.startswith("chroma.damaged-")
    assert (summary.set_aside / "chroma.sqlite3").read_bytes() == damaged_bytes  # kept as it was, not deleted
    assert index_status(settings, model=MODEL).fresh
    assert Bot.load(settings, embeddings=WordEmbeddings()).ask("How do I strengthen my hamstrings?").citations
    say(record(f"damaged-at-start-{kind}", start_up_exit=exits[0], ingest_exit=exits[1], operator_lines=len(lines),
               start_up_s=start_up_s, rebuild_s=rebuild_s))


def test_a_full_disk_at_start_up_is_one_line(built, tmp_path, say, monkeypatch, capsys):
    if not FullDisk.available(tmp_path):
        pytest.fail("this fault needs a tmpfs mount (run as root); the rest of the suite does not")
    with FullDisk(tmp_path / "small-disk") as disk:
        settings = copy_data(built, disk.mount / "data")
        disk.fill()
        status = index_status(settings, model=MODEL)
        assert status.state == "unwritable" and "disk is full" in status.reason
        monkeypatch.setenv("HAMSTRING_DATA_DIR", str(settings.data_dir))
        exit_code = app.main([])
        err = capsys.readouterr().err
        lines = operator_lines(err)
        assert exit_code == 1 and len(lines) == 1 and "Traceback" not in err, err
        assert "disk is full" in lines[0] and "Free some space" in lines[0]
        (disk.mount / "filler").unlink()
        assert index_status(settings, model=MODEL).fresh  # nothing was harmed: space back, index fine
    say(record("full-disk-at-start", start_up_exit=exit_code, operator_lines=len(lines)))


def test_a_manifest_with_wrong_counts_says_rebuild_and_rebuild_fixes_it(built, tmp_path):
    settings = copy_data(built, tmp_path / "data")
    data = json.loads(settings.manifest_path.read_text())
    data["counts"]["chunks"] += 3
    settings.manifest_path.write_text(json.dumps(data))
    status = index_status(settings, model=MODEL)
    assert status.state == "damaged" and "--rebuild" in status.reason and "make ingest" not in status.reason
    run_ingest(settings, WordEmbeddings(), model=MODEL, progress=False, rebuild=True)
    assert index_status(settings, model=MODEL).fresh


def test_damage_while_serving_gets_an_apology_and_rebuild_heals_without_a_restart(built, tmp_path, say):
    settings = copy_data(built, tmp_path / "data")
    with serve(settings) as served, Runner(served.url) as runner:
        assert wait_until(lambda: len(runner.outcomes) >= 6, 30)
        assert not failed(runner.outcomes)
        damaged_at = time.monotonic()
        damage(settings.chroma_dir / "chroma.sqlite3", "garbage-header")
        health = wait_until(lambda: (h := served.health()[0])["index"] == "damaged" and h, 15)
        assert health and "--rebuild" in health["remedy"], health
        time.sleep(1.0)
        during = runner.between(damaged_at)
        assert all(o.status in (200, 503) for o in during), {o.status for o in during}
        apologies = [o for o in during if o.status == 503]
        assert all("try again" in o.detail and "Traceback" not in o.detail for o in apologies)

        out = run_ingest_process(settings, "--rebuild")
        assert out.returncode == 0 and "moved to" in out.stdout, out.stderr
        rebuilt_at = time.monotonic()
        assert wait_until(lambda: any(o.status == 200 for o in runner.between(rebuilt_at)), 20), runner.between(rebuilt_at)[-3:]
        recovered_s = min(o.at for o in runner.between(rebuilt_at) if o.status == 200) - rebuilt_at
        time.sleep(2.0)
        settled = runner.asked_after(rebuilt_at)
        assert len(settled) > 5 and not failed(settled), [(o.status, o.detail) for o in failed(settled)][:3]
        assert wait_until(lambda: served.health()[0]["index"] == "fresh", 10), served.health()[0]
    say(record("damaged-while-serving", answers_during_fault=len(during), failed_during_fault=len(failed(during)),
               server_errors=sum(o.status >= 500 and o.status != 503 for o in during),
               failed_after_rebuild=len(failed(settled)), answers_after_rebuild=len(settled), recovery_s=recovered_s))


def test_data_folder_deleted_while_serving_then_reingested_heals_without_a_restart(built, tmp_path, caplog, say):
    settings = copy_data(built, tmp_path / "data")
    caplog.set_level("WARNING", logger="hamstring_bot")
    with serve(settings) as served, Runner(served.url) as runner:
        assert wait_until(lambda: len(runner.outcomes) >= 6, 30)
        deleted_at = time.monotonic()
        shutil.rmtree(settings.data_dir)
        health = wait_until(lambda: (h := served.health()[0])["index"] == "missing" and h, 15)
        assert health and "make ingest" in health["remedy"], health
        time.sleep(1.0)
        during = runner.between(deleted_at)
        assert all(o.status in (200, 503) for o in during), {o.status for o in during}

        out = run_ingest_process(settings)
        assert out.returncode == 0, out.stderr
        ingested_at = time.monotonic()
        assert wait_until(lambda: any(o.status == 200 for o in runner.between(ingested_at)), 20)
        recovered_s = min(o.at for o in runner.between(ingested_at) if o.status == 200) - ingested_at
        # The worst run stayed at 100% failures through a later --rebuild and a no-op ingest.
        for args in (["--rebuild"], []):
            again = run_ingest_process(settings, *args)
            assert again.returncode == 0, again.stderr
            time.sleep(1.0)
        after = runner.asked_after(ingested_at)
        assert len(after) > 10 and not failed(after), [(o.status, o.detail) for o in failed(after)][:3]
        assert wait_until(lambda: served.health()[0]["index"] == "fresh", 10), served.health()[0]
    assert "still answering from the previous one" not in caplog.text
    assert "index reopened" in caplog.text
    say(record("data-dir-deleted-then-reingested", answers_during_fault=len(during), failed_during_fault=len(failed(during)),
               failed_after_reingest=len(failed(after)), answers_after_reingest=len(after), recovery_s=recovered_s))
