"""The JSON verdicts of the demo's key flows, compared with golden files in this directory.

The golden files are the `check -o json` contract as users and scripts see it. When the output changes
on purpose, regenerate them with `KUBENET_UPDATE_GOLDEN=1 python -m pytest tests/golden`, read the diff,
and commit it. Independently of the files, each case also asserts the facts the golden output must show
(status, which side blocks, the deciding rule, the tier chain), so a careless regeneration cannot freeze a
wrong verdict.
"""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.evaluate import evaluate, resolve_end, resolve_port
from kubenet_tui.engine.model import Protocol
from kubenet_tui.render.json_out import verdict_json
from kubenet_tui.sources.demo import DemoSource

GOLDEN = Path(__file__).parent
UPDATE = os.environ.get("KUBENET_UPDATE_GOLDEN") == "1"

Ref = tuple[str, str, str, int, int | None, int | None]  # (namespace, name, direction, rule, peer, port)


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    destination: str
    port: str
    status: str
    egress_allowed: bool
    ingress_allowed: bool
    deciding: tuple[Ref, ...]
    ingress_chain: tuple[str, ...] | None = None
    caveats: frozenset[str] = frozenset()


# The demo cluster runs Calico, so it is read as Calico does: the admin kinds in the tiers Calico
# converts them to (AdminNetworkPolicy in `adminnetworkpolicy`, ClusterNetworkPolicy in `kube-admin`,
# both ending in Pass), the NetworkPolicies in tier `default`.
ADMIN_TIERS = ("[Calico tier adminnetworkpolicy] NoDecision", "[Calico tier kube-admin] Pass")

CASES = [
    Case("frontend-to-db-6379", "shop/frontend", "shop/db", "6379", "allowed", True, True,
         (("shop", "test-network-policy", "ingress", 0, 1, 0),), (*ADMIN_TIERS, "[Calico tier default] Allow")),
    Case("frontend-to-db-5432", "shop/frontend", "shop/db", "5432", "blocked", True, False, (),
         (*ADMIN_TIERS, "[Calico tier default] Deny")),
    Case("payments-worker-to-db", "payments/worker-58d4c-hq7vn", "shop/db", "6379", "blocked", False, False, ()),
    Case("except-172-17-1-5-to-db", "172.17.1.5", "shop/db", "6379", "blocked", True, False, (),
         caveats=frozenset({"node-traffic"})),
    Case("prometheus-to-db-metrics", "monitoring/prometheus-0", "shop/db", "metrics", "allowed", True, True,
         (("shop", "allow-metrics-scrape", "ingress", 0, 0, 0),), (*ADMIN_TIERS, "[Calico tier default] Allow")),
    Case("payments-api-to-8-8-8-8-443", "payments/api-6c5f7b-2xkqp", "8.8.8.8", "443", "allowed", True, True,
         (("payments", "api-egress", "egress", 1, 0, 0),)),
    Case("payments-api-to-8-8-8-8-80", "payments/api-6c5f7b-2xkqp", "8.8.8.8", "80", "blocked", False, True, ()),
]


@pytest.fixture(scope="module")
def demo() -> Cluster:
    snapshot = DemoSource().load()
    assert snapshot.problems == (), [p.describe() for p in snapshot.problems]
    return snapshot.cluster


def verdict_for(cluster: Cluster, case: Case) -> dict[str, Any]:
    """What `kubenet-tui check SOURCE DESTINATION --port PORT --demo -o json` prints."""
    source = resolve_end(cluster.index, case.source)
    destination = resolve_end(cluster.index, case.destination)
    port, port_name = resolve_port(case.port, Protocol.TCP, destination)
    return verdict_json(evaluate(cluster, source, destination, Protocol.TCP, port, port_name))


def dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_demo_verdict_matches_golden_json(demo: Cluster, case: Case) -> None:
    actual = verdict_for(demo, case)
    path = GOLDEN / f"{case.name}.json"
    if UPDATE:
        path.write_text(dump(actual), encoding="utf-8")
        pytest.skip(f"regenerated {path.name}")
    assert path.exists(), f"{path.name} is missing: run with KUBENET_UPDATE_GOLDEN=1 to create it"
    expected = json.loads(path.read_text(encoding="utf-8"))
    if actual != expected:
        diff = "".join(difflib.unified_diff(dump(expected).splitlines(True), dump(actual).splitlines(True),
                                            f"golden/{path.name}", "actual", n=2))
        pytest.fail(f"{case.name} differs from its golden file (KUBENET_UPDATE_GOLDEN=1 regenerates):\n{diff}")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_demo_verdict_facts(demo: Cluster, case: Case) -> None:
    data = verdict_for(demo, case)
    assert data["status"] == case.status
    assert data["allowed"] is (case.status == "allowed")
    assert data["egress"]["allowed"] is case.egress_allowed
    assert data["ingress"]["allowed"] is case.ingress_allowed
    deciding = [(r["namespace"], r["name"], r["direction"], r["rule"], r["peer"], r["port"]) for r in data["decidingRules"]]
    assert deciding == list(case.deciding)
    if case.ingress_chain is not None:
        assert tuple(data["ingress"]["chain"]) == case.ingress_chain
    assert case.caveats <= {c["code"] for c in data["caveats"]}
    for side, allowed in (("egress", case.egress_allowed), ("ingress", case.ingress_allowed)):
        if not allowed:  # a blocked side names the policies isolating the pod
            assert data[side]["isolated"] is True and data[side]["isolatingPolicies"]


def test_named_port_is_resolved_on_the_destination_in_the_golden_case(demo: Cluster) -> None:
    data = verdict_for(demo, CASES[4])
    assert (data["port"], data["portName"]) == (9121, "metrics")


def test_except_case_explains_the_except(demo: Cluster) -> None:
    data = verdict_for(demo, CASES[3])
    (policy,) = [p for p in data["ingress"]["policies"] if p["name"] == "test-network-policy"]
    ip_block = policy["rules"][0]["peers"][0]
    assert ip_block["matched"] is False
    assert "172.17.1.0/24" in ip_block["reason"] and "except" in ip_block["reason"]


def test_every_golden_file_belongs_to_a_case() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == sorted(c.name for c in CASES)
