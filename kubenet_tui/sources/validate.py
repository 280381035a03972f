"""Validation helpers shared by the object parsers: each raises `Invalid` with the API's reason."""

from __future__ import annotations

import functools
import ipaddress
import json
import re
import socket
from collections.abc import Mapping
from typing import Any

from kubenet_tui.engine.model import (
    IPAddress,
    IPNetwork,
    LabelSelector,
    Operator,
    Protocol,
    Requirement,
)


class Invalid(ValueError):
    """An object the API server would reject; the message is the reason."""


class Unsupported(Invalid):
    """A valid object that uses something this tool does not evaluate."""


_PORT_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def map_of(value: Any, what: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Invalid(f"{what} must be a mapping, not {type(value).__name__}")
    for key in value:
        if not isinstance(key, str):
            raise Invalid(f"{what} has a key that is not a string: {key!r}")
    return value


def list_of(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid(f"{what} must be a list, not {type(value).__name__}")
    return value


def labels_of(value: Any, what: str) -> dict[str, str]:
    labels = map_of(value, what)
    out: dict[str, str] = {}
    for key, val in labels.items():
        if not isinstance(key, str) or key == "":
            raise Invalid(f"{what} has an invalid key {key!r}")
        if val is None:
            val = ""
        if not isinstance(val, str):
            # The API rejects non-string label values; converting would change them (1.10 -> "1.1").
            raise Invalid(f"{what}.{key} must be a string (quote it), not {type(val).__name__} {val!r}")
        out[key] = val
    return out


_PROTOCOLS = {p.value: p for p in Protocol}


def protocol_of(value: Any, what: str) -> Protocol:
    if value is None:
        return Protocol.TCP
    found = _PROTOCOLS.get(value) if isinstance(value, str) else None
    if found is None:
        if not isinstance(value, str):
            raise Invalid(f"{what}: protocol must be a string")
        raise Invalid(f"{what}: unsupported protocol {value!r} (TCP, UDP or SCTP)")
    return found


def port_number(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"{what} must be a number, not {value!r}")
    if not 1 <= value <= 65535:
        raise Invalid(f"{what} {value} is out of range (1-65535)")
    return value


@functools.lru_cache(maxsize=4096)
def is_port_name(value: str) -> bool:
    # A handful of names (http, metrics, dns...) recur on every pod of a cluster: checked once each.
    return len(value) <= 15 and bool(_PORT_NAME.match(value)) and bool(re.search("[a-z]", value)) and "--" not in value


def port_name(value: str, what: str) -> str:
    if not is_port_name(value):
        raise Invalid(f"{what} {value!r} is not a valid port name (IANA_SVC_NAME: 1-15 lowercase letters, digits, single '-')")
    return value


def int_or_name(value: Any, what: str) -> int | str:
    """An IntOrString port: a number, or a port name. The API rejects digit strings such as "80"
    (a name needs a letter), so a quoted number here is an error, not a number."""
    if isinstance(value, str):
        if value.isascii() and value.isdigit():
            raise Invalid(f"{what} {value!r} is a string: write the number unquoted, or use a port name")
        return port_name(value, what)
    return port_number(value, what)


def parse_selector(value: Any, what: str) -> LabelSelector:
    sel = map_of(value, what)
    unknown = set(sel) - {"matchLabels", "matchExpressions"}
    if unknown:
        raise Invalid(f"{what} has unknown field(s) {', '.join(sorted(unknown))}")
    match_labels = tuple(sorted(labels_of(sel.get("matchLabels"), f"{what}.matchLabels").items()))
    reqs = []
    for i, raw in enumerate(list_of(sel.get("matchExpressions"), f"{what}.matchExpressions")):
        where = f"{what}.matchExpressions[{i}]"
        expr = map_of(raw, where)
        key = expr.get("key")
        if not isinstance(key, str) or not key:
            raise Invalid(f"{where} needs a key")
        op_text = expr.get("operator")
        try:
            op = Operator(str(op_text))
        except ValueError:
            raise Invalid(f"{where}: unknown operator {op_text!r} (In, NotIn, Exists, DoesNotExist)") from None
        raw_values = list_of(expr.get("values"), f"{where}.values")
        if any(not isinstance(v, str) for v in raw_values):
            raise Invalid(f"{where}.values must be strings (quote numbers and booleans)")
        values = tuple(raw_values)
        if op in (Operator.IN, Operator.NOT_IN) and not values:
            raise Invalid(f"{where}: operator {op.value} needs at least one value")
        if op in (Operator.EXISTS, Operator.DOES_NOT_EXIST) and values:
            raise Invalid(f"{where}: operator {op.value} must not have values")
        reqs.append(Requirement(key, op, values))
    return LabelSelector(match_labels, tuple(reqs))


def parse_cidr(value: Any, what: str) -> IPNetwork:
    if not isinstance(value, str):
        raise Invalid(f"{what} must be a CIDR string")
    if "/" not in value:
        raise Invalid(f"{what} {value!r} is not a CIDR (missing /prefix)")
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise Invalid(f"{what} {value!r} is not a valid CIDR") from None


def parse_ip(value: Any) -> IPAddress | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        # The C parser takes exactly the dotted quads ipaddress takes, several times faster (a pod
        # IP per pod, 150,000 of them); everything else goes the general way.
        return ipaddress.IPv4Address(int.from_bytes(socket.inet_pton(socket.AF_INET, value), "big"))
    except OSError:
        pass
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def metadata_of(obj: Mapping[str, Any], namespaced: bool) -> tuple[str, str, Mapping[str, Any]]:
    meta = map_of(obj.get("metadata"), "metadata")
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise Invalid("metadata.name is missing")
    namespace = meta.get("namespace") if namespaced else ""
    if namespaced and (not isinstance(namespace, str) or not namespace):
        namespace = "default"
    return name, str(namespace), meta


def manifest_of(obj: Mapping[str, Any]) -> str:
    """The object as compact JSON minus what only clutters a policy view."""
    clean = {k: v for k, v in obj.items() if k != "status"}
    meta = clean.get("metadata")
    if isinstance(meta, Mapping):
        clean["metadata"] = {
            k: v
            for k, v in meta.items()
            if k not in ("managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink")
        }
        annotations = clean["metadata"].get("annotations")
        if isinstance(annotations, Mapping) and "kubectl.kubernetes.io/last-applied-configuration" in annotations:
            rest = {k: v for k, v in annotations.items() if k != "kubectl.kubernetes.io/last-applied-configuration"}
            if rest:
                clean["metadata"]["annotations"] = rest
            else:
                del clean["metadata"]["annotations"]
    try:
        return json.dumps(clean, separators=(",", ":"), default=str)
    except (TypeError, ValueError):
        # YAML allows what JSON cannot hold (date keys, recursive aliases): keep a faithful-enough copy.
        return json.dumps(_json_safe(clean, set()), separators=(",", ":"), default=str)


def _json_safe(value: Any, seen: set[int]) -> Any:
    if isinstance(value, Mapping | list):
        if id(value) in seen:
            return "<recursive>"
        seen = seen | {id(value)}
        if isinstance(value, Mapping):
            return {str(k): _json_safe(v, seen) for k, v in value.items()}
        return [_json_safe(v, seen) for v in value]
    return value


