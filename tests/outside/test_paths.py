"""The whole path from outside: the controller's own ingress, every backend from every data-plane pod,
and the caveats that decide real incidents (host-network controllers, externalTrafficPolicy and source
addresses, backends without endpoints, a missing ReferenceGrant, Cilium's ingress identity), what cannot
be read, and the ends as objects (ingress/, gateway/, route/) with a destination or without."""

from __future__ import annotations

import pytest
from tiers.kit import namespace, netpol, pod

from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.errors import DataMissing, InputError
from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.gaps import GapKind, Resource, Unreadable
from kubenet_tui.engine.outside import is_outside_end
from kubenet_tui.engine.profiles import Profile
from kubenet_tui.engine.query import Question, ask
from outside.kit import (
    backend_ref,
    cluster,
    codes,
    collect,
    gateway,
    gateway_class,
    http_rule,
    ingress,
    legs,
    listener,
    nginx_controller,
    outside,
    parent,
    path,
    reference_grant,
    route,
    rule,
    service,
    shop,
    sport,
)

CTRL = "ingress-nginx/ingress-nginx-controller-abc"
SITE = ingress("shop", "site", rule("a.example", path("/", "web", "http"), path("/api", "api")))


def test_every_backend_from_every_controller_pod() -> None:
    c = cluster(shop(), nginx_controller(), pod("ingress-nginx", "ingress-nginx-controller-def", "10.0.9.11",
                                                {"app.kubernetes.io/name": "ingress-nginx",
                                                 "app.kubernetes.io/component": "controller"},
                                                [("http", 80, "TCP"), ("https", 443, "TCP")]),
                pod("shop", "web-2", "10.0.1.11", {"app": "web"}, [("http", 8080, "TCP")]), SITE)
    rv = outside(c, "ingress/shop/site")
    assert legs(rv) == {
        (CTRL, "shop/web-1"): "allowed", (CTRL, "shop/web-2"): "allowed", (CTRL, "shop/api-1"): "blocked",
        ("ingress-nginx/ingress-nginx-controller-def", "shop/web-1"): "allowed",
        ("ingress-nginx/ingress-nginx-controller-def", "shop/web-2"): "allowed",
        ("ingress-nginx/ingress-nginx-controller-def", "shop/api-1"): "blocked"}
    assert rv.status is Status.BLOCKED and [p.status for p in rv.paths] == [Status.ALLOWED, Status.BLOCKED]
    # Only the backends of one destination: a pod, or a Service.
    only = outside(c, "ingress/shop/site", "shop/web-2")
    assert set(legs(only)) == {(CTRL, "shop/web-2"), ("ingress-nginx/ingress-nginx-controller-def", "shop/web-2")}
    assert only.status is Status.ALLOWED and only.destination == "shop/web-2"
    assert outside(c, "https://a.example/api", "svc/shop/api").status is Status.BLOCKED
    with pytest.raises(InputError, match="does not lead to"):
        outside(c, "https://a.example/api", "svc/shop/web")


def test_the_controllers_own_ingress_from_outside() -> None:
    policed = netpol("ingress-nginx", "only-office", {}, ["Ingress"],
                     [{"from": [{"ipBlock": {"cidr": "198.51.100.0/24"}}]}])
    c = cluster(shop(), nginx_controller(), SITE, policed)
    rv = outside(c, "https://a.example/")
    (hop,) = rv.frontends[0].entry
    assert (hop.reach, hop.ranges, hop.status, hop.port) == ("some", ("198.51.100.0/24",), Status.BLOCKED, 443)
    assert hop.verdicts[0].status is Status.BLOCKED  # explained from a client outside the range
    assert rv.status is Status.BLOCKED and "outside ->" in rv.summary
    closed = netpol("ingress-nginx", "deny-all", {}, ["Ingress"], [])
    hop = outside(cluster(shop(), nginx_controller(), SITE, closed), "https://a.example/").frontends[0].entry[0]
    assert (hop.reach, hop.status) == ("none", Status.BLOCKED)
    hop = outside(cluster(shop(), nginx_controller(), SITE), "https://a.example/").frontends[0].entry[0]
    assert (hop.reach, hop.status) == ("all", Status.ALLOWED)


