"""Who carries requests from outside: the controller an IngressClass or GatewayClass names, found by the
labels each product gives its data-plane pods; what stays unknown, and how the user names the pods."""

from __future__ import annotations

import pytest
from tiers.kit import namespace, pod

from kubenet_tui.engine.controllers import (
    PRODUCTS,
    gateway_data_plane,
    ingress_data_plane,
    parse_pods_override,
)
from kubenet_tui.engine.errors import InputError
from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.route_model import Gateway, Listener
from kubenet_tui.engine.selectors import selector_matches
from outside.kit import (
    backend_ref,
    cluster,
    codes,
    gateway,
    gateway_class,
    http_rule,
    ingress,
    ingress_class,
    listener,
    nginx_controller,
    outside,
    parent,
    path,
    route,
    rule,
    shop,
)

# (IngressClass controller, the product, (namespace, pod labels) of its data-plane pod)
INGRESS_CONTROLLERS = [
    ("k8s.io/ingress-nginx", "ingress-nginx",
     ("ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"})),
    ("nginx.org/ingress-controller", "F5 NGINX Ingress Controller", ("nginx-ingress", {"app": "nginx-ingress"})),
    ("traefik.io/ingress-controller", "Traefik", ("kube-system", {"app.kubernetes.io/name": "traefik"})),
    ("haproxy.org/ingress-controller/haproxy", "HAProxy Kubernetes Ingress",
     ("haproxy-controller", {"app.kubernetes.io/name": "kubernetes-ingress"})),
    ("haproxy-ingress.github.io/controller", "HAProxy Ingress",
     ("ingress-controller", {"app.kubernetes.io/name": "haproxy-ingress"})),
    ("projectcontour.io/ingress-controller", "Contour (Envoy)", ("projectcontour", {"app": "envoy"})),
    ("istio.io/ingress-controller", "Istio", ("istio-system", {"istio": "ingressgateway"})),
    ("ingress-controllers.konghq.com/kong", "Kong", ("kong", {"app.kubernetes.io/name": "kong"})),
    ("getambassador.io/ingress-controller", "Emissary-ingress",
     ("emissary", {"app.kubernetes.io/name": "emissary-ingress"})),
    ("apisix.apache.org/apisix-ingress-controller", "Apache APISIX", ("apisix", {"app.kubernetes.io/name": "apisix"})),
]


@pytest.mark.parametrize(("controller", "product", "where"), INGRESS_CONTROLLERS,
                         ids=[c[1] for c in INGRESS_CONTROLLERS])
def test_ingress_controllers_are_recognised_by_their_pods(controller: str, product: str,
                                                          where: tuple[str, dict[str, str]]) -> None:
    ns, labels = where
    c = cluster(namespace(ns), pod(ns, "proxy-0", "10.0.9.9", labels), pod(ns, "unrelated", "10.0.9.8", {"app": "x"}),
                ingress_class("edge", controller))
    plane = ingress_data_plane(c, "edge", "spec.ingressClassName")
    assert plane.product == product and plane.known
    assert [p.key for p in plane.pods] == [f"{ns}/proxy-0"]


def test_cilium_ingress_is_an_identity_and_cloud_load_balancers_are_outside() -> None:
    c = cluster(ingress_class("cilium", "cilium.io/ingress-controller"), ingress_class("alb", "ingress.k8s.aws/alb"),
                ingress_class("gce", "networking.gke.io/ingress-controller"))
    cilium = ingress_data_plane(c, "cilium", "")
    assert (cilium.product, cilium.identity, cilium.pods, cilium.known) == ("Cilium", "ingress", (), True)
    for name in ("alb", "gce"):
        plane = ingress_data_plane(c, name, "")
        assert not plane.known and "outside the cluster" in (plane.unknown or "")


