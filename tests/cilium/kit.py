"""A small Cilium cluster shaped like cilium-cli's connectivity suite, and helpers to ask it questions.

Namespace `cilium-test` holds `client` (kind=client, name=client), `client2` (kind=client, other=client),
`echo-same-node` (kind=echo, on node-1 with the clients) and `echo-other-node` (kind=echo, node-2);
namespace `other` holds `stranger` (kind=client); `unlisted/ghost` (kind=client) is in a namespace that was
not loaded (only its name label is known); kube-system holds the Cilium agents (host network) and
kube-dns. Outside addresses: 1.1.1.1, 1.0.0.1, 8.8.8.8. Policies are added as YAML text and loaded through
`ObjectCollector`, exactly as files are.
"""

from __future__ import annotations

from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.evaluate import evaluate, resolve_end, resolve_port
from kubenet_tui.engine.explain import Status, Verdict
from kubenet_tui.engine.model import Protocol
from kubenet_tui.engine.profiles import Profile
from kubenet_tui.sources.cni import detect_cni
from kubenet_tui.sources.files import parse_yaml_text
from kubenet_tui.sources.parse import ObjectCollector, Problem

NODE_1 = "192.168.0.1"
NODE_2 = "192.168.0.2"

BASE = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: cilium-test, labels: {{team: conn}}}}
---
apiVersion: v1
kind: Namespace
metadata: {{name: other, labels: {{team: other}}}}
---
apiVersion: v1
kind: Namespace
metadata: {{name: kube-system}}
---
apiVersion: v1
kind: Node
metadata: {{name: node-1, labels: {{zone: a}}}}
spec: {{podCIDR: 10.0.1.0/24}}
status: {{addresses: [{{type: InternalIP, address: {NODE_1}}}]}}
---
apiVersion: v1
kind: Node
metadata: {{name: node-2, labels: {{zone: b}}}}
spec: {{podCIDR: 10.0.2.0/24}}
status: {{addresses: [{{type: InternalIP, address: {NODE_2}}}]}}
---
apiVersion: v1
kind: Pod
metadata: {{name: cilium-aaaaa, namespace: kube-system, labels: {{k8s-app: cilium}}}}
spec: {{nodeName: node-1, hostNetwork: true}}
status: {{podIP: {NODE_1}}}
---
apiVersion: v1
kind: Pod
metadata: {{name: cilium-bbbbb, namespace: kube-system, labels: {{k8s-app: cilium}}}}
spec: {{nodeName: node-2, hostNetwork: true}}
status: {{podIP: {NODE_2}}}
---
apiVersion: v1
kind: Pod
metadata: {{name: kube-dns, namespace: kube-system, labels: {{k8s-app: kube-dns}}}}
spec: {{nodeName: node-1, containers: [{{name: dns, ports: [{{name: dns, containerPort: 53, protocol: UDP}}]}}]}}
status: {{podIP: 10.0.1.2}}
---
apiVersion: v1
kind: Pod
metadata: {{name: client, namespace: cilium-test, labels: {{kind: client, name: client}}}}
spec: {{nodeName: node-1, serviceAccountName: client}}
status: {{podIP: 10.0.1.10}}
---
apiVersion: v1
kind: Pod
metadata: {{name: client2, namespace: cilium-test, labels: {{kind: client, other: client}}}}
spec: {{nodeName: node-1, serviceAccountName: client2}}
status: {{podIP: 10.0.1.11}}
---
apiVersion: v1
kind: Pod
metadata: {{name: echo-same-node, namespace: cilium-test, labels: {{kind: echo, name: echo-same-node}}}}
spec:
  nodeName: node-1
  serviceAccountName: echo-same-node
  containers: [{{name: echo, ports: [{{name: http, containerPort: 8080}}]}}]
status: {{podIP: 10.0.1.20}}
---
apiVersion: v1
kind: Pod
metadata: {{name: echo-other-node, namespace: cilium-test, labels: {{kind: echo, name: echo-other-node}}}}
spec:
  nodeName: node-2
  serviceAccountName: echo-other-node
  containers: [{{name: echo, ports: [{{name: http, containerPort: 8080}}]}}]
status: {{podIP: 10.0.2.20}}
---
apiVersion: v1
kind: Pod
metadata: {{name: stranger, namespace: other, labels: {{kind: client, statefulset.kubernetes.io/pod-name: stranger}}}}
spec: {{nodeName: node-2}}
status: {{podIP: 10.0.2.30}}
---
apiVersion: v1
kind: Pod
metadata: {{name: ghost, namespace: unlisted, labels: {{kind: client}}}}
spec: {{nodeName: node-2}}
status: {{podIP: 10.0.2.40}}
"""


def load(policies: str = "", base: str = BASE, detect: bool = True) -> tuple[Cluster, list[Problem]]:
    collector = ObjectCollector()
    parse_yaml_text(base + ("\n---\n" + policies if policies.strip() else ""), "test.yaml", collector)
    if detect:
        collector.plugin = detect_cni(collector.pods.values()).plugin()
    return collector.cluster(), collector.problems


def cluster_of(policies: str = "", **kw: object) -> Cluster:
    found, problems = load(policies, **kw)  # type: ignore[arg-type]
    errors = [p.describe() for p in problems if p.severity == "error"]
    assert not errors, errors
    return found


def ask(cluster: Cluster, source: str, destination: str, port: str | None = "8080",
        protocol: Protocol = Protocol.TCP) -> Verdict:
    index = cluster.index
    src, dst = resolve_end(index, source), resolve_end(index, destination)
    number, name = resolve_port(port, protocol, dst)
    return evaluate(cluster, src, dst, protocol, number, name)


def status(cluster: Cluster, source: str, destination: str, port: str | None = "8080",
           protocol: Protocol = Protocol.TCP) -> Status:
    verdict = ask(cluster, source, destination, port, protocol)
    assert verdict.profile is cluster.profile
    return verdict.status


def as_profile(cluster: Cluster, profile: Profile) -> Cluster:
    from dataclasses import replace

    return replace(cluster, profile_override=profile)
