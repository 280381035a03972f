"""cilium.io objects (decoded JSON/YAML) into the model: CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy
(`spec` and `specs`) and CiliumCIDRGroup, validated as Cilium does (pkg/policy/api/rule_validation.go).

An object Cilium would reject raises `Invalid` (reported and skipped: verdicts it could touch are
unknown); a valid object using what this tool does not evaluate (fromRequires, cidrGroupSelector, a
field it does not know) raises `Unsupported`, with the same effect and an honest reason.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from kubenet_tui.engine.dialects.cilium_match import ENTITIES
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
from kubenet_tui.engine.model import IPNetwork, LabelSelector
from kubenet_tui.sources.validate import Invalid, list_of, manifest_of, map_of, metadata_of, parse_selector
from kubenet_tui.sources.validate import Unsupported as Unsupported

_RULE_FIELDS = {"endpointSelector", "nodeSelector", "ingress", "ingressDeny", "egress", "egressDeny", "labels",
                "description", "enableDefaultDeny", "log"}
_COMMON = {"toPorts", "icmps"}
_FIELDS = {
    "ingress": {"fromEndpoints", "fromRequires", "fromCIDR", "fromCIDRSet", "fromEntities", "fromGroups", "fromNodes",
                "authentication"} | _COMMON,
    "ingressDeny": {"fromEndpoints", "fromRequires", "fromCIDR", "fromCIDRSet", "fromEntities", "fromGroups",
                    "fromNodes"} | _COMMON,
    "egress": {"toEndpoints", "toRequires", "toCIDR", "toCIDRSet", "toEntities", "toServices", "toFQDNs", "toGroups",
               "toNodes", "authentication"} | _COMMON,
    "egressDeny": {"toEndpoints", "toRequires", "toCIDR", "toCIDRSet", "toEntities", "toServices", "toGroups",
                   "toNodes"} | _COMMON,
}
_PORT_RULE_FIELDS = {"ports", "rules", "originatingTLS", "terminatingTLS", "serverNames", "listener"}
_L7_KINDS = {"http": "HTTP", "kafka": "Kafka", "dns": "DNS", "l7proto": "L7"}
_SVC_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_MAX_PORTS = 40


def _is_svc_name(text: str) -> bool:
    """iana.IsSvcName: 1-15 lowercase letters, digits and single hyphens, at least one letter."""
    return (len(text) <= 15 and bool(_SVC_NAME.match(text)) and "--" not in text
            and any(c.isalpha() for c in text))


def _prefix(value: Any, what: str, plain_ip: bool = False) -> IPNetwork:
    if not isinstance(value, str) or not value:
        raise Invalid(f"{what}: IP must be specified")
    try:
        if "/" not in value:
            if not plain_ip:
                raise ValueError
            return ipaddress.ip_network(value)
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise Invalid(f"{what}: unable to parse CIDR {value!r}") from None


def _cidr_set(raw: Any, where: str) -> CIDRSet:
    entry = map_of(raw, where)
    strange = sorted(set(entry) - {"cidr", "cidrGroupRef", "except", "cidrGroupSelector"})
    if strange:
        raise Unsupported(f"{where}: field(s) {', '.join(strange)} are not known to this tool")
    if entry.get("cidrGroupSelector") is not None:
        raise Unsupported(f"{where}.cidrGroupSelector (CIDR groups chosen by label) is not evaluated by this tool")
    excepts_raw = list_of(entry.get("except"), f"{where}.except")
    group = entry.get("cidrGroupRef")
    if group:
        if not isinstance(group, str):
            raise Invalid(f"{where}.cidrGroupRef must be a name")
        excepts = tuple(_prefix(e, f"{where}.except[{i}]") for i, e in enumerate(excepts_raw))
        return CIDRSet(None, excepts, group)
    cidr = _prefix(entry.get("cidr"), f"{where}.cidr")
    excepts_list = []
    for i, raw_except in enumerate(excepts_raw):
        hole = _prefix(raw_except, f"{where}.except[{i}]")
        if hole.version != cidr.version or hole.network_address not in cidr:
            raise Invalid(f"{where}: allow CIDR prefix {cidr} does not contain exclude CIDR prefix {hole}")
        excepts_list.append(hole)
    return CIDRSet(cidr, tuple(excepts_list))


def _port(raw: Any, where: str, l7: bool, dns: bool) -> tuple[CiliumPort, bool]:
    entry = map_of(raw, where)
    strange = sorted(set(entry) - {"port", "endPort", "protocol"})
    if strange:
        raise Unsupported(f"{where}: field(s) {', '.join(strange)} are not known to this tool")
    value = entry.get("port")
    if isinstance(value, bool) or value is None or value == "":
        raise Invalid(f"{where}: Port must be specified")
    text = str(value)
    protocol_text = entry.get("protocol") or "ANY"
    try:
        protocol = L4Proto(str(protocol_text).upper())
    except ValueError:
        raise Invalid(f"{where}: invalid protocol {protocol_text!r}, must be {{TCP, UDP, SCTP, ANY}}") from None
    end = entry.get("endPort")
    if end is not None and (isinstance(end, bool) or not isinstance(end, int) or not 0 <= end <= 65535):
        raise Invalid(f"{where}.endPort must be a port number (0-65535)")
    port: int | str
    if _is_svc_name(text.lower()):
        port = text.lower()
    else:
        try:
            port = int(text, 0)
        except ValueError:
            raise Invalid(f"{where}: unable to parse port {text!r}") from None
        if not 0 <= port <= 65535:
            raise Invalid(f"{where}: unable to parse port {text!r}: out of range")
        if dns and end is not None and end > port:
            raise Invalid(f"{where}: DNS rules do not support port ranges")
    if l7 and not dns and protocol is not L4Proto.TCP:
        raise Invalid(f"{where}: L7 rules can only apply to TCP (not {protocol.value}) except for DNS rules")
    return CiliumPort(protocol, port, end), port == 0


def _l7(entry: Mapping[str, Any], where: str, ingress: bool) -> tuple[str | None, bool]:
    """What hands the port's connections to a proxy, and whether it is DNS rules."""
    rules = map_of(entry.get("rules"), f"{where}.rules")
    kinds = [name for key, name in _L7_KINDS.items() if rules.get(key) is not None]
    if rules.get("l7") is not None and rules.get("l7proto") is None:
        raise Invalid(f"{where}.rules: 'l7' may only be specified when a 'l7proto' is also specified")
    if len(kinds) > 1:
        raise Invalid(f"{where}.rules: multiple L7 protocol rule types specified in single rule")
    dns = kinds == ["DNS"]
    if dns and ingress:
        raise Invalid(f"{where}: DNS rules are not allowed on ingress")
    if kinds:
        return f"{kinds[0]} rules", dns
    if list_of(entry.get("serverNames"), f"{where}.serverNames"):
        return "TLS server names (SNI)", False
    if entry.get("listener") is not None:
        if ingress:
            raise Invalid(f"{where}: Listener is not allowed on ingress")
        return "a custom Envoy listener", False
    return None, False


