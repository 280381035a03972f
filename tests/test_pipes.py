"""A reader that stops early (`| head`) must not change the exit code: 1 means "blocked"."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def big_cluster(path: Path) -> Path:
    """Enough pods and policies that every output form is far larger than a pipe's buffer."""
    items: list[dict[str, object]] = [
        {"kind": "Pod", "metadata": {"name": f"p{i:03}", "namespace": "x", "labels": {"app": f"a{i}"}},
         "status": {"podIP": f"10.0.{i // 250}.{i % 250 + 1}"}}
        for i in range(300)
    ]
    items += [
        {"kind": "NetworkPolicy", "metadata": {"name": f"np{i:03}", "namespace": "x"},
         "spec": {"podSelector": {"matchLabels": {"app": f"a{i}"}}, "ingress": [{"ports": [{"port": 443}]}]}}
        for i in range(1000)
    ]
    path.write_text(json.dumps({"kind": "List", "items": items}))
    return path


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["check", "x/p000", "x/p001", "--port", "443"], 0),
        (["check", "x/p000", "x/p001", "--port", "80"], 1),
        (["matrix", "--port", "80"], 0),
        (["matrix", "--port", "80", "-o", "blocked"], 0),
        (["matrix", "--port", "80", "-o", "json"], 0),
    ],
)
def test_exit_code_survives_a_reader_that_stops_after_one_line(tmp_path: Path, argv: list[str], code: int) -> None:
    manifest = big_cluster(tmp_path / "big.json")
    proc = subprocess.Popen([sys.executable, "-m", "kubenet_tui", *argv, "-f", str(manifest)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={"COLUMNS": "80", "PATH": ""})
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # like `head -1`: later writes hit a closed pipe
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == code, err
    assert "Traceback" not in err