def test_gateway_data_planes_per_gateway() -> None:
    def gw(class_name: str) -> Gateway:
        return Gateway("web", "edge", class_name, (Listener(0, "http", 80, "HTTP"),))

    objects = [
        namespace("web"), namespace("envoy-gateway-system"), namespace("istio-system"),
        gateway_class("eg", "gateway.envoyproxy.io/gatewayclass-controller"),
        gateway_class("istio", "istio.io/gateway-controller"),
        gateway_class("contour", "projectcontour.io/gateway-controller"),
        gateway_class("unknown", "example.com/own-controller"),
        gateway_class("cilium", "io.cilium/gateway-controller"),
        pod("envoy-gateway-system", "envoy-web-edge-1", "10.0.5.1",
            {"gateway.envoyproxy.io/owning-gateway-name": "edge",
             "gateway.envoyproxy.io/owning-gateway-namespace": "web"}),
        pod("envoy-gateway-system", "envoy-other-1", "10.0.5.2",
            {"gateway.envoyproxy.io/owning-gateway-name": "edge",
             "gateway.envoyproxy.io/owning-gateway-namespace": "other"}),
        pod("web", "edge-istio-1", "10.0.5.3", {"gateway.networking.k8s.io/gateway-name": "edge"}),
        # Istio's classic ingress gateway is not the Gateway API's deployment.
        pod("istio-system", "istio-ingressgateway-1", "10.0.5.4", {"istio": "ingressgateway"}),
    ]
    c = cluster(*objects)
    envoy = gateway_data_plane(c, gw("eg"))
    assert envoy.product == "Envoy Gateway" and [p.name for p in envoy.pods] == ["envoy-web-edge-1"]
    istio = gateway_data_plane(c, gw("istio"))
    assert istio.product == "Istio" and [p.name for p in istio.pods] == ["edge-istio-1"]
    contour = gateway_data_plane(c, gw("contour"))
    assert contour.product == "Contour (Envoy)" and [p.name for p in contour.pods] == ["edge-istio-1"]
    # An implementation this tool does not know: the Gateway API's own label still names its pods.
    other = gateway_data_plane(c, gw("unknown"))
    assert other.product is None and [p.name for p in other.pods] == ["edge-istio-1"]
    assert gateway_data_plane(c, gw("cilium")).identity == "ingress"
    missing = gateway_data_plane(cluster(namespace("web")), gw("nope"))
    assert not missing.known and "--ingress-pods" in (missing.unknown or "")


def test_every_product_names_a_controller() -> None:
    assert all(p.ingress or p.gateway for p in PRODUCTS)
    assert len({p.name for p in PRODUCTS}) == len(PRODUCTS)


def test_an_unrecognised_controller_is_unknown_and_says_how_to_name_it() -> None:
    c = cluster(shop(), ingress_class("edge", "example.com/edge"),
                ingress("shop", "site", rule("a.example", path("/", "web", "http")), class_name="edge"))
    rv = outside(c, "https://a.example/")
    assert rv.status is Status.UNKNOWN and "--ingress-pods" in rv.summary
    # Named by hand: the verdicts are computed from those pods.
    c2 = cluster(shop(), ingress_class("edge", "example.com/edge"), namespace("edge"),
                 pod("edge", "proxy-1", "10.0.7.1", {"app": "edge-proxy"}),
                 ingress("shop", "site", rule("a.example", path("/", "web", "http")), class_name="edge"))
    rv = outside(c2, "https://a.example/", ingress_pods="edge/app=edge-proxy")
    assert rv.status is Status.BLOCKED  # web admits only the ingress-nginx namespace
    assert rv.frontends[0].plane.found_by == "--ingress-pods edge/app=edge-proxy"


def test_pods_override_syntax() -> None:
    found = parse_pods_override("ingress-nginx/app.kubernetes.io/name=ingress-nginx")
    assert found.namespace == "ingress-nginx"
    assert selector_matches(found.selector, {"app.kubernetes.io/name": "ingress-nginx"})
    assert not selector_matches(found.selector, {"app.kubernetes.io/name": "traefik"})
    assert parse_pods_override("*/app=edge").namespace is None
    assert parse_pods_override("app.kubernetes.io/name=x").namespace is None  # a key's prefix, not a namespace
    for bad in ("edge/", "edge/app in (", ""):
        with pytest.raises(InputError):
            parse_pods_override(bad)


