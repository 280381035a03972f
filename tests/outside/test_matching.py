"""Host and path matching, from the tables of the specs: the Ingress documentation's path and wildcard
examples, the Gateway API's hostname rules (HTTPRoute.spec.hostnames, Listener.hostname) and its match
precedence (HTTPRouteRule.matches), listener attachment (allowedRoutes, hostname intersection), and the
default backend. Pure functions first, then through `ask` on small clusters."""

from __future__ import annotations

import pytest
from tiers.kit import namespace, pod

from kubenet_tui.engine.errors import InputError
from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.route_match import (
    gateway_host_matches,
    hostnames_intersect,
    ingress_host_matches,
    ingress_path_matches,
    parse_url,
    prefix_matches,
)
from kubenet_tui.engine.route_model import PathType
from outside.kit import (
    backend,
    backend_ref,
    cluster,
    gateway,
    gateway_class,
    http_rule,
    ingress,
    legs,
    listener,
    match,
    nginx_controller,
    outside,
    parent,
    path,
    route,
    rule,
    shop,
)

# -- Ingress: the Kubernetes documentation's examples ----------------------------------------------------

# (pathType, path, request path, matches)
INGRESS_PATHS = [
    ("Prefix", "/", "/anything/at/all", True),
    ("Exact", "/foo", "/foo", True),
    ("Exact", "/foo", "/bar", False),
    ("Exact", "/foo", "/foo/", False),
    ("Exact", "/foo/", "/foo", False),
    ("Prefix", "/foo", "/foo", True),
    ("Prefix", "/foo", "/foo/", True),
    ("Prefix", "/foo/", "/foo", True),
    ("Prefix", "/foo/", "/foo/", True),
    ("Prefix", "/aaa/bb", "/aaa/bbb", False),
    ("Prefix", "/aaa/bbb", "/aaa/bbb", True),
    ("Prefix", "/aaa/bbb/", "/aaa/bbb", True),  # ignores the trailing slash
    ("Prefix", "/aaa/bbb", "/aaa/bbb/", True),  # matches the trailing slash
    ("Prefix", "/aaa/bbb", "/aaa/bbb/ccc", True),  # a subpath
    ("Prefix", "/aaa/bbb", "/aaa/bbbxyz", False),  # not a string prefix
    ("Prefix", "/aaa", "/ccc", False),
    # ImplementationSpecific: read as ingress-nginx does without regex annotations, a string prefix.
    ("ImplementationSpecific", "/aaa/bb", "/aaa/bbb", True),
    ("ImplementationSpecific", "/aaa", "/ccc", False),
]


@pytest.mark.parametrize(("kind", "rule_path", "asked", "expected"), INGRESS_PATHS)
def test_ingress_path_table(kind: str, rule_path: str, asked: str, expected: bool) -> None:
    assert ingress_path_matches(PathType(kind), rule_path, asked) is expected


# (rule host, Host header, matches)
INGRESS_HOSTS = [
    ("*.foo.com", "bar.foo.com", True),  # a shared suffix
    ("*.foo.com", "baz.bar.foo.com", False),  # the wildcard covers one DNS label only
    ("*.foo.com", "foo.com", False),
    ("foo.bar.com", "foo.bar.com", True),
    ("foo.bar.com", "bar.foo.com", False),
    (None, "anything.example", True),  # a rule without host takes every host
]


@pytest.mark.parametrize(("host", "header", "expected"), INGRESS_HOSTS)
def test_ingress_host_table(host: str | None, header: str, expected: bool) -> None:
    assert ingress_host_matches(host, header) is expected


# Several paths: (paths as (type, path, service), request path, the service that wins)
INGRESS_PRECEDENCE = [
    ([("Prefix", "/", "root"), ("Prefix", "/aaa", "aaa")], "/aaa/ccc", "aaa"),
    ([("Prefix", "/", "root"), ("Prefix", "/aaa", "aaa"), ("Prefix", "/aaa/bbb", "bbb")], "/aaa/bbb", "bbb"),
    ([("Prefix", "/", "root"), ("Prefix", "/aaa", "aaa"), ("Prefix", "/aaa/bbb", "bbb")], "/ccc", "root"),
    ([("Prefix", "/foo", "prefix"), ("Exact", "/foo", "exact")], "/foo", "exact"),  # Exact wins a tie
    ([("Prefix", "/foo", "prefix"), ("Exact", "/foo", "exact")], "/foo/x", "prefix"),
]