def _port_rules(raw: Any, where: str, ingress: bool, deny: bool) -> tuple[CiliumPortRule, ...]:
    found = []
    for i, item in enumerate(list_of(raw, where)):
        here = f"{where}[{i}]"
        entry = map_of(item, here)
        allowed_fields = {"ports"} if deny else _PORT_RULE_FIELDS
        strange = sorted(set(entry) - allowed_fields)
        if strange:
            raise Unsupported(f"{here}: field(s) {', '.join(strange)} are not known to this tool")
        l7, dns = (None, False) if deny else _l7(entry, here, ingress)
        ports_raw = list_of(entry.get("ports"), f"{here}.ports")
        if len(ports_raw) > _MAX_PORTS:
            raise Invalid(f"{here}: too many ports, the max is {_MAX_PORTS}")
        if dns and not ports_raw:
            raise Invalid(f"{here}: Port 53 must be specified for DNS rules")
        ports = []
        zero = False
        for j, raw_port in enumerate(ports_raw):
            port, is_zero = _port(raw_port, f"{here}.ports[{j}]", l7 is not None and l7.endswith("rules"), dns)
            zero = zero or is_zero
            ports.append(port)
        if l7 is not None and l7.endswith("rules") and zero:
            raise Invalid(f"{here}: L7 rules can not be used when a port is 0")
        found.append(CiliumPortRule(tuple(ports), l7))
    return tuple(found)


