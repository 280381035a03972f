"""Code quality gates that run with the test suite: ruff, mypy (strict on the engine), and a pure engine.

The engine must import no UI, no kube client, no YAML parser and no terminal renderer: each of its modules
is imported in a fresh interpreter and `sys.modules` is inspected afterwards (the Harlequin approach).
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import kubenet_tui.engine

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_IN_ENGINE = ("textual", "kubernetes", "yaml", "rich")
ENGINE_MODULES = sorted(f"kubenet_tui.engine.{m.name}" for m in pkgutil.iter_modules(kubenet_tui.engine.__path__))


def run_tool(*argv: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, check=False)


def test_ruff_is_clean() -> None:
    result = run_tool("ruff", "check", "kubenet_tui", "tests")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = run_tool("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_strict_on_the_engine() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert "kubenet_tui" in config.get("packages", [])
    strict = [o for o in config.get("overrides", []) if o.get("strict") is True]
    assert any("kubenet_tui.engine.*" in o.get("module", []) for o in strict)


def test_engine_modules_were_found() -> None:
    assert {"kubenet_tui.engine.model", "kubenet_tui.engine.evaluate", "kubenet_tui.engine.rules",
            "kubenet_tui.engine.matrix"} <= set(ENGINE_MODULES)


@pytest.mark.parametrize("module", ENGINE_MODULES)
def test_engine_module_imports_no_io_ui_or_client_library(module: str) -> None:
    probe = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        f"forbidden = {FORBIDDEN_IN_ENGINE!r}\n"
        "print(json.dumps(sorted(n for n in sys.modules if n.split('.')[0] in forbidden)))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [], f"{module} pulls in {result.stdout.strip()}"
