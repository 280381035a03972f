"""`matrix -o blocked` and `-o summary` say the same as the JSON grid, in their compact forms."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from kubenet_tui.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["matrix", "--demo", "--port", "6379", *argv]) == 0
    return capsys.readouterr().out


def test_blocked_and_summary_agree_with_the_json_grid(capsys: pytest.CaptureFixture[str]) -> None:
    grid = json.loads(run(capsys, "-o", "json"))
    pods, rows = grid["pods"], grid["matrix"]
    expected_blocked = {f"{pods[i]} -> {pods[j]}" for i, row in enumerate(rows) for j, ok in enumerate(row) if not ok}
    blocked_lines = run(capsys, "-o", "blocked").splitlines()
    assert blocked_lines[0].startswith("# blocked pairs on 6379/TCP")
    assert set(blocked_lines[1:]) == expected_blocked and len(blocked_lines) - 1 == len(expected_blocked)

    allowed: Counter[tuple[str, str]] = Counter()
    total: Counter[tuple[str, str]] = Counter()
    for i, row in enumerate(rows):
        for j, ok in enumerate(row):
            pair = (pods[i].split("/")[0], pods[j].split("/")[0])
            total[pair] += 1
            allowed[pair] += ok
    summary = {}
    for line in run(capsys, "-o", "summary").splitlines()[2:]:
        src, dst, ok, of = line.split()
        summary[(src, dst)] = (int(ok), int(of))
    assert summary == {pair: (allowed[pair], total[pair]) for pair in total}
    assert any(ok < of for ok, of in summary.values()), "the demo has blocked namespace pairs"
