"""SEMANTICS.md sections 1 and 4: the ends policies do not govern, and how a verdict combines its two sides.

hostNetwork pods are shown but not enforceable (caveat `host-network`); pods with no IP or that finished
carry no traffic (status not-evaluated); a pod talking to itself is allowed (caveat `loopback`); an address
outside the cluster has no policies, so only the pod side is evaluated.
"""

from __future__ import annotations

import pytest

from engine.kit import check, cluster, namespace, netpol, pod, refs
from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.evaluate import End, InputError, evaluate, resolve_end
from kubenet_tui.engine.explain import Status, Verdict
from kubenet_tui.engine.model import Protocol

NP = "NetworkPolicy"
DENY_ALL = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def world() -> Cluster:
    """Namespace x denies everything both ways; it holds a normal pod, a host-network pod and idle pods."""
    return cluster(
        namespace("x"),
        namespace("y"),
        pod("x", "a", {"pod": "a"}, ips=["10.1.0.1"]),
        pod("x", "host", {"pod": "host"}, ips=["192.168.10.11"], host_network=True),
        pod("x", "pending", {"pod": "p"}, phase="Pending"),
        pod("x", "running-no-ip", {"pod": "r"}, phase="Running"),
        pod("x", "done", {"pod": "d"}, ips=["10.1.0.9"], phase="Succeeded"),
        pod("x", "crashed", {"pod": "f"}, ips=["10.1.0.10"], phase="Failed"),
        pod("y", "b", {"pod": "b"}, ips=["10.2.0.2"]),
        netpol("x", "deny-all", DENY_ALL),
    )


def codes(v: Verdict) -> set[str]:
    return {c.code for c in v.caveats}


def test_host_network_destination_is_not_enforceable() -> None:
    # GIVEN x/host (hostNetwork) in a namespace that denies all ingress
    v = check(world(), "y/b", "x/host", 80)
    # THEN its ingress side is not evaluated, the verdict is allowed, and the caveat says why
    assert v.ingress.evaluated is False
    assert v.status is Status.ALLOWED
    assert "host-network" in codes(v)
    assert "host network" in v.ingress.summary


def test_host_network_source_is_not_enforceable_at_egress() -> None:
    v = check(world(), "x/host", "y/b", 80)
    assert v.egress.evaluated is False
    assert v.status is Status.ALLOWED  # y/b is not isolated; x's deny-all egress does not govern x/host
    assert "host-network" in codes(v)


def test_host_network_source_still_meets_the_destinations_ingress_policy() -> None:
    # the destination x/a is an ordinary pod isolated by deny-all: traffic from the node is still dropped
    v = check(world(), "x/host", "x/a", 80)
    assert v.ingress.evaluated is True
    assert v.status is Status.BLOCKED
    assert "host-network" in codes(v)


@pytest.mark.parametrize("idle", ["x/pending", "x/running-no-ip", "x/done", "x/crashed"])
def test_pods_without_ip_or_finished_are_not_evaluated(idle: str) -> None:
    c = world()
    for source, destination, word in ((idle, "y/b", "source"), ("y/b", idle, "destination")):
        v = check(c, source, destination, 80)
        assert v.status is Status.NOT_EVALUATED
        assert v.allowed is None
        assert v.egress.evaluated is False and v.ingress.evaluated is False
        assert v.deciding_rules == ()
        assert word in v.summary and idle in v.summary


def test_finished_pod_summary_names_the_phase() -> None:
    assert "Succeeded" in check(world(), "x/done", "y/b", 80).summary
    assert "Failed" in check(world(), "y/b", "x/crashed", 80).summary
    assert "no IP" in check(world(), "x/pending", "y/b", 80).summary


def test_pod_to_itself_is_allowed_even_when_isolated() -> None:
    v = check(world(), "x/a", "x/a", 80)
    assert v.status is Status.ALLOWED
    assert "loopback" in codes(v)
    assert v.deciding_rules == ()


def test_pod_to_itself_by_its_own_ip_is_loopback_too() -> None:
    v = check(world(), "x/a", "10.1.0.1", 80)
    assert v.status is Status.ALLOWED
    assert "loopback" in codes(v)


def test_outside_source_only_ingress_is_evaluated() -> None:
    v = check(world(), "203.0.113.7", "x/a", 80)
    assert v.source.kind == "ip"
    assert v.egress.evaluated is False and v.egress.allowed is True
    assert v.ingress.evaluated is True and v.ingress.allowed is False
    assert v.status is Status.BLOCKED
    assert "node-traffic" in codes(v)  # traffic from a node (kubelet probes) is mentioned, not modelled


