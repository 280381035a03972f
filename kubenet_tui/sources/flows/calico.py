"""Calico flow logs, in the three JSON shapes they come in.

1. The open-source flow API (goldmane): projectcalico/calico `goldmane/proto/api.proto`, message Flow
   (`Key` FlowKey, `start_time`, `end_time`, `source_labels`, `dest_labels`, `num_connections_started`)
   and FlowKey (`source_name`, `source_namespace`, `source_type` EndpointType, `dest_name`,
   `dest_namespace`, `dest_type`, `dest_port`, `dest_service_name`, `dest_service_namespace`, `proto`,
   `reporter` Reporter, `action` Action, `policies` PolicyTrace{`enforced_policies`, `pending_policies`}
   of PolicyHit{`kind` PolicyKind, `namespace`, `name`, `tier`, `action`, `rule_index`, `trigger`}).
   Goldmane's emitter (`goldmane/pkg/emitter/emitter.go`) writes one `json.Marshal` of the Go struct
   per line: proto field names, enums as numbers, int64 as numbers. protojson (grpcurl) writes
   lowerCamelCase names and enum names instead: both are read. A FlowResult (`{"id", "flow"}`) is
   unwrapped. FlowKey names a set of pods that share a generateName, never an address.
2. Whisker's REST API (`whisker-backend/pkg/apis/v1/flows.go`, FlowResponse): flat `start_time`,
   `end_time` (RFC 3339), `action` (Allow, Deny), `source_name`, `source_namespace`, `source_labels`,
   `dest_name`, `dest_namespace`, `dest_labels`, `protocol`, `dest_port`, `reporter` (Src, Dst),
   `policies` {`enforced`, `pending`} of PolicyHit with enum names. Server-sent events (`data: {...}`)
   are read too.
3. The flat flow-log records of Felix's file reporter and of Elasticsearch (Calico Enterprise, Cloud):
   `felix/collector/flowlog` JSONOutput and the "Flow log data types" reference: `start_time`,
   `end_time` (epoch seconds), `source_ip`, `source_name` (`-` when aggregated), `source_name_aggr`
   (`frontend-7d9f8-*`, or `pub` / `pvt` for networks), `source_namespace` (`-`: none), `source_type`
   (wep, hep, ns, net), `source_labels` {`labels`}, and the same for `dest_*`, `dest_port`,
   `dest_service_namespace`, `dest_service_name`, `proto` (tcp, udp, icmp, or a number), `action`
   (allow, deny), `reporter` (src, dst), `policies` {`enforced_policies`, `pending_policies`} (newer)
   or {`all_policies`} (older), `num_flows_started`, `num_flows`.

Policy hits in the flat records are strings `index|tier|name|action|rule` (rule -1: the tier's end,
no rule matched), the name either kind-prefixed (`knp:ns/name`, `np:ns/tier.name`, `gnp:tier.name`,
`kcnp:name`, `snp:`/`sgnp:`/`sknp:` staged, `pro:kns.ns` profile: goldmane's HitFromString tests) or
in the older form (`ns/knp.default.name`, `ns/tier.name`, `tier.name`, `__PROFILE__.kns.ns`,
`staged:` inside). The reporter says the side: `src` is the source's egress, `dst` the destination's
ingress.
"""

from __future__ import annotations

import re
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
    protocol,
    text,
    timestamp,
)

# goldmane api.proto enums, by number (encoding/json) and by name (protojson, Whisker).
_ACTIONS = {1: "allow", 2: "deny", 3: "pass", "Allow": "allow", "Deny": "deny", "Pass": "pass", "allow": "allow",
            "deny": "deny", "pass": "pass", "ActionUnspecified": "", 0: ""}
_REPORTERS = {1: Direction.EGRESS, 2: Direction.INGRESS, "Src": Direction.EGRESS, "Dst": Direction.INGRESS,
              "src": Direction.EGRESS, "dst": Direction.INGRESS}
