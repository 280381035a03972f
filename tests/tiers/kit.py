"""Manifest builders for the tier and Service tests: a small conformance-like cluster, and the
admin/baseline policies written once in a neutral form and emitted in each API style.

The cluster mirrors the upstream network-policy-api conformance base (four "house" namespaces,
two server pods each serving TCP 80/8080, UDP 53/5353 and SCTP 9003), with named container ports,
two nodes, and a host-network pod on node-1. Everything goes through `ObjectCollector`, so parsing
and defaulting are exercised exactly as for files and the live API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.evaluate import evaluate, resolve_end, resolve_port
from kubenet_tui.engine.explain import Verdict
from kubenet_tui.engine.model import Protocol
from kubenet_tui.sources.parse import ObjectCollector, Problem

Obj = dict[str, Any]

HOUSES = ("gryffindor", "slytherin", "hufflepuff", "ravenclaw")
SERVERS = {"gryffindor": "harry", "slytherin": "draco", "hufflepuff": "cedric", "ravenclaw": "luna"}
NODE_1_IP = "192.168.0.1"
NODE_2_IP = "192.168.0.2"
# Container ports of every server pod: (name, number, protocol).
SERVER_PORTS = (("web", 80, "TCP"), ("web-alt", 8080, "TCP"), ("dns", 53, "UDP"),
                ("mdns", 5353, "UDP"), ("sctp", 9003, "SCTP"))


# -- core objects ------------------------------------------------------------------------------


def namespace(name: str, **labels: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def pod(
    ns: str,
    name: str,
    ips: str | Sequence[str],
    labels: Mapping[str, str] | None = None,
    ports: Iterable[tuple[str, int, str]] = (),
    host_network: bool = False,
    node: str = "node-1",
    phase: str = "Running",
) -> Obj:
    ips = [ips] if isinstance(ips, str) else list(ips)
    spec: Obj = {
        "nodeName": node,
        "containers": [{
            "name": "main",
            "image": "registry.k8s.io/e2e-test-images/agnhost:2.43",
            "ports": [{"name": n, "containerPort": p, "protocol": proto} for n, p, proto in ports],
        }],
    }
    if host_network:
        spec["hostNetwork"] = True
    status: Obj = {"phase": phase}
    if ips:
        status["podIP"] = ips[0]
        status["podIPs"] = [{"ip": ip} for ip in ips]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": dict(labels or {})},
            "spec": spec, "status": status}


def node(name: str, ip: str, **labels: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels},
            "status": {"addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}]}}


def netpol(ns: str, name: str, pod_selector: Obj | None = None, policy_types: Sequence[str] | None = None,
           ingress: list[Obj] | None = None, egress: list[Obj] | None = None) -> Obj:
    spec: Obj = {"podSelector": pod_selector if pod_selector is not None else {}}
    if policy_types is not None:
        spec["policyTypes"] = list(policy_types)
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def house_selector(house: str) -> Obj:
    return {"matchLabels": {"kubernetes.io/metadata.name": house}}


def server_name(house: str, i: int) -> str:
    return f"{SERVERS[house]}-{i}"


def server_ip(house: str, i: int) -> str:
    return f"10.0.{HOUSES.index(house) + 1}.{10 + i}"


def server_ipv6(house: str, i: int) -> str:
    return f"fd00:10::{HOUSES.index(house) + 1}:{10 + i}"


def base_objects() -> list[Obj]:
    """Four house namespaces with two dual-stack server pods each, two nodes, one host-network pod."""
    objs: list[Obj] = []
    for house in HOUSES:
        objs.append(namespace(house, **{"conformance-house": house}))
        for i in (0, 1):
            name = server_name(house, i)
            objs.append(pod(house, name, [server_ip(house, i), server_ipv6(house, i)],
                            {"conformance-house": house, "pod-name": name}, SERVER_PORTS,
                            node="node-1" if i == 0 else "node-2"))
    objs.append(namespace("forbidden-forest", **{"conformance-house": "forest"}))
    objs.append(pod("forbidden-forest", "centaur-1", NODE_1_IP, {"conformance-house": "forest"},
                    (("hostport", 34345, "TCP"),), host_network=True))
    objs.append(node("node-1", NODE_1_IP, **{"kubernetes.io/os": "linux"}))
    objs.append(node("node-2", NODE_2_IP, **{"kubernetes.io/os": "windows"}))
    return objs


@dataclass
class Loaded:
    cluster: Cluster
    problems: list[Problem]

    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def load(*objects: Obj, base: bool = True) -> Loaded:
    """Feed manifests through ObjectCollector, as every source does."""
    collector = ObjectCollector()
    for obj in [*(base_objects() if base else []), *objects]:
        collector.add(obj, "test")
    return Loaded(collector.cluster(), list(collector.problems))


def check(cluster: Cluster, source: str, destination: str, port: str | int | None = None,
          protocol: str = "TCP") -> Verdict:
    """The `check` command's path: resolve both ends and the port, then evaluate."""
    index = cluster.index
    proto = Protocol.parse(protocol)
    src = resolve_end(index, source)
    dst = resolve_end(index, destination)
    number, name = resolve_port(None if port is None else str(port), proto, dst)
    return evaluate(cluster, src, dst, proto, number, name)


# -- the cluster-scoped tiers in a neutral form --------------------------------------------------


@dataclass(frozen=True)
class Port:
    """A neutral port match: form "number" (port), "range" (port..end), "named" (name) or "proto"
    (every port of the protocol; CNP only, v1alpha1 has no such form)."""

    form: str
    protocol: str = "TCP"
    port: int = 0
    end: int = 0
    name: str = ""