def test_outside_destination_only_egress_is_evaluated() -> None:
    blocked = check(world(), "x/a", "203.0.113.7", 443)
    assert blocked.ingress.evaluated is False and blocked.ingress.allowed is True
    assert blocked.egress.evaluated is True and blocked.egress.allowed is False
    assert blocked.status is Status.BLOCKED
    allowed = check(world(), "y/b", "203.0.113.7", 443)
    assert allowed.status is Status.ALLOWED


def test_outside_destination_allowed_by_an_egress_ip_block() -> None:
    c = cluster(
        namespace("x"),
        pod("x", "a", {}, ips=["10.1.0.1"]),
        netpol("x", "egress-https", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
            {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}], "ports": [{"port": 443}]}]}),
    )
    v = check(c, "x/a", "8.8.8.8", 443)
    assert v.allowed is True
    assert refs(v.egress) == [(NP, "x", "egress-https", "egress", 0, 0, 0)]
    assert check(c, "x/a", "8.8.8.8", 80).allowed is False
    assert check(c, "x/a", "10.9.9.9", 443).allowed is False


def test_an_ip_that_belongs_to_a_pod_stands_for_that_pod() -> None:
    c = world()
    end = resolve_end(c.index, "10.2.0.2")
    assert end.pod is not None and end.pod.key == "y/b"
    # a host-network pod's IP is the node's: it stays an outside address
    assert resolve_end(c.index, "192.168.10.11").pod is None


def test_both_ends_outside_the_cluster_is_unusable_input() -> None:
    c = world()
    with pytest.raises(InputError):
        evaluate(c, resolve_end(c.index, "1.1.1.1"), resolve_end(c.index, "2.2.2.2"), Protocol.TCP, 80)


def test_verdict_is_blocked_when_either_side_blocks_and_says_where() -> None:
    c = cluster(
        namespace("x"),
        namespace("y"),
        pod("x", "a", {}, ips=["10.1.0.1"]),
        pod("y", "b", {}, ips=["10.2.0.2"]),
        netpol("x", "deny-egress", {"podSelector": {}, "policyTypes": ["Egress"]}),
        netpol("y", "deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]}),
    )
    both = check(c, "x/a", "y/b", 80)
    assert both.egress.allowed is False and both.ingress.allowed is False
    assert both.status is Status.BLOCKED
    assert "egress at the source" in both.summary and "ingress at the destination" in both.summary
    reverse = check(c, "y/b", "x/a", 80)
    assert reverse.status is Status.ALLOWED  # y/b's egress and x/a's ingress are not isolated


def test_client_side_egress_deny_wins_over_a_server_side_allow() -> None:
    # upstream e2e "should support denying of egress traffic on the client side"
    c = cluster(
        namespace("x"),
        namespace("y"),
        pod("x", "a", {"pod": "a"}, ips=["10.1.0.1"]),
        pod("y", "a", {"pod": "a"}, ips=["10.2.0.1"]),
        pod("y", "b", {"pod": "b"}, ips=["10.2.0.2"]),
        netpol("x", "to-y-a", {"podSelector": {"matchLabels": {"pod": "a"}}, "policyTypes": ["Egress"], "egress": [
            {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "y"}},
                     "podSelector": {"matchLabels": {"pod": "a"}}}]}]}),
        netpol("y", "from-x-a", {"podSelector": {}, "ingress": [
            {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "x"}},
                       "podSelector": {"matchLabels": {"pod": "a"}}}]}]}),
    )
    assert check(c, "x/a", "y/a", 80).status is Status.ALLOWED
    to_b = check(c, "x/a", "y/b", 80)
    assert to_b.status is Status.BLOCKED
    assert to_b.ingress.allowed is True and to_b.egress.allowed is False


def test_evaluate_never_evaluates_the_reverse_direction() -> None:
    # x/a may send to y/b; y/b may not send to x/a: the verdict for x/a -> y/b ignores the reply path
    c = cluster(
        namespace("x"),
        namespace("y"),
        pod("x", "a", {}, ips=["10.1.0.1"]),
        pod("y", "b", {}, ips=["10.2.0.2"]),
        netpol("x", "deny-ingress", {"podSelector": {}}),
        netpol("y", "deny-egress", {"podSelector": {}, "policyTypes": ["Egress"]}),
    )
    assert evaluate(c, End(pod=c.index.pods_by_key["x/a"]), End(pod=c.index.pods_by_key["y/b"]),
                    Protocol.TCP, 80).status is Status.ALLOWED
