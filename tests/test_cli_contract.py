"""The command-line contract of `check` and `matrix` that scripts rely on.

Exit codes: 0 allowed, 1 blocked, 2 unusable input (one line on stderr, never a traceback), 3 unknown
(an end carries no traffic, or data that decides the verdict is missing). JSON: `allowed` (true, false or
null), `egress` and `ingress` each with `allowed` and `decidingRules`, and `caveats`; `matrix -o json` is
`{"pods": [...], "matrix": [[bool]]}` with pods sorted by namespace then name. One run goes through a real
subprocess to prove `python -m kubenet_tui` works end to end.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kubenet_tui.cli import main
from kubenet_tui.sources.demo import demo_texts

FRONTEND, DB = "shop/frontend", "shop/db"
WORKER = "payments/worker-58d4c-hq7vn"
PENDING = "shop/search-7d9f8-pending"
FINISHED = "shop/migrate-schema-x7k2p"
REF_KEYS = {"kind", "namespace", "name", "direction", "rule", "peer", "port"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line_error(err: str) -> str:
    """The stderr of an unusable-input run: exactly one line, an error, no traceback."""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("kubenet-tui: error:"), err
    return lines[0]


# -- exit codes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        pytest.param(["check", FRONTEND, DB, "--port", "6379", "--demo"], 0, id="allowed"),
        pytest.param(["check", FRONTEND, DB, "--port", "redis", "--demo"], 0, id="allowed-named-port"),
        pytest.param(["check", FRONTEND, DB, "--port", "5432", "--demo"], 1, id="blocked"),
        pytest.param(["check", WORKER, DB, "--port", "6379", "--demo"], 1, id="blocked-both-sides"),
        pytest.param(["check", "172.17.1.5", DB, "--port", "6379", "--demo"], 1, id="blocked-outside-source"),
        pytest.param(["check", FRONTEND, PENDING, "--port", "9200", "--demo"], 3, id="pending-destination"),
        pytest.param(["check", FINISHED, DB, "--port", "6379", "--demo"], 3, id="finished-source"),
        pytest.param(["check", FRONTEND, DB, "--port", "6379", "--protocol", "udp", "--demo"], 1, id="protocol-case"),
    ],
)
def test_check_exit_codes(capsys: pytest.CaptureFixture[str], argv: list[str], code: int) -> None:
    assert run(capsys, *argv)[0] == code


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        pytest.param(["check", FRONTEND, "shop/nope", "--demo"], ("shop/nope",), id="unknown-pod"),
        pytest.param(["check", "nowhere/x", DB, "--demo"], ("nowhere",), id="unknown-namespace"),
        pytest.param(["check", "not-a-pod", DB, "--demo"], ("not-a-pod",), id="malformed-endpoint"),
        pytest.param(["check", FRONTEND, DB, "--port", "99999", "--demo"], ("99999",), id="port-99999"),
        pytest.param(["check", FRONTEND, DB, "--port", "0", "--demo"], ("0",), id="port-0"),
        pytest.param(["check", FRONTEND, DB, "--port", "nope", "--demo"], ("nope",), id="unknown-port-name"),
        pytest.param(["check", FRONTEND, "8.8.8.8", "--port", "https", "--demo"], ("https",),
                     id="port-name-on-outside-address"),
        pytest.param(["check", FRONTEND, DB, "--protocol", "ICMP", "--demo"], ("ICMP",), id="protocol-ICMP"),
        pytest.param(["check", FRONTEND, DB, "-f", "/nonexistent/manifests.yaml"], ("/nonexistent/manifests.yaml",),
                     id="missing-file"),
        pytest.param(["check", FRONTEND, DB, "--demo", "-f", "x.yaml"], ("--demo",), id="demo-with-file"),
        pytest.param(["check", "1.1.1.1", "2.2.2.2", "--demo"], (), id="both-ends-outside"),
        pytest.param(["matrix", "--port", "99999", "--demo"], ("99999",), id="matrix-port-99999"),
        pytest.param(["matrix", "--port", "nope", "--demo"], ("nope",), id="matrix-port-name-no-pod-declares"),
        pytest.param(["matrix", "--protocol", "ICMP", "--demo"], ("ICMP",), id="matrix-protocol-ICMP"),
        pytest.param(["matrix", "-n", "nope", "--demo"], ("nope",), id="matrix-unknown-namespace"),
        pytest.param(["matrix", "-f", "/nonexistent/dir"], ("/nonexistent/dir",), id="matrix-missing-file"),
        pytest.param(["check", FRONTEND, DB, "--port", "²", "--demo"], ("²",), id="superscript-port"),
        pytest.param(["matrix", "--port", "²", "--demo"], ("²",), id="matrix-superscript-port"),
    ],
)
def test_unusable_input_exits_2_with_one_line(capsys: pytest.CaptureFixture[str], argv: list[str],
                                              words: tuple[str, ...]) -> None:
    try:
        code, out, err = run(capsys, *argv)
    except Exception as exc:  # a traceback is exactly what the contract forbids
        pytest.fail(f"main raised {type(exc).__name__}: {exc}")
    assert code == 2
    line = one_line_error(err)
    for word in words:
        assert word in line
    assert out == ""


def test_source_options_before_the_subcommand_are_honoured(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--demo", "check", FRONTEND, DB, "--port", "6379")
    assert (code, err) == (0, "")


def test_bad_output_format_is_an_argparse_error_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["check", FRONTEND, DB, "--demo", "-o", "yaml"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "yaml" in err.splitlines()[-1]


# -- check -o json ------------------------------------------------------------------------------------


def check_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = run(capsys, "check", *argv, "-o", "json")
    return code, json.loads(out)


def test_check_json_contract_keys_and_types(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = check_json(capsys, FRONTEND, DB, "--port", "6379", "--demo")
    assert code == 0
    assert data["allowed"] is True
    for side in ("egress", "ingress"):
        assert isinstance(data[side]["allowed"], bool)
        assert isinstance(data[side]["decidingRules"], list)
        assert all(isinstance(tier["policies"], list) for tier in data[side]["tiers"])
    assert isinstance(data["caveats"], list)
    (ref,) = data["ingress"]["decidingRules"]
    assert set(ref) >= REF_KEYS
    assert (ref["kind"], ref["namespace"], ref["name"], ref["direction"], ref["rule"], ref["peer"], ref["port"]) == (
        "NetworkPolicy", "shop", "test-network-policy", "ingress", 0, 1, 0)
    assert data["egress"]["decidingRules"] == []


def test_check_json_blocked_is_false_and_names_no_deciding_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = check_json(capsys, FRONTEND, DB, "--port", "5432", "--demo")
    assert code == 1
    assert data["allowed"] is False
    assert data["egress"]["allowed"] is True and data["ingress"]["allowed"] is False
    assert data["ingress"]["decidingRules"] == []
    assert set(data["ingress"]["isolatingPolicies"]) == {"shop/test-network-policy", "shop/allow-metrics-scrape"}


def test_check_json_allowed_is_null_when_not_evaluated(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = check_json(capsys, FRONTEND, PENDING, "--port", "9200", "--demo")
    assert code == 3
    assert data["allowed"] is None
    assert data["status"] == "not-evaluated"


def test_check_json_caveats_have_code_and_message(capsys: pytest.CaptureFixture[str]) -> None:
    _, data = check_json(capsys, FRONTEND, FRONTEND, "--port", "8080", "--demo")
    assert data["allowed"] is True
    assert {"code", "message"} <= set(data["caveats"][0])
    assert "loopback" in {c["code"] for c in data["caveats"]}


def test_check_text_reads_verdict_first_then_policy_and_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", FRONTEND, DB, "--port", "6379", "--demo")
    assert code == 0
    lines = out.splitlines()
    assert "ALLOWED" in lines[0] and FRONTEND in lines[0] and DB in lines[0]
    assert "test-network-policy" in out and "ingress[0]" in out
    code, out, _ = run(capsys, "check", FRONTEND, DB, "--port", "5432", "--demo")
    assert code == 1 and "BLOCKED" in out.splitlines()[0]


def test_problems_in_files_are_reported_and_the_check_still_runs(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    (_, demo), = demo_texts()
    (tmp_path / "demo.yaml").write_text(demo, encoding="utf-8")
    (tmp_path / "broken.yaml").write_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad, namespace: shop}\n"
        "spec: {podSelector: {matchExpressions: [{key: a, operator: Near}]}}\n", encoding="utf-8")
    code, _, err = run(capsys, "check", FRONTEND, DB, "--port", "6379", "-f", str(tmp_path))
    assert code == 0
    assert "NetworkPolicy shop/bad" in err and "Near" in err


# -- matrix -o json -----------------------------------------------------------------------------------


def matrix_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, _ = run(capsys, "matrix", *argv, "-o", "json")
    assert code == 0
    data: dict[str, Any] = json.loads(out)
    return data


def test_matrix_json_shape_and_order(capsys: pytest.CaptureFixture[str]) -> None:
    data = matrix_json(capsys, "--port", "6379", "--demo")
    pods, grid = data["pods"], data["matrix"]
    assert pods == sorted(pods, key=lambda key: tuple(key.split("/", 1)))
    assert len(set(pods)) == len(pods)
    assert len(grid) == len(pods) and all(len(row) == len(pods) for row in grid)
    assert all(isinstance(cell, bool) for row in grid for cell in row)
    # only pods that carry traffic: no Pending pod, no finished pod
    assert PENDING not in pods and FINISHED not in pods
    assert FRONTEND in pods and DB in pods
    index = {key: i for i, key in enumerate(pods)}
    assert grid[index[FRONTEND]][index[DB]] is True
    assert grid[index[WORKER]][index[DB]] is False
    # a pod to itself: NetworkPolicies cannot block it (the admin tier may: vault's hairpin is denied)
    assert all(grid[index[key]][index[key]] for key in (FRONTEND, DB, WORKER, "payments/ledger-0"))


def test_matrix_json_namespace_filter(capsys: pytest.CaptureFixture[str]) -> None:
    data = matrix_json(capsys, "-n", "shop", "-n", "payments", "--demo")
    assert {key.split("/")[0] for key in data["pods"]} == {"payments", "shop"}
    assert data["pods"][0].startswith("payments/")


def test_matrix_json_agrees_with_check_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    data = matrix_json(capsys, "--port", "6379", "-n", "shop", "-n", "payments", "--demo")
    for i, source in enumerate(data["pods"]):
        for j, destination in enumerate(data["pods"]):
            code, _, _ = run(capsys, "check", source, destination, "--port", "6379", "--demo")
            assert code == (0 if data["matrix"][i][j] else 1), (source, destination)


# -- a real process -----------------------------------------------------------------------------------


def python_m(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kubenet_tui", *argv], input=stdin, capture_output=True,
                          text=True, timeout=120, check=False)


def test_python_m_kubenet_tui_check_end_to_end() -> None:
    allowed = python_m("check", FRONTEND, DB, "--port", "6379", "--demo", "-o", "json")
    assert allowed.returncode == 0, allowed.stderr
    assert json.loads(allowed.stdout)["allowed"] is True
    blocked = python_m("check", FRONTEND, DB, "--port", "5432", "--demo")
    assert blocked.returncode == 1 and "BLOCKED" in blocked.stdout
    unusable = python_m("check", FRONTEND, "shop/nope", "--demo")
    assert unusable.returncode == 2
    one_line_error(unusable.stderr)


def test_python_m_reads_manifests_from_stdin() -> None:
    (_, demo), = demo_texts()
    result = python_m("check", FRONTEND, DB, "--port", "6379", "-f", "-", "-o", "json", stdin=demo)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ingress"]["decidingRules"][0]["name"] == "test-network-policy"


def test_console_script_when_installed_next_to_the_interpreter() -> None:
    script = Path(sys.executable).parent / "kubenet-tui"
    if not script.exists():
        pytest.skip("no kubenet-tui console script next to this interpreter")
    result = subprocess.run([str(script), "check", FRONTEND, DB, "--port", "5432", "--demo"], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 1, result.stderr
