"""Calico's resources read live: from its API server (projectcalico.org/v3) or from the CRDs that store
them (crd.projectcalico.org/v1); absent groups are normal, forbidden ones make the verdicts they could
touch unknown; only GET requests; ServiceAccounts only when a policy selects by their labels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from apiserver import FakeApiServer, Rbac
from conftest import shop_cluster

from kubenet_tui.cli import main
from kubenet_tui.engine.evaluate import evaluate, resolve_end
from kubenet_tui.engine.explain import Status, Verdict
from kubenet_tui.engine.gaps import Resource
from kubenet_tui.engine.profiles import Profile
from kubenet_tui.sources.live import LiveOptions, LiveSource


def live(kubeconfig: Path, **kw: object) -> LiveSource:
    return LiveSource(LiveOptions(kubeconfig=str(kubeconfig), request_timeout=3, **kw))  # type: ignore[arg-type]


def check(cluster: Any, src: str, dst: str, port: int) -> Verdict:
    index = cluster.index
    return evaluate(cluster, resolve_end(index, src), resolve_end(index, dst), port=port)


def calico_objects(group: str = "projectcalico.org/v3") -> list[dict[str, Any]]:
    """A tier that denies frontend -> db on 6379 (which the NetworkPolicies allow), a staged policy,
    and a namespaced policy that lets payments/api reach a NetworkSet."""
    return [
        {"apiVersion": group, "kind": "Tier", "metadata": {"name": "security"}, "spec": {"order": 100}},
        {"apiVersion": group, "kind": "GlobalNetworkPolicy", "metadata": {"name": "security.db"},
         "spec": {"tier": "security", "selector": 'app == "db"', "ingress": [
             {"action": "Deny", "protocol": "TCP", "source": {"selector": 'app == "frontend"'},
              "destination": {"ports": [6379]}}, {"action": "Pass"}]}},
        {"apiVersion": group, "kind": "NetworkSet", "metadata": {"name": "partner", "namespace": "payments",
                                                                 "labels": {"role": "partner"}},
         "spec": {"nets": ["203.0.113.0/24"]}},
        {"apiVersion": group, "kind": "NetworkPolicy", "metadata": {"name": "to-partner", "namespace": "payments"},
         "spec": {"selector": 'app == "api"', "types": ["Egress"], "egress": [
             {"action": "Allow", "destination": {"selector": 'role == "partner"'}}]}},
        {"apiVersion": group, "kind": "StagedGlobalNetworkPolicy", "metadata": {"name": "security.lockdown"},
         "spec": {"tier": "security", "order": 1, "selector": 'app == "api"', "ingress": [{"action": "Deny"}]}},
    ]


@pytest.mark.parametrize("group", ["projectcalico.org", "crd.projectcalico.org"])
def test_calico_is_read_from_either_group(server: FakeApiServer, kubeconfig: Path, group: str) -> None:
    version = "v3" if group == "projectcalico.org" else "v1"
    server.calico_groups = {group}
    server.put_many([*shop_cluster(), *calico_objects(f"{group}/{version}")])
    snapshot = live(kubeconfig).load()
    cluster = snapshot.cluster
    assert not snapshot.problems and cluster.profile is Profile.CALICO
    assert cluster.calico is not None
    assert {p.name for p in cluster.calico.policies} == {"security.db", "to-partner"}
    assert [t.name for t in cluster.calico.tiers] == ["security"]
    assert [s.name for s in cluster.calico.staged] == ["security.lockdown"]
    verdict = check(cluster, "shop/frontend", "shop/db", 6379)
    assert verdict.status is Status.BLOCKED
    assert verdict.deciding_rules[0].name == "security.db"
    assert check(cluster, "payments/api", "203.0.113.5", 443).status is Status.ALLOWED
    pending = check(cluster, "shop/frontend", "payments/api", 8443)
    assert pending.pending is not None and pending.pending.status is Status.BLOCKED
    assert server.methods() == {"GET"}
    assert not any("/secrets" in r.path for r in server.requests)


def test_the_api_server_group_is_preferred(server: FakeApiServer, kubeconfig: Path) -> None:
    server.calico_groups = {"projectcalico.org", "crd.projectcalico.org"}
    server.put_many([*shop_cluster(), *calico_objects()])
    snapshot = live(kubeconfig).load()
    assert snapshot.cluster.calico is not None and len(snapshot.cluster.calico.policies) == 2
    paths = {r.path for r in server.requests}
    assert "/apis/projectcalico.org/v3/globalnetworkpolicies" in paths
    assert not any(p.startswith("/apis/crd.projectcalico.org/v1/") for p in paths)


def test_absent_calico_is_normal(server: FakeApiServer, kubeconfig: Path) -> None:
    server.put_many(shop_cluster())
    snapshot = live(kubeconfig).load()
    assert not snapshot.problems and not snapshot.cluster.unreadable and snapshot.cluster.calico is None
    assert check(snapshot.cluster, "shop/frontend", "shop/db", 6379).status is Status.ALLOWED
    assert not any("projectcalico" in r.path and r.path.count("/") > 3 for r in server.requests)


def test_forbidden_global_policies_make_verdicts_unknown(server: FakeApiServer, kubeconfig: Path) -> None:
    server.calico_groups = {"projectcalico.org"}
    server.put_many([*shop_cluster(), *calico_objects()])
    server.rbac["alice"] = Rbac(denied={("globalnetworkpolicies.projectcalico.org", None)})
    snapshot = live(kubeconfig).load()
    gaps = {(g.resource, g.namespace) for g in snapshot.cluster.unreadable}
    assert (Resource.CALICO_GLOBAL_NETWORK_POLICIES, None) in gaps
    assert any("globalnetworkpolicies.projectcalico.org cannot be read" in p.message for p in snapshot.problems)
    verdict = check(snapshot.cluster, "shop/frontend", "shop/db", 6379)
    assert verdict.status is Status.UNKNOWN
    assert "could not be read" in verdict.ingress.summary


def test_forbidden_calico_policies_fall_back_to_the_namespaces_in_scope(server: FakeApiServer,
                                                                        kubeconfig: Path) -> None:
    server.calico_groups = {"projectcalico.org"}
    server.put_many([*shop_cluster(), *calico_objects()])
    server.rbac["alice"] = Rbac(denied={("networkpolicies.projectcalico.org", None),
                                        ("networkpolicies.projectcalico.org", "payments")})
    snapshot = live(kubeconfig).load()
    gaps = {(g.resource, g.namespace) for g in snapshot.cluster.unreadable}
    assert (Resource.CALICO_NETWORK_POLICIES, "payments") in gaps
    # shop (the context's namespace) was read one by one: its verdicts are known
    assert check(snapshot.cluster, "shop/frontend", "shop/db", 6379).status is Status.BLOCKED
    assert check(snapshot.cluster, "payments/api", "203.0.113.5", 443).status is Status.UNKNOWN


def test_service_accounts_are_read_only_when_a_policy_selects_by_them(server: FakeApiServer,
                                                                      kubeconfig: Path) -> None:
    server.calico_groups = {"projectcalico.org"}
    server.put_many(shop_cluster())
    live(kubeconfig).load()
    assert not any("serviceaccounts" in r.path for r in server.requests)
    server.put({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "shop",
                                                                        "labels": {"trust": "high"}}})
    server.put({"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "sa"},
                "spec": {"order": 10, "selector": 'app == "db"', "ingress": [
                    {"action": "Allow", "source": {"serviceAccounts": {"selector": 'trust == "high"'}}}]}})
    snapshot = live(kubeconfig).load()
    assert any("serviceaccounts" in r.path for r in server.requests)
    assert check(snapshot.cluster, "shop/frontend", "shop/db", 6379).status is Status.ALLOWED
    server.rbac["alice"] = Rbac(denied={("serviceaccounts", None), ("serviceaccounts", "shop")})
    snapshot = live(kubeconfig).load()
    verdict = check(snapshot.cluster, "shop/frontend", "shop/db", 6379)
    assert verdict.status is Status.UNKNOWN


def test_snapshot_export_keeps_both_networkpolicy_kinds(server: FakeApiServer, kubeconfig: Path,
                                                       tmp_path: Path) -> None:
    server.calico_groups = {"crd.projectcalico.org"}
    server.put_many([*shop_cluster(), *calico_objects("crd.projectcalico.org/v1")])
    out = tmp_path / "snap.yaml"
    assert main(["snapshot", "--kubeconfig", str(kubeconfig), "-o", str(out)]) == 0
    from kubenet_tui.sources.files import FileSource

    replay = FileSource([str(out)]).load()
    original = live(kubeconfig).load()
    assert not replay.problems
    assert replay.cluster.network_policies == original.cluster.network_policies
    assert replay.cluster.calico is not None and original.cluster.calico is not None
    assert replay.cluster.calico.policies == original.cluster.calico.policies
    for src, dst, port in [("shop/frontend", "shop/db", 6379), ("payments/api", "203.0.113.5", 443)]:
        assert check(replay.cluster, src, dst, port).status is check(original.cluster, src, dst, port).status
