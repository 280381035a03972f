"""The class-based matrix says exactly what `evaluate` says, pair by pair.

`connectivity_matrix` groups pods into equivalence classes and evaluates the tiers as vectors; the
reference is `evaluate(...).status is Status.ALLOWED` for each ordered pair (blocked, unknown and
not-evaluated are all False). Two sources of clusters:

- the benchmark generator (a few hundred pods, several seeds): admin and baseline policies,
  host-network and Pending pods, ipBlocks over pod IPs, named ports whose numbers differ per pod,
  UDP and SCTP;
- hypothesis, building small clusters straight from the model so that the corners the generator
  never writes appear too: Pass chains, fail-closed peers, `nodes` peers, unreadable policies,
  namespaces, nodes and admin tiers (unknown verdicts), finished pods, IPv6, the same pod twice.
"""

from __future__ import annotations

import functools
import ipaddress
import random
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubenet_tui.engine.cluster import Cluster, Unreadable
from kubenet_tui.engine.evaluate import End, evaluate
from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.matrix import connectivity_matrix, matrix_pods
from kubenet_tui.engine.model import (
    NAMESPACE_NAME_LABEL,
    AdminAction,
    AdminPeer,
    AdminPolicy,
    AdminPort,
    AdminRule,
    AdminSubject,
    AdminTier,
    ContainerPort,
    IPBlock,
    LabelSelector,
    Namespace,
    NamespacedPods,
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    NetworkPolicyRule,
    Node,
    Operator,
    Pod,
    PodPhase,
    PolicyType,
    Protocol,
    Requirement,
    frozen_labels,
)
from scale.genkit import generator, load


def reference(cluster: Cluster, pods: Sequence[Pod], protocol: Protocol, port: int | None) -> list[list[bool]]:
    return [
        [evaluate(cluster, End(pod=s), End(pod=d), protocol, port).status is Status.ALLOWED for d in pods]
        for s in pods
    ]


def assert_agrees(cluster: Cluster, pods: tuple[Pod, ...], protocol: Protocol, port: int | None) -> None:
    result = connectivity_matrix(cluster, pods, protocol, port)
    expected = reference(cluster, pods, protocol, port)
    got = list(result.rows())
    wrong = [
        f"{pods[i].key} -> {pods[j].key}: matrix {got[i][j]}, evaluate {expected[i][j]}"
        for i in range(len(pods))
        for j in range(len(pods))
        if got[i][j] != expected[i][j]
    ]
    assert not wrong, f"{len(wrong)} pairs differ on {port}/{protocol.value}: " + "; ".join(wrong[:5])
    assert result.array().tolist() == expected
    assert result.count_allowed() == sum(map(sum, expected))
    assert sorted(result.blocked_pairs()) == [
        (i, j) for i in range(len(pods)) for j in range(len(pods)) if not expected[i][j]
    ]
    assert result.pod_keys == [p.key for p in pods]
    summary: dict[tuple[str, str], list[int]] = {}
    for i, src in enumerate(pods):
        for j, dst in enumerate(pods):
            counts = summary.setdefault((src.namespace, dst.namespace), [0, 0])
            counts[0] += expected[i][j]
            counts[1] += 1
    assert result.namespace_summary() == [(a, b, n, total) for (a, b), (n, total) in sorted(summary.items())]


# -- generated clusters ---------------------------------------------------------------------------

GENERATED_CASES = [
    (1, Protocol.TCP, 8080),
    (1, Protocol.UDP, 53),
    (2, Protocol.TCP, None),
    (2, Protocol.TCP, 9100),
    (3, Protocol.UDP, 8125),
    (3, Protocol.SCTP, 3868),
    (4, Protocol.TCP, 10250),
    (5, Protocol.TCP, 5432),
]


@functools.cache  # two cases share each seed
def _generated_sample(seed: int) -> tuple[Cluster, tuple[Pod, ...]]:
    """A 400-pod generated cluster and 48 of its pods: every host-network, Pending and finished
    pod, and a seeded sample of the rest (a full 400 x 400 reference takes too long per case)."""
    cluster = load(generator().generate(400, seed=seed))
    special = [p for p in cluster.pods if p.host_network or not p.carries_traffic]
    rest = [p for p in cluster.pods if p not in special]
    chosen = special + random.Random(seed).sample(rest, 48 - len(special))
    return cluster, tuple(sorted(chosen, key=lambda p: p.key))


@pytest.mark.parametrize(("seed", "protocol", "port"), GENERATED_CASES)
def test_generated_cluster(seed: int, protocol: Protocol, port: int | None) -> None:
    cluster, pods = _generated_sample(seed)
    assert any(p.host_network for p in pods) and any(not p.carries_traffic for p in pods)
    assert cluster.admin_policies
    assert_agrees(cluster, pods, protocol, port)


def test_generated_whole_namespace_with_matrix_pods() -> None:
    """As the CLI asks it: `matrix_pods` of two namespaces (only pods that carry traffic)."""
    cluster = load(generator().generate(300, seed=6))
    namespaces = {"kube-system", "monitoring", min(p.namespace for p in cluster.pods if "-" in p.namespace)}
    pods = matrix_pods(cluster, namespaces)
    assert all(p.carries_traffic for p in pods)
    assert_agrees(cluster, pods, Protocol.TCP, 9100)


