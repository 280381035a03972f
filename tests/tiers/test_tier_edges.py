"""Host-network pods, equal priorities and peer forms the engine does not know (fail closed),
for every API style. The API types say: host-networked pods are not included in subjects nor in
namespaces/pods peers; equal priorities that could both match are undefined; and a peer with no
known field means "fail closed": for Allow/Accept rules "treat the rule as matching no traffic",
for Deny and Pass rules "treat the rule as a 'Deny all' rule"."""

from __future__ import annotations

import pytest

from kubenet_tui.engine.explain import Status, Tier, Verdict

from .kit import (
    CNP_STYLES,
    NODE_1_IP,
    STYLES,
    Style,
    all_ns_peer,
    check,
    load,
    netpol,
    networks_peer,
    ns_peer,
    ns_subject,
    pod,
    pods_peer,
    rule,
)

GRYF = ns_subject("gryffindor")
FOREST = ns_subject("forbidden-forest")
CENTAUR = "forbidden-forest/centaur-1"
DRACO, HARRY, LUNA = "slytherin/draco-0", "gryffindor/harry-0", "ravenclaw/luna-0"
by_style = pytest.mark.parametrize("style", STYLES, ids=lambda s: s.name)
by_cnp_style = pytest.mark.parametrize("style", CNP_STYLES, ids=lambda s: s.name)


def codes(verdict: Verdict) -> list[str]:
    return [c.code for c in verdict.caveats]


# -- host-network pods ------------------------------------------------------------------------------


@by_style
def test_host_network_pod_is_never_a_subject(style: Style) -> None:
    # GIVEN an admin policy whose subject namespace holds only a host-network pod, denying all egress
    loaded = load(style.admin("forest-lockdown", 10, FOREST, egress=[rule("deny", all_ns_peer(), name="deny-all")]))
    # WHEN that pod talks to a pod
    verdict = check(loaded.cluster, CENTAUR, HARRY, 80)
    # THEN its egress is not governed by pod policies at all, and the verdict says why
    assert verdict.status is Status.ALLOWED
    assert verdict.egress.evaluated is False
    assert verdict.egress.tiers == ()
    assert "host network" in verdict.egress.summary
    assert "host-network" in codes(verdict)


@by_style
@pytest.mark.parametrize("peer", [all_ns_peer(), ns_subject("forbidden-forest"), pods_peer({"conformance-house": "forest"})],
                         ids=["namespaces-all", "namespaces-forest", "pods-forest"])
def test_host_network_pod_is_never_a_namespaces_or_pods_peer(style: Style, peer: dict[str, object]) -> None:
    firenze = pod("forbidden-forest", "firenze", "10.0.9.9", {"conformance-house": "forest"})
    loaded = load(style.admin("deny-forest", 10, GRYF, ingress=[rule("deny", peer, name="deny")]), firenze)
    verdict = check(loaded.cluster, CENTAUR, HARRY, 80)
    assert verdict.status is Status.ALLOWED
    assert verdict.ingress.decided_by is Tier.DEFAULT
    (policy,) = verdict.ingress.tiers[0].policies
    (peer_check,) = policy.rules[0].peers
    assert peer_check.matched is False
    assert "host network" in peer_check.reason
    # the same rule does catch a pod-network pod of that namespace (the policy is live)
    assert check(loaded.cluster, "forbidden-forest/firenze", HARRY, 80).status is Status.BLOCKED


@by_style
def test_networks_peer_still_matches_a_host_network_pod_by_its_node_ip(style: Style) -> None:
    loaded = load(style.admin("deny-node-net", 10, GRYF, egress=[rule("deny", networks_peer("192.168.0.0/24"), name="deny")]))
    for destination in (CENTAUR, NODE_1_IP):
        verdict = check(loaded.cluster, HARRY, destination, 34345)
        assert verdict.status is Status.BLOCKED, destination
        assert verdict.egress.decided_by is Tier.ADMIN


# -- equal priorities -------------------------------------------------------------------------------


@by_style
def test_equal_priorities_selecting_the_same_pod_are_flagged(style: Style) -> None:
    loaded = load(style.admin("tie-a", 15, GRYF, ingress=[rule("deny", ns_peer("slytherin"), name="deny")]),
                  style.admin("tie-b", 15, GRYF, ingress=[rule("allow", ns_peer("slytherin"), name="allow")]))
    verdict = check(loaded.cluster, DRACO, HARRY, 80)
    (caveat,) = [c for c in verdict.caveats if c.code == "ambiguous-priority"]
    assert "tie-a" in caveat.message and "tie-b" in caveat.message and "15" in caveat.message
    assert HARRY in caveat.message


