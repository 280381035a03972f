"""Which rule of which Ingress or Gateway API route a URL reaches, by the matching rules of each spec.

Ingress (networking.k8s.io/v1): a host is matched exactly or by a wildcard of one label (`*.foo.com`
matches `bar.foo.com`, not `baz.bar.foo.com` nor `foo.com`); a rule without host matches every host.
Controllers keep one virtual host per host name: the exact host's rules, else the wildcard's, else the
rules without host; a request is never matched against another host's paths. Paths: Exact (the whole
path, case-sensitive), Prefix (element by element on `/`, a trailing `/` ignored: `/foo` matches
`/foo`, `/foo/` and `/foo/bar`, not `/foobar`), ImplementationSpecific (the controller decides: read as
a string prefix, as ingress-nginx does without regex annotations, with a caveat). The longest matching
path wins, Exact before Prefix on a tie; no match: the defaultBackend, else the controller's own answer.

Gateway API: a listener on the URL's port whose protocol fits the scheme and whose hostname matches
(wildcards are suffixes: `*.example.com` matches `a.b.example.com`); the most specific listener wins.
Routes attach to it through a parentRef the listener allows (namespaces, kinds, an intersecting
hostname). Across the attached routes precedence goes to the route hostname with most non-wildcard
characters, then most characters; then Exact path, the longest PathPrefix, a method match, most header
matches, most query matches; then the oldest route, then namespace/name, then the first rule and match.
Header, query and method conditions are not in a URL: such a match is an alternative the request may
take, and the first match without them is where it goes otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import urlsplit

from kubenet_tui.engine.errors import InputError
from kubenet_tui.engine.records import record
from kubenet_tui.engine.route_model import (
    Gateway,
    Ingress,
    IngressPath,
    Listener,
    ParentRef,
    PathType,
    Route,
    RouteMatch,
    RouteRule,
)
from kubenet_tui.engine.selectors import selector_matches

DEFAULT_PORTS = {"http": 80, "https": 443}


@record
class Request:
    """A URL as a request: what the matching rules read of it."""

    text: str
    scheme: str  # http or https
    host: str  # lower case, without port or trailing dot
    port: int
    path: str  # always starts with /
    query: str = ""

    @property
    def is_ip(self) -> bool:
        return _is_ip(self.host)


def _is_ip(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def parse_url(text: str) -> Request:
    """`https://HOST[:PORT]/PATH[?QUERY]` or `http://...`; InputError says what is wrong."""
    raw = text.strip()
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise InputError(f"{raw!r} is not a URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise InputError(f"{raw!r}: only http:// and https:// URLs are routed by Ingresses and Gateways")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise InputError(f"{raw!r} has no host: write https://HOST/PATH")
    if port is not None and not 1 <= port <= 65535:
        raise InputError(f"{raw!r}: port {port} is out of range (1-65535)")
    path = parts.path or "/"
    if not path.startswith("/"):
        path = "/" + path
    return Request(raw, scheme, host, port if port is not None else DEFAULT_PORTS[scheme], path, parts.query)


# -- hosts -----------------------------------------------------------------------------------------------


def ingress_host_matches(rule_host: str | None, host: str) -> bool:
    """Ingress: exact, or `*.suffix` standing for exactly one label; None matches every host."""
    if rule_host is None:
        return True
    if rule_host.startswith("*."):
        suffix = rule_host[1:]
        return host.endswith(suffix) and "." not in host[: -len(suffix)] and len(host) > len(suffix)
    return rule_host == host


def gateway_host_matches(pattern: str | None, host: str) -> bool:
    """Gateway API: exact, or `*.suffix` as a suffix of one or more labels; None matches every host."""
    if pattern is None:
        return True
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return pattern == host


def hostnames_intersect(listener: str | None, route: str) -> bool:
    """A route hostname and a listener hostname intersect when either matches the other."""
    if listener is None:
        return True
    if route.startswith("*.") and listener.startswith("*."):
        return route.endswith(listener[1:]) or listener.endswith(route[1:])
    if route.startswith("*."):
        return gateway_host_matches(route, listener)
    return gateway_host_matches(listener, route)


def host_specificity(pattern: str | None) -> tuple[int, int]:
    """(characters that are not a wildcard, characters): the Gateway API's hostname precedence."""
    if pattern is None:
        return 0, 0
    return (0 if pattern.startswith("*.") else len(pattern)), len(pattern)


