"""The hamstring-bot command over the real index: answers, JSON, and plain errors without tracebacks."""

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def run(args, data_dir, stdin=""):
    env = {**os.environ, "HAMSTRING_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, env=env, input=stdin, timeout=120)


def test_ask_prints_the_answer_and_its_sources(real_settings):
    out = run(["ask", "How long should I hold a hamstring stretch?"], real_settings.data_dir)
    assert out.returncode == 0, out.stderr
    assert "45 to 60" in out.stdout and "Sources:" in out.stdout and "[1]" in out.stdout


def test_ask_json_is_the_answer_model(real_settings):
    out = run(["ask", "I felt a pop in my hamstring", "--json"], real_settings.data_dir)
    answer = json.loads(out.stdout)
    assert answer["escalation"]["reasons"] and answer["citations"]


def test_chat_keeps_the_conversation(real_settings):
    out = run(["chat"], real_settings.data_dir, stdin="What is proximal hamstring tendinopathy?\nHow do I prevent it?\n\n")
    assert out.returncode == 0
    assert "The best prevention is usually sensible load management." in out.stdout


def test_missing_index_is_one_plain_message(tmp_path):
    out = run(["ask", "anything"], tmp_path / "empty")
    assert out.returncode == 2
    assert "make ingest" in out.stderr and "Traceback" not in out.stderr


def test_chat_starts_over_on_new_and_a_red_flag_does_not_follow(real_settings):
    stdin = "I felt a pop in my hamstring\nWhat causes hamstring strains?\n/new\nWhat causes hamstring strains?\n/quit\n"
    out = run(["chat"], real_settings.data_dir, stdin=stdin)
    assert out.returncode == 0
    replies = out.stdout.split("you> ")
    assert "Please get this assessed" in replies[1]
    assert "Earlier you described a pop" in replies[2]  # answered, with a reminder first
    assert "Started a new conversation." in replies[3]
    assert "Earlier you described" not in replies[4] and "Please get this assessed" not in replies[4]
