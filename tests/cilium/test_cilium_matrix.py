"""Under the cilium profile the class-based matrix says exactly what `evaluate` says, pair by pair.

Small clusters from hypothesis (the upstream property test's pods, namespaces, NetworkPolicies, admin
policies and gaps) plus Cilium policies of every form the engine reads: identity selectors on pod labels,
namespace labels, service accounts, filtered and reserved keys; entities; CIDR sets with excepts and
groups; toFQDNs, toServices, toNodes, explicitly empty lists; ports with ranges, ANY, named ports and L7;
deny and allow sections, enableDefaultDeny, specs, CCNPs and host policies. And the demo cluster.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace

import pytest
from glance.test_heatmap_engine import assert_heatmap
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scale.test_matrix_agrees import NAMESPACES, NETWORKS, PORTS, assert_agrees, clusters

from kubenet_tui.engine.cluster import Cluster, Unreadable
from kubenet_tui.engine.dialects.cilium_model import (
    CCNP_KIND,
    CNP_KIND,
    CIDRSet,
    CiliumCIDRGroup,
    CiliumPeerRule,
    CiliumPolicy,
    CiliumPort,
    CiliumPortRule,
    CiliumRule,
    L4Proto,
)
from kubenet_tui.engine.explain import Direction
from kubenet_tui.engine.matrix import matrix_pods
from kubenet_tui.engine.model import LabelSelector, Operator, Pod, Protocol, Requirement
from kubenet_tui.engine.profiles import Profile
from kubenet_tui.sources.demo import DemoSource

from .kit import cluster_of
from .test_cilium_semantics import CASES

CILIUM_KEYS: dict[str, tuple[str, ...]] = {
    "app": ("web", "db"),
    "k8s:tier": ("front", "back"),
    "io.kubernetes.pod.namespace": NAMESPACES,
    "k8s:io.cilium.k8s.namespace.labels.env": ("prod", "dev"),
    "io.cilium.k8s.namespace.labels.team": ("x",),
    "io.cilium.k8s.policy.serviceaccount": ("default", "robot"),
    "io.cilium.k8s.policy.cluster": ("default", "mesh-2"),
    "pod-template-hash": ("abc",),
    "reserved:host": ("",),
}


@st.composite
def cilium_selectors(draw: st.DrawFn) -> LabelSelector:
    # Often empty, so that rules overlap (a deny and an allow for the same peer).
    keys = [] if draw(st.booleans()) else draw(st.lists(st.sampled_from(sorted(CILIUM_KEYS)), max_size=2, unique=True))
    labels: list[tuple[str, str]] = []
    terms: list[Requirement] = []
    for key in keys:
        values = CILIUM_KEYS[key]
        form = draw(st.sampled_from(["label", "in", "notin", "exists", "absent"]))
        if form == "label":
            labels.append((key, draw(st.sampled_from(values))))
        elif form in ("in", "notin"):
            terms.append(Requirement(key, Operator.IN if form == "in" else Operator.NOT_IN,
                                     (draw(st.sampled_from(values)),)))
        else:
            terms.append(Requirement(key, Operator.EXISTS if form == "exists" else Operator.DOES_NOT_EXIST))
    return LabelSelector(tuple(sorted(labels)), tuple(terms))


@st.composite
def cilium_ports(draw: st.DrawFn) -> tuple[CiliumPortRule, ...] | None:
    if draw(st.integers(0, 2)):
        return None
    ports = []
    for _ in range(draw(st.integers(0, 2))):
        protocol = draw(st.sampled_from([L4Proto.ANY, L4Proto.TCP, L4Proto.UDP, L4Proto.ICMP]))
        number: int | str = draw(st.sampled_from([0, 53, 80, 8080, "http", "dns"]))
        end = draw(st.sampled_from([None, 90, 9000])) if isinstance(number, int) and number else None
        ports.append(CiliumPort(protocol, number, end))
    return (CiliumPortRule(tuple(ports), draw(st.sampled_from([None, "HTTP rules"]))),)


cidr_sets = st.one_of(
    st.builds(CIDRSet, st.sampled_from(NETWORKS).map(ipaddress.ip_network)),
    st.just(CIDRSet(ipaddress.ip_network("10.0.0.0/16"), (ipaddress.ip_network("10.0.0.0/30"),))),
    st.sampled_from([CIDRSet(None, (), "outside"), CIDRSet(None, (), "missing")]),
)


@st.composite
def peer_rules(draw: st.DrawFn) -> CiliumPeerRule:
    form = draw(st.sampled_from(["endpoints"] * 5 + ["entities"] * 2 + ["cidrs", "fqdns", "services", "nodes", "empty",
                                                                        "none"]))
    ports = draw(cilium_ports())
    kwargs: dict[str, object] = {"ports": ports, "icmps": ports is None and draw(st.booleans()) and False}
    if form == "endpoints":
        kwargs["endpoints"] = tuple(draw(st.lists(cilium_selectors(), min_size=1, max_size=2)))
    elif form == "entities":
        kwargs["entities"] = tuple(draw(st.lists(st.sampled_from(
            ["world", "cluster", "host", "remote-node", "all", "kube-apiserver", "health"]), min_size=1, max_size=2,
            unique=True)))
    elif form == "cidrs":
        kwargs["cidrs"] = tuple(draw(st.lists(cidr_sets, min_size=1, max_size=2)))
    elif form == "fqdns":
        kwargs["fqdns"] = ("example.com",)
    elif form == "services":
        kwargs["services"] = 1
    elif form == "nodes":
        kwargs["nodes"] = (LabelSelector(),)
    elif form == "empty":
        kwargs["empty"] = "toEndpoints"
    return CiliumPeerRule(**kwargs)  # type: ignore[arg-type]


@st.composite
def cilium_rules(draw: st.DrawFn, index: int | None) -> CiliumRule:
    host = draw(st.integers(0, 9)) == 0
    lists = [tuple(draw(st.lists(peer_rules(), max_size=2))) for _ in range(4)]
    default = tuple((d, draw(st.booleans())) for d in Direction if draw(st.booleans()))
    selector = draw(cilium_selectors())
    return CiliumRule(index, None if host else selector, selector if host else None, *lists, default)


@st.composite
def cilium_policies(draw: st.DrawFn, name: str) -> CiliumPolicy:
    clusterwide = draw(st.booleans())
    multi = draw(st.booleans())
    rules = tuple(draw(cilium_rules(i if multi else None)) for i in range(draw(st.integers(1, 2)) if multi else 1))
    if not clusterwide:
        rules = tuple(replace(r, endpoint_selector=r.endpoint_selector or LabelSelector(), node_selector=None)
                      for r in rules)
    return CiliumPolicy(CCNP_KIND if clusterwide else CNP_KIND, None if clusterwide else draw(st.sampled_from(NAMESPACES)),
                        name, rules, multi)


CILIUM_GAPS = (
    Unreadable("ciliumnetworkpolicies", "a", "forbidden"),
    Unreadable("ciliumclusterwidenetworkpolicies", None, "forbidden"),
    Unreadable("ciliumcidrgroups", None, "forbidden"),
)


@st.composite
def cilium_clusters(draw: st.DrawFn) -> tuple[Cluster, tuple[Pod, ...]]:
    cluster, pods = draw(clusters())
    if draw(st.booleans()):  # Cilium policies alone, over readable data: they decide more pairs
        cluster = replace(cluster, admin_policies=(), network_policies=(), unreadable=())
    accounts = {p.key: draw(st.sampled_from(["default", "robot"])) for p in cluster.pods}
    renamed = {p.key: replace(p, service_account=accounts[p.key], node_name=draw(st.sampled_from([None, "node-1"])))
               for p in cluster.pods}
    policies = tuple(draw(cilium_policies(f"cnp{i}")) for i in range(draw(st.integers(1, 3))))
    gaps = tuple(draw(st.lists(st.sampled_from(CILIUM_GAPS), max_size=1)))
    groups = (CiliumCIDRGroup("outside", (ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("8.8.8.0/24"))),)
    cluster = replace(cluster, pods=tuple(renamed[p.key] for p in cluster.pods), cilium_policies=policies,
                      cilium_cidr_groups=groups, unreadable=cluster.unreadable + gaps, profile_override=Profile.CILIUM)
    return cluster, tuple(renamed[p.key] for p in pods)


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(cilium_clusters(), st.sampled_from(Protocol), st.sampled_from(PORTS))
def test_random_small_cilium_clusters(case: tuple[Cluster, tuple[Pod, ...]], protocol: Protocol,
                                      port: int | None) -> None:
    cluster, pods = case
    assert cluster.profile is Profile.CILIUM
    assert_agrees(cluster, pods, protocol, port)


@pytest.mark.parametrize(("policies", "protocol", "port"), [(c[1], c[5], c[4]) for c in CASES],
                         ids=[c[0] for c in CASES])
def test_semantics_cases_matrix_agrees(policies: str, protocol: Protocol, port: str | None) -> None:
    """Every cluster of the semantics table, every pair of its pods, on the case's port."""
    cluster = cluster_of(policies)
    number = int(port) if port is not None and port.isdigit() else None
    assert_agrees(cluster, matrix_pods(cluster), protocol, number)


def test_demo_matrix_agrees() -> None:
    cluster = DemoSource("cilium").load().cluster
    pods = matrix_pods(cluster)
    for protocol, port in ((Protocol.TCP, 8080), (Protocol.TCP, 5432), (Protocol.UDP, 53), (Protocol.TCP, None),
                           (Protocol.TCP, 8443)):
        assert_agrees(cluster, pods, protocol, port)


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(cilium_clusters(), st.sampled_from(Protocol), st.sampled_from(PORTS))
def test_unknown_pairs_are_counted_apart_under_cilium(case: tuple[Cluster, tuple[Pod, ...]], protocol: Protocol,
                                                      port: int | None) -> None:
    """The deny-wins mode's row face keeps what the explained face calls unknown: the heatmap's
    allowed and unknown counts are `evaluate`'s, pair by pair."""
    cluster, pods = case
    assert_heatmap(cluster, pods, protocol, port)
