"""The architecture, guarded: imports point down the layers, siblings stay apart, and the page's renderer
stays light.

core (foundation) ← ingest, bot (siblings: neither imports the other) ← evals, web ← app.py.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT

LAYER = {"core": 0, "ingest": 1, "bot": 1, "evals": 2, "web": 2, "app": 3}
PACKAGES = ["core", "ingest", "bot", "evals", "web"]


def project_imports(path: Path) -> list[tuple[int, str]]:
    """(line, top-level project package) of every import in a file, at any depth (function-local too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        found += [(node.lineno, name.split(".")[0]) for name in names if name.split(".")[0] in LAYER]
    return found


def sources() -> list[tuple[str, Path]]:
    files = [("app", PROJECT_ROOT / "app.py")]
    for package in PACKAGES:
        files += [(package, path) for path in sorted((PROJECT_ROOT / package).rglob("*.py"))]
    return files


def violations() -> list[str]:
    problems = []
    for package, path in sources():
        for line, imported in project_imports(path):
            if imported == package:
                continue
            if LAYER[imported] >= LAYER[package]:
                problems.append(f"{path.relative_to(PROJECT_ROOT)}:{line} ({package}) imports {imported}")
    return problems


def test_imports_point_down_the_layers_and_siblings_stay_apart():
    assert violations() == []


def test_the_check_sees_a_violation(tmp_path, monkeypatch):
    # The guard itself must be able to fail: a core module importing bot is reported.
    bad = tmp_path / "core" / "bad.py"
    bad.parent.mkdir()
    bad.write_text("def f():\n    from bot.chain import Bot\n")
    assert project_imports(bad) == [(2, "bot")]


@pytest.mark.parametrize("module", ["web.render", "core.markdown", "core.types"])
def test_rendering_does_not_load_the_store_or_the_model(module):
    code = f"import sys, {module}; print(sorted(m for m in ('chromadb', 'torch', 'bot.chain') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True)
    assert out.stdout.strip() == "[]"
