"""Invalid admin/baseline objects are reported (kind, name, reason) and skipped while the rest loads.

What is invalid comes from the API types: action enums per kind, priority 0-1000, the CNP tier enum,
exactly-one subject/peer/port forms, MinItems=1 peer lists, networks/nodes only in egress rules,
and the CEL rules of v1alpha2/v1beta1 (port ranges start < end, no named ports with networks/nodes
peers, canonical CIDRs in v1beta1).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from kubenet_tui.engine.explain import Status

from .kit import STYLES, Obj, Style, check, load, networks_peer, ns_peer, ns_subject, rng, rule

GRYF = ns_subject("gryffindor")
Mutation = Callable[[Obj], Any]


def victim(style: Style, kind: str, egress: bool = False) -> Obj:
    """A valid policy named `victim` that each case breaks in one place."""
    rules = [rule("deny", ns_peer("slytherin"), name="deny-slytherin")]
    if kind == "admin":
        return style.admin("victim", 20, GRYF, egress=rules) if egress else style.admin("victim", 20, GRYF, ingress=rules)
    name = "default" if not style.is_cnp else "victim"
    if egress:
        return style.baseline(GRYF, egress=rules, name=name)
    return style.baseline(GRYF, ingress=rules, name=name)


def survivor(style: Style) -> Obj:
    return style.admin("survivor", 10, GRYF, ingress=[rule("deny", ns_peer("ravenclaw"), name="deny-ravenclaw")])


def set_in(path: tuple[str | int, ...], value: Any) -> Mutation:
    def mutate(obj: Obj) -> None:
        target: Any = obj
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


def delete(path: tuple[str | int, ...]) -> Mutation:
    def mutate(obj: Obj) -> None:
        target: Any = obj
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return mutate


IN0 = ("spec", "ingress", 0)
EG0 = ("spec", "egress", 0)

# (id, styles, kind, egress, mutation, word the reason must contain)
INVALID: list[tuple[str, tuple[str, ...], str, bool, Mutation, str]] = [
    ("anp-accept-action", ("v1alpha1",), "admin", False, set_in((*IN0, "action"), "Accept"), "action"),
    ("banp-pass-action", ("v1alpha1",), "baseline", False, set_in((*IN0, "action"), "Pass"), "action"),
    ("banp-accept-action", ("v1alpha1",), "baseline", False, set_in((*IN0, "action"), "Accept"), "action"),
    ("cnp-allow-action", ("v1alpha2", "v1beta1"), "admin", False, set_in((*IN0, "action"), "Allow"), "action"),
    ("cnp-baseline-allow-action", ("v1alpha2", "v1beta1"), "baseline", False, set_in((*IN0, "action"), "Allow"), "action"),
    ("action-lowercase", ("v1alpha1", "v1alpha2", "v1beta1"), "admin", False, set_in((*IN0, "action"), "deny"), "action"),
    ("action-missing", ("v1alpha1", "v1alpha2", "v1beta1"), "admin", False, delete((*IN0, "action")), "action"),
    ("priority-above-1000", ("v1alpha1", "v1alpha2", "v1beta1"), "admin", False, set_in(("spec", "priority"), 1001), "priority"),
    ("priority-negative", ("v1alpha1", "v1alpha2", "v1beta1"), "admin", False, set_in(("spec", "priority"), -1), "priority"),
    ("priority-string", ("v1alpha1", "v1alpha2", "v1beta1"), "admin", False, set_in(("spec", "priority"), "10"), "priority"),
    ("priority-missing", ("v1alpha1", "v1alpha2", "v1beta1"), "admin", False, delete(("spec", "priority")), "priority"),
    ("cnp-baseline-priority-above-1000", ("v1alpha2", "v1beta1"), "baseline", False, set_in(("spec", "priority"), 1001), "priority"),
    ("cnp-tier-missing", ("v1alpha2", "v1beta1"), "admin", False, delete(("spec", "tier")), "tier"),
    ("cnp-tier-lowercase", ("v1alpha2", "v1beta1"), "admin", False, set_in(("spec", "tier"), "admin"), "tier"),
    ("cnp-tier-networkpolicy", ("v1alpha2", "v1beta1"), "admin", False, set_in(("spec", "tier"), "NetworkPolicy"), "tier"),
    ("subject-two-forms", ("v1alpha1", "v1alpha2", "v1beta1"), "admin", False,
     set_in(("spec", "subject", "pods"), {"namespaceSelector": {}, "podSelector": {}}), "subject"),
    ("subject-missing", ("v1alpha1", "v1alpha2", "v1beta1"), "admin", False, delete(("spec", "subject")), "subject"),
    ("peer-two-forms", ("v1alpha1", "v1alpha2", "v1beta1"), "admin", False,
     set_in((*IN0, "from", 0, "pods"), {"namespaceSelector": {}, "podSelector": {}}), "exactly one"),
    ("peers-empty", ("v1alpha1", "v1alpha2", "v1beta1"), "admin", False, set_in((*IN0, "from"), []), "peer"),
    ("peers-missing", ("v1alpha1", "v1alpha2", "v1beta1"), "admin", False, delete((*IN0, "from")), "peer"),
    ("networks-in-ingress", ("v1alpha1", "v1alpha2", "v1beta1"), "admin", False,
     set_in((*IN0, "from"), [networks_peer("10.0.0.0/8")]), "networks"),
    ("nodes-in-ingress", ("v1alpha1", "v1alpha2", "v1beta1"), "baseline", False,
     set_in((*IN0, "from"), [{"nodes": {}}]), "nodes"),
    ("networks-bad-cidr", ("v1alpha1", "v1alpha2", "v1beta1"), "admin", True,
     set_in((*EG0, "to"), [networks_peer("10.0.0.0/33")]), "CIDR"),
    ("networks-not-a-cidr", ("v1alpha1", "v1alpha2", "v1beta1"), "admin", True,
     set_in((*EG0, "to"), [networks_peer("10.0.0.1")]), "CIDR"),
    ("selector-bad-operator", ("v1alpha1", "v1alpha2", "v1beta1"), "admin", False,
     set_in((*IN0, "from", 0, "namespaces"), {"matchExpressions": [{"key": "a", "operator": "Equals", "values": ["b"]}]}),
     "operator"),
    ("v1alpha1-port-two-forms", ("v1alpha1",), "admin", False,
     set_in((*IN0, "ports"), [{"portNumber": {"protocol": "TCP", "port": 80}, "namedPort": "web"}]), "exactly one"),
    ("v1alpha1-port-out-of-range", ("v1alpha1",), "admin", False,
     set_in((*IN0, "ports"), [{"portNumber": {"protocol": "TCP", "port": 70000}}]), "range"),
    ("v1alpha1-port-range-reversed", ("v1alpha1",), "admin", False,
     set_in((*IN0, "ports"), [{"portRange": {"protocol": "TCP", "start": 90, "end": 80}}]), "end"),
    ("v1alpha1-bad-protocol", ("v1alpha1",), "admin", False,
     set_in((*IN0, "ports"), [{"portNumber": {"protocol": "ICMP", "port": 80}}]), "protocol"),
    ("cnp-unknown-protocol", ("v1alpha2", "v1beta1"), "admin", False,
     set_in((*IN0, "protocols"), [{"icmp": {}}]), "protocol"),
    ("cnp-port-zero", ("v1alpha2", "v1beta1"), "admin", False,
     set_in((*IN0, "protocols"), [{"tcp": {"destinationPort": {"number": 0}}}]), "range"),
    ("cnp-range-reversed", ("v1alpha2", "v1beta1"), "admin", False,
     set_in((*IN0, "protocols"), [{"tcp": {"destinationPort": {"range": {"start": 90, "end": 80}}}}]), "end"),
    ("cnp-destination-port-empty", ("v1alpha2", "v1beta1"), "admin", False,
     set_in((*IN0, "protocols"), [{"udp": {"destinationPort": {}}}]), "number or range"),
    ("cnp-protocol-entry-two-forms", ("v1alpha2", "v1beta1"), "admin", False,
     set_in((*IN0, "protocols"), [{"tcp": {"destinationPort": {"number": 80}}, "destinationNamedPort": "web"}]),
     "exactly one"),
    ("cnp-named-port-invalid-name", ("v1alpha2", "v1beta1"), "admin", False,
     set_in((*IN0, "protocols"), [{"destinationNamedPort": "Not_A_Port"}]), "port name"),
]


def _params() -> list[Any]:
    return [pytest.param(style, kind, egress, mutation, word, id=f"{style.name}-{case_id}")
            for case_id, styles, kind, egress, mutation, word in INVALID
            for style in STYLES if style.name in styles]


@pytest.mark.parametrize(("style", "kind", "egress", "mutation", "word"), _params())
def test_invalid_policy_is_reported_and_skipped_while_the_rest_loads(
    style: Style, kind: str, egress: bool, mutation: Mutation, word: str
) -> None:
    broken = copy.deepcopy(victim(style, kind, egress))
    mutation(broken)
    loaded = load(broken, survivor(style))

    errors = loaded.errors()
    assert len(errors) == 1, [p.describe() for p in loaded.problems]
    (problem,) = errors
    assert problem.kind == broken["kind"]
    assert problem.name == broken["metadata"]["name"]
    assert word.lower() in problem.message.lower(), problem.message
    assert [p.name for p in loaded.cluster.admin_policies] == ["survivor"]
    # the rest loaded; what the broken policy could decide is unknown (it is of the same tier, and its
    # priority cannot be trusted), and the readable policies alone block it
    verdict = check(loaded.cluster, "ravenclaw/luna-0", "gryffindor/harry-0", 80)
    if (broken["kind"] == "BaselineAdminNetworkPolicy" or broken["spec"].get("tier") == "Baseline"
            or not broken["spec"].get("ingress")):
        # A baseline policy acts after the admin tier, whose survivor decides first; one with egress rules
        # only cannot touch ingress, where the survivor denies: the verdict is still known.
        assert verdict.status is Status.BLOCKED
        assert verdict.ingress.deciding_rules[0].name == "survivor"
        return
    assert verdict.status is Status.UNKNOWN
    assert broken["metadata"]["name"] in verdict.ingress.summary
    assert verdict.assumed_status is Status.BLOCKED
    assert "survivor" in verdict.ingress.assumed_summary


def test_baseline_admin_network_policy_not_named_default_is_reported() -> None:
    style = STYLES[0]
    loaded = load(style.baseline(GRYF, ingress=[rule("deny", ns_peer("slytherin"))], name="not-default"))
    (problem,) = loaded.problems
    assert (problem.kind, problem.name) == ("BaselineAdminNetworkPolicy", "not-default")
    assert "default" in problem.message


@pytest.mark.parametrize("style", STYLES, ids=lambda s: s.name)
def test_unnamed_rules_are_referred_to_by_position(style: Style) -> None:
    loaded = load(style.admin("anonymous", 10, GRYF, ingress=[rule("allow", ns_peer("ravenclaw")),
                                                               rule("deny", ns_peer("slytherin"))]))
    assert loaded.problems == []
    (ref,) = check(loaded.cluster, "slytherin/draco-0", "gryffindor/harry-0", 80).ingress.deciding_rules
    assert (ref.name, ref.rule, ref.action) == ("anonymous", 1, "Deny")


# -- what the API server rejects but the loader accepts -------------------------------------------

CNP = [s for s in STYLES if s.is_cnp]


def problems_for(loaded_problems: list[Any], name: str) -> list[Any]:
    return [p for p in loaded_problems if p.name == name]


@pytest.mark.parametrize("style", STYLES, ids=lambda s: s.name)
def test_port_range_with_start_equal_to_end_is_invalid(style: Style) -> None:
    loaded = load(style.admin("one-port-range", 20, GRYF, ingress=[rule("deny", ns_peer("slytherin"), ports=[rng(80, 80)])]))
    (problem,) = problems_for(loaded.problems, "one-port-range")
    assert problem.severity == "error"
    assert loaded.cluster.admin_policies == ()


@pytest.mark.parametrize("style", CNP, ids=lambda s: s.name)
def test_protocol_without_destination_port_is_reported(style: Style) -> None:
    obj = style.admin("bare-tcp", 20, GRYF, ingress=[rule("deny", ns_peer("slytherin"), name="r")])
    obj["spec"]["ingress"][0]["protocols"] = [{"tcp": {}}]
    assert problems_for(load(obj).problems, "bare-tcp")


@pytest.mark.parametrize("style", CNP, ids=lambda s: s.name)
def test_named_port_with_networks_peer_is_invalid(style: Style) -> None:
    obj = style.admin("named-to-cidr", 20, GRYF, egress=[rule("deny", networks_peer("10.0.0.0/8"), name="r")])
    obj["spec"]["egress"][0]["protocols"] = [{"destinationNamedPort": "web"}]
    loaded = load(obj)
    (problem,) = problems_for(loaded.problems, "named-to-cidr")
    assert problem.severity == "error"


@pytest.mark.parametrize("style", STYLES, ids=lambda s: s.name)
def test_pods_peer_without_pod_selector_is_invalid(style: Style) -> None:
    obj = style.admin("no-pod-selector", 20, GRYF,
                      ingress=[rule("deny", {"pods": {"namespaceSelector": {"matchLabels": {"x": "y"}}}}, name="r")])
    loaded = load(obj)
    (problem,) = problems_for(loaded.problems, "no-pod-selector")
    assert problem.severity == "error"


def test_v1beta1_cidr_with_host_bits_is_invalid() -> None:
    style = STYLES[2]
    loaded = load(style.admin("host-bits", 20, GRYF, egress=[rule("deny", networks_peer("10.0.3.7/24"), name="r")]))
    (problem,) = problems_for(loaded.problems, "host-bits")
    assert problem.severity == "error"


@pytest.mark.parametrize("style", CNP, ids=lambda s: s.name)
def test_cnp_rule_with_v1alpha1_ports_field_is_reported(style: Style) -> None:
    obj = style.admin("old-ports", 20, GRYF, ingress=[rule("deny", ns_peer("slytherin"), name="r")])
    obj["spec"]["ingress"][0]["ports"] = [{"portNumber": {"protocol": "TCP", "port": 80}}]
    problems = problems_for(load(obj).problems, "old-ports")
    assert any("ports" in p.message for p in problems)