# -- hypothesis: small clusters built from the model ---------------------------------------------

NAMESPACES = ("a", "b", "c")
POD_LABELS = {"app": ("web", "db"), "tier": ("front", "back"), "v": ("1",)}
NS_LABELS = {"env": ("prod", "dev"), "team": ("x", "y")}
POD_IPS = ("10.0.0.1", "10.0.0.2", "10.0.0.5", "10.0.1.7", "10.0.2.9", "fd00::1", "fd00::2:1", "192.168.0.9")
NODE_IP = "192.168.0.9"
NETWORKS = ("10.0.0.0/24", "10.0.0.0/30", "10.0.0.4/31", "10.0.0.0/16", "fd00::/64", "0.0.0.0/0", "192.168.0.0/24")
PORTS = (None, 80, 53, 8080, 9000)
# What RBAC or an old API server may hide: every kind of gap `evaluate` turns into unknown verdicts.
GAPS = (
    Unreadable("networkpolicies", "a", "forbidden"),
    Unreadable("namespaces", None, "forbidden"),
    Unreadable("namespaces", "b", "forbidden"),
    Unreadable("nodes", None, "forbidden"),
    Unreadable("adminnetworkpolicies", None, "forbidden"),
    Unreadable("clusternetworkpolicies", None, "not served by this API server"),
    Unreadable("baselineadminnetworkpolicies", None, "forbidden"),
)
NAMED = ("http", "dns", "metrics")


def labels_strategy(vocab: dict[str, tuple[str, ...]]) -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(st.sampled_from(sorted(vocab)), st.sampled_from(("web", "db", "front", "back", "1", "prod", "dev", "x", "y")), max_size=3)


def selector_strategy(vocab: dict[str, tuple[str, ...]]) -> st.SearchStrategy[LabelSelector]:
    keys = sorted(vocab)
    values = sorted({v for vs in vocab.values() for v in vs})
    requirement = st.one_of(
        st.builds(Requirement, st.sampled_from(keys), st.sampled_from([Operator.IN, Operator.NOT_IN]),
                  st.lists(st.sampled_from(values), min_size=1, max_size=2, unique=True).map(tuple)),
        st.builds(Requirement, st.sampled_from(keys), st.sampled_from([Operator.EXISTS, Operator.DOES_NOT_EXIST])),
    )
    return st.builds(
        LabelSelector,
        st.dictionaries(st.sampled_from(keys), st.sampled_from(values), max_size=2).map(lambda d: tuple(sorted(d.items()))),
        st.lists(requirement, max_size=2).map(tuple),
    )


networks = st.sampled_from(NETWORKS).map(lambda t: ipaddress.ip_network(t))


@st.composite
def ip_blocks(draw: st.DrawFn) -> IPBlock:
    cidr = draw(networks)
    holes = [n for n in map(ipaddress.ip_network, NETWORKS) if n.version == cidr.version and n != cidr and n.subnet_of(cidr)]  # type: ignore[arg-type]
    excepts = draw(st.lists(st.sampled_from(holes), max_size=2, unique=True)) if holes else []
    return IPBlock(cidr, tuple(excepts))


np_peers = st.one_of(
    st.builds(NetworkPolicyPeer, pod_selector=selector_strategy(POD_LABELS)),
    st.builds(NetworkPolicyPeer, namespace_selector=selector_strategy(NS_LABELS)),
    st.builds(NetworkPolicyPeer, pod_selector=selector_strategy(POD_LABELS), namespace_selector=selector_strategy(NS_LABELS)),
    st.builds(NetworkPolicyPeer, ip_block=ip_blocks()),
)


@st.composite
def np_ports(draw: st.DrawFn) -> NetworkPolicyPort:
    protocol = draw(st.sampled_from(Protocol))
    form = draw(st.sampled_from(["all", "number", "range", "named"]))
    if form == "all":
        return NetworkPolicyPort(protocol)
    if form == "named":
        return NetworkPolicyPort(protocol, draw(st.sampled_from(NAMED)))
    number = draw(st.sampled_from([53, 80, 8000, 8080]))
    if form == "range":
        return NetworkPolicyPort(protocol, number, number + draw(st.sampled_from([0, 10, 1000])))
    return NetworkPolicyPort(protocol, number)


np_rules = st.builds(
    NetworkPolicyRule, st.lists(np_peers, max_size=3).map(tuple), st.lists(np_ports(), max_size=2).map(tuple)
)


@st.composite
def network_policies(draw: st.DrawFn, name: str) -> NetworkPolicy:
    types = draw(st.sets(st.sampled_from(PolicyType), min_size=1))
    return NetworkPolicy(
        draw(st.sampled_from(NAMESPACES)), name, draw(selector_strategy(POD_LABELS)), frozenset(types),
        tuple(draw(st.lists(np_rules, max_size=3))), tuple(draw(st.lists(np_rules, max_size=3))),
    )


