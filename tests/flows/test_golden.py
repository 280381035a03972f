"""`flows -o json` on one sample per format (samples/, written from the upstream schemas: see their README),
against the demo cluster, compared with golden files in golden/.

The JSON report is a contract for scripts. The verdict inside each class (`explanation`) is left out of
the golden files: it is `check -o json`'s contract, tested in tests/golden. When the output changes on
purpose, regenerate with `KUBENET_UPDATE_GOLDEN=1 python -m pytest tests/flows`, read the diff and commit
it. Each case also asserts its facts on their own (which classes agree, disagree, and the top cause), so
a careless regeneration cannot freeze a wrong comparison.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from kubenet_tui.cli import main

HERE = Path(__file__).parent
SAMPLES = HERE / "samples"
GOLDEN = HERE / "golden"
UPDATE = os.environ.get("KUBENET_UPDATE_GOLDEN") == "1"

# (source, destination, port, observed, agreement, top cause or None)
Fact = tuple[str, str, int | None, str, str, str | None]

CASES: dict[str, tuple[list[str], int, list[Fact]]] = {
    "hubble": (["--cni", "cilium"], 1, [
        ("shop/cart", "shop/db", 6379, "denied", "disagrees", "not-read"),
        ("shop/frontend", "payments/api-6c5f7b-2xkqp", 8443, "denied", "disagrees", "l7-or-dns"),
        ("monitoring/grafana-5b7c9-x2x8d", "shop/db", 9121, "allowed", "disagrees", "snapshot-time"),
        ("payments/worker-58d4c-hq7vn", "104.18.12.33", 443, "allowed", "disagrees", "l7-or-dns"),
        # Cilium lets a pod's own node in (allow-localhost); which node runs shop/db is not known here
        ("192.168.10.12 (node node-2)", "shop/db", 6379, "allowed", "unknown", "not-read"),
        ("shop/frontend-v2-5d8f9-abcde", "shop/db", 6379, "allowed", "unknown", "snapshot-time"),
        ("shop/frontend", "shop/db", 5432, "denied", "agrees", None),
        ("shop/frontend", "vault/vault-0", 8200, "denied", "agrees", None),
        ("payments/worker-58d4c-hq7vn", "payments/ledger-0", 5432, "audit", "agrees", None),
        ("shop/frontend", "shop/db", 6379, "allowed", "agrees", None),
        ("shop/frontend", "svc/shop/db (10.96.10.20)", 6379, "allowed", "agrees", None),
        ("shop/frontend", "shop/db", None, "denied", "not-compared", None),
        ("shop/frontend", "shop/cart", 8080, "dropped", "not-compared", None),
    ]),
    "calico-flowlogs": ([], 1, [
        ("192.168.10.11 (node node-1)", "shop/db", 6379, "allowed", "disagrees", "host-network"),
        ("pub", "shop/frontend", 8080, "allowed", "unknown", "snapshot-time"),
        ("shop/frontend", "shop/db", 5432, "denied", "agrees", None),
        ("monitoring/grafana-5b7c9-x2x8d", "shop/db", 6379, "denied", "agrees", None),
        ("payments/api-6c5f7b-* (2 pods)", "payments/ledger-0", 5432, "allowed", "agrees", None),
        ("shop/frontend", "shop/db", 5432, "allowed", "agrees", None),
    ]),
    "goldmane": ([], 1, [
        ("payments/worker-58d4c-hq7vn", "payments/ledger-0", 5432, "allowed", "disagrees", "snapshot-time"),
        ("shop/cart", "payments/api-6c5f7b-* (2 pods)", 8443, "denied", "agrees", None),
        ("monitoring/prometheus-0", "shop/db", 9121, "allowed", "agrees", None),
    ]),
    "whisker": ([], 0, [
        ("monitoring/grafana-5b7c9-x2x8d", "shop/db", 6379, "denied", "agrees", None),
        ("shop/frontend", "shop/cart", 8080, "allowed", "agrees", None),
    ]),
    "aws-agent": (["--cni", "upstream"], 1, [
        ("monitoring/grafana-5b7c9-x2x8d", "shop/db", 6379, "allowed", "disagrees", "snapshot-time"),
        ("payments/worker-58d4c-hq7vn", "payments/ledger-0", 5432, "allowed", "disagrees", "snapshot-time"),
        ("monitoring/grafana-5b7c9-x2x8d", "shop/db", 6379, "denied", "agrees", None),
        ("shop/frontend", "shop/db", 5432, "denied", "agrees", None),
        ("shop/frontend", "2001:db8::10", 443, "allowed", "agrees", None),
        ("shop/frontend", "shop/cart", 8080, "allowed", "agrees", None),
    ]),
}
FILES = {"hubble": "hubble.jsonl", "calico-flowlogs": "calico-flowlogs.jsonl", "goldmane": "goldmane.jsonl",
         "whisker": "whisker.jsonl", "aws-agent": "aws-agent.log"}


def run_flows(capsys: pytest.CaptureFixture[str], sample: str, *extra: str) -> tuple[int, dict[str, Any], str]:
    code = main(["flows", str(SAMPLES / FILES[sample]), "--demo", "-o", "json", *extra])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def without_explanations(report: dict[str, Any]) -> dict[str, Any]:
    for cls in report["classes"]:
        cls.pop("explanation", None)
    return report


@pytest.mark.parametrize("sample", sorted(CASES))
def test_flows_report_matches_its_golden_file(capsys: pytest.CaptureFixture[str], sample: str) -> None:
    extra, code, facts = CASES[sample]
    returncode, report, stderr = run_flows(capsys, sample, *extra)
    assert returncode == code, stderr
    found = [(c["source"]["name"], c["destination"]["name"], c["port"], c["observed"]["verdict"], c["agreement"],
              c["causes"][0]["cause"] if c.get("causes") else None) for c in report["classes"]]
    assert found == facts
    # The findings come with the verdict in full; agreements say what decided them (`decisions`).
    for cls in report["classes"]:
        assert ("explanation" in cls) is (cls["agreement"] in ("disagrees", "unknown") and cls["ours"] is not None)
    golden = GOLDEN / f"{sample}.json"
    text = json.dumps(without_explanations(report), indent=2, sort_keys=True) + "\n"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    expected = golden.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True), "golden", "now"))
        pytest.fail(f"flows report for {sample} differs from {golden.name}:\n{diff}")


def test_every_malformed_line_is_named_by_its_number_and_the_rest_is_read(capsys: pytest.CaptureFixture[str]) -> None:
    _, report, stderr = run_flows(capsys, "hubble", "--cni", "cilium")
    problems = {p["line"]: p["message"] for p in report["summary"]["read"]["problems"]}
    assert sorted(problems) == [19, 20, 21, 22]
    assert "not valid JSON" in problems[19]
    assert "10.244.1.300" in problems[20]
    assert "not a port number" in problems[21]
    assert "hubble observe -o json" in problems[22]
    for line in problems:
        assert f"skipped line {line}:" in stderr
    # The line after the bad ones is read: it is the second egress record of frontend -> db 6379.
    allowed = next(c for c in report["classes"] if c["port"] == 6379 and c["source"]["name"] == "shop/frontend"
                   and c["destination"]["name"] == "shop/db")
    assert allowed["count"] == 3 and allowed["observed"]["sides"] == ["egress", "ingress"]
