"""Debian's chromium for the browser tests, through Playwright: found, launched, or the reason it can't be.

Without a browser the tests are skipped with a notice, except under CI=true, where a missing browser fails.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def browser_missing(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} — the browser tests must run under CI (.ci/run installs Debian's chromium).")
    pytest.skip(f"{reason} — skipping the browser tests (install Debian's chromium to run them).")


def chromium() -> Iterator:
    """A headless chromium for one test module (a generator, for a fixture to yield from)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_missing("Playwright for Python is not installed")
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not executable:
        browser_missing(f"No Chromium at {CHROMIUM} or on PATH")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=ARGS)
        yield launched
        launched.close()
