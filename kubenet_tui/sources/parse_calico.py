"""Calico objects (projectcalico.org/v3, and the crd.projectcalico.org/v1 CRDs that carry the same
specs) into the frozen Calico model, validated the way Calico's API validates them.

An invalid object raises `Invalid` with the field and the reason (selectors with the column where
they stop parsing); the collector reports it and keeps what can still be told of it, so verdicts it
could touch are unknown.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping
from typing import Any

from kubenet_tui.engine.dialects.calico_model import (
    PROTOCOL_NUMBERS,
    CalicoInvalid,
    CalicoKind,
    CalicoPolicy,
    CalicoPort,
    CalicoProtocol,
    CalicoRule,
    CalicoTier,
    EntityRule,
    HostEndpoint,
    NetworkSet,
    RuleAction,
    ServiceAccount,
    ServiceAccountMatch,
    ServiceMatch,
    StagedAction,
    StagedKubernetesPolicy,
)
from kubenet_tui.engine.dialects.calico_selector import Selector, SelectorError, parse
from kubenet_tui.engine.explain import Direction
from kubenet_tui.engine.model import IPAddress, IPNetwork, frozen_labels
from kubenet_tui.sources.validate import Invalid, labels_of, list_of, manifest_of, map_of, metadata_of, parse_ip

CALICO_VERSIONS = {"projectcalico.org": frozenset({"v3"}), "crd.projectcalico.org": frozenset({"v1"})}
CALICO_KINDS = frozenset({
    "Tier", "NetworkPolicy", "GlobalNetworkPolicy", "NetworkSet", "GlobalNetworkSet", "HostEndpoint",
    "StagedNetworkPolicy", "StagedGlobalNetworkPolicy", "StagedKubernetesNetworkPolicy",
})
POLICY_KINDS = {
    "NetworkPolicy": CalicoKind.NETWORK_POLICY,
    "GlobalNetworkPolicy": CalicoKind.GLOBAL_NETWORK_POLICY,
    "StagedNetworkPolicy": CalicoKind.STAGED_NETWORK_POLICY,
    "StagedGlobalNetworkPolicy": CalicoKind.STAGED_GLOBAL_NETWORK_POLICY,
}
NAMESPACED_KINDS = frozenset({"NetworkPolicy", "NetworkSet", "StagedNetworkPolicy", "StagedKubernetesNetworkPolicy"})

_COMMON_SPEC = {"tier", "order", "selector", "types", "ingress", "egress", "serviceAccountSelector",
                "performanceHints"}
_GLOBAL_SPEC = {"namespaceSelector", "doNotTrack", "preDNAT", "applyOnForward"}
_RULE_FIELDS = {"action", "ipVersion", "protocol", "notProtocol", "icmp", "notICMP", "source", "destination",
                "http", "metadata"}
_ENTITY_FIELDS = {"nets", "notNets", "selector", "notSelector", "namespaceSelector", "serviceAccounts",
                  "services", "ports", "notPorts"}
_PROTOCOL_NAMES = {"tcp": "TCP", "udp": "UDP", "icmp": "ICMP", "icmpv6": "ICMPv6", "sctp": "SCTP",
                   "udplite": "UDPLite"}
_PORT_PROTOCOLS = {6, 17, 132}


# -- fields ------------------------------------------------------------------------------------------


def parse_calico_selector(value: Any, where: str) -> Selector | None:
    """A selector field: absent or empty is None (the field is not written)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid(f"{where} must be a selector string, not {type(value).__name__}")
    if not value.strip():
        return None
    try:
        return parse(value)
    except SelectorError as exc:
        raise Invalid(f"{where}: {exc.message} at column {exc.position + 1} of {value!r}") from None