# -- paths -----------------------------------------------------------------------------------------------


def _elements(path: str) -> list[str]:
    inner = path.strip("/")
    return inner.split("/") if inner else []


def prefix_matches(prefix: str, path: str) -> bool:
    """Element-wise prefix on `/`, a trailing `/` on either side ignored (Ingress Prefix, Gateway PathPrefix)."""
    want, have = _elements(prefix), _elements(path)
    return have[: len(want)] == want


def ingress_path_matches(path_type: PathType, rule_path: str, path: str) -> bool:
    if path_type is PathType.EXACT:
        return path == rule_path
    if path_type is PathType.PREFIX:
        return prefix_matches(rule_path, path)
    # ImplementationSpecific: ingress-nginx (without regex annotations) writes it as an nginx prefix
    # location, a plain string prefix: `/foo` matches `/foobar` too.
    return path.startswith(rule_path)


def route_match_path(match: RouteMatch, path: str) -> bool | None:
    """Whether an HTTPRoute or GRPCRoute match takes the path; None: a regular expression this tool
    cannot read (implementations use RE2 or PCRE dialects)."""
    if match.grpc_service is not None or match.grpc_method is not None:
        parts = path.strip("/").split("/")
        if len(parts) != 2:
            return False
        service, method = parts
        for want, have in ((match.grpc_service, service), (match.grpc_method, method)):
            if want is None:
                continue
            if match.grpc_regex:
                try:
                    if re.fullmatch(want, have) is None:
                        return False
                except re.error:
                    return None
            elif want != have:
                return False
        return True
    if match.path_type is PathType.EXACT:
        return path == match.path
    if match.path_type is PathType.REGEX:
        try:
            return re.fullmatch(match.path, path) is not None
        except re.error:
            return None
    return prefix_matches(match.path, path)


# -- Ingress ---------------------------------------------------------------------------------------------


@record
class IngressHit:
    """One path of one Ingress that a request reaches (or that was considered)."""

    ingress: Ingress
    path: IngressPath
    why: str  # how it matched, or why it was not chosen


@record
class IngressChoice:
    """Where a request goes among the Ingresses of one controller (class)."""

    hit: IngressHit | None  # None: no rule and no defaultBackend: the controller answers itself
    considered: tuple[IngressHit, ...]  # other paths that match the request but lose, each with why
    notes: tuple[str, ...] = ()  # what is controller-specific about this choice
    host_rules: str = ""  # which rules were the request's virtual host: "host shop.example.com"


def _host_tier(ingresses: Sequence[Ingress], host: str) -> tuple[str, list[tuple[Ingress, IngressPath]]]:
    exact = [(i, p) for i in ingresses for p in i.paths if p.host == host]
    if exact:
        return f"host {host}", exact
    wild = [(i, p) for i in ingresses for p in i.paths
            if p.host is not None and p.host.startswith("*.") and ingress_host_matches(p.host, host)]
    if wild:
        return f"host {wild[0][1].host}", wild
    return "rules without host", [(i, p) for i in ingresses for p in i.paths if p.host is None]


def _age(ingress: Ingress | Route) -> tuple[int, str, str]:
    # Oldest first; objects without a creation time (manifests) after those with one, by name.
    return (0 if ingress.created else 1), ingress.created, ingress.key


