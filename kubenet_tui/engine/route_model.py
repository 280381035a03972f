"""Frozen model of what brings traffic in from outside: Ingress and IngressClass (networking.k8s.io/v1),
and the Gateway API (gateway.networking.k8s.io: GatewayClass, Gateway, HTTPRoute, GRPCRoute, TLSRoute,
TCPRoute, ReferenceGrant). The parser fills it with API defaults applied; the engine reads only this.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from enum import StrEnum

from kubenet_tui.engine.model import EMPTY_LABELS, LabelSelector
from kubenet_tui.engine.records import record

GATEWAY_GROUP = "gateway.networking.k8s.io"


class PathType(StrEnum):
    """How a path is matched. Ingress says Exact / Prefix / ImplementationSpecific; the Gateway API says
    Exact / PathPrefix / RegularExpression. PREFIX is the same element-wise prefix in both."""

    EXACT = "Exact"
    PREFIX = "Prefix"
    IMPLEMENTATION_SPECIFIC = "ImplementationSpecific"
    REGEX = "RegularExpression"


@record
class BackendRef:
    """Where a rule sends its requests: a Service port (by number, or by name for an Ingress), or an
    object of another kind (`kind`/`group`), which this tool does not follow."""

    namespace: str
    name: str
    port: int | str | None
    kind: str = "Service"
    group: str = ""
    weight: int = 1
    where: str = ""  # its YAML path in the route: spec.rules[0].backendRefs[1]

    @property
    def is_service(self) -> bool:
        return self.kind == "Service" and self.group == ""

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def describe(self) -> str:
        what = f"svc/{self.key}" if self.is_service else f"{self.kind} {self.key}"
        return f"{what} port {self.port}" if self.port is not None else what


# -- Ingress -------------------------------------------------------------------------------------------


@record
class IngressPath:
    """One path of one rule (`rule` and `index` say which); `rule` None: the Ingress's defaultBackend."""

    rule: int | None
    index: int | None
    host: str | None  # None: every host
    path: str  # "/" when the Ingress leaves it out (ImplementationSpecific)
    path_type: PathType
    backend: BackendRef | None  # None: a resource backend (`resource` says which)
    resource: str | None = None

    @property
    def where(self) -> str:
        if self.rule is None:
            return "spec.defaultBackend"
        return f"spec.rules[{self.rule}].http.paths[{self.index}]"

    @property
    def yaml_path(self) -> tuple[str | int, ...]:
        if self.rule is None:
            return ("spec", "defaultBackend")
        assert self.index is not None
        return ("spec", "rules", self.rule, "http", "paths", self.index)


@record
class Ingress:
    namespace: str
    name: str
    class_name: str | None  # spec.ingressClassName, else the kubernetes.io/ingress.class annotation
    class_from: str  # "spec.ingressClassName", "annotation kubernetes.io/ingress.class", or ""
    paths: tuple[IngressPath, ...]  # every rule's paths, in written order
    default_backend: IngressPath | None = None
    hosts: tuple[str | None, ...] = ()  # every rule's host, in order (None: a rule without host)
    tls_hosts: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()  # status.loadBalancer.ingress: where the controller published it
    annotations: Mapping[str, str] = field(default_factory=lambda: EMPTY_LABELS, hash=False)
    created: str = ""  # metadata.creationTimestamp (RFC 3339 text sorts in time order)
    manifest: str = field(default="", compare=False)
    origin: str = field(default="", compare=False)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@record
class IngressClass:
    name: str
    controller: str
    is_default: bool = False  # annotation ingressclass.kubernetes.io/is-default-class: "true"
    labels: Mapping[str, str] = field(default_factory=lambda: EMPTY_LABELS, hash=False)


# -- Gateway API ---------------------------------------------------------------------------------------


@record
class GatewayClass:
    name: str
    controller: str
    labels: Mapping[str, str] = field(default_factory=lambda: EMPTY_LABELS, hash=False)


@record
class Listener:
    index: int
    name: str
    port: int
    protocol: str  # HTTP, HTTPS, TLS, TCP, UDP (upper case), or an implementation's own
    hostname: str | None = None
    # allowedRoutes.namespaces.from: Same (the default), All, Selector (then `allowed_selector`)
    allowed_from: str = "Same"
    allowed_selector: LabelSelector | None = None
    allowed_kinds: tuple[str, ...] = ()  # empty: the kinds its protocol takes
    tls_mode: str | None = None  # Terminate or Passthrough

    def kinds(self) -> tuple[str, ...]:
        """The route kinds that may attach: as written, or those of its protocol."""
        if self.allowed_kinds:
            return self.allowed_kinds
        return {"HTTP": ("HTTPRoute", "GRPCRoute"), "HTTPS": ("HTTPRoute", "GRPCRoute"), "TLS": ("TLSRoute",),
                "TCP": ("TCPRoute",), "UDP": ("UDPRoute",)}.get(self.protocol, ())


@record
class Gateway:
    namespace: str
    name: str
    class_name: str
    listeners: tuple[Listener, ...]
    addresses: tuple[str, ...] = ()  # status.addresses
    labels: Mapping[str, str] = field(default_factory=lambda: EMPTY_LABELS, hash=False)
    created: str = ""
    manifest: str = field(default="", compare=False)
    origin: str = field(default="", compare=False)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@record
