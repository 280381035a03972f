"""Cilium Hubble flows as JSON: `hubble observe -o json` (and `-o jsonpb`), the Hubble exporter's files,
and the bare flow objects of the legacy `-o json` output.

Schema: cilium/cilium `api/v1/flow/flow.proto` (message Flow, Endpoint, Layer4, IP, Policy; enums
Verdict, DropReason, TrafficDirection) and `api/v1/observer/observer.proto` (GetFlowsResponse: the
flow under `flow`, beside `node_name` and `time`). Hubble marshals with protojson and
`UseProtoNames: true` (`api/v1/flow/flow.pb.json.go`), so the keys are the proto field names as
written there (`drop_reason_desc`, `IP`, `l4`, `TCP`, `pod_name`...), enums are their names,
64-bit integers are strings, timestamps RFC 3339, and zero values are left out. Field by field:

- `time`: Flow.time (1), else GetFlowsResponse.time (1001): when it was observed.
- `verdict`: Flow.verdict (2): FORWARDED / REDIRECTED allowed, AUDIT (audit mode: policy would drop),
  DROPPED; ERROR, TRACED, TRANSLATED and VERDICT_UNKNOWN are no policy verdict (skipped, counted).
- `drop_reason_desc`: Flow.drop_reason_desc (25), DropReason enum; `drop_reason` (3, deprecated
  number) when it is absent. POLICY_DENIED (133), POLICY_DENY (181, an explicit deny rule) and
  AUTH_REQUIRED (189) are policy drops; every other reason is a drop that policy does not explain.
- `IP.source`, `IP.destination`: IP (5). `source` is the address before SNAT (`source_xlated` after).
- `l4`: Layer4 (6), one of `TCP`, `UDP`, `SCTP` (`destination_port`), `ICMPv4`, `ICMPv6`, `VRRP`, `IGMP`;
  `TCP.flags` (TCPFlags) tells a SYN-ACK, a reply, when `is_reply` is absent.
- `source`, `destination`: Endpoint (8, 9): `namespace`, `pod_name`, `labels` (`k8s:app=web`, and
  `reserved:host`, `reserved:remote-node`, `reserved:world` for what is no pod), `identity` (1 host,
  2 world, 6 remote-node, 9/10 world-ipv4/ipv6: Cilium's reserved identities).
- `destination_service`: Service (21): the Service the flow was addressed to.
- `traffic_direction`: TrafficDirection (22): INGRESS or EGRESS, the side that decided.
- `is_reply`: google.protobuf.BoolValue (26) (absent: unknown); `reply` (16, deprecated) when it is.
- `Type` (10) L7 and `l7` (15: `http`, `dns`, `kafka`), `proxy_port` (29): an L7 proxy handled it.
- `destination_names`: (14) the DNS names the destination address had.
- `node_name`: (11), else GetFlowsResponse.node_name (1000).
- `egress_allowed_by`, `ingress_allowed_by`, `egress_denied_by`, `ingress_denied_by`: repeated Policy
  (21001, 21002, 21004, 21005): `name`, `namespace`, `kind`, `labels` (`io.cilium.k8s.policy.derived-from`).
- A response that is no flow (`node_status`, `lost_events`) is skipped and counted.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from typing import Any

from kubenet_tui.engine.explain import Direction
from kubenet_tui.engine.flows import EndHint, FlowEnd, FlowRecord, Observed, Plugin, PluginPolicy
from kubenet_tui.sources.flows.common import (
    LineError,
    Skip,
    address,
    mapping,
    port,
    rfc3339,
    strings,
    text,
    timestamp,
)

# Verdict enum (flow.proto): by name, and by number for JSON written without enum names.
_VERDICTS = {"FORWARDED": Observed.ALLOWED, "REDIRECTED": Observed.ALLOWED, "AUDIT": Observed.AUDIT,
             "DROPPED": Observed.DROPPED, 1: Observed.ALLOWED, 5: Observed.ALLOWED, 4: Observed.AUDIT,
             2: Observed.DROPPED}
_NO_VERDICT = {"VERDICT_UNKNOWN", "ERROR", "TRACED", "TRANSLATED", 0, 3, 6, 7}
# DropReason enum values that are policy decisions.
_POLICY_DROPS = {"POLICY_DENIED", "POLICY_DENY", "AUTH_REQUIRED", 133, 181, 189}
_DROP_NAMES = {133: "POLICY_DENIED", 181: "POLICY_DENY", 189: "AUTH_REQUIRED"}
_DIRECTIONS = {"INGRESS": Direction.INGRESS, "EGRESS": Direction.EGRESS, 1: Direction.INGRESS,
               2: Direction.EGRESS}
_L4 = (("TCP", "TCP"), ("UDP", "UDP"), ("SCTP", "SCTP"), ("ICMPv4", "ICMPv4"), ("ICMPv6", "ICMPv6"),
       ("VRRP", "VRRP"), ("IGMP", "IGMP"))
_RESERVED_HINTS = {"reserved:host": EndHint.HOST, "reserved:remote-node": EndHint.HOST,
                   "reserved:world": EndHint.WORLD, "reserved:world-ipv4": EndHint.WORLD,
                   "reserved:world-ipv6": EndHint.WORLD}
_IDENTITY_HINTS = {1: EndHint.HOST, 6: EndHint.HOST, 2: EndHint.WORLD, 9: EndHint.WORLD, 10: EndHint.WORLD}
_POLICY_FIELDS = (("egress_allowed_by", Direction.EGRESS, "allow"), ("ingress_allowed_by", Direction.INGRESS, "allow"),
                  ("egress_denied_by", Direction.EGRESS, "deny"), ("ingress_denied_by", Direction.INGRESS, "deny"))
_DERIVED_FROM = "io.cilium.k8s.policy.derived-from="
_POLICY_KEYS = frozenset(key for key, _, _ in _POLICY_FIELDS)


# Endpoint objects lifted out of the line: (their bytes, a number never reused) -> the decoded object.
_ENDPOINT_KEYS = (b'"source":{', b'"destination":{')
_ENDPOINTS: dict[bytes, tuple[int, dict[str, Any]] | None] = {}
_TOKENS = itertools.count()
Lifted = list[tuple[int, dict[str, Any]]]


def lift_endpoints(line: bytes) -> tuple[bytes, Lifted]:
    """The line with its `source` and `destination` endpoint objects replaced by their numbers in the
    returned list, each distinct endpoint decoded once: with their labels, they are most of a Hubble
    line, and the same few thousand repeat over a million lines.

    Exact or nothing: an object ends where its braces balance, which is right unless a string in it holds
    an unbalanced brace, and then the bytes taken are no single JSON object: the line is returned as it
    was, to be parsed whole. `"source":{` cannot occur inside a JSON string (its quotes would be escaped)."""
    parts: list[bytes] = []
    lifted: Lifted = []
    position = 0
    for key in _ENDPOINT_KEYS:
        start = line.find(key, position)
        if start < 0:
            continue
        begin = start + len(key) - 1
        end = _object_end(line, begin)
        if end < 0:
            return line, []
        body = line[begin:end]
        if body in _ENDPOINTS:
            found = _ENDPOINTS[body]
        else:
            found = _decode_object(body)
            if len(_ENDPOINTS) > 200_000:
                _ENDPOINTS.clear()
            _ENDPOINTS[body] = found
        if found is None:
            return line, []
        parts.append(line[position:begin])
        parts.append(str(len(lifted)).encode())
        lifted.append(found)
        position = end
    if not lifted:
        return line, []
    parts.append(line[position:])
    return b"".join(parts), lifted


def _object_end(line: bytes, begin: int) -> int:
    """Just past the `}` that balances the `{` at `begin` (counting every brace), or -1."""
    depth = 0
    position = begin
    while True:
        close = line.find(b"}", position)
        if close < 0:
            return -1
        opening = line.find(b"{", position, close)
        if opening >= 0:
            depth += 1
            position = opening + 1
            continue
        depth -= 1
        position = close + 1
        if depth == 0:
            return position


def _decode_object(body: bytes) -> tuple[int, dict[str, Any]] | None:
    try:
        found = json.loads(body)
    except ValueError:
        return None
    return (next(_TOKENS), found) if type(found) is dict else None


def is_hubble(obj: Mapping[str, Any]) -> bool:
    """Whether a JSON object is one of Hubble's (a GetFlowsResponse, or a bare Flow)."""
    flow = obj.get("flow")
    if type(flow) is dict or isinstance(flow, Mapping):
        return "Key" not in flow and "key" not in flow  # a goldmane FlowResult also has `flow`
    return "verdict" in obj or "node_status" in obj or "lost_events" in obj or "IP" in obj or "l4" in obj


