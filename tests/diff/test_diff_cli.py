"""`kubenet-tui diff` end to end: the text, Markdown and JSON a reviewer and a script read (golden files
beside this test, from the small cluster in `data/`), exit codes, sources and overlays as typed.

Regenerate the golden files with `KUBENET_UPDATE_GOLDEN=1 python -m pytest tests/diff`, read the diff,
commit it. Each case also asserts the facts the output must show, so a careless regeneration cannot
freeze a wrong answer.
"""

from __future__ import annotations

import difflib
import io
import json
import os
from pathlib import Path

import pytest

from kubenet_tui.cli import main

HERE = Path(__file__).parent
DATA = HERE / "data"
UPDATE = os.environ.get("KUBENET_UPDATE_GOLDEN") == "1"


def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *argv: str,
        stdin: str | None = None) -> tuple[int, str, str]:
    monkeypatch.chdir(DATA)
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["diff", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def golden(name: str, text: str) -> None:
    path = HERE / "golden" / name
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert text == expected, "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                                         str(path), "now"))


FIX = ("--base", "cluster.yaml", "--head", "cluster.yaml+fix.yaml")


def test_text(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run(capsys, monkeypatch, *FIX)
    assert code == 1 and not err
    golden("fix.txt", out)
    assert "shop → shop on 5432/TCP: 2 flows ✗ blocked → ✔ allowed" in out
    assert "after:  allowed by NetworkPolicy shop/db-from-frontend-postgres ingress[0]" in out
    assert "shop → payments on 8443/TCP: 3 flows ✔ allowed → ✗ blocked" in out
    assert out.rstrip().endswith("5 flows change: 2 opened (blocked → allowed), 3 closed (allowed → blocked)")


def test_markdown(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(capsys, monkeypatch, *FIX, "-o", "markdown")
    assert code == 1
    golden("fix.md", out)
    assert out.startswith("### kubenet-tui diff: 5 flows change\n")
    rows = [line for line in out.splitlines() if line.startswith("| shop |")]
    assert len(rows) == 2 and all(row.count(" | ") == 8 for row in rows)


def test_json(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(capsys, monkeypatch, *FIX, "-o", "json")
    assert code == 1
    golden("fix.json", out)
    data = json.loads(out)
    assert data["schemaVersion"] == 1 and data["changed"] is True
    assert data["totals"] == {"flows": 5, "opened": 2, "closed": 3, "became-unknown": 0, "now-known": 0,
                              "appeared": 0, "disappeared": 0}
    assert data["head"]["changes"] == ["fix.yaml: +1 added (1 NetworkPolicy), ~1 replaced (1 NetworkPolicy)"]
    opened = next(c for c in data["changes"] if c["change"] == "opened")
    assert (opened["from"], opened["to"], opened["ports"], opened["flows"]) == ("shop", "shop", "5432/TCP", 2)
    (example,) = opened["examples"]
    assert example["before"]["status"] == "blocked" and example["after"]["status"] == "allowed"
    assert example["after"]["decidingRules"] == [{"kind": "NetworkPolicy", "namespace": "shop",
                                                  "name": "db-from-frontend-postgres", "direction": "ingress",
                                                  "rule": 0, "peer": 0, "port": 0}]
    assert [p["label"] for p in data["ports"]] == ["5432/TCP", "6379/TCP", "8443/TCP", "any other TCP port",
                                                   "any UDP port", "any SCTP port"]


def test_no_change_exits_0(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(capsys, monkeypatch, "--base", "cluster.yaml", "--head", "cluster.yaml",
                       "--delete", "remove-default-deny.yaml")
    assert code == 0
    assert "delete remove-default-deny.yaml: -1 deleted (1 NetworkPolicy)" in out
    assert out.rstrip().endswith("no flow changes")


def test_one_port(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(capsys, monkeypatch, *FIX, "--port", "8443", "-o", "json")
    data = json.loads(out)
    assert code == 1 and [p["label"] for p in data["ports"]] == ["8443/TCP"]
    assert data["totals"]["flows"] == 3 and {c["change"] for c in data["changes"]} == {"closed"}


def test_an_overlay_from_stdin_and_a_namespace(capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    fix = (DATA / "fix.yaml").read_text(encoding="utf-8")
    code, out, _ = run(capsys, monkeypatch, "--base", "cluster.yaml", "--head", "cluster.yaml+-", "-n", "shop",
                       stdin=fix)
    assert code == 1 and "in shop" in out
    assert "payments" not in out.split("\n\n", 1)[1]  # flows into payments are out of scope


def test_the_demo_and_a_fix(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(capsys, monkeypatch, "--base", "demo", "--head", "demo+demo-fix.yaml", "--port", "5432")
    assert code == 1
    assert "shop → shop on 5432/TCP: 1 flow ✗ blocked → ✔ allowed" in out


@pytest.mark.parametrize(("argv", "message"), [
    (("--head", "cluster.yaml+missing.yaml", "--base", "cluster.yaml"), "overlay missing.yaml: no such file"),
    (("--head", "nowhere", "--base", "demo"), "nowhere: no such file or directory"),
    (("--head", "demo", "--base", "demo", "--port", "http"), "diff --port takes a number"),
    (("--head", "demo", "--base", "demo", "--port", "70000"), "out of range"),
    (("--head", "demo", "--base", "demo", "--protocol", "icmp"), "unknown protocol"),
    (("--head", "demo", "--base", "demo", "-n", "nope"), "namespace(s) not found on either side: nope"),
    (("--head", "demo", "--base", "demo", "--delete", "missing.yaml"), "missing.yaml: no such file"),
])
def test_unusable_input_exits_2(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                argv: tuple[str, ...], message: str) -> None:
    code, out, err = run(capsys, monkeypatch, *argv)
    assert code == 2 and not out
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_files_flags_do_not_apply(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    assert main(["-f", "cluster.yaml", "diff", "--head", "cluster.yaml"]) == 2
    assert "-f and --demo do not apply" in capsys.readouterr().err


def test_problems_of_an_overlay_are_reported_and_the_rest_compared(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text((DATA / "fix.yaml").read_text(encoding="utf-8")
                      + "---\nkind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: x, namespace: shop}\n"
                        "spec: {podSelector: {matchLabels: {app: cart}}, policyTypes: [Sideways]}\n")
    code, out, err = run(capsys, monkeypatch, "--base", "cluster.yaml", "--head", f"cluster.yaml+{broken}")
    assert code == 1
    assert f"kubenet-tui: {broken}: error: " in err and "unknown type 'Sideways'" in err
    # What the invalid policy would do at the pods of shop cannot be told: their flows become unknown,
    # not guessed; the change into payments is still reported as it is.
    assert out.rstrip().endswith("3 closed (allowed → blocked), 97 became unknown")


def test_kinds_the_engine_does_not_use_are_noted(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    deployment = tmp_path / "deploy.yaml"
    deployment.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n")
    code, out, _ = run(capsys, monkeypatch, "--base", "cluster.yaml", "--head", f"cluster.yaml+{deployment}")
    assert code == 0
    assert f"note: {deployment}: ignored 1 Deployment" in out and "no controller runs here" in out


def test_the_parsers_explain_budget_is_the_engines() -> None:
    """The parser states the default without importing the engine's diff (start-up time): the same number."""
    from kubenet_tui.commands.diff import EXPLAIN_BUDGET
    from kubenet_tui.engine import diff

    assert diff.EXPLAIN_BUDGET == EXPLAIN_BUDGET
