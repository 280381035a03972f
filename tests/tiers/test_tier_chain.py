"""The tier chain (SEMANTICS.md 5), table-driven, for every API style: AdminNetworkPolicy/
BaselineAdminNetworkPolicy v1alpha1 and ClusterNetworkPolicy v1alpha2 and v1beta1.

Each case names the policies, one connection, and what must come out: the verdict, which tier
decided the direction under test, the deciding rule (kind, name, direction, index, rule name,
action as written), and the chain of tier outcomes. Cases marked "conformance" restate an
upstream network-policy-api conformance expectation on this cluster.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from kubenet_tui.engine.explain import Direction, Status, Tier

from .kit import (
    NODE_1_IP,
    NODE_2_IP,
    STYLES,
    Obj,
    Port,
    Style,
    all_ns_peer,
    check,
    house_selector,
    load,
    named,
    netpol,
    networks_peer,
    nodes_peer,
    ns_peer,
    ns_subject,
    num,
    pod,
    pods_peer,
    proto,
    rng,
    rule,
    server_ip,
)

GRYF = ns_subject("gryffindor")


@dataclass(frozen=True)
class Ref:
    """The expected deciding rule. `role`: "admin", "baseline" or "netpol"."""

    role: str
    name: str
    rule: int
    rule_name: str | None = None
    action: str | None = None  # neutral: allow / deny / pass (admin tiers only)
    namespace: str | None = None


@dataclass(frozen=True)
class Case:
    id: str
    policies: Callable[[Style], list[Obj]]
    source: str
    destination: str
    port: int | str | None
    expect_allowed: bool
    direction: Direction
    decided_by: Tier
    ref: Ref | None
    chain: tuple[str, ...]  # "Tier:Outcome" for the direction under test
    protocol: str = "TCP"
    styles: tuple[str, ...] = ("v1alpha1", "v1alpha2", "v1beta1")


def allow_ns_policy(house: str, *from_houses: str, name: str = "allow-houses") -> Obj:
    """A NetworkPolicy isolating every pod of `house` for ingress, allowing the given houses."""
    return netpol(house, name, {}, ["Ingress"],
                  ingress=[{"from": [{"namespaceSelector": house_selector(h)} for h in from_houses]}])


DRACO, HARRY, HARRY1 = "slytherin/draco-0", "gryffindor/harry-0", "gryffindor/harry-1"
CEDRIC, CEDRIC1, LUNA, LUNA1 = "hufflepuff/cedric-0", "hufflepuff/cedric-1", "ravenclaw/luna-0", "ravenclaw/luna-1"
IN, OUT = Direction.INGRESS, Direction.EGRESS

CASES = [
    # -- priority across policies: the lower number wins, whatever the names --------------------
    Case("priority-lower-number-wins-deny",
         lambda s: [s.admin("z-first", 10, GRYF, ingress=[rule("deny", ns_peer("slytherin"), name="deny-slytherin")]),
                    s.admin("a-second", 20, GRYF, ingress=[rule("allow", ns_peer("slytherin"), name="allow-slytherin")])],
         DRACO, HARRY, 80, False, IN, Tier.ADMIN, Ref("admin", "z-first", 0, "deny-slytherin", "deny"), ("Admin:Deny",)),
    Case("priority-lower-number-wins-allow",
         lambda s: [s.admin("z-first", 10, GRYF, ingress=[rule("allow", ns_peer("slytherin"), name="allow-slytherin")]),
                    s.admin("a-second", 20, GRYF, ingress=[rule("deny", ns_peer("slytherin"), name="deny-slytherin")])],
         DRACO, HARRY, 80, True, IN, Tier.ADMIN, Ref("admin", "z-first", 0, "allow-slytherin", "allow"), ("Admin:Allow",)),
    Case("priority-0-is-highest",
         lambda s: [s.admin("one", 1, GRYF, ingress=[rule("allow", ns_peer("slytherin"), name="allow")]),
                    s.admin("zero", 0, GRYF, ingress=[rule("deny", ns_peer("slytherin"), name="deny")])],
         DRACO, HARRY, 80, False, IN, Tier.ADMIN, Ref("admin", "zero", 0, "deny", "deny"), ("Admin:Deny",)),
    Case("priority-non-matching-higher-policy-is-skipped",
         lambda s: [s.admin("first", 10, GRYF, ingress=[rule("deny", ns_peer("ravenclaw"), name="deny-ravenclaw")]),
                    s.admin("second", 20, GRYF, ingress=[rule("allow", ns_peer("slytherin"), name="allow-slytherin")])],
         DRACO, HARRY, 80, True, IN, Tier.ADMIN, Ref("admin", "second", 0, "allow-slytherin", "allow"), ("Admin:Allow",)),
    # -- rule order within one policy: the first matching rule decides -------------------------
    Case("rule-order-deny-before-allow-on-its-port",
         lambda s: [s.admin("ordered", 10, GRYF, ingress=[
             rule("deny", ns_peer("slytherin"), ports=[num(80)], name="deny-80"),
             rule("allow", ns_peer("slytherin"), name="allow-rest")])],
         DRACO, HARRY, 80, False, IN, Tier.ADMIN, Ref("admin", "ordered", 0, "deny-80", "deny"), ("Admin:Deny",)),
    Case("rule-order-later-rule-decides-other-ports",
         lambda s: [s.admin("ordered", 10, GRYF, ingress=[
             rule("deny", ns_peer("slytherin"), ports=[num(80)], name="deny-80"),
             rule("allow", ns_peer("slytherin"), name="allow-rest")])],
         DRACO, HARRY, 8080, True, IN, Tier.ADMIN, Ref("admin", "ordered", 1, "allow-rest", "allow"), ("Admin:Allow",)),
    Case("conformance-egress-accept-before-deny-and-pass",
         lambda s: [s.admin("egress-tcp", 6, GRYF, egress=[
             rule("allow", ns_peer("ravenclaw"), name="allow-to-ravenclaw-everything"),
             rule("deny", ns_peer("ravenclaw"), name="deny-to-ravenclaw-everything"),
             rule("pass", ns_peer("ravenclaw"), name="pass-to-ravenclaw-everything")])],
         HARRY, LUNA, 80, True, OUT, Tier.ADMIN,
         Ref("admin", "egress-tcp", 0, "allow-to-ravenclaw-everything", "allow"), ("Admin:Allow",)),
    Case("conformance-egress-deny-port-80-before-pass",
         lambda s: [s.admin("egress-tcp", 6, GRYF, egress=[
             rule("deny", ns_peer("slytherin"), ports=[num(80)], name="deny-to-slytherin-at-port-80"),
             rule("pass", ns_peer("slytherin"), ports=[num(80)], name="pass-to-slytherin-at-port-80")])],
         HARRY, DRACO, 80, False, OUT, Tier.ADMIN,
         Ref("admin", "egress-tcp", 0, "deny-to-slytherin-at-port-80", "deny"), ("Admin:Deny",)),
    # -- Allow/Accept and Deny are final: a NetworkPolicy cannot override them ------------------
    Case("admin-allow-beats-networkpolicy-isolation",
         lambda s: [s.admin("allow-slytherin", 10, GRYF, ingress=[rule("allow", ns_peer("slytherin"), name="allow")]),
                    netpol("gryffindor", "deny-all", {}, ["Ingress"])],
         DRACO, HARRY, 80, True, IN, Tier.ADMIN, Ref("admin", "allow-slytherin", 0, "allow", "allow"), ("Admin:Allow",)),
    Case("admin-deny-beats-networkpolicy-allow",
         lambda s: [s.admin("deny-slytherin", 10, GRYF, ingress=[rule("deny", ns_peer("slytherin"), name="deny")]),
                    netpol("gryffindor", "allow-all", {}, ["Ingress"], ingress=[{}])],
         DRACO, HARRY, 80, False, IN, Tier.ADMIN, Ref("admin", "deny-slytherin", 0, "deny", "deny"), ("Admin:Deny",)),
    Case("admin-egress-deny-beats-networkpolicy-egress-allow",
         lambda s: [s.admin("deny-egress", 10, GRYF, egress=[rule("deny", ns_peer("hufflepuff"), name="deny-huff")]),
                    netpol("gryffindor", "allow-all-egress", {}, ["Egress"], egress=[{}])],
         HARRY, CEDRIC, 80, False, OUT, Tier.ADMIN, Ref("admin", "deny-egress", 0, "deny-huff", "deny"), ("Admin:Deny",)),
    # -- Pass: on to the NetworkPolicy tier, then the baseline ---------------------------------
    Case("pass-then-networkpolicy-allows",
         lambda s: [s.admin("pass-slytherin", 10, GRYF, ingress=[rule("pass", ns_peer("slytherin"), name="pass")]),
                    allow_ns_policy("gryffindor", "slytherin", name="allow-slytherin"),
                    s.baseline(GRYF, ingress=[rule("deny", ns_peer("slytherin"), name="baseline-deny")])],
         DRACO, HARRY, 80, True, IN, Tier.NETWORK_POLICY, Ref("netpol", "allow-slytherin", 0, namespace="gryffindor"),
         ("Admin:Pass", "NetworkPolicy:Allow")),
    Case("pass-then-networkpolicy-isolates-and-denies",
         lambda s: [s.admin("pass-slytherin", 10, GRYF, ingress=[rule("pass", ns_peer("slytherin"), name="pass")]),
                    allow_ns_policy("gryffindor", "ravenclaw", name="allow-ravenclaw"),
                    s.baseline(GRYF, ingress=[rule("allow", ns_peer("slytherin"), name="baseline-allow")])],
         DRACO, HARRY, 80, False, IN, Tier.NETWORK_POLICY, None, ("Admin:Pass", "NetworkPolicy:Deny")),
    Case("pass-skips-the-rest-of-the-admin-tier",
         lambda s: [s.admin("pass-first", 10, GRYF, ingress=[rule("pass", ns_peer("slytherin"), name="pass"),
                                                              rule("deny", all_ns_peer(), name="deny-all")]),
                    s.admin("deny-later", 20, GRYF, ingress=[rule("deny", ns_peer("slytherin"), name="deny")])],
         DRACO, HARRY, 80, True, IN, Tier.DEFAULT, None,
         ("Admin:Pass", "NetworkPolicy:NoDecision", "Default:Allow")),
    Case("pass-then-baseline-denies-unisolated-pod",
         lambda s: [s.admin("pass-slytherin", 10, GRYF, ingress=[rule("pass", ns_peer("slytherin"), name="pass")]),
                    s.baseline(GRYF, ingress=[rule("deny", ns_peer("slytherin"), name="baseline-deny")])],
         DRACO, HARRY, 80, False, IN, Tier.BASELINE, Ref("baseline", "default", 0, "baseline-deny", "deny"),
         ("Admin:Pass", "NetworkPolicy:NoDecision", "Baseline:Deny")),
    Case("conformance-pass-egress-then-baseline-deny",
         lambda s: [s.admin("pass-example", 10, GRYF, egress=[rule("pass", ns_peer("slytherin"), name="pass-egress")]),
                    s.baseline(GRYF, egress=[rule("deny", ns_peer("slytherin"), name="deny-all-egress-to-slytherin")])],
         HARRY, DRACO, 8080, False, OUT, Tier.BASELINE,
         Ref("baseline", "default", 0, "deny-all-egress-to-slytherin", "deny"),
         ("Admin:Pass", "NetworkPolicy:NoDecision", "Baseline:Deny")),
    Case("baseline-rule-order-allow-before-deny",
         lambda s: [s.baseline(GRYF, ingress=[rule("allow", ns_peer("slytherin"), name="allow-slytherin"),
                                              rule("deny", all_ns_peer(), name="deny-all")])],
         DRACO, HARRY, 80, True, IN, Tier.BASELINE, Ref("baseline", "default", 0, "allow-slytherin", "allow"),
         ("NetworkPolicy:NoDecision", "Baseline:Allow")),
    Case("baseline-later-rule-denies-the-rest",
         lambda s: [s.baseline(GRYF, ingress=[rule("allow", ns_peer("slytherin"), name="allow-slytherin"),
                                              rule("deny", all_ns_peer(), name="deny-all")])],
         LUNA, HARRY, 80, False, IN, Tier.BASELINE, Ref("baseline", "default", 1, "deny-all", "deny"),
         ("NetworkPolicy:NoDecision", "Baseline:Deny")),
    # -- the baseline only applies when the NetworkPolicy tier did not isolate the pod ----------
    Case("baseline-ignored-when-networkpolicy-isolates",
         lambda s: [allow_ns_policy("gryffindor", "slytherin", name="allow-slytherin"),
                    s.baseline(GRYF, ingress=[rule("deny", ns_peer("slytherin"), name="baseline-deny")])],
         DRACO, HARRY, 80, True, IN, Tier.NETWORK_POLICY, Ref("netpol", "allow-slytherin", 0, namespace="gryffindor"),
         ("NetworkPolicy:Allow",)),
    Case("baseline-allow-cannot-lift-networkpolicy-isolation",
         lambda s: [allow_ns_policy("gryffindor", "ravenclaw", name="allow-ravenclaw"),
                    s.baseline(GRYF, ingress=[rule("allow", ns_peer("slytherin"), name="baseline-allow")])],
         DRACO, HARRY, 80, False, IN, Tier.NETWORK_POLICY, None, ("NetworkPolicy:Deny",)),
    Case("baseline-applies-when-isolated-only-for-the-other-direction",
         lambda s: [netpol("gryffindor", "egress-only", {}, ["Egress"], egress=[{}]),
                    s.baseline(GRYF, ingress=[rule("deny", ns_peer("slytherin"), name="baseline-deny")])],
         DRACO, HARRY, 80, False, IN, Tier.BASELINE, Ref("baseline", "default", 0, "baseline-deny", "deny"),
         ("NetworkPolicy:NoDecision", "Baseline:Deny")),
    Case("baseline-no-match-default-allow",
         lambda s: [s.baseline(GRYF, ingress=[rule("deny", ns_peer("ravenclaw"), name="deny-ravenclaw")])],
         DRACO, HARRY, 80, True, IN, Tier.DEFAULT, None,
         ("NetworkPolicy:NoDecision", "Baseline:NoDecision", "Default:Allow")),
    Case("conformance-ingress-only-admin-policy-leaves-egress-alone",
         lambda s: [s.admin("admin-ingress-isolation", 20, GRYF,
                            ingress=[rule("deny", ns_peer("slytherin"), name="deny-from-slytherin")])],
         HARRY, LUNA, 80, True, OUT, Tier.DEFAULT, None,
         ("Admin:NoDecision", "NetworkPolicy:NoDecision", "Default:Allow")),
    Case("conformance-egress-only-admin-policy-leaves-ingress-alone",
         lambda s: [s.admin("admin-egress-isolation", 20, GRYF,
                            egress=[rule("deny", ns_peer("slytherin"), name="deny-to-slytherin")])],
         CEDRIC, HARRY, 80, True, IN, Tier.DEFAULT, None,
         ("Admin:NoDecision", "NetworkPolicy:NoDecision", "Default:Allow")),
    # -- ClusterNetworkPolicy only: Pass in the Baseline tier ends the tier ---------------------
    Case("baseline-pass-ends-the-tier",
         lambda s: [s.baseline(GRYF, name="b-first", priority=5,
                               ingress=[rule("pass", ns_peer("slytherin"), name="pass-slytherin"),
                                        rule("deny", all_ns_peer(), name="deny-all")]),
                    s.baseline(GRYF, name="b-second", priority=6,
                               ingress=[rule("deny", ns_peer("slytherin"), name="deny-slytherin")])],
         DRACO, HARRY, 80, True, IN, Tier.DEFAULT, None,
         ("NetworkPolicy:NoDecision", "Baseline:Pass", "Default:Allow"), styles=("v1alpha2", "v1beta1")),
    Case("baseline-priority-order",
         lambda s: [s.baseline(GRYF, name="z-first", priority=5,
                               ingress=[rule("deny", ns_peer("slytherin"), name="deny-slytherin")]),
                    s.baseline(GRYF, name="a-second", priority=6,
                               ingress=[rule("allow", ns_peer("slytherin"), name="allow-slytherin")])],
         DRACO, HARRY, 80, False, IN, Tier.BASELINE, Ref("baseline", "z-first", 0, "deny-slytherin", "deny"),
         ("NetworkPolicy:NoDecision", "Baseline:Deny"), styles=("v1alpha2", "v1beta1")),
    Case("conformance-api-integration-admin-deny",
         lambda s: [s.admin("pass-example", 10, GRYF, ingress=[rule("deny", ns_peer("slytherin"), name="deny-all-ingress-from-slytherin")]),
                    allow_ns_policy("gryffindor", "slytherin", name="allow-gress-from-to-slytherin-to-gryffindor"),
                    s.baseline(GRYF, ingress=[rule("deny", ns_peer("slytherin"), name="deny-all-ingress-from-slytherin")])],
         "slytherin/draco-1", HARRY, 8080, False, IN, Tier.ADMIN,
         Ref("admin", "pass-example", 0, "deny-all-ingress-from-slytherin", "deny"), ("Admin:Deny",)),
    # -- subjects --------------------------------------------------------------------------------
    Case("subject-pods-selects-the-named-pod",
         lambda s: [s.admin("one-pod", 10, {"pods": {"namespaceSelector": house_selector("gryffindor"),
                                                      "podSelector": {"matchLabels": {"pod-name": "harry-0"}}}},
                            ingress=[rule("deny", ns_peer("slytherin"), name="deny")])],
         DRACO, HARRY, 80, False, IN, Tier.ADMIN, Ref("admin", "one-pod", 0, "deny", "deny"), ("Admin:Deny",)),
    Case("subject-pods-does-not-select-its-neighbour",
         lambda s: [s.admin("one-pod", 10, {"pods": {"namespaceSelector": house_selector("gryffindor"),
                                                      "podSelector": {"matchLabels": {"pod-name": "harry-0"}}}},
                            ingress=[rule("deny", ns_peer("slytherin"), name="deny")])],
         DRACO, HARRY1, 80, True, IN, Tier.DEFAULT, None,
         ("Admin:NoDecision", "NetworkPolicy:NoDecision", "Default:Allow")),
    Case("subject-pods-namespace-selector-must-match-too",
         lambda s: [s.admin("wrong-ns", 10, {"pods": {"namespaceSelector": house_selector("ravenclaw"),
                                                       "podSelector": {"matchLabels": {"pod-name": "harry-0"}}}},
                            ingress=[rule("deny", ns_peer("slytherin"), name="deny")])],
         DRACO, HARRY, 80, True, IN, Tier.DEFAULT, None,
         ("Admin:NoDecision", "NetworkPolicy:NoDecision", "Default:Allow")),
    Case("conformance-subject-pods-without-namespace-selector",
         lambda s: [s.admin("pod-name-subject-rules", 21, {"pods": {"podSelector": {"matchLabels": {"pod-name": "luna-0"}}}},
                            egress=[rule("deny", ns_peer("slytherin"), name="deny-to-slytherin")])],
         LUNA, DRACO, 80, False, OUT, Tier.ADMIN,
         Ref("admin", "pod-name-subject-rules", 0, "deny-to-slytherin", "deny"), ("Admin:Deny",)),
    Case("subject-namespaces-by-expression",
         lambda s: [s.admin("not-gryffindor", 10,
                            {"namespaces": {"matchExpressions": [{"key": "conformance-house", "operator": "NotIn",
                                                                  "values": ["gryffindor"]}]}},
                            ingress=[rule("deny", ns_peer("slytherin"), name="deny")])],
         DRACO, CEDRIC, 80, False, IN, Tier.ADMIN, Ref("admin", "not-gryffindor", 0, "deny", "deny"), ("Admin:Deny",)),
    # -- peers: namespaces and pods --------------------------------------------------------------
    Case("peer-pods-namespace-and-pod-selector",
         lambda s: [s.admin("deny-cedric-0", 10, GRYF, egress=[
             rule("deny", pods_peer({"pod-name": "cedric-0"}, {"conformance-house": "hufflepuff"}), name="deny-to-cedric-diggory-0")])],
         HARRY, CEDRIC, 80, False, OUT, Tier.ADMIN, Ref("admin", "deny-cedric-0", 0, "deny-to-cedric-diggory-0", "deny"),
         ("Admin:Deny",)),
    Case("peer-pods-other-pod-not-matched",
         lambda s: [s.admin("deny-cedric-0", 10, GRYF, egress=[
             rule("deny", pods_peer({"pod-name": "cedric-0"}, {"conformance-house": "hufflepuff"}), name="deny-to-cedric-diggory-0")])],
         HARRY, CEDRIC1, 80, True, OUT, Tier.DEFAULT, None, ("Admin:NoDecision", "NetworkPolicy:NoDecision", "Default:Allow")),
    Case("peer-pods-namespace-mismatch-not-matched",
         lambda s: [s.admin("deny-cedric-0", 10, GRYF, egress=[
             rule("deny", pods_peer({"pod-name": "cedric-0"}, {"conformance-house": "ravenclaw"}), name="deny")])],
         HARRY, CEDRIC, 80, True, OUT, Tier.DEFAULT, None, ("Admin:NoDecision", "NetworkPolicy:NoDecision", "Default:Allow")),
    Case("conformance-peer-pods-without-namespace-selector-means-all-namespaces",
         lambda s: [s.admin("pod-selector-rules", 20, {"pods": {"podSelector": {"matchLabels": {"conformance-house": "gryffindor"}}}},
                            egress=[rule("deny", {"pods": {"podSelector": {"matchLabels": {"conformance-house": "ravenclaw"}}}},
                                         name="deny-to-ravenclaw-pods")])],
         HARRY1, LUNA1, 80, False, OUT, Tier.ADMIN, Ref("admin", "pod-selector-rules", 0, "deny-to-ravenclaw-pods", "deny"),
         ("Admin:Deny",)),
    # -- egress peers: networks (pod IPs too, IPv4 and IPv6) -------------------------------------
    Case("networks-match-a-pod-ip",
         lambda s: [s.admin("deny-net", 10, GRYF, egress=[rule("deny", networks_peer("10.0.3.0/24"), name="deny-net")])],
         HARRY, CEDRIC, 80, False, OUT, Tier.ADMIN, Ref("admin", "deny-net", 0, "deny-net", "deny"), ("Admin:Deny",)),
    Case("networks-match-a-pod-ipv6",
         lambda s: [s.admin("deny-net6", 10, GRYF, egress=[rule("deny", networks_peer("fd00:10::3:0/112"), name="deny-net6")])],
         HARRY, CEDRIC, 80, False, OUT, Tier.ADMIN, Ref("admin", "deny-net6", 0, "deny-net6", "deny"), ("Admin:Deny",)),
    Case("networks-match-an-outside-ipv4",
         lambda s: [s.admin("deny-doc", 10, GRYF, egress=[rule("deny", networks_peer("203.0.113.0/24"), name="deny-doc")])],
         HARRY, "203.0.113.5", 443, False, OUT, Tier.ADMIN, Ref("admin", "deny-doc", 0, "deny-doc", "deny"), ("Admin:Deny",)),
    Case("networks-miss-an-outside-ipv4",
         lambda s: [s.admin("deny-doc", 10, GRYF, egress=[rule("deny", networks_peer("203.0.113.0/24"), name="deny-doc")])],
         HARRY, "198.51.100.7", 443, True, OUT, Tier.DEFAULT, None,
         ("Admin:NoDecision", "NetworkPolicy:NoDecision", "Default:Allow")),
    Case("networks-match-an-outside-ipv6",
         lambda s: [s.admin("deny-doc6", 10, GRYF, egress=[rule("deny", networks_peer("10.0.0.0/8", "2001:db8::/32"), name="deny-doc6")])],
         HARRY, "2001:db8::1", 443, False, OUT, Tier.ADMIN, Ref("admin", "deny-doc6", 0, "deny-doc6", "deny"), ("Admin:Deny",)),
    Case("networks-ipv4-everything-does-not-match-ipv6",
         lambda s: [s.admin("deny-v4", 10, GRYF, egress=[rule("deny", networks_peer("0.0.0.0/0"), name="deny-v4")])],
         HARRY, "2001:db8::1", 443, True, OUT, Tier.DEFAULT, None,
         ("Admin:NoDecision", "NetworkPolicy:NoDecision", "Default:Allow")),
    Case("conformance-inline-cidr-pods-accept-before-internet-deny",
         lambda s: [s.admin("inline-cidr-as-peers-example", 85, GRYF, egress=[
             rule("allow", pods_peer({"conformance-house": "slytherin"}, {"conformance-house": "slytherin"}), name="allow-egress-to-slytherin"),
             rule("deny", networks_peer("0.0.0.0/0", "::/0"), name="deny-egress-to-internet")])],
         HARRY1, DRACO, 9003, True, OUT, Tier.ADMIN,
         Ref("admin", "inline-cidr-as-peers-example", 0, "allow-egress-to-slytherin", "allow"), ("Admin:Allow",), protocol="SCTP"),
    Case("conformance-inline-cidr-internet-deny-covers-pods",
         lambda s: [s.admin("inline-cidr-as-peers-example", 85, GRYF, egress=[
             rule("allow", pods_peer({"conformance-house": "slytherin"}, {"conformance-house": "slytherin"}), name="allow-egress-to-slytherin"),
             rule("deny", networks_peer("0.0.0.0/0", "::/0"), name="deny-egress-to-internet")])],
         HARRY1, LUNA, 53, False, OUT, Tier.ADMIN,
         Ref("admin", "inline-cidr-as-peers-example", 1, "deny-egress-to-internet", "deny"), ("Admin:Deny",), protocol="UDP"),
    Case("conformance-inline-cidr-pod-ip-accept",
         lambda s: [s.admin("inline-cidr-as-peers-example", 85, GRYF, egress=[
             rule("allow", networks_peer(server_ip("ravenclaw", 0) + "/32", server_ip("hufflepuff", 0) + "/32"),
                  name="allow-egress-to-specific-podIPs"),
             rule("allow", pods_peer({"conformance-house": "slytherin"}, {"conformance-house": "slytherin"}), name="allow-egress-to-slytherin"),
             rule("deny", networks_peer("0.0.0.0/0", "::/0"), name="deny-egress-to-internet")])],
         HARRY1, LUNA, 80, True, OUT, Tier.ADMIN,
         Ref("admin", "inline-cidr-as-peers-example", 0, "allow-egress-to-specific-podIPs", "allow"), ("Admin:Allow",)),
    Case("conformance-inline-cidr-other-pod-still-denied",
         lambda s: [s.admin("inline-cidr-as-peers-example", 85, GRYF, egress=[
             rule("allow", networks_peer(server_ip("ravenclaw", 0) + "/32", server_ip("hufflepuff", 0) + "/32"),
                  name="allow-egress-to-specific-podIPs"),
             rule("allow", pods_peer({"conformance-house": "slytherin"}, {"conformance-house": "slytherin"}), name="allow-egress-to-slytherin"),
             rule("deny", networks_peer("0.0.0.0/0", "::/0"), name="deny-egress-to-internet")])],
         HARRY1, CEDRIC1, 80, False, OUT, Tier.ADMIN,
         Ref("admin", "inline-cidr-as-peers-example", 2, "deny-egress-to-internet", "deny"), ("Admin:Deny",)),
    # -- ports: absent ports mean every port and protocol ------------------------------------------
    Case("ports-absent-match-udp", lambda s: [s.admin("deny", 10, GRYF, ingress=[rule("deny", ns_peer("slytherin"), name="all")])],
         DRACO, HARRY, 5353, False, IN, Tier.ADMIN, Ref("admin", "deny", 0, "all", "deny"), ("Admin:Deny",), protocol="UDP"),
    Case("ports-absent-match-sctp", lambda s: [s.admin("deny", 10, GRYF, ingress=[rule("deny", ns_peer("slytherin"), name="all")])],
         DRACO, HARRY, 9003, False, IN, Tier.ADMIN, Ref("admin", "deny", 0, "all", "deny"), ("Admin:Deny",), protocol="SCTP"),
    Case("ports-absent-match-the-every-port-question",
         lambda s: [s.admin("deny", 10, GRYF, ingress=[rule("deny", ns_peer("slytherin"), name="all")])],
         DRACO, HARRY, None, False, IN, Tier.ADMIN, Ref("admin", "deny", 0, "all", "deny"), ("Admin:Deny",)),
]

# -- egress peers: nodes (the upstream node-peer conformance policy) -----------------------------


def node_policy(s: Style) -> list[Obj]:
    return [s.admin("node-and-cidr-as-peers-example", 75,
                    {"pods": {"namespaceSelector": {"matchLabels": {"conformance-house": "gryffindor"}},
                              "podSelector": {"matchLabels": {"conformance-house": "gryffindor"}}}},
                    egress=[rule("allow", nodes_peer(**{"kubernetes.io/os": "linux"}), ports=[num(34345)],
                                 name="allow-egress-to-34345-on-nodes"),
                            rule("pass", nodes_peer(**{"kubernetes.io/os": "linux"}), ports=[num(34346, "UDP")],
                                 name="pass-egress-to-34346-on-nodes"),
                            rule("deny", pods_peer({"conformance-house": "slytherin"}, {"conformance-house": "slytherin"}),
                                 nodes_peer(**{"kubernetes.io/os": "linux"}), networks_peer("0.0.0.0/0", "::/0"),
                                 name="deny-egress-to-slytherin-and-nodes-and-internet")])]


NODE_REF = "node-and-cidr-as-peers-example"
CASES += [
    Case("conformance-nodes-accept-node-ip", node_policy, HARRY1, NODE_1_IP, 34345, True, OUT, Tier.ADMIN,
         Ref("admin", NODE_REF, 0, "allow-egress-to-34345-on-nodes", "allow"), ("Admin:Allow",)),
    Case("conformance-nodes-accept-host-network-pod", node_policy, HARRY1, "forbidden-forest/centaur-1", 34345, True, OUT,
         Tier.ADMIN, Ref("admin", NODE_REF, 0, "allow-egress-to-34345-on-nodes", "allow"), ("Admin:Allow",)),
    Case("conformance-nodes-pass", node_policy, HARRY1, NODE_1_IP, 34346, True, OUT, Tier.DEFAULT, None,
         ("Admin:Pass", "NetworkPolicy:NoDecision", "Default:Allow"), protocol="UDP"),
    Case("conformance-nodes-deny-other-ports", node_policy, HARRY1, NODE_1_IP, 80, False, OUT, Tier.ADMIN,
         Ref("admin", NODE_REF, 2, "deny-egress-to-slytherin-and-nodes-and-internet", "deny"), ("Admin:Deny",)),
    Case("conformance-nodes-sctp-denied", node_policy, HARRY1, NODE_1_IP, 9005, False, OUT, Tier.ADMIN,
         Ref("admin", NODE_REF, 2, "deny-egress-to-slytherin-and-nodes-and-internet", "deny"), ("Admin:Deny",), protocol="SCTP"),
    # node-2 is not linux: the nodes peers miss it, the 0.0.0.0/0 network catches it.
    Case("nodes-label-mismatch-falls-to-networks", node_policy, HARRY1, NODE_2_IP, 34345, False, OUT, Tier.ADMIN,
         Ref("admin", NODE_REF, 2, "deny-egress-to-slytherin-and-nodes-and-internet", "deny"), ("Admin:Deny",)),
    Case("nodes-peer-does-not-match-pods",
         lambda s: [s.admin("deny-nodes", 10, GRYF, egress=[rule("deny", nodes_peer(), name="deny-all-nodes")])],
         HARRY, CEDRIC, 80, True, OUT, Tier.DEFAULT, None, ("Admin:NoDecision", "NetworkPolicy:NoDecision", "Default:Allow")),
    Case("nodes-empty-selector-matches-every-node",
         lambda s: [s.admin("deny-nodes", 10, GRYF, egress=[rule("deny", nodes_peer(), name="deny-all-nodes")])],
         HARRY, NODE_2_IP, 10250, False, OUT, Tier.ADMIN, Ref("admin", "deny-nodes", 0, "deny-all-nodes", "deny"), ("Admin:Deny",)),
]

# -- ports: numbers, ranges, named ports (resolved on the destination pod) -----------------------


def port_policy(*ports_: Port, action: str = "deny") -> Callable[[Style], list[Obj]]:
    return lambda s: [s.admin("ports", 10, GRYF, ingress=[rule(action, ns_peer("slytherin"), ports=list(ports_), name="r")])]


def egress_port_policy(*ports_: Port, networks: bool = True) -> Callable[[Style], list[Obj]]:
    # The API rejects named ports next to networks/nodes peers, so named-port cases omit that peer.
    peers = (all_ns_peer(), networks_peer("0.0.0.0/0")) if networks else (all_ns_peer(),)
    return lambda s: [s.admin("ports", 10, GRYF, egress=[rule("deny", *peers, ports=list(ports_), name="r")]),
                      pod("hufflepuff", "odd-0", "10.0.3.99", {"conformance-house": "hufflepuff"},
                          (("web", 8081, "TCP"),))]


DENIED_IN = (IN, Tier.ADMIN, Ref("admin", "ports", 0, "r", "deny"), ("Admin:Deny",))
DENIED_OUT = (OUT, Tier.ADMIN, Ref("admin", "ports", 0, "r", "deny"), ("Admin:Deny",))
OPEN_IN = (IN, Tier.DEFAULT, None, ("Admin:NoDecision", "NetworkPolicy:NoDecision", "Default:Allow"))
OPEN_OUT = (OUT, Tier.DEFAULT, None, ("Admin:NoDecision", "NetworkPolicy:NoDecision", "Default:Allow"))

CASES += [
    Case("port-number-matches", port_policy(num(80)), DRACO, HARRY, 80, False, *DENIED_IN),
    Case("port-number-other-port", port_policy(num(80)), DRACO, HARRY, 8080, True, *OPEN_IN),
    Case("port-number-other-protocol", port_policy(num(53, "UDP")), DRACO, HARRY, 53, True, *OPEN_IN),
    Case("port-number-udp", port_policy(num(53, "UDP")), DRACO, HARRY, 53, False, *DENIED_IN, protocol="UDP"),
    Case("port-number-sctp", port_policy(num(9003, "SCTP")), DRACO, HARRY, 9003, False, *DENIED_IN, protocol="SCTP"),
    # Asked about every port, a Deny that names some ports answers "not every port is allowed".
    Case("port-number-every-port-question-denied-in-part", port_policy(num(80)), DRACO, HARRY, None, False,
         *DENIED_IN),
    Case("port-range-start-inclusive", port_policy(rng(5000, 5353, "UDP")), DRACO, HARRY, 5000, False, *DENIED_IN, protocol="UDP"),
    Case("port-range-end-inclusive", port_policy(rng(5000, 5353, "UDP")), DRACO, HARRY, 5353, False, *DENIED_IN, protocol="UDP"),
    Case("port-range-above-end", port_policy(rng(5000, 5353, "UDP")), DRACO, HARRY, 5354, True, *OPEN_IN, protocol="UDP"),
    Case("port-range-other-protocol", port_policy(rng(5000, 5353, "UDP")), DRACO, HARRY, 5353, True, *OPEN_IN),
    Case("port-list-any-entry-matches", port_policy(num(80), num(9003, "SCTP")), DRACO, HARRY, 9003, False, *DENIED_IN,
         protocol="SCTP"),
    Case("named-port-ingress-by-number", port_policy(named("web")), DRACO, HARRY, 80, False, *DENIED_IN),
    Case("named-port-ingress-by-name", port_policy(named("web")), DRACO, HARRY, "web", False, *DENIED_IN),
    Case("named-port-ingress-other-number", port_policy(named("web")), DRACO, HARRY, 8080, True, *OPEN_IN),
    Case("named-port-carries-its-protocol", port_policy(named("dns")), DRACO, HARRY, 53, True, *OPEN_IN),
    Case("named-port-udp", port_policy(named("dns")), DRACO, HARRY, 53, False, *DENIED_IN, protocol="UDP"),
    Case("named-port-egress-resolved-on-destination", egress_port_policy(named("web"), networks=False),
         HARRY, "hufflepuff/odd-0", 8081, False, *DENIED_OUT),
    Case("named-port-egress-not-the-source-number", egress_port_policy(named("web"), networks=False),
         HARRY, "hufflepuff/odd-0", 80, True, *OPEN_OUT),
    Case("named-port-never-matches-outside", egress_port_policy(named("web"), networks=False), HARRY, "203.0.113.9", 80, True, *OPEN_OUT),
    Case("port-number-matches-outside", egress_port_policy(num(80)), HARRY, "203.0.113.9", 80, False, *DENIED_OUT),
]

# -- ClusterNetworkPolicy `protocols`: a protocol without destinationPort means all its ports --------
CNP = ("v1alpha2", "v1beta1")
CASES += [
    Case("cnp-protocol-without-port-covers-every-udp-port", port_policy(proto("UDP")), DRACO, HARRY, 12345, False,
         *DENIED_IN, protocol="UDP", styles=CNP),
    Case("cnp-protocol-without-port-not-tcp", port_policy(proto("UDP")), DRACO, HARRY, 80, True, *OPEN_IN, styles=CNP),
    Case("cnp-protocol-without-port-not-the-every-port-question-of-tcp", port_policy(proto("UDP")), DRACO, HARRY, None,
         True, *OPEN_IN, styles=CNP),
    Case("cnp-protocol-without-port-sctp", port_policy(proto("SCTP")), DRACO, HARRY, 9005, False, *DENIED_IN,
         protocol="SCTP", styles=CNP),
    Case("conformance-baseline-protocols-tcp-udp-sctp",
         lambda s: [s.baseline(GRYF, egress=[rule("deny", ns_peer("slytherin"), ports=[num(80), num(53, "UDP"), num(9003, "SCTP")],
                                                  name="deny-to-slytherin-at-ports-80-53-9003")])],
         HARRY, DRACO, 53, False, OUT, Tier.BASELINE,
         Ref("baseline", "default", 0, "deny-to-slytherin-at-ports-80-53-9003", "deny"),
         ("NetworkPolicy:NoDecision", "Baseline:Deny"), protocol="UDP"),
    Case("conformance-baseline-protocols-other-udp-port",
         lambda s: [s.baseline(GRYF, egress=[rule("deny", ns_peer("slytherin"), ports=[num(80), num(53, "UDP"), num(9003, "SCTP")],
                                                  name="deny-to-slytherin-at-ports-80-53-9003")])],
         HARRY, DRACO, 5353, True, OUT, Tier.DEFAULT, None,
         ("NetworkPolicy:NoDecision", "Baseline:NoDecision", "Default:Allow"), protocol="UDP"),
]


def _role_kind(style: Style, role: str) -> str:
    return {"admin": style.admin_kind(), "baseline": style.baseline_kind(), "netpol": "NetworkPolicy"}[role]


def _params() -> list[object]:
    return [pytest.param(style, case, id=f"{style.name}-{case.id}")
            for case in CASES for style in STYLES if style.name in case.styles]


@pytest.mark.parametrize(("style", "case"), _params())
def test_tier_chain(style: Style, case: Case) -> None:
    loaded = load(*case.policies(style))
    errors = [p for p in loaded.problems if p.severity == "error"]
    assert errors == [], [p.describe() for p in errors]

    verdict = check(loaded.cluster, case.source, case.destination, case.port, case.protocol)

    assert verdict.status is (Status.ALLOWED if case.expect_allowed else Status.BLOCKED), verdict.summary
    side = verdict.ingress if case.direction is Direction.INGRESS else verdict.egress
    other = verdict.egress if case.direction is Direction.INGRESS else verdict.ingress
    assert side.evaluated
    assert side.allowed is case.expect_allowed
    # The direction that is not under test is not restricted by anything in these cases.
    assert other.allowed is True, other.summary
    assert side.decided_by is case.decided_by
    assert tuple(f"{t.tier.value}:{t.outcome.value}" for t in side.tiers) == case.chain
    if case.ref is None:
        assert side.deciding_rules == ()
    else:
        (ref,) = side.deciding_rules
        assert (ref.kind, ref.namespace, ref.name, ref.direction, ref.rule) == (
            _role_kind(style, case.ref.role), case.ref.namespace, case.ref.name, case.direction, case.ref.rule)
        if case.ref.role != "netpol":
            assert ref.rule_name == case.ref.rule_name
            assert ref.action == style.action(case.ref.action or "")
        assert verdict.deciding_rules == (ref,)
