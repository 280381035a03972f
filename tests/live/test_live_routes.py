"""The live source and the ways in from outside: Ingress and IngressClass (networking.k8s.io/v1) and the
Gateway API's kinds, served (read, in the versions served, and evaluated), absent (a normal cluster:
nothing asked beyond discovery, nothing unknown), forbidden (the answers they could change are unknown
and say what could not be read)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apiserver import FakeApiServer, Rbac, namespace, pod
from conftest import shop_cluster

from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.outside import RouteVerdict
from kubenet_tui.engine.query import Question, ask
from kubenet_tui.sources.live import LiveOptions, LiveSource

NGINX = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}
CONTROLLER = [namespace("ingress-nginx"),
              pod("ingress-nginx", "ctrl-1", NGINX, "10.0.9.10", [{"name": "https", "containerPort": 443}])]
INGRESS = [
    {"kind": "IngressClass", "metadata": {"name": "nginx"}, "spec": {"controller": "k8s.io/ingress-nginx"}},
    {"kind": "Ingress", "metadata": {"name": "site", "namespace": "shop"},
     "spec": {"ingressClassName": "nginx", "rules": [{"host": "a.example", "http": {"paths": [
         {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "db", "port": {"number": 6379}}}}]}}]},
     "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.80"}]}}},
]
GATEWAY = [
    {"kind": "GatewayClass", "metadata": {"name": "eg"},
     "spec": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"}},
    {"kind": "Gateway", "metadata": {"name": "gw", "namespace": "shop"},
     "spec": {"gatewayClassName": "eg", "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"},
                                                      {"name": "redis", "port": 6379, "protocol": "TCP"}]}},
    {"kind": "HTTPRoute", "metadata": {"name": "web", "namespace": "shop"},
     "spec": {"parentRefs": [{"name": "gw"}], "hostnames": ["b.example"],
              "rules": [{"backendRefs": [{"name": "db", "port": 6379}]}]}},
    {"kind": "TCPRoute", "metadata": {"name": "redis", "namespace": "shop"},
     "spec": {"parentRefs": [{"name": "gw", "sectionName": "redis"}],
              "rules": [{"backendRefs": [{"name": "db", "port": 6379}]}]}},
    {"kind": "ReferenceGrant", "metadata": {"name": "none", "namespace": "payments"},
     "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "shop"}],
              "to": [{"group": "", "kind": "Service"}]}},
]
ENVOY = pod("shop", "envoy-gw-1", {"gateway.envoyproxy.io/owning-gateway-name": "gw",
                                   "gateway.envoyproxy.io/owning-gateway-namespace": "shop"}, "10.0.1.99")


def load(kubeconfig: Path) -> LiveSource:
    return LiveSource(LiveOptions(kubeconfig=str(kubeconfig), request_timeout=3))


def outside(cluster: Any, url: str) -> RouteVerdict:
    answer = ask(cluster, Question(url))
    assert isinstance(answer, RouteVerdict)
    return answer


def test_served_routes_are_read_and_evaluated(server: FakeApiServer, kubeconfig: Path) -> None:
    server.gateway_versions = {"v1", "v1beta1", "v1alpha2"}
    server.put_many([*shop_cluster(), *CONTROLLER, ENVOY, *INGRESS, *GATEWAY])
    source = load(kubeconfig)
    snapshot = source.load()
    routes = snapshot.cluster.routes
    assert routes is not None
    assert [i.key for i in routes.ingresses] == ["shop/site"] and routes.ingresses[0].addresses == ("203.0.113.80",)
    assert sorted((r.kind, r.api_version) for r in routes.routes) == [
        ("HTTPRoute", "gateway.networking.k8s.io/v1"), ("TCPRoute", "gateway.networking.k8s.io/v1alpha2")]
    assert [g.name for g in routes.grants] == ["none"] and [c.name for c in routes.gateway_classes] == ["eg"]
    assert not [p for p in snapshot.problems if p.severity == "error"]
    # The default-deny in shop lets only the frontend reach db: the controller and the Gateway are refused.
    rv = outside(snapshot.cluster, "https://a.example/")
    assert rv.status is Status.BLOCKED and rv.frontends[0].plane.product == "ingress-nginx"
    rv = outside(snapshot.cluster, "http://b.example/")
    assert rv.status is Status.BLOCKED and [p.key for p in rv.frontends[0].plane.pods] == ["shop/envoy-gw-1"]
    assert outside(snapshot.cluster, "http://any.example:6379/").paths[0].route.kind == "TCPRoute"
    # Only reads; the snapshot export carries the routes for an offline replay.
    assert server.methods() == {"GET"}
    kinds = {o["kind"] for o in source.objects()}
    assert {"Ingress", "IngressClass", "GatewayClass", "Gateway", "HTTPRoute", "TCPRoute", "ReferenceGrant"} <= kinds
    ingress = next(o for o in source.objects() if o["kind"] == "Ingress")
    assert ingress["status"]["loadBalancer"]["ingress"] == [{"ip": "203.0.113.80"}]


def test_absent_groups_are_a_normal_cluster(server: FakeApiServer, kubeconfig: Path) -> None:
    server.ingress_served = False
    server.put_many([*shop_cluster(), *CONTROLLER])
    snapshot = load(kubeconfig).load()
    assert snapshot.cluster.routes is None and not snapshot.problems
    assert not [r for r in server.requests if "gateway.networking.k8s.io" in r.path]
    assert not [r for r in server.requests if r.path.endswith(("/ingresses", "/ingressclasses"))]
    assert not [g for g in snapshot.cluster.unreadable if "ingress" in g.resource.value or "gateway" in g.resource.value]
    rv = outside(snapshot.cluster, "https://a.example/")
    assert rv.status is Status.NOT_EVALUATED and rv.unknown is None  # no route: nothing hidden


def test_forbidden_routes_make_answers_unknown(server: FakeApiServer, kubeconfig: Path) -> None:
    server.gateway_versions = {"v1"}
    server.put_many([*shop_cluster(), *CONTROLLER, *INGRESS, *GATEWAY[:3]])
    server.rbac["alice"] = Rbac(denied={("ingresses", None), ("ingresses", "payments"), ("httproutes", None),
                                        ("httproutes", "shop")})
    snapshot = load(kubeconfig).load()
    gaps = {(g.resource.value, g.namespace) for g in snapshot.cluster.unreadable}
    assert ("ingresses", "payments") in gaps and ("httproutes", "shop") in gaps
    rv = outside(snapshot.cluster, "https://a.example/")
    # shop's Ingresses were read (the fallback per namespace): the path is there, but another namespace's
    # Ingress could take the request.
    assert rv.status is Status.UNKNOWN and rv.paths and "could not be read" in rv.summary


def test_forbidden_ingress_classes_are_told_from_the_controller_pods(server: FakeApiServer, kubeconfig: Path) -> None:
    server.put_many([*shop_cluster(), *CONTROLLER, *INGRESS])
    server.rbac["alice"] = Rbac(denied={("ingressclasses", None)})
    snapshot = load(kubeconfig).load()
    assert ("ingressclasses", None) in {(g.resource.value, g.namespace) for g in snapshot.cluster.unreadable}
    rv = outside(snapshot.cluster, "https://a.example/")
    assert rv.frontends[0].plane.product == "ingress-nginx" and rv.status is Status.BLOCKED
    assert any("IngressClass nginx could not be read" in c.message for c in rv.caveats)


def test_a_snapshot_replays_the_routes_and_what_was_not_read(server: FakeApiServer, kubeconfig: Path,
                                                             tmp_path: Path) -> None:
    from kubenet_tui.cli import main
    from kubenet_tui.sources.files import FileSource

    server.gateway_versions = {"v1", "v1beta1", "v1alpha2"}
    server.put_many([*shop_cluster(), *CONTROLLER, ENVOY, *INGRESS, *GATEWAY])
    server.rbac["alice"] = Rbac(denied={("tcproutes", None), ("tcproutes", "shop"), ("tcproutes", "payments")})
    out = tmp_path / "snap.yaml"
    assert main(["snapshot", "--kubeconfig", str(kubeconfig), "-o", str(out)]) == 0
    replay = FileSource([str(out)]).load()
    original = load(kubeconfig).load()
    assert replay.cluster.routes == original.cluster.routes and not replay.problems
    assert set(replay.cluster.unreadable) == set(original.cluster.unreadable)
    for url in ("https://a.example/", "http://b.example/"):
        assert outside(replay.cluster, url).status is outside(original.cluster, url).status is Status.UNKNOWN
