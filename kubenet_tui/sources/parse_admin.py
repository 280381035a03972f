"""AdminNetworkPolicy / BaselineAdminNetworkPolicy (v1alpha1) and ClusterNetworkPolicy (v1alpha2,
v1beta1) objects into the one normalised `AdminPolicy` model the engine evaluates."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from kubenet_tui.engine.model import (
    AdminAction,
    AdminPeer,
    AdminPolicy,
    AdminPort,
    AdminRule,
    AdminSubject,
    AdminTier,
    NamespacedPods,
    Protocol,
)
from kubenet_tui.sources.validate import (
    Invalid,
    list_of,
    manifest_of,
    map_of,
    metadata_of,
    parse_cidr,
    parse_selector,
    port_name,
    port_number,
    protocol_of,
)

_ACTIONS = {
    "AdminNetworkPolicy": {"Allow": AdminAction.ALLOW, "Deny": AdminAction.DENY, "Pass": AdminAction.PASS},
    "BaselineAdminNetworkPolicy": {"Allow": AdminAction.ALLOW, "Deny": AdminAction.DENY},
    "ClusterNetworkPolicy": {"Accept": AdminAction.ALLOW, "Deny": AdminAction.DENY, "Pass": AdminAction.PASS},
}
_KNOWN_PEERS = {"namespaces", "pods", "networks", "nodes"}


# network-policy-api v0.1.x (AdminNetworkPolicy v1alpha1 as first released) wrote namespace peers as
# `namespaces: {namespaceSelector: ...}` and pod peers as `pods: {namespaces: {...}, podSelector}`.
_OLD_NAMESPACED_PEER = {"namespaceSelector", "related", "sameLabels", "notSameLabels"}


def _old_namespaces(value: Any, where: str, warn: list[str]) -> Any:
    """A v0.1.x NamespacedPeer as the selector it means, when it is one (`namespaceSelector`);
    `related`, `sameLabels` and `notSameLabels` select relative to the subject: not evaluated."""
    if not isinstance(value, Mapping) or not value or not set(value) <= _OLD_NAMESPACED_PEER:
        return value
    relative = sorted(set(value) - {"namespaceSelector"})
    if relative:
        raise Invalid(f"{where} uses {', '.join(relative)} (network-policy-api v0.1.x), which selects namespaces "
                      "relative to the subject; this tool does not evaluate that form")
    warn.append(f"{where} is written in the network-policy-api v0.1.x form {{namespaceSelector: ...}}: read as "
                "that selector")
    return value["namespaceSelector"]


def _pods(value: Any, where: str, warn: list[str] | None = None) -> NamespacedPods:
    pods = map_of(value, where)
    if warn is not None and "namespaces" in pods and "namespaceSelector" not in pods:
        pods = {"namespaceSelector": _old_namespaces(pods["namespaces"], f"{where}.namespaces", warn),
                **{k: v for k, v in pods.items() if k != "namespaces"}}
    if pods.get("podSelector") is None:
        raise Invalid(f"{where}.podSelector is required (use {{}} for every pod)")
    return NamespacedPods(
        parse_selector(pods.get("namespaceSelector"), f"{where}.namespaceSelector"),
        parse_selector(pods.get("podSelector"), f"{where}.podSelector"),
    )


def _subject(value: Any) -> AdminSubject:
    # A field given as null is unset, as in the API (not "{}", which would select everything).
    subject = {k: v for k, v in map_of(value, "spec.subject").items() if v is not None}
    if "namespaces" in subject and "pods" in subject:
        raise Invalid("spec.subject must set exactly one of namespaces or pods")
    if "namespaces" in subject:
        return AdminSubject(namespaces=parse_selector(subject["namespaces"], "spec.subject.namespaces"))
    if "pods" in subject:
        return AdminSubject(pods=_pods(subject["pods"], "spec.subject.pods"))
    raise Invalid("spec.subject must set namespaces or pods")


def _peer(value: Any, where: str, egress: bool, canonical_cidrs: bool, warn: list[str]) -> AdminPeer:
    peer = {k: v for k, v in map_of(value, where).items() if v is not None}  # null means unset
    known = [k for k in peer if k in _KNOWN_PEERS]
    unknown = [k for k in peer if k not in _KNOWN_PEERS]
    if len(known) > 1:
        raise Invalid(f"{where} sets {', '.join(known)}: exactly one peer form is allowed")
    if not known:
        # A newer API's peer form: kept so evaluation can fail closed, as the API requires.
        return AdminPeer(unknown=", ".join(unknown) if unknown else "(empty peer)")
    form = known[0]
    if form in ("networks", "nodes") and not egress:
        raise Invalid(f"{where}: {form} peers are only valid in egress rules")
    if form == "namespaces":
        selector = _old_namespaces(peer[form], f"{where}.namespaces", warn)
        return AdminPeer(namespaces=parse_selector(selector, f"{where}.namespaces"))
    if form == "pods":
        return AdminPeer(pods=_pods(peer[form], f"{where}.pods", warn))
    if form == "nodes":
        return AdminPeer(nodes=parse_selector(peer[form], f"{where}.nodes"))
    nets = tuple(parse_cidr(n, f"{where}.networks[{i}]") for i, n in enumerate(list_of(peer[form], f"{where}.networks")))
    if canonical_cidrs:
        for i, (raw, net) in enumerate(zip(list_of(peer[form], where), nets, strict=True)):
            if ipaddress.ip_address(str(raw).split("/")[0]) != net.network_address:
                raise Invalid(f"{where}.networks[{i}] {raw!r} has host bits set (write {net})")
    if not nets:
        raise Invalid(f"{where}.networks needs at least one CIDR")
    return AdminPeer(networks=nets)


def _v1alpha1_port(value: Any, where: str) -> AdminPort:
    port = map_of(value, where)
    if len(port) != 1:
        raise Invalid(f"{where} must set exactly one of portNumber, namedPort, portRange")
    form, body = next(iter(port.items()))
    if form == "portNumber":
        spec = map_of(body, f"{where}.portNumber")
        return AdminPort(protocol_of(spec.get("protocol"), where), port_number(spec.get("port"), f"{where}.portNumber.port"))
    if form == "namedPort":
        if not isinstance(body, str):
            raise Invalid(f"{where}.namedPort must be a string")
        return AdminPort(named_port=port_name(body, f"{where}.namedPort"))
    if form == "portRange":
        spec = map_of(body, f"{where}.portRange")
        start = port_number(spec.get("start"), f"{where}.portRange.start")
        end = port_number(spec.get("end"), f"{where}.portRange.end")
        if end <= start:
            raise Invalid(f"{where}.portRange: end {end} must be greater than start {start}")
        return AdminPort(protocol_of(spec.get("protocol"), where), start, end)
    raise Invalid(f"{where}: unknown port form {form!r}")


def _cnp_protocol(value: Any, where: str, warn: list[str]) -> AdminPort:
    entry = map_of(value, where)
    if len(entry) != 1:
        raise Invalid(f"{where} must set exactly one of tcp, udp, sctp, destinationNamedPort")
    form, body = next(iter(entry.items()))
    if form == "destinationNamedPort":
        if not isinstance(body, str):
            raise Invalid(f"{where}.destinationNamedPort must be a string")
        return AdminPort(named_port=port_name(body, f"{where}.destinationNamedPort"))
    if form.upper() not in Protocol.__members__:
        raise Invalid(f"{where}: unknown protocol {form!r} (tcp, udp, sctp)")
    protocol = Protocol(form.upper())
    spec = map_of(body, f"{where}.{form}")
    dest = spec.get("destinationPort")
    if dest is None:
        warn.append(f"{where}.{form} has no destinationPort (the API requires one): read as every {protocol.value} port")
        return AdminPort(protocol)
    dest = map_of(dest, f"{where}.{form}.destinationPort")
    if "number" in dest:
        return AdminPort(protocol, port_number(dest["number"], f"{where}.{form}.destinationPort.number"))
    if "range" in dest:
        rng = map_of(dest["range"], f"{where}.{form}.destinationPort.range")
        start = port_number(rng.get("start"), f"{where}.range.start")
        end = port_number(rng.get("end"), f"{where}.range.end")
        if end <= start:
            raise Invalid(f"{where}.range: end {end} must be greater than start {start}")
        return AdminPort(protocol, start, end)
    raise Invalid(f"{where}.{form}.destinationPort must set number or range")


def _rules(
    spec: Mapping[str, Any], kind: str, direction: str, warn: list[str], canonical_cidrs: bool
) -> tuple[AdminRule, ...]:
    egress = direction == "egress"
    peer_key = "to" if egress else "from"
    actions = _ACTIONS[kind]
    rules = []
    for i, raw in enumerate(list_of(spec.get(direction), f"spec.{direction}")):
        where = f"spec.{direction}[{i}]"
        rule = map_of(raw, where)
        action_text = rule.get("action")
        if action_text not in actions:
            raise Invalid(f"{where}: action {action_text!r} is not valid for {kind} ({', '.join(actions)})")
        port_key = "protocols" if kind == "ClusterNetworkPolicy" else "ports"
        for extra in sorted(set(rule) - {"name", "action", peer_key, port_key}):
            hint = f" ({kind} uses {port_key})" if extra in ("ports", "protocols") else ""
            warn.append(f"unknown field {where}.{extra} ignored{hint}: the rule is read without it")
        peers = tuple(
            _peer(p, f"{where}.{peer_key}[{j}]", egress, canonical_cidrs, warn)
            for j, p in enumerate(list_of(rule.get(peer_key), f"{where}.{peer_key}"))
        )
        if not peers:
            raise Invalid(f"{where}.{peer_key} needs at least one peer")
        ports: tuple[AdminPort, ...] | None = None
        if kind == "ClusterNetworkPolicy":
            if rule.get("protocols") is not None:
                ports = tuple(
                    _cnp_protocol(p, f"{where}.protocols[{j}]", warn)
                    for j, p in enumerate(list_of(rule["protocols"], f"{where}.protocols"))
                )
        elif rule.get("ports") is not None:
            ports = tuple(_v1alpha1_port(p, f"{where}.ports[{j}]") for j, p in enumerate(list_of(rule["ports"], f"{where}.ports")))
        if ports and any(p.named_port for p in ports) and any(
            p.networks is not None or p.nodes is not None for p in peers
        ):
            raise Invalid(f"{where}: named ports cannot be used with networks or nodes peers (they have no named ports)")
        name = rule.get("name")
        rules.append(
            AdminRule(str(name) if name else "", actions[action_text], str(action_text), peers, ports or None)
        )
    return tuple(rules)


def parse_admin_policy(obj: Mapping[str, Any], warn: list[str], origin: str = "") -> AdminPolicy:
    kind = str(obj.get("kind"))
    name, _, _ = metadata_of(obj, namespaced=False)
    api_version = str(obj.get("apiVersion") or "")
    spec = map_of(obj.get("spec"), "spec")
    if kind == "ClusterNetworkPolicy":
        tier_text = spec.get("tier")
        if tier_text not in ("Admin", "Baseline"):
            raise Invalid(f"spec.tier {tier_text!r} must be Admin or Baseline")
        tier = AdminTier(tier_text)
    else:
        tier = AdminTier.ADMIN if kind == "AdminNetworkPolicy" else AdminTier.BASELINE
    if kind == "BaselineAdminNetworkPolicy":
        if name != "default":
            raise Invalid("a BaselineAdminNetworkPolicy must be named 'default' (the API rejects other names)")
        priority = 0
    else:
        raw_priority = spec.get("priority")
        if isinstance(raw_priority, bool) or not isinstance(raw_priority, int):
            raise Invalid("spec.priority must be a number")
        limit = 1000
        if not 0 <= raw_priority <= limit:
            raise Invalid(f"spec.priority {raw_priority} is out of range (0-{limit})")
        priority = raw_priority
    # v1beta1 validates CIDRs as canonical (no host bits); older versions only as CIDRs.
    canonical = kind == "ClusterNetworkPolicy" and api_version.endswith("/v1beta1")
    known = {"priority", "subject", "ingress", "egress", "tier"}
    for extra in sorted(set(spec) - known):
        warn.append(f"unknown field spec.{extra} ignored")
    return AdminPolicy(
        kind,
        name,
        api_version,
        tier,
        priority,
        _subject(spec.get("subject")),
        _rules(spec, kind, "ingress", warn, canonical),
        _rules(spec, kind, "egress", warn, canonical),
        manifest_of(obj),
        origin,
    )