def test_external_traffic_policy_cluster_means_node_addresses() -> None:
    from_nodes = netpol("ingress-nginx", "from-nodes", {}, ["Ingress"],
                        [{"from": [{"ipBlock": {"cidr": "192.168.0.1/32"}}]}])
    c = cluster(shop(), nginx_controller(etp=None), SITE, from_nodes)
    rv = outside(c, "https://a.example/")
    (hop,) = rv.frontends[0].entry
    assert "node addresses" in hop.sources and len(hop.verdicts) == 2  # one per node
    assert [v.status for v in hop.verdicts] == [Status.ALLOWED, Status.BLOCKED] and hop.status is Status.BLOCKED
    assert "source-addresses" in codes(rv)


def test_host_network_controller_is_seen_as_its_node() -> None:
    c = cluster(shop(), nginx_controller(host_network=True, ip="192.168.0.1"), SITE)
    rv = outside(c, "https://a.example/")
    assert "data-plane-host-network" in codes(rv)
    # The upstream reading lets the namespace selector match the pod; the leg says its traffic carries
    # the node's address, which selectors usually do not match.
    (leg,) = [b.verdict for _, _, sv in rv.legs() for b in sv.backends if b.name == "shop/web-1"]
    assert leg is not None and "host-network-peer" in codes(leg)
    assert rv.frontends[0].entry[0].status is Status.ALLOWED  # not enforceable: host network


def test_a_backend_without_endpoints_and_a_missing_service() -> None:
    c = cluster(shop(), nginx_controller(),
                service("shop", "empty", {"app": "nothing"}, [sport(80, 8080)]),
                ingress("shop", "site", rule("a.example", path("/empty", "empty"), path("/gone", "gone"))))
    for url in ("https://a.example/empty", "https://a.example/gone"):
        rv = outside(c, url)
        assert rv.status is Status.NOT_EVALUATED and "no-endpoints" in codes(rv)


def test_cross_namespace_backend_needs_a_reference_grant() -> None:
    objects = [shop(), namespace("edge"), gateway_class("eg", "gateway.envoyproxy.io/gatewayclass-controller"),
               pod("edge", "envoy-1", "10.0.8.1", {"gateway.networking.k8s.io/gateway-name": "gw"}),
               gateway("edge", "gw", "eg", listener("http", 80)),
               route("edge", "r", [parent("gw")], http_rule(backend_ref("web", ns="shop")))]
    rv = outside(cluster(*objects), "http://a.example/")
    assert rv.status is Status.NOT_EVALUATED and "reference-grant-missing" in codes(rv)
    assert "500" in rv.paths[0].backends[0].note
    granted = outside(cluster(*objects, reference_grant("shop", "edge-routes", "edge")), "http://a.example/")
    assert legs(granted) == {("edge/envoy-1", "shop/web-1"): "blocked"}  # web admits ingress-nginx only
    wrong = outside(cluster(*objects, reference_grant("shop", "g", "other")), "http://a.example/")
    assert "reference-grant-missing" in codes(wrong)


def test_weights_and_mirrors() -> None:
    c = cluster(shop(), nginx_controller(), namespace("edge"),
                gateway_class("eg", "gateway.envoyproxy.io/gatewayclass-controller"),
                pod("shop", "envoy-1", "10.0.8.1", {"gateway.networking.k8s.io/gateway-name": "gw"}),
                gateway("shop", "gw", "eg", listener("http", 80)),
                route("shop", "r", [parent("gw")], http_rule(backend_ref("web"), backend_ref("api", weight=0))))
    rv = outside(c, "route/shop/r")
    (path_,) = rv.paths
    assert [(h.service, h.status) for h in path_.backends] == [("shop/web", Status.BLOCKED),
                                                              ("shop/api", Status.NOT_EVALUATED)]
    assert "weight 0" in path_.backends[1].note


def cilium_cluster(*policies: dict[str, object], profile: Profile | None = None) -> Cluster:
    c = cluster(namespace("shop"), namespace("kube-system"),
                pod("kube-system", "cilium-abc", "192.168.0.1", {"k8s-app": "cilium"}, host_network=True),
                pod("shop", "web-1", "10.0.1.10", {"app": "web"}, [("http", 8080, "TCP")]),
                service("shop", "web", {"app": "web"}, [sport(80, "http", "http")]),
                {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "cilium"},
                 "spec": {"controller": "cilium.io/ingress-controller"}},
                ingress("shop", "site", rule("a.example", path("/", "web", "http")), class_name="cilium"),
                *policies)
    if profile is not None:
        from dataclasses import replace

        c = replace(c, profile_override=profile)
    return c