def _backend_services(c: object, url: str) -> list[str]:
    rv = outside(c, url)  # type: ignore[arg-type]
    return [h.service for p in rv.paths for h in p.backends]


@pytest.mark.parametrize(("paths", "request_path", "winner"), INGRESS_PRECEDENCE)
def test_longest_path_wins_then_exact(paths: list[tuple[str, str, str]], request_path: str, winner: str) -> None:
    written = [path(p, svc, 80, kind) for kind, p, svc in paths]
    c = cluster(nginx_controller(), namespace("web"), ingress("web", "site", rule("a.example", *written)))
    assert _backend_services(c, f"https://a.example{request_path}") == [f"web/{winner}"]


def test_exact_host_wins_over_wildcard_and_hostless_rules_and_no_fallback_between_them() -> None:
    c = cluster(nginx_controller(), namespace("web"),
                ingress("web", "exact", rule("a.foo.com", path("/exact-only", "exact"))),
                ingress("web", "wild", rule("*.foo.com", path("/", "wild"))),
                ingress("web", "any", rule(None, path("/", "any"))))
    assert _backend_services(c, "https://a.foo.com/exact-only") == ["web/exact"]
    assert _backend_services(c, "https://b.foo.com/x") == ["web/wild"]
    assert _backend_services(c, "https://b.bar.foo.com/x") == ["web/any"]  # one label only: not the wildcard
    # a.foo.com has rules of its own: its unmatched paths do not fall back to other hosts' rules.
    rv = outside(c, "https://a.foo.com/other")
    assert rv.status is Status.NOT_EVALUATED and "404" in (rv.paths[0].answers or "")


def test_default_backend_takes_what_no_rule_takes() -> None:
    c = cluster(nginx_controller(), namespace("web"),
                ingress("web", "site", rule("a.example", path("/app", "app")), default=backend("fallback", 80)))
    assert _backend_services(c, "https://a.example/app/x") == ["web/app"]
    assert _backend_services(c, "https://a.example/other") == ["web/fallback"]
    assert _backend_services(c, "https://b.example/") == ["web/fallback"]
    rv = outside(c, "https://b.example/")
    assert "route-implementation" in {c.code.value for c in rv.caveats}  # which defaultBackend: controller-specific


def test_the_same_host_and_path_in_two_ingresses_takes_the_oldest_and_says_so() -> None:
    c = cluster(nginx_controller(), namespace("web"),
                ingress("web", "zzz-old", rule("a.example", path("/", "old")), created="2024-01-01T00:00:00Z"),
                ingress("web", "aaa-new", rule("a.example", path("/", "new")), created="2024-06-01T00:00:00Z"))
    rv = outside(c, "https://a.example/")
    assert [h.service for p in rv.paths for h in p.backends] == ["web/old"]
    assert any("defines the same host" in c.message for c in rv.caveats)


def test_ingresses_of_another_class_are_another_frontend() -> None:
    c = cluster(nginx_controller(), namespace("web"),
                ingress("web", "a", rule("a.example", path("/", "one"))),
                ingress("web", "b", rule("a.example", path("/", "two")), class_name="traefik"))
    rv = outside(c, "https://a.example/")
    assert sorted(h.service for p in rv.paths for h in p.backends) == ["web/one", "web/two"]
    assert "several-frontends" in {c.code.value for c in rv.caveats}


# -- URLs ------------------------------------------------------------------------------------------------


def test_urls_parse_with_default_ports() -> None:
    request = parse_url("HTTPS://Shop.Example.com./cart?x=1")
    assert (request.scheme, request.host, request.port, request.path, request.query) == (
        "https", "shop.example.com", 443, "/cart", "x=1")
    assert parse_url("http://a.example:8080").port == 8080 and parse_url("http://a.example").path == "/"
    for bad in ("ftp://a.example/", "https:///nohost", "https://a.example:99999/"):
        with pytest.raises(InputError):
            parse_url(bad)


# -- Gateway API -----------------------------------------------------------------------------------------

# (pattern, host, matches): wildcards are suffixes of one or more labels.
GATEWAY_HOSTS = [
    ("*.example.com", "test.example.com", True),
    ("*.example.com", "foo.test.example.com", True),
    ("*.example.com", "example.com", False),
    ("test.example.com", "test.example.com", True),
    ("test.example.com", "foo.test.example.com", False),
    (None, "anything", True),
]