def test_classes_defaults_legacy_names_and_ambiguity() -> None:
    base = [shop(), nginx_controller()]
    # No class named: the default IngressClass takes it.
    c = cluster(*base[:1], *[o for o in base[1] if o["kind"] != "IngressClass"],
                ingress_class("nginx", "k8s.io/ingress-nginx", default=True),
                ingress("shop", "site", rule("a.example", path("/", "web", "http")), class_name=None))
    assert outside(c, "https://a.example/").status is Status.ALLOWED
    # No class object at all (a manifest without it): the legacy name is taken from the pods that run.
    c = cluster(shop(), [o for o in nginx_controller() if o["kind"] != "IngressClass"],
                ingress("shop", "site", rule("a.example", path("/", "web", "http"))))
    rv = outside(c, "https://a.example/")
    assert rv.status is Status.ALLOWED and "route-implementation" in codes(rv)
    # ... unless two products answer to that name here.
    c = cluster(shop(), [o for o in nginx_controller() if o["kind"] != "IngressClass"], namespace("f5"),
                pod("f5", "nginx-ingress-1", "10.0.9.20", {"app": "nginx-ingress"}),
                ingress("shop", "site", rule("a.example", path("/", "web", "http"))))
    rv = outside(c, "https://a.example/")
    assert rv.status is Status.UNKNOWN and "F5" in rv.summary
    # No class and no default: nothing claims it.
    c = cluster(shop(), nginx_controller(), ingress("shop", "site", rule("a.example", path("/", "web", "http")),
                                                    class_name=None))
    assert outside(c, "https://a.example/").status is Status.UNKNOWN


def test_two_installations_of_one_product_are_ambiguous_unless_the_class_names_its_instance() -> None:
    second = [namespace("ingress-internal"),
              pod("ingress-internal", "ctrl-1", "10.0.9.30",
                  {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller",
                   "app.kubernetes.io/instance": "internal"})]
    c = cluster(shop(), nginx_controller(), *second, ingress("shop", "site", rule("a.example", path("/", "web", "http"))))
    rv = outside(c, "https://a.example/")
    assert rv.status is Status.UNKNOWN and "2 namespaces" in rv.summary
    classes = [o for o in nginx_controller(**{"app.kubernetes.io/instance": "public"}) if o["kind"] != "IngressClass"]
    c = cluster(shop(), classes, *second,
                ingress_class("nginx", "k8s.io/ingress-nginx", **{"app.kubernetes.io/instance": "public"}),
                ingress("shop", "site", rule("a.example", path("/", "web", "http"))))
    rv = outside(c, "https://a.example/")
    assert [p.key for p in rv.frontends[0].plane.pods] == ["ingress-nginx/ingress-nginx-controller-abc"]


def test_gateway_through_traefik_and_kong_shared_pods() -> None:
    c = cluster(shop(), namespace("traefik"),
                pod("traefik", "traefik-1", "10.0.6.1", {"app.kubernetes.io/name": "traefik"}, [("web", 8000, "TCP")]),
                gateway_class("traefik", "traefik.io/gateway-controller"),
                gateway("shop", "gw", "traefik", listener("web", 8000)),
                route("shop", "r", [parent("gw")], http_rule(backend_ref("web"))))
    rv = outside(c, "http://a.example:8000/")
    assert rv.frontends[0].plane.product == "Traefik" and rv.status is Status.BLOCKED


def test_two_installations_in_one_namespace_are_told_apart_by_their_instance_only() -> None:
    labels = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}
    c = cluster(namespace("ingress"), ingress_class("nginx", "k8s.io/ingress-nginx"),
                pod("ingress", "public-1", "10.0.9.1", {**labels, "app.kubernetes.io/instance": "public"}),
                pod("ingress", "private-1", "10.0.9.2", {**labels, "app.kubernetes.io/instance": "private"}))
    plane = ingress_data_plane(c, "nginx", "")
    assert not plane.known and "2 installations" in (plane.unknown or "")