def parse(obj: Mapping[str, Any], line: int, lifted: Lifted | None = None) -> FlowRecord | Skip:
    """One Hubble object; `lifted`: the endpoints `lift_endpoints` took out of the line (their numbers are
    where they were)."""
    flow = obj.get("flow")
    if flow is None:
        if "node_status" in obj or "lost_events" in obj or "agent_event" in obj or "debug_event" in obj:
            return Skip("Hubble status events (node status, lost events)")
        flow = obj  # the legacy output: a bare Flow
    elif type(flow) is not dict and not isinstance(flow, Mapping):
        raise LineError(f"`flow` is {type(flow).__name__}, not an object")
    verdict_text = flow.get("verdict")
    observed = _VERDICTS.get(verdict_text) if type(verdict_text) is str or type(verdict_text) is int else None
    if observed is None:
        if verdict_text in _NO_VERDICT or verdict_text is None:
            return Skip("Hubble events without a policy verdict (TRACED, TRANSLATED, ERROR)")
        raise LineError(f"verdict {verdict_text!r} is not one of Hubble's")
    reason = ""
    if observed is Observed.DROPPED:
        drop = flow.get("drop_reason_desc", flow.get("drop_reason"))
        reason = _DROP_NAMES.get(drop, str(drop)) if isinstance(drop, int) else str(drop or "")
        if drop in _POLICY_DROPS:
            observed = Observed.DENIED
    elif observed is Observed.AUDIT:
        reason = "AUDIT"
    elif verdict_text in ("REDIRECTED", 5):
        reason = "REDIRECTED"
    get = flow.get
    ip = get("IP")
    if type(ip) is not dict:
        ip = mapping(ip, "IP")
    l4 = get("l4")
    tcp = l4.get("TCP") if type(l4) is dict else None
    if type(tcp) is dict:  # most flows: read here, without the general walk over Layer4's forms
        protocol, dport, flags = "TCP", tcp.get("destination_port"), tcp.get("flags") or {}
        if type(dport) is not int or not 0 < dport <= 65535:
            dport = port(dport, "l4.TCP.destination_port")
        if type(flags) is not dict:
            flags = mapping(flags, "l4.TCP.flags")
    else:
        protocol, dport, flags = _layer4(mapping(l4, "l4"))
    reply_value = flow.get("is_reply")
    if reply_value is False or reply_value is True:
        reply = reply_value
    elif reply_value is None:
        reply = bool(flow.get("reply")) or (bool(flags.get("SYN")) and bool(flags.get("ACK")))
    else:
        raise LineError(f"is_reply is {reply_value!r}, not true or false")
    l7 = None
    if flow.get("Type") in ("L7", 2) or flow.get("l7"):
        record = mapping(flow.get("l7"), "l7")
        l7 = next((kind for kind in ("http", "dns", "kafka") if kind in record), "proxy")
    elif reason == "REDIRECTED" or flow.get("proxy_port"):
        l7 = "proxy"
    service = mapping(flow.get("destination_service"), "destination_service")
    service_name = text(service.get("name"), "destination_service.name")
    when = flow.get("time") or obj.get("time")
    return FlowRecord(
        Plugin.HUBBLE, line, rfc3339(when) if type(when) is str else timestamp(when, "time"),
        _end(flow.get("source"), ip.get("source"), "source", None, lifted),
        _end(flow.get("destination"), ip.get("destination"), "destination",
             f"{service.get('namespace') or ''}/{service_name}" if service_name else None, lifted),
        protocol, dport, observed, reason, _DIRECTIONS.get(flow.get("traffic_direction")), reply, 1,
        _policies(flow) if _POLICY_KEYS & flow.keys() else (), l7,
        strings(flow.get("destination_names"), "destination_names"),
        text(flow.get("node_name") or obj.get("node_name"), "node_name"),
    )