@pytest.mark.parametrize(("pattern", "host", "expected"), GATEWAY_HOSTS)
def test_gateway_hostname_table(pattern: str | None, host: str, expected: bool) -> None:
    assert gateway_host_matches(pattern, host) is expected


# (listener hostname, route hostname, intersect): HTTPRoute.spec.hostnames' examples.
INTERSECTIONS = [
    ("test.example.com", "test.example.com", True),
    ("test.example.com", "*.example.com", True),
    ("test.example.com", "other.example.com", False),
    ("*.example.com", "*.example.com", True),
    ("*.example.com", "test.example.com", True),
    ("*.example.com", "foo.test.example.com", True),
    ("*.example.com", "example.com", False),
    ("*.example.com", "test.example.net", False),
    (None, "anything.example", True),
]


@pytest.mark.parametrize(("listener_host", "route_host", "expected"), INTERSECTIONS)
def test_listener_and_route_hostnames_intersect(listener_host: str | None, route_host: str, expected: bool) -> None:
    assert hostnames_intersect(listener_host, route_host) is expected


PREFIXES = [("/abc", "/abc", True), ("/abc", "/abc/", True), ("/abc", "/abc/def", True), ("/abc", "/abcd", False),
            ("/abc/", "/abc", True), ("/", "/x", True)]


@pytest.mark.parametrize(("prefix", "request_path", "expected"), PREFIXES)
def test_path_prefix_is_element_wise(prefix: str, request_path: str, expected: bool) -> None:
    assert prefix_matches(prefix, request_path) is expected


def gw_cluster(*extra: object) -> object:
    return cluster(
        namespace("infra"), namespace("web", team="web"), namespace("other"),
        gateway_class("eg", "gateway.envoyproxy.io/gatewayclass-controller"),
        pod("envoy-gateway-system", "envoy-infra-gw-abc", "10.0.8.10",
            {"gateway.envoyproxy.io/owning-gateway-name": "gw",
             "gateway.envoyproxy.io/owning-gateway-namespace": "infra"}, [("http", 10080, "TCP")]),
        gateway("infra", "gw", "eg", listener("http", 80, source="All"),
                listener("team", 80, hostname="team.example", source="Selector",
                         selector={"matchLabels": {"team": "web"}})),
        *extra)


# (matches as (rule name, match obj), request path, the rule that wins)
GATEWAY_PRECEDENCE = [
    ([("prefix", match("/foo")), ("exact", match("/foo", "Exact"))], "/foo", "exact"),
    ([("short", match("/foo")), ("long", match("/foo/bar"))], "/foo/bar/baz", "long"),
    ([("plain", match("/foo")), ("method", match("/foo", method="GET"))], "/foo", "method"),
    ([("one", match("/foo", headers=[("a", "1")])), ("two", match("/foo", headers=[("a", "1"), ("b", "2")]))],
     "/foo", "two"),
    ([("none", match("/foo")), ("query", match("/foo", query=[("q", "1")]))], "/foo", "query"),
]


@pytest.mark.parametrize(("rules", "request_path", "winner"), GATEWAY_PRECEDENCE)
def test_gateway_match_precedence(rules: list[tuple[str, dict[str, object]]], request_path: str, winner: str) -> None:
    written = [http_rule(backend_ref(name), matches=[m]) for name, m in rules]
    c = gw_cluster(route("infra", "r", [parent("gw")], *written))
    rv = outside(c, f"http://any.example{request_path}")  # type: ignore[arg-type]
    # Conditional matches (method, headers, query) come first; where the request goes without them last.
    assert rv.paths[0].backends[0].service == f"infra/{winner}"


def test_conditions_a_url_cannot_carry_show_both_ways_and_say_so() -> None:
    c = gw_cluster(route("infra", "r", [parent("gw")],
                         http_rule(backend_ref("canary"), matches=[match("/", headers=[("x-canary", "1")])]),
                         http_rule(backend_ref("stable"))))
    rv = outside(c, "http://any.example/page")  # type: ignore[arg-type]
    assert [(p.backends[0].service, p.conditions) for p in rv.paths] == [
        ("infra/canary", ("header x-canary=1",)), ("infra/stable", ())]
    assert "route-conditions" in {c.code.value for c in rv.caveats}