def choose_ingress(ingresses: Sequence[Ingress], request: Request) -> IngressChoice:
    """The path a request takes among `ingresses` (one controller's), by the Ingress spec's rules."""
    tier, paths = _host_tier(ingresses, request.host)
    matching = [(i, p) for i, p in paths if ingress_path_matches(p.path_type, p.path, request.path)]
    notes: list[str] = []

    def rank(item: tuple[Ingress, IngressPath]) -> tuple[int, int, tuple[int, str, str], int, int]:
        ingress, path = item
        return (-len(path.path), 0 if path.path_type is PathType.EXACT else 1, _age(ingress),
                path.rule or 0, path.index or 0)

    matching.sort(key=rank)
    if matching:
        ingress, path = matching[0]
        why = (f"{tier}: path {path.path} ({path.path_type.value}) is the longest that matches {request.path}"
               if len(matching) > 1 else f"{tier}: path {path.path} ({path.path_type.value}) matches {request.path}")
        considered = []
        for other, other_path in matching[1:]:
            if other_path.path == path.path and other_path.path_type is path.path_type:
                reason = (f"the same {tier} and path as Ingress {ingress.key} {path.where}: controllers differ on "
                          "which wins (ingress-nginx: the oldest Ingress)")
                if other.key != ingress.key:
                    notes.append(f"Ingress {other.key} {other_path.where} defines the same {tier} and path "
                                 f"{path.path}: this tool takes the oldest ({ingress.key}), as ingress-nginx does")
            elif len(other_path.path) == len(path.path):
                reason = "Exact wins over Prefix on a path of equal length"
            else:
                reason = f"{other_path.path} is shorter than {path.path}"
            considered.append(IngressHit(other, other_path, reason))
        if path.path_type is PathType.IMPLEMENTATION_SPECIFIC:
            notes.append(f"Ingress {ingress.key} {path.where} has pathType ImplementationSpecific: read as a string "
                         "prefix, as ingress-nginx does without regex annotations; other controllers (and "
                         "nginx.ingress.kubernetes.io/use-regex) may match it otherwise")
        return IngressChoice(IngressHit(ingress, path, why), tuple(considered), tuple(notes), tier)
    defaults = sorted(((i, i.default_backend) for i in ingresses if i.default_backend is not None),
                      key=lambda item: _age(item[0]))
    missed = f"no path of the {tier} matches {request.path}" if paths else f"no rule matches host {request.host}"
    if not defaults:
        return IngressChoice(None, (), (f"{missed}, and no Ingress of this controller has a defaultBackend: the "
                                        "controller answers itself (404 from its default backend)",), tier)
    ingress, default = defaults[0]
    assert default is not None
    notes.append(f"{missed}: the request goes to a defaultBackend; which Ingress's defaultBackend serves a host "
                 "whose paths do not match is controller-specific")
    if len(defaults) > 1:
        notes.append(f"{len(defaults)} Ingresses of this controller have a defaultBackend: this tool takes the "
                     f"oldest ({ingress.key})")
    return IngressChoice(IngressHit(ingress, default, missed + ": defaultBackend"), (), tuple(notes), tier)


# -- Gateway API -----------------------------------------------------------------------------------------


_SCHEME_PROTOCOLS = {"http": ("HTTP",), "https": ("HTTPS", "TLS")}


def listeners_for(gateway: Gateway, request: Request) -> tuple[tuple[Listener, ...], str]:
    """The listeners of `gateway` a request reaches: on its port, of a protocol for its scheme (TCP takes
    anything), hostname matching; the most specific hostname wins. And why none, if none."""
    on_port = [li for li in gateway.listeners if li.port == request.port]
    if not on_port:
        ports = ", ".join(f"{li.port}/{li.protocol}" for li in gateway.listeners)
        return (), f"Gateway {gateway.key} has no listener on port {request.port} (it listens on {ports})"
    fitting = [li for li in on_port if li.protocol in (*_SCHEME_PROTOCOLS[request.scheme], "TCP")]
    if not fitting:
        protocols = ", ".join(sorted({li.protocol for li in on_port}))
        return (), f"the listeners of Gateway {gateway.key} on port {request.port} speak {protocols}, not {request.scheme}"
    hosted = [li for li in fitting if gateway_host_matches(li.hostname, request.host)]
    if not hosted:
        names = ", ".join(li.hostname or "*" for li in fitting)
        return (), f"no listener of Gateway {gateway.key} on port {request.port} takes host {request.host} ({names})"
    best = max(host_specificity(li.hostname) for li in hosted)
    return tuple(li for li in hosted if host_specificity(li.hostname) == best), ""