def num(port: int, protocol: str = "TCP") -> Port:
    return Port("number", protocol, port)


def rng(start: int, end: int, protocol: str = "TCP") -> Port:
    return Port("range", protocol, start, end)


def named(name: str) -> Port:
    return Port("named", name=name)


def proto(protocol: str) -> Port:
    return Port("proto", protocol)


@dataclass(frozen=True)
class Rule:
    action: str  # "allow" | "deny" | "pass"
    peers: tuple[Obj, ...]
    ports: tuple[Port, ...] | None = None
    name: str | None = None


def rule(action: str, *peers: Obj, ports: Sequence[Port] | None = None, name: str | None = None) -> Rule:
    return Rule(action, peers, None if ports is None else tuple(ports), name)


def ns_peer(house: str) -> Obj:
    return {"namespaces": house_selector(house)}


def all_ns_peer() -> Obj:
    return {"namespaces": {}}


def pods_peer(pod_labels: Mapping[str, str], ns_labels: Mapping[str, str] | None = None) -> Obj:
    body: Obj = {"podSelector": {"matchLabels": dict(pod_labels)}}
    if ns_labels is not None:
        body["namespaceSelector"] = {"matchLabels": dict(ns_labels)}
    return {"pods": body}


def networks_peer(*cidrs: str) -> Obj:
    return {"networks": list(cidrs)}


def nodes_peer(**labels: str) -> Obj:
    return {"nodes": {"matchLabels": labels}}


def ns_subject(house: str) -> Obj:
    return {"namespaces": house_selector(house)}


@dataclass(frozen=True)
class Style:
    """One API style: v1alpha1 (AdminNetworkPolicy + BaselineAdminNetworkPolicy) or
    ClusterNetworkPolicy in v1alpha2 / v1beta1 (tier Admin or Baseline)."""

    name: str

    @property
    def is_cnp(self) -> bool:
        return self.name != "v1alpha1"

    @property
    def allow(self) -> str:
        return "Accept" if self.is_cnp else "Allow"

    def action(self, neutral: str) -> str:
        return {"allow": self.allow, "deny": "Deny", "pass": "Pass"}[neutral]

    def admin_kind(self) -> str:
        return "ClusterNetworkPolicy" if self.is_cnp else "AdminNetworkPolicy"

    def baseline_kind(self) -> str:
        return "ClusterNetworkPolicy" if self.is_cnp else "BaselineAdminNetworkPolicy"

    def _ports(self, ports: tuple[Port, ...]) -> tuple[str, list[Obj]]:
        if self.is_cnp:
            out: list[Obj] = []
            for p in ports:
                if p.form == "named":
                    out.append({"destinationNamedPort": p.name})
                elif p.form == "proto":
                    out.append({p.protocol.lower(): {}})
                elif p.form == "number":
                    out.append({p.protocol.lower(): {"destinationPort": {"number": p.port}}})
                else:
                    out.append({p.protocol.lower(): {"destinationPort": {"range": {"start": p.port, "end": p.end}}}})
            return "protocols", out
        v1: list[Obj] = []
        for p in ports:
            if p.form == "named":
                v1.append({"namedPort": p.name})
            elif p.form == "number":
                v1.append({"portNumber": {"protocol": p.protocol, "port": p.port}})
            elif p.form == "range":
                v1.append({"portRange": {"protocol": p.protocol, "start": p.port, "end": p.end}})
            else:
                raise ValueError("v1alpha1 has no every-port-of-a-protocol form")
        return "ports", v1

    def _rules(self, rules: Sequence[Rule], peer_key: str) -> list[Obj]:
        out = []
        for r in rules:
            raw: Obj = {"action": self.action(r.action), peer_key: list(r.peers)}
            if r.name is not None:
                raw["name"] = r.name
            if r.ports is not None:
                key, value = self._ports(r.ports)
                raw[key] = value
            out.append(raw)
        return out

    def _spec(self, subject: Obj, ingress: Sequence[Rule], egress: Sequence[Rule]) -> Obj:
        spec: Obj = {"subject": subject}
        if ingress:
            spec["ingress"] = self._rules(ingress, "from")
        if egress:
            spec["egress"] = self._rules(egress, "to")
        return spec

    def admin(self, name: str, priority: int, subject: Obj, ingress: Sequence[Rule] = (),
              egress: Sequence[Rule] = ()) -> Obj:
        spec = {"priority": priority, **self._spec(subject, ingress, egress)}
        if self.is_cnp:
            return {"apiVersion": f"policy.networking.k8s.io/{self.name}", "kind": "ClusterNetworkPolicy",
                    "metadata": {"name": name}, "spec": {"tier": "Admin", **spec}}
        return {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
                "metadata": {"name": name}, "spec": spec}

    def baseline(self, subject: Obj, ingress: Sequence[Rule] = (), egress: Sequence[Rule] = (),
                 name: str = "default", priority: int = 10) -> Obj:
        spec = self._spec(subject, ingress, egress)
        if self.is_cnp:
            return {"apiVersion": f"policy.networking.k8s.io/{self.name}", "kind": "ClusterNetworkPolicy",
                    "metadata": {"name": name}, "spec": {"tier": "Baseline", "priority": priority, **spec}}
        return {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "BaselineAdminNetworkPolicy",
                "metadata": {"name": name}, "spec": spec}


STYLES = (Style("v1alpha1"), Style("v1alpha2"), Style("v1beta1"))
CNP_STYLES = STYLES[1:]