def _layer4(l4: Mapping[str, Any]) -> tuple[str, int | None, Mapping[str, Any]]:
    for key, name in _L4:
        found = l4.get(key)
        if found is not None:
            body = mapping(found, f"l4.{key}")
            flags = mapping(body.get("flags"), f"l4.{key}.flags") if key == "TCP" else {}
            return name, port(body.get("destination_port"), f"l4.{key}.destination_port"), flags
    return "", None, {}


# Endpoints by (address, lifted endpoint, service): an endpoint seen once is read once, however many of
# the million lines name it.
_ENDS: dict[tuple[Any, ...], FlowEnd] = {}


def _end(value: Any, ip: Any, what: str, service: str | None, lifted: Lifted | None) -> FlowEnd:
    token: object = None
    if type(value) is int and lifted is not None and 0 <= value < len(lifted):
        token, value = lifted[value]
    if type(ip) is str and token is not None:
        key = (ip, token, service)
        found = _ENDS.get(key)
        if found is None:
            found = _read_end(value, ip, what, service)
            if len(_ENDS) > 200_000:
                _ENDS.clear()
            _ENDS[key] = found
        return found
    return _read_end(value, ip, what, service)


def _read_end(value: Any, ip: Any, what: str, service: str | None) -> FlowEnd:
    endpoint = mapping(value, what)
    labels = strings(endpoint.get("labels"), f"{what}.labels")
    hint = EndHint.UNKNOWN
    for label in labels:
        if label.startswith("reserved:"):
            hint = _RESERVED_HINTS.get(label, hint)
    identity = endpoint.get("identity")
    if hint is EndHint.UNKNOWN and isinstance(identity, int):
        hint = _IDENTITY_HINTS.get(identity, hint)
    name = text(endpoint.get("pod_name"), f"{what}.pod_name")
    if name is not None:
        hint = EndHint.POD
    return FlowEnd(address(ip, f"IP.{what}"), text(endpoint.get("namespace"), f"{what}.namespace"), name, None,
                   labels, hint, service)


def _policies(flow: Mapping[str, Any]) -> tuple[PluginPolicy, ...]:
    found: list[PluginPolicy] = []
    for key, side, action in _POLICY_FIELDS:
        items = flow.get(key)
        if not items:
            continue
        if not isinstance(items, list):
            raise LineError(f"{key} is not a list")
        for item in items:
            policy = mapping(item, key)
            name = text(policy.get("name"), f"{key}.name")
            if name is None:
                continue
            kind = text(policy.get("kind"), f"{key}.kind") or ""
            if not kind:
                labels = strings(policy.get("labels"), f"{key}.labels")
                kind = next((label.split(_DERIVED_FROM, 1)[1] for label in labels if _DERIVED_FROM in label), "")
            found.append(PluginPolicy(kind, text(policy.get("namespace"), f"{key}.namespace"), name, action, side))
    return tuple(found)
