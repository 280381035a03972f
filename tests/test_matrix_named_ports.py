"""`matrix --port NAME` (issue 9, P2): the name is resolved on each destination pod, as `check SRC DST
--port NAME` resolves it; pods declaring it under different numbers are each asked on their own
number, and a pod that does not declare it cannot be reached on it (not allowed, and the text says so).
It used to be refused with "matrix needs a numeric --port"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kubenet_tui.cli import main


def pod(ns: str, name: str, ip: str, labels: dict[str, str], ports: list[tuple[str, int]]) -> dict[str, Any]:
    return {"kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": labels},
            "spec": {"containers": [{"name": "c", "ports": [{"name": n, "containerPort": p} for n, p in ports]}]},
            "status": {"phase": "Running", "podIP": ip}}


def cluster_file(tmp_path: Path) -> Path:
    """`http` is 8080 on web, 80 on legacy, absent on db; only web is isolated and allows http by name
    from app=client, so legacy (not isolated) is open and web is open on its own 8080 only to clients."""
    items = [
        {"kind": "Namespace", "metadata": {"name": "a"}},
        pod("a", "web-1", "10.0.0.1", {"app": "web"}, [("http", 8080), ("metrics", 9100)]),
        pod("a", "web-2", "10.0.0.2", {"app": "web"}, [("http", 8080), ("metrics", 9100)]),
        pod("a", "legacy", "10.0.0.3", {"app": "legacy"}, [("http", 80)]),
        pod("a", "db", "10.0.0.4", {"app": "db"}, [("pg", 5432)]),
        pod("a", "client", "10.0.0.5", {"app": "client"}, []),
        {"kind": "NetworkPolicy", "metadata": {"name": "web", "namespace": "a"},
         "spec": {"podSelector": {"matchLabels": {"app": "web"}},
                  "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "client"}}}],
                               "ports": [{"port": "http"}]}]}},
    ]
    path = tmp_path / "named.json"
    path.write_text(json.dumps({"kind": "List", "items": items}))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_agrees_with_check(capsys: pytest.CaptureFixture[str], port: str, *where: str,
                             stride: int = 1) -> dict[str, Any]:
    """Every pair, or with `stride` n every n-th diagonal: still every source and every destination."""
    code, out, err = run(capsys, "matrix", "--port", port, "-o", "json", *where)
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    assert data["port"] == port
    assert len(data["ports"]) == len(data["pods"])
    for i, source in enumerate(data["pods"]):
        for j, destination in enumerate(data["pods"]):
            if (i + j) % stride:
                continue
            code, _, err = run(capsys, "check", source, destination, "--port", port, *where)
            if data["ports"][j] is None:
                # check refuses the question (the destination has no such port); the matrix says not allowed
                assert code == 2 and f"no TCP port named {port!r}" in err, (source, destination, err)
                assert data["matrix"][i][j] is False
            else:
                assert code == (0 if data["matrix"][i][j] else 1), (source, destination)
    return data


@pytest.mark.parametrize(("port", "stride"), [("metrics", 2), ("https", 3), ("http", 3)])
def test_demo_matrix_by_name_agrees_with_check_pair_by_pair(capsys: pytest.CaptureFixture[str], port: str,
                                                            stride: int) -> None:
    data = assert_agrees_with_check(capsys, port, "--demo", stride=stride)
    numbers = {n for n in data["ports"] if n is not None}
    if port == "metrics":
        assert len(numbers) >= 3  # 9090, 9113, 9121, 9153: several numbers in one matrix
    assert any(row[j] for row in data["matrix"] for j in range(len(row)))


def test_same_name_different_numbers_and_a_pod_without_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = cluster_file(tmp_path)
    data = assert_agrees_with_check(capsys, "http", "-f", str(path))
    index = {key: k for k, key in enumerate(data["pods"])}
    assert data["ports"] == [None if k in ("a/client", "a/db") else 80 if k == "a/legacy" else 8080
                             for k in data["pods"]]
    grid = data["matrix"]
    assert grid[index["a/client"]][index["a/web-1"]] is True
    assert grid[index["a/legacy"]][index["a/web-1"]] is False
    assert grid[index["a/web-1"]][index["a/legacy"]] is True
    assert not any(row[index["a/db"]] for row in grid)  # not even db itself: it has no port named http


def test_text_forms_say_which_pods_cannot_be_reached_on_the_name(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = cluster_file(tmp_path)
    code, out, _ = run(capsys, "matrix", "--port", "http", "-f", str(path))
    assert code == 0
    assert out.startswith("Connectivity on port http/TCP")
    assert "http is 80 on 1 pod, 8080 on 2 pods" in out
    assert "2 pods declare no TCP port named http, so nothing can connect to them on it (not allowed): a/client, a/db" in out
    code, out, _ = run(capsys, "matrix", "--port", "http", "-f", str(path), "-o", "blocked")
    assert "# 2 pods declare no TCP port named http" in out
    assert "a/web-1 -> a/db" in out.splitlines()
    code, out, _ = run(capsys, "matrix", "--port", "http", "-f", str(path), "-o", "summary")
    lines = out.splitlines()
    assert lines[0] == "# allowed pairs per namespace pair on port http/TCP" and lines[2].startswith("# 2 pods")
    # legacy from all 5 pods; web-1 and web-2 each from client and from itself; db and client from none
    assert lines[-1].split() == ["a", "a", str(5 + 2 + 2), "25"]


def test_a_name_no_pod_declares_is_unusable_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "matrix", "--port", "htpp", "--demo")
    assert (code, out) == (2, "")
    assert err.strip() == "kubenet-tui: error: none of the 14 pods declares a TCP port named 'htpp'"
