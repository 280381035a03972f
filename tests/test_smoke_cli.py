"""The CLI contract on the demo: exit codes and the verdicts the README promises."""

from __future__ import annotations

import json

import pytest

from kubenet_tui.cli import main


@pytest.mark.parametrize(
    ("port", "code"),
    [("6379", 0), ("5432", 1), ("redis", 0), ("99999", 2), ("nope", 2)],
)
def test_check_exit_codes_on_demo(port: str, code: int) -> None:
    assert main(["check", "shop/frontend", "shop/db", "--port", port, "--demo"]) == code


def test_check_json_names_the_deciding_policy(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "shop/frontend", "shop/db", "--port", "6379", "--demo", "-o", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["allowed"] is True
    assert data["ingress"]["decidingRules"][0]["name"] == "test-network-policy"
