"""The demo's key flows as `check` prints them, compared with golden files in this directory: JSON
(`NAME.json`, the `check -o json` contract scripts read) and text (`NAME.txt`, the walkthrough people
read, plain: no colour codes). Beyond the demo's pod verdicts: a Service and "every port" of the demo,
and, from small manifests in `clusters/`, an UNKNOWN verdict and a plugin that enforces nothing.

When the output changes on purpose, regenerate them with `KUBENET_UPDATE_GOLDEN=1 python -m pytest
tests/golden`, read the diff, and commit it. Independently of the files, each case also asserts the facts
the golden output must show (status, which side blocks, the deciding rule, the tier chain), so a careless
regeneration cannot freeze a wrong verdict.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.ends import parse_port
from kubenet_tui.engine.query import Answer, Question, ask
from kubenet_tui.render.answer import answer_json, answer_text
from kubenet_tui.sources.demo import DemoSource
from kubenet_tui.sources.files import FileSource

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


@dataclass(frozen=True)
class Other:
    """A golden case that is not a pod verdict of the demo: its facts are checked by `facts`."""

    name: str
    source: str
    destination: str
    port: str | None
    cluster: str | None  # a manifest in clusters/, or None for the demo
    facts: Callable[[dict[str, Any], str], None]


def _service_facts(data: dict[str, Any], text: str) -> None:
    assert data["status"] == "allowed" and data["destination"] == {"kind": "service", "name": "payments/api"}
    assert [b["allowed"] for b in data["backends"]] == [True, True]
    assert "── ✔ backend payments/api-6c5f7b-2xkqp on port 8443/TCP (https): allowed ──" in text


def _ports_facts(data: dict[str, Any], text: str) -> None:
    assert data["status"] == "blocked"
    assert [(p["from"], p["to"]) for p in data["ports"] if p["allowed"]] == [(6379, 6379)]
    assert text.splitlines()[0] == "✗ SOME PORTS ALLOWED  shop/frontend → shop/db  which ports?"


def _unknown_facts(data: dict[str, Any], text: str) -> None:
    # UNKNOWN, and what the readable policies alone say: x/only-web admits no namespace y.
    assert (data["status"], data["allowed"], data["assumedStatus"]) == ("unknown", None, "blocked")
    assert data["ingress"]["assumedAllowed"] is False and "x/only-web" in data["ingress"]["assumedSummary"]
    (tier,) = data["ingress"]["assumedTiers"]
    assert tier["outcome"] == "Deny" and tier["policies"][0]["name"] == "only-web"
    assert "(the readable policies alone: BLOCKED)" in text.splitlines()[0]
    assert "✗ the readable policies alone say BLOCKED: x/a is isolated for ingress by x/only-web" in text


def _not_enforced_facts(data: dict[str, Any], text: str) -> None:
    # On the wire ALLOWED; the policies would block it, and every renderer says both.
    assert (data["status"], data["policyStatus"], data["enforced"]) == ("allowed", "blocked", False)
    assert text.splitlines()[0] == "✔ ALLOWED  x/a → x/b  80/TCP  (not enforced: the policies say BLOCKED)"
    assert "✗ the policies say BLOCKED: NOT ENFORCED by the network plugin" in text


def _outside_facts(data: dict[str, Any], text: str) -> None:
    # From outside: the Ingress sends /cart to cart, whose policy admits only shop's web tier.
    assert (data["status"], data["allowed"], data["source"]["kind"]) == ("blocked", False, "url")
    assert data["source"]["url"] == {"scheme": "https", "host": "shop.example.com", "port": 443, "path": "/cart"}
    (frontend,) = data["frontends"]
    assert (frontend["product"], frontend["dataPlane"]["pods"]) == (
        "ingress-nginx", ["ingress-nginx/ingress-nginx-controller-6d8f9c7b5-kq4zt"])
    assert frontend["entry"][0]["reach"] == "all" and frontend["entry"][0]["allowed"] is True
    (path,) = data["paths"]
    assert path["route"] == {"kind": "Ingress", "namespace": "shop", "name": "shop",
                             "where": "spec.rules[0].http.paths[1]", "yamlPath": ["spec", "rules", 0, "http", "paths", 1]}
    (backend,) = path["backends"]
    (source,) = backend["sources"]
    assert [(b["pod"], b["allowed"]) for b in source["backends"]] == [("shop/cart", False)]
    assert text.splitlines()[0] == "✗ BLOCKED  https://shop.example.com/cart  (0 of 1 backend connections allowed)"


OTHERS = [
    Other("frontend-to-payments-api-https", "shop/frontend", "svc/payments/api", "https", None, _service_facts),
    Other("frontend-to-db-every-port", "shop/frontend", "shop/db", None, None, _ports_facts),
    Other("antrea-unknown", "y/b", "x/a", "80", "antrea-unknown.yaml", _unknown_facts),
    Other("flannel-not-enforced", "x/a", "x/b", "80", "flannel-not-enforced.yaml", _not_enforced_facts),
    Other("shop-cart-from-outside", "https://shop.example.com/cart", "", None, None, _outside_facts),
]
NAMES = [c.name for c in CASES] + [c.name for c in OTHERS]


@pytest.fixture(scope="module")
def demo() -> Cluster:
    snapshot = DemoSource().load()
    assert snapshot.problems == (), [p.describe() for p in snapshot.problems]
    return snapshot.cluster


def answer_for(cluster: Cluster, source: str, destination: str, port: str | None) -> Answer:
    """What `kubenet-tui check SOURCE DESTINATION [--port PORT]` asks."""
    return ask(cluster, Question(source, destination, parse_port(port)))


def verdict_for(cluster: Cluster, case: Case) -> dict[str, Any]:
    """What `kubenet-tui check SOURCE DESTINATION --port PORT --demo -o json` prints."""
    return answer_json(answer_for(cluster, case.source, case.destination, case.port))


def dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def compare(name: str, suffix: str, actual: str) -> None:
    """`actual` against the golden file NAME.SUFFIX (or, with KUBENET_UPDATE_GOLDEN=1, into it)."""
    path = GOLDEN / f"{name}.{suffix}"
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
        pytest.skip(f"regenerated {path.name}")
    assert path.exists(), f"{path.name} is missing: run with KUBENET_UPDATE_GOLDEN=1 to create it"
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                            f"golden/{path.name}", "actual", n=2))
        pytest.fail(f"{name} differs from its golden file (KUBENET_UPDATE_GOLDEN=1 regenerates):\n{diff}")


def outputs(cluster: Cluster, source: str, destination: str, port: str | None) -> dict[str, str]:
    answer = answer_for(cluster, source, destination, port)
    return {"json": dump(answer_json(answer)), "txt": answer_text(answer).plain}


@pytest.mark.parametrize("suffix", ["json", "txt"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_demo_verdict_matches_golden(demo: Cluster, case: Case, suffix: str) -> None:
    compare(case.name, suffix, outputs(demo, case.source, case.destination, case.port)[suffix])


def other_cluster(case: Other, demo: Cluster) -> Cluster:
    return FileSource([str(GOLDEN / "clusters" / case.cluster)]).load().cluster if case.cluster else demo


@pytest.mark.parametrize("suffix", ["json", "txt"])
@pytest.mark.parametrize("case", OTHERS, ids=[c.name for c in OTHERS])
def test_other_answer_matches_golden(demo: Cluster, case: Other, suffix: str) -> None:
    compare(case.name, suffix, outputs(other_cluster(case, demo), case.source, case.destination, case.port)[suffix])


@pytest.mark.parametrize("case", OTHERS, ids=[c.name for c in OTHERS])
def test_other_answer_facts(demo: Cluster, case: Other) -> None:
    out = outputs(other_cluster(case, demo), case.source, case.destination, case.port)
    data = json.loads(out["json"])
    assert data["schemaVersion"] == 2
    case.facts(data, out["txt"])


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
    (policy,) = [p for t in data["ingress"]["tiers"] for p in t["policies"] if p["name"] == "test-network-policy"]
    ip_block = policy["rules"][0]["peers"][0]
    assert ip_block["matched"] is False
    assert "172.17.1.0/24" in ip_block["reason"] and "except" in ip_block["reason"]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_policy_appears_once_with_its_unknown_flags(demo: Cluster, case: Case) -> None:
    data = verdict_for(demo, case)
    assert data["schemaVersion"] == 2
    for side in ("egress", "ingress"):
        assert "policies" not in data[side]  # only under the tier that considered them
        keys = [(p["kind"], p["namespace"], p["name"]) for t in data[side]["tiers"] for p in t["policies"]]
        assert len(keys) == len(set(keys))
        for policy in (p for t in data[side]["tiers"] for p in t["policies"]):
            for rule in policy["rules"]:
                assert rule["unknown"] is False
                assert all(c["unknown"] is False and c["form"] for c in rule["peers"] + rule["ports"])


@pytest.mark.parametrize("suffix", ["json", "txt"])
def test_every_golden_file_belongs_to_a_case(suffix: str) -> None:
    assert sorted(p.stem for p in GOLDEN.glob(f"*.{suffix}")) == sorted(NAMES)
