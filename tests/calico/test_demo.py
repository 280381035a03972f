"""`--demo calico`: the shop cluster with Calico's tiers, a GlobalNetworkPolicy deny, a NetworkSet for an
outside range, a Log rule, a Pass, and a staged policy that changes one verdict."""

from __future__ import annotations

import json

import pytest
from engine.kit import check

from kubenet_tui.cli import main
from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.profiles import Profile
from kubenet_tui.render.text import verdict_text
from kubenet_tui.sources.demo import DemoSource

COREDNS = "kube-system/coredns-7db6d8ff4d-4n2xz"
WORKER = "payments/worker-58d4c-hq7vn"
API = "payments/api-6c5f7b-2xkqp"


@pytest.fixture(scope="module")
def demo() -> Cluster:
    snapshot = DemoSource("calico").load()
    assert snapshot.problems == (), [p.describe() for p in snapshot.problems]
    assert snapshot.cluster.profile is Profile.CALICO
    return snapshot.cluster


FLOWS = [
    # (source, destination, port, protocol, status, deciding policy)
    ("shop/frontend", "198.51.100.7", 443, "TCP", Status.BLOCKED, "security.block-threats"),
    ("shop/frontend", "192.0.2.66", 80, "TCP", Status.BLOCKED, "security.block-threats"),
    ("shop/frontend", "192.0.2.67", 80, "TCP", Status.ALLOWED, None),
    (WORKER, COREDNS, 53, "UDP", Status.ALLOWED, "allow-dns-egress"),
    ("monitoring/prometheus-0", COREDNS, 9153, "TCP", Status.ALLOWED, "platform.coredns-ingress"),
    ("shop/cart", COREDNS, 9153, "TCP", Status.BLOCKED, None),
    (API, "203.0.113.10", 8443, "TCP", Status.ALLOWED, "allow-card-processor"),
    ("shop/frontend", "shop/db", 6379, "TCP", Status.ALLOWED, "test-network-policy"),
    ("shop/frontend", "vault/vault-0", 8200, "TCP", Status.BLOCKED, "protect-vault"),
]


@pytest.mark.parametrize(("source", "destination", "port", "protocol", "status", "decider"), FLOWS)
def test_demo_flows(demo: Cluster, source: str, destination: str, port: int, protocol: str, status: Status,
                    decider: str | None) -> None:
    verdict = check(demo, source, destination, port, protocol)
    assert verdict.status is status, verdict.summary
    if decider is not None:
        assert decider in {r.name for r in verdict.deciding_rules}


def test_log_then_deny_and_the_chain(demo: Cluster) -> None:
    verdict = check(demo, "shop/frontend", "198.51.100.7", 443)
    (policy,) = [p for p in verdict.egress.policies if p.name == "security.block-threats"]
    log, deny = policy.rules
    assert log.matched and log.action == "Log" and "Log never decides" in log.reason
    assert deny.matched and deny.action == "Deny"
    assert "GlobalNetworkSet threat-feed" in deny.peers[0].reason
    text = verdict_text(verdict).plain
    assert ("chain: [Calico tier security] Deny (GlobalNetworkPolicy security.block-threats egress[1])" in text)
    # the fix is a Calico rule in that tier: a NetworkPolicy in tier default cannot undo it
    (fix,) = verdict.suggestions
    assert fix.kind == "calico-rule" and "no Kubernetes NetworkPolicy (tier default) can allow it" in fix.summary
    assert fix.fragment["egress"][0]["destination"]["nets"] == ["198.51.100.7/32"]


def test_pass_hands_dns_to_the_next_tiers(demo: Cluster) -> None:
    verdict = check(demo, WORKER, COREDNS, 53, "UDP")
    text = verdict_text(verdict).plain
    assert ("chain: [Calico tier security] Pass (GlobalNetworkPolicy security.allow-dns egress[0]) → "
            "[Calico tier platform] NoDecision → ") in text
    assert text.count("[Calico tier default] Allow (NetworkPolicy payments/allow-dns-egress egress[0])") == 1


def test_end_of_tier_deny_and_its_fix(demo: Cluster) -> None:
    verdict = check(demo, "shop/cart", COREDNS, 9153)
    assert "Calico tier platform: its default action is Deny" in verdict.ingress.summary
    (fix,) = verdict.suggestions
    assert fix.policy == "platform.coredns-ingress"
    assert fix.fragment["ingress"][0]["source"]["selector"] == "app == 'cart'"


def test_the_staged_lockdown_changes_one_verdict(demo: Cluster, capsys: pytest.CaptureFixture[str]) -> None:
    verdict = check(demo, "shop/frontend", "shop/db", 6379)
    assert verdict.status is Status.ALLOWED
    assert verdict.pending is not None and verdict.pending.status is Status.BLOCKED
    assert [(r.kind, r.name, r.rule) for r in verdict.pending.deciding_rules] == [
        ("StagedNetworkPolicy", "db-lockdown", 2)]
    # cart is let in by the staged policy too: nothing pending there
    assert check(demo, "shop/cart", "shop/db", 6379).pending is None
    assert main(["check", "shop/frontend", "shop/db", "--port", "6379", "--demo", "calico", "-o", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "allowed" and data["pending"]["status"] == "blocked"
    assert "staged-pending" in {c["code"] for c in data["caveats"]}


def test_matrix_runs_on_the_calico_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["matrix", "--port", "9153", "-n", "kube-system", "-n", "shop", "--demo", "calico", "-o", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    pods = data["pods"]
    row = data["matrix"][pods.index("shop/cart")]
    assert row[pods.index(COREDNS)] is False
