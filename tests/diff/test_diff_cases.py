"""The connectivity diff on hand-made cases, each asserting what the change does and why: a port
opened, a namespace closed, verdicts that become unknown (never "blocked"), an admin rule replaced by a
NetworkPolicy (a pod to itself), a class split by the change, pods that appear and disappear, the
port plan, and the explanation budget."""

from __future__ import annotations

import dataclasses

import pytest
from engine.kit import cluster, load, namespace, netpol, pod, xyz_objects

from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.diff import ChangeKind, ConnectivityDiff, PortQuestion, State, connectivity_diff, port_plan
from kubenet_tui.engine.matrix import matrix_pods
from kubenet_tui.engine.model import Protocol


def flows(diff: ConnectivityDiff) -> dict[tuple[str, str, str], tuple[State, State]]:
    return {(g.question.label(), s, d): (g.before, g.after) for g in diff.groups for s, d in diff.pod_pairs(g)}


ISOLATE_XA = netpol("x", "a-from-b", {
    "podSelector": {"matchLabels": {"pod": "a"}},
    "ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}], "ports": [{"port": 80}]}]})


def test_a_port_added_to_a_rule_opens_only_that_port() -> None:
    base = cluster(xyz_objects(), ISOLATE_XA)
    opened = dict(ISOLATE_XA, spec={**ISOLATE_XA["spec"], "ingress": [
        {"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}], "ports": [{"port": 80}, {"port": 81}]}]})
    diff = connectivity_diff(base, cluster(xyz_objects(), opened))
    assert flows(diff) == {("81/TCP", "x/b", "x/a"): (State.BLOCKED, State.ALLOWED)}
    (group,) = diff.groups
    assert (group.source_namespace, group.destination_namespace, group.kind) == ("x", "x", ChangeKind.OPENED)
    (example,) = group.examples
    assert example.after is not None and [r.label() for r in example.after.deciding_rules] == [
        "NetworkPolicy x/a-from-b ingress[0]"]
    assert example.before is not None and example.before.ingress.allowed is False


def test_a_default_deny_closes_every_port_into_its_namespace() -> None:
    base = cluster(xyz_objects())
    deny = netpol("y", "deny", {"podSelector": {}, "policyTypes": ["Ingress"]})
    diff = connectivity_diff(base, cluster(xyz_objects(), deny))
    found = flows(diff)
    assert found and all(d.startswith("y/") and s != d and states == (State.ALLOWED, State.BLOCKED)
                         for (_, s, d), states in found.items())
    # Every question: 9 sources x 3 destinations in y, minus each pod to itself (never blocked by it).
    assert len(found) == len(diff.questions) * (9 * 3 - 3)
    assert diff.totals()[ChangeKind.CLOSED] == len(found)


def test_a_policy_that_is_not_evaluated_makes_verdicts_unknown_not_blocked() -> None:
    calico = {"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
              "metadata": {"name": "calico-deny", "namespace": "z"},
              "spec": {"selector": "all()", "types": ["Ingress"]}}
    base = cluster(xyz_objects())
    head = load(xyz_objects(), calico).cluster()
    assert head.unevaluated
    diff = connectivity_diff(base, head, port_plan((base, head), matrix_pods(base), (Protocol.TCP,), 80))
    kinds = {g.kind for g in diff.groups}
    assert kinds == {ChangeKind.BECAME_UNKNOWN}
    # Its directions cannot be read from a kind this tool does not evaluate: both, at the pods of z.
    assert all("z/" in s + d for (_, s, d) in flows(diff))
    assert not any(g.after is State.BLOCKED for g in diff.groups)


def test_an_admin_deny_replaced_by_isolation_changes_a_pod_to_itself() -> None:
    """Both deny every peer of x/a, so the rows compare equal over the other pods; only the admin tier
    blocks a pod's traffic to itself (hairpin), so that flow opens."""
    anp = {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
           "metadata": {"name": "deny-to-a"},
           "spec": {"priority": 10, "subject": {"pods": {"namespaceSelector": {"matchLabels": {"ns": "x"}},
                                                         "podSelector": {"matchLabels": {"pod": "a"}}}},
                    "ingress": [{"name": "all", "action": "Deny", "from": [{"namespaces": {}}]}]}}
    isolate = netpol("x", "isolate-a", {"podSelector": {"matchLabels": {"pod": "a"}}, "policyTypes": ["Ingress"]})
    base = cluster(xyz_objects(), anp)
    head = cluster(xyz_objects(), isolate)
    diff = connectivity_diff(base, head, port_plan((base, head), matrix_pods(base), (Protocol.TCP,), 80))
    assert flows(diff) == {("80/TCP", "x/a", "x/a"): (State.BLOCKED, State.ALLOWED)}
    (example,) = diff.groups[0].examples
    assert example.itself and example.flows == 1


def test_a_change_that_splits_a_class_is_compared_pod_by_pod_within_it() -> None:
    objects = [namespace("n", {"team": "n"}),
               pod("n", "web-1", {"app": "web"}, ips=["10.0.0.1"]), pod("n", "web-2", {"app": "web"}, ips=["10.0.0.2"]),
               pod("n", "db", {"app": "db"}, ips=["10.0.0.9"])]
    by_label = netpol("n", "db", {"podSelector": {"matchLabels": {"app": "db"}},
                                  "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}]})
    by_address = netpol("n", "db", {"podSelector": {"matchLabels": {"app": "db"}},
                                    "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.1/32"}}]}]})
    base, head = cluster(objects, by_label), cluster(objects, by_address)
    diff = connectivity_diff(base, head, port_plan((base, head), matrix_pods(base), (Protocol.TCP,), 5432))
    assert diff.joint.count == 3  # web-1 and web-2 share a class on the base side only
    assert flows(diff) == {("5432/TCP", "n/web-2", "n/db"): (State.ALLOWED, State.BLOCKED)}


def test_pods_only_on_one_side_are_flows_that_appear_or_disappear() -> None:
    base = cluster(xyz_objects())
    moved = [o for o in xyz_objects() if o["metadata"]["name"] != "c" or o["metadata"].get("namespace") != "z"]
    head = cluster(moved, pod("z", "d", {"pod": "d"}, ips=["10.3.0.4"]))
    diff = connectivity_diff(base, head, port_plan((base, head), matrix_pods(base), (Protocol.TCP,), 80))
    found = flows(diff)
    assert all(("z/c" in (s, d)) == (states == (State.ALLOWED, State.ABSENT)) for (_, s, d), states in found.items())
    assert all(("z/d" in (s, d)) == (states == (State.ABSENT, State.ALLOWED)) for (_, s, d), states in found.items())
    # 9 pods, one swapped: 8 others x 2 directions + itself, for each of the two pods.
    assert diff.totals()[ChangeKind.DISAPPEARED] == diff.totals()[ChangeKind.APPEARED] == 17


def test_the_port_plan_names_ports_ranges_named_ports_and_the_rest() -> None:
    policy = netpol("x", "ports", {"podSelector": {}, "ingress": [{"ports": [
        {"port": 80}, {"port": 8000, "endPort": 8099}, {"port": "serve-81-udp", "protocol": "UDP"},
        {"protocol": "SCTP"}]}]})
    c = cluster(xyz_objects(), policy)
    plan = port_plan((c,), c.pods)
    labels = [q.label() for q in plan.questions]
    assert labels == ["80/TCP", "8000-8099/TCP", "any other TCP port", "81/UDP", "any other UDP port",
                      "any SCTP port"]
    assert not plan.unsplit
    other = next(q for q in plan.questions if q.label() == "any other TCP port")
    assert other.other and (81, 7999) in other.ranges and 80 not in range(other.port, other.port + 1)
    assert port_plan((c,), c.pods, (Protocol.UDP,), 53).questions == (PortQuestion(Protocol.UDP, 53, ((53, 53),)),)


# 9 groups (namespace pairs); each pod is a class of its own: 6 changed class pairs inside a namespace,
# 9 across (at most EXAMPLES_PER_GROUP = 8 explained). One per group first, then more for the largest.
@pytest.mark.parametrize(("budget", "explained"), [(0, 0), (1, 1), (9, 9), (20, 20), (600, 3 * 6 + 6 * 8)])
def test_the_explanation_budget_bounds_the_verdicts_asked(budget: int, explained: int) -> None:
    base = cluster(xyz_objects())
    deny = [netpol(ns, "deny", {"podSelector": {}, "policyTypes": ["Ingress"]}) for ns in ("x", "y", "z")]
    head = cluster(xyz_objects(), deny)
    plan = port_plan((base, head), matrix_pods(base), (Protocol.TCP,), 80)
    diff = connectivity_diff(base, head, plan, budget=budget)
    assert sum(len(g.examples) for g in diff.groups) == explained
    assert diff.flows == 9 * 9 - 9
    if budget >= len(diff.groups):
        assert all(g.examples for g in diff.groups)


def test_a_policy_only_change_skips_ports_it_cannot_touch() -> None:
    """The causes: a port added to one rule can only change rows at that port."""
    from kubenet_tui.engine import diff as module

    base = cluster(xyz_objects(), ISOLATE_XA)
    head_policy = dict(ISOLATE_XA, spec={**ISOLATE_XA["spec"], "ingress": [
        {"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}], "ports": [{"port": 80}, {"port": 81}]}]})
    head = cluster(xyz_objects(), head_policy)
    compare = module._Compare(base, head, matrix_pods(base), matrix_pods(head))
    plan = port_plan((base, head), matrix_pods(base))
    for question in plan.questions:
        compare.question(question)
    assert compare.causes.usable and compare.skipped == len(plan.questions) - 1


def test_relabelled_pods_turn_the_causes_off() -> None:
    base = cluster(xyz_objects())
    pods = tuple(dataclasses.replace(p, labels={**p.labels, "v": "2"}) if p.key == "x/a" else p for p in base.pods)
    head = dataclasses.replace(base, pods=pods)
    from kubenet_tui.engine import diff as module

    compare = module._Compare(base, head, matrix_pods(base), matrix_pods(head))
    assert not compare.causes.usable
    assert not connectivity_diff(base, head).changed  # no policy reads label v


def test_empty_sides() -> None:
    assert not connectivity_diff(Cluster(), Cluster()).changed


def test_a_flow_whose_both_ends_change_is_reported_once() -> None:
    """One policy turns from isolating x both ways into allowing everything both ways: the flows inside
    x change at the source's egress and at the destination's ingress alike."""
    isolate = netpol("x", "both", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
    allow = netpol("x", "both", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [{}],
                                 "egress": [{}]})
    base, head = cluster(xyz_objects(), isolate), cluster(xyz_objects(), allow)
    diff = connectivity_diff(base, head, port_plan((base, head), matrix_pods(base), (Protocol.TCP,), 80))
    pairs = [(s, d) for g in diff.groups for s, d in diff.pod_pairs(g)]
    assert len(pairs) == len(set(pairs)) == diff.flows
    inside = {(s, d) for s in ("x/a", "x/b", "x/c") for d in ("x/a", "x/b", "x/c") if s != d}
    assert inside <= set(pairs)
    assert all(flows(diff)[("80/TCP", s, d)] == (State.BLOCKED, State.ALLOWED) for s, d in inside)
