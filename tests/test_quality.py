"""Code quality gates that run with the test suite: ruff, mypy (strict on the engine), and a pure engine.

The engine must import no UI, no kube client, no YAML parser and no terminal renderer: its modules are
imported one after another in a fresh interpreter and `sys.modules` is inspected after each (the Harlequin
approach). A module that pulls one in is the first after which it is there: every module before it was clean.
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
ENGINE_MODULES = sorted(m.name for m in pkgutil.walk_packages(kubenet_tui.engine.__path__, "kubenet_tui.engine."))


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


PROBE = """
import importlib, json, sys
forbidden, found = sys.argv[1].split(","), {}
for module in sys.argv[2:]:
    importlib.import_module(module)
    found[module] = sorted(n for n in sys.modules if n.split(".")[0] in forbidden)
    if found[module]:
        break
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def pulled_in() -> dict[str, list[str]]:
    """Per engine module, the forbidden modules loaded once it was imported (after every one before it)."""
    result = subprocess.run([sys.executable, "-c", PROBE, ",".join(FORBIDDEN_IN_ENGINE), *ENGINE_MODULES], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    found: dict[str, list[str]] = json.loads(result.stdout)
    return found


@pytest.mark.parametrize("module", ENGINE_MODULES)
def test_engine_module_imports_no_io_ui_or_client_library(module: str, pulled_in: dict[str, list[str]]) -> None:
    culprit = next((m for m, names in pulled_in.items() if names), None)
    assert module in pulled_in, f"not checked: {culprit} pulled in {pulled_in.get(culprit or '', [])} before it"
    assert pulled_in[module] == [], f"{module} pulls in {pulled_in[module]}"


def test_the_hot_explanation_objects_stay_values() -> None:
    """`explained` classes are plain slotted dataclasses at run time (for speed) and frozen to mypy: equal
    and hashed by value, as a frozen dataclass is, with no per-object dict."""
    from kubenet_tui.engine.explain import Check, PolicyExplanation, RuleExplanation
    from kubenet_tui.engine.rules import Match, Selection

    for made in (Check(0, True, "podSelector a=b", "matches"), RuleExplanation(0, True, (), (), "matches"),
                 PolicyExplanation("NetworkPolicy", "ns", "p", True, "selects"), Match(True, "x"), Selection(None, "y")):
        twin = type(made)(*(getattr(made, f) for f in made.__dataclass_fields__))
        assert made == twin and hash(made) == hash(twin)
        assert not hasattr(made, "__dict__")