_TYPES = {1: EndHint.POD, 2: EndHint.HOST, 3: EndHint.NETWORK_SET, 4: EndHint.WORLD,
          "WorkloadEndpoint": EndHint.POD, "HostEndpoint": EndHint.HOST, "NetworkSet": EndHint.NETWORK_SET,
          "Network": EndHint.WORLD, "wep": EndHint.POD, "hep": EndHint.HOST, "ns": EndHint.NETWORK_SET,
          "net": EndHint.WORLD}
# PolicyKind: (kind as shown, staged).
_KINDS: dict[Any, tuple[str, bool]] = {
    1: ("CalicoNetworkPolicy", False), 2: ("GlobalNetworkPolicy", False), 3: ("CalicoNetworkPolicy", True),
    4: ("GlobalNetworkPolicy", True), 5: ("NetworkPolicy", True), 6: ("NetworkPolicy", False),
    7: ("ClusterNetworkPolicy", False), 8: ("ClusterNetworkPolicy", False), 9: ("Profile", False),
    10: ("EndOfTier", False),
}
_KINDS.update({name: _KINDS[number] for number, name in enumerate(
    ("KindUnspecified", "CalicoNetworkPolicy", "GlobalNetworkPolicy", "StagedNetworkPolicy",
     "StagedGlobalNetworkPolicy", "StagedKubernetesNetworkPolicy", "NetworkPolicy", "ClusterNetworkPolicyAdminTier",
     "ClusterNetworkPolicyBaselineTier", "Profile", "EndOfTier")) if number})
# Kind prefixes of the policy strings (goldmane/proto HitFromString).
_PREFIXES = {"knp": ("NetworkPolicy", False), "np": ("CalicoNetworkPolicy", False),
             "gnp": ("GlobalNetworkPolicy", False), "kcnp": ("ClusterNetworkPolicy", False),
             "snp": ("CalicoNetworkPolicy", True), "sgnp": ("GlobalNetworkPolicy", True),
             "sknp": ("NetworkPolicy", True), "pro": ("Profile", False)}
_CAMEL = re.compile(r"_([a-z])")


def is_calico(obj: Mapping[str, Any]) -> bool:
    flow = obj.get("flow")
    if isinstance(flow, Mapping) and ("Key" in flow or "key" in flow):
        return True
    return ("Key" in obj or "key" in obj or "source_name_aggr" in obj or "dest_name_aggr" in obj
            or ("reporter" in obj and "action" in obj))


def parse(obj: Mapping[str, Any], line: int) -> FlowRecord | Skip:
    flow = obj.get("flow")
    if isinstance(flow, Mapping):
        obj = flow  # a goldmane FlowResult
    key = obj.get("Key", obj.get("key"))
    if key is not None:
        return _goldmane(obj, mapping(key, "Key"), line)
    return _flat(obj, line)


def _get(obj: Mapping[str, Any], name: str) -> Any:
    """A field by its proto name or protojson's lowerCamelCase one."""
    found = obj.get(name)
    if found is None and "_" in name:
        found = obj.get(_CAMEL.sub(lambda m: m.group(1).upper(), name))
    return found


def _goldmane(flow: Mapping[str, Any], key: Mapping[str, Any], line: int) -> FlowRecord | Skip:
    side = _REPORTERS.get(_get(key, "reporter"))
    observed = _observed(_get(key, "action"))
    if observed is None:
        return Skip("Calico flows without a final action")
    source = _named_end(key, "source", _get(flow, "source_labels"))
    destination = _named_end(key, "dest", _get(flow, "dest_labels"))
    trace = mapping(_get(key, "policies"), "policies")
    hits = [*(_hit(h, side, False) for h in _list(_get(trace, "enforced_policies"), "enforced_policies")),
            *(_hit(h, side, True) for h in _list(_get(trace, "pending_policies"), "pending_policies"))]
    started = _get(flow, "num_connections_started")
    return FlowRecord(
        Plugin.CALICO, line, timestamp(_get(flow, "start_time"), "start_time"), source, destination,
        protocol(_get(key, "proto"), "proto"), port(_get(key, "dest_port"), "dest_port"), observed,
        _reason(_get(key, "action")), side, False, _count(started, "num_connections_started"), tuple(hits),
        end_time=timestamp(_get(flow, "end_time"), "end_time"),
    )


