"""Options of the commands (issue 9, P2 items): each command's --help lists exactly the options it uses,
`--request-timeout` takes kubectl's durations, `matrix -l` takes kubectl's label selectors, and
`check -q` is two lines."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from kubenet_tui.cli import main, request_timeout
from kubenet_tui.engine.cluster import Unreadable
from kubenet_tui.engine.model import Operator, Requirement
from kubenet_tui.engine.selector_syntax import SelectorError, parse_label_selector
from kubenet_tui.engine.selectors import selector_matches
from kubenet_tui.sources.base import DataState, Snapshot
from kubenet_tui.sources.parse import ObjectCollector

FRONTEND, DB = "shop/frontend", "shop/db"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def argparse_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    assert exc.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("kubenet-tui: error:")
    return line


# -- --help ---------------------------------------------------------------------------------------

SOURCES = {"-f", "--demo", "--cni", "--kubeconfig", "--context", "--request-timeout"}
SCOPE = {"-n", "-A"}
HELP = {
    "check": {"-h", "--port", "--protocol", "-o", "-q", "--ingress-pods"} | SCOPE | SOURCES,
    "matrix": {"-h", "--port", "--protocol", "-l", "-o", "--blocked"} | SCOPE | SOURCES,
    # snapshot saves a live read: files and the demo have nothing to save
    "snapshot": {"-h", "-o"} | SCOPE | {"--kubeconfig", "--context", "--request-timeout"},
}


def listed_options(help_text: str) -> list[str]:
    """The first spelling of every option in the option lists of a help text."""
    return re.findall(r"(?m)^  (-{1,2}[A-Za-z][\w-]*)", help_text)


@pytest.mark.parametrize("command", list(HELP))
def test_each_command_lists_exactly_its_own_options_once(capsys: pytest.CaptureFixture[str], command: str) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    options = listed_options(text)
    assert len(options) == len(set(options)), options
    assert set(options) == HELP[command]
    usage = text.split("\n\n", 1)[0]
    for option in HELP[command]:
        assert option in usage


def test_snapshot_still_refuses_files_with_a_reason(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    manifest = tmp_path / "x.yaml"
    manifest.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    for argv in (["snapshot", "-f", str(manifest)], ["--demo", "snapshot"], ["snapshot", "-f", "/nonexistent.yaml"]):
        code, _, err = run(capsys, *argv)
        assert code == 2 and "live cluster" in err, argv  # the reason, even before a missing file


# -- --request-timeout ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5s", 5.0), ("1m", 60.0), ("1h", 3600.0), ("1m30s", 90.0), ("1h2m3s", 3723.0), ("1500ms", 1.5),
     ("2.5s", 2.5), ("7", 7.0), ("0", 0.0), ("0s", 0.0), ("10", 10.0), (" 3s ", 3.0)],
)
def test_request_timeout_takes_kubectl_durations(text: str, seconds: float) -> None:
    assert request_timeout(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["5x", "-1s", "-1", "", "s", "1.5.3s", "inf", "nan", "1 m", "5s5", "1d"])
def test_request_timeout_refuses_anything_else_in_one_line(capsys: pytest.CaptureFixture[str], text: str) -> None:
    line = argparse_error(capsys, "check", FRONTEND, DB, "--demo", f"--request-timeout={text}")
    assert "--request-timeout" in line and repr(text) in line


def test_request_timeout_default_is_ten_seconds() -> None:
    from kubenet_tui.cli import build_parser

    assert build_parser().parse_args(["check", "a/b", "c/d"]).request_timeout == 10.0
    assert build_parser().parse_args(["--request-timeout", "1m"]).request_timeout == 60.0


# -- matrix -l -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "labels", "matches"),
    [
        ("app=web", {"app": "web"}, True),
        ("app==web", {"app": "web"}, True),
        ("app=web", {"app": "db"}, False),
        ("app=web", {}, False),
        ("tier!=db", {"tier": "db"}, False),
        ("tier!=db", {"tier": "web"}, True),
        ("tier!=db", {}, True),  # kubectl: != also selects objects without the key
        ("env in (prod, staging)", {"env": "staging"}, True),
        ("env in (prod,staging)", {"env": "dev"}, False),
        ("env notin (prod)", {}, True),
        ("env notin (prod)", {"env": "prod"}, False),
        ("legacy", {"legacy": ""}, True),
        ("legacy", {}, False),
        ("!legacy", {}, True),
        ("!legacy", {"legacy": "yes"}, False),
        ("app=web,tier!=db", {"app": "web", "tier": "front"}, True),
        ("app=web,tier!=db", {"app": "web", "tier": "db"}, False),
        ("app=web, env in (a,b), !legacy", {"app": "web", "env": "b"}, True),
        ("app.kubernetes.io/name=web", {"app.kubernetes.io/name": "web"}, True),
        ("empty=", {"empty": ""}, True),
        ("", {"anything": "x"}, True),
    ],
)
def test_selector_syntax_as_kubectl(text: str, labels: dict[str, str], matches: bool) -> None:
    assert selector_matches(parse_label_selector(text), labels) is matches


def test_selector_parses_into_requirements() -> None:
    selector = parse_label_selector("a=1,b!=2,c in (x,y),d notin (z),e,!f")
    assert selector.match_expressions == (
        Requirement("a", Operator.IN, ("1",)), Requirement("b", Operator.NOT_IN, ("2",)),
        Requirement("c", Operator.IN, ("x", "y")), Requirement("d", Operator.NOT_IN, ("z",)),
        Requirement("e", Operator.EXISTS), Requirement("f", Operator.DOES_NOT_EXIST))


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("app in (web", "not closed"),
        ("app in web", "parenthesised set"),
        ("app in ()", "at least one value"),
        ("app=web,", "trailing ','"),
        (",app=web", "unexpected ','"),
        ("app=web tier=db", "expected ','"),
        ("=web", "unexpected '='"),
        ("app=we b", "expected ','"),
        ("app>3", "numeric comparison"),
        ("-app=web", "not a valid label key"),
        ("app=-web", "not a valid label value"),
        ("Example.COM/app=web", "DNS subdomain"),
        ("!", "followed by a label key"),
        ("app=" + "v" * 64, "not a valid label value"),
    ],
)
def test_invalid_selectors_are_one_clear_line_and_exit_2(capsys: pytest.CaptureFixture[str], text: str,
                                                         why: str) -> None:
    with pytest.raises(SelectorError, match=re.escape(why)):
        parse_label_selector(text)
    line = argparse_error(capsys, "matrix", "--demo", f"--selector={text}")
    assert f"invalid label selector {text!r}" in line and why in line


def test_matrix_selector_limits_rows_and_columns(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "matrix", "--demo", "--port", "6379", "-o", "json")
    everything = json.loads(out)
    code, out, err = run(capsys, "matrix", "--demo", "--port", "6379", "-o", "json", "-l", "app in (redis,cart),tier!=x")
    assert code == 0, err
    data = json.loads(out)
    assert data["pods"] == ["shop/cart", DB]
    full = {key: i for i, key in enumerate(everything["pods"])}
    assert data["matrix"] == [[everything["matrix"][full[s]][full[d]] for d in data["pods"]] for s in data["pods"]]
    code, out, _ = run(capsys, "matrix", "--demo", "-l", "role=db", "-o", "blocked")
    assert (code, out.splitlines()[1:]) == (0, [])  # a single pod: it may talk to itself
    code, out, _ = run(capsys, "matrix", "--demo", "-l", "nosuchlabel")
    assert code == 0 and out.startswith("no pods")


# -- check -q -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "code", "why"),
    [
        pytest.param([FRONTEND, DB, "--port", "6379"], 0, "allowed by NetworkPolicy shop/test-network-policy ingress[0]",
                     id="allowed-by-rule"),
        pytest.param([FRONTEND, DB, "--port", "5432"], 1,
                     "shop/db is isolated for ingress by shop/allow-metrics-scrape, shop/test-network-policy, and no "
                     "ingress rule of them matches shop/frontend on this port", id="blocked-isolated"),
        pytest.param(["payments/worker-58d4c-hq7vn", DB, "--port", "6379"], 1,
                     "payments/worker-58d4c-hq7vn is isolated for egress by payments/allow-dns-egress, ", id="both-sides"),
        pytest.param([FRONTEND, "vault/vault-0", "--port", "8200"], 1,
                     'denied by AdminNetworkPolicy protect-vault ingress[2] "deny-everyone-else" (Deny)', id="admin-deny"),
        pytest.param(["172.17.1.5", DB, "--port", "6379"], 1, "shop/db is isolated for ingress by", id="ip-source"),
        pytest.param([FRONTEND, "8.8.8.8", "--port", "443"], 0,
                     "no policy restricts egress at shop/frontend: allowed by default", id="ip-destination"),
        pytest.param([FRONTEND, "shop/search-7d9f8-pending", "--port", "9200"], 3,
                     "the destination shop/search-7d9f8-pending has no IP address yet", id="not-evaluated"),
        pytest.param([FRONTEND, "svc/payments/api", "--port", "https"], 0,
                     "backend payments/api-6c5f7b-2xkqp: allowed by NetworkPolicy payments/api-from-shop ingress[0]; "
                     "and 1 more backend allowed", id="service-allowed"),
        pytest.param([FRONTEND, "svc/vault/vault", "--port", "8200"], 1,
                     'backend vault/vault-0: denied by AdminNetworkPolicy protect-vault ingress[2]', id="service-blocked"),
    ],
)
def test_brief_is_the_headline_and_one_line_why(capsys: pytest.CaptureFixture[str], argv: list[str], code: int,
                                                why: str) -> None:
    got, out, _ = run(capsys, "check", *argv, "--demo", "-q")
    assert got == code
    lines = out.split("\n")
    assert len(lines) == 3 and lines[2] == "", out  # exactly two lines, each ended by a newline
    headline, reason = lines[0], lines[1]
    assert headline.split()[1] in ("ALLOWED", "BLOCKED", "NOT") and argv[0] in headline
    assert reason.startswith(why), reason
    assert got != 1 or "BLOCKED" in headline


def test_brief_gives_the_unknown_reason(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    collector = ObjectCollector()
    for obj in [
        {"kind": "Namespace", "metadata": {"name": "app"}},
        {"kind": "Namespace", "metadata": {"name": "web"}},
        {"kind": "Pod", "metadata": {"name": "api", "namespace": "app"}, "status": {"podIP": "10.0.0.1"}},
        {"kind": "Pod", "metadata": {"name": "fe", "namespace": "web"}, "status": {"podIP": "10.0.1.1"}},
    ]:
        collector.add(obj, "test")
    collector.unreadable.append(Unreadable("networkpolicies", "app", "forbidden"))
    snapshot = Snapshot.from_collector(collector, DataState.LIVE, "test")

    class Fixed:
        def load(self) -> Snapshot:
            return snapshot

    monkeypatch.setattr("kubenet_tui.cli.make_source", lambda args: Fixed())
    code, out, _ = run(capsys, "check", "web/fe", "app/api", "--port", "80", "-q")
    assert code == 3
    headline, reason = out.rstrip("\n").split("\n")
    assert "UNKNOWN" in headline
    assert "could not be read (forbidden)" in reason


def test_brief_json_is_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    _, brief, _ = run(capsys, "check", FRONTEND, DB, "--port", "6379", "--demo", "-o", "json", "-q")
    _, full, _ = run(capsys, "check", FRONTEND, DB, "--port", "6379", "--demo", "-o", "json")
    data: dict[str, Any] = json.loads(brief)
    assert data == json.loads(full)


def test_help_mentions_the_two_lines(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    assert "two lines" in capsys.readouterr().out


@pytest.mark.parametrize("words", [
    ["check", "shop/frontend", "shop/db", "--port", "6379", "--demo=shop"],
    ["--demo=shop", "-n", "shop", "check", "frontend", "db", "-q"],
    ["-n", "check"],  # the explorer on namespace "check": the word names no command here
    ["matrix", "-A", "--port", "80", "-o", "csv", "-f", "x.yaml"],
    ["lint", "-o", "sarif", "--demo=calico"],
    ["diff", "--base", "demo", "--head", "demo+x.yaml"],
    ["flows", "-", "--demo=shop", "-o", "json"],
])
def test_the_parser_of_the_named_command_reads_the_words_as_the_whole_parser_does(words: list[str]) -> None:
    from kubenet_tui.cli import _parse, build_parser

    assert _parse("kubenet-tui", words) == build_parser().parse_args(words)


@pytest.mark.parametrize(("words", "message"), [
    (["-n", "check", "frob"], "invalid choice: 'frob' (choose from 'check', 'matrix', 'coverage'"),
    (["check", "a", "b", "--nope"], "unrecognized arguments: --nope"),
])
def test_an_error_is_the_whole_parsers(words: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    from kubenet_tui.cli import main

    with pytest.raises(SystemExit) as exited:
        main(words)
    assert exited.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize("columns", ["60", "200", "", "x"])
def test_help_is_as_wide_as_argparse_would_make_it(columns: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    from kubenet_tui.cli import _Formatter

    monkeypatch.setenv("COLUMNS", columns)
    assert _Formatter("kubenet-tui")._width == argparse.HelpFormatter("kubenet-tui")._width


@pytest.mark.parametrize("words", [["--hel", "check"], ["-Ah", "check"], ["check", "--help"]])
def test_help_however_asked_is_the_whole_parsers(words: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from kubenet_tui.cli import build_parser, main

    with pytest.raises(SystemExit):
        main(words)
    shown = capsys.readouterr().out
    with pytest.raises(SystemExit):
        build_parser().parse_args(words)
    assert shown == capsys.readouterr().out