@record
class Attachment:
    """Whether a route attaches to a listener, and if not, why."""

    attached: bool | None  # None: cannot tell (namespace labels not read)
    reason: str
    hostnames: tuple[str, ...] = ()  # the route's hostnames that intersect the listener's (all of them: ())


NamespaceLabels = Callable[[str], Mapping[str, str] | None]  # None: the namespace's labels are unknown


def _refers(ref: ParentRef, gateway: Gateway, listener: Listener) -> bool:
    return (ref.is_gateway and ref.namespace == gateway.namespace and ref.name == gateway.name
            and ref.section in (None, listener.name) and ref.port in (None, listener.port))


def attachment(route: Route, gateway: Gateway, listener: Listener, labels: NamespaceLabels) -> Attachment:
    """Whether `route` attaches to `listener` of `gateway` (parentRefs, allowedRoutes, hostnames, and
    what the controller wrote in the route's status)."""
    if not any(_refers(ref, gateway, listener) for ref in route.parents):
        return Attachment(False, f"{route.kind} {route.key} has no parentRef to Gateway {gateway.key} listener "
                                 f"{listener.name}")
    if route.kind not in listener.kinds():
        return Attachment(False, f"listener {listener.name} ({listener.protocol}) does not take {route.kind}s")
    if listener.allowed_from == "Same" and route.namespace != gateway.namespace:
        return Attachment(False, f"listener {listener.name} takes routes from namespace {gateway.namespace} only "
                                 "(allowedRoutes.namespaces.from: Same)")
    if listener.allowed_from == "None":
        return Attachment(False, f"listener {listener.name} takes no routes")
    if listener.allowed_from == "Selector" and listener.allowed_selector is not None:
        found = labels(route.namespace)
        if found is None:
            return Attachment(None, f"the labels of namespace {route.namespace} could not be read: whether listener "
                                    f"{listener.name}'s namespace selector takes the route is unknown")
        if not selector_matches(listener.allowed_selector, found):
            return Attachment(False, f"namespace {route.namespace} does not match listener {listener.name}'s "
                                     f"allowedRoutes selector {listener.allowed_selector.describe()}")
    hostnames: tuple[str, ...] = ()
    if route.hostnames and listener.hostname is not None:
        hostnames = tuple(h for h in route.hostnames if hostnames_intersect(listener.hostname, h))
        if not hostnames:
            return Attachment(False, f"none of the route's hostnames ({', '.join(route.hostnames)}) intersects "
                                     f"listener {listener.name}'s {listener.hostname}: the route is not accepted")
    said = next((s for s in route.statuses if s.parent == gateway.key), None)
    if said is not None and said.accepted is False:
        return Attachment(False, f"the controller did not accept it (status Accepted: False, {said.reason or 'no reason'})")
    return Attachment(True, f"attached to Gateway {gateway.key} listener {listener.name}", hostnames)


@record
class RouteHit:
    """One match of one rule of one route that a request reaches (or that was considered)."""

    route: Route
    rule: RouteRule
    match: RouteMatch
    listener: Listener
    why: str
    # Conditions the URL cannot show (headers, query parameters, the method): the request takes this
    # rule only when it carries them.
    conditions: tuple[str, ...] = ()


@record
class GatewayChoice:
    hits: tuple[RouteHit, ...]  # conditional alternatives first (by precedence), then where it goes otherwise
    considered: tuple[RouteHit, ...]
    notes: tuple[str, ...] = ()
    unknown: str | None = None  # why the choice cannot be told (a route whose attachment is unknown...)
    listeners: tuple[Listener, ...] = ()


def _route_host(route: Route, allowed: tuple[str, ...], host: str) -> tuple[bool, str | None]:
    """Whether the route takes the host, and the route hostname that matched (None: it names none)."""
    names = allowed or route.hostnames
    if not names:
        return True, None
    best = max((h for h in names if gateway_host_matches(h, host)), key=host_specificity, default=None)
    return best is not None, best


