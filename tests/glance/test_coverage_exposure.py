"""Coverage and exposure say what the explained engine says, pod by pod.

- coverage: a pod's isolation per direction is `tiers.isolation` (None: cannot tell);
- exposure from outside: for addresses on every edge of the clusters' CIDRs (and the ends of the
  address space), `evaluate(address -> pod)` is ALLOWED exactly where the address lies in `ranges`,
  UNKNOWN exactly where it lies in `unknown_ranges`;
- exposure from every namespace: the pod's ingress admits every pod that carries traffic, as the
  explained face of the ingress direction says source by source.
Clusters come from the matrix agreement tests' strategy (admin tiers, unreadable data, named ports).
"""

from __future__ import annotations

import ipaddress

from engine.kit import cluster, namespace, netpol, pod
from hypothesis import HealthCheck, given, settings
from scale.test_matrix_agrees import NETWORKS, NODE_IP, POD_IPS, clusters

from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.coverage import Isolation, coverage
from kubenet_tui.engine.evaluate import End, evaluate, peer_view
from kubenet_tui.engine.explain import Direction, Status, Tier
from kubenet_tui.engine.exposure import Reach, exposure, reach_of
from kubenet_tui.engine.model import IPAddress, Pod
from kubenet_tui.engine.rules import PortQuery
from kubenet_tui.engine.tiers import Side, explain_direction, isolation


def probe_addresses() -> list[IPAddress]:
    found: set[IPAddress] = {ipaddress.ip_address(a) for a in ("0.0.0.0", "255.255.255.255", "::", "8.8.8.8",
                                                                "ffff::1", NODE_IP, *POD_IPS)}
    for text in NETWORKS:
        net = ipaddress.ip_network(text)
        for value in (int(net.network_address) - 1, int(net.network_address), int(net.broadcast_address),
                      int(net.broadcast_address) + 1):
            if 0 <= value < (1 << net.max_prefixlen):
                found.add(ipaddress.ip_address(value) if net.version == 4 else ipaddress.IPv6Address(value))
    return sorted(found, key=lambda a: (a.version, int(a)))


PROBES = probe_addresses()


def inside(address: IPAddress, ranges: tuple[str, ...]) -> bool:
    return any(address in ipaddress.ip_network(r) for r in ranges if ipaddress.ip_network(r).version == address.version)


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(clusters())
def test_coverage_and_exposure_agree_with_the_explained_engine(case: tuple[Cluster, tuple[Pod, ...]]) -> None:
    c, _ = case
    assert_coverage(c)
    assert_exposure(c)


def assert_exposure(c: Cluster) -> None:
    found = exposure(c)
    running = [p for p in c.pods if p.carries_traffic]
    for e in found.ports:
        statuses = {a: evaluate(c, End(ip=a), End(pod=e.pod), e.protocol, e.port).status for a in PROBES}
        for address, status in statuses.items():
            assert (status is Status.ALLOWED) == inside(address, e.ranges), (e.pod.key, e.port, address, status)
            assert (status is Status.UNKNOWN) == inside(address, e.unknown_ranges), (e.pod.key, e.port, address)
        if e.outside is Reach.ALL:
            assert set(statuses.values()) == {Status.ALLOWED}
        if e.outside is Reach.NONE:
            assert Status.ALLOWED not in statuses.values() and Status.UNKNOWN not in statuses.values()
        query = PortQuery(e.protocol, e.port)
        answers = [explain_direction(c.program, Side(e.pod, Direction.INGRESS, peer_view(c.index, End(pod=s)), query,
                                                     e.pod, c.index))[0].allowed for s in running]
        assert e.namespaces is reach_of(True in answers, None in answers, False in answers), e.pod.key
        by_ns: dict[str, list[bool | None]] = {}
        for s, answer in zip(running, answers, strict=True):
            by_ns.setdefault(s.namespace, []).append(answer)
        assert e.namespaces_admitted == sum(1 for v in by_ns.values() if all(a is True for a in v))
    assert {p.key for p in found.host_network} == {p.key for p in running if p.host_network}


def assert_coverage(c: Cluster) -> None:
    found = coverage(c)
    seen = 0
    for ns in found.namespaces:
        for p in ns.pods:
            seen += 1
            if not p.pod.carries_traffic:
                assert p.isolation is Isolation.NOT_RUNNING
                continue
            if p.pod.host_network:
                assert p.isolation is Isolation.HOST_NETWORK
                continue
            got = {Direction.INGRESS: p.ingress, Direction.EGRESS: p.egress}
            for direction in Direction:
                said = isolation(c.program, p.pod, direction, c.index)[0]
                if said is None and surely_selected(c, p.pod, direction):
                    said = True  # policies that could not be read cannot undo one that was read and selects it
                assert got[direction] == said, (p.pod.key, direction)
            ingress, egress = p.ingress, p.egress
            if ingress is None or egress is None:
                assert p.isolation is Isolation.UNKNOWN and p.why_unknown
    assert seen == len(c.pods)


def surely_selected(c: Cluster, target: Pod, direction: Direction) -> bool:
    tier = c.program.tier(Tier.NETWORK_POLICY)
    return tier is not None and any(direction in policy.directions and policy.subject.explain(target, c.index).selects
                                    is True for policy in tier.candidates(target.namespace))


def test_coverage_counts() -> None:
    c = cluster(namespace("a"), namespace("b"),
                pod("a", "x", {"app": "x"}, ips=["10.0.0.1"]), pod("a", "y", {"app": "y"}, ips=["10.0.0.2"]),
                pod("a", "z", {"app": "z"}, ips=["10.0.0.3"]), pod("b", "w", {"app": "w"}, ips=["10.0.0.4"]),
                pod("b", "pending", {"app": "w"}),
                netpol("a", "in", {"podSelector": {"matchLabels": {"app": "x"}}}),
                netpol("a", "both", {"podSelector": {"matchLabels": {"app": "y"}}, "policyTypes": ["Ingress", "Egress"]}),
                netpol("a", "out", {"podSelector": {"matchLabels": {"app": "z"}}, "policyTypes": ["Egress"]}))
    found = coverage(c)
    a, b = found.namespaces
    assert [a.count(s) for s in (Isolation.BOTH, Isolation.INGRESS, Isolation.EGRESS, Isolation.NEITHER)] == [1, 1, 1, 0]
    assert b.count(Isolation.NEITHER) == 1 and b.count(Isolation.NOT_RUNNING) == 1 and b.evaluated == 1
    assert found.evaluated == 4 and found.count(Isolation.NEITHER) == 1


def test_outside_ranges_follow_the_ip_block() -> None:
    c = cluster(namespace("a"), pod("a", "web", {"app": "web"}, ips=["10.0.0.1"], ports=[("http", 80, "TCP")]),
                netpol("a", "ext", {"podSelector": {}, "ingress": [
                    {"from": [{"ipBlock": {"cidr": "203.0.113.0/24", "except": ["203.0.113.128/25"]}}]}]}))
    (e,) = exposure(c).ports
    assert (e.port, e.outside, e.ranges) == (80, Reach.SOME, ("203.0.113.0/25",))
    assert e.namespaces is Reach.NONE and e.namespaces_admitted == 0
