"""HAMSTRING_CHROMA_URL switches the same ingest and bot code to a real Chroma server (`chroma run`)."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.chain import Bot
from core.settings import PROJECT_ROOT, Settings
from ingest import run_ingest
from tests.fakes import WordEmbeddings

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    port = free_port()
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    server = subprocess.Popen(
        [chroma, "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("chroma run did not start within 20 s")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_ingest_and_answers_through_a_chroma_server(chroma_server, tmp_path):
    settings = Settings(chroma_url=chroma_server, data_dir=tmp_path / "data", corpus_dir=PROJECT_ROOT / "corpus")
    first = run_ingest(settings, WordEmbeddings(), model="fake-words", progress=False)
    assert first.added > 300
    assert not settings.chroma_dir.exists()  # nothing went to the embedded store
    again = run_ingest(settings, WordEmbeddings(), model="fake-words", progress=False)
    assert again.added == again.removed == again.updated == 0
    answer = Bot.load(settings, embeddings=WordEmbeddings()).ask("Which exercises strengthen the hamstrings?")
    assert answer.citations
