"""Ingress, IngressClass and the Gateway API kinds (decoded objects) into the frozen route model, with
the API's defaults applied (a rule without matches matches every path, allowedRoutes from the Same
namespace, backendRef weight 1...). Invalid objects raise `Invalid` with the API's reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubenet_tui.engine.model import frozen_labels
from kubenet_tui.engine.route_model import (
    GATEWAY_GROUP,
    BackendRef,
    Gateway,
    GatewayClass,
    GrantFrom,
    GrantTo,
    Ingress,
    IngressClass,
    IngressPath,
    Listener,
    ParentRef,
    ParentStatus,
    PathType,
    ReferenceGrant,
    Route,
    RouteMatch,
    RouteRule,
)
from kubenet_tui.sources.validate import (
    Invalid,
    int_or_name,
    labels_of,
    list_of,
    manifest_of,
    map_of,
    metadata_of,
    parse_selector,
    port_number,
)

ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")
GATEWAY_KINDS = ("GatewayClass", "Gateway", *ROUTE_KINDS, "ReferenceGrant")
INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"


def _text(value: Any, what: str, default: str | None = None) -> str | None:
    if value is None or value == "":
        return default
    if not isinstance(value, str):
        raise Invalid(f"{what} must be a string, not {type(value).__name__}")
    return value


def _hostname(value: Any, what: str) -> str | None:
    host = _text(value, what)
    if host is None:
        return None
    host = host.lower().rstrip(".")
    if "*" in host and (not host.startswith("*.") or "*" in host[2:]):
        raise Invalid(f"{what} {value!r}: a wildcard must be the first label alone (*.example.com)")
    return host


def _created(meta: Mapping[str, Any]) -> str:
    value = meta.get("creationTimestamp")
    return value if isinstance(value, str) else ""


# -- Ingress -------------------------------------------------------------------------------------------


def _ingress_backend(raw: Any, namespace: str, where: str, beta: bool) -> tuple[BackendRef | None, str | None]:
    """(Service backend, or None with the resource it names instead)."""
    backend = map_of(raw, where)
    resource = map_of(backend.get("resource"), f"{where}.resource")
    if resource:
        kind = _text(resource.get("kind"), f"{where}.resource.kind", "?")
        name = _text(resource.get("name"), f"{where}.resource.name", "?")
        return None, f"{kind} {name}"
    if beta:
        name = _text(backend.get("serviceName"), f"{where}.serviceName")
        raw_port = backend.get("servicePort")
        if name is None:
            raise Invalid(f"{where} needs serviceName or resource")
        if isinstance(raw_port, str) and raw_port.isdigit():
            raw_port = int(raw_port)  # v1beta1's servicePort was an IntOrString written either way
        beta_port = None if raw_port is None else int_or_name(raw_port, f"{where}.servicePort")
        return BackendRef(namespace, name, beta_port, where=where), None
    service = map_of(backend.get("service"), f"{where}.service")
    if not service:
        raise Invalid(f"{where} needs service or resource")
    name = _text(service.get("name"), f"{where}.service.name")
    if name is None:
        raise Invalid(f"{where}.service.name is missing")
    port_spec = map_of(service.get("port"), f"{where}.service.port")
    number, port_name = port_spec.get("number"), port_spec.get("name")
    if number is not None and port_name is not None:
        raise Invalid(f"{where}.service.port: number and name are exclusive")
    port: int | str | None = None
    if number is not None:
        port = port_number(number, f"{where}.service.port.number")
    elif port_name is not None:
        port = _text(port_name, f"{where}.service.port.name")
    else:
        raise Invalid(f"{where}.service.port needs a number or a name")
    return BackendRef(namespace, name, port, where=where), None


def _path_type(value: Any, where: str, beta: bool, warnings: list[str]) -> PathType:
    if value is None:
        if not beta:
            warnings.append(f"{where}.pathType is missing (required in networking.k8s.io/v1): read as "
                            "ImplementationSpecific")
        return PathType.IMPLEMENTATION_SPECIFIC
    try:
        found = PathType(value)
    except ValueError:
        found = None
    if found is None or found is PathType.REGEX:
        raise Invalid(f"{where}.pathType {value!r} is not Exact, Prefix or ImplementationSpecific")
    return found


def parse_ingress(obj: Mapping[str, Any], api_version: str, warnings: list[str], origin: str = "") -> Ingress:
    name, namespace, meta = metadata_of(obj, namespaced=True)
    beta = api_version.endswith("v1beta1")
    spec = map_of(obj.get("spec"), "spec")
    annotations = labels_of(meta.get("annotations"), "metadata.annotations")
    class_name = _text(spec.get("ingressClassName"), "spec.ingressClassName")
    class_from = "spec.ingressClassName" if class_name else ""
    if class_name is None and annotations.get(INGRESS_CLASS_ANNOTATION):
        class_name, class_from = annotations[INGRESS_CLASS_ANNOTATION], f"annotation {INGRESS_CLASS_ANNOTATION}"
    default_key = "backend" if beta else "defaultBackend"
    default = None
    if spec.get(default_key) is not None:
        backend, resource = _ingress_backend(spec[default_key], namespace, f"spec.{default_key}", beta)
        default = IngressPath(None, None, None, "/", PathType.PREFIX, backend, resource)
    paths: list[IngressPath] = []
    hosts: list[str | None] = []
    for i, raw_rule in enumerate(list_of(spec.get("rules"), "spec.rules")):
        rule = map_of(raw_rule, f"spec.rules[{i}]")
        host = _hostname(rule.get("host"), f"spec.rules[{i}].host")
        if host is not None and _is_ip(host):
            raise Invalid(f"spec.rules[{i}].host {host!r}: an Ingress host may not be an IP address")
        hosts.append(host)
        http = map_of(rule.get("http"), f"spec.rules[{i}].http")
        for j, raw_path in enumerate(list_of(http.get("paths"), f"spec.rules[{i}].http.paths")):
            where = f"spec.rules[{i}].http.paths[{j}]"
            entry = map_of(raw_path, where)
            path_type = _path_type(entry.get("pathType"), where, beta, warnings)
            path = _text(entry.get("path"), f"{where}.path")
            if path is None:
                if path_type is not PathType.IMPLEMENTATION_SPECIFIC:
                    raise Invalid(f"{where}.path is required for pathType {path_type.value}")
                path = "/"
            if path_type is not PathType.IMPLEMENTATION_SPECIFIC and not path.startswith("/"):
                raise Invalid(f"{where}.path {path!r} must be an absolute path (start with /)")
            backend, resource = _ingress_backend(entry.get("backend"), namespace, f"{where}.backend", beta)
            paths.append(IngressPath(i, j, host, path, path_type, backend, resource))
    if not paths and default is None:
        warnings.append("it has neither rules with paths nor a defaultBackend: it routes nothing")
    tls_hosts = []
    for i, raw_tls in enumerate(list_of(spec.get("tls"), "spec.tls")):
        for host in list_of(map_of(raw_tls, f"spec.tls[{i}]").get("hosts"), f"spec.tls[{i}].hosts"):
            if isinstance(host, str) and host:
                tls_hosts.append(host.lower())
    addresses = []
    status = map_of(obj.get("status"), "status")
    for entry in list_of(map_of(status.get("loadBalancer"), "status.loadBalancer").get("ingress"),
                         "status.loadBalancer.ingress"):
        if isinstance(entry, Mapping):
            found = entry.get("ip") or entry.get("hostname")
            if isinstance(found, str) and found:
                addresses.append(found)
    return Ingress(namespace, name, class_name, class_from, tuple(paths), default, tuple(hosts), tuple(tls_hosts),
                   tuple(addresses), frozen_labels(annotations), _created(meta), manifest_of(obj), origin)


def _is_ip(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def parse_ingress_class(obj: Mapping[str, Any]) -> IngressClass:
    name, _, meta = metadata_of(obj, namespaced=False)
    spec = map_of(obj.get("spec"), "spec")
    controller = _text(spec.get("controller"), "spec.controller")
    if controller is None:
        raise Invalid("spec.controller is missing")
    annotations = labels_of(meta.get("annotations"), "metadata.annotations")
    return IngressClass(name, controller, annotations.get(DEFAULT_CLASS_ANNOTATION) == "true",
                        frozen_labels(labels_of(meta.get("labels"), "metadata.labels")))


# -- Gateway API ---------------------------------------------------------------------------------------


def parse_gateway_class(obj: Mapping[str, Any]) -> GatewayClass:
    name, _, meta = metadata_of(obj, namespaced=False)
    controller = _text(map_of(obj.get("spec"), "spec").get("controllerName"), "spec.controllerName")
    if controller is None:
        raise Invalid("spec.controllerName is missing")
    return GatewayClass(name, controller, frozen_labels(labels_of(meta.get("labels"), "metadata.labels")))


def _listener(raw: Any, i: int) -> Listener:
    where = f"spec.listeners[{i}]"
    entry = map_of(raw, where)
    name = _text(entry.get("name"), f"{where}.name")
    if name is None:
        raise Invalid(f"{where}.name is missing")
    protocol = _text(entry.get("protocol"), f"{where}.protocol")
    if protocol is None:
        raise Invalid(f"{where}.protocol is missing")
    if "/" not in protocol:
        protocol = protocol.upper()  # core protocols are case-insensitive
    port = port_number(entry.get("port"), f"{where}.port")
    allowed = map_of(entry.get("allowedRoutes"), f"{where}.allowedRoutes")
    namespaces = map_of(allowed.get("namespaces"), f"{where}.allowedRoutes.namespaces")
    source = _text(namespaces.get("from"), f"{where}.allowedRoutes.namespaces.from", "Same")
    if source not in ("Same", "All", "Selector", "None"):
        raise Invalid(f"{where}.allowedRoutes.namespaces.from {source!r} is not Same, All or Selector")
    selector = None
    if source == "Selector":
        if namespaces.get("selector") is None:
            raise Invalid(f"{where}.allowedRoutes.namespaces: from Selector needs a selector")
        selector = parse_selector(namespaces["selector"], f"{where}.allowedRoutes.namespaces.selector")
    kinds = []
    for j, raw_kind in enumerate(list_of(allowed.get("kinds"), f"{where}.allowedRoutes.kinds")):
        kind = map_of(raw_kind, f"{where}.allowedRoutes.kinds[{j}]")
        group = _text(kind.get("group"), f"{where}.allowedRoutes.kinds[{j}].group", GATEWAY_GROUP)
        name_text = _text(kind.get("kind"), f"{where}.allowedRoutes.kinds[{j}].kind")
        if name_text is not None and group == GATEWAY_GROUP:
            kinds.append(name_text)
    tls = map_of(entry.get("tls"), f"{where}.tls")
    mode = _text(tls.get("mode"), f"{where}.tls.mode", "Terminate") if tls else None
    return Listener(i, name, port, protocol, _hostname(entry.get("hostname"), f"{where}.hostname"), str(source),
                    selector, tuple(kinds), mode)


def parse_gateway(obj: Mapping[str, Any], origin: str = "") -> Gateway:
    name, namespace, meta = metadata_of(obj, namespaced=True)
    spec = map_of(obj.get("spec"), "spec")
    class_name = _text(spec.get("gatewayClassName"), "spec.gatewayClassName")
    if class_name is None:
        raise Invalid("spec.gatewayClassName is missing")
    listeners = tuple(_listener(raw, i) for i, raw in enumerate(list_of(spec.get("listeners"), "spec.listeners")))
    if not listeners:
        raise Invalid("spec.listeners must list at least one listener")
    addresses = []
    for entry in list_of(map_of(obj.get("status"), "status").get("addresses"), "status.addresses"):
        if isinstance(entry, Mapping) and isinstance(entry.get("value"), str):
            addresses.append(entry["value"])
    return Gateway(namespace, name, class_name, listeners, tuple(addresses),
                   frozen_labels(labels_of(meta.get("labels"), "metadata.labels")), _created(meta),
                   manifest_of(obj), origin)


def _parent_ref(raw: Any, namespace: str, where: str) -> ParentRef:
    ref = map_of(raw, where)
    name = _text(ref.get("name"), f"{where}.name")
    if name is None:
        raise Invalid(f"{where}.name is missing")
    port = ref.get("port")
    return ParentRef(_text(ref.get("namespace"), f"{where}.namespace", namespace) or namespace, name,
                     _text(ref.get("kind"), f"{where}.kind", "Gateway") or "Gateway",
                     _text(ref.get("group"), f"{where}.group", GATEWAY_GROUP) or "",
                     _text(ref.get("sectionName"), f"{where}.sectionName"),
                     port_number(port, f"{where}.port") if port is not None else None)


def _backend_ref(raw: Any, namespace: str, where: str) -> BackendRef:
    ref = map_of(raw, where)
    name = _text(ref.get("name"), f"{where}.name")
    if name is None:
        raise Invalid(f"{where}.name is missing")
    weight = ref.get("weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 1_000_000:
        raise Invalid(f"{where}.weight {weight!r} must be a number from 0 to 1000000")
    port = ref.get("port")
    return BackendRef(_text(ref.get("namespace"), f"{where}.namespace", namespace) or namespace, name,
                      port_number(port, f"{where}.port") if port is not None else None,
                      _text(ref.get("kind"), f"{where}.kind", "Service") or "Service",
                      _text(ref.get("group"), f"{where}.group", "") or "", weight, where)


def _value_match(raw: Any, where: str, what: str) -> str:
    entry = map_of(raw, where)
    name = _text(entry.get("name"), f"{where}.name", "?")
    value = entry.get("value")
    kind = _text(entry.get("type"), f"{where}.type", "Exact")
    op = "~" if kind == "RegularExpression" else "="
    return f"{name}{op}{value}" if kind in ("Exact", "RegularExpression") else f"{name} ({kind} {value})"


def _http_match(raw: Any, i: int, j: int) -> RouteMatch:
    where = f"spec.rules[{i}].matches[{j}]"
    entry = map_of(raw, where)
    path = map_of(entry.get("path"), f"{where}.path")
    written = _text(path.get("type"), f"{where}.path.type", "PathPrefix")
    types = {"Exact": PathType.EXACT, "PathPrefix": PathType.PREFIX, "RegularExpression": PathType.REGEX}
    if written not in types:
        raise Invalid(f"{where}.path.type {written!r} is not Exact, PathPrefix or RegularExpression")
    value = _text(path.get("value"), f"{where}.path.value", "/") or "/"
    if types[written] is not PathType.REGEX and not value.startswith("/"):
        raise Invalid(f"{where}.path.value {value!r} must start with /")
    headers = tuple(_value_match(h, f"{where}.headers[{k}]", "header")
                    for k, h in enumerate(list_of(entry.get("headers"), f"{where}.headers")))
    query = tuple(_value_match(q, f"{where}.queryParams[{k}]", "query")
                  for k, q in enumerate(list_of(entry.get("queryParams"), f"{where}.queryParams")))
    return RouteMatch(j, types[str(written)], value, headers, query, _text(entry.get("method"), f"{where}.method"))


def _grpc_match(raw: Any, i: int, j: int) -> RouteMatch:
    where = f"spec.rules[{i}].matches[{j}]"
    entry = map_of(raw, where)
    method = map_of(entry.get("method"), f"{where}.method")
    kind = _text(method.get("type"), f"{where}.method.type", "Exact")
    headers = tuple(_value_match(h, f"{where}.headers[{k}]", "header")
                    for k, h in enumerate(list_of(entry.get("headers"), f"{where}.headers")))
    return RouteMatch(j, PathType.PREFIX, "/", headers, (), None, _text(method.get("service"), f"{where}.method.service"),
                      _text(method.get("method"), f"{where}.method.method"), kind == "RegularExpression")


def _rule(raw: Any, i: int, kind: str, namespace: str) -> RouteRule:
    where = f"spec.rules[{i}]"
    rule = map_of(raw, where)
    matches: tuple[RouteMatch, ...] = ()
    if kind in ("HTTPRoute", "GRPCRoute"):
        parse = _http_match if kind == "HTTPRoute" else _grpc_match
        matches = tuple(parse(m, i, j) for j, m in enumerate(list_of(rule.get("matches"), f"{where}.matches")))
    if not matches:
        matches = (RouteMatch(None),)  # the API's default: every request
    backends = tuple(_backend_ref(b, namespace, f"{where}.backendRefs[{j}]")
                     for j, b in enumerate(list_of(rule.get("backendRefs"), f"{where}.backendRefs")))
    filters: list[str] = []
    answers = None
    mirrors: list[BackendRef] = []
    for j, raw_filter in enumerate(list_of(rule.get("filters"), f"{where}.filters")):
        entry = map_of(raw_filter, f"{where}.filters[{j}]")
        filter_type = _text(entry.get("type"), f"{where}.filters[{j}].type", "?") or "?"
        filters.append(filter_type)
        if filter_type == "RequestRedirect":
            redirect = map_of(entry.get("requestRedirect"), f"{where}.filters[{j}].requestRedirect")
            target = "".join(str(redirect[k]) for k in ("scheme", "hostname") if redirect.get(k))
            code = redirect.get("statusCode", 302)
            answers = f"a redirect ({code}{' to ' + target if target else ''})"
        elif filter_type == "RequestMirror":
            mirror = map_of(entry.get("requestMirror"), f"{where}.filters[{j}].requestMirror")
            if mirror.get("backendRef") is not None:
                mirrors.append(_backend_ref(mirror["backendRef"], namespace, f"{where}.filters[{j}].requestMirror"
                                                                              ".backendRef"))
    name = _text(rule.get("name"), f"{where}.name")
    return RouteRule(i, matches, backends, name, tuple(filters), answers, tuple(mirrors))


def _statuses(obj: Mapping[str, Any], namespace: str) -> tuple[ParentStatus, ...]:
    found = []
    status = obj.get("status")
    parents = status.get("parents") if isinstance(status, Mapping) else None
    for entry in parents if isinstance(parents, list) else []:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("parentRef"), Mapping):
            continue
        ref = entry["parentRef"]
        parent = f"{ref.get('namespace') or namespace}/{ref.get('name')}"
        conditions = {c.get("type"): c for c in entry.get("conditions") or [] if isinstance(c, Mapping)}
        accepted, reason = _condition(conditions, "Accepted")
        resolved, resolved_reason = _condition(conditions, "ResolvedRefs")
        found.append(ParentStatus(parent, accepted, reason, resolved, resolved_reason))
    return tuple(found)


def _condition(conditions: Mapping[Any, Any], kind: str) -> tuple[bool | None, str]:
    cond = conditions.get(kind)
    if not isinstance(cond, Mapping):
        return None, ""
    return {"True": True, "False": False}.get(str(cond.get("status"))), str(cond.get("reason") or "")


def parse_route(obj: Mapping[str, Any], kind: str, api_version: str, origin: str = "") -> Route:
    name, namespace, meta = metadata_of(obj, namespaced=True)
    spec = map_of(obj.get("spec"), "spec")
    parents = tuple(_parent_ref(p, namespace, f"spec.parentRefs[{i}]")
                    for i, p in enumerate(list_of(spec.get("parentRefs"), "spec.parentRefs")))
    hostnames = []
    if kind in ("HTTPRoute", "GRPCRoute", "TLSRoute"):
        for i, host in enumerate(list_of(spec.get("hostnames"), "spec.hostnames")):
            found = _hostname(host, f"spec.hostnames[{i}]")
            if found is not None:
                hostnames.append(found)
    raw_rules = list_of(spec.get("rules"), "spec.rules")
    if not raw_rules and kind == "HTTPRoute":
        raw_rules = [{}]  # the API's default: one rule matching every path (and forwarding nowhere)
    rules = tuple(_rule(r, i, kind, namespace) for i, r in enumerate(raw_rules))
    return Route(kind, api_version, namespace, name, parents, tuple(hostnames), rules, _statuses(obj, namespace),
                 _created(meta), manifest_of(obj), origin)


def parse_reference_grant(obj: Mapping[str, Any]) -> ReferenceGrant:
    name, namespace, _ = metadata_of(obj, namespaced=True)
    spec = map_of(obj.get("spec"), "spec")
    sources = []
    for i, raw in enumerate(list_of(spec.get("from"), "spec.from")):
        entry = map_of(raw, f"spec.from[{i}]")
        ns = _text(entry.get("namespace"), f"spec.from[{i}].namespace")
        kind = _text(entry.get("kind"), f"spec.from[{i}].kind")
        if ns is None or kind is None:
            raise Invalid(f"spec.from[{i}] needs kind and namespace")
        sources.append(GrantFrom(_text(entry.get("group"), f"spec.from[{i}].group", "") or "", kind, ns))
    targets = []
    for i, raw in enumerate(list_of(spec.get("to"), "spec.to")):
        entry = map_of(raw, f"spec.to[{i}]")
        kind = _text(entry.get("kind"), f"spec.to[{i}].kind")
        if kind is None:
            raise Invalid(f"spec.to[{i}].kind is missing")
        targets.append(GrantTo(_text(entry.get("group"), f"spec.to[{i}].group", "") or "", kind,
                               _text(entry.get("name"), f"spec.to[{i}].name")))
    return ReferenceGrant(namespace, name, tuple(sources), tuple(targets))
