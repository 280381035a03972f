"""Property-based tests (hypothesis) of the NetworkPolicy engine on random policies over the e2e topology.

- The engine agrees with `reference_allowed`, a deliberately naive reading of SEMANTICS.md section 3
  written here from the API reference and working on the raw manifests (no engine code involved).
- The verdict is the AND of both directions.
- A pod that no policy of a direction selects allows everything in that direction.
- `connectivity_matrix` agrees with `evaluate` on every pair, also with host-network, Pending and finished pods.

Random policies come from small pools of selectors, peers and ports chosen to hit the subtle cases: `{}`
vs absent, both selectors vs one, NotIn/DoesNotExist on missing keys, ipBlock excepts over pod IPs
(IPv4 and IPv6), named ports whose number differs per pod, endPort ranges, protocol-only entries,
policyTypes absent with `egress: []`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.kit import cluster, namespace, netpol, pod
from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.evaluate import End, evaluate
from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.matrix import connectivity_matrix, matrix_pods
from kubenet_tui.engine.model import NAMESPACE_NAME_LABEL, Protocol

Manifest = dict[str, Any]
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- the world: e2e-like, with labels and named ports that differ between pods -----------------------

NAMESPACE_LABELS = {"x": {"ns": "x", "env": "prod"}, "y": {"ns": "y", "env": "prod"}, "z": {"ns": "z"}}
POD_LABELS = {"a": {"pod": "a", "tier": "web"}, "b": {"pod": "b", "tier": "db"}, "c": {"pod": "c"}}
NAMED_PORTS = {  # c serves its "serve-80-tcp" on 8080 and names no UDP port
    "a": [("serve-80-tcp", 80, "TCP"), ("serve-81-tcp", 81, "TCP"), ("serve-80-udp", 80, "UDP"), ("serve-81-udp", 81, "UDP")],
    "b": [("serve-80-tcp", 80, "TCP"), ("serve-81-tcp", 81, "TCP"), ("serve-80-udp", 80, "UDP"), ("serve-81-udp", 81, "UDP")],
    "c": [("serve-80-tcp", 8080, "TCP"), (None, 81, "TCP"), (None, 80, "UDP")],
}
KEYS = tuple(f"{ns}/{p}" for ns in NAMESPACE_LABELS for p in POD_LABELS)


def pod_ips(key: str) -> list[str]:
    ns, name = key.split("/")
    n, m = "xyz".index(ns) + 1, "abc".index(name) + 1
    return [f"10.{n}.0.{m}", f"fd00:{n}::{m}"]


def world_objects() -> list[Manifest]:
    objects: list[Manifest] = [namespace(ns, labels) for ns, labels in NAMESPACE_LABELS.items()]
    for key in KEYS:
        ns, name = key.split("/")
        objects.append(pod(ns, name, POD_LABELS[name], ips=pod_ips(key), ports=NAMED_PORTS[name]))
    return objects


# -- random policies ----------------------------------------------------------------------------------

SELECTORS: list[dict[str, Any]] = [
    {},
    {"matchLabels": {"pod": "a"}},
    {"matchLabels": {"tier": "db"}},
    {"matchLabels": {"ns": "y"}},
    {"matchLabels": {"env": "prod"}},
    {"matchLabels": {NAMESPACE_NAME_LABEL: "z"}},
    {"matchExpressions": [{"key": "pod", "operator": "In", "values": ["a", "c"]}]},
    {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]},
    {"matchExpressions": [{"key": "tier", "operator": "Exists"}]},
    {"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]},
    {"matchExpressions": [{"key": "env", "operator": "DoesNotExist"}]},
    {"matchExpressions": [{"key": "ns", "operator": "NotIn", "values": ["x"]}]},
    {"matchLabels": {"pod": "b"}, "matchExpressions": [{"key": "ns", "operator": "In", "values": ["y", "z"]}]},
]
IP_BLOCKS: list[dict[str, Any]] = [
    {"cidr": "10.0.0.0/8"},
    {"cidr": "10.2.0.0/16", "except": ["10.2.0.2/32"]},
    {"cidr": "10.1.0.1/32"},
    {"cidr": "0.0.0.0/0", "except": ["10.3.0.0/16", "10.1.0.0/30"]},
    {"cidr": "fd00:3::/32", "except": ["fd00:3::3/128"]},
    {"cidr": "192.168.0.0/16"},
]
PORTS: list[dict[str, Any]] = [
    {"port": 80},
    {"port": 81, "protocol": "UDP"},
    {"protocol": "UDP"},
    {"protocol": "SCTP"},
    {},
    {"port": "serve-80-tcp"},
    {"port": "serve-81-udp", "protocol": "UDP"},
    {"port": "serve-80-tcp", "protocol": "TCP"},
    {"port": 80, "endPort": 81},
    {"port": 81, "endPort": 8080},
    {"port": 8080},
]

selectors = st.sampled_from(SELECTORS)
peers = st.one_of(
    st.builds(lambda s: {"podSelector": s}, selectors),
    st.builds(lambda s: {"namespaceSelector": s}, selectors),
    st.builds(lambda p, n: {"podSelector": p, "namespaceSelector": n}, selectors, selectors),
    st.builds(lambda b: {"ipBlock": b}, st.sampled_from(IP_BLOCKS)),
)


def optional_list(elements: st.SearchStrategy[Any], max_size: int = 2) -> st.SearchStrategy[Any]:
    """None (field absent), [] or a short list."""
    return st.none() | st.just([]) | st.lists(elements, min_size=1, max_size=max_size)


@st.composite
def rules(draw: st.DrawFn, peer_key: str) -> dict[str, Any]:
    rule: dict[str, Any] = {}
    chosen_peers = draw(optional_list(peers))
    if chosen_peers is not None:
        rule[peer_key] = chosen_peers
    chosen_ports = draw(optional_list(st.sampled_from(PORTS)))
    if chosen_ports is not None:
        rule["ports"] = chosen_ports
    return rule


@st.composite
def policy_specs(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": draw(selectors)}
    types = draw(st.sampled_from([None, ["Ingress"], ["Egress"], ["Ingress", "Egress"]]))
    if types is not None:
        spec["policyTypes"] = types
    for direction, peer_key in (("ingress", "from"), ("egress", "to")):
        chosen = draw(optional_list(rules(peer_key)))
        if chosen is not None:
            spec[direction] = chosen
    return spec


policy_sets = st.lists(st.tuples(st.sampled_from(["x", "y", "z"]), policy_specs()), min_size=1, max_size=4).map(
    lambda specs: [netpol(ns, f"p{i}", spec) for i, (ns, spec) in enumerate(specs)]
)
queries = st.sampled_from([(80, "TCP"), (81, "TCP"), (8080, "TCP"), (80, "UDP"), (81, "UDP"), (81, "SCTP")])


# -- the reference reading of the API ---------------------------------------------------------------


def ref_selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for req in selector.get("matchExpressions", []):
        key, op, values = req["key"], req["operator"], req.get("values", [])
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def ref_policy_types(spec: Mapping[str, Any]) -> set[str]:
    if spec.get("policyTypes"):
        return set(spec["policyTypes"])
    return {"Ingress"} | ({"Egress"} if spec.get("egress") else set())


def ref_peer_matches(peer: Mapping[str, Any], other: str, policy_namespace: str) -> bool:
    if "ipBlock" in peer:
        block = peer["ipBlock"]
        cidr = ipaddress.ip_network(block["cidr"])
        holes = [ipaddress.ip_network(e) for e in block.get("except", [])]
        return any(
            ip.version == cidr.version and ip in cidr and not any(ip in h for h in holes)  # type: ignore[operator]
            for ip in map(ipaddress.ip_address, pod_ips(other))
        )
    ns, name = other.split("/")
    if "namespaceSelector" in peer:
        ns_ok = ref_selects(peer["namespaceSelector"], {**NAMESPACE_LABELS[ns], NAMESPACE_NAME_LABEL: ns})
    else:
        ns_ok = ns == policy_namespace
    pod_ok = ref_selects(peer["podSelector"], POD_LABELS[name]) if "podSelector" in peer else True
    return ns_ok and pod_ok


def ref_port_matches(entry: Mapping[str, Any], port: int, protocol: str, destination: str) -> bool:
    if entry.get("protocol", "TCP") != protocol:
        return False
    wanted = entry.get("port")
    if wanted is None:
        return True
    if isinstance(wanted, str):
        named = [n for (name, n, proto) in NAMED_PORTS[destination.split("/")[1]] if name == wanted and proto == protocol]
        return port in named[:1]
    return bool(wanted <= port <= entry.get("endPort", wanted))


def ref_policies_selecting(policies: Sequence[Manifest], key: str, policy_type: str) -> list[Manifest]:
    ns, name = key.split("/")
    return [p for p in policies if p["metadata"]["namespace"] == ns and policy_type in ref_policy_types(p["spec"])
            and ref_selects(p["spec"].get("podSelector", {}), POD_LABELS[name])]


def ref_direction_allows(policies: Sequence[Manifest], key: str, policy_type: str, other: str, port: int,
                         protocol: str, destination: str) -> bool:
    selecting = ref_policies_selecting(policies, key, policy_type)
    if not selecting:
        return True
    rules_key, peer_key = ("ingress", "from") if policy_type == "Ingress" else ("egress", "to")
    for policy in selecting:
        for rule in policy["spec"].get(rules_key) or []:
            peer_ok = not rule.get(peer_key) or any(
                ref_peer_matches(p, other, policy["metadata"]["namespace"]) for p in rule[peer_key])
            port_ok = not rule.get("ports") or any(ref_port_matches(p, port, protocol, destination) for p in rule["ports"])
            if peer_ok and port_ok:
                return True
    return False


def reference_allowed(policies: Sequence[Manifest], source: str, destination: str, port: int, protocol: str) -> bool:
    if source == destination:
        return True
    return ref_direction_allows(policies, source, "Egress", destination, port, protocol, destination) and \
        ref_direction_allows(policies, destination, "Ingress", source, port, protocol, destination)


# -- properties ---------------------------------------------------------------------------------------


def verdict(c: Cluster, source: str, destination: str, port: int | None, protocol: str) -> Any:
    pods = c.index.pods_by_key
    return evaluate(c, End(pod=pods[source]), End(pod=pods[destination]), Protocol(protocol), port)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy_sets, st.lists(queries, min_size=1, max_size=3, unique=True))
def test_engine_agrees_with_the_reference_reading(policies: list[Manifest], probes: list[tuple[int, str]]) -> None:
    c = cluster(world_objects(), policies)
    for port, protocol in probes:
        for source in KEYS:
            for destination in KEYS:
                expected = reference_allowed(policies, source, destination, port, protocol)
                v = verdict(c, source, destination, port, protocol)
                assert v.allowed is expected, f"{source} -> {destination} on {port}/{protocol}: {v.summary}"


@SETTINGS
@given(policy_sets, queries)
def test_verdict_is_the_and_of_both_directions(policies: list[Manifest], query: tuple[int, str]) -> None:
    c = cluster(world_objects(), policies)
    for source in KEYS:
        for destination in KEYS:
            if source == destination:
                continue
            v = verdict(c, source, destination, *query)
            assert v.egress.allowed is not None and v.ingress.allowed is not None
            assert v.allowed is (v.egress.allowed and v.ingress.allowed)
            assert (v.status is Status.BLOCKED) is (not v.egress.allowed or not v.ingress.allowed)


@SETTINGS
@given(policy_sets, queries)
def test_a_pod_no_policy_selects_allows_everything_in_that_direction(policies: list[Manifest],
                                                                      query: tuple[int, str]) -> None:
    c = cluster(world_objects(), policies)
    for key in KEYS:
        free_egress = not ref_policies_selecting(policies, key, "Egress")
        free_ingress = not ref_policies_selecting(policies, key, "Ingress")
        for other in KEYS:
            if other == key:
                continue
            if free_egress:
                out = verdict(c, key, other, *query)
                assert out.egress.allowed is True and out.egress.isolated is False
                assert out.egress.isolating_policies == ()
            if free_ingress:
                into = verdict(c, other, key, *query)
                assert into.ingress.allowed is True and into.ingress.isolated is False
            if free_egress and free_ingress:  # ... and for every port, including the "every port" question
                assert verdict(c, key, other, None, query[1]).egress.allowed is True


def special_pods() -> list[Manifest]:
    return [
        pod("x", "host", {"pod": "a"}, ips=["192.168.0.10"], host_network=True),
        pod("y", "pending", {"pod": "b"}, phase="Pending"),
        pod("z", "done", {"pod": "c"}, ips=["10.3.0.99"], phase="Succeeded"),
        pod("z", "v6only", {"pod": "a", "tier": "db"}, ips=["fd00:3::99"], ports=[("serve-80-tcp", 80, "TCP")]),
    ]


@SETTINGS
@given(policy_sets, queries)
def test_matrix_agrees_with_check_on_every_pair(policies: list[Manifest], query: tuple[int, str]) -> None:
    c = cluster(world_objects(), special_pods(), policies)
    port, protocol = query
    pods = matrix_pods(c)
    assert [p.key for p in pods] == sorted((p.key for p in c.pods if p.carries_traffic),
                                           key=lambda k: tuple(k.split("/")))
    result = connectivity_matrix(c, pods, Protocol(protocol), port)
    for i, row in enumerate(result.rows()):
        for j, cell in enumerate(row):
            expected = evaluate(c, End(pod=pods[i]), End(pod=pods[j]), Protocol(protocol), port).status is Status.ALLOWED
            assert cell is expected, f"{pods[i].key} -> {pods[j].key} on {port}/{protocol}"


def test_reference_reading_itself_on_known_cases() -> None:
    # the oracle must be right before it judges the engine: a few cells worked out by hand
    deny_x = [netpol("x", "deny", {"podSelector": {}})]
    assert reference_allowed(deny_x, "y/a", "x/b", 80, "TCP") is False
    assert reference_allowed(deny_x, "x/a", "y/b", 80, "TCP") is True
    named = [netpol("z", "named", {"podSelector": {}, "ingress": [{"ports": [{"port": "serve-80-tcp"}]}]})]
    assert reference_allowed(named, "x/a", "z/c", 8080, "TCP") is True  # c names 8080 serve-80-tcp
    assert reference_allowed(named, "x/a", "z/c", 80, "TCP") is False
    assert reference_allowed(named, "x/a", "z/a", 80, "TCP") is True
    egress_empty = [netpol("x", "p", {"podSelector": {}, "egress": []})]
    assert reference_allowed(egress_empty, "x/a", "y/a", 80, "TCP") is True
    assert reference_allowed(egress_empty, "y/a", "x/a", 80, "TCP") is False
    except_y_b = [netpol("x", "p", {"podSelector": {}, "policyTypes": ["Egress"],
                                    "egress": [{"to": [{"ipBlock": IP_BLOCKS[1]}]}]})]
    assert reference_allowed(except_y_b, "x/a", "y/a", 80, "TCP") is True
    assert reference_allowed(except_y_b, "x/a", "y/b", 80, "TCP") is False
    assert reference_allowed(except_y_b, "x/a", "z/a", 80, "TCP") is False