def _peer_rule(raw: Any, where: str, section: str) -> CiliumPeerRule:
    rule = map_of(raw, where)
    ingress = section.startswith("ingress")
    deny = section.endswith("Deny")
    strange = sorted(set(rule) - _FIELDS[section])
    if strange:
        raise Unsupported(f"{where}: field(s) {', '.join(strange)} are not known to this tool (or not valid in "
                          f"{section})")
    to = "from" if ingress else "to"
    if rule.get(f"{to}Requires") is not None:
        raise Unsupported(f"{where}.{to}Requires (deprecated; it constrains every rule of the selected endpoints) is "
                          "not evaluated by this tool")
    l3 = [f"{to}Endpoints", f"{to}CIDR", f"{to}CIDRSet", f"{to}Entities", f"{to}Nodes", f"{to}Groups"]
    if not ingress:
        l3 += ["toServices", "toFQDNs"]
    present = [k for k in l3 if list_of(rule.get(k), f"{where}.{k}")]
    if len(present) > 1:
        raise Invalid(f"{where}: Combining {present[0]} and {present[1]} is not supported yet")
    empty = next((k for k in l3 if rule.get(k) is not None and not rule.get(k)), None) if not present else None
    ports_raw = rule.get("toPorts")
    icmps = bool(list_of(rule.get("icmps"), f"{where}.icmps"))
    if icmps and list_of(ports_raw, f"{where}.toPorts"):
        raise Invalid(f"{where}: The ICMPs block may only be present without ToPorts. Define a separate rule to use "
                      "ToPorts.")
    if present == ["toServices"] and list_of(ports_raw, f"{where}.toPorts"):
        raise Invalid(f"{where}: Combining ToServices and ToPorts is not supported yet")
    ports = _port_rules(ports_raw, f"{where}.toPorts", ingress, deny) if ports_raw is not None else None
    auth = map_of(rule.get("authentication"), f"{where}.authentication").get("mode")
    kwargs: dict[str, Any] = {"ports": ports, "icmps": icmps, "empty": empty,
                              "authentication": str(auth) if auth else None}
    form = present[0] if present else None
    if form is None:
        return CiliumPeerRule(**kwargs)
    values = list_of(rule[form], f"{where}.{form}")
    if form.endswith("Endpoints"):
        kwargs["endpoints"] = tuple(_endpoint_selector(v, f"{where}.{form}[{i}]") for i, v in enumerate(values))
    elif form.endswith("Nodes"):
        kwargs["nodes"] = tuple(parse_selector(v, f"{where}.{form}[{i}]") for i, v in enumerate(values))
    elif form.endswith("Entities"):
        for i, entity in enumerate(values):
            if entity not in ENTITIES:
                raise Invalid(f"{where}.{form}[{i}]: unsupported entity: {entity}")
        kwargs["entities"] = tuple(str(v) for v in values)
    elif form.endswith("CIDRSet"):
        kwargs["cidrs"] = tuple(_cidr_set(v, f"{where}.{form}[{i}]") for i, v in enumerate(values))
    elif form.endswith("CIDR"):
        kwargs["cidrs"] = tuple(CIDRSet(_prefix(v, f"{where}.{form}[{i}]", plain_ip=True)) for i, v in enumerate(values))
    elif form == "toFQDNs":
        names = []
        for i, v in enumerate(values):
            entry = map_of(v, f"{where}.toFQDNs[{i}]")
            name = entry.get("matchName") or entry.get("matchPattern")
            if not isinstance(name, str) or not name:
                raise Invalid(f"{where}.toFQDNs[{i}]: matchName or matchPattern must be set")
            names.append(name)
        kwargs["fqdns"] = tuple(names)
    elif form == "toServices":
        kwargs["services"] = len(values)
    else:
        kwargs["groups"] = len(values)
    return CiliumPeerRule(**kwargs)