def _flat(obj: Mapping[str, Any], line: int) -> FlowRecord | Skip:
    side = _REPORTERS.get(obj.get("reporter"))
    if obj.get("reporter") is not None and side is None:
        raise LineError(f"reporter {obj.get('reporter')!r} is neither src nor dst")
    observed = _observed(obj.get("action"))
    if observed is None:
        return Skip("Calico flows without a final action")
    policies = obj.get("policies")
    hits: list[PluginPolicy] = []
    if isinstance(policies, Mapping):
        for field, pending in (("enforced_policies", False), ("all_policies", False), ("pending_policies", True),
                               ("enforced", False), ("pending", True)):
            for hit in _list(policies.get(field), f"policies.{field}"):
                hits.append(_hit_string(hit, side, pending) if isinstance(hit, str) else _hit(hit, side, pending))
    elif policies is not None:
        raise LineError("policies is not an object")
    count = obj.get("num_flows_started") or obj.get("num_flows")
    dest_service = text(obj.get("dest_service_name"), "dest_service_name")
    return FlowRecord(
        Plugin.CALICO, line, timestamp(obj.get("start_time"), "start_time"),
        _flat_end(obj, "source", None),
        _flat_end(obj, "dest", f"{obj.get('dest_service_namespace') or ''}/{dest_service}" if dest_service else None),
        protocol(obj.get("proto", obj.get("protocol")), "proto"), port(obj.get("dest_port"), "dest_port"), observed,
        _reason(obj.get("action")), side, False, _count(count, "num_flows_started"), tuple(hits),
        end_time=timestamp(obj.get("end_time"), "end_time"),
    )


def _observed(action: Any) -> Observed | None:
    if not isinstance(action, str | int) or isinstance(action, bool) or action not in _ACTIONS:
        raise LineError(f"action {action!r} is not one of Calico's (allow, deny)")
    return {"allow": Observed.ALLOWED, "deny": Observed.DENIED}.get(_ACTIONS[action])


def _reason(action: Any) -> str:
    return _ACTIONS.get(action, "") if isinstance(action, str | int) else ""


def _count(value: Any, what: str) -> int:
    if value is None or value == 0 or value == "":
        return 1
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise LineError(f"{what} is {value!r}, not a count")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise LineError(f"{what} is not a list")
    return value


def _labels(value: Any, what: str) -> tuple[str, ...]:
    """Labels as `key=value`: a list (goldmane), {"labels": [...]} (flat records), or one string (Whisker)."""
    if value is None:
        return ()
    if isinstance(value, Mapping):
        value = value.get("labels")
        if value is None:
            return ()
    if isinstance(value, str):
        # Label keys and values cannot hold commas, bars or spaces: any of them separates.
        return tuple(part for part in re.split(r"[,|\s]+", value) if "=" in part)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise LineError(f"{what} is not a list of labels")


def _named_end(key: Mapping[str, Any], prefix: str, labels: Any) -> FlowEnd:
    """A goldmane end: a name (a set of pods sharing a generateName, `name-*`), a namespace and a type."""
    name = text(_get(key, f"{prefix}_name"), f"{prefix}_name")
    namespace = text(_get(key, f"{prefix}_namespace"), f"{prefix}_namespace")
    kind = _get(key, f"{prefix}_type")
    hint = _TYPES.get(kind, EndHint.UNKNOWN) if isinstance(kind, str | int) else EndHint.UNKNOWN
    service = None
    if prefix == "dest":
        service_name = text(_get(key, "dest_service_name"), "dest_service_name")
        if service_name:
            service = f"{_get(key, 'dest_service_namespace') or ''}/{service_name}"
    exact, set_prefix = _name(name, hint)
    return FlowEnd(None, namespace, exact, set_prefix, _labels(labels, f"{prefix}_labels"), hint, service)


