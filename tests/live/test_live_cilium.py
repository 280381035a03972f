"""The live source and Cilium's API group: served (read and evaluated), absent (a normal cluster: nothing asked
beyond discovery), forbidden (verdicts they could touch are unknown and say what could not be read)."""

from __future__ import annotations

from pathlib import Path

from apiserver import FakeApiServer, Rbac, namespace, pod
from conftest import shop_cluster

from kubenet_tui.engine.evaluate import evaluate, resolve_end
from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.profiles import Profile
from kubenet_tui.sources.live import LiveOptions, LiveSource

DENY_FRONTEND = {
    "apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
    "metadata": {"name": "deny-frontend", "namespace": "shop"},
    "spec": {"endpointSelector": {"matchLabels": {"app": "db"}},
             "ingressDeny": [{"fromEndpoints": [{"matchLabels": {"app": "frontend"}}]}]},
}
CLUSTERWIDE = {
    "apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy",
    "metadata": {"name": "no-egress-to-group"},
    "spec": {"endpointSelector": {}, "enableDefaultDeny": {"egress": False},
             "egressDeny": [{"toCIDRSet": [{"cidrGroupRef": "blocked"}]}]},
}
GROUP = {"apiVersion": "cilium.io/v2alpha1", "kind": "CiliumCIDRGroup", "metadata": {"name": "blocked"},
         "spec": {"externalCIDRs": ["203.0.113.0/24"]}}


def cilium_cluster() -> list[dict[str, object]]:
    """The shop cluster with Cilium agents instead of calico-node."""
    objects = [o for o in shop_cluster() if "calico" not in str(o.get("metadata"))]
    return [*objects, namespace("kube-system"),
            pod("kube-system", "cilium-x7k2p", {"k8s-app": "cilium"}, "192.168.10.11", host_network=True)]


def load(kubeconfig: Path) -> LiveSource:
    source = LiveSource(LiveOptions(kubeconfig=str(kubeconfig), request_timeout=3))
    return source


def status(cluster: object, src: str, dst: str, port: int) -> Status:
    index = cluster.index  # type: ignore[attr-defined]
    return evaluate(cluster, resolve_end(index, src), resolve_end(index, dst), port=port).status  # type: ignore[arg-type]


def test_served_cilium_policies_are_read_and_decide(server: FakeApiServer, kubeconfig: Path) -> None:
    server.cilium_versions = {"v2", "v2alpha1"}
    server.put_many([*cilium_cluster(), DENY_FRONTEND, CLUSTERWIDE, GROUP])
    source = load(kubeconfig)
    snapshot = source.load()
    cluster = snapshot.cluster
    assert cluster.profile is Profile.CILIUM
    assert {p.name for p in cluster.cilium_policies} == {"deny-frontend", "no-egress-to-group"}
    assert [g.name for g in cluster.cilium_cidr_groups] == ["blocked"]
    assert not [p for p in snapshot.problems if p.severity == "error"]
    # The NetworkPolicy allows frontend -> db:6379; the Cilium deny wins.
    assert status(cluster, "shop/frontend", "shop/db", 6379) is Status.BLOCKED
    assert status(cluster, "shop/frontend", "203.0.113.9", 443) is Status.BLOCKED
    assert status(cluster, "shop/frontend", "198.51.100.1", 443) is Status.ALLOWED
    # Only reads, and the snapshot export carries the Cilium objects for an offline replay.
    assert server.methods() == {"GET"}
    kinds = {o["kind"] for o in source.objects()}
    assert {"CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "CiliumCIDRGroup"} <= kinds


def test_absent_cilium_group_is_a_normal_cluster(server: FakeApiServer, kubeconfig: Path) -> None:
    server.put_many(cilium_cluster())
    snapshot = load(kubeconfig).load()
    assert not snapshot.cluster.cilium_policies and not snapshot.problems
    assert not [r for r in server.requests if "cilium.io" in r.path and r.path != "/apis"]
    assert not [g for g in snapshot.cluster.unreadable if g.resource.value.startswith("cilium")]
    assert status(snapshot.cluster, "shop/frontend", "shop/db", 6379) is Status.ALLOWED


def test_forbidden_cilium_policies_make_verdicts_unknown(server: FakeApiServer, kubeconfig: Path) -> None:
    server.cilium_versions = {"v2", "v2alpha1"}
    server.put_many([*cilium_cluster(), DENY_FRONTEND])
    server.rbac["alice"] = Rbac(denied={("ciliumnetworkpolicies", None), ("ciliumnetworkpolicies", "shop"),
                                        ("ciliumclusterwidenetworkpolicies", None)})
    snapshot = load(kubeconfig).load()
    gaps = {(g.resource.value, g.namespace) for g in snapshot.cluster.unreadable}
    assert ("ciliumnetworkpolicies", "shop") in gaps and ("ciliumclusterwidenetworkpolicies", None) in gaps
    cluster = snapshot.cluster
    index = cluster.index
    verdict = evaluate(cluster, resolve_end(index, "shop/frontend"), resolve_end(index, "shop/db"), port=6379)
    assert verdict.status is Status.UNKNOWN
    assert "could not be read" in verdict.ingress.summary and "forbidden" in verdict.ingress.summary


def test_forbidden_cidr_groups_make_group_rules_unknown(server: FakeApiServer, kubeconfig: Path) -> None:
    server.cilium_versions = {"v2", "v2alpha1"}
    server.put_many([*cilium_cluster(), CLUSTERWIDE, GROUP])
    server.rbac["alice"] = Rbac(denied={("ciliumcidrgroups", None)})
    cluster = load(kubeconfig).load().cluster
    assert status(cluster, "shop/frontend", "203.0.113.9", 443) is Status.UNKNOWN
    # Pods are never in a CIDR group's reach on Cilium: still decided.
    assert status(cluster, "shop/frontend", "shop/db", 6379) is Status.ALLOWED
