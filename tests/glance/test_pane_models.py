"""The lint pane and the Namespaces pane's coverage cells as plain models, and the glance package's
purity: none of its modules imports Textual (the panes are the explorer's; these are what they show)."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
from engine.kit import cluster, namespace, netpol, pod

import kubenet_tui.ui.panes
from kubenet_tui.engine.coverage import coverage
from kubenet_tui.engine.lint import LintRule, Severity, lint
from kubenet_tui.ui.panes.coverage_view import CoverageRow, coverage_rows
from kubenet_tui.ui.panes.lint_view import LintView, OpenObject

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(f"kubenet_tui.ui.panes.{m.name}" for m in pkgutil.iter_modules(kubenet_tui.ui.panes.__path__))


@pytest.mark.parametrize("module", MODULES)
def test_glance_models_import_no_textual(module: str) -> None:
    probe = (f"import importlib, json, sys\nimportlib.import_module({module!r})\n"
             "print(json.dumps(sorted(n for n in sys.modules if n.split('.')[0] == 'textual')))\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def broken_cluster():  # type: ignore[no-untyped-def]
    return cluster(
        namespace("shop"), pod("shop", "web", {"app": "web"}, ips=["10.0.0.1"]),
        pod("shop", "db", {"app": "db"}, ips=["10.0.0.2"]),
        netpol("shop", "typo", {"podSelector": {"matchLabels": {"app": "wbe"}}, "policyTypes": ["Ingress"]}),
        netpol("shop", "web", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [
            {"ports": [{"port": 80}]}, {"ports": [{"port": 80}]}]}),
    )


def test_lint_view_rows_filter_and_open() -> None:
    findings = lint(broken_cluster())
    view = LintView(findings)
    assert [r.finding.severity for r in view.rows] == sorted((f.severity for f in findings), key=lambda s: -s.rank)
    lines = view.lines(80, 24)
    assert len(lines) <= 24 and all(len(line) <= 80 for line in lines)
    assert lines[0].startswith("Lint: 0 errors, 2 warnings, 1 note")
    assert lines[1].startswith(">⚠ ")
    view.key("j")
    assert view.current() is view.rows[1].finding
    effect = view.key("enter")
    assert isinstance(effect, OpenObject) and effect.path == view.rows[1].finding.path
    view.key("w")  # warnings and errors: the note goes
    assert all(r.finding.severity is not Severity.NOTE for r in view.rows)
    assert "(1 hidden by the filter)" in view.lines(80, 24)[0]
    view.key("e")
    assert view.rows == [] and view.key("enter") is None
    assert "no findings at this severity" in view.lines(80, 24)[1]
    view.key("a")
    ascii_lines = view.lines(60, 12, unicode=False)
    assert all(line.isascii() and len(line) <= 60 for line in ascii_lines) and len(ascii_lines) <= 12


def test_lint_view_details_follow_the_cursor() -> None:
    findings = lint(broken_cluster())
    view = LintView(findings)
    view.key("G")
    last = view.rows[-1].finding
    lines = view.lines(100, 20)
    assert any(last.rule is LintRule.SHADOWED_RULE and "redundant" in line for line in lines)


def test_coverage_rows() -> None:
    rows = coverage_rows(coverage(broken_cluster()))
    shop = rows["shop"]
    assert (shop.evaluated, shop.isolated, shop.neither) == (2, 1, 1)
    assert shop.cells() == ("████░░░░  50%", "0", "1", "0", "1", "")
    assert shop.bar(unicode=False) == "####....  50%"
    assert rows["*"] == CoverageRow("*", 2, 0, 1, 0, 1, 0)
    assert CoverageRow("x", 0, 0, 0, 0, 0, 0).bar().endswith("-")
