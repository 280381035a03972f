"""`matrix -o pairs|csv|compact`, the text grid and `-o blocked`: three values (allowed, blocked,
unknown), streamed a row at a time.

Golden files (`tests/golden/matrix/`, regenerated with KUBENET_UPDATE_GOLDEN=1) fix each form on the
Cilium demo, whose verdicts include unknown pairs. Every form read back gives the same grid, which
agrees with `-o json` (true exactly where allowed) and, on random small clusters, with `evaluate`
pair by pair: an unknown pair is never printed as allowed or as blocked.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scale.test_matrix_agrees import PORTS, clusters

from kubenet_tui.cli import main
from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.evaluate import End, evaluate
from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.heatmap import PairStatus
from kubenet_tui.engine.matrix import matrix_pods
from kubenet_tui.engine.model import Pod, Protocol
from kubenet_tui.engine.pair_status import status_rows
from kubenet_tui.render.matrix_forms import compact_json, csv_lines, grid_text, pair_lines

GOLDEN = Path(__file__).parent / "golden" / "matrix"
UPDATE = os.environ.get("KUBENET_UPDATE_GOLDEN") == "1"
CELL = {"1": "allowed", "0": "blocked", "?": "unknown"}
CASES = [("shop", "6379"), ("shop", "http"), ("cilium", None), ("cilium", "80"), ("calico", "5432")]


def run(capsys: pytest.CaptureFixture[str], demo: str, port: str | None, *argv: str) -> str:
    args = ["matrix", "--demo", demo, *(["--port", port] if port else []), *argv]
    assert main(args) == 0
    return capsys.readouterr().out


Grid = dict[tuple[str, str], str]


def from_pairs(text: str, grid_pods: list[str], listed: str) -> Grid:
    """The grid a pairs listing implies, with unknown left as '-' (pairs does not name them)."""
    lines = text.splitlines()
    assert lines[0].startswith(f"# {listed} pairs on")
    pairs = {tuple(line.split(" -> ")) for line in lines if not line.startswith("#")}
    other = "blocked" if listed == "allowed" else "allowed"
    return {(s, d): listed if (s, d) in pairs else other for s in grid_pods for d in grid_pods}


def from_csv(text: str) -> tuple[list[str], Grid]:
    lines = text.splitlines()
    header = lines[0].split(",")
    assert header[0] == "source"
    pods = header[1:]
    grid = {}
    for line in lines[1:]:
        source, *cells = line.split(",")
        assert len(cells) == len(pods)
        grid.update({(source, d): CELL[c] for d, c in zip(pods, cells, strict=True)})
    return pods, grid


def from_compact(text: str) -> tuple[list[str], Grid]:
    data = json.loads(text)
    pods = data["pods"]
    assert set(data["legend"]) == set(CELL)
    assert len(data["matrix"]) == len(pods)
    return pods, {(s, d): CELL[c] for s, row in zip(pods, data["matrix"], strict=True)
                  for d, c in zip(pods, row, strict=True)}


def from_text(text: str, pods: list[str]) -> Grid:
    symbol = {"✔": "allowed", "✗": "blocked", "?": "unknown"}
    lines = text.splitlines()
    rows = [line.split() for line in lines[lines.index("") + 2:]]  # after the blank line and column numbers
    assert len(rows) == len(pods)
    return {(pods[int(row[0]) - 1], d): symbol[c] for row in rows for d, c in zip(pods, row[1:], strict=True)}


@pytest.mark.parametrize(("demo", "port"), CASES)
def test_every_form_says_the_same_and_agrees_with_json(capsys: pytest.CaptureFixture[str], demo: str,
                                                       port: str | None) -> None:
    grid_json = json.loads(run(capsys, demo, port, "-o", "json"))
    pods = grid_json["pods"]
    csv_pods, grid = from_csv(run(capsys, demo, port, "-o", "csv"))
    assert csv_pods == pods
    assert from_compact(run(capsys, demo, port, "-o", "compact")) == (pods, grid)
    assert from_text(run(capsys, demo, port), pods) == grid
    # json: true exactly where allowed; false for blocked and unknown alike.
    assert {(s, d): ok for s, row in zip(pods, grid_json["matrix"], strict=True)
            for d, ok in zip(pods, row, strict=True)} == {pair: v == "allowed" for pair, v in grid.items()}
    known = {pair: v for pair, v in grid.items() if v != "unknown"}
    for argv, listed in ((["-o", "pairs"], "allowed"), (["-o", "pairs", "--blocked"], "blocked"),
                         (["-o", "blocked"], "blocked")):
        text = run(capsys, demo, port, *argv)
        implied = from_pairs(text, pods, listed)
        # Pairs listed are exactly the ones of that status; unknown ones are counted, not listed.
        assert {pair: implied[pair] for pair in known} == known
        assert not any(implied[pair] == listed for pair, v in grid.items() if v == "unknown")
        unknown = sum(v == "unknown" for v in grid.values())
        assert text.splitlines()[-1].endswith("was not read): not listed") == bool(unknown)


def test_the_cilium_demo_has_unknown_pairs(capsys: pytest.CaptureFixture[str]) -> None:
    _, grid = from_csv(run(capsys, "cilium", None, "-o", "csv"))
    assert "unknown" in grid.values(), "the golden files must show unknown cells"


@pytest.mark.parametrize("argv", [("-o", "pairs"), ("-o", "pairs", "--blocked"), ("-o", "csv"), ("-o", "compact"),
                                  ("-o", "text")], ids=lambda a: "-".join(a).strip("-o "))
def test_golden(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]) -> None:
    got = run(capsys, "cilium", None, *argv)
    path = GOLDEN / ("cilium-" + "-".join(a.lstrip("-") for a in argv[1:]) + ".txt")
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8")


def test_blocked_goes_with_pairs_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["matrix", "--demo", "-o", "csv", "--blocked"]) == 2
    assert "--blocked goes with -o pairs" in capsys.readouterr().err


def _status(cluster: Cluster, src: Pod, dst: Pod, protocol: Protocol, port: int | None) -> str:
    status = evaluate(cluster, End(pod=src), End(pod=dst), protocol, port).status
    return {Status.ALLOWED: "allowed", Status.UNKNOWN: "unknown"}.get(status, "blocked")


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(clusters(), st.sampled_from(Protocol), st.sampled_from(PORTS))
def test_forms_agree_with_evaluate_on_random_clusters(case: tuple[Cluster, tuple[Pod, ...]], protocol: Protocol,
                                                      port: int | None) -> None:
    cluster, _ = case
    pods = matrix_pods(cluster)
    rows = status_rows(cluster, pods, protocol, port)
    keys = [p.key for p in pods]
    expected = {(s.key, d.key): _status(cluster, s, d, protocol, port) for s in pods for d in pods}
    _, from_csv_grid = from_csv("".join(csv_lines(rows)))
    assert from_csv_grid == expected
    assert from_compact("".join(compact_json(rows))) == (keys, expected)
    if keys:
        assert from_text("".join(grid_text(rows)), keys) == expected
    for listed, want in (("allowed", PairStatus.ALLOWED), ("blocked", PairStatus.BLOCKED)):
        implied = from_pairs("".join(pair_lines(rows, want)), keys, listed)
        assert {p: implied[p] for p, v in expected.items() if v != "unknown"} == {
            p: v for p, v in expected.items() if v != "unknown"}
