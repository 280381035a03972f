"""Kubernetes and admin policies as Calico converts them (libcalico-go/lib/backend/k8s/conversion):
NetworkPolicies in tier default at order 1000, AdminNetworkPolicy and BaselineAdminNetworkPolicy in
tiers `adminnetworkpolicy` (order 1,000) and `baselineadminnetworkpolicy` (order 10,000,000) as
Calico v3.29-v3.31 does, ClusterNetworkPolicy in `kube-admin` / `kube-baseline` as v3.32 does; the
admin tiers end in Pass."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from engine.kit import all_reasons, check, load, netpol, pod, xyz_objects

from kubenet_tui.engine.explain import Status, Tier
from kubenet_tui.engine.profiles import Profile

from .kit import calico, gnp, rule, tier

ALL_INGRESS = netpol("y", "allow-all", {"podSelector": {}, "ingress": [{}]})


def anp(name: str, priority: int, ingress: list[dict[str, Any]] | None = None,
        egress: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"priority": priority, "subject": {"namespaces": {}}}
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    return {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
            "metadata": {"name": name}, "spec": spec}


def banp(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "BaselineAdminNetworkPolicy",
            "metadata": {"name": "default"}, "spec": {"subject": {"namespaces": {}}, **spec}}


def cnp(name: str, tier_name: str, priority: int, **rules: Any) -> dict[str, Any]:
    return {"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy",
            "metadata": {"name": name}, "spec": {"tier": tier_name, "priority": priority,
                                                 "subject": {"namespaces": {}}, **rules}}


FROM_X = [{"namespaces": {"matchLabels": {"ns": "x"}}}]


def chain(cluster: Any, source: str, destination: str, port: int) -> list[str]:
    verdict = check(cluster, source, destination, port)
    return [f"{t.name}:{t.outcome.value}" for t in verdict.ingress.tiers]


def test_tiers_are_the_ones_calico_converts_to() -> None:
    cluster = calico(ALL_INGRESS, anp("deny-x", 10, ingress=[{"name": "d", "action": "Deny", "from": FROM_X}]))
    verdict = check(cluster, "x/a", "y/a", 80)
    assert verdict.status is Status.BLOCKED
    assert verdict.ingress.decided_by is Tier.ADMIN
    assert chain(cluster, "x/a", "y/a", 80) == ["Calico tier adminnetworkpolicy:Deny"]
    # not selected by a rule: the tier's default action is Pass, and tier default decides
    assert chain(cluster, "z/a", "y/a", 80) == ["Calico tier adminnetworkpolicy:Pass", "Calico tier default:Allow"]


def test_a_calico_tier_ordered_before_1000_runs_before_the_admin_tier() -> None:
    cluster = calico(tier("early", 500), gnp("early.allow", tier="early", ingress=[rule("Allow")]),
                     anp("deny-x", 10, ingress=[{"name": "d", "action": "Deny", "from": FROM_X}]))
    verdict = check(cluster, "x/a", "y/a", 80)
    assert verdict.status is Status.ALLOWED
    assert verdict.deciding_rules[0].name == "early.allow"
    # the upstream reading knows no Calico tier: the admin tier decides there (said in a caveat)
    upstream = check(replace(cluster, profile_override=Profile.UPSTREAM), "x/a", "y/a", 80)
    assert upstream.status is Status.UNKNOWN  # the Calico policy is not evaluated upstream


def test_baseline_tier_runs_after_tier_default() -> None:
    deny_x = banp(ingress=[{"name": "d", "action": "Deny", "from": FROM_X}])
    assert check(calico(deny_x), "x/a", "y/a", 80).status is Status.BLOCKED
    verdict = check(calico(deny_x, ALL_INGRESS), "x/a", "y/a", 80)
    assert verdict.status is Status.ALLOWED  # tier default decided first
    assert chain(calico(deny_x), "x/a", "y/a", 80)[-1] == "Calico tier baselineadminnetworkpolicy:Deny"


def test_cluster_network_policy_tiers() -> None:
    admin = cnp("deny-x", "Admin", 5, ingress=[{"name": "d", "action": "Deny", "from": FROM_X}])
    assert chain(calico(ALL_INGRESS, admin), "x/a", "y/a", 80) == ["Calico tier kube-admin:Deny"]
    baseline = cnp("deny-x", "Baseline", 5, ingress=[{"name": "d", "action": "Deny", "from": FROM_X}])
    assert chain(calico(baseline), "x/a", "y/a", 80)[-1] == "Calico tier kube-baseline:Deny"
    # a named port is converted (v3.32): it matches only that port
    named = cnp("deny-x", "Admin", 5, ingress=[{"name": "d", "action": "Deny", "from": FROM_X,
                                                 "protocols": [{"destinationNamedPort": "serve-80-tcp"}]}])
    assert check(calico(named), "x/a", "y/a", 80).status is Status.BLOCKED
    assert check(calico(named), "x/a", "y/a", 81).status is Status.ALLOWED


def test_admin_network_policy_named_ports_match_every_port_in_calico() -> None:
    """conversion.go k8sAdminPolicyPortToCalicoFields: "TODO: Add support for NamedPorts" - a named
    port leaves the rule without protocol and ports, so it matches every port (v3.29-v3.31)."""
    named = anp("deny-x", 10, ingress=[{"name": "d", "action": "Deny", "from": FROM_X,
                                        "ports": [{"namedPort": "serve-80-tcp"}]}])
    verdict = check(calico(named), "x/a", "y/a", 81)
    assert verdict.status is Status.BLOCKED
    assert "does not convert the named ports" in all_reasons(verdict)
    upstream = replace(calico(named), profile_override=Profile.UPSTREAM)
    assert check(upstream, "x/a", "y/a", 81).status is Status.ALLOWED


def test_node_peers_are_not_converted_the_rule_fails() -> None:
    """A rule with a `nodes` peer fails conversion: an Allow is dropped, a Deny or Pass denies all."""
    to_nodes = [{"nodes": {"matchLabels": {"kubernetes.io/hostname": "node-1"}}}]
    allow = anp("allow-nodes", 10, egress=[{"name": "n", "action": "Allow", "to": to_nodes}])
    verdict = check(calico(allow), "x/a", "8.8.8.8", 443)
    assert verdict.status is Status.ALLOWED and "matches nothing" in all_reasons(verdict)
    deny = anp("deny-nodes", 10, egress=[{"name": "n", "action": "Deny", "to": to_nodes}])
    verdict = check(calico(deny), "x/a", "y/a", 80)
    assert verdict.status is Status.BLOCKED and "denies all traffic" in all_reasons(verdict)


def test_networkpolicy_peers_never_match_host_network_pods() -> None:
    """Calico writes `projectcalico.org/orchestrator == 'k8s'` into a NetworkPolicy's selectors: pods
    on the host network have no workload endpoint, so no pod or namespace selector matches them."""
    host = pod("x", "agent", {"pod": "agent"}, ips=["192.168.0.5"], host_network=True)
    from_x = netpol("y", "from-x", {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {
        "matchLabels": {"ns": "x"}}}]}]})
    verdict = check(calico(host, from_x), "x/agent", "y/a", 80)
    assert verdict.status is Status.BLOCKED
    assert "host network" in all_reasons(verdict)
    upstream = replace(calico(host, from_x), profile_override=Profile.UPSTREAM)
    assert check(upstream, "x/agent", "y/a", 80).status is Status.ALLOWED


def test_unevaluated_networkpolicy_cannot_undo_an_allow() -> None:
    """An invalid NetworkPolicy could only allow more: an allow stands, a deny becomes unknown."""
    broken = netpol("y", "broken", {"podSelector": {"matchExpressions": [{"key": "a", "operator": "Near"}]}})
    from_x = netpol("y", "from-x", {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {
        "matchLabels": {"ns": "x"}}}]}]})
    cluster = replace(load(xyz_objects(), broken, from_x).cluster(), profile_override=Profile.CALICO)
    assert check(cluster, "x/a", "y/a", 80).status is Status.ALLOWED
    assert check(cluster, "z/a", "y/a", 80).status is Status.UNKNOWN
