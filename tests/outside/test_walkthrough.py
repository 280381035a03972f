"""A from-outside answer as one walkthrough (text, the explorer's tree, `-q`): the steps in the order a
request travels, one cursor, links to the Ingress or route to open; and the completion list of ends."""

from __future__ import annotations

import pytest
from tiers.kit import namespace, pod

from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.outside import RouteVerdict, outside_ends
from kubenet_tui.engine.query import Question, ask
from kubenet_tui.render.answer import answer_brief, answer_text
from kubenet_tui.render.walkthrough import Kind, Mark, walkthrough
from kubenet_tui.sources.demo import DemoSource
from outside.kit import backend_ref, cluster, gateway, gateway_class, http_rule, listener, parent, route


@pytest.fixture(scope="module")
def demo() -> Cluster:
    return DemoSource().load().cluster


def asked(c: Cluster, source: str, destination: str = "") -> RouteVerdict:
    answer = ask(c, Question(source, destination))
    assert isinstance(answer, RouteVerdict)
    return answer


def test_the_path_in_travel_order_with_one_cursor(demo: Cluster) -> None:
    w = walkthrough(asked(demo, "https://shop.example.com/cart"))
    kinds = [n.kind for n in w.body]
    assert kinds[:3] == [Kind.FRONTEND, Kind.BACKEND, Kind.ROUTE]  # controller, outside -> it, the rule
    assert kinds[3:] == [Kind.SERVICE_PORT, Kind.BACKEND]
    route_node = w.body[2]
    assert route_node.link is not None and (route_node.link.kind, route_node.link.name) == ("Ingress", "shop")
    assert route_node.mark is Mark.NOT and "spec.rules[0].http.paths[1]" in route_node.head
    focused = [n for n in w.nodes() if n.focus]
    assert len(focused) == 1 and focused[0].kind is Kind.RULE
    leg = w.body[4]
    assert leg.open and focused[0] in list(leg.walk())  # the cursor is in the blocked leg
    assert w.headline.head == "BLOCKED" and w.headline.mark is Mark.NOT
    considered = [n for n in route_node.children if n.verbose]
    assert considered and "also matches" in considered[0].head


def test_text_and_brief(demo: Cluster) -> None:
    rv = asked(demo, "ingress/shop/shop")
    text = answer_text(rv).plain
    assert text.splitlines()[0] == "✗ SOME BLOCKED  ingress/shop/shop  (1 of 2 backend connections allowed)"
    assert "── ✗ ingress-nginx/ingress-nginx-controller-6d8f9c7b5-kq4zt → shop/cart on port 8080/TCP: BLOCKED ──" in text
    assert "── ✔ ingress-nginx/ingress-nginx-controller-6d8f9c7b5-kq4zt → shop/frontend on port 8080/TCP (http): " \
           "allowed ──" in text
    assert "\n\n✗ Ingress shop/shop spec.rules[0].http.paths[1]" in text  # a section ends with a blank line
    brief = answer_brief(rv).plain.splitlines()
    assert len(brief) == 2 and "and" not in brief[1].split(":")[0]


def test_completion_offers_urls_and_objects(demo: Cluster) -> None:
    assert outside_ends(demo) == ("https://shop.example.com/", "ingress/shop/shop")
    c = cluster(namespace("edge"), gateway_class("eg", "gateway.envoyproxy.io/gatewayclass-controller"),
                pod("edge", "envoy-1", "10.0.8.1", {"gateway.networking.k8s.io/gateway-name": "gw"}),
                gateway("edge", "gw", "eg", listener("web", 8443, "HTTPS", "api.example")),
                route("edge", "r", [parent("gw")], http_rule(backend_ref("x")), hostnames=["api.example"]))
    assert outside_ends(c) == ("https://api.example:8443/", "gateway/edge/gw", "httproute/edge/r")
    assert outside_ends(cluster(namespace("x"))) == ()


def test_a_rule_node_opens_its_object_at_the_rule(demo: Cluster) -> None:
    import json

    from kubenet_tui.engine.outside import route_manifest

    w = walkthrough(asked(demo, "https://shop.example.com/cart"))
    (node,) = [n for n in w.body if n.kind is Kind.ROUTE]
    assert node.link is not None and node.link.path == ("spec", "rules", 0, "http", "paths", 1)
    manifest = route_manifest(demo, node.link.kind, node.link.namespace, node.link.name)
    assert manifest is not None and json.loads(manifest)["spec"]["rules"][0]["http"]["paths"][1]["path"] == "/cart"
    assert route_manifest(demo, "HTTPRoute", "shop", "shop") is None