class ParentRef:
    namespace: str
    name: str
    kind: str = "Gateway"
    group: str = GATEWAY_GROUP
    section: str | None = None  # a listener's name
    port: int | None = None

    @property
    def is_gateway(self) -> bool:
        return self.kind == "Gateway" and self.group == GATEWAY_GROUP

    def describe(self) -> str:
        text = f"{self.kind} {self.namespace}/{self.name}"
        if self.section:
            text += f" listener {self.section}"
        if self.port is not None:
            text += f" port {self.port}"
        return text


@record
class RouteMatch:
    """One entry of a rule's `matches` (HTTPRoute, GRPCRoute). Conditions a URL cannot carry (headers,
    query parameters, the method) are kept as text: whether a request meets them is not decidable
    from the URL alone."""

    index: int | None  # None: the rule lists no matches (the default: every request)
    path_type: PathType = PathType.PREFIX
    path: str = "/"
    headers: tuple[str, ...] = ()
    query: tuple[str, ...] = ()
    method: str | None = None
    # GRPCRoute: the service and method matched (None: any), and whether by RegularExpression.
    grpc_service: str | None = None
    grpc_method: str | None = None
    grpc_regex: bool = False

    @property
    def conditions(self) -> tuple[str, ...]:
        """What the request must carry besides its path: none of it shows in a URL."""
        found = [f"header {h}" for h in self.headers] + [f"query {q}" for q in self.query]
        if self.method:
            found.insert(0, f"method {self.method}")
        return tuple(found)

    def describe(self) -> str:
        if self.grpc_service is not None or self.grpc_method is not None:
            text = f"gRPC {self.grpc_service or '*'}/{self.grpc_method or '*'}"
            if self.grpc_regex:
                text += " (RegularExpression)"
        else:
            text = f"path {self.path} ({self.path_type.value})"
        if self.conditions:
            text += " with " + ", ".join(self.conditions)
        return text


@record
class RouteRule:
    index: int
    matches: tuple[RouteMatch, ...]  # never empty: a rule without matches gets the default
    backends: tuple[BackendRef, ...]
    name: str | None = None
    filters: tuple[str, ...] = ()  # filter types, in order
    # What the rule answers itself instead of forwarding (RequestRedirect), if anything.
    answers: str | None = None
    mirrors: tuple[BackendRef, ...] = ()  # RequestMirror: a copy of each request also goes there


@record
class ParentStatus:
    """What the controller itself wrote in the route's status for one parent."""

    parent: str  # "namespace/name" of the Gateway
    accepted: bool | None
    reason: str = ""
    resolved: bool | None = None  # ResolvedRefs
    resolved_reason: str = ""


@record
class Route:
    kind: str  # HTTPRoute, GRPCRoute, TLSRoute, TCPRoute, UDPRoute
    api_version: str
    namespace: str
    name: str
    parents: tuple[ParentRef, ...]
    hostnames: tuple[str, ...]
    rules: tuple[RouteRule, ...]
    statuses: tuple[ParentStatus, ...] = ()
    created: str = ""
    manifest: str = field(default="", compare=False)
    origin: str = field(default="", compare=False)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@record
class GrantFrom:
    group: str
    kind: str
    namespace: str


@record
class GrantTo:
    group: str
    kind: str
    name: str | None = None  # None: every object of the kind


@record
class ReferenceGrant:
    namespace: str
    name: str
    sources: tuple[GrantFrom, ...]
    targets: tuple[GrantTo, ...]

    def permits(self, route: Route, backend: BackendRef) -> bool:
        """Whether this grant (in the backend's namespace) lets `route` refer to `backend`."""
        if backend.namespace != self.namespace:
            return False
        if not any(f.group == GATEWAY_GROUP and f.kind == route.kind and f.namespace == route.namespace
                   for f in self.sources):
            return False
        return any(t.group == backend.group and t.kind == backend.kind and t.name in (None, backend.name)
                   for t in self.targets)


@record
class RouteResources:
    """Everything read of the two APIs, sorted by kind, namespace and name."""

    ingresses: tuple[Ingress, ...] = ()
    ingress_classes: tuple[IngressClass, ...] = ()
    gateway_classes: tuple[GatewayClass, ...] = ()
    gateways: tuple[Gateway, ...] = ()
    routes: tuple[Route, ...] = ()
    grants: tuple[ReferenceGrant, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.ingresses or self.ingress_classes or self.gateway_classes or self.gateways or self.routes
                    or self.grants)

    def ingress(self, namespace: str, name: str) -> Ingress | None:
        return next((i for i in self.ingresses if i.namespace == namespace and i.name == name), None)

    def gateway(self, namespace: str, name: str) -> Gateway | None:
        return next((g for g in self.gateways if g.namespace == namespace and g.name == name), None)

    def ingress_class(self, name: str) -> IngressClass | None:
        return next((c for c in self.ingress_classes if c.name == name), None)

    def gateway_class(self, name: str) -> GatewayClass | None:
        return next((c for c in self.gateway_classes if c.name == name), None)

    def default_ingress_classes(self) -> tuple[IngressClass, ...]:
        return tuple(c for c in self.ingress_classes if c.is_default)