def _endpoint_selector(value: Any, where: str) -> LabelSelector:
    if value is None:
        raise Invalid(f"{where}: a selector is required")
    return parse_selector(value, where)


def _rule(raw: Any, where: str, index: int | None, clusterwide: bool, warn: list[str]) -> CiliumRule:
    spec = map_of(raw, where)
    strange = sorted(set(spec) - _RULE_FIELDS)
    if strange:
        raise Unsupported(f"{where}: field(s) {', '.join(strange)} are not known to this tool")
    has_endpoints = spec.get("endpointSelector") is not None
    has_nodes = spec.get("nodeSelector") is not None
    if has_endpoints == has_nodes:
        raise Invalid(f"{where}: rule must have one of EndpointSelector or NodeSelector" if not has_endpoints
                      else f"{where}: rule cannot have both EndpointSelector and NodeSelector")
    if has_nodes and not clusterwide:
        raise Invalid(f"{where}.nodeSelector: only a CiliumClusterwideNetworkPolicy may select nodes")
    lists = {}
    for section in ("ingress", "ingressDeny", "egress", "egressDeny"):
        lists[section] = tuple(_peer_rule(r, f"{where}.{section}[{i}]", section)
                               for i, r in enumerate(list_of(spec.get(section), f"{where}.{section}")))
    raw_default = map_of(spec.get("enableDefaultDeny"), f"{where}.enableDefaultDeny")
    default: list[tuple[Direction, bool]] = []
    for direction in Direction:
        value = raw_default.get(direction.value)
        if value is not None:
            if not isinstance(value, bool):
                raise Invalid(f"{where}.enableDefaultDeny.{direction.value} must be true or false")
            default.append((direction, value))
    if not any(lists.values()) and not any(v for _, v in default):
        warn.append(f"{where} has no ingress, ingressDeny, egress or egressDeny section: it has no effect")
    description = spec.get("description")
    return CiliumRule(
        index,
        _endpoint_selector(spec["endpointSelector"], f"{where}.endpointSelector") if has_endpoints else None,
        parse_selector(spec["nodeSelector"], f"{where}.nodeSelector") if has_nodes else None,
        lists["ingress"], lists["ingressDeny"], lists["egress"], lists["egressDeny"], tuple(default),
        description if isinstance(description, str) else "",
    )


def parse_cilium_policy(obj: Mapping[str, Any], warn: list[str], origin: str = "") -> CiliumPolicy:
    kind = str(obj.get("kind"))
    clusterwide = kind == CCNP_KIND
    name, namespace, _ = metadata_of(obj, namespaced=not clusterwide)
    spec, specs = obj.get("spec"), obj.get("specs")
    if spec is None and specs is None:
        raise Invalid("Invalid CiliumNetworkPolicy spec(s): empty policy")
    rules: list[CiliumRule] = []
    if spec is not None:
        rules.append(_rule(spec, "spec", None, clusterwide, warn))
    for i, raw in enumerate(list_of(specs, "specs")):
        rules.append(_rule(raw, f"specs[{i}]", i, clusterwide, warn))
    return CiliumPolicy(CCNP_KIND if clusterwide else CNP_KIND, None if clusterwide else namespace, name, tuple(rules),
                        specs is not None, manifest_of(obj), origin)


def parse_cidr_group(obj: Mapping[str, Any]) -> CiliumCIDRGroup:
    name, _, _ = metadata_of(obj, namespaced=False)
    spec = map_of(obj.get("spec"), "spec")
    cidrs = tuple(_prefix(c, f"spec.externalCIDRs[{i}]")
                  for i, c in enumerate(list_of(spec.get("externalCIDRs"), "spec.externalCIDRs")))
    return CiliumCIDRGroup(name, cidrs)