def _precedence(hit: RouteHit, hostname: str | None) -> tuple[object, ...]:
    match = hit.match
    non_wild, chars = host_specificity(hostname)
    if match.grpc_service is not None or match.grpc_method is not None:
        path_rank: tuple[int, int] = (0 if match.grpc_service and match.grpc_method else 1,
                                      -len(match.grpc_service or "") - len(match.grpc_method or ""))
    elif match.path_type is PathType.EXACT:
        path_rank = (0, -len(match.path))
    else:
        path_rank = (1, -len(match.path))
    return (-non_wild, -chars, *path_rank, 0 if match.method else 1, -len(match.headers), -len(match.query),
            _age(hit.route), hit.rule.index, match.index or 0)


def choose_route(gateway: Gateway, routes: Sequence[Route], request: Request,
                 labels: NamespaceLabels) -> GatewayChoice:
    """Where a request to `gateway` goes among `routes` (every route read; those attached count)."""
    listeners, why_none = listeners_for(gateway, request)
    if not listeners:
        return GatewayChoice((), (), (why_none,))
    ranked: list[tuple[tuple[object, ...], RouteHit]] = []
    considered: list[RouteHit] = []
    notes: list[str] = []
    unknown = None
    for listener in listeners:
        for route in routes:
            found = attachment(route, gateway, listener, labels)
            if found.attached is None:
                unknown = unknown or f"{route.kind} {route.key}: {found.reason}"
                continue
            if not found.attached:
                continue
            takes, hostname = _route_host(route, found.hostnames, request.host)
            if not takes:
                continue
            if route.kind in ("TCPRoute", "TLSRoute"):
                if listener.protocol in ("TCP", "TLS"):
                    for rule in route.rules:
                        hit = RouteHit(route, rule, rule.matches[0], listener,
                                       f"{route.kind} {route.key} is attached to listener {listener.name}")
                        ranked.append((_precedence(hit, hostname), hit))
                continue
            for rule in route.rules:
                for match in rule.matches:
                    taken = route_match_path(match, request.path)
                    if taken is None:
                        notes.append(f"{route.kind} {route.key} rules[{rule.index}] matches[{match.index}] has a regular "
                                     "expression this tool cannot read: it was left out")
                        continue
                    if not taken:
                        continue
                    if match.path_type is PathType.REGEX:
                        notes.append(f"{route.kind} {route.key} rules[{rule.index}] uses a RegularExpression path: its "
                                     "precedence and dialect are implementation-specific")
                    where = f"rules[{rule.index}]" + (f".matches[{match.index}]" if match.index is not None else "")
                    host_text = f"hostname {hostname}, " if hostname else ""
                    hit = RouteHit(route, rule, match, listener,
                                   f"{route.kind} {route.key} {where}: {host_text}{match.describe()}",
                                   match.conditions)
                    ranked.append((_precedence(hit, hostname), hit))
    ranked.sort(key=lambda item: item[0])
    hits: list[RouteHit] = []
    for _, hit in ranked:
        if hits and not hits[-1].conditions:
            considered.append(hit)
        else:
            hits.append(hit)
    if len(listeners) > 1:
        notes.append("the request fits listeners " + ", ".join(li.name for li in listeners) + " equally")
    broader = [li for li in gateway.listeners if li not in listeners and li.port == request.port
               and li.protocol == listeners[0].protocol and gateway_host_matches(li.hostname, request.host)]
    if broader:
        notes.append(f"listener {listeners[0].name} ({listeners[0].hostname}) is the most specific for {request.host}; "
                     f"an implementation without listener isolation may also route it by the routes of "
                     f"{', '.join(li.name for li in broader)}")
    if not hits and not unknown:
        notes.append(f"no route attached to Gateway {gateway.key} takes {request.host}{request.path}: it answers 404")
    return GatewayChoice(tuple(hits), tuple(considered), tuple(notes), unknown, listeners)


def attached_listeners(route: Route, gateway: Gateway, labels: NamespaceLabels) -> list[tuple[Listener, Attachment]]:
    """Every listener of `gateway` with what `route` makes of it."""
    return [(li, attachment(route, gateway, li, labels)) for li in gateway.listeners]