namespaced_pods = st.builds(NamespacedPods, selector_strategy(NS_LABELS), selector_strategy(POD_LABELS))
admin_peers = st.one_of(
    st.builds(AdminPeer, namespaces=selector_strategy(NS_LABELS)),
    st.builds(AdminPeer, pods=namespaced_pods),
    st.builds(AdminPeer, networks=st.lists(networks, min_size=1, max_size=2).map(tuple)),
    st.builds(AdminPeer, nodes=st.sampled_from([LabelSelector(), LabelSelector((("role", "worker"),))])),
    st.builds(AdminPeer, unknown=st.just("domainNames")),
)


@st.composite
def admin_ports(draw: st.DrawFn) -> AdminPort:
    form = draw(st.sampled_from(["all", "number", "range", "named"]))
    protocol = draw(st.sampled_from(Protocol))
    if form == "all":
        return AdminPort(protocol)
    if form == "named":
        return AdminPort(named_port=draw(st.sampled_from(NAMED)))
    number = draw(st.sampled_from([53, 80, 8080]))
    return AdminPort(protocol, number, number + 100 if form == "range" else None)


@st.composite
def admin_rules(draw: st.DrawFn, index: int, tier: AdminTier) -> AdminRule:
    action = draw(st.sampled_from(AdminAction))
    ports = draw(st.one_of(st.none(), st.lists(admin_ports(), min_size=1, max_size=2).map(tuple)))
    return AdminRule(f"r{index}", action, action.value, tuple(draw(st.lists(admin_peers, min_size=1, max_size=2))), ports)


@st.composite
def admin_policies(draw: st.DrawFn, name: str) -> AdminPolicy:
    tier = draw(st.sampled_from(AdminTier))
    subject = draw(st.one_of(
        st.builds(AdminSubject, namespaces=selector_strategy(NS_LABELS)),
        st.builds(AdminSubject, pods=namespaced_pods),
    ))
    ingress = tuple(draw(admin_rules(i, tier)) for i in range(draw(st.integers(0, 3))))
    egress = tuple(draw(admin_rules(i, tier)) for i in range(draw(st.integers(0, 3))))
    return AdminPolicy("ClusterNetworkPolicy", name, "v1alpha2", tier, draw(st.integers(0, 2)), subject, ingress, egress)


@st.composite
def pods_strategy(draw: st.DrawFn, name: str) -> Pod:
    phase = draw(st.sampled_from([PodPhase.RUNNING] * 6 + [PodPhase.PENDING, PodPhase.SUCCEEDED]))
    ips = () if phase is PodPhase.PENDING else tuple(
        ipaddress.ip_address(t) for t in draw(st.lists(st.sampled_from(POD_IPS), min_size=1, max_size=2, unique=True))
    )
    ports = tuple(
        ContainerPort(number, protocol, port_name)
        for port_name, number, protocol in draw(st.lists(st.tuples(
            st.sampled_from((*NAMED, None)), st.sampled_from([53, 80, 8080, 9000]), st.sampled_from(Protocol)
        ), max_size=3))
    )
    return Pod(
        draw(st.sampled_from(NAMESPACES)), name, frozen_labels(draw(labels_strategy(POD_LABELS))), ips, phase,
        draw(st.booleans()) if ips else False, ports,
    )


@st.composite
def clusters(draw: st.DrawFn) -> tuple[Cluster, tuple[Pod, ...]]:
    loaded = draw(st.lists(st.sampled_from(NAMESPACES), max_size=3, unique=True))
    namespaces = tuple(
        Namespace(n, frozen_labels({**draw(labels_strategy(NS_LABELS)), NAMESPACE_NAME_LABEL: n})) for n in sorted(loaded)
    )
    pods = tuple(draw(pods_strategy(f"p{i}")) for i in range(draw(st.integers(1, 7))))
    policies = tuple(draw(network_policies(f"np{i}")) for i in range(draw(st.integers(0, 4))))
    admins = tuple(draw(admin_policies(f"anp{i}")) for i in range(draw(st.integers(0, 3))))
    node = Node("node-1", frozen_labels({"role": draw(st.sampled_from(["worker", "master"]))}),
                (ipaddress.ip_address(NODE_IP),))
    unreadable = tuple(draw(st.lists(st.sampled_from(GAPS), max_size=2, unique=True))) if draw(st.booleans()) else ()
    cluster = Cluster(namespaces=namespaces, pods=pods, network_policies=policies, admin_policies=admins,
                      nodes=(node,), unreadable=unreadable)
    order = list(pods)
    if draw(st.booleans()):
        order.append(pods[0])  # the same pod twice: a loopback pair off the diagonal
    return cluster, tuple(order)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(clusters(), st.sampled_from(Protocol), st.sampled_from(PORTS))
def test_random_small_clusters(case: tuple[Cluster, tuple[Pod, ...]], protocol: Protocol, port: int | None) -> None:
    cluster, pods = case
    assert_agrees(cluster, pods, protocol, port)


def test_empty() -> None:
    result = connectivity_matrix(Cluster(), (), Protocol.TCP, 80)
    assert list(result.rows()) == [] and result.count_allowed() == 0 and result.pod_keys == []
