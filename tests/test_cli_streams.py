"""What the commands write to streams that are not a UTF-8 terminal (issue 9, items 7 and 8).

A stdout that cannot encode the symbols (PYTHONIOENCODING=latin-1 or ascii, a C locale without UTF-8
mode) used to end in a traceback and exit 1, which reads as "blocked". Now the symbols fall back to
ASCII, JSON stays exact, and the exit code is the verdict's. Through a pipe, check's text is never
hard-wrapped at rich's default 80 columns: each line stays whole for grep.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kubenet_tui.sources.demo import demo_texts

FRONTEND, DB = "shop/frontend", "shop/db"
ENCODINGS = {
    "latin-1": {"PYTHONIOENCODING": "latin-1"},
    "ascii": {"PYTHONIOENCODING": "ascii"},
    "LANG=C": {"LANG": "C"},
    # A C locale that Python neither coerces nor runs in UTF-8 mode: stdout really is ASCII.
    "C-no-utf8": {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},
}


def run(env_extra: dict[str, str], *argv: str) -> subprocess.CompletedProcess[bytes]:
    env = {"PATH": os.environ.get("PATH", ""), "COLUMNS": "80", **env_extra}
    return subprocess.run([sys.executable, "-m", "kubenet_tui", *argv], capture_output=True, env=env,
                          timeout=120, check=False)


# Every command on the two streams that take no symbol at all; the other two on the commands that print
# the most kinds of symbol (each run is a process of its own: a third of a second).
EVERY_COMMAND_ON = ("ascii", "C-no-utf8")
SOME_COMMANDS_ON = ("latin-1", "LANG=C")
SOME_COMMANDS = ("check-allowed", "check-unknown", "check-json", "matrix-summary", "overview-without-terminal")


def _on_encodings(cases: list[Any]) -> list[Any]:
    return [pytest.param(encoding, *case.values, id=f"{case.id}-{encoding}")
            for case in cases for encoding in (*EVERY_COMMAND_ON, *(SOME_COMMANDS_ON if case.id in SOME_COMMANDS else ()))]


@pytest.mark.parametrize(
    ("encoding", "argv", "code", "expect"),
    _on_encodings([
        pytest.param(["check", FRONTEND, DB, "--port", "6379", "--demo"], 0, "ALLOWED", id="check-allowed"),
        pytest.param(["check", FRONTEND, DB, "--port", "5432", "--demo"], 1, "BLOCKED", id="check-blocked"),
        pytest.param(["check", FRONTEND, DB, "--port", "5432", "--demo", "-q"], 1, "BLOCKED", id="check-brief"),
        pytest.param(["check", FRONTEND, "shop/search-7d9f8-pending", "--port", "9200", "--demo"], 3, "NOT EVALUATED",
                     id="check-unknown"),
        pytest.param(["check", FRONTEND, "svc/payments/api", "--port", "https", "--demo"], 0, "ALLOWED",
                     id="check-service"),
        pytest.param(["check", FRONTEND, DB, "--port", "5432", "--demo", "-o", "json"], 1, '"allowed": false',
                     id="check-json"),
        pytest.param(["matrix", "--port", "6379", "-n", "shop", "--demo"], 0, "Connectivity", id="matrix-text"),
        pytest.param(["matrix", "--port", "metrics", "--demo", "-o", "summary"], 0, "# allowed pairs",
                     id="matrix-summary"),
        pytest.param(["--demo"], 0, "bundled demo cluster", id="overview-without-terminal"),
        pytest.param(["check", FRONTEND, DB, "--port", "²", "--demo"], 2, "", id="bad-input"),
    ]),
)
def test_no_traceback_and_the_verdicts_exit_code_on_any_stdout_encoding(
    encoding: str, argv: list[str], code: int, expect: str
) -> None:
    result = run(ENCODINGS[encoding], *argv)
    err = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err and "UnicodeEncodeError" not in err, err
    assert result.returncode == code, err
    if code == 2:
        assert err.startswith("kubenet-tui: error:") and len(err.strip().splitlines()) == 1
        return
    text = result.stdout.decode("latin-1")
    assert expect in text
    if encoding in ("ascii", "C-no-utf8"):
        assert result.stdout.isascii()
    if "json" in argv:
        assert json.loads(result.stdout)["allowed"] is False


def test_ascii_stand_ins_keep_the_meaning_of_the_symbols() -> None:
    out = run(ENCODINGS["ascii"], "check", FRONTEND, DB, "--port", "5432", "--demo").stdout.decode("ascii")
    first = out.splitlines()[0]
    assert first.startswith("x BLOCKED") and "shop/frontend -> shop/db" in first
    assert "chain: [Calico tier adminnetworkpolicy] NoDecision -> [Calico tier kube-admin] Pass -> " in out
    grid = run(ENCODINGS["ascii"], "matrix", "--port", "6379", "-n", "shop", "--demo").stdout.decode("ascii")
    assert "+ allowed, x blocked" in grid
    rows = grid.splitlines()[-3:]
    assert all(set(row.split(None, 1)[1].split()) <= {"+", "x"} for row in rows)
    # latin-1 has '·' (policies that do not select the pod): it stays as it is.
    latin = run(ENCODINGS["latin-1"], "check", FRONTEND, DB, "--port", "5432", "--demo").stdout.decode("latin-1")
    assert "    · AdminNetworkPolicy protect-vault" in latin


def test_json_on_an_ascii_stdout_escapes_instead_of_replacing(tmp_path: Path) -> None:
    (_, demo), = demo_texts()
    # A label value cannot be non-ASCII, but a rule name of an admin policy is free text.
    manifest = tmp_path / "ü.yaml"
    manifest.write_text(demo.replace('name: "deny-everyone-else"', 'name: "deny-everyone-else →"')
                        .replace("name: deny-everyone-else", 'name: "deny-everyone-else →"'), encoding="utf-8")
    result = run(ENCODINGS["ascii"], "check", FRONTEND, "vault/vault-0", "--port", "8200", "-f", str(manifest),
                 "-o", "json")
    assert result.returncode == 1, result.stderr
    assert result.stdout.isascii()
    data = json.loads(result.stdout)
    names = {ref.get("ruleName") for ref in data["ingress"]["decidingRules"]}
    assert "deny-everyone-else →" in names
    # The overview names the file: a non-ASCII path is escaped, not a crash.
    overview = run(ENCODINGS["ascii"], "-f", str(manifest))
    assert overview.returncode == 0 and overview.stdout.isascii(), overview.stderr


# -- item 8: pipes get whole lines ----------------------------------------------------------------


def rendered(argv: list[str]) -> str:
    """What the renderer itself produces for a check, as plain text: the lines a pipe must carry."""
    from kubenet_tui.engine.evaluate import evaluate, resolve_end, resolve_port
    from kubenet_tui.engine.model import Protocol
    from kubenet_tui.engine.services import evaluate_service, resolve_service
    from kubenet_tui.render.services_out import service_verdict_text
    from kubenet_tui.render.text import brief_text, verdict_text
    from kubenet_tui.sources.demo import DemoSource

    cluster = DemoSource().load().cluster
    source, destination, port = argv[1], argv[2], argv[argv.index("--port") + 1]
    if destination.startswith("svc/"):
        sv = evaluate_service(cluster, resolve_end(cluster.index, source), resolve_service(cluster.index, destination),
                              Protocol.TCP, port)
        return service_verdict_text(sv).plain
    end = resolve_end(cluster.index, destination)
    number, name = resolve_port(port, Protocol.TCP, end)
    verdict = evaluate(cluster, resolve_end(cluster.index, source), end, Protocol.TCP, number, name)
    return (brief_text(verdict) if "-q" in argv else verdict_text(verdict)).plain


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["check", FRONTEND, DB, "--port", "5432", "--demo"], id="pod"),
        pytest.param(["check", FRONTEND, "vault/vault-0", "--port", "8200", "--demo"], id="admin"),
        pytest.param(["check", "payments/worker-58d4c-hq7vn", "svc/payments/api", "--port", "https", "--demo"],
                     id="service"),
        pytest.param(["check", FRONTEND, DB, "--port", "5432", "--demo", "-q"], id="brief"),
    ],
)
def test_check_text_through_a_pipe_is_not_wrapped_at_80_columns(argv: list[str]) -> None:
    result = run({"PYTHONIOENCODING": "utf-8"}, *argv)
    out = result.stdout.decode()
    assert max(len(line) for line in out.splitlines()) > 100, "the case needs lines longer than a terminal"
    assert out == rendered(argv) + "\n"


def test_error_lines_through_a_pipe_are_not_wrapped() -> None:
    long_name = "shop/" + "x" * 150
    result = run({}, "check", FRONTEND, long_name, "--demo")
    assert result.returncode == 2
    assert len(result.stderr.decode().strip().splitlines()) == 1
