"""The layer graph, enforced on the source: every `import` in the package (module level or inside a
function) is read with `ast` and checked against the layers' rules.

    engine    imports nothing of sources, render, ui or cli (pure)
    sources   imports the engine only
    render    imports the engine only
    terminal  (output streams, progress lines) imports nothing of ours
    ui        may import engine, sources, render and terminal; ui/state, ui/panes and ui/whatif import no Textual
    commands  (the command line's subcommands) may import every layer but cli
    cli       is imported by nothing but `__main__` (it parses arguments and calls the layers)
"""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import kubenet_tui

PACKAGE = Path(kubenet_tui.__file__).resolve().parent
ROOT = PACKAGE.parent
ALLOWED = {
    "engine": {"engine"},
    "sources": {"engine", "sources"},
    "render": {"engine", "render"},
    "terminal": {"terminal"},
    "ui": {"engine", "sources", "render", "terminal", "ui"},
    "commands": {"engine", "sources", "render", "terminal", "ui", "commands"},
    "demo": set(),
}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def imported(path: Path) -> set[str]:
    """Every module `path` imports, absolute (relative imports resolved), at any depth of the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "kubenet_tui":
        return None
    return parts[1] if len(parts) > 1 else ""


def test_every_module_is_in_a_known_layer() -> None:
    top = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in modules()}
    assert top <= {*ALLOWED, "cli", "__init__", "__main__"}, top


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_layers(path: Path) -> None:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    own = layer(name)
    for target in sorted(imported(path)):
        other = layer(target)
        if other is None or other == "" or target == "kubenet_tui.__version__":
            continue
        if other == "cli":
            assert name == "kubenet_tui.__main__", f"{name} imports {target}: nothing but __main__ imports the CLI"
        elif own in ALLOWED:
            assert other in ALLOWED[own], f"{name} ({own}) imports {target} ({other})"


def test_the_state_and_pane_models_import_no_textual() -> None:
    import kubenet_tui.ui.panes
    import kubenet_tui.ui.state
    import kubenet_tui.ui.whatif

    names = sorted(f"{package.__name__}.{m.name}"
                   for package in (kubenet_tui.ui.state, kubenet_tui.ui.panes, kubenet_tui.ui.whatif)
                   for m in pkgutil.iter_modules(package.__path__))
    assert "kubenet_tui.ui.state.explorer" in names and "kubenet_tui.ui.panes.heatmap_view" in names
    probe = (
        "import importlib, json, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(n for n in sys.modules if n.split('.')[0] == 'textual' "
        "or n.startswith(('kubenet_tui.ui.widgets', 'kubenet_tui.ui.app', 'kubenet_tui.ui.screens')))))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_the_checker_sees_lazy_imports() -> None:
    sample = PACKAGE / "ui" / "launch.py"
    found = imported(sample)
    assert "kubenet_tui.ui.app" in found  # imported inside run_explorer
    assert not any(layer(t) == "cli" for t in found)
