"""Builders for the from-outside tests: Ingresses, classes and the Gateway API's objects, and a small
shop with an ingress controller in front of it. Everything goes through `ObjectCollector`, as files and
the live API do."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tiers.kit import Obj, namespace, netpol, node, pod

from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.ends import parse_port
from kubenet_tui.engine.outside import RouteVerdict
from kubenet_tui.engine.query import Question, ask
from kubenet_tui.sources.parse import ObjectCollector, Problem

GW = "gateway.networking.k8s.io/v1"
NGINX_LABELS = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}


def ingress_class(name: str, controller: str, default: bool = False, **labels: str) -> Obj:
    meta: Obj = {"name": name, "labels": labels}
    if default:
        meta["annotations"] = {"ingressclass.kubernetes.io/is-default-class": "true"}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": meta,
            "spec": {"controller": controller}}


def backend(service: str, port: int | str) -> Obj:
    return {"service": {"name": service, "port": {"number": port} if isinstance(port, int) else {"name": port}}}


def path(value: str, service: str, port: int | str = 80, path_type: str = "Prefix") -> Obj:
    return {"path": value, "pathType": path_type, "backend": backend(service, port)}


def rule(host: str | None, *paths: Obj) -> Obj:
    out: Obj = {"http": {"paths": list(paths)}}
    if host is not None:
        out["host"] = host
    return out


def ingress(ns: str, name: str, *rules: Obj, class_name: str | None = "nginx", default: Obj | None = None,
            annotations: dict[str, str] | None = None, tls: Sequence[str] = (), created: str | None = None) -> Obj:
    spec: Obj = {"rules": list(rules)}
    if class_name is not None:
        spec["ingressClassName"] = class_name
    if default is not None:
        spec["defaultBackend"] = default
    if tls:
        spec["tls"] = [{"hosts": list(tls), "secretName": "tls"}]
    meta: Obj = {"name": name, "namespace": ns}
    if annotations:
        meta["annotations"] = annotations
    if created:
        meta["creationTimestamp"] = created
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec}


def gateway_class(name: str, controller: str) -> Obj:
    return {"apiVersion": GW, "kind": "GatewayClass", "metadata": {"name": name},
            "spec": {"controllerName": controller}}


def listener(name: str, port: int, protocol: str = "HTTP", hostname: str | None = None, source: str = "Same",
             selector: Obj | None = None, kinds: Sequence[str] = ()) -> Obj:
    out: Obj = {"name": name, "port": port, "protocol": protocol}
    if hostname is not None:
        out["hostname"] = hostname
    namespaces: Obj = {"from": source}
    if selector is not None:
        namespaces["selector"] = selector
    out["allowedRoutes"] = {"namespaces": namespaces}
    if kinds:
        out["allowedRoutes"]["kinds"] = [{"kind": k} for k in kinds]
    if protocol in ("HTTPS", "TLS"):
        out["tls"] = {"mode": "Passthrough" if protocol == "TLS" else "Terminate"}
    return out


def gateway(ns: str, name: str, class_name: str, *listeners: Obj) -> Obj:
    return {"apiVersion": GW, "kind": "Gateway", "metadata": {"name": name, "namespace": ns},
            "spec": {"gatewayClassName": class_name, "listeners": list(listeners)}}


def parent(name: str, ns: str | None = None, section: str | None = None) -> Obj:
    out: Obj = {"name": name}
    if ns is not None:
        out["namespace"] = ns
    if section is not None:
        out["sectionName"] = section
    return out


def backend_ref(name: str, port: int | None = 80, ns: str | None = None, weight: int | None = None) -> Obj:
    out: Obj = {"name": name}
    if port is not None:
        out["port"] = port
    if ns is not None:
        out["namespace"] = ns
    if weight is not None:
        out["weight"] = weight
    return out


def match(value: str = "/", kind: str = "PathPrefix", headers: Sequence[tuple[str, str]] = (),
          method: str | None = None, query: Sequence[tuple[str, str]] = ()) -> Obj:
    out: Obj = {"path": {"type": kind, "value": value}}
    if headers:
        out["headers"] = [{"name": n, "value": v} for n, v in headers]
    if query:
        out["queryParams"] = [{"name": n, "value": v} for n, v in query]
    if method:
        out["method"] = method
    return out


def http_rule(*backends: Obj, matches: Sequence[Obj] = (), filters: Sequence[Obj] = ()) -> Obj:
    out: Obj = {"backendRefs": list(backends)}
    if matches:
        out["matches"] = list(matches)
    if filters:
        out["filters"] = list(filters)
    return out


def route(ns: str, name: str, parents: Sequence[Obj], *rules: Obj, hostnames: Sequence[str] = (),
          kind: str = "HTTPRoute", api_version: str = GW, created: str | None = None,
          status: Obj | None = None) -> Obj:
    spec: Obj = {"parentRefs": list(parents), "rules": list(rules)}
    if hostnames:
        spec["hostnames"] = list(hostnames)
    meta: Obj = {"name": name, "namespace": ns}
    if created:
        meta["creationTimestamp"] = created
    out: Obj = {"apiVersion": api_version, "kind": kind, "metadata": meta, "spec": spec}
    if status is not None:
        out["status"] = status
    return out


def reference_grant(ns: str, name: str, from_ns: str, from_kind: str = "HTTPRoute", to_name: str | None = None) -> Obj:
    to: Obj = {"group": "", "kind": "Service"}
    if to_name is not None:
        to["name"] = to_name
    return {"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": from_kind, "namespace": from_ns}],
                     "to": [to]}}


def service(ns: str, name: str, selector: dict[str, str] | None, ports: Sequence[Obj], type_: str = "ClusterIP",
            etp: str | None = None, ip: str = "10.96.0.50", source_ranges: Sequence[str] = ()) -> Obj:
    spec: Obj = {"type": type_, "clusterIP": ip, "ports": list(ports)}
    if selector is not None:
        spec["selector"] = selector
    if etp is not None:
        spec["externalTrafficPolicy"] = etp
    if source_ranges:
        spec["loadBalancerSourceRanges"] = list(source_ranges)
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns}, "spec": spec}


def sport(port: int, target: int | str, name: str | None = None) -> Obj:
    out: Obj = {"port": port, "targetPort": target, "protocol": "TCP"}
    if name:
        out["name"] = name
    return out


def nginx_controller(ns: str = "ingress-nginx", name: str = "ingress-nginx-controller-abc", ip: str = "10.0.9.10",
                     host_network: bool = False, etp: str | None = "Local", **extra: str) -> list[Obj]:
    """An ingress-nginx pod, its LoadBalancer Service and IngressClass nginx."""
    return [
        namespace(ns),
        pod(ns, name, ip, {**NGINX_LABELS, **extra}, [("http", 80, "TCP"), ("https", 443, "TCP")],
            host_network=host_network),
        service(ns, "ingress-nginx-controller", dict(NGINX_LABELS), [sport(80, "http", "http"),
                                                                     sport(443, "https", "https")],
                "LoadBalancer", etp, "10.96.9.10"),
        ingress_class("nginx", "k8s.io/ingress-nginx"),
    ]


def shop() -> list[Obj]:
    """shop/web (open to the controller) and shop/api (only from shop's own pods), each behind a Service."""
    return [
        namespace("shop"),
        node("node-1", "192.168.0.1"),
        node("node-2", "192.168.0.2"),
        pod("shop", "web-1", "10.0.1.10", {"app": "web"}, [("http", 8080, "TCP")]),
        pod("shop", "api-1", "10.0.1.20", {"app": "api"}, [("http", 9000, "TCP")]),
        service("shop", "web", {"app": "web"}, [sport(80, "http", "http")], ip="10.96.1.10"),
        service("shop", "api", {"app": "api"}, [sport(80, 9000, "http")], ip="10.96.1.20"),
        netpol("shop", "api-internal", {"matchLabels": {"app": "api"}}, ["Ingress"],
               [{"from": [{"podSelector": {}}]}]),
        netpol("shop", "web-from-ingress", {"matchLabels": {"app": "web"}}, ["Ingress"],
               [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]}]),
    ]


def collect(*objects: Obj | list[Obj]) -> tuple[Cluster, list[Problem]]:
    collector = ObjectCollector()
    for obj in objects:
        for item in obj if isinstance(obj, list) else [obj]:
            collector.add(item, "test")
    return collector.cluster(), list(collector.problems)


def cluster(*objects: Obj | list[Obj]) -> Cluster:
    loaded, problems = collect(*objects)
    assert not [p for p in problems if p.severity == "error"], [p.describe() for p in problems]
    return loaded


def outside(c: Cluster, source: str, destination: str = "", ingress_pods: str | None = None,
            port: str | None = None) -> RouteVerdict:
    answer = ask(c, Question(source, destination, parse_port(port), None, ingress_pods))
    assert isinstance(answer, RouteVerdict)
    return answer


def legs(rv: RouteVerdict) -> dict[tuple[str, str], str]:
    """(data-plane source, backend) -> status, for every evaluated leg."""
    return {(sv.source.name, b.name): b.verdict.status.value for _, _, sv in rv.legs()
            for b in sv.backends if b.verdict is not None}


def codes(rv: Any) -> set[str]:
    return {c.code.value for c in rv.caveats}