def cnp(name: str, spec: dict[str, object], ns: str | None = "shop") -> dict[str, object]:
    kind = "CiliumNetworkPolicy" if ns else "CiliumClusterwideNetworkPolicy"
    meta: dict[str, object] = {"name": name, **({"namespace": ns} if ns else {})}
    return {"apiVersion": "cilium.io/v2", "kind": kind, "metadata": meta, "spec": spec}


WEB = {"matchLabels": {"app": "web"}}


@pytest.mark.parametrize(("peer", "allowed"), [
    ({"fromEntities": ["ingress"]}, True),
    ({"fromEntities": ["cluster"]}, True),  # cluster includes the ingress identity
    ({"fromEntities": ["world"]}, False),
    ({"fromEndpoints": [{"matchLabels": {"reserved:ingress": ""}}]}, True),
    ({"fromEndpoints": [{}]}, False),  # a namespaced policy's {} means the pods of its namespace
    ({"fromCIDR": ["0.0.0.0/0"]}, False),
])
def test_cilium_ingress_reaches_backends_as_the_ingress_identity(peer: dict[str, object], allowed: bool) -> None:
    c = cilium_cluster(cnp("web", {"endpointSelector": WEB, "ingress": [peer]}))
    rv = outside(c, "https://a.example/")
    assert c.profile is Profile.CILIUM
    assert legs(rv) == {("reserved:ingress", "shop/web-1"): "allowed" if allowed else "blocked"}
    assert "cilium-ingress" in codes(rv)
    if not allowed:
        (leg,) = [b.verdict for _, _, sv in rv.legs() for b in sv.backends]
        assert leg is not None and leg.suggestions[0].fragment["spec"]["ingress"] == [  # type: ignore[index]
            {"fromEntities": ["ingress"], "toPorts": [{"ports": [{"port": "8080", "protocol": "TCP"}]}]}]


def test_clusterwide_policies_govern_the_ingress_proxy_both_ways() -> None:
    deny_egress = cnp("proxy-out", {"endpointSelector": {"matchLabels": {"reserved:ingress": ""}},
                                    "egress": [{"toEntities": ["world"]}]}, ns=None)
    rv = outside(cilium_cluster(deny_egress), "https://a.example/")
    (leg,) = [b.verdict for _, _, sv in rv.legs() for b in sv.backends]
    assert leg is not None and leg.egress.allowed is False and leg.status is Status.BLOCKED
    only_world = cnp("proxy-in", {"endpointSelector": {}, "ingress": [{"fromCIDR": ["203.0.113.0/24"]}]}, ns=None)
    rv = outside(cilium_cluster(only_world), "https://a.example/")
    assert rv.frontends[0].entry[0].status is Status.ALLOWED  # the client stands for the internet: 203.0.113.10
    namespaced = cnp("not-the-proxy", {"endpointSelector": {}, "egress": [{"toEntities": ["world"]}]})
    rv = outside(cilium_cluster(namespaced), "https://a.example/")
    (leg,) = [b.verdict for _, _, sv in rv.legs() for b in sv.backends]
    assert leg is not None and leg.egress.allowed is True  # a namespaced policy never selects the proxy


def test_cilium_ingress_under_another_profile_is_unknown() -> None:
    rv = outside(cilium_cluster(profile=Profile.UPSTREAM), "https://a.example/")
    assert rv.status is Status.UNKNOWN and "only the cilium profile" in rv.summary


