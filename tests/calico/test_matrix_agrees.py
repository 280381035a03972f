"""Under the calico profile, the class-based matrix says exactly what `evaluate` says, pair by pair.

The small clusters of `scale.test_matrix_agrees` (NetworkPolicies, admin policies, gaps, host-network
and finished pods, IPv6) get Calico's own resources on top, built straight from the model: tiers with
and without order and Pass defaults, (global) network policies with every rule field the engine
evaluates (nets, notNets, selectors, notSelector, namespaceSelector, service accounts, ports, named
ports, protocols, Log and Pass, conditions on the pod's own end), network sets over pod and outside
addresses, and service accounts whose labels are read or not.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scale.test_matrix_agrees import NAMESPACES, NETWORKS, PORTS, assert_agrees, clusters

from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.dialects.calico_model import (
    CalicoKind,
    CalicoPolicy,
    CalicoPort,
    CalicoProtocol,
    CalicoResources,
    CalicoRule,
    CalicoTier,
    EntityRule,
    NetworkSet,
    RuleAction,
    ServiceAccount,
    ServiceAccountMatch,
)
from kubenet_tui.engine.dialects.calico_selector import parse
from kubenet_tui.engine.explain import Direction
from kubenet_tui.engine.model import Pod, Protocol, frozen_labels
from kubenet_tui.engine.profiles import Profile

SELECTORS = ('app == "web"', "has(tier)", 'app in {"web", "db"}', "!has(app)", 'tier != "front"',
             'pcns.env == "prod"', 'pcsa.role == "robot"', 'feed == "bad"', "all()",
             'projectcalico.org/namespace == "a"', 'app starts with "w"', 'app == "db" || v == "1"')
NS_SELECTORS = ('env == "prod"', "all()", "global()", 'team in {"x"}', 'projectcalico.org/name == "b"')
TIERS = ("default", "t1", "t2")

selectors = st.sampled_from(SELECTORS).map(parse)
networks = st.sampled_from(NETWORKS).map(ipaddress.ip_network)
protocols = st.sampled_from([CalicoProtocol("TCP", 6), CalicoProtocol("UDP", 17), CalicoProtocol("SCTP", 132),
                             CalicoProtocol("ICMP", 1)])
port_protocols = st.sampled_from([CalicoProtocol("TCP", 6), CalicoProtocol("UDP", 17), CalicoProtocol("SCTP", 132)])
ports = st.one_of(
    st.sampled_from([53, 80, 8080]).map(lambda n: CalicoPort(n, n)),
    st.sampled_from([(50, 90), (8000, 9000)]).map(lambda r: CalicoPort(*r)),
    st.sampled_from(["http", "dns", "metrics"]).map(lambda n: CalicoPort(name=n)),
)


@st.composite
def entities(draw: st.DrawFn, with_ports: bool) -> EntityRule:
    def maybe(strategy: st.SearchStrategy[object]) -> object:
        return draw(st.one_of(st.none(), strategy))

    accounts = maybe(st.builds(ServiceAccountMatch, st.lists(st.sampled_from(["default", "robot"]), max_size=1)
                               .map(tuple), st.one_of(st.none(), st.just(parse('role == "robot"')))))
    return EntityRule(
        nets=tuple(draw(st.lists(networks, max_size=1))),
        not_nets=tuple(draw(st.lists(networks, max_size=1))),
        selector=maybe(selectors),  # type: ignore[arg-type]
        not_selector=maybe(selectors),  # type: ignore[arg-type]
        namespace_selector=maybe(st.sampled_from(NS_SELECTORS).map(parse)),  # type: ignore[arg-type]
        service_accounts=accounts,  # type: ignore[arg-type]
        ports=tuple(draw(st.lists(ports, max_size=2))) if with_ports else (),
        not_ports=tuple(draw(st.lists(ports, max_size=1))) if with_ports else (),
    )


@st.composite
def calico_rules(draw: st.DrawFn) -> CalicoRule:
    action = draw(st.sampled_from(RuleAction))
    with_ports = draw(st.booleans())
    protocol = draw(port_protocols if with_ports else st.one_of(st.none(), protocols))
    ends = st.one_of(st.just(EntityRule()), entities(False))
    destination = draw(ends)
    if with_ports:
        numbered = draw(entities(True))
        destination = replace(destination, ports=numbered.ports, not_ports=numbered.not_ports)
    return CalicoRule(
        action,
        source=draw(ends),
        destination=destination,
        protocol=protocol,
        not_protocol=draw(st.one_of(st.none(), port_protocols)) if protocol is None else None,
        ip_version=draw(st.sampled_from([None, None, 4, 6])),
    )


@st.composite
def calico_policies(draw: st.DrawFn, name: str) -> CalicoPolicy:
    namespaced = draw(st.booleans())
    ingress = tuple(draw(st.lists(calico_rules(), max_size=3)))
    egress = tuple(draw(st.lists(calico_rules(), max_size=3)))
    types = draw(st.sampled_from([frozenset({Direction.INGRESS}), frozenset({Direction.EGRESS}), frozenset(Direction)]))
    return CalicoPolicy(
        CalicoKind.NETWORK_POLICY if namespaced else CalicoKind.GLOBAL_NETWORK_POLICY,
        draw(st.sampled_from(NAMESPACES)) if namespaced else None, name, draw(st.sampled_from(TIERS)),
        draw(st.sampled_from([None, 5.0, 999.0, 1000.0, 1001.0])), draw(selectors), types, ingress, egress,
        None if namespaced else draw(st.one_of(st.none(), st.sampled_from(NS_SELECTORS).map(parse))),
    )


@st.composite
def calico_clusters(draw: st.DrawFn) -> tuple[Cluster, tuple[Pod, ...]]:
    cluster, pods = draw(clusters())
    tiers = tuple(CalicoTier(name, draw(st.sampled_from([None, 100.0, 2_000_000.0])),
                             draw(st.sampled_from([RuleAction.DENY, RuleAction.PASS])))
                  for name in ("t1", "t2") if draw(st.booleans()))
    known_tiers = {"default", *(t.name for t in tiers)}
    policies = tuple(p for p in (draw(calico_policies(f"cp{i}")) for i in range(draw(st.integers(0, 4))))
                     if p.tier in known_tiers or draw(st.booleans()))
    sets = tuple(NetworkSet(draw(st.sampled_from([None, *NAMESPACES])), f"set{i}",
                            frozen_labels(draw(st.sampled_from([{"feed": "bad"}, {"app": "web"}, {}]))),
                            (draw(networks),)) for i in range(draw(st.integers(0, 2))))
    accounts = tuple(ServiceAccount(ns, "default", frozen_labels({"role": "robot"} if draw(st.booleans()) else {}))
                     for ns in NAMESPACES if draw(st.booleans()))
    resources = CalicoResources(tiers=tiers, policies=policies, network_sets=sets, service_accounts=accounts)
    return replace(cluster, calico=resources, profile_override=Profile.CALICO), pods


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(calico_clusters(), st.sampled_from(Protocol), st.sampled_from(PORTS))
def test_matrix_agrees_under_the_calico_profile(case: tuple[Cluster, tuple[Pod, ...]], protocol: Protocol,
                                                 port: int | None) -> None:
    cluster, pods = case
    assert cluster.program.profile is Profile.CALICO
    assert_agrees(cluster, pods, protocol, port)


def test_rows_are_not_shared_between_pods_an_own_end_condition_tells_apart() -> None:
    """Two pods alike but for their address, and a rule whose source (the pod itself, on egress) names
    one address: the same policies select both, yet their rows differ."""
    from engine.kit import pod

    from .kit import calico, gnp, rule

    cluster = calico(pod("x", "p1", {"app": "w"}, ips=["10.9.0.1"]), pod("x", "p2", {"app": "w"}, ips=["10.9.0.2"]),
                     gnp("own", types=["Egress"], egress=[rule("Deny", source={"nets": ["10.9.0.1/32"]}),
                                                          rule("Allow")]))
    pods = tuple(p for p in cluster.pods if p.key in ("x/p1", "x/p2", "x/a"))
    assert_agrees(cluster, pods, Protocol.TCP, 80)