@by_style
def test_conformance_same_priority_disjoint_subjects_both_apply_without_warning(style: Style) -> None:
    # upstream CNPAdminTierSamePriority: two policies share priority 15 but select different pods
    loaded = load(
        style.admin("same-priority-1", 15, GRYF, ingress=[rule("allow", ns_peer("ravenclaw"), name="allow-from-ravenclaw"),
                                                           rule("deny", all_ns_peer(), name="deny-all-else")]),
        style.admin("same-priority-2", 15, ns_subject("hufflepuff"),
                    ingress=[rule("allow", ns_peer("slytherin"), name="allow-from-slytherin"),
                             rule("deny", all_ns_peer(), name="deny-all-else")]))
    expectations = [(LUNA, HARRY, True, "same-priority-1"), (DRACO, "hufflepuff/cedric-0", True, "same-priority-2"),
                    (DRACO, HARRY, False, "same-priority-1"), (LUNA, "hufflepuff/cedric-0", False, "same-priority-2")]
    for source, destination, allowed, decider in expectations:
        verdict = check(loaded.cluster, source, destination, 80)
        assert verdict.allowed is allowed, (source, destination)
        assert verdict.ingress.deciding_rules[0].name == decider
        assert "ambiguous-priority" not in codes(verdict)


@by_cnp_style
def test_equal_priorities_in_the_baseline_tier_are_flagged(style: Style) -> None:
    loaded = load(style.baseline(GRYF, name="base-a", priority=3, ingress=[rule("deny", ns_peer("slytherin"), name="d")]),
                  style.baseline(GRYF, name="base-b", priority=3, ingress=[rule("allow", ns_peer("slytherin"), name="a")]))
    verdict = check(loaded.cluster, DRACO, HARRY, 80)
    assert "ambiguous-priority" in codes(verdict)


@by_cnp_style
def test_same_priority_number_in_different_tiers_is_not_ambiguous(style: Style) -> None:
    loaded = load(style.admin("admin-10", 10, GRYF, ingress=[rule("pass", ns_peer("slytherin"), name="p")]),
                  style.baseline(GRYF, name="baseline-10", priority=10, ingress=[rule("deny", ns_peer("slytherin"), name="d")]))
    verdict = check(loaded.cluster, DRACO, HARRY, 80)
    assert verdict.status is Status.BLOCKED
    assert verdict.ingress.decided_by is Tier.BASELINE
    assert "ambiguous-priority" not in codes(verdict)


# -- peer forms the engine does not know: fail closed -------------------------------------------------

UNKNOWN = {"foo": {"matchLabels": {"a": "b"}}}


@by_style
def test_unknown_peer_in_allow_rule_matches_nothing(style: Style) -> None:
    loaded = load(style.admin("future", 10, GRYF, ingress=[rule("allow", UNKNOWN, name="allow-future"),
                                                            rule("deny", all_ns_peer(), name="deny-rest")]))
    verdict = check(loaded.cluster, DRACO, HARRY, 80)
    assert verdict.status is Status.BLOCKED
    (ref,) = verdict.ingress.deciding_rules
    assert (ref.rule, ref.rule_name) == (1, "deny-rest")
    first = verdict.ingress.tiers[0].policies[0].rules[0]
    assert first.matched is False
    assert "foo" in first.peers[0].reason and "fail closed" in first.peers[0].reason


@by_style
@pytest.mark.parametrize("source", [DRACO, "203.0.113.7", "2001:db8::7"])
def test_unknown_peer_in_deny_rule_matches_everything(style: Style, source: str) -> None:
    loaded = load(style.admin("future", 10, GRYF, ingress=[rule("deny", UNKNOWN, name="deny-future")]))
    verdict = check(loaded.cluster, source, HARRY, 80)
    assert verdict.status is Status.BLOCKED
    (ref,) = verdict.ingress.deciding_rules
    assert (ref.name, ref.rule_name, ref.action) == ("future", "deny-future", "Deny")


@by_style
def test_unknown_peer_in_baseline_rules_fails_closed(style: Style) -> None:
    loaded = load(style.baseline(GRYF, ingress=[rule("allow", UNKNOWN, name="allow-future"),
                                                rule("deny", UNKNOWN, name="deny-future")]))
    verdict = check(loaded.cluster, LUNA, HARRY, 80)
    assert verdict.status is Status.BLOCKED
    assert verdict.ingress.decided_by is Tier.BASELINE
    assert verdict.ingress.deciding_rules[0].rule_name == "deny-future"