def test_routes_that_could_not_be_read_make_it_unknown() -> None:
    base = cluster(shop(), nginx_controller(), SITE)
    from dataclasses import replace

    hidden = replace(base, unreadable=(Unreadable(Resource.INGRESSES, "other", "forbidden"),))
    rv = outside(hidden, "https://a.example/")
    assert rv.status is Status.UNKNOWN and "ingresses in namespace other could not be read" in rv.summary
    assert rv.paths  # what the readable routes say is still shown
    served_not = replace(base, unreadable=(Unreadable(Resource.GATEWAYS, None, "absent", GapKind.NOT_SERVED),))
    assert outside(served_not, "https://a.example/").status is Status.ALLOWED  # nothing to miss
    forbidden = replace(base, unreadable=(Unreadable(Resource.INGRESSES, "shop", "forbidden"),))
    with pytest.raises(DataMissing):
        outside(forbidden, "ingress/shop/nope")
    classes = cluster(shop(), [o for o in nginx_controller() if o["kind"] != "IngressClass"], namespace("f5"),
                      pod("f5", "nginx-ingress-1", "10.0.9.20", {"app": "nginx-ingress"}), SITE)
    classes = replace(classes, unreadable=(Unreadable(Resource.INGRESS_CLASSES, None, "forbidden"),))
    rv = outside(classes, "https://a.example/")
    assert rv.status is Status.UNKNOWN and "could not be read (forbidden)" in rv.summary


def test_source_ranges_and_tls_redirect_caveats() -> None:
    limited = [o if o["kind"] != "Service" else service(
        "ingress-nginx", "ingress-nginx-controller",
        {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
        [sport(80, "http", "http"), sport(443, "https", "https")], "LoadBalancer", "Local", "10.96.9.10",
        ["10.0.0.0/8"]) for o in nginx_controller()]
    site = ingress("shop", "site", rule("a.example", path("/", "web", "http")), tls=["a.example"],
                   annotations={"nginx.ingress.kubernetes.io/whitelist-source-range": "10.0.0.0/8"})
    rv = outside(cluster(shop(), limited, site), "http://a.example/")
    assert {"source-ranges", "tls-redirect"} <= codes(rv)
    assert sum(1 for c in rv.caveats if c.code.value == "source-ranges") == 2


def test_ends_and_their_errors() -> None:
    c = cluster(shop(), nginx_controller(), SITE)
    assert is_outside_end("https://a.example/") and is_outside_end("ingress/shop/site")
    assert not is_outside_end("shop/web-1") and not is_outside_end("svc/shop/web")
    with pytest.raises(InputError, match="the route decides the port"):
        outside(c, "https://a.example/", port="80")
    with pytest.raises(InputError, match="Ingress shop/nope not found"):
        outside(c, "ingress/shop/nope")
    with pytest.raises(InputError, match="give it as the source"):
        ask(c, Question("shop/web-1", "https://a.example/"))
    with pytest.raises(InputError, match="the destination is empty"):
        ask(c, Question("shop/web-1", ""))
    with pytest.raises(InputError, match="one of its backends"):
        outside(c, "https://a.example/", "8.8.8.8")
    rv = outside(c, "https://nowhere.example/")
    assert rv.status is Status.NOT_EVALUATED and "hosts routed here: a.example" in rv.summary


def test_older_and_odd_ingresses_load() -> None:
    beta = {"apiVersion": "networking.k8s.io/v1beta1", "kind": "Ingress",
            "metadata": {"name": "old", "namespace": "shop", "annotations": {"kubernetes.io/ingress.class": "nginx"}},
            "spec": {"backend": {"serviceName": "web", "servicePort": "http"},
                     "rules": [{"host": "b.example", "http": {"paths": [{"path": "/x", "backend": {
                         "serviceName": "api", "servicePort": 80}}]}}]}}
    resource = ingress("shop", "res", rule("r.example", {"path": "/", "pathType": "Prefix", "backend": {
        "resource": {"apiGroup": "k8s.example.com", "kind": "StorageBucket", "name": "assets"}}}))
    broken = ingress("shop", "broken", rule("c.example", {"path": "relative", "pathType": "Prefix",
                                                          "backend": {"service": {"name": "web", "port": {}}}}))
    c, problems = collect(shop(), nginx_controller(), beta, resource, broken)
    assert any(p.name == "broken" and p.severity == "error" for p in problems)
    assert c.routes is not None and {i.name for i in c.routes.ingresses} == {"old", "res"}
    rv = outside(c, "https://b.example/x/y")
    assert [h.service for p in rv.paths for h in p.backends] == ["shop/api"]
    assert outside(c, "https://b.example/other").paths[0].backends[0].service == "shop/web"
    rv = outside(c, "https://r.example/")
    assert rv.status is Status.UNKNOWN and "resource backend" in rv.paths[0].backends[0].note
    assert rv.paths[0].route.name == "res"
