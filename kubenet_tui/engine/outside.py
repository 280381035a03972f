"""From outside the cluster through an Ingress or a Gateway: "can the internet reach this page?"

A request does not go from the client to the backend pod. It goes to a controller's data-plane pods
(an ingress controller, a Gateway's proxy), which open new connections to the backends. So the answer
is a path, each step from the specs and the verdicts of `evaluate`:

    URL -> the Ingress rule or route rule that takes it (route_match)
        -> the controller and its data-plane pods (controllers)
        -> outside -> each data-plane pod, on the port the controller's Service sends it to
        -> each backendRef's Service port -> its endpoints on their target ports (services)
        -> per backend, from each data-plane pod: the explained verdict.

An end is `https://HOST[:PORT]/PATH` (or `http://`), or an object: `ingress/NS/NAME` (every rule of it),
`gateway/NS/NAME` (every route attached to it), `route/NS/NAME` (also `httproute/`, `grpcroute/`,
`tlsroute/`, `tcproute/`). What cannot be told (routes or classes that could not be read, a controller
that cannot be identified, conditions a URL does not carry) makes the answer unknown and says why.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from kubenet_tui.engine.caveats import Caveat, CaveatCode
from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.controllers import (
    DataPlane,
    PodsOverride,
    gateway_data_plane,
    ingress_data_plane,
    pods_of_selector,
)
from kubenet_tui.engine.ends import End, ServiceTarget, resolve_target
from kubenet_tui.engine.errors import DataMissing, InputError
from kubenet_tui.engine.evaluate import evaluate
from kubenet_tui.engine.explain import Status, Verdict
from kubenet_tui.engine.gaps import Resource
from kubenet_tui.engine.model import IPAddress, Pod, Protocol, Service
from kubenet_tui.engine.outside_ends import OBJECT_HEADS as OBJECT_HEADS
from kubenet_tui.engine.outside_ends import ROUTE_HEADS, is_url
from kubenet_tui.engine.outside_ends import is_outside_end as is_outside_end
from kubenet_tui.engine.outside_ends import named_namespace as named_namespace
from kubenet_tui.engine.records import record
from kubenet_tui.engine.route_match import (
    GatewayChoice,
    NamespaceLabels,
    Request,
    attached_listeners,
    choose_ingress,
    choose_route,
    gateway_host_matches,
    parse_url,
)
from kubenet_tui.engine.route_model import (
    BackendRef,
    Gateway,
    Ingress,
    IngressPath,
    Route,
    RouteResources,
    RouteRule,
)
from kubenet_tui.engine.services import ServiceVerdict, evaluate_service

_ROUTE_RESOURCES = (Resource.HTTP_ROUTES, Resource.GRPC_ROUTES, Resource.TLS_ROUTES, Resource.TCP_ROUTES)
# Addresses that stand for "a client on the internet" in an explained verdict (RFC 5737 documentation
# ranges first); a policy that names one of them is seen by the reach analysis, which picks another.
_CLIENTS = ("203.0.113.10", "198.51.100.10", "192.0.2.10", "8.8.8.8", "1.1.1.1", "2001:db8::10")


def outside_ends(cluster: Cluster) -> tuple[str, ...]:
    """Ends from outside that the cluster's routes make sensible to ask about (for completion): a URL per
    host routed (https when TLS or a listener says so), then every Ingress, Gateway and route by name."""
    routes = cluster.routes
    if routes is None:
        return ()
    urls: dict[str, None] = {}
    for ingress in routes.ingresses:
        for host in ingress.hosts:
            if host is not None and not host.startswith("*."):
                scheme = "https" if host in ingress.tls_hosts else "http"
                urls.setdefault(f"{scheme}://{host}/")
    for gateway in routes.gateways:
        for li in gateway.listeners:
            hosts = [li.hostname] if li.hostname else [h for r in routes.routes for h in r.hostnames
                                                       if any(p.name == gateway.name for p in r.parents)]
            scheme = "https" if li.protocol in ("HTTPS", "TLS") else "http"
            port = "" if (scheme, li.port) in (("http", 80), ("https", 443)) else f":{li.port}"
            for host in hosts:
                if host and not host.startswith("*.") and li.protocol in ("HTTP", "HTTPS", "TLS"):
                    urls.setdefault(f"{scheme}://{host}{port}/")
    objects = [f"ingress/{i.key}" for i in routes.ingresses] + [f"gateway/{g.key}" for g in routes.gateways]
    objects += [f"{r.kind.lower()}/{r.key}" for r in routes.routes]
    return (*sorted(urls), *objects)


def route_manifest(cluster: Cluster, kind: str, namespace: str | None, name: str) -> str | None:
    """The object (as compact JSON, like a policy's manifest) of an Ingress, Gateway or route, for the
    explorer's YAML view; None when it was not loaded."""
    routes = cluster.routes
    if routes is None:
        return None
    pool: Sequence[Ingress | Gateway | Route] = (routes.ingresses if kind == "Ingress" else routes.gateways
                                                   if kind == "Gateway" else routes.routes)
    found = next((o for o in pool if o.namespace == namespace and o.name == name
                  and (not isinstance(o, Route) or o.kind == kind)), None)
    return found.manifest if found is not None else None


# -- the answer ----------------------------------------------------------------------------------------


@record
class RouteRef:
    """A rule of an Ingress or a route, for display and for the explorer to open at its YAML path."""

    kind: str
    namespace: str
    name: str
    where: str  # "spec.rules[0].http.paths[1]", "spec.rules[2].matches[0]"
    yaml_path: tuple[str | int, ...]

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def label(self) -> str:
        return f"{self.kind} {self.key} {self.where}"


@record
class EntryHop:
    """From outside to one data-plane pod (or Cilium's proxy) on the port the controller listens on."""

    target: str  # "namespace/pod" or "reserved:ingress"
    port: int | None
    sources: str  # who the pod sees as the client, in words
    status: Status
    summary: str
    verdicts: tuple[Verdict, ...] = ()  # explained, one per source address asked
    reach: str = ""  # outside addresses: all, some, none, unknown (the reach analysis), or "" (not run)
    ranges: tuple[str, ...] = ()  # outside ranges let in, when some are


@record
class Frontend:
    """Who takes the request from outside: an IngressClass's controller, or a Gateway."""

    kind: str  # "IngressClass" or "Gateway"
    name: str  # the class name ("" when the Ingress names none), or the Gateway's namespace/name
    plane: DataPlane
    how: str  # how the class was chosen, or the Gateway's class
    entry: tuple[EntryHop, ...] = ()
    exposure: str = ""  # the Service clients reach it through, in words
    addresses: tuple[str, ...] = ()  # where it was published (Ingress and Gateway status)
    caveats: tuple[Caveat, ...] = ()

    @property
    def label(self) -> str:
        if self.kind == "Gateway":
            return f"Gateway {self.name}"
        return f"IngressClass {self.name}" if self.name else "an Ingress without class"

    @property
    def status(self) -> Status:
        if not self.plane.known:
            return Status.UNKNOWN
        return _combine(h.status for h in self.entry)


@record
class BackendHop:
    """One backendRef of a rule: its Service port, and the verdicts from each data-plane source."""

    ref: BackendRef
    verdicts: tuple[ServiceVerdict, ...] = ()  # one per data-plane pod (or Cilium's proxy)
    note: str = ""  # why nothing is evaluated
    status: Status = Status.NOT_EVALUATED
    mirror: bool = False  # a RequestMirror's copy, not where the request goes

    @property
    def service(self) -> str:
        return self.ref.key


@record
class RoutePath:
    """One rule that takes the request (or, for an object end, one rule of it), and where it leads."""

    route: RouteRef
    frontend: int  # index into RouteVerdict.frontends
    match: str  # how the request matched, or what the rule matches
    backends: tuple[BackendHop, ...]
    status: Status
    conditions: tuple[str, ...] = ()  # the request takes it only with these (headers, query, method)
    answers: str | None = None  # the rule answers itself (a redirect) instead of forwarding
    considered: tuple[str, ...] = ()  # other rules that take the request too but lose, and why


@record
class RouteVerdict:
    end: str  # as asked
    kind: str  # "url", "ingress", "gateway", "route"
    status: Status
    summary: str
    paths: tuple[RoutePath, ...]
    frontends: tuple[Frontend, ...]
    request: Request | None = None
    caveats: tuple[Caveat, ...] = ()
    notes: tuple[str, ...] = ()  # why nothing (or not everything) could be followed
    destination: str | None = None  # only the backends of this pod or Service were asked
    unknown: str | None = None  # what makes the whole answer unknown (routes that could not be read)

    @property
    def allowed(self) -> bool | None:
        return self.status.allowed

    def legs(self) -> Iterable[tuple[RoutePath, BackendHop, ServiceVerdict]]:
        for path in self.paths:
            for hop in path.backends:
                for sv in hop.verdicts:
                    yield path, hop, sv


# -- status arithmetic -----------------------------------------------------------------------------------

_ORDER = {Status.BLOCKED: 0, Status.UNKNOWN: 1, Status.ALLOWED: 2, Status.NOT_EVALUATED: 3}


def _combine(statuses: Iterable[Status]) -> Status:
    """Blocked if anything is, else unknown if anything is, else allowed if anything is; nothing
    evaluated at all: not evaluated (nothing would receive it)."""
    found = set(statuses)
    return min(found, key=_ORDER.__getitem__) if found else Status.NOT_EVALUATED


# -- ends ------------------------------------------------------------------------------------------------


@dataclass
class _Context:
    cluster: Cluster
    routes: RouteResources
    override: PodsOverride | None
    frontends: list[Frontend] = field(default_factory=list)
    keys: dict[tuple[str, str], int] = field(default_factory=dict)
    ports: dict[int, set[int]] = field(default_factory=dict)  # frontend -> ports clients reach it on
    caveats: list[Caveat] = field(default_factory=list)

    def caveat(self, code: CaveatCode, message: str) -> None:
        found = Caveat(code, message)
        if found not in self.caveats:
            self.caveats.append(found)


def _gap(cluster: Cluster, resources: Sequence[Resource], namespace: str | None = None) -> str | None:
    """Why objects of `resources` (in `namespace`, or anywhere when None) may exist unseen."""
    for gap in cluster.unreadable:
        if gap.resource in resources and gap.hides_objects and (namespace is None or gap.namespace in (None, namespace)):
            where = f"in namespace {gap.namespace}" if gap.namespace else "cluster-wide"
            return f"{gap.resource.value} {where} could not be read ({gap.reason})"
    return None


def _effective_class(ingress: Ingress, routes: RouteResources) -> tuple[str, str]:
    """(class name or "", how it was chosen)."""
    if ingress.class_name:
        return ingress.class_name, ingress.class_from
    defaults = routes.default_ingress_classes()
    if len(defaults) == 1:
        return defaults[0].name, "the default IngressClass"
    return "", "no class"


def _frontend(ctx: _Context, kind: str, name: str, how: str, gateway: Gateway | None = None) -> int:
    key = (kind, name)
    found = ctx.keys.get(key)
    if found is not None:
        return found
    if gateway is not None:
        plane = gateway_data_plane(ctx.cluster, gateway, ctx.override)
        addresses = gateway.addresses
    else:
        plane = ingress_data_plane(ctx.cluster, name or None, how, ctx.override)
        addresses = tuple(dict.fromkeys(a for i in ctx.routes.ingresses if _effective_class(i, ctx.routes)[0] == name
                                        for a in i.addresses))
    ctx.frontends.append(Frontend(kind, name, plane, how, addresses=addresses))
    ctx.keys[key] = len(ctx.frontends) - 1
    return ctx.keys[key]


def _ingress_groups(routes: RouteResources) -> dict[str, tuple[list[Ingress], str]]:
    groups: dict[str, tuple[list[Ingress], str]] = {}
    for ingress in routes.ingresses:
        name, how = _effective_class(ingress, routes)
        groups.setdefault(name, ([], how))[0].append(ingress)
    return groups


def _ingress_ref(ingress: Ingress, path: IngressPath) -> RouteRef:
    return RouteRef("Ingress", ingress.namespace, ingress.name, path.where, path.yaml_path)


def _rule_ref(route: Route, rule: RouteRule, match_index: int | None = None) -> RouteRef:
    where = f"spec.rules[{rule.index}]"
    path: tuple[str | int, ...] = ("spec", "rules", rule.index)
    if match_index is not None:
        where += f".matches[{match_index}]"
        path = (*path, "matches", match_index)
    return RouteRef(route.kind, route.namespace, route.name, where, path)


def _describe_ingress_path(path: IngressPath) -> str:
    if path.rule is None:
        return "defaultBackend: every request no rule takes"
    host = f"host {path.host}" if path.host else "every host"
    return f"{host}, path {path.path} ({path.path_type.value})"


def _describe_rule(route: Route, rule: RouteRule) -> str:
    host = f"hostnames {', '.join(route.hostnames)}" if route.hostnames else "every hostname"
    if route.kind in ("TCPRoute", "UDPRoute"):
        return f"every connection to its listener{'s' if len(route.parents) > 1 else ''}"
    if route.kind == "TLSRoute":
        return f"{host} (TLS server name)"
    return f"{host}; " + " or ".join(m.describe() for m in rule.matches)


# -- backends --------------------------------------------------------------------------------------------


def _sources(plane: DataPlane) -> list[End]:
    if plane.identity is not None:
        return [End(identity=plane.identity)]
    return [End(pod=p) for p in plane.pods]


def _backend(ctx: _Context, ref: BackendRef, plane: DataPlane, route: Route | None, mirror: bool = False) -> BackendHop:
    cluster = ctx.cluster
    index = cluster.index
    if not ref.is_service:
        return BackendHop(ref, note=f"a backendRef to {ref.kind} {ref.key} ({ref.group or 'core'}): this tool follows "
                                    "Services only", status=Status.UNKNOWN, mirror=mirror)
    if route is not None and ref.namespace != route.namespace:
        granted = any(g.permits(route, ref) for g in ctx.routes.grants)
        if not granted:
            gap = _gap(cluster, (Resource.REFERENCE_GRANTS,), ref.namespace)
            if gap is not None:
                return BackendHop(ref, note=f"it refers to namespace {ref.namespace}, and whether a ReferenceGrant "
                                            f"permits it is unknown: {gap}", status=Status.UNKNOWN, mirror=mirror)
            message = (f"{route.kind} {route.key} refers to svc/{ref.key} in another namespace, and no ReferenceGrant "
                       f"in namespace {ref.namespace} permits it: the controller refuses the backendRef (ResolvedRefs: "
                       "RefNotPermitted) and answers 500 to the requests it would get")
            ctx.caveat(CaveatCode.REFERENCE_GRANT_MISSING, message)
            return BackendHop(ref, note="no ReferenceGrant permits this cross-namespace backendRef: requests for it "
                                        "get 500", mirror=mirror)
    if ref.weight == 0:
        return BackendHop(ref, note="weight 0: it gets no requests", mirror=mirror)
    if ref.port is None:
        return BackendHop(ref, note="the backendRef names no port, which a Service backend needs: the controller "
                                    "refuses it", mirror=mirror)
    service = index.services_by_key.get(ref.key)
    if service is None:
        hidden = index.unreadable_for(Resource.SERVICES, ref.namespace)
        if hidden is not None and hidden.hides_objects:
            return BackendHop(ref, note=f"Services of namespace {ref.namespace} could not be read ({hidden.reason})",
                              status=Status.UNKNOWN, mirror=mirror)
        ctx.caveat(CaveatCode.NO_ENDPOINTS, f"svc/{ref.key} does not exist: the controller answers 503 (or 500) to "
                                            "the requests for it")
        return BackendHop(ref, note=f"no Service {ref.key}: the controller has nowhere to send it (503)", mirror=mirror)
    if not plane.known:
        return BackendHop(ref, note=plane.unknown or "the controller's data plane is unknown", status=Status.UNKNOWN,
                          mirror=mirror)
    verdicts = []
    for source in _sources(plane):
        try:
            verdicts.append(evaluate_service(cluster, source, service, Protocol.TCP, str(ref.port)))
        except InputError as exc:
            return BackendHop(ref, note=str(exc), mirror=mirror)
    status = _combine(sv.status for sv in verdicts)
    if any(sv.status is Status.NOT_EVALUATED for sv in verdicts):
        ctx.caveat(CaveatCode.NO_ENDPOINTS, f"svc/{ref.key} has no endpoint that can take the request: the controller "
                                            "answers 503 for it")
    return BackendHop(ref, tuple(verdicts), status=status, mirror=mirror)


def _path(ctx: _Context, ref: RouteRef, frontend: int, match: str, backends: Sequence[BackendRef],
          route: Route | None, conditions: tuple[str, ...] = (), answers: str | None = None,
          considered: tuple[str, ...] = (), mirrors: Sequence[BackendRef] = ()) -> RoutePath:
    plane = ctx.frontends[frontend].plane
    hops = [_backend(ctx, b, plane, route) for b in backends]
    hops.extend(_backend(ctx, b, plane, route, mirror=True) for b in mirrors)
    real = [h for h in hops if not h.mirror]
    if answers is not None:
        status = Status.NOT_EVALUATED
    elif not real:
        answers = "500: the rule has no backendRefs"
        status = Status.NOT_EVALUATED
    else:
        status = _combine(h.status for h in real)
        if not plane.known and status is not Status.BLOCKED:
            status = Status.UNKNOWN
    return RoutePath(ref, frontend, match, tuple(hops), status, conditions, answers, considered)


# -- outside -> the data plane ---------------------------------------------------------------------------


def _exposing(cluster: Cluster, pod: Pod, port: int) -> Service | None:
    """The LoadBalancer or NodePort Service that brings clients to `pod` on Service port `port`."""
    found = []
    for service in cluster.services:
        if service.namespace != pod.namespace or service.selector is None:
            continue
        if service.type not in ("LoadBalancer", "NodePort"):
            continue
        if not any(sp.port == port and sp.protocol is Protocol.TCP for sp in service.ports):
            continue
        if pod in pods_of_selector(cluster, service.namespace, dict(service.selector)):
            found.append(service)
    found.sort(key=lambda s: (s.type != "LoadBalancer", s.name))
    return found[0] if found else None


def _pod_port(service: Service | None, pod: Pod, port: int) -> tuple[int | None, str]:
    if service is None:
        return port, ""
    sp = next(sp for sp in service.ports if sp.port == port and sp.protocol is Protocol.TCP)
    if isinstance(sp.target_port, int):
        return sp.target_port, ""
    cport = pod.named_port(sp.target_port, Protocol.TCP)
    if cport is None:
        return None, f"targetPort {sp.target_port!r} is not a container port of {pod.key}"
    return cport.port, ""


def _client(ranges: tuple[str, ...], want_inside: bool) -> IPAddress:
    """A representative client address: one inside `ranges` (or outside them)."""
    nets = [ipaddress.ip_network(r) for r in ranges]
    for text in _CLIENTS:
        address = ipaddress.ip_address(text)
        inside = any(address.version == n.version and address in n for n in nets)
        if inside is want_inside:
            return address
    if want_inside and nets:
        net = nets[0]
        return net.network_address + 1 if net.num_addresses > 2 else net.network_address
    return ipaddress.ip_address(_CLIENTS[0])


class _Reach:
    """Which outside addresses a pod's ingress lets in (the exposure analysis, piece by piece)."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._outside: object | None = None
        self._next = 0

    def answer(self, pod: Pod, port: int | None) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
        # numpy comes with the exposure analysis: imported only when a controller is asked about.
        from kubenet_tui.engine.exposure import _Outside
        from kubenet_tui.engine.rules import PortQuery

        if self._outside is None:
            self._outside = _Outside(self.cluster)
        assert isinstance(self._outside, _Outside)
        self._next += 1
        reach, ranges, unknown = self._outside.answer(-self._next, pod, PortQuery(Protocol.TCP, port))
        return reach.value, ranges, unknown


def _entry_for_pod(ctx: _Context, reach: _Reach, pod: Pod, port: int) -> EntryHop:
    cluster = ctx.cluster
    service = _exposing(cluster, pod, port)
    pod_port, problem = _pod_port(service, pod, port)
    if pod_port is None:
        return EntryHop(pod.key, None, "", Status.NOT_EVALUATED, f"svc/{service.key if service else '?'}: {problem}: "
                                                                  "clients reaching the Service get nothing from this pod")
    if service is None:
        sources = "client addresses (no LoadBalancer or NodePort Service of the controller exposes port " \
                  f"{port}: asked on port {port} of the pod)"
        ctx.caveat(CaveatCode.SOURCE_ADDRESSES, f"no LoadBalancer or NodePort Service selecting {pod.key} exposes port "
                                                f"{port}: how clients reach it (hostPort, host network, a load balancer "
                                                "outside the cluster) is not known; it was asked on that port, from "
                                                "client addresses")
        local = True
    else:
        local = service.external_traffic_policy == "Local"
        if service.source_ranges:
            ctx.caveat(CaveatCode.SOURCE_RANGES, f"svc/{service.key} admits only clients from "
                                                 f"{', '.join(service.source_ranges)} (loadBalancerSourceRanges)")
        if local:
            sources = f"client addresses (svc/{service.key} is {service.type} with externalTrafficPolicy: Local)"
        else:
            sources = (f"node addresses (svc/{service.key} is {service.type} with externalTrafficPolicy: Cluster: "
                       "kube-proxy rewrites the client address to the node's)")
            ctx.caveat(CaveatCode.SOURCE_ADDRESSES,
                       f"svc/{service.key} has externalTrafficPolicy: Cluster: requests reach the controller with a "
                       "node's address as source (SNAT), so policies on it see nodes, not clients, and cannot tell "
                       "clients apart (network plugins that replace kube-proxy may keep the client address)")
    if pod.host_network:
        ctx.caveat(CaveatCode.DATA_PLANE_HOST_NETWORK,
                   f"{pod.key} uses the host network: pod policies do not govern it, and the backends see its "
                   "connections coming from the node's address, which pod and namespace selectors do not match "
                   "(allow the nodes' addresses with an ipBlock instead)")
    if not local and cluster.nodes:
        verdicts = []
        for node in cluster.nodes:
            address = next((a for a in node.addresses), None)
            if address is None:
                continue
            verdicts.append(evaluate(cluster, End(ip=address), End(pod=pod), Protocol.TCP, pod_port,
                                     _port_name(pod, pod_port)))
        if verdicts:
            status = _combine(v.status for v in verdicts)
            allowed = sum(1 for v in verdicts if v.status is Status.ALLOWED)
            summary = (f"from outside to {pod.key} on {pod_port}/TCP through the nodes: {allowed} of {len(verdicts)} "
                       "node addresses let in")
            return EntryHop(pod.key, pod_port, sources, status, summary, tuple(verdicts))
    if pod.host_network:
        verdict = evaluate(cluster, End(ip=_client((), False)), End(pod=pod), Protocol.TCP, pod_port,
                           _port_name(pod, pod_port))
        return EntryHop(pod.key, pod_port, sources, verdict.status, verdict.summary, (verdict,))
    found, ranges, unknown = reach.answer(pod, pod_port)
    if found == "all":
        client = _client((), False)
        status, summary = Status.ALLOWED, f"every outside address may reach {pod.key} on {pod_port}/TCP"
    elif found == "none":
        client = _client((), False)
        status, summary = Status.BLOCKED, f"no outside address may reach {pod.key} on {pod_port}/TCP"
    elif found == "some":
        client = _client(ranges, False)
        status = Status.BLOCKED
        summary = f"only {', '.join(ranges)} may reach {pod.key} on {pod_port}/TCP: other clients are blocked"
    else:
        client = _client(unknown, True)
        status = Status.UNKNOWN
        summary = (f"whether outside addresses ({', '.join(unknown)}) may reach {pod.key} on {pod_port}/TCP cannot be "
                   "told")
    verdict = evaluate(cluster, End(ip=client), End(pod=pod), Protocol.TCP, pod_port, _port_name(pod, pod_port))
    return EntryHop(pod.key, pod_port, sources, status, summary, (verdict,), found, ranges)


def _port_name(pod: Pod, port: int) -> str | None:
    return next((c.name for c in pod.ports if c.port == port and c.protocol is Protocol.TCP and c.name), None)


def _entry(ctx: _Context, reach: _Reach, frontend: Frontend, ports: Sequence[int]) -> Frontend:
    plane = frontend.plane
    hops: list[EntryHop] = []
    exposure = ""
    if plane.identity is not None:
        from kubenet_tui.engine.dialects.cilium_ingress import evaluate_from_outside

        for port in ports:
            client = _client((), False)
            verdict = evaluate_from_outside(ctx.cluster, client, plane.identity, Protocol.TCP, port)
            hops.append(EntryHop(f"reserved:{plane.identity}", port, f"client addresses, as the world identity (asked "
                                 f"from {client}, standing for any client)", verdict.status, verdict.summary,
                                 (verdict,)))
        exposure = "Cilium's own Envoy proxy (its LoadBalancer Service sends clients to it)"
    elif plane.known:
        for pod in plane.pods:
            for port in ports:
                hops.append(_entry_for_pod(ctx, reach, pod, port))
        services = sorted({s.key for p in plane.pods for port in ports if (s := _exposing(ctx.cluster, p, port))})
        exposure = ", ".join(f"svc/{s}" for s in services)
    return replace(frontend, entry=tuple(hops), exposure=exposure)


# -- URL ends --------------------------------------------------------------------------------------------


def _url_paths(ctx: _Context, request: Request) -> tuple[list[RoutePath], list[str]]:
    cluster, routes = ctx.cluster, ctx.routes
    paths: list[RoutePath] = []
    notes: list[str] = []
    for class_name, (ingresses, how) in sorted(_ingress_groups(routes).items()):
        choice = choose_ingress(ingresses, request)
        published = request.is_ip and any(request.host in i.addresses for i in ingresses)
        serves = choice.hit is not None or choice.host_rules.startswith("host ") or published
        if not serves:
            continue
        frontend = _frontend(ctx, "IngressClass", class_name, how)
        ctx.ports.setdefault(frontend, set()).add(request.port)
        for note in choice.notes:
            ctx.caveat(CaveatCode.ROUTE_IMPLEMENTATION, note)
        if choice.hit is None:
            ref = RouteRef("IngressClass", "", class_name or "(none)", "", ())
            paths.append(RoutePath(ref, frontend, choice.host_rules, (), Status.NOT_EVALUATED,
                                   answers="404: " + "; ".join(choice.notes)))
            continue
        hit = choice.hit
        considered = tuple(f"Ingress {c.ingress.key} {c.path.where} ({c.path.path}, {c.path.path_type.value}): {c.why}"
                           for c in choice.considered)
        backends = (hit.path.backend,) if hit.path.backend is not None else ()
        path = _path(ctx, _ingress_ref(hit.ingress, hit.path), frontend, hit.why, backends, None,
                     considered=considered)
        if hit.path.backend is None:
            path = replace(path, answers=None, status=Status.UNKNOWN,
                           backends=(BackendHop(BackendRef(hit.ingress.namespace, hit.path.resource or "?", None,
                                                           kind="resource"),
                                                note=f"a resource backend ({hit.path.resource}): this tool follows "
                                                     "Services only", status=Status.UNKNOWN),))
        if request.scheme == "http" and any(gateway_host_matches(h, request.host) for h in hit.ingress.tls_hosts):
            ctx.caveat(CaveatCode.TLS_REDIRECT, f"Ingress {hit.ingress.key} has TLS for {request.host}: controllers "
                                                "usually redirect http:// to https:// (ingress-nginx: ssl-redirect, on "
                                                "by default); ask about the https:// URL too")
        allow = next((hit.ingress.annotations.get(k) for k in ("nginx.ingress.kubernetes.io/whitelist-source-range",
                                                                "nginx.ingress.kubernetes.io/allowlist-source-range")
                      if hit.ingress.annotations.get(k)), None)
        if allow:
            ctx.caveat(CaveatCode.SOURCE_RANGES, f"Ingress {hit.ingress.key} admits only clients from {allow} "
                                                 "(the controller answers 403 to the others)")
        paths.append(path)
    labels = _labels_of(cluster)
    for gateway in routes.gateways:
        routed = choose_route(gateway, routes.routes, request, labels)
        if not routed.listeners:
            continue
        explicit = any(li.hostname is not None for li in routed.listeners) or request.host in gateway.addresses
        if not routed.hits and not explicit and routed.unknown is None:
            continue
        frontend = _frontend(ctx, "Gateway", gateway.key, f"GatewayClass {gateway.class_name}", gateway)
        ctx.ports.setdefault(frontend, set()).add(request.port)
        paths.extend(_gateway_paths(ctx, gateway, routed, frontend))
    return paths, notes


def _gateway_paths(ctx: _Context, gateway: Gateway, choice: GatewayChoice, frontend: int) -> list[RoutePath]:
    found: list[RoutePath] = []
    for note in choice.notes:
        if "answers 404" not in note:
            ctx.caveat(CaveatCode.ROUTE_IMPLEMENTATION, note)
    if choice.unknown is not None:
        ctx.caveat(CaveatCode.ROUTE_NOT_ACCEPTED, choice.unknown)
    considered = tuple(h.why + (" (only with " + ", ".join(h.conditions) + ")" if h.conditions else "")
                       + ": lower precedence" for h in choice.considered)
    for hit in choice.hits:
        if hit.conditions:
            ctx.caveat(CaveatCode.ROUTE_CONDITIONS,
                       f"{hit.route.kind} {hit.route.key} rules[{hit.rule.index}] takes the request only with "
                       f"{', '.join(hit.conditions)}, which a URL does not say: both where it goes with them and "
                       "without them are shown")
        how = hit.why.split(": ", 1)[-1]  # the rule is named by the path's own reference
        found.append(_path(ctx, _rule_ref(hit.route, hit.rule, hit.match.index), frontend, how, hit.rule.backends,
                           hit.route, hit.conditions, hit.rule.answers, considered if hit is choice.hits[-1] else (),
                           hit.rule.mirrors))
    if not choice.hits:
        ref = RouteRef("Gateway", gateway.namespace, gateway.name, "", ())
        why = "; ".join(n for n in choice.notes if "answers 404" in n) or choice.unknown or "no route takes it"
        found.append(RoutePath(ref, frontend, why, (), Status.UNKNOWN if choice.unknown else Status.NOT_EVALUATED,
                               answers=None if choice.unknown else "404: no route attached to it takes the request"))
    return found


def _labels_of(cluster: Cluster) -> NamespaceLabels:
    index = cluster.index

    def labels(namespace: str) -> dict[str, str] | None:
        if index.namespace_labels_unreadable(namespace) is not None:
            return None
        return dict(index.namespace_labels(namespace))

    return labels


# -- object ends -----------------------------------------------------------------------------------------


def _split(text: str) -> tuple[str, str, str]:
    head, _, rest = text.strip().partition("/")
    namespace, _, name = rest.partition("/")
    if not namespace or not name or "/" in name:
        raise InputError(f"{text!r}: write {head}/NAMESPACE/NAME")
    return head.lower(), namespace, name


def _missing(cluster: Cluster, what: str, resources: Sequence[Resource], namespace: str, name: str,
             known: Sequence[str]) -> InputError:
    gap = _gap(cluster, resources, namespace)
    if gap is not None:
        return DataMissing(f"{what} {namespace}/{name} is unknown: {gap}")
    plural = what + ("es" if what.endswith("s") else "s")
    hint = f" ({plural} there: {', '.join(known[:8])})" if known else ""
    return InputError(f"{what} {namespace}/{name} not found{hint}")


def _ingress_end(ctx: _Context, namespace: str, name: str) -> list[RoutePath]:
    ingress = ctx.routes.ingress(namespace, name)
    if ingress is None:
        raise _missing(ctx.cluster, "Ingress", (Resource.INGRESSES,), namespace, name,
                       [i.name for i in ctx.routes.ingresses if i.namespace == namespace])
    class_name, how = _effective_class(ingress, ctx.routes)
    frontend = _frontend(ctx, "IngressClass", class_name, how)
    ctx.ports.setdefault(frontend, set()).add(443 if ingress.tls_hosts else 80)
    paths = []
    for entry in (*ingress.paths, *((ingress.default_backend,) if ingress.default_backend else ())):
        backends = (entry.backend,) if entry.backend is not None else ()
        path = _path(ctx, _ingress_ref(ingress, entry), frontend, _describe_ingress_path(entry), backends, None)
        if entry.backend is None:
            path = replace(path, answers=None, status=Status.UNKNOWN, backends=(
                BackendHop(BackendRef(namespace, entry.resource or "?", None, kind="resource"),
                           note=f"a resource backend ({entry.resource}): this tool follows Services only",
                           status=Status.UNKNOWN),))
        paths.append(path)
    return paths


def _route_paths(ctx: _Context, route: Route, gateway: Gateway, notes: list[str]) -> list[RoutePath]:
    labels = _labels_of(ctx.cluster)
    found = attached_listeners(route, gateway, labels)
    taken = [(li, a) for li, a in found if a.attached]
    referring = [(li, a) for li, a in found if "no parentRef" not in a.reason]
    if not taken:
        reasons = "; ".join(f"listener {li.name}: {a.reason}" for li, a in referring) or "it names no listener of it"
        unknown = any(a.attached is None for _, a in referring)
        message = f"{route.kind} {route.key} is not attached to Gateway {gateway.key}: {reasons}"
        ctx.caveat(CaveatCode.ROUTE_NOT_ACCEPTED, message)
        notes.append(message)
        if unknown:
            notes.append("unknown: " + message)
        return []
    frontend = _frontend(ctx, "Gateway", gateway.key, f"GatewayClass {gateway.class_name}", gateway)
    for listener, _ in taken:
        ctx.ports.setdefault(frontend, set()).add(listener.port)
    listeners = ", ".join(li.name for li, _ in taken)
    return [_path(ctx, _rule_ref(route, rule), frontend, f"listener {listeners}: {_describe_rule(route, rule)}",
                  rule.backends, route, answers=rule.answers, mirrors=rule.mirrors)
            for rule in route.rules]


def _gateway_end(ctx: _Context, namespace: str, name: str, notes: list[str]) -> list[RoutePath]:
    gateway = ctx.routes.gateway(namespace, name)
    if gateway is None:
        raise _missing(ctx.cluster, "Gateway", (Resource.GATEWAYS,), namespace, name,
                       [g.name for g in ctx.routes.gateways if g.namespace == namespace])
    _frontend(ctx, "Gateway", gateway.key, f"GatewayClass {gateway.class_name}", gateway)
    paths: list[RoutePath] = []
    for route in ctx.routes.routes:
        if any(ref.is_gateway and ref.namespace == namespace and ref.name == name for ref in route.parents):
            paths.extend(_route_paths(ctx, route, gateway, notes))
    if not paths:
        notes.append(f"no route attached to Gateway {gateway.key} was found: it answers 404 to every request")
    return paths


def _route_end(ctx: _Context, head: str, namespace: str, name: str, notes: list[str]) -> list[RoutePath]:
    kind = ROUTE_HEADS.get(head)
    found = [r for r in ctx.routes.routes if r.namespace == namespace and r.name == name
             and (kind is None or r.kind == kind)]
    if not found:
        raise _missing(ctx.cluster, kind or "route", _ROUTE_RESOURCES, namespace, name,
                       [r.name for r in ctx.routes.routes if r.namespace == namespace])
    if len(found) > 1:
        kinds = ", ".join(r.kind.lower() for r in found)
        raise InputError(f"route/{namespace}/{name} names several routes ({kinds}): write e.g. "
                         f"{found[0].kind.lower()}/{namespace}/{name}")
    route = found[0]
    paths: list[RoutePath] = []
    for ref in route.parents:
        if not ref.is_gateway:
            notes.append(f"parentRef {ref.describe()}: not a Gateway, not followed")
            continue
        gateway = ctx.routes.gateway(ref.namespace, ref.name)
        if gateway is None:
            gap = _gap(ctx.cluster, (Resource.GATEWAYS,), ref.namespace)
            notes.append(f"unknown: Gateway {ref.namespace}/{ref.name} could not be read ({gap})" if gap else
                         f"Gateway {ref.namespace}/{ref.name} (its parentRef) was not found: the route is attached to "
                         "nothing")
            continue
        for path in _route_paths(ctx, route, gateway, notes):
            if path not in paths:
                paths.append(path)
    return paths


# -- destination filter ----------------------------------------------------------------------------------


def _only(paths: list[RoutePath], target: object) -> list[RoutePath]:
    """The paths and legs that lead to `target` (a pod End or a ServiceTarget)."""
    out = []
    for path in paths:
        hops = []
        for hop in path.backends:
            if isinstance(target, ServiceTarget):
                if hop.ref.is_service and hop.ref.key == target.service.key:
                    hops.append(hop)
                continue
            assert isinstance(target, End) and target.pod is not None
            key = target.pod.key
            verdicts = tuple(replace(sv, backends=tuple(b for b in sv.backends if b.name == key))
                             for sv in hop.verdicts if any(b.name == key for b in sv.backends))
            if verdicts:
                status = _combine(b.verdict.status for sv in verdicts for b in sv.backends if b.verdict is not None)
                hops.append(replace(hop, verdicts=verdicts, status=status))
        if hops:
            real = [h for h in hops if not h.mirror]
            out.append(replace(path, backends=tuple(hops), status=_combine(h.status for h in real), answers=None))
    return out


# -- the whole answer ------------------------------------------------------------------------------------


def _summary(verdict_end: str, status: Status, paths: Sequence[RoutePath], frontends: Sequence[Frontend],
             unknown: str | None, notes: Sequence[str]) -> str:
    legs = [(p, h, b) for p in paths for h in p.backends if not h.mirror for sv in h.verdicts for b in sv.backends
            if b.verdict is not None]
    allowed = sum(1 for _, _, b in legs if b.allowed is True)
    head = f"{verdict_end}"
    if not paths:
        nothing = "; ".join(notes) or "no Ingress or Gateway route takes it"
        return f"{head}: {'UNKNOWN' if status is Status.UNKNOWN else 'NO ROUTE'}: {nothing}"
    entry_blocked = [h for f in frontends for h in f.entry if h.status is Status.BLOCKED]
    counts = f"{allowed} of {len(legs)} connections to backends allowed"
    if status is Status.ALLOWED:
        return f"{head}: ALLOWED: {counts}, and clients reach the controller"
    if status is Status.BLOCKED:
        where = []
        if entry_blocked:
            where.append(f"outside -> {', '.join(h.target for h in entry_blocked)}")
        blocked = sorted({f"{sv.source.name} -> {b.name}" for _, h, sv in
                          ((p, h, sv) for p in paths for h in p.backends for sv in h.verdicts)
                          for b in sv.backends if b.allowed is False})
        where.extend(blocked[:4])
        more = f" (and {len(blocked) - 4} more)" if len(blocked) > 4 else ""
        return f"{head}: BLOCKED: {counts}; blocked: {', '.join(where)}{more}"
    if status is Status.UNKNOWN:
        why: str | None = unknown or next((f.plane.unknown for f in frontends if f.plane.unknown), None)
        if why is None:
            why = next((h.note for p in paths for h in p.backends if h.status is Status.UNKNOWN and h.note), None)
        if why is None:
            why = next((b.verdict.summary for p in paths for h in p.backends for sv in h.verdicts for b in sv.backends
                        if b.verdict is not None and b.verdict.status is Status.UNKNOWN), None)
        if why is None:
            why = next((h.summary for f in frontends for h in f.entry if h.status is Status.UNKNOWN), None)
        return f"{head}: UNKNOWN: {why or 'some verdicts on the way cannot be told'} ({counts})"
    answered = next((p.answers for p in paths if p.answers), None)
    return f"{head}: NOTHING RECEIVES IT: " + (answered or "no backend can take the request")


def evaluate_outside(cluster: Cluster, text: str, destination: str | None = None,
                     override: PodsOverride | None = None, namespace: str | None = None) -> RouteVerdict:
    """The whole path from outside for an end as typed (a URL, or an Ingress / Gateway / route object)."""
    routes = cluster.routes or RouteResources()
    ctx = _Context(cluster, routes, override)
    text = text.strip()
    notes: list[str] = []
    request: Request | None = None
    unknown: str | None = None
    if is_url(text):
        kind = "url"
        request = parse_url(text)
        paths, notes = _url_paths(ctx, request)
        gap = _gap(cluster, (Resource.INGRESSES, Resource.GATEWAYS, *_ROUTE_RESOURCES))
        if gap is not None:
            unknown = f"{gap}: a route there may take this request"
        if not paths and unknown is None:
            hosts = sorted({p.host for i in routes.ingresses for p in i.paths if p.host}
                           | {h for r in routes.routes for h in r.hostnames}
                           | {li.hostname for g in routes.gateways for li in g.listeners if li.hostname})
            known = f" (hosts routed here: {', '.join(hosts[:10])}{' …' if len(hosts) > 10 else ''})" if hosts else ""
            notes.append(f"no Ingress or Gateway route read takes {request.host}{request.path} on port "
                         f"{request.port}{known}")
    else:
        head, ns, name = _split(text)
        if head in ("ingress", "ingresses", "ing"):
            kind, paths = "ingress", _ingress_end(ctx, ns, name)
        elif head in ("gateway", "gateways", "gtw"):
            kind, paths = "gateway", _gateway_end(ctx, ns, name, notes)
        elif head in ROUTE_HEADS:
            kind, paths = "route", _route_end(ctx, head, ns, name, notes)
        else:
            raise InputError(f"{text!r}: write https://HOST/PATH, ingress/NS/NAME, gateway/NS/NAME or route/NS/NAME")
        unknown = next((n.removeprefix("unknown: ") for n in notes if n.startswith("unknown: ")), None)
        notes = [n for n in notes if not n.startswith("unknown: ")]
    if destination:
        target = resolve_target(cluster.index, destination, namespace)
        if isinstance(target, End) and target.pod is None:
            raise InputError(f"{destination}: after an Ingress, Gateway or route, the destination is one of its "
                             "backends: a pod (NAMESPACE/POD) or a Service (svc/NAMESPACE/NAME)")
        filtered = _only(paths, target)
        if not filtered and paths:
            led = sorted({f"svc/{h.service}" for p in paths for h in p.backends if h.ref.is_service})
            raise InputError(f"{text} does not lead to {destination} (it leads to {', '.join(led) or 'no Service'})")
        paths = filtered
    reach = _Reach(cluster)
    frontends = [_entry(ctx, reach, f, sorted(ctx.ports.get(i, ()))) for i, f in enumerate(ctx.frontends)]
    for frontend in frontends:
        if frontend.plane.identity is not None:
            from kubenet_tui.engine.dialects.cilium_ingress import identity_caveat

            found = identity_caveat(frontend.plane.identity)
            if found not in ctx.caveats:
                ctx.caveats.append(found)
        if frontend.plane.notes:
            for note in frontend.plane.notes:
                ctx.caveat(CaveatCode.ROUTE_IMPLEMENTATION, note)
    used = {p.frontend for p in paths if p.backends}
    if kind == "url" and len(used) > 1:
        names = ", ".join(frontends[i].label for i in sorted(used))
        ctx.caveat(CaveatCode.SEVERAL_FRONTENDS, f"{len(used)} frontends take this request ({names}): which one gets "
                                                 "it depends on where the host name's DNS points; each is shown")
    statuses = [p.status for p in paths if p.backends or p.status is Status.UNKNOWN]
    # The way in counts when something behind it receives the request.
    reached = {p.frontend for p in paths if p.status is not Status.NOT_EVALUATED}
    statuses.extend(frontends[i].status for i in sorted(reached))
    status = _combine(statuses)
    readable = status
    if unknown is not None:
        # A route that could not be read may take the request elsewhere: even a block is not certain.
        status = Status.UNKNOWN
    summary = _summary(text, status, paths, frontends, unknown, notes)
    if unknown is not None and paths and readable is not Status.UNKNOWN:
        summary += f"; the routes that were read say {readable.value.upper()}"
    return RouteVerdict(text, kind, status, summary, tuple(paths), tuple(frontends), request, tuple(ctx.caveats),
                        tuple(notes), destination or None, unknown)