def test_routes_across_namespaces_ties_and_hostname_specificity() -> None:
    c = gw_cluster(
        route("web", "newer", [parent("gw", "infra")], http_rule(backend_ref("newer")), created="2024-06-01T00:00:00Z"),
        route("web", "older", [parent("gw", "infra")], http_rule(backend_ref("older")), created="2024-01-01T00:00:00Z"),
        route("web", "specific", [parent("gw", "infra")], http_rule(backend_ref("specific")),
              hostnames=["a.example"]),
        route("web", "wild", [parent("gw", "infra")], http_rule(backend_ref("wild")), hostnames=["*.example"]))
    # Ties on the match go to the oldest route; a non-wildcard hostname beats a wildcard beats none.
    assert outside(c, "http://b.other/").paths[0].backends[0].service == "web/older"  # type: ignore[arg-type]
    assert outside(c, "http://a.example/").paths[0].backends[0].service == "web/specific"  # type: ignore[arg-type]
    assert outside(c, "http://b.example/").paths[0].backends[0].service == "web/wild"  # type: ignore[arg-type]


def test_allowed_routes_listener_hostnames_and_status_decide_attachment() -> None:
    c = gw_cluster(
        route("other", "team-route", [parent("gw", "infra", "team")], http_rule(backend_ref("x"))),
        route("web", "team-ok", [parent("gw", "infra", "team")], http_rule(backend_ref("ok"))),
        route("web", "bad-host", [parent("gw", "infra", "team")], http_rule(backend_ref("no")),
              hostnames=["elsewhere.example"]),
        route("web", "refused", [parent("gw", "infra")], http_rule(backend_ref("refused")), hostnames=["r.example"],
              status={"parents": [{"parentRef": {"name": "gw", "namespace": "infra"},
                                   "conditions": [{"type": "Accepted", "status": "False",
                                                   "reason": "NotAllowedByListeners"}]}]}))
    # The team listener takes routes from namespaces labelled team=web only; its hostname is team.example.
    rv = outside(c, "http://team.example/")  # type: ignore[arg-type]
    assert [h.service for p in rv.paths for h in p.backends] == ["web/ok"]
    assert any("without listener isolation" in c.message for c in rv.caveats)  # the catch-all listener too
    assert outside(c, "gateway/infra/gw").paths  # type: ignore[arg-type]
    notes = outside(c, "route/web/bad-host").notes  # type: ignore[arg-type]
    assert any("intersects" in n for n in notes)
    refused = outside(c, "route/web/refused")  # type: ignore[arg-type]
    assert not refused.paths and any("Accepted: False, NotAllowedByListeners" in n for n in refused.notes)
    assert outside(c, "route/other/team-route").paths == ()  # type: ignore[arg-type]


def test_no_listener_on_the_port_and_other_schemes() -> None:
    c = gw_cluster(route("infra", "r", [parent("gw")], http_rule(backend_ref("web"))))
    rv = outside(c, "https://any.example/")  # type: ignore[arg-type]
    assert rv.status is Status.NOT_EVALUATED and not rv.paths
    assert outside(c, "http://any.example/").paths  # type: ignore[arg-type]


def test_a_redirect_rule_answers_itself() -> None:
    c = gw_cluster(route("infra", "r", [parent("gw")], http_rule(filters=[
        {"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}])))
    rv = outside(c, "http://any.example/")  # type: ignore[arg-type]
    assert rv.status is Status.NOT_EVALUATED and "redirect (301 to https)" in (rv.paths[0].answers or "")


def test_grpc_and_tcp_routes() -> None:
    c = gw_cluster(
        route("infra", "grpc", [parent("gw")], {"matches": [{"method": {"service": "shop.Cart", "method": "Add"}}],
                                                "backendRefs": [backend_ref("cart")]}, kind="GRPCRoute"),
        gateway("infra", "tcp", "eg", listener("db", 5432, "TCP", source="All")),
        route("infra", "db", [parent("tcp")], {"backendRefs": [backend_ref("db", 5432)]}, kind="TCPRoute",
              api_version="gateway.networking.k8s.io/v1alpha2"))
    assert outside(c, "http://any.example/shop.Cart/Add").paths[0].backends[0].service == "infra/cart"  # type: ignore[arg-type]
    assert outside(c, "http://any.example:5432/").paths[0].backends[0].service == "infra/db"  # type: ignore[arg-type]


def test_matching_feeds_the_verdicts() -> None:
    c = cluster(shop(), nginx_controller(), ingress("shop", "site", rule("a.example", path("/", "web", "http"),
                                                                         path("/api", "api"))))
    assert legs(outside(c, "https://a.example/api/v1")) == {("ingress-nginx/ingress-nginx-controller-abc",
                                                               "shop/api-1"): "blocked"}
