"""SEMANTICS.md section 3: NetworkPolicy v1 selection, policyTypes defaulting, isolation, union, rules and peers.

Written from the Kubernetes API reference (networking.k8s.io/v1 NetworkPolicySpec, NetworkPolicyPeer,
IPBlock) and its defaulting code, on the upstream e2e topology (see `engine.kit`): namespaces x, y, z
labelled ns=<name>, pods a, b, c labelled pod=<name>, x/a = 10.1.0.1 / fd00:1::1, y/b = 10.2.0.2, ...
Each test asserts the verdict and the explanation: which rule decided, and why the others did not match.
Port semantics (protocols, ranges, named ports) live in test_ports.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.kit import (
    XYZ_KEYS,
    all_reasons,
    check,
    cluster,
    load,
    namespace,
    netpol,
    pod,
    policy,
    refs,
    warnings_of,
    xyz_objects,
    xyz_world,
)
from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.model import NAMESPACE_NAME_LABEL, PolicyType

POD_A = {"matchLabels": {"pod": "a"}}
NP = "NetworkPolicy"


def only_x_a(spec: dict[str, Any], name: str = "p") -> dict[str, Any]:
    """A policy in namespace x selecting x/a."""
    return netpol("x", name, {"podSelector": POD_A, **spec})


# -- selection -------------------------------------------------------------------------------------


def test_policy_selects_pods_of_its_own_namespace_only() -> None:
    # GIVEN a deny-all-ingress policy in x with podSelector {}
    c = xyz_world(netpol("x", "deny", {"podSelector": {}}))
    # THEN pods of x are isolated, pods of y with the same labels are not
    assert check(c, "y/a", "x/b", 80).allowed is False
    into_y = check(c, "x/a", "y/b", 80)
    assert into_y.allowed is True
    assert into_y.ingress.isolated is False
    assert into_y.ingress.policies == ()  # a policy of x is not even considered for a pod of y


def test_pod_selector_selects_matching_pods_and_explains_the_others() -> None:
    c = xyz_world(only_x_a({"policyTypes": ["Ingress"]}, "deny-a"))
    blocked = check(c, "y/a", "x/a", 80)
    assert blocked.status is Status.BLOCKED
    assert blocked.ingress.isolating_policies == ("x/deny-a",)
    open_ = check(c, "y/a", "x/b", 80)
    assert open_.allowed is True
    why = policy(open_.ingress, "deny-a")
    assert why.selects is False
    assert "pod" in why.selection_reason and "'b'" in why.selection_reason and "'a'" in why.selection_reason


# -- policyTypes defaulting ----------------------------------------------------------------------

POLICY_TYPES_TABLE = [
    ("no-rules", {}, {PolicyType.INGRESS}),
    ("ingress-rule-only", {"ingress": [{}]}, {PolicyType.INGRESS}),
    ("egress-rule-adds-Egress", {"egress": [{}]}, {PolicyType.INGRESS, PolicyType.EGRESS}),
    ("empty-egress-list-stays-Ingress-only", {"egress": []}, {PolicyType.INGRESS}),
    ("empty-ingress-and-one-egress-rule", {"ingress": [], "egress": [{"to": []}]}, {PolicyType.INGRESS, PolicyType.EGRESS}),
    ("empty-policyTypes-list-is-defaulted", {"policyTypes": [], "egress": [{}]}, {PolicyType.INGRESS, PolicyType.EGRESS}),
    ("explicit-Egress-only", {"policyTypes": ["Egress"]}, {PolicyType.EGRESS}),
    ("explicit-Egress-with-ingress-rules", {"policyTypes": ["Egress"], "ingress": [{}]}, {PolicyType.EGRESS}),
    ("explicit-both", {"policyTypes": ["Ingress", "Egress"]}, {PolicyType.INGRESS, PolicyType.EGRESS}),
]


@pytest.mark.parametrize(("spec", "expected"), [pytest.param(s, e, id=i) for i, s, e in POLICY_TYPES_TABLE])
def test_policy_types_defaulting(spec: dict[str, Any], expected: set[PolicyType]) -> None:
    collector = load(netpol("x", "p", {"podSelector": {}, **spec}))
    (parsed,) = collector.network_policies.values()
    assert parsed.policy_types == frozenset(expected)


def test_empty_egress_list_without_policy_types_isolates_ingress_only() -> None:
    # GIVEN `egress: []` and no policyTypes: defaulted to [Ingress] (egress has no element)
    c = xyz_world(only_x_a({"egress": []}))
    # THEN x/a denies all ingress (no ingress rules) but its egress is untouched
    assert check(c, "x/b", "x/a", 80).allowed is False
    out = check(c, "x/a", "y/a", 80)
    assert out.allowed is True
    assert out.egress.isolated is False


def test_one_empty_egress_rule_without_policy_types_isolates_both_and_allows_all_egress() -> None:
    # GIVEN `egress: [{}]` and no policyTypes: defaulted to [Ingress, Egress]
    c = xyz_world(only_x_a({"egress": [{}]}))
    out = check(c, "x/a", "y/a", 80)
    # THEN egress is isolated but the empty rule allows everything, while ingress allows nothing
    assert out.allowed is True
    assert out.egress.isolated is True
    assert refs(out.egress) == [(NP, "x", "p", "egress", 0, None, None)]
    assert check(c, "y/a", "x/a", 80).allowed is False


def test_ingress_rules_ignored_when_policy_types_is_egress_only() -> None:
    # GIVEN a policy with policyTypes [Egress] and an ingress rule that would restrict ingress
    collector = load(xyz_objects(), only_x_a({"policyTypes": ["Egress"], "egress": [{}],
                                               "ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}]}))
    c = collector.cluster()
    # THEN the loader warns that the ingress rules are ignored
    assert any("ingress" in w.message and "ignored" in w.message for w in warnings_of(collector))
    # AND x/a is not isolated for ingress: x/c, not allowed by the ignored rule, gets in
    v = check(c, "x/c", "x/a", 80)
    assert v.allowed is True
    assert v.ingress.isolated is False


def test_egress_rules_ignored_when_policy_types_is_ingress_only() -> None:
    # GIVEN policyTypes [Ingress] with an egress rule allowing only port 53
    c = xyz_world(only_x_a({"policyTypes": ["Ingress"], "ingress": [{}], "egress": [{"ports": [{"port": 53}]}]}))
    # THEN x/a's egress is not isolated: port 80 to anyone is allowed
    v = check(c, "x/a", "z/c", 80)
    assert v.allowed is True
    assert v.egress.isolated is False


# -- isolation and union -----------------------------------------------------------------------------


def test_isolation_is_per_direction() -> None:
    c = xyz_world(only_x_a({"policyTypes": ["Ingress"]}))
    out = check(c, "x/a", "y/a", 80)
    assert out.allowed is True and out.egress.isolated is False
    into = check(c, "y/a", "x/a", 80)
    assert into.allowed is False and into.ingress.isolated is True
    assert into.egress.allowed is True  # the block is at the destination only
    assert into.ingress.allowed is False
    assert into.ingress.isolating_policies == ("x/p",)


def test_non_isolated_pod_allows_everything_in_that_direction() -> None:
    c = xyz_world()
    for port, proto in ((80, "TCP"), (81, "UDP"), (None, "SCTP")):
        v = check(c, "x/a", "y/b", port, proto)
        assert v.allowed is True
        assert v.egress.isolated is False and v.ingress.isolated is False
        assert v.deciding_rules == ()


def test_union_across_policies_allows_what_any_rule_allows() -> None:
    # GIVEN two policies selecting x/a: one allows pod=b, the other pod=c
    allow_b = only_x_a({"ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}]}, "allow-b")
    allow_c = only_x_a({"ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "c"}}}]}]}, "allow-c")
    c = xyz_world(allow_b, allow_c)
    from_b = check(c, "x/b", "x/a", 80)
    from_c = check(c, "x/c", "x/a", 80)
    # THEN each source is allowed by its own policy, and both policies isolate x/a
    assert from_b.allowed is True and refs(from_b.ingress) == [(NP, "x", "allow-b", "ingress", 0, 0, None)]
    assert from_c.allowed is True and refs(from_c.ingress) == [(NP, "x", "allow-c", "ingress", 0, 0, None)]
    assert set(from_b.ingress.isolating_policies) == {"x/allow-b", "x/allow-c"}
    # AND a source neither allows is blocked, with both policies explained
    other = check(c, "y/b", "x/a", 80)
    assert other.allowed is False
    assert {p.name for p in other.ingress.policies if p.selects} == {"allow-b", "allow-c"}


@pytest.mark.parametrize("deny_name", ["a-deny-all", "z-deny-all"], ids=["deny-sorts-first", "deny-sorts-last"])
def test_policies_never_deny_so_order_does_not_matter(deny_name: str) -> None:
    # GIVEN a deny-all-ingress and an allow-all-ingress policy on the same pods, in either order
    c = xyz_world(
        netpol("x", deny_name, {"podSelector": {}, "policyTypes": ["Ingress"]}),
        netpol("x", "m-allow-all", {"podSelector": {}, "ingress": [{}]}),
    )
    # THEN the allow wins: a policy only ever adds allowed connections
    v = check(c, "z/c", "x/b", 81)
    assert v.allowed is True
    assert refs(v.ingress) == [(NP, "x", "m-allow-all", "ingress", 0, None, None)]
    assert set(v.ingress.isolating_policies) == {f"x/{deny_name}", "x/m-allow-all"}


def test_any_rule_of_a_policy_may_allow_and_every_matching_rule_is_reported() -> None:
    c = xyz_world(only_x_a({"ingress": [
        {"from": [{"podSelector": {"matchLabels": {"pod": "c"}}}]},
        {"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}]},
        {"ports": [{"port": 80}]},
    ]}))
    v = check(c, "y/b", "x/a", 80)
    assert v.allowed is True
    assert refs(v.ingress) == [(NP, "x", "p", "ingress", 1, 0, None), (NP, "x", "p", "ingress", 2, None, 0)]
    rules = policy(v.ingress, "p").rules
    assert [r.matched for r in rules] == [False, True, True]


# -- a rule: peers AND ports -------------------------------------------------------------------------


def test_rule_matches_only_when_peer_and_port_both_match() -> None:
    c = xyz_world(only_x_a({"ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}],
                                         "ports": [{"port": 80}]}]}))
    ok = check(c, "x/b", "x/a", 80)
    assert ok.allowed is True and refs(ok.ingress) == [(NP, "x", "p", "ingress", 0, 0, 0)]
    wrong_port = check(c, "x/b", "x/a", 81)
    assert wrong_port.allowed is False
    rule = policy(wrong_port.ingress, "p").rules[0]
    assert rule.peers[0].matched and not rule.ports[0].matched
    assert "81" in rule.ports[0].reason
    wrong_peer = check(c, "x/c", "x/a", 80)
    assert wrong_peer.allowed is False
    rule = policy(wrong_peer.ingress, "p").rules[0]
    assert not rule.peers[0].matched and rule.ports[0].matched


@pytest.mark.parametrize("peers", [None, []], ids=["from-absent", "from-empty-list"])
def test_absent_or_empty_from_matches_every_peer_including_outside_addresses(peers: list[Any] | None) -> None:
    rule: dict[str, Any] = {"ports": [{"port": 80}]}
    if peers is not None:
        rule["from"] = peers
    c = xyz_world(only_x_a({"ingress": [rule]}))
    for source in ("x/b", "y/c", "z/a", "8.8.8.8", "2001:db8::1"):
        v = check(c, source, "x/a", 80)
        assert v.allowed is True, source
        assert refs(v.ingress) == [(NP, "x", "p", "ingress", 0, None, 0)]
    assert check(c, "y/c", "x/a", 81).allowed is False


@pytest.mark.parametrize("ports", [None, []], ids=["ports-absent", "ports-empty-list"])
def test_absent_or_empty_ports_match_every_port_and_protocol(ports: list[Any] | None) -> None:
    rule: dict[str, Any] = {"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}
    if ports is not None:
        rule["ports"] = ports
    c = xyz_world(only_x_a({"ingress": [rule]}))
    for port, proto in ((80, "TCP"), (81, "UDP"), (5000, "SCTP"), (65535, "TCP"), (None, "TCP")):
        v = check(c, "x/b", "x/a", port, proto)
        assert v.allowed is True, (port, proto)
        assert refs(v.ingress) == [(NP, "x", "p", "ingress", 0, 0, None)]


@pytest.mark.parametrize(
    "spec",
    [{"ingress": []}, {"policyTypes": ["Ingress"]}, {"policyTypes": ["Ingress"], "ingress": []}],
    ids=["ingress-empty-list", "ingress-absent-with-Ingress-type", "both"],
)
def test_no_ingress_rules_with_ingress_type_isolates_and_allows_nothing(spec: dict[str, Any]) -> None:
    c = xyz_world(only_x_a(spec))
    for source in ("x/b", "y/a", "10.9.9.9"):
        v = check(c, source, "x/a", 80)
        assert v.allowed is False, source
        assert v.ingress.isolated is True
        assert v.ingress.deciding_rules == ()
    explained = policy(check(c, "x/b", "x/a", 80).ingress, "p")
    assert explained.selects and explained.rules == ()
    assert "allows nothing" in explained.selection_reason


def test_one_empty_ingress_rule_allows_everything() -> None:
    c = xyz_world(only_x_a({"ingress": [{}]}))
    for source, port, proto in (("x/b", 80, "TCP"), ("z/c", 81, "UDP"), ("8.8.8.8", 443, "TCP"), ("y/a", None, "SCTP")):
        v = check(c, source, "x/a", port, proto)
        assert v.allowed is True, source
        assert v.ingress.isolated is True
        assert refs(v.ingress) == [(NP, "x", "p", "ingress", 0, None, None)]


def test_empty_egress_rule_list_with_egress_type_denies_all_egress() -> None:
    c = xyz_world(only_x_a({"policyTypes": ["Egress"], "egress": []}))
    for dest in ("x/b", "y/a", "1.1.1.1"):
        v = check(c, "x/a", dest, 53, "UDP")
        assert v.allowed is False, dest
        assert v.egress.allowed is False and v.egress.isolated is True
    assert check(c, "x/b", "x/a", 80).allowed is True  # ingress untouched


# -- peers -------------------------------------------------------------------------------------------


def test_pod_selector_only_peer_is_confined_to_the_policy_namespace() -> None:
    c = xyz_world(only_x_a({"ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}]}))
    assert check(c, "x/b", "x/a", 80).allowed is True
    other_ns = check(c, "y/b", "x/a", 80)
    assert other_ns.allowed is False
    reason = policy(other_ns.ingress, "p").rules[0].peers[0].reason
    assert "namespace y" in reason and "x" in reason


def test_null_namespace_selector_is_the_same_as_absent() -> None:
    # `namespaceSelector:` with no value decodes to null: the peer is podSelector-only
    c = xyz_world(only_x_a({"ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "b"}},
                                                    "namespaceSelector": None}]}]}))
    assert check(c, "x/b", "x/a", 80).allowed is True
    assert check(c, "y/b", "x/a", 80).allowed is False


@pytest.mark.parametrize("peers", [None, []], ids=["to-absent", "to-empty-list"])
def test_absent_or_empty_to_matches_every_destination_including_outside_addresses(peers: list[Any] | None) -> None:
    rule: dict[str, Any] = {"ports": [{"port": 443}]}
    if peers is not None:
        rule["to"] = peers
    c = xyz_world(only_x_a({"policyTypes": ["Egress"], "egress": [rule]}))
    for destination in ("x/b", "z/c", "8.8.8.8", "2001:db8::1"):
        v = check(c, "x/a", destination, 443)
        assert v.allowed is True, destination
        assert refs(v.egress) == [(NP, "x", "p", "egress", 0, None, 0)]
    assert check(c, "x/a", "8.8.8.8", 80).allowed is False


def test_empty_pod_selector_alone_means_every_pod_of_the_policy_namespace() -> None:
    c = xyz_world(netpol("x", "same-ns", {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]}))
    for source in ("x/a", "x/b", "x/c"):
        assert check(c, source, "x/b", 80).allowed is True
    for source in ("y/a", "z/c", "10.9.0.77"):
        assert check(c, source, "x/b", 80).allowed is False, source


def test_namespace_selector_only_peer_allows_every_pod_of_matching_namespaces() -> None:
    c = xyz_world(only_x_a({"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}]}]}))
    for source in ("y/a", "y/b", "y/c"):
        v = check(c, source, "x/a", 80)
        assert v.allowed is True and refs(v.ingress) == [(NP, "x", "p", "ingress", 0, 0, None)]
    for source in ("x/b", "z/a"):
        v = check(c, source, "x/a", 80)
        assert v.allowed is False
        reason = policy(v.ingress, "p").rules[0].peers[0].reason
        assert f"namespace {source[0]}" in reason and "ns" in reason


def test_empty_namespace_selector_means_all_namespaces_but_not_outside_addresses() -> None:
    c = xyz_world(only_x_a({"ingress": [{"from": [{"namespaceSelector": {}}]}]}))
    for source in XYZ_KEYS:
        assert check(c, source, "x/a", 80).allowed is True, source
    outside = check(c, "10.9.0.200", "x/a", 80)
    assert outside.allowed is False
    assert "outside the cluster" in policy(outside.ingress, "p").rules[0].peers[0].reason


def test_both_selectors_in_one_peer_are_ANDed() -> None:
    c = xyz_world(only_x_a({"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}},
                                                    "podSelector": {"matchLabels": {"pod": "b"}}}]}]}))
    assert check(c, "y/b", "x/a", 80).allowed is True
    right_ns_wrong_pod = check(c, "y/a", "x/a", 80)
    assert right_ns_wrong_pod.allowed is False
    assert "pod" in policy(right_ns_wrong_pod.ingress, "p").rules[0].peers[0].reason
    right_pod_wrong_ns = check(c, "z/b", "x/a", 80)
    assert right_pod_wrong_ns.allowed is False
    assert "namespace z" in policy(right_pod_wrong_ns.ingress, "p").rules[0].peers[0].reason
    assert check(c, "x/b", "x/a", 80).allowed is False  # the policy's own namespace is not special here


def test_two_separate_peers_are_ORed() -> None:
    # GIVEN the same two selectors as two peers of one rule, guarding x/c
    c = xyz_world(netpol("x", "p", {"podSelector": {"matchLabels": {"pod": "c"}}, "ingress": [{"from": [
        {"namespaceSelector": {"matchLabels": {"ns": "y"}}},
        {"podSelector": {"matchLabels": {"pod": "a"}}},
    ]}]}))
    expected = {"y/a": 0, "y/b": 0, "y/c": 0, "x/a": 1}
    for source, peer in expected.items():
        v = check(c, source, "x/c", 80)
        assert v.allowed is True, source
        assert refs(v.ingress) == [(NP, "x", "p", "ingress", 0, peer, None)]
    # z/a has pod=a but the podSelector-only peer is confined to x; x/b matches neither peer
    for source in ("z/a", "x/b"):
        v = check(c, source, "x/c", 80)
        assert v.allowed is False, source
        assert [chk.matched for chk in policy(v.ingress, "p").rules[0].peers] == [False, False]


def test_duplicate_peers_report_the_first_matching_one() -> None:
    same = {"podSelector": {"matchLabels": {"pod": "b"}}}
    c = xyz_world(only_x_a({"ingress": [{"from": [same, same]}]}))
    v = check(c, "x/b", "x/a", 80)
    assert v.allowed is True
    assert refs(v.ingress) == [(NP, "x", "p", "ingress", 0, 0, None)]
    assert check(c, "x/c", "x/a", 80).allowed is False


def test_namespace_name_label_is_added_by_the_loader() -> None:
    # GIVEN Namespace manifests without the kubernetes.io/metadata.name label
    collector = load(namespace("prod", {"team": "a"}), namespace("bare"))
    # THEN the loader adds it, as the API server does
    assert collector.namespaces["prod"].labels == {"team": "a", NAMESPACE_NAME_LABEL: "prod"}
    assert collector.namespaces["bare"].labels == {NAMESPACE_NAME_LABEL: "bare"}


def test_namespace_selector_on_the_automatic_name_label() -> None:
    c = xyz_world(only_x_a({"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: "y"}}}]}]}))
    assert check(c, "y/c", "x/a", 80).allowed is True
    assert check(c, "z/c", "x/a", 80).allowed is False


def test_namespace_name_label_is_known_for_namespaces_that_were_not_loaded() -> None:
    # GIVEN pods of namespace "ghost" but no Namespace object for it
    c = cluster(
        namespace("x"),
        pod("x", "server", {"app": "s"}, ips=["10.0.0.1"]),
        pod("ghost", "client", {"app": "c"}, ips=["10.0.0.2"]),
        netpol("x", "from-ghost", {"podSelector": {}, "ingress": [
            {"from": [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: "ghost"}}}]}]}),
    )
    v = check(c, "ghost/client", "x/server", 80)
    assert v.allowed is True
    assert "namespace-not-loaded" in {cav.code for cav in v.caveats}


def test_namespace_name_label_always_equals_the_namespace_name() -> None:
    c = cluster(
        namespace("y", {NAMESPACE_NAME_LABEL: "x"}),  # a stale copy-paste: the API would force "y"
        pod("y", "client", {}, ips=["10.0.0.2"]),
        namespace("x"),
        pod("x", "server", {}, ips=["10.0.0.1"]),
        netpol("x", "from-y", {"podSelector": {}, "ingress": [
            {"from": [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: "y"}}}]}]}),
    )
    assert c.index.namespace_labels("y")[NAMESPACE_NAME_LABEL] == "y"
    assert check(c, "y/client", "x/server", 80).allowed is True


# -- ipBlock -----------------------------------------------------------------------------------------

IPBLOCK = {"cidr": "192.168.0.0/16", "except": ["192.168.1.0/24", "192.168.7.7/32"]}


@pytest.mark.parametrize(
    ("source", "allowed", "words"),
    [
        ("192.168.2.5", True, ("inside 192.168.0.0/16",)),
        ("192.168.0.0", True, ()),
        ("192.168.255.255", True, ()),
        ("192.168.0.255", True, ()),
        ("192.168.2.0", True, ()),
        ("192.168.1.0", False, ("except 192.168.1.0/24",)),
        ("192.168.1.5", False, ("except 192.168.1.0/24",)),
        ("192.168.1.255", False, ("except 192.168.1.0/24",)),
        ("192.168.7.7", False, ("except 192.168.7.7/32",)),
        ("192.168.7.8", True, ()),
        ("192.169.0.1", False, ("outside 192.168.0.0/16",)),
        ("10.0.0.1", False, ("outside",)),
        ("2001:db8::1", False, ("IPv6",)),
    ],
)
def test_ip_block_cidr_minus_excepts(source: str, allowed: bool, words: tuple[str, ...]) -> None:
    c = xyz_world(only_x_a({"ingress": [{"from": [{"ipBlock": IPBLOCK}]}]}))
    v = check(c, source, "x/a", 80)
    assert v.allowed is allowed
    peer = policy(v.ingress, "p").rules[0].peers[0]
    assert peer.matched is allowed
    for word in words:
        assert word in peer.reason, peer.reason
    if allowed:
        assert refs(v.ingress) == [(NP, "x", "p", "ingress", 0, 0, None)]


@pytest.mark.parametrize(
    ("source", "allowed"),
    [("2001:db8::1", True), ("2001:db8:ffff::1", True), ("2001:db8:1::1", False), ("2001:db8:1:ffff::9", False),
     ("2001:db9::1", False), ("192.0.2.1", False)],
)
def test_ipv6_ip_block_with_except(source: str, allowed: bool) -> None:
    c = xyz_world(only_x_a({"ingress": [{"from": [{"ipBlock": {"cidr": "2001:db8::/32", "except": ["2001:db8:1::/48"]}}]}]}))
    assert check(c, source, "x/a", 80).allowed is allowed


def test_ipv6_ip_block_matches_pods_by_their_ipv6_address() -> None:
    # y's pods are fd00:2::1..3; the block holds y/a and y/b but its except removes y/c
    c = xyz_world(only_x_a({"ingress": [{"from": [{"ipBlock": {"cidr": "fd00:2::/32", "except": ["fd00:2::3/128"]}}]}]}))
    assert check(c, "y/a", "x/a", 80).allowed is True
    assert check(c, "y/b", "x/a", 80).allowed is True
    assert check(c, "y/c", "x/a", 80).allowed is False
    assert check(c, "z/a", "x/a", 80).allowed is False


def test_ip_block_applies_to_pod_ips_with_a_caveat() -> None:
    # GIVEN an ingress ipBlock covering namespace y's pod IPs (10.2.0.0/16)
    c = xyz_world(only_x_a({"ingress": [{"from": [{"ipBlock": {"cidr": "10.2.0.0/16"}}]}]}))
    v = check(c, "y/b", "x/a", 80)
    # THEN the pod matches by IP (as the upstream e2e tests expect) and the verdict says CNIs differ
    assert v.allowed is True
    assert refs(v.ingress) == [(NP, "x", "p", "ingress", 0, 0, None)]
    assert "ipblock-pod-ip" in {cav.code for cav in v.caveats}
    assert "10.2.0.2" in policy(v.ingress, "p").rules[0].peers[0].reason
    # AND an outside address in the block is allowed without that caveat
    outside = check(c, "10.2.200.1", "x/a", 80)
    assert outside.allowed is True
    assert "ipblock-pod-ip" not in {cav.code for cav in outside.caveats}
    assert check(c, "z/b", "x/a", 80).allowed is False


def test_egress_ip_block_to_one_pod_ip() -> None:
    # upstream e2e "should allow egress access to server in CIDR block"
    c = xyz_world(only_x_a({"egress": [{"to": [{"ipBlock": {"cidr": "10.2.0.2/32"}}]}]}))
    v = check(c, "x/a", "y/b", 80)
    assert v.allowed is True
    assert refs(v.egress) == [(NP, "x", "p", "egress", 0, 0, None)]
    assert "ipblock-pod-ip" in {cav.code for cav in v.caveats}
    for dest in ("y/a", "x/b", "z/b"):
        assert check(c, "x/a", dest, 80).allowed is False, dest


def test_egress_except_clause_removes_one_pod() -> None:
    # upstream e2e "should enforce except clause while egress access to server in CIDR block"
    c = xyz_world(only_x_a({"egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.2/32"]}}]}]}))
    assert check(c, "x/a", "x/b", 80).allowed is False
    for dest in ("x/c", "y/a", "z/c"):
        assert check(c, "x/a", dest, 80).allowed is True, dest


def test_ip_overlapping_cidr_and_except_is_allowed_by_another_policy() -> None:
    # upstream e2e "should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed"
    c = xyz_world(
        only_x_a({"egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.2/32"]}}]}]}, "wide"),
        only_x_a({"egress": [{"to": [{"ipBlock": {"cidr": "10.1.0.2/32"}}]}]}, "just-b"),
    )
    v = check(c, "x/a", "x/b", 80)
    assert v.allowed is True
    assert refs(v.egress) == [(NP, "x", "just-b", "egress", 0, 0, None)]
    wide = policy(v.egress, "wide").rules[0].peers[0]
    assert not wide.matched and "except" in wide.reason


def test_explanation_names_the_policy_and_rule_that_would_have_to_change() -> None:
    c = xyz_world(only_x_a({"ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}]}, "x-a-from-b"))
    v = check(c, "x/c", "x/a", 80)
    assert v.allowed is False
    assert "x/a" in v.ingress.summary and "x-a-from-b" in v.ingress.summary
    text = all_reasons(v)
    assert "'c'" in text and "'b'" in text  # label pod is 'c', not 'b'
