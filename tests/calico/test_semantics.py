"""Calico's tiers, orders, actions and rule fields, table-driven.

Each case restates a sentence of Calico's docs and API reference (projectcalico.org/v3 NetworkPolicy,
GlobalNetworkPolicy, Tier, NetworkSet) or of the code that applies them (felix/rules/endpoints.go,
felix/calc/policy_sorter.go, libcalico-go/lib/backend/syncersv1/updateprocessors/rules.go), in the xyz
world of `calico.kit`: x/a is 10.1.0.1, x/b 10.1.0.2, y/a 10.2.0.1, z/b 10.3.0.2; every pod serves
80/81 on TCP, UDP and SCTP (named serve-80-tcp, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from engine.kit import Manifest, all_reasons, check, netpol

from kubenet_tui.engine.explain import Status

from .kit import calico, global_set, gnp, network_set, np, obj, rule, service_account, tier

ALL_INGRESS = netpol("y", "allow-all", {"podSelector": {}, "ingress": [{}]})
DENY_FROM_X = rule("Deny", source={"namespaceSelector": 'ns == "x"'})


@dataclass(frozen=True)
class Case:
    name: str
    objects: tuple[Manifest, ...]
    source: str
    destination: str
    port: int | str | None
    status: Status
    deciding: tuple[str, str, str, int] | None = None  # (kind, name, direction, rule) of the first deciding rule
    protocol: str = "TCP"
    said: tuple[str, ...] = ()  # phrases the explanation must contain
    extra: dict[str, Any] = field(default_factory=dict)


CASES = [
    # -- the example: a Calico Deny overrides a NetworkPolicy allow ------------------------------
    Case("gnp-deny-beats-networkpolicy-allow",
         (ALL_INGRESS, gnp("deny-x-to-b", order=10, selector='pod == "b"',
                           ingress=[rule("Deny", protocol="TCP", source={"selector": 'pod == "a"'},
                                         destination={"ports": [80]})])),
         "x/a", "y/b", 80, Status.BLOCKED, ("GlobalNetworkPolicy", "deny-x-to-b", "ingress", 0)),
    Case("gnp-deny-leaves-other-ports",
         (ALL_INGRESS, gnp("deny-x-to-b", order=10, selector='pod == "b"',
                           ingress=[rule("Deny", protocol="TCP", source={"selector": 'pod == "a"'},
                                         destination={"ports": [80]})])),
         "x/a", "y/b", 81, Status.ALLOWED, ("NetworkPolicy", "allow-all", "ingress", 0)),
    # -- tiers ----------------------------------------------------------------------------------------
    Case("earlier-tier-deny-beats-default-tier-allow",
         (ALL_INGRESS, tier("security", 100), gnp("security.deny", tier="security", ingress=[DENY_FROM_X])),
         "x/a", "y/a", 80, Status.BLOCKED, ("GlobalNetworkPolicy", "security.deny", "ingress", 0),
         said=("Calico tier security",)),
    Case("pass-goes-to-the-next-tier",
         (ALL_INGRESS, tier("security", 100),
          gnp("security.pass", tier="security", ingress=[rule("Pass", source={"namespaceSelector": 'ns == "x"'}),
                                                         rule("Deny")])),
         "x/a", "y/a", 80, Status.ALLOWED, ("NetworkPolicy", "allow-all", "ingress", 0)),
    Case("no-policy-selects-the-pod-the-tier-is-skipped",
         (tier("security", 100), gnp("security.only-c", tier="security", selector='pod == "c"', ingress=[])),
         "x/a", "y/a", 80, Status.ALLOWED),
    Case("selected-and-no-rule-matches-end-of-tier-deny",
         (tier("security", 100), gnp("security.a", tier="security", selector='pod == "a"',
                                     ingress=[rule("Allow", source={"namespaceSelector": 'ns == "z"'})])),
         "x/a", "y/a", 80, Status.BLOCKED, said=("its default action is Deny",)),
    Case("not-selected-by-the-tier-no-end-of-tier-deny",
         (tier("security", 100), gnp("security.a", tier="security", selector='pod == "a"',
                                     ingress=[rule("Allow", source={"namespaceSelector": 'ns == "z"'})])),
         "x/a", "y/b", 80, Status.ALLOWED),
    Case("tier-default-action-pass",
         (tier("security", 100, "Pass"), gnp("security.a", tier="security", selector='pod == "a"',
                                             ingress=[rule("Allow", source={"namespaceSelector": 'ns == "z"'})])),
         "x/a", "y/a", 80, Status.ALLOWED),
    Case("tiers-ascending-order",
         (tier("first", 100), tier("second", 200),
          gnp("second.allow", tier="second", ingress=[rule("Allow")]),
          gnp("first.deny", tier="first", ingress=[DENY_FROM_X])),
         "x/a", "y/a", 80, Status.BLOCKED, ("GlobalNetworkPolicy", "first.deny", "ingress", 0)),
    Case("tier-without-order-is-last",
         (tier("aaa"), tier("zzz", 5),
          gnp("aaa.deny", tier="aaa", ingress=[DENY_FROM_X]), gnp("zzz.allow", tier="zzz", ingress=[rule("Allow")])),
         "x/a", "y/a", 80, Status.ALLOWED, ("GlobalNetworkPolicy", "zzz.allow", "ingress", 0)),
    Case("tiers-of-equal-order-by-name",
         (tier("bbb", 100), tier("aaa", 100),
          gnp("bbb.allow", tier="bbb", ingress=[rule("Allow")]), gnp("aaa.deny", tier="aaa", ingress=[DENY_FROM_X])),
         "x/a", "y/a", 80, Status.BLOCKED, ("GlobalNetworkPolicy", "aaa.deny", "ingress", 0)),
    Case("custom-tier-after-default",
         (tier("late", 2_000_000), ALL_INGRESS, gnp("late.deny", tier="late", ingress=[DENY_FROM_X])),
         "x/a", "y/a", 80, Status.ALLOWED, ("NetworkPolicy", "allow-all", "ingress", 0)),
    # -- policies in a tier ------------------------------------------------------------------------
    Case("policies-ascending-order",
         (gnp("p-allow", order=20, ingress=[rule("Allow")]), gnp("p-deny", order=10, ingress=[DENY_FROM_X])),
         "x/a", "y/a", 80, Status.BLOCKED, ("GlobalNetworkPolicy", "p-deny", "ingress", 0)),
    Case("policy-without-order-is-last",
         (gnp("a-deny", ingress=[DENY_FROM_X]), gnp("z-allow", order=1, ingress=[rule("Allow")])),
         "x/a", "y/a", 80, Status.ALLOWED, ("GlobalNetworkPolicy", "z-allow", "ingress", 0)),
    Case("policies-of-equal-order-by-name",
         (gnp("b-allow", order=5, ingress=[rule("Allow")]), gnp("a-deny", order=5, ingress=[DENY_FROM_X])),
         "x/a", "y/a", 80, Status.BLOCKED, ("GlobalNetworkPolicy", "a-deny", "ingress", 0)),
    Case("float-orders-compare-as-numbers",
         (gnp("p10", order=10, ingress=[rule("Allow")]), gnp("p9", order=9.5, ingress=[DENY_FROM_X])),
         "x/a", "y/a", 80, Status.BLOCKED, ("GlobalNetworkPolicy", "p9", "ingress", 0)),
    Case("calico-policy-below-1000-runs-before-networkpolicies",
         (ALL_INGRESS, np("y", "deny-x", order=999, ingress=[DENY_FROM_X])),
         "x/a", "y/a", 80, Status.BLOCKED, ("Calico NetworkPolicy", "deny-x", "ingress", 0)),
    Case("calico-policy-above-1000-runs-after-networkpolicies",
         (ALL_INGRESS, np("y", "deny-x", order=1001, ingress=[DENY_FROM_X])),
         "x/a", "y/a", 80, Status.ALLOWED, ("NetworkPolicy", "allow-all", "ingress", 0)),
    Case("networkpolicy-isolation-is-the-default-tier-deny",
         (netpol("y", "only-z", {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {
             "matchLabels": {"ns": "z"}}}]}]}),),
         "x/a", "y/a", 80, Status.BLOCKED, said=("Calico tier default: its default action is Deny",)),
    # -- rules ---------------------------------------------------------------------------------------
    Case("log-does-not-decide",
         (gnp("logged", ingress=[rule("Log"), DENY_FROM_X, rule("Allow")]),),
         "x/a", "y/a", 80, Status.BLOCKED, ("GlobalNetworkPolicy", "logged", "ingress", 1), said=("Log never decides",)),
    Case("types-default-egress-only-rules-govern-egress-only",
         (gnp("egress-only", selector='pod == "a"', egress=[rule("Allow", destination={"nets": ["8.8.8.8/32"]})]),),
         "x/b", "y/a", 80, Status.ALLOWED),
    Case("types-default-egress-only-rules-isolate-egress",
         (gnp("egress-only", selector='pod == "a"', egress=[rule("Allow", destination={"nets": ["8.8.8.8/32"]})]),),
         "x/a", "y/b", 80, Status.BLOCKED),
    Case("types-default-no-rules-is-ingress",
         (gnp("nothing", selector='pod == "a"'),), "x/a", "y/b", 80, Status.ALLOWED),
    Case("types-default-no-rules-isolates-ingress",
         (gnp("nothing", selector='pod == "a"'),), "x/b", "y/a", 80, Status.BLOCKED),
    Case("explicit-types-without-rules-isolate",
         (gnp("isolate", selector='pod == "a"', types=["Egress"]),), "x/a", "y/b", 80, Status.BLOCKED),
    # -- nets ----------------------------------------------------------------------------------------
    Case("nets-match-pod-ips",
         (gnp("deny-to-y", egress=[rule("Deny", destination={"nets": ["10.2.0.0/16"]}), rule("Allow")]),),
         "x/a", "y/a", 80, Status.BLOCKED, ("GlobalNetworkPolicy", "deny-to-y", "egress", 0)),
    Case("notnets",
         (gnp("deny-outside", egress=[rule("Deny", destination={"notNets": ["10.0.0.0/8", "fd00::/8"]}),
                                      rule("Allow")]),),
         "x/a", "8.8.8.8", 443, Status.BLOCKED, ("GlobalNetworkPolicy", "deny-outside", "egress", 0)),
    Case("notnets-spare-what-they-name",
         (gnp("deny-outside", egress=[rule("Deny", destination={"notNets": ["10.0.0.0/8", "fd00::/8"]}),
                                      rule("Allow")]),),
         "x/a", "y/a", 80, Status.ALLOWED, ("GlobalNetworkPolicy", "deny-outside", "egress", 1)),
    Case("bare-address-in-nets-is-one-host",
         (gnp("deny", egress=[rule("Deny", destination={"nets": ["8.8.8.8"]}), rule("Allow")]),),
         "x/a", "8.8.4.4", 53, Status.ALLOWED),
    Case("ip-version-restricts-the-rule",
         (gnp("v6-only", egress=[rule("Deny", ipVersion=6), rule("Allow")]),),
         "x/a", "8.8.8.8", 53, Status.ALLOWED, ("GlobalNetworkPolicy", "v6-only", "egress", 1)),
    # -- selectors and namespaces ---------------------------------------------------------------------
    Case("namespaced-policy-selector-means-its-namespace",
         (np("y", "from-a", ingress=[rule("Allow", source={"selector": 'pod == "a"'})]),),
         "x/a", "y/b", 80, Status.BLOCKED),
    Case("namespaced-policy-selector-in-its-namespace",
         (np("y", "from-a", ingress=[rule("Allow", source={"selector": 'pod == "a"'})]),),
         "y/a", "y/b", 80, Status.ALLOWED, ("Calico NetworkPolicy", "from-a", "ingress", 0)),
    Case("global-policy-selector-spans-namespaces",
         (gnp("from-a", selector='projectcalico.org/namespace == "y"',
              ingress=[rule("Allow", source={"selector": 'pod == "a"'})]),),
         "z/a", "y/b", 80, Status.ALLOWED, ("GlobalNetworkPolicy", "from-a", "ingress", 0)),
    Case("rule-namespace-selector",
         (np("y", "from-z", ingress=[rule("Allow", source={"namespaceSelector": 'ns == "z"'})]),),
         "z/b", "y/b", 80, Status.ALLOWED),
    Case("rule-namespace-selector-excludes",
         (np("y", "from-z", ingress=[rule("Allow", source={"namespaceSelector": 'ns == "z"'})]),),
         "x/b", "y/b", 80, Status.BLOCKED),
    Case("namespace-labels-as-pcns",
         (gnp("pcns", ingress=[rule("Deny", source={"selector": 'pcns.ns == "x" && pod == "a"'})]),),
         "x/a", "y/b", 80, Status.BLOCKED),
    Case("namespace-name-label",
         (gnp("by-name", ingress=[rule("Deny", source={"selector": 'pcns.projectcalico.org/name == "x"'})]),),
         "x/b", "y/b", 80, Status.BLOCKED),
    Case("orchestrator-label",
         (gnp("k8s-only", ingress=[rule("Allow", source={"selector": 'projectcalico.org/orchestrator == "k8s"'})]),),
         "8.8.8.8", "y/b", 80, Status.BLOCKED),
    Case("not-equal-holds-when-absent",
         (gnp("ne", ingress=[rule("Allow", source={"selector": 'color != "red"'})]),),
         "x/a", "y/b", 80, Status.ALLOWED),
    Case("selector-matches-only-endpoints-and-sets",
         (gnp("not-a", ingress=[rule("Allow", source={"selector": '!has(pod)'})]),),
         "8.8.8.8", "y/b", 80, Status.BLOCKED, said=("belongs to no",)),
    Case("not-selector-also-matches-non-calico-sources",
         (gnp("not-a", ingress=[rule("Allow", source={"notSelector": 'pod == "a"'})]),),
         "8.8.8.8", "y/b", 80, Status.ALLOWED),
    Case("not-selector-excludes-what-it-matches",
         (gnp("not-a", ingress=[rule("Allow", source={"notSelector": 'pod == "a"'})]),),
         "x/a", "y/b", 80, Status.BLOCKED, said=("notSelector",)),
    Case("service-account-names",
         (gnp("sa", ingress=[rule("Allow", source={"serviceAccounts": {"names": ["default"]}})]),),
         "x/a", "y/b", 80, Status.ALLOWED),
    Case("service-account-names-exclude",
         (gnp("sa", ingress=[rule("Allow", source={"serviceAccounts": {"names": ["robot"]}})]),),
         "x/a", "y/b", 80, Status.BLOCKED),
    Case("service-account-labels-as-pcsa",
         (service_account("x", "default", role="robot"), service_account("z", "default"),
          gnp("sa", ingress=[rule("Allow", source={"serviceAccounts": {"selector": 'role == "robot"'}})])),
         "x/a", "y/b", 80, Status.ALLOWED),
    Case("service-account-labels-exclude",
         (service_account("x", "default", role="robot"), service_account("z", "default"),
          gnp("sa", ingress=[rule("Allow", source={"serviceAccounts": {"selector": 'role == "robot"'}})])),
         "z/a", "y/b", 80, Status.BLOCKED),
    Case("service-account-labels-not-read-are-unknown",
         (gnp("sa", ingress=[rule("Deny", source={"serviceAccounts": {"selector": 'role == "robot"'}}),
                             rule("Allow")]),),
         "x/a", "y/b", 80, Status.UNKNOWN, said=("ServiceAccount x/default",)),
    Case("policy-service-account-selector",
         (service_account("y", "default", tier="db"),
          gnp("subject-sa", serviceAccountSelector='tier == "db"', ingress=[rule("Deny")])),
         "x/a", "y/b", 80, Status.BLOCKED),
    # -- network sets ---------------------------------------------------------------------------------
    Case("global-network-set-names-outside-addresses",
         (global_set("feed", ["203.0.113.0/24"], feed="bad"),
          gnp("block", egress=[rule("Deny", destination={"selector": 'feed == "bad"'}), rule("Allow")])),
         "x/a", "203.0.113.9", 443, Status.BLOCKED, said=("GlobalNetworkSet feed",)),
    Case("global-network-set-leaves-other-addresses",
         (global_set("feed", ["203.0.113.0/24"], feed="bad"),
          gnp("block", egress=[rule("Deny", destination={"selector": 'feed == "bad"'}), rule("Allow")])),
         "x/a", "198.51.100.9", 443, Status.ALLOWED),
    Case("network-set-holding-a-pod-address-matches-it",
         (global_set("private", ["10.2.0.0/16"], private="yes"),
          gnp("block", egress=[rule("Deny", destination={"selector": 'private == "yes"'}), rule("Allow")])),
         "x/a", "y/a", 80, Status.BLOCKED),
    Case("namespaced-network-set-is-scoped-like-pods",
         (network_set("z", "partner", ["203.0.113.0/24"], role="partner"),
          np("x", "to-partner", egress=[rule("Allow", destination={"selector": 'role == "partner"'})])),
         "x/a", "203.0.113.9", 443, Status.BLOCKED),
    Case("namespaced-network-set-by-namespace-selector",
         (network_set("z", "partner", ["203.0.113.0/24"], role="partner"),
          np("x", "to-partner", egress=[rule("Allow", destination={"selector": 'role == "partner"',
                                                                   "namespaceSelector": 'ns == "z"'})])),
         "x/a", "203.0.113.9", 443, Status.ALLOWED),
    Case("global-namespace-selector-means-global-sets",
         (global_set("feed", ["203.0.113.0/24"], feed="bad"), network_set("x", "local", ["198.51.100.0/24"],
                                                                          feed="bad"),
          np("x", "to-global", egress=[rule("Allow", destination={"selector": 'feed == "bad"',
                                                                  "namespaceSelector": "global()"})])),
         "x/a", "198.51.100.9", 443, Status.BLOCKED),
    # -- ports and protocols -----------------------------------------------------------------------
    Case("port-range", (gnp("r", ingress=[rule("Allow", protocol="TCP", destination={"ports": ["80:81"]})]),),
         "x/a", "y/b", 81, Status.ALLOWED),
    Case("port-range-excludes", (gnp("r", ingress=[rule("Allow", protocol="TCP", destination={"ports": ["80:81"]})]),),
         "x/a", "y/b", 82, Status.BLOCKED),
    Case("named-port", (gnp("n", ingress=[rule("Allow", protocol="UDP", destination={"ports": ["serve-81-udp"]})]),),
         "x/a", "y/b", 81, Status.ALLOWED, protocol="UDP"),
    Case("named-port-other-number", (gnp("n", ingress=[rule("Allow", protocol="UDP",
                                                            destination={"ports": ["serve-81-udp"]})]),),
         "x/a", "y/b", 80, Status.BLOCKED, protocol="UDP", said=("named port 'serve-81-udp'",)),
    Case("not-ports", (gnp("np", ingress=[rule("Allow", protocol="TCP", destination={"notPorts": [80]})]),),
         "x/a", "y/b", 81, Status.ALLOWED),
    Case("not-ports-excludes", (gnp("np", ingress=[rule("Allow", protocol="TCP", destination={"notPorts": [80]})]),),
         "x/a", "y/b", 80, Status.BLOCKED),
    Case("protocol-by-number", (gnp("udp", ingress=[rule("Allow", protocol=17)]),),
         "x/a", "y/b", 80, Status.ALLOWED, protocol="UDP"),
    Case("protocol-other", (gnp("udp", ingress=[rule("Allow", protocol="UDP")]),),
         "x/a", "y/b", 80, Status.BLOCKED),
    Case("not-protocol", (gnp("no-udp", ingress=[rule("Allow", notProtocol="UDP")]),),
         "x/a", "y/b", 80, Status.ALLOWED, protocol="SCTP"),
    Case("icmp-rules-never-match-tcp", (gnp("ping", ingress=[rule("Allow", protocol="ICMP", icmp={"type": 8})]),),
         "x/a", "y/b", 80, Status.BLOCKED),
    # -- the pod's own end of the rule ---------------------------------------------------------------------
    Case("egress-rule-source-is-the-pod-itself",
         (gnp("a-not-to-z", types=["Egress"], egress=[
             rule("Deny", source={"selector": 'pod == "a"'}, destination={"nets": ["10.3.0.0/16"]}), rule("Allow")]),),
         "x/a", "z/b", 80, Status.BLOCKED, ("GlobalNetworkPolicy", "a-not-to-z", "egress", 0)),
    Case("egress-rule-source-other-pod",
         (gnp("a-not-to-z", types=["Egress"], egress=[
             rule("Deny", source={"selector": 'pod == "a"'}, destination={"nets": ["10.3.0.0/16"]}), rule("Allow")]),),
         "x/b", "z/b", 80, Status.ALLOWED, said=("itself does not match",)),
    Case("ingress-rule-destination-nets-is-the-pod-itself",
         (gnp("deny-to-y", ingress=[rule("Deny", destination={"nets": ["10.2.0.0/16"]}), rule("Allow")]),),
         "x/a", "y/b", 80, Status.BLOCKED),
    # -- what cannot be decided offline ---------------------------------------------------------------
    Case("source-ports-are-unknown",
         (gnp("src-port", ingress=[rule("Deny", protocol="TCP", source={"ports": [1234]}), rule("Allow")]),),
         "x/a", "y/b", 80, Status.UNKNOWN, said=("source port",)),
    Case("http-matches-are-unknown",
         (gnp("l7", ingress=[rule("Allow", http={"methods": ["GET"]})]),), "x/a", "y/b", 80, Status.UNKNOWN),
    Case("unknown-rule-fields-are-unknown",
         (gnp("future", ingress=[rule("Deny", destination={"ports": [80]}, protocol="TCP", newField=True),
                                 rule("Allow")]),),
         "x/a", "y/b", 80, Status.UNKNOWN),
    Case("pre-dnat-policy-without-host-endpoints-never-applies-to-pods",
         (gnp("pre", preDNAT=True, applyOnForward=True, ingress=[rule("Deny")]),), "x/a", "y/b", 80, Status.ALLOWED),
    Case("pre-dnat-policy-with-host-endpoints-is-unknown",
         (obj("HostEndpoint", "node-1-eth0", {"node": "node-1", "interfaceName": "eth0",
                                              "expectedIPs": ["192.168.0.1"]}, labels={"host": "yes"}),
          gnp("pre", preDNAT=True, applyOnForward=True, selector='has(host)', ingress=[rule("Deny")])),
         "x/a", "y/b", 80, Status.UNKNOWN, said=("host endpoints",)),
    Case("policy-of-a-tier-that-was-not-loaded-is-unknown",
         (gnp("ghost.deny", tier="ghost", ingress=[DENY_FROM_X]),), "x/a", "y/b", 80, Status.UNKNOWN,
         said=("Tier ghost was not loaded",)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_calico_semantics(case: Case) -> None:
    cluster = calico(*case.objects)
    verdict = check(cluster, case.source, case.destination, case.port, case.protocol)
    reasons = all_reasons(verdict)
    assert verdict.status is case.status, f"{verdict.summary}\n{reasons}"
    if case.deciding is not None:
        refs = [(r.kind, r.name, r.direction.value, r.rule) for r in verdict.deciding_rules]
        assert case.deciding in refs, refs
    chains = " ".join(t.name for d in (verdict.egress, verdict.ingress) for t in d.tiers)
    for phrase in case.said:
        assert phrase in reasons or phrase in chains, f"{phrase!r} not in:\n{reasons}"