def _flat_end(obj: Mapping[str, Any], prefix: str, service: str | None) -> FlowEnd:
    kind = obj.get(f"{prefix}_type")
    hint = _TYPES.get(kind, EndHint.UNKNOWN) if isinstance(kind, str) else EndHint.UNKNOWN
    name = text(obj.get(f"{prefix}_name"), f"{prefix}_name")
    aggregated = text(obj.get(f"{prefix}_name_aggr"), f"{prefix}_name_aggr")
    exact, set_prefix = _name(name, hint) if name else _name(aggregated, hint)
    return FlowEnd(address(obj.get(f"{prefix}_ip"), f"{prefix}_ip"),
                   text(obj.get(f"{prefix}_namespace"), f"{prefix}_namespace"), exact, set_prefix,
                   _labels(obj.get(f"{prefix}_labels"), f"{prefix}_labels"), hint, service)


def _name(name: str | None, hint: EndHint) -> tuple[str | None, str | None]:
    """(exact name, prefix of a set): `frontend-7d9f8-*` names every pod starting `frontend-7d9f8-`."""
    if name is None:
        return None, None
    if name.endswith("*"):
        return None, name[:-1]
    if hint is EndHint.WORLD and name in ("pub", "pvt"):
        return name, None
    return name, None


def _hit(value: Any, side: Direction | None, pending: bool) -> PluginPolicy:
    """A PolicyHit object (goldmane, Whisker). An end of tier names the policy that selected the endpoint
    as its `trigger`."""
    hit = mapping(value, "policy hit")
    kind_value = _get(hit, "kind")
    kind, staged = _KINDS.get(kind_value, (str(kind_value or ""), False)) if isinstance(kind_value, str | int) else (
        "", False)
    rule = _get(hit, "rule_index")
    action = _ACTIONS.get(_get(hit, "action"), "") if isinstance(_get(hit, "action"), str | int) else ""
    if kind == "EndOfTier":
        trigger = mapping(_get(hit, "trigger"), "trigger")
        if trigger:
            inner = _hit(trigger, side, pending)
            return inner._replace(action=action or inner.action, rule=-1)
        rule = -1
    name = text(_get(hit, "name"), "policy hit name") or ""
    if isinstance(rule, str) and rule.lstrip("-").isdigit():
        rule = int(rule)
    return PluginPolicy(kind, text(_get(hit, "namespace"), "policy hit namespace"), name, action, side,
                        text(_get(hit, "tier"), "policy hit tier"), rule if isinstance(rule, int) else None,
                        pending or staged)


def _hit_string(value: str, side: Direction | None, pending: bool) -> PluginPolicy:
    """`index|tier|name|action[|rule]` (felix/collector/flowlog, goldmane/proto HitFromString)."""
    parts = value.split("|")
    if len(parts) not in (4, 5):
        raise LineError(f"policy {value!r} is not index|tier|name|action|rule")
    _, tier, name, action = parts[:4]
    rule: int | None = None
    if len(parts) == 5 and parts[4].lstrip("-").isdigit():
        rule = int(parts[4])
    staged = False
    kind_prefix, colon, rest = name.partition(":")
    if colon and kind_prefix in _PREFIXES:
        kind, staged = _PREFIXES[kind_prefix]
        namespace, slash, policy = rest.partition("/")
        if not slash:
            namespace, policy = "", rest
        if kind == "Profile":
            namespace, policy = "", rest
    else:
        namespace, slash, policy = name.partition("/")
        if not slash:
            namespace, policy = "", name
        if "staged:" in policy:
            staged = True
            policy = policy.replace("staged:", "")
        if policy.startswith("__PROFILE__."):
            kind, policy = "Profile", policy[len("__PROFILE__."):]
        elif policy.startswith("knp.default."):
            kind, policy = "NetworkPolicy", policy[len("knp.default."):]
        elif policy.startswith("kanp.adminnetworkpolicy."):
            kind, policy = "AdminNetworkPolicy", policy[len("kanp.adminnetworkpolicy."):]
        elif policy.startswith("kbanp.baselineadminnetworkpolicy."):
            kind, policy = "BaselineAdminNetworkPolicy", policy[len("kbanp.baselineadminnetworkpolicy."):]
        else:
            kind = "CalicoNetworkPolicy" if namespace else "GlobalNetworkPolicy"
    if not policy:
        raise LineError(f"policy {value!r} names no policy")
    return PluginPolicy(kind, namespace or None, policy, action.lower(), side, tier or None, rule, pending or staged)