def _order(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Invalid(f"{where} must be a number, not {value!r}")
    return float(value)


def _protocol(value: Any, where: str) -> CalicoProtocol | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise Invalid(f"{where} must be a protocol name or number")
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        number = int(value)
        if not 1 <= number <= 255:
            raise Invalid(f"{where} {number} is out of range (1-255)")
        return CalicoProtocol(str(number), number)
    if isinstance(value, str) and value.lower() in _PROTOCOL_NAMES:
        name = _PROTOCOL_NAMES[value.lower()]
        return CalicoProtocol(name, PROTOCOL_NUMBERS[name.upper()])
    raise Invalid(f"{where}: unknown protocol {value!r} (TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or 1-255)")


def _port(value: Any, where: str) -> CalicoPort:
    if isinstance(value, bool):
        raise Invalid(f"{where} must be a port, a range or a port name")
    if isinstance(value, int):
        if not 0 <= value <= 65535:
            raise Invalid(f"{where} {value} is out of range (0-65535)")
        return CalicoPort(value, value)
    if not isinstance(value, str) or not value:
        raise Invalid(f"{where} must be a port, a range such as \"80:90\", or a port name")
    if ":" in value:
        low, _, high = value.partition(":")
        if not (low.isdigit() and high.isdigit()):
            raise Invalid(f"{where} {value!r} is not a port range (\"80:90\")")
        start, end = int(low), int(high)
        if not (0 <= start <= end <= 65535):
            raise Invalid(f"{where} {value!r} is not a valid range (0-65535, first port first)")
        return CalicoPort(start, end)
    if value.isdigit():
        return _port(int(value), where)
    if not all(c.isalnum() or c in "-_" for c in value):
        raise Invalid(f"{where} {value!r} is not a valid port name")
    return CalicoPort(name=value)


def _ports(value: Any, where: str) -> tuple[CalicoPort, ...]:
    return tuple(_port(p, f"{where}[{i}]") for i, p in enumerate(list_of(value, where)))


def _net(value: Any, where: str) -> IPNetwork:
    """A CIDR, or a bare address (Calico reads it as /32 or /128)."""
    if not isinstance(value, str):
        raise Invalid(f"{where} must be a CIDR string")
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise Invalid(f"{where} {value!r} is not a valid CIDR or address") from None


def _nets(value: Any, where: str) -> tuple[IPNetwork, ...]:
    return tuple(_net(n, f"{where}[{i}]") for i, n in enumerate(list_of(value, where)))


def _entity(value: Any, where: str, global_policy: bool) -> EntityRule:
    raw = map_of(value, where)
    unknown = sorted(set(raw) - _ENTITY_FIELDS)
    if unknown:
        raise Invalid(f"{where} has unknown field(s) {', '.join(unknown)}")
    accounts = None
    if raw.get("serviceAccounts") is not None:
        sa = map_of(raw["serviceAccounts"], f"{where}.serviceAccounts")
        extra = sorted(set(sa) - {"names", "selector"})
        if extra:
            raise Invalid(f"{where}.serviceAccounts has unknown field(s) {', '.join(extra)}")
        names = list_of(sa.get("names"), f"{where}.serviceAccounts.names")
        if any(not isinstance(n, str) or not n for n in names):
            raise Invalid(f"{where}.serviceAccounts.names must be non-empty strings")
        accounts = ServiceAccountMatch(tuple(names),
                                       parse_calico_selector(sa.get("selector"), f"{where}.serviceAccounts.selector"))
    services = None
    if raw.get("services") is not None:
        svc = map_of(raw["services"], f"{where}.services")
        name = svc.get("name")
        if not isinstance(name, str) or not name:
            raise Invalid(f"{where}.services.name is required")
        namespace = svc.get("namespace")
        if namespace is not None and not isinstance(namespace, str):
            raise Invalid(f"{where}.services.namespace must be a string")
        if global_policy and not namespace:
            raise Invalid(f"{where}.services.namespace is required in a global policy")
        services = ServiceMatch(name, namespace or None)
        clash = sorted(k for k in ("selector", "notSelector", "namespaceSelector", "nets", "notNets",
                                   "serviceAccounts") if raw.get(k))
        if clash:
            raise Invalid(f"{where}.services cannot be combined with {', '.join(clash)}")
    return EntityRule(
        nets=_nets(raw.get("nets"), f"{where}.nets"),
        not_nets=_nets(raw.get("notNets"), f"{where}.notNets"),
        selector=parse_calico_selector(raw.get("selector"), f"{where}.selector"),
        not_selector=parse_calico_selector(raw.get("notSelector"), f"{where}.notSelector"),
        namespace_selector=parse_calico_selector(raw.get("namespaceSelector"), f"{where}.namespaceSelector"),
        service_accounts=accounts,
        services=services,
        ports=_ports(raw.get("ports"), f"{where}.ports"),
        not_ports=_ports(raw.get("notPorts"), f"{where}.notPorts"),
    )


def _rule(value: Any, where: str, direction: Direction, global_policy: bool) -> CalicoRule:
    raw = map_of(value, where)
    action_text = raw.get("action")
    try:
        action = RuleAction(str(action_text))
    except ValueError:
        raise Invalid(f"{where}.action {action_text!r} is not one of Allow, Deny, Log, Pass") from None
    ip_version = raw.get("ipVersion")
    if ip_version is not None and ip_version not in (4, 6):
        raise Invalid(f"{where}.ipVersion must be 4 or 6, not {ip_version!r}")
    protocol = _protocol(raw.get("protocol"), f"{where}.protocol")
    not_protocol = _protocol(raw.get("notProtocol"), f"{where}.notProtocol")
    source = _entity(raw.get("source"), f"{where}.source", global_policy)
    destination = _entity(raw.get("destination"), f"{where}.destination", global_policy)
    for side, entity in (("source", source), ("destination", destination)):
        if (entity.ports or entity.not_ports) and (protocol is None or protocol.number not in _PORT_PROTOCOLS):
            raise Invalid(f"{where}.{side}: ports need the rule's protocol to be TCP, UDP or SCTP")
        if ip_version is not None and any(n.version != ip_version for n in (*entity.nets, *entity.not_nets)):
            raise Invalid(f"{where}.{side}: nets of another IP version than ipVersion {ip_version}")
    # validator.go: Services only as the source of an ingress rule or the destination of an egress
    # rule, and a destination Service brings its own ports.
    if direction is Direction.EGRESS and source.services is not None:
        raise Invalid(f"{where}.source.services: Services are only allowed in the destination of egress rules")
    if direction is Direction.INGRESS and destination.services is not None:
        raise Invalid(f"{where}.destination.services: Services are only allowed in the source of ingress rules")
    if destination.services is not None and (destination.ports or destination.not_ports):
        raise Invalid(f"{where}.destination: ports cannot be combined with services (the Service's ports apply)")
    icmp = raw.get("icmp") is not None or raw.get("notICMP") is not None
    if raw.get("icmp") is not None and (protocol is None or protocol.number not in (1, 58)):
        raise Invalid(f"{where}.icmp needs protocol ICMP or ICMPv6")
    name = None
    metadata = raw.get("metadata")
    if isinstance(metadata, Mapping):
        annotations = metadata.get("annotations")
        if isinstance(annotations, Mapping) and isinstance(annotations.get("name"), str):
            name = annotations["name"]
    return CalicoRule(action, source, destination, protocol, not_protocol, ip_version if ip_version else None,
                      icmp and protocol is not None and protocol.number in (1, 58), raw.get("http") is not None,
                      name, tuple(sorted(map(str, set(raw) - _RULE_FIELDS))))


def _types(value: Any, ingress: bool, egress: bool) -> frozenset[Direction]:
    types = list_of(value, "spec.types")
    found: set[Direction] = set()
    for t in types:
        if t not in ("Ingress", "Egress"):
            raise Invalid(f"spec.types: unknown type {t!r} (Ingress or Egress)")
        found.add(Direction(t.lower()))
    if found:
        return frozenset(found)
    # Calico's defaulting: Ingress, unless there are egress rules and no ingress rules (Egress), or both.
    if egress and not ingress:
        return frozenset({Direction.EGRESS})
    if egress:
        return frozenset(Direction)
    return frozenset({Direction.INGRESS})


def _flag(spec: Mapping[str, Any], key: str) -> bool:
    value = spec.get(key, False)
    if not isinstance(value, bool):
        raise Invalid(f"spec.{key} must be true or false")
    return value


# -- objects -----------------------------------------------------------------------------------------


def parse_policy(obj: Mapping[str, Any], kind: str, api_version: str, warn: list[str], origin: str = "") -> CalicoPolicy:
    calico_kind = POLICY_KINDS[kind]
    global_policy = calico_kind in (CalicoKind.GLOBAL_NETWORK_POLICY, CalicoKind.STAGED_GLOBAL_NETWORK_POLICY)
    name, namespace, _ = metadata_of(obj, namespaced=not global_policy)
    spec = map_of(obj.get("spec"), "spec")
    known = _COMMON_SPEC | (_GLOBAL_SPEC if global_policy else set()) | (
        {"stagedAction"} if calico_kind.staged else set())
    for extra in sorted(set(spec) - known):
        warn.append(f"unknown field spec.{extra} ignored")
    tier = spec.get("tier") or "default"
    if not isinstance(tier, str):
        raise Invalid("spec.tier must be a tier name")
    rules: dict[Direction, tuple[CalicoRule, ...]] = {}
    for direction in Direction:
        rules[direction] = tuple(
            _rule(r, f"spec.{direction.value}[{i}]", direction, global_policy)
            for i, r in enumerate(list_of(spec.get(direction.value), f"spec.{direction.value}")))
        for i, rule in enumerate(rules[direction]):
            if rule.unknown_fields:
                warn.append(f"spec.{direction.value}[{i}]: unknown field(s) {', '.join(rule.unknown_fields)}: the "
                            "rule is read as one that might match (verdicts it could decide are unknown)")
    staged_action = None
    if calico_kind.staged:
        text = spec.get("stagedAction") or "Set"
        try:
            staged_action = StagedAction(text)
        except ValueError:
            raise Invalid(f"spec.stagedAction {text!r} is not one of Set, Delete, Learn, Ignore") from None
    selector = parse_calico_selector(spec.get("selector"), "spec.selector")
    pre_dnat = _flag(spec, "preDNAT") if global_policy else False
    do_not_track = _flag(spec, "doNotTrack") if global_policy else False
    forward = _flag(spec, "applyOnForward") if global_policy else False
    if (pre_dnat or do_not_track) and not forward:
        raise Invalid("spec.preDNAT and spec.doNotTrack need spec.applyOnForward: true")
    if pre_dnat and rules[Direction.EGRESS]:
        raise Invalid("a preDNAT policy cannot have egress rules")
    return CalicoPolicy(
        calico_kind, namespace if not global_policy else None, name, tier,
        _order(spec.get("order"), "spec.order"),
        selector if selector is not None else parse(""),
        _types(spec.get("types"), bool(rules[Direction.INGRESS]), bool(rules[Direction.EGRESS])),
        rules[Direction.INGRESS], rules[Direction.EGRESS],
        parse_calico_selector(spec.get("namespaceSelector"), "spec.namespaceSelector") if global_policy else None,
        parse_calico_selector(spec.get("serviceAccountSelector"), "spec.serviceAccountSelector"),
        pre_dnat, forward, do_not_track, staged_action, api_version, manifest_of(obj), origin,
    )


def parse_tier(obj: Mapping[str, Any]) -> CalicoTier:
    name, _, _ = metadata_of(obj, namespaced=False)
    spec = map_of(obj.get("spec"), "spec")
    action_text = spec.get("defaultAction") or "Deny"
    if action_text not in ("Deny", "Pass"):
        raise Invalid(f"spec.defaultAction {action_text!r} is not Deny or Pass")
    return CalicoTier(name, _order(spec.get("order"), "spec.order"), RuleAction(action_text))


def parse_network_set(obj: Mapping[str, Any], kind: str) -> NetworkSet:
    namespaced = kind == "NetworkSet"
    name, namespace, meta = metadata_of(obj, namespaced=namespaced)
    spec = map_of(obj.get("spec"), "spec")
    return NetworkSet(namespace if namespaced else None, name,
                      frozen_labels(labels_of(meta.get("labels"), "metadata.labels")),
                      _nets(spec.get("nets"), "spec.nets"))


def parse_host_endpoint(obj: Mapping[str, Any]) -> HostEndpoint:
    name, _, meta = metadata_of(obj, namespaced=False)
    spec = map_of(obj.get("spec"), "spec")
    node = spec.get("node")
    interface = spec.get("interfaceName")
    ips: list[IPAddress] = []
    for i, raw in enumerate(list_of(spec.get("expectedIPs"), "spec.expectedIPs")):
        ip = parse_ip(raw)
        if ip is None:
            raise Invalid(f"spec.expectedIPs[{i}] {raw!r} is not an IP address")
        ips.append(ip)
    return HostEndpoint(name, node if isinstance(node, str) else None,
                        frozen_labels(labels_of(meta.get("labels"), "metadata.labels")), tuple(ips),
                        interface if isinstance(interface, str) else None)


def parse_staged_kubernetes(obj: Mapping[str, Any], warn: list[str], origin: str = "") -> StagedKubernetesPolicy:
    from kubenet_tui.sources.parse import parse_network_policy  # parse imports this module

    spec = dict(map_of(obj.get("spec"), "spec"))
    text = spec.pop("stagedAction", None) or "Set"
    try:
        action = StagedAction(text)
    except ValueError:
        raise Invalid(f"spec.stagedAction {text!r} is not one of Set, Delete, Learn, Ignore") from None
    policy = parse_network_policy({**obj, "spec": spec}, warn, origin)
    return StagedKubernetesPolicy(policy, action)


def parse_service_account(obj: Mapping[str, Any]) -> ServiceAccount:
    name, namespace, meta = metadata_of(obj, namespaced=True)
    return ServiceAccount(namespace, name, frozen_labels(labels_of(meta.get("labels"), "metadata.labels")))


def what_is_left(obj: Mapping[str, Any], kind: str, reason: str) -> CalicoInvalid:
    """What can still be told of an invalid Calico object: its tier, directions, labels."""
    raw_meta = obj.get("metadata")
    meta: Mapping[str, Any] = raw_meta if isinstance(raw_meta, Mapping) else {}
    name = str(meta.get("name") or "(no name)")
    namespace = None
    if kind in NAMESPACED_KINDS:
        raw_ns = meta.get("namespace")
        namespace = raw_ns if isinstance(raw_ns, str) and raw_ns else "default"
    raw_spec = obj.get("spec")
    spec: Mapping[str, Any] = raw_spec if isinstance(raw_spec, Mapping) else {}
    tier = spec.get("tier") if isinstance(spec.get("tier"), str) and spec.get("tier") else "default"
    directions = frozenset(Direction)
    types = spec.get("types")
    if isinstance(types, list) and types and all(t in ("Ingress", "Egress") for t in types):
        directions = frozenset(Direction(t.lower()) for t in types)
    labels = None
    if kind in ("NetworkSet", "GlobalNetworkSet"):
        try:
            labels = dict(labels_of(meta.get("labels"), "metadata.labels"))
        except Invalid:
            labels = None
    display = POLICY_KINDS[kind].value if kind in POLICY_KINDS else kind
    return CalicoInvalid(display, namespace, name, reason, tier if kind in POLICY_KINDS else None, directions,
                         staged=kind.startswith("Staged"), network_set=kind in ("NetworkSet", "GlobalNetworkSet"),
                         labels=labels)
