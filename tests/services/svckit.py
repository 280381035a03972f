"""A small shop for the Service tests: a frontend, two payments API pods whose named targetPort
`https` resolves differently (8443 on the new build, 8080 on the old one), Service and EndpointSlice
builders, and helpers that run `check` the way the CLI does."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from tiers.kit import Obj, load, namespace, netpol, pod

from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.evaluate import resolve_end
from kubenet_tui.engine.model import Protocol
from kubenet_tui.engine.services import ServiceVerdict, evaluate_service, resolve_service

FRONTEND, API_NEW, API_OLD = "shop/frontend", "payments/api-new", "payments/api-old"
FRONTEND_IP, API_NEW_IP, API_OLD_IP = "10.1.0.10", "10.2.0.10", "10.2.0.11"


def service(ns: str, name: str, selector: dict[str, str] | None, ports: Sequence[Obj], type_: str = "ClusterIP",
            external_traffic_policy: str | None = None) -> Obj:
    spec: Obj = {"type": type_, "clusterIP": "10.96.0.50", "ports": list(ports)}
    if selector is not None:
        spec["selector"] = selector
    if external_traffic_policy is not None:
        spec["externalTrafficPolicy"] = external_traffic_policy
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns}, "spec": spec}


def sport(name: str | None, port: int, target: int | str, protocol: str = "TCP", node_port: int | None = None) -> Obj:
    out: Obj = {"port": port, "targetPort": target, "protocol": protocol}
    if name is not None:
        out["name"] = name
    if node_port is not None:
        out["nodePort"] = node_port
    return out


def endpoint(address: str, ready: bool | None = True, pod_name: str | None = None, pod_ns: str | None = None) -> Obj:
    out: Obj = {"addresses": [address]}
    if ready is not None:
        out["conditions"] = {"ready": ready}
    if pod_name is not None:
        out["targetRef"] = {"kind": "Pod", "name": pod_name, **({"namespace": pod_ns} if pod_ns else {})}
    return out


def endpoint_slice(ns: str, name: str, service_name: str, endpoints: Sequence[Obj], ports: Sequence[Obj],
                   address_type: str = "IPv4") -> Obj:
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": name, "namespace": ns, "labels": {"kubernetes.io/service-name": service_name}},
            "addressType": address_type, "endpoints": list(endpoints), "ports": list(ports)}


def shop_objects() -> list[Obj]:
    return [
        namespace("shop", team="web"),
        namespace("payments", team="payments"),
        namespace("other", team="other"),
        pod("shop", "frontend", FRONTEND_IP, {"app": "frontend"}, (("http", 8080, "TCP"),)),
        pod("other", "stranger", "10.3.0.10", {"app": "stranger"}),
        pod("payments", "api-new", API_NEW_IP, {"app": "api", "build": "new"}, (("https", 8443, "TCP"), ("metrics", 9090, "TCP"))),
        # an older build still serving its named port `https` on 8080
        pod("payments", "api-old", API_OLD_IP, {"app": "api", "build": "old"}, (("https", 8080, "TCP"), ("metrics", 9090, "TCP"))),
        service("payments", "api", {"app": "api"}, [sport("https", 443, "https")]),
    ]


def api_only_from_frontend_on(*ports: int | str) -> Obj:
    """Isolate the API pods for ingress: only shop/frontend, only on these ports."""
    return netpol("payments", "api-from-frontend", {"matchLabels": {"app": "api"}}, ["Ingress"], ingress=[{
        "from": [{"namespaceSelector": {"matchLabels": {"team": "web"}}, "podSelector": {"matchLabels": {"app": "frontend"}}}],
        "ports": [{"port": p} for p in ports],
    }])


def shop(*extra: Obj) -> Cluster:
    loaded = load(*shop_objects(), *extra, base=False)
    assert loaded.problems == [], [p.describe() for p in loaded.problems]
    return loaded.cluster


def svc_check(cluster: Cluster, source: str, service_text: str, port: str | None = None,
              protocol: str = "TCP") -> ServiceVerdict:
    """The `check SOURCE svc/NS/NAME` path of the CLI, without printing."""
    index = cluster.index
    return evaluate_service(cluster, resolve_end(index, source), resolve_service(index, service_text),
                            Protocol.parse(protocol), port)


def write_cluster(tmp_path: Path, objects: Sequence[Obj]) -> str:
    path = tmp_path / "shop.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objects)}))
    return str(path)


def backend_map(sv: ServiceVerdict) -> dict[str, tuple[int | None, bool | None]]:
    return {b.name: (b.port, b.allowed) for b in sv.backends}
