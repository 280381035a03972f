"""Each lint rule, with a case that must raise it and a near miss that must not.

The world: namespace `shop` (team=shop) with pods web (app=web, port `http` 8080) and db (app=db, port
`pg` 5432), and `kube-system` with CoreDNS (k8s-app=kube-dns, `dns` 53/UDP). Every case adds policies to
it and asks `lint` for the findings of one rule: which object, which YAML path, which severity.
"""

from __future__ import annotations

from typing import Any

import pytest
from engine.kit import cluster, namespace, netpol, pod

from kubenet_tui.engine.lint import Finding, LintRule, Severity, failing, lint, path_text

Manifest = dict[str, Any]


def world(*policies: Manifest, host_pod: bool = False, namespaces: bool = True) -> list[Manifest]:
    objects: list[Manifest] = []
    if namespaces:
        objects += [namespace("shop", {"team": "shop"}), namespace("kube-system", {"team": "platform"})]
    objects += [
        pod("shop", "web", {"app": "web"}, ips=["10.0.1.1"], ports=[("http", 8080, "TCP")]),
        pod("shop", "db", {"app": "db"}, ips=["10.0.1.2"], ports=[("pg", 5432, "TCP")]),
        pod("kube-system", "coredns", {"k8s-app": "kube-dns"}, ips=["10.0.2.1"], ports=[("dns", 53, "UDP")]),
    ]
    if host_pod:
        objects.append(pod("shop", "agent", {"app": "agent"}, ips=["192.168.0.5"], host_network=True))
    return [*objects, *policies]


def anp(name: str, priority: int, ingress: list[Manifest] | None = None, egress: list[Manifest] | None = None,
        subject: Manifest | None = None) -> Manifest:
    spec: Manifest = {"priority": priority, "subject": subject or {"namespaces": {}}}
    if ingress:
        spec["ingress"] = ingress
    if egress:
        spec["egress"] = egress
    return {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
            "metadata": {"name": name}, "spec": spec}


def findings(rule: LintRule, *objects: Manifest, **kw: Any) -> list[Finding]:
    return [f for f in lint(cluster(world(*objects, **kw))) if f.rule is rule]


def where(found: list[Finding]) -> list[tuple[str, str, str, Severity]]:
    return [(f.kind, f.key, f.path_text, f.severity) for f in found]


