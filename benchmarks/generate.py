"""Deterministic, seeded generator of realistic clusters as Kubernetes objects (JSON or YAML).

Same arguments, same bytes. The cluster looks like a multi-team platform: namespaces labelled with
team and env, deployments whose replicas share labels (and a pod-template-hash), pods spread over
nodes with IPs from each node's pod CIDR (a few dual-stack), a host-network DaemonSet, some Pending
and finished pods, one Service per deployment, and a policy mix that exercises every feature the
engine evaluates: default denies, same-namespace allows, pod + namespace selector peers, every
matchExpressions operator, ipBlocks with except (external ones, and some that cover pod IPs), named
ports whose numbers differ per deployment, port ranges, DNS egress to kube-system, UDP and SCTP,
a policy without policyTypes, and a handful of AdminNetworkPolicy / BaselineAdminNetworkPolicy /
ClusterNetworkPolicy objects.

    python benchmarks/generate.py --pods 10000 -o /tmp/c10k.json
    python benchmarks/generate.py --pods 1000 --seed 7 -o /tmp/c1k.yaml
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Obj = dict[str, Any]

TEAMS = ("payments", "search", "identity", "checkout", "catalog", "ads", "data", "growth", "media", "ml")
ENVS = ("prod", "staging", "dev")
COMPONENTS = (
    # name, tier, [(port name, protocol, candidate numbers)]
    ("web", "frontend", [("http", "TCP", (8080, 8000, 3000)), ("metrics", "TCP", (9100, 9113))]),
    ("api", "backend", [("http", "TCP", (8080, 8443, 5000)), ("grpc", "TCP", (9090, 50051)), ("metrics", "TCP", (9100,))]),
    ("worker", "backend", [("metrics", "TCP", (9100, 9102))]),
    ("db", "data", [("postgres", "TCP", (5432,)), ("metrics", "TCP", (9187,))]),
    ("cache", "data", [("redis", "TCP", (6379,)), ("metrics", "TCP", (9121,))]),
    ("queue", "data", [("amqp", "TCP", (5672,)), ("metrics", "TCP", (15692,))]),
    ("auth", "backend", [("http", "TCP", (8080, 4180)), ("grpc", "TCP", (9090,))]),
    ("search", "backend", [("http", "TCP", (9200,)), ("transport", "TCP", (9300,))]),
    ("stats", "backend", [("statsd", "UDP", (8125,)), ("metrics", "TCP", (9102,))]),
    ("diameter", "backend", [("diameter", "SCTP", (3868,)), ("metrics", "TCP", (9100,))]),
)
PODS_PER_NODE = 110


@dataclass
class Deployment:
    namespace: str
    name: str
    component: str
    tier: str
    labels: dict[str, str]
    ports: list[tuple[str, str, int]]
    replicas: int
    pods: list[str] = field(default_factory=list)


@dataclass
class NamespaceInfo:
    name: str
    team: str
    env: str
    labels: dict[str, str]
    deployments: list[Deployment] = field(default_factory=list)


class Generator:
    """Builds the object list. Every random choice comes from one `random.Random(seed)`."""

    def __init__(self, pods: int, seed: int = 1, policies: int | None = None, admin: bool = True) -> None:
        self.target_pods = max(pods, 20)
        self.target_policies = policies if policies is not None else max(self.target_pods // 10, 1)
        self.admin = admin
        self.rng = random.Random(seed)
        self.objects: list[Obj] = []
        self.namespaces: list[NamespaceInfo] = []
        self.node_count = max(2, -(-self.target_pods // PODS_PER_NODE) + 1)
        self.node_fill = [0] * self.node_count
        self.pod_count = 0
        self.policy_count = 0

    # -- helpers ------------------------------------------------------------------------------

    def _hash(self) -> str:
        return "".join(self.rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(10))

    @staticmethod
    def node_name(k: int) -> str:
        return f"node-{k:04d}"

    @staticmethod
    def node_ip(k: int) -> str:
        return f"10.0.{k // 250}.{k % 250 + 1}"

    @staticmethod
    def pod_cidr_base(k: int) -> str:
        # Each node owns a /24 of 10.64.0.0/10.
        return f"10.{64 + k // 256}.{k % 256}"

    def _place(self) -> tuple[int, str]:
        for _ in range(8):
            k = self.rng.randrange(self.node_count)
            if self.node_fill[k] < 250:
                break
        else:
            k = min(range(self.node_count), key=self.node_fill.__getitem__)
        self.node_fill[k] += 1
        n = self.node_fill[k]
        return k, f"{self.pod_cidr_base(k)}.{n + 1}"

    # -- objects ------------------------------------------------------------------------------

    def build(self) -> list[Obj]:
        for k in range(self.node_count):
            role = "control-plane" if k == 0 else "worker"
            self.objects.append({
                "apiVersion": "v1", "kind": "Node",
                "metadata": {"name": self.node_name(k), "labels": {
                    "kubernetes.io/hostname": self.node_name(k), f"node-role.kubernetes.io/{role}": "",
                    "topology.kubernetes.io/zone": f"zone-{'abc'[k % 3]}"}},
                "status": {"addresses": [{"type": "InternalIP", "address": self.node_ip(k)},
                                         {"type": "Hostname", "address": self.node_name(k)}]},
            })
        self._system_namespaces()
        n_ns = max(3, self.target_pods // 100)
        for i in range(n_ns):
            team = TEAMS[i % len(TEAMS)]
            env = ENVS[self.rng.randrange(3)] if i >= len(TEAMS) else "prod"
            name = f"{team}-{env}-{i:03d}"
            labels = {"team": team, "env": env, "kubernetes.io/metadata.name": name}
            if self.rng.random() < 0.3:
                labels["istio-injection"] = "enabled"
            if self.rng.random() < 0.1:
                labels["pci"] = "true"
            self.namespaces.append(NamespaceInfo(name, team, env, labels))
            self.objects.append(_namespace(name, labels))
        remaining = self.target_pods - self.pod_count
        per_ns = [remaining // n_ns + (1 if i < remaining % n_ns else 0) for i in range(n_ns)]
        for ns, budget in zip(self.namespaces, per_ns, strict=True):
            self._deployments(ns, budget)
        self._policies()
        if self.admin:
            self.objects.extend(_admin_policies())
        return self.objects

    def _system_namespaces(self) -> None:
        for name, labels in (
            ("kube-system", {"kubernetes.io/metadata.name": "kube-system"}),
            ("monitoring", {"kubernetes.io/metadata.name": "monitoring", "team": "sre", "purpose": "monitoring"}),
            ("ingress-nginx", {"kubernetes.io/metadata.name": "ingress-nginx", "team": "sre", "purpose": "ingress"}),
        ):
            self.objects.append(_namespace(name, labels))
        for _ in range(2):
            self._pod("kube-system", f"coredns-5d78c9869d-{self._hash()[:5]}",
                      {"k8s-app": "kube-dns", "pod-template-hash": "5d78c9869d"},
                      [("dns", "UDP", 53), ("dns-tcp", "TCP", 53), ("metrics", "TCP", 9153)])
        self._pod("monitoring", "prometheus-0", {"app": "prometheus", "app.kubernetes.io/name": "prometheus"},
                  [("web", "TCP", 9090)])
        for _ in range(2):
            self._pod("ingress-nginx", f"ingress-nginx-controller-7c6f8-{self._hash()[:5]}",
                      {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
                      [("http", "TCP", 80), ("https", "TCP", 443)])
        # node-exporter: a host-network DaemonSet on a few nodes (its IP is the node's).
        for k in range(min(self.node_count, 3 + self.target_pods // 2000)):
            self._pod("monitoring", f"node-exporter-{self._hash()[:5]}",
                      {"app": "node-exporter", "app.kubernetes.io/name": "node-exporter"},
                      [("metrics", "TCP", 9100)], host_node=k)

    def _deployments(self, ns: NamespaceInfo, budget: int) -> None:
        used: set[str] = set()
        while budget > 0:
            comp, tier, ports = COMPONENTS[self.rng.randrange(len(COMPONENTS))]
            base = comp if comp not in used else f"{comp}-{len(used)}"
            used.add(base)
            replicas = min(budget, self.rng.choice((1, 2, 2, 3, 3, 3, 4, 5, 6, 8, 10)))
            budget -= replicas
            template_hash = self._hash()
            labels = {
                "app": base,
                "app.kubernetes.io/name": base,
                "app.kubernetes.io/part-of": ns.team,
                "tier": tier,
                "pod-template-hash": template_hash,
            }
            if self.rng.random() < 0.5:
                labels["version"] = self.rng.choice(("v1", "v2", "canary"))
            if self.rng.random() < 0.2:
                labels["legacy"] = "true"
            resolved = [(pname, proto, self.rng.choice(numbers)) for pname, proto, numbers in ports]
            dep = Deployment(ns.name, base, comp, tier, labels, resolved, replicas)
            ns.deployments.append(dep)
            for _ in range(replicas):
                dep.pods.append(self._pod(ns.name, f"{base}-{template_hash}-{self._hash()[:5]}", labels, resolved,
                                          dual_stack=ns.env == "prod" and ns.team == "ml"))
            self.objects.append(_service(ns.name, base, labels, resolved))

    def _pod(self, namespace: str, name: str, labels: dict[str, str], ports: list[tuple[str, str, int]],
             host_node: int | None = None, dual_stack: bool = False) -> str:
        self.pod_count += 1
        roll = self.rng.random()
        if host_node is not None:
            k, ip = host_node, self.node_ip(host_node)
        else:
            k, ip = self._place()
        container_ports = []
        for pname, proto, number in ports:
            cport: Obj = {"name": pname, "containerPort": number}
            if proto != "TCP" or self.rng.random() < 0.5:  # kubectl shows the defaulted protocol
                cport["protocol"] = proto
            container_ports.append(cport)
        spec: Obj = {
            "nodeName": self.node_name(k),
            "serviceAccountName": "default",
            "restartPolicy": "Always",
            "containers": [{
                "name": labels.get("app", name.split("-")[0]),
                "image": f"registry.example.com/{namespace}/{labels.get('app', 'app')}:1.{self.rng.randrange(40)}",
                "ports": container_ports,
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
            }],
        }
        if host_node is not None:
            spec["hostNetwork"] = True
        status: Obj
        if host_node is None and roll < 0.01:
            status = {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False"}]}
            del spec["nodeName"]
        else:
            ips = [{"ip": ip}]
            if dual_stack:
                ips.append({"ip": f"fd00:10:{64 + k // 256:x}:{k % 256:x}::{self.node_fill[k]:x}"})
            phase = "Succeeded" if host_node is None and roll < 0.015 else "Running"
            status = {"phase": phase, "hostIP": self.node_ip(k), "podIP": ip, "podIPs": ips,
                      "startTime": "2024-05-01T10:00:00Z",
                      "conditions": [{"type": "Ready", "status": "True" if phase == "Running" else "False"}]}
        self.objects.append({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(labels),
                         "uid": f"{self.rng.getrandbits(128):032x}",
                         "creationTimestamp": "2024-05-01T10:00:00Z"},
            "spec": spec,
            "status": status,
        })
        return name

    # -- policies -----------------------------------------------------------------------------

    def _policies(self) -> None:
        """Round-robin over namespaces, each taking its next template, until the target count."""
        streams = [self._namespace_policies(ns) for ns in self.namespaces]
        live = list(streams)
        while self.policy_count < self.target_policies and live:
            for stream in list(live):
                if self.policy_count >= self.target_policies:
                    break
                try:
                    self.objects.append(next(stream))
                    self.policy_count += 1
                except StopIteration:
                    live.remove(stream)

    def _namespace_policies(self, ns: NamespaceInfo) -> Iterator[Obj]:
        rng = self.rng
        deny_egress = rng.random() < 0.4
        yield _netpol(ns.name, "default-deny-ingress", {}, ["Ingress"])
        if deny_egress:
            yield _netpol(ns.name, "default-deny-egress", {}, ["Egress"])
            yield _netpol(ns.name, "allow-dns", {}, ["Egress"], egress=[{
                "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
            }])
        if rng.random() < 0.5:
            yield _netpol(ns.name, "allow-same-namespace", {}, ["Ingress"],
                          ingress=[{"from": [{"podSelector": {}}]}])
        yield _netpol(ns.name, "allow-prometheus", {}, ["Ingress"], ingress=[{
            "from": [{"namespaceSelector": {"matchLabels": {"purpose": "monitoring"}},
                      "podSelector": {"matchLabels": {"app": "prometheus"}}}],
            "ports": [{"port": "metrics"}],
        }])
        deps = ns.deployments
        i = 0
        first_shape = rng.randrange(12)  # so that small namespaces do not all stop at the same shapes
        while True:  # per-deployment policies, cycling through every shape
            dep = deps[i % len(deps)]
            other = deps[rng.randrange(len(deps))]
            shape = (first_shape + i) % 12
            i += 1
            name = f"{dep.name}-{['ingress', 'egress', 'xns', 'expr', 'ipblock', 'range', 'udp', 'sctp', 'ext', 'legacy', 'nodes', 'ns-all'][shape]}-{i}"
            sel = {"matchLabels": {"app": dep.labels["app"]}}
            http = next((p for p in dep.ports if p[1] == "TCP"), dep.ports[0])
            if shape == 0:  # same-namespace pod peer on a named port
                yield _netpol(ns.name, name, sel, ["Ingress"], ingress=[{
                    "from": [{"podSelector": {"matchLabels": {"app": other.labels["app"]}}}],
                    "ports": [{"port": http[0]}],
                }])
            elif shape == 1:  # egress to another deployment on its number
                yield _netpol(ns.name, name, sel, ["Egress"], egress=[{
                    "to": [{"podSelector": {"matchLabels": {"app": other.labels["app"]}}}],
                    "ports": [{"protocol": "TCP", "port": other.ports[0][2]}],
                }])
            elif shape == 2:  # pod + namespace selector peer: same team, any env
                yield _netpol(ns.name, name, sel, ["Ingress"], ingress=[{
                    "from": [{"namespaceSelector": {"matchLabels": {"team": ns.team}},
                              "podSelector": {"matchLabels": {"tier": "frontend"}}},
                             {"namespaceSelector": {"matchLabels": {"purpose": "ingress"}}}],
                    "ports": [{"port": http[0]}, {"port": http[2]}],
                }])
            elif shape == 3:  # every matchExpressions operator
                yield _netpol(ns.name, name, {"matchExpressions": [
                    {"key": "app", "operator": "In", "values": [dep.labels["app"], other.labels["app"]]},
                    {"key": "legacy", "operator": "DoesNotExist"},
                ]}, ["Ingress"], ingress=[{
                    "from": [{"namespaceSelector": {"matchExpressions": [
                        {"key": "env", "operator": "In", "values": ["prod", "staging"] if ns.env != "dev" else ["dev"]},
                        {"key": "team", "operator": "Exists"},
                    ]}, "podSelector": {"matchExpressions": [
                        {"key": "version", "operator": "NotIn", "values": ["canary"]},
                        {"key": "tier", "operator": "In", "values": ["frontend", "backend"]},
                    ]}}],
                }])
            elif shape == 4:  # ipBlock over a node's pod CIDR (matches pod IPs) with except; as in
                # real clusters, a few well-known ranges recur rather than every node's own
                k = rng.randrange(min(self.node_count, 3))
                base = self.pod_cidr_base(k)
                yield _netpol(ns.name, name, sel, ["Ingress"], ingress=[{
                    "from": [{"ipBlock": {"cidr": f"{base}.0/24", "except": [f"{base}.128/25"]}}],
                    "ports": [{"port": http[2]}],
                }])
            elif shape == 5:  # port range with endPort
                start = rng.choice((8000, 9000, 30000))
                yield _netpol(ns.name, name, sel, ["Ingress"], ingress=[{
                    "from": [{"namespaceSelector": {"matchLabels": {"env": ns.env}}}],
                    "ports": [{"protocol": "TCP", "port": start, "endPort": start + rng.choice((99, 999, 2767))}],
                }])
            elif shape == 6:  # UDP egress (statsd) and DNS
                yield _netpol(ns.name, name, sel, ["Egress"], egress=[{
                    "to": [{"namespaceSelector": {"matchLabels": {"team": ns.team}},
                            "podSelector": {"matchLabels": {"tier": "backend"}}}],
                    "ports": [{"protocol": "UDP", "port": 8125}, {"protocol": "UDP", "port": "statsd"}],
                }, {
                    "to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                    "ports": [{"protocol": "UDP", "port": 53}],
                }])
            elif shape == 7 and rng.random() < 0.5:  # SCTP now and then
                yield _netpol(ns.name, name, sel, ["Ingress"], ingress=[{
                    "from": [{"podSelector": {}}],
                    "ports": [{"protocol": "SCTP", "port": 3868}],
                }])
            elif shape == 8:  # egress to the internet except private ranges
                yield _netpol(ns.name, name, sel, ["Egress"], egress=[{
                    "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]}},
                           {"ipBlock": {"cidr": "::/0", "except": ["fd00::/8"]}}],
                    "ports": [{"protocol": "TCP", "port": 443}],
                }, {"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.64.0.0/10"]}}]}])
            elif shape == 9:  # no policyTypes: defaulted to Ingress + Egress (it has egress rules)
                yield _netpol(ns.name, name, sel, None, ingress=[{
                    "from": [{"podSelector": {"matchExpressions": [{"key": "tier", "operator": "Exists"}]}}],
                }], egress=[{
                    "to": [{"namespaceSelector": {"matchExpressions": [
                        {"key": "team", "operator": "NotIn", "values": ["ads"]}]}}],
                }])
            elif shape == 10:  # ingress from the nodes' addresses (kubelet, node-exporter)
                yield _netpol(ns.name, name, sel, ["Ingress"], ingress=[{
                    "from": [{"ipBlock": {"cidr": "10.0.0.0/16"}}],
                }])
            elif shape == 11:  # everything from namespaces of the same env
                yield _netpol(ns.name, name, {"matchLabels": {"tier": dep.tier}}, ["Ingress"], ingress=[{
                    "from": [{"namespaceSelector": {"matchLabels": {"env": ns.env}},
                              "podSelector": {}}],
                    "ports": [{"protocol": "TCP", "port": http[2]}, {"protocol": "UDP"}],
                }])


def _namespace(name: str, labels: dict[str, str]) -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": dict(labels)},
            "status": {"phase": "Active"}}


def _service(namespace: str, name: str, labels: dict[str, str], ports: list[tuple[str, str, int]]) -> Obj:
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": labels["app"]}},
        "spec": {
            "type": "ClusterIP",
            "selector": {"app": labels["app"], "app.kubernetes.io/part-of": labels["app.kubernetes.io/part-of"]},
            "ports": [{"name": p, "protocol": proto, "port": number, "targetPort": p} for p, proto, number in ports],
        },
    }


def _netpol(namespace: str, name: str, selector: Obj, types: list[str] | None,
            ingress: list[Obj] | None = None, egress: list[Obj] | None = None) -> Obj:
    spec: Obj = {"podSelector": selector}
    if types is not None:
        spec["policyTypes"] = types
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def _admin_policies() -> list[Obj]:
    """A fixed handful of cluster-scoped policies covering every tier, action and peer form."""
    anp = "policy.networking.k8s.io/v1alpha1"
    cnp = "policy.networking.k8s.io/v1alpha2"
    return [
        {"apiVersion": anp, "kind": "AdminNetworkPolicy", "metadata": {"name": "allow-monitoring"},
         "spec": {"priority": 5, "subject": {"namespaces": {}},
                  "ingress": [{"name": "scrape", "action": "Allow",
                               "from": [{"namespaces": {"matchLabels": {"purpose": "monitoring"}}}],
                               "ports": [{"namedPort": "metrics"}]}]}},
        {"apiVersion": anp, "kind": "AdminNetworkPolicy", "metadata": {"name": "isolate-dev"},
         "spec": {"priority": 10, "subject": {"namespaces": {"matchLabels": {"env": "prod"}}},
                  "ingress": [{"name": "pass-same-team", "action": "Pass",
                               "from": [{"pods": {"namespaceSelector": {"matchLabels": {"env": "prod"}},
                                                  "podSelector": {"matchLabels": {"tier": "frontend"}}}}]},
                              {"name": "deny-dev", "action": "Deny",
                               "from": [{"namespaces": {"matchLabels": {"env": "dev"}}}]}],
                  "egress": [{"name": "deny-dev", "action": "Deny",
                              "to": [{"namespaces": {"matchLabels": {"env": "dev"}}}],
                              "ports": [{"portRange": {"protocol": "TCP", "start": 1, "end": 32767}}]}]}},
        {"apiVersion": cnp, "kind": "ClusterNetworkPolicy", "metadata": {"name": "block-metadata"},
         "spec": {"tier": "Admin", "priority": 20, "subject": {"pods": {"namespaceSelector": {},
                                                                          "podSelector": {"matchExpressions": [
                                                                              {"key": "tier", "operator": "Exists"}]}}},
                  "egress": [{"name": "no-metadata", "action": "Deny", "to": [{"networks": ["169.254.169.254/32"]}]},
                             {"name": "nodes", "action": "Accept",
                              "to": [{"nodes": {"matchExpressions": [
                                  {"key": "node-role.kubernetes.io/control-plane", "operator": "DoesNotExist"}]}}],
                              "protocols": [{"tcp": {"destinationPort": {"number": 10250}}}]},
                             {"name": "grpc-to-prod-backends", "action": "Accept",
                              "to": [{"pods": {"namespaceSelector": {"matchLabels": {"env": "prod"}},
                                               "podSelector": {"matchLabels": {"tier": "backend"}}}}],
                              "protocols": [{"destinationNamedPort": "grpc"}]},
                             {"name": "pass-cluster", "action": "Pass", "to": [{"networks": ["10.64.0.0/10"]}],
                              "protocols": [{"tcp": {"destinationPort": {"range": {"start": 30000, "end": 32767}}}}]}]}},
        {"apiVersion": anp, "kind": "BaselineAdminNetworkPolicy", "metadata": {"name": "default"},
         "spec": {"subject": {"namespaces": {"matchExpressions": [
                      {"key": "env", "operator": "In", "values": ["prod", "staging"]}]}},
                  "ingress": [{"name": "deny-other-teams-db", "action": "Deny",
                               "from": [{"namespaces": {"matchLabels": {"env": "dev"}}}],
                               "ports": [{"portNumber": {"protocol": "TCP", "port": 5432}}]}]}},
        {"apiVersion": cnp, "kind": "ClusterNetworkPolicy", "metadata": {"name": "baseline-sctp"},
         "spec": {"tier": "Baseline", "priority": 50, "subject": {"namespaces": {}},
                  "ingress": [{"name": "pass-same-env", "action": "Pass",
                               "from": [{"namespaces": {"matchLabels": {"env": "prod"}}}],
                               "protocols": [{"sctp": {"destinationPort": {"number": 3868}}}]},
                              {"name": "deny-sctp", "action": "Deny", "from": [{"namespaces": {}}],
                               "protocols": [{"sctp": {"destinationPort": {"range": {"start": 1, "end": 65535}}}}, {"udp": {"destinationPort": {"number": 8125}}}]}]}},
    ]


def generate(pods: int, seed: int = 1, policies: int | None = None, admin: bool = True) -> list[Obj]:
    """The cluster's objects, in a stable order (nodes, namespaces, pods and services, policies)."""
    return Generator(pods, seed, policies, admin).build()


def to_json(objects: list[Obj]) -> str:
    """One `kind: List`, as `kubectl get -A -o json` would print several kinds."""
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}, indent=1) + "\n"


def to_yaml(objects: list[Obj]) -> str:
    """Multi-document YAML, as `kubectl get -o yaml` output concatenated or a manifests repository."""
    import yaml

    dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump_all(objects, Dumper=dumper, sort_keys=False, default_flow_style=False, explicit_start=True)


def write(objects: list[Obj], path: Path) -> None:
    text = to_yaml(objects) if path.suffix in (".yaml", ".yml") else to_json(objects)
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pods", type=int, default=1000)
    parser.add_argument("--policies", type=int, default=None, help="default: a tenth of the pods")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-admin", action="store_true", help="leave out the cluster-scoped policies")
    parser.add_argument("-o", "--output", default="-", help="file (.json or .yaml), or - for JSON on stdout")
    args = parser.parse_args(argv)
    objects = generate(args.pods, args.seed, args.policies, not args.no_admin)
    if args.output == "-":
        sys.stdout.write(to_json(objects))
    else:
        write(objects, Path(args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