@by_style
def test_empty_peer_fails_closed(style: Style) -> None:
    loaded = load(style.admin("empty", 10, GRYF, egress=[rule("allow", {}, name="allow-empty")]),
                  style.admin("empty-deny", 20, GRYF, egress=[rule("deny", {}, name="deny-empty")]))
    verdict = check(loaded.cluster, HARRY, LUNA, 80)
    assert verdict.status is Status.BLOCKED
    assert verdict.egress.deciding_rules[0].name == "empty-deny"


@by_style
def test_unknown_peer_in_pass_rule_matches_everything(style: Style) -> None:
    loaded = load(style.admin("future", 10, GRYF, ingress=[rule("pass", UNKNOWN, name="pass-future")]))
    verdict = check(loaded.cluster, DRACO, HARRY, 80)
    admin = verdict.ingress.tiers[0]
    assert admin.tier is Tier.ADMIN
    assert admin.policies[0].rules[0].matched is True


@by_style
def test_unknown_peer_in_pass_rule_is_treated_as_deny_all(style: Style) -> None:
    loaded = load(style.admin("future", 10, GRYF, ingress=[rule("pass", UNKNOWN, name="pass-future")]))
    verdict = check(loaded.cluster, DRACO, HARRY, 80)
    assert verdict.status is Status.BLOCKED
    assert verdict.ingress.decided_by is Tier.ADMIN


@by_style
def test_unknown_peer_makes_the_whole_allow_rule_match_nothing(style: Style) -> None:
    loaded = load(style.admin("future", 10, GRYF, ingress=[rule("allow", ns_peer("slytherin"), UNKNOWN, name="mixed"),
                                                            rule("deny", all_ns_peer(), name="deny-rest")]))
    verdict = check(loaded.cluster, DRACO, HARRY, 80)
    assert verdict.status is Status.BLOCKED
    assert verdict.ingress.deciding_rules[0].rule_name == "deny-rest"


@by_cnp_style
def test_domain_names_accept_matches_nothing_offline(style: Style) -> None:
    loaded = load(style.admin("dns-allowlist", 10, GRYF,
                              egress=[rule("allow", {"domainNames": ["*.kubernetes.io"]}, name="allow-k8s-io"),
                                      rule("deny", networks_peer("0.0.0.0/0"), name="deny-internet")]))
    verdict = check(loaded.cluster, HARRY, "203.0.113.80", 443)
    assert verdict.status is Status.BLOCKED
    assert verdict.egress.deciding_rules[0].rule_name == "deny-internet"
    peer = verdict.egress.tiers[0].policies[0].rules[0].peers[0]
    assert peer.matched is False
    assert "domainNames" in peer.reason


@by_cnp_style
def test_domain_names_in_deny_rule_matches_everything(style: Style) -> None:
    loaded = load(style.admin("dns-deny", 10, GRYF, egress=[rule("deny", {"domainNames": ["example.com"]}, name="deny-dns")]))
    verdict = check(loaded.cluster, HARRY, LUNA, 80)
    assert verdict.status is Status.BLOCKED
    assert verdict.egress.deciding_rules[0].rule_name == "deny-dns"


# -- directions are independent; namespaces known only by name -----------------------------------------


@by_style
def test_egress_accept_at_the_source_does_not_bypass_ingress_at_the_destination(style: Style) -> None:
    # v1beta1: Accept on egress means "no further egress ... rules will be processed but any ingress rules
    # at the destination do apply"
    loaded = load(style.admin("let-out", 5, GRYF, egress=[rule("allow", ns_peer("hufflepuff"), name="to-huff")]),
                  netpol("hufflepuff", "deny-in", {}, ["Ingress"]))
    verdict = check(loaded.cluster, HARRY, "hufflepuff/cedric-0", 80)
    assert verdict.status is Status.BLOCKED
    assert verdict.egress.allowed is True and verdict.egress.decided_by is Tier.ADMIN
    assert verdict.ingress.allowed is False and verdict.ingress.decided_by is Tier.NETWORK_POLICY
    assert "ingress at the destination" in verdict.summary


@by_style
def test_subject_by_namespace_name_works_without_the_namespace_object(style: Style) -> None:
    # a single manifest file often holds pods but not their Namespace: the name label still exists
    ghost = pod("ghost", "boo", "10.0.8.8", {"app": "boo"})
    loaded = load(style.admin("ghost-guard", 5, ns_subject("ghost"), ingress=[rule("deny", ns_peer("slytherin"), name="d")]),
                  ghost)
    verdict = check(loaded.cluster, DRACO, "ghost/boo", 80)
    assert verdict.status is Status.BLOCKED
    assert verdict.ingress.deciding_rules[0].name == "ghost-guard"