ALLOW_DNS = {"to": [{"namespaceSelector": {"matchLabels": {"team": "platform"}},
                     "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
             "ports": [{"port": 53, "protocol": "UDP"}]}


CASES: list[tuple[str, LintRule, list[Manifest], dict[str, Any], list[tuple[str, str, str, Severity]]]] = [
    ("policy selecting a label nobody has", LintRule.SELECTS_NO_POD,
     [netpol("shop", "typo", {"podSelector": {"matchLabels": {"app": "wbe"}}, "policyTypes": ["Ingress"]})], {},
     [("NetworkPolicy", "shop/typo", "spec.podSelector", Severity.WARNING)]),
    ("policy selecting web", LintRule.SELECTS_NO_POD,
     [netpol("shop", "fine", {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"]})], {}, []),
    ("peer selecting nobody", LintRule.PEER_SELECTS_NO_POD,
     [netpol("shop", "p", {"podSelector": {}, "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "x"}}}]}]})],
     {}, [("NetworkPolicy", "shop/p", "spec.ingress[0].from[0]", Severity.WARNING)]),
    ("peer selecting web", LintRule.PEER_SELECTS_NO_POD,
     [netpol("shop", "p", {"podSelector": {}, "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}]})],
     {}, []),
    ("namespaceSelector matching no namespace", LintRule.NAMESPACE_SELECTOR_MATCHES_NOTHING,
     [netpol("shop", "n", {"podSelector": {}, "ingress": [{"from": [
         {"namespaceSelector": {"matchLabels": {"team": "nope"}}}]}]})], {},
     [("NetworkPolicy", "shop/n", "spec.ingress[0].from[0].namespaceSelector", Severity.WARNING)]),
    ("namespaceSelector matching shop", LintRule.NAMESPACE_SELECTOR_MATCHES_NOTHING,
     [netpol("shop", "n", {"podSelector": {}, "ingress": [{"from": [
         {"namespaceSelector": {"matchLabels": {"team": "shop"}}}]}]})], {}, []),
    ("namespaceSelector over namespaces whose labels were not loaded", LintRule.NAMESPACE_SELECTOR_MATCHES_NOTHING,
     [netpol("shop", "n", {"podSelector": {}, "ingress": [{"from": [
         {"namespaceSelector": {"matchLabels": {"team": "nope"}}}]}]})], {"namespaces": False}, []),
    ("ingress named port the selected pods lack", LintRule.NAMED_PORT_UNDECLARED,
     [netpol("shop", "np", {"podSelector": {"matchLabels": {"app": "db"}},
                            "ingress": [{"ports": [{"port": "grpc"}]}]})], {},
     [("NetworkPolicy", "shop/np", "spec.ingress[0].ports[0]", Severity.WARNING)]),
    ("ingress named port the selected pods declare", LintRule.NAMED_PORT_UNDECLARED,
     [netpol("shop", "np", {"podSelector": {"matchLabels": {"app": "db"}}, "ingress": [{"ports": [{"port": "pg"}]}]})],
     {}, []),
    ("egress named port the peers lack", LintRule.NAMED_PORT_UNDECLARED,
     [netpol("shop", "np", {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Egress"], "egress": [
         {"to": [{"podSelector": {"matchLabels": {"app": "db"}}}], "ports": [{"port": "http"}]}]})], {},
     [("NetworkPolicy", "shop/np", "spec.egress[0].ports[0]", Severity.WARNING)]),
    ("egress named port the peers declare", LintRule.NAMED_PORT_UNDECLARED,
     [netpol("shop", "np", {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Egress"], "egress": [
         {"to": [{"podSelector": {"matchLabels": {"app": "db"}}}], "ports": [{"port": "pg"}]}]})], {}, []),
    ("a narrower rule after a broader one (union: redundant)", LintRule.SHADOWED_RULE,
     [netpol("shop", "dup", {"podSelector": {"matchLabels": {"app": "db"}}, "ingress": [
         {"from": [{"podSelector": {"matchLabels": {"app": "web"}}}], "ports": [{"port": 5000, "endPort": 5500}]},
         {"from": [{"podSelector": {"matchLabels": {"app": "web", "tier": "front"}}}], "ports": [{"port": 5432}]},
     ]})], {}, [("NetworkPolicy", "shop/dup", "spec.ingress[1]", Severity.NOTE)]),
    ("the same rule in two policies of the same pods", LintRule.SHADOWED_RULE,
     [netpol("shop", "a", {"podSelector": {"matchLabels": {"app": "db"}}, "ingress": [{"ports": [{"port": 5432}]}]}),
      netpol("shop", "b", {"podSelector": {"matchLabels": {"app": "db"}}, "ingress": [{"ports": [{"port": 5432}]}]})],
     {}, [("NetworkPolicy", "shop/b", "spec.ingress[0]", Severity.NOTE)]),
    ("rules that overlap without covering", LintRule.SHADOWED_RULE,
     [netpol("shop", "two", {"podSelector": {"matchLabels": {"app": "db"}}, "ingress": [
         {"from": [{"podSelector": {"matchLabels": {"app": "web"}}}], "ports": [{"port": 5432}]},
         {"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.0.1.0/24"]}}], "ports": [{"port": 5432}]},
         {"from": [{"ipBlock": {"cidr": "10.0.1.0/24"}}], "ports": [{"port": 5432}]},
     ]})], {}, []),
    ("an ipBlock inside another one", LintRule.SHADOWED_RULE,
     [netpol("shop", "blocks", {"podSelector": {"matchLabels": {"app": "db"}}, "ingress": [
         {"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.0.1.0/24"]}}]},
         {"from": [{"ipBlock": {"cidr": "10.0.2.0/24"}}]},
     ]})], {}, [("NetworkPolicy", "shop/blocks", "spec.ingress[1]", Severity.NOTE)]),
    ("admin Allow after a broader Deny", LintRule.SHADOWED_RULE,
     [anp("order", 10, egress=[
         {"name": "deny-all", "action": "Deny", "to": [{"namespaces": {}}]},
         {"name": "allow-shop", "action": "Allow", "to": [{"namespaces": {"matchLabels": {"team": "shop"}}}]},
     ])], {}, [("AdminNetworkPolicy", "order", "spec.egress[1]", Severity.ERROR)]),
    ("admin Deny after a narrower Allow", LintRule.SHADOWED_RULE,
     [anp("order", 10, egress=[
         {"name": "allow-shop", "action": "Allow", "to": [{"namespaces": {"matchLabels": {"team": "shop"}}}]},
         {"name": "deny-all", "action": "Deny", "to": [{"namespaces": {}}]},
     ])], {}, []),
    ("egress default deny without DNS", LintRule.EGRESS_DENY_WITHOUT_DNS,
     [netpol("shop", "deny-egress", {"podSelector": {}, "policyTypes": ["Egress"]})], {},
     [("NetworkPolicy", "shop/deny-egress", "spec.egress", Severity.WARNING)]),
    ("egress default deny with a DNS allow", LintRule.EGRESS_DENY_WITHOUT_DNS,
     [netpol("shop", "deny-egress", {"podSelector": {}, "policyTypes": ["Egress"]}),
      netpol("shop", "dns", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [ALLOW_DNS]})], {}, []),
    ("equal priorities, overlapping, different actions", LintRule.EQUAL_PRIORITY_OVERLAP,
     [anp("a", 5, ingress=[{"name": "r", "action": "Allow", "from": [{"namespaces": {}}]}]),
      anp("b", 5, ingress=[{"name": "r", "action": "Deny", "from": [{"namespaces": {}}]}])], {},
     [("AdminNetworkPolicy", "a", "spec.priority", Severity.ERROR)]),
    ("equal priorities, overlapping, the same action", LintRule.EQUAL_PRIORITY_OVERLAP,
     [anp("a", 5, ingress=[{"name": "r", "action": "Deny", "from": [{"namespaces": {}}]}]),
      anp("b", 5, ingress=[{"name": "r", "action": "Deny", "from": [{"namespaces": {}}]}])], {},
     [("AdminNetworkPolicy", "a", "spec.priority", Severity.WARNING)]),
    ("equal priorities over different pods", LintRule.EQUAL_PRIORITY_OVERLAP,
     [anp("a", 5, ingress=[{"name": "r", "action": "Allow", "from": [{"namespaces": {}}]}],
          subject={"namespaces": {"matchLabels": {"team": "shop"}}}),
      anp("b", 5, ingress=[{"name": "r", "action": "Deny", "from": [{"namespaces": {}}]}],
          subject={"namespaces": {"matchLabels": {"team": "platform"}}})], {}, []),
    ("different priorities", LintRule.EQUAL_PRIORITY_OVERLAP,
     [anp("a", 5, ingress=[{"name": "r", "action": "Allow", "from": [{"namespaces": {}}]}]),
      anp("b", 6, ingress=[{"name": "r", "action": "Deny", "from": [{"namespaces": {}}]}])], {}, []),
    ("ipBlock over pod addresses", LintRule.IPBLOCK_COVERS_POD_IPS,
     [netpol("shop", "ext", {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/16"}}]}]})], {},
     [("NetworkPolicy", "shop/ext", "spec.ingress[0].from[0]", Severity.WARNING)]),
    ("ipBlock outside the pods", LintRule.IPBLOCK_COVERS_POD_IPS,
     [netpol("shop", "ext", {"podSelector": {}, "ingress": [{"from": [
         {"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.0.0/20"]}}]}]})], {}, []),
    ("a namespace with policies and a pod none selects", LintRule.PODS_UNSELECTED,
     [netpol("shop", "web-only", {"podSelector": {"matchLabels": {"app": "web"}}})], {},
     [("Namespace", "shop", "metadata", Severity.WARNING)]),
    ("a namespace whose pods are all selected", LintRule.PODS_UNSELECTED,
     [netpol("shop", "all", {"podSelector": {}})], {}, []),
    ("a policy over a host-network pod", LintRule.HOST_NETWORK_SELECTED,
     [netpol("shop", "all", {"podSelector": {}})], {"host_pod": True},
     [("NetworkPolicy", "shop/all", "spec.podSelector", Severity.WARNING)]),
    ("a policy that leaves the host-network pod out", LintRule.HOST_NETWORK_SELECTED,
     [netpol("shop", "some", {"podSelector": {"matchExpressions": [{"key": "app", "operator": "In",
                                                                     "values": ["web", "db"]}]}})],
     {"host_pod": True}, []),
    ("egress rules only, policyTypes left out", LintRule.INGRESS_ISOLATED_BY_DEFAULT,
     [netpol("shop", "eg", {"podSelector": {"matchLabels": {"app": "web"}}, "egress": [ALLOW_DNS]})], {},
     [("NetworkPolicy", "shop/eg", "spec", Severity.WARNING)]),
    ("egress rules only, policyTypes written", LintRule.INGRESS_ISOLATED_BY_DEFAULT,
     [netpol("shop", "eg", {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Egress"],
                            "egress": [ALLOW_DNS]})], {}, []),
]


@pytest.mark.parametrize(("case", "rule", "objects", "options", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rule(case: str, rule: LintRule, objects: list[Manifest], options: dict[str, Any],
              expected: list[tuple[str, str, str, Severity]]) -> None:
    found = findings(rule, *objects, **options)
    assert where(found) == expected
    for f in found:
        assert f.message
        assert f.origin.startswith("test:") or f.kind == "Namespace"  # Namespaces carry no origin


def test_every_rule_has_a_case_that_raises_it() -> None:
    raised = {rule for _, rule, _, _, expected in CASES if expected}
    assert raised == set(LintRule)


def test_messages_name_the_why() -> None:
    found = findings(LintRule.NAMESPACE_SELECTOR_MATCHES_NOTHING, netpol("shop", "n", {"podSelector": {}, "ingress": [
        {"from": [{"namespaceSelector": {"matchLabels": {"team": "nope"}}}]}]}))
    assert "team=nope" in found[0].message and "matches none" in found[0].message


def test_failing_is_severity_error_or_above() -> None:
    warning = Finding(LintRule.SELECTS_NO_POD, Severity.WARNING, "NetworkPolicy", "a", "b", ("spec",), "m")
    error = Finding(LintRule.SHADOWED_RULE, Severity.ERROR, "NetworkPolicy", "a", "b", ("spec",), "m")
    assert not failing([warning]) and failing([warning, error])
    assert failing([warning], Severity.WARNING) and not failing([], Severity.NOTE)


def test_path_text() -> None:
    assert path_text(("spec", "ingress", 0, "from", 1, "namespaceSelector")) == "spec.ingress[0].from[1].namespaceSelector"
    assert path_text(()) == ""


def test_clean_world_has_no_findings() -> None:
    policies = [netpol("shop", "all", {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}],
                                       "egress": [ALLOW_DNS], "policyTypes": ["Ingress", "Egress"]}),
                netpol("kube-system", "dns", {"podSelector": {}, "ingress": [{"ports": [{"port": 53, "protocol": "UDP"}]}]})]
    assert lint(cluster(world(*policies))) == []
