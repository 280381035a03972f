"""`diff --base live --head live+fix.yaml` against the API emulator: the cluster is read once (GET only)
for both sides, the fix is overlaid on what was read, and the flows it opens are reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from apiserver import FakeApiServer
from conftest import shop_cluster

from kubenet_tui.cli import main

FIX = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-payments, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {team: pay}}}]
    ports: [{port: 6379}]
"""


def test_live_with_a_fix_overlaid(server: FakeApiServer, kubeconfig: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    server.put_many(shop_cluster())
    fix = tmp_path / "fix.yaml"
    fix.write_text(FIX, encoding="utf-8")
    code = main(["diff", "--base", "live", "--head", f"live+{fix}", "--port", "6379", "--kubeconfig", str(kubeconfig),
                 "-o", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    assert [(c["from"], c["to"], c["change"], c["flows"]) for c in data["changes"]] == [
        ("payments", "shop", "opened", 1)]
    assert data["head"]["changes"] == [f"{fix}: +1 added (1 NetworkPolicy)"]
    assert data["base"]["source"] == "live" and "context test" in data["base"]["description"]
    lists = [r for r in server.requests if r.path == "/api/v1/pods" and not r.is_watch]
    assert len(lists) == 1  # both sides from one read
    assert server.methods() == {"GET"} and not [r for r in server.requests if "secrets" in r.path]
