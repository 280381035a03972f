"""Which plugin enforces, beyond agent pods: k3s (Flannel with an embedded kube-router policy
controller: nothing in a pod shows it, its nodes do), RKE2 (Canal by default), Calico for policy beside
another plugin, Weave Net (enforced, unmaintained); and the profile that follows."""

from __future__ import annotations

import json
from types import MappingProxyType

import pytest

from kubenet_tui.engine.cluster import Enforcement, Profile
from kubenet_tui.engine.model import Node, Pod
from kubenet_tui.sources.cni import detect_cni
from kubenet_tui.sources.demo import DemoSource
from kubenet_tui.sources.parse import ObjectCollector


def agent(name: str, labels: dict[str, str], ns: str = "kube-system") -> Pod:
    return Pod(ns, name, MappingProxyType(labels))


def k3s_node(args: list[str] | None, labels: dict[str, str] | None = None, version: str = "v1.30.4+k3s1") -> Node:
    marks = {"k3s.io/node-args": json.dumps(args)} if args is not None else {}
    return Node("k3s-1", MappingProxyType(labels or {}), distribution=MappingProxyType(marks), kubelet_version=version)


@pytest.mark.parametrize(("node", "enforcement", "enforced"), [
    (k3s_node(["server"]), "enforced", Enforcement.ENFORCED),
    (k3s_node(["server", "--tls-san", "k3s.local"]), "enforced", Enforcement.ENFORCED),
    (k3s_node(["server", "--disable-network-policy"]), "not-enforced", Enforcement.NOT_ENFORCED),
    (k3s_node(["server", "--disable-network-policy", "true"]), "not-enforced", Enforcement.NOT_ENFORCED),
    (k3s_node(["server", "--disable-network-policy=false"]), "enforced", Enforcement.ENFORCED),
    (k3s_node(None, {"node.kubernetes.io/instance-type": "k3s"}, ""), "enforced", Enforcement.ENFORCED),
    (k3s_node(None, {}, "v1.31.1+k3s1"), "enforced", Enforcement.ENFORCED),
])
def test_k3s_is_recognised_from_its_nodes(node: Node, enforcement: str, enforced: Enforcement) -> None:
    detection = detect_cni([agent("coredns-7db6d8ff4d-4n2xz", {"k8s-app": "kube-dns"})], nodes=[node])
    assert detection.enforcement == enforcement
    assert "k3s" in detection.summary()
    plugin = detection.plugin()
    assert plugin is not None and plugin.enforcement is enforced and plugin.profile is Profile.UPSTREAM
    if enforced is Enforcement.NOT_ENFORCED:
        assert "--disable-network-policy" in plugin.note


def test_k3s_from_its_pods_alone_depends_on_how_it_was_started() -> None:
    pods = [agent("svclb-traefik-2b1c8-x7k2p", {"svccontroller.k3s.cattle.io/svcname": "traefik"})]
    plugin = detect_cni(pods).plugin()
    assert plugin is not None and plugin.enforcement is Enforcement.DEPENDS
    assert "--disable-network-policy" in plugin.note


def test_k3s_with_calico_reads_policies_as_calico() -> None:
    pods = [agent("calico-node-x7k2p", {"k8s-app": "calico-node"}, "calico-system")]
    plugin = detect_cni(pods, nodes=[k3s_node(["server", "--flannel-backend", "none"])]).plugin()
    assert plugin is not None and plugin.enforcement is Enforcement.ENFORCED and plugin.profile is Profile.CALICO


def test_rke2_canal_is_calico_policy() -> None:
    rke2 = Node("rke2-1", distribution=MappingProxyType({"rke2.io/node-args": '["server"]'}),
                kubelet_version="v1.30.4+rke2r1")
    canal = agent("rke2-canal-7hh2j", {"k8s-app": "canal"})
    detection = detect_cni([canal], nodes=[rke2])
    plugin = detection.plugin()
    assert plugin is not None and plugin.enforcement is Enforcement.ENFORCED and plugin.profile is Profile.CALICO
    assert "Canal" in detection.summary() and "calico" in detection.summary()
    # by the DaemonSet's name alone (labels customised)
    assert detect_cni([agent("rke2-canal-x2x8d", {})]).plugin().profile is Profile.CALICO  # type: ignore[union-attr]
    # RKE2 whose CNI pods were not seen: it depends
    unseen = detect_cni([], nodes=[rke2]).plugin()
    assert unseen is not None and unseen.enforcement is Enforcement.DEPENDS and "Canal" in unseen.note


def test_calico_for_policy_beside_the_aws_vpc_cni() -> None:
    pods = [agent("aws-node-p9q8r", {"k8s-app": "aws-node"}),
            agent("calico-node-x7k2p", {"k8s-app": "calico-node"}, "calico-system")]
    detection = detect_cni(pods)
    plugin = detection.plugin()
    assert plugin is not None and plugin.enforcement is Enforcement.ENFORCED and plugin.profile is Profile.CALICO
    assert plugin.names == ("Calico", "AWS VPC CNI")


def test_weave_net_enforces_but_is_unmaintained() -> None:
    detection = detect_cni([agent("weave-net-9d8s7", {"name": "weave-net"})])
    assert detection.enforcement == "enforced" and "unmaintained" in detection.summary()


def test_node_annotations_survive_the_loader() -> None:
    collector = ObjectCollector()
    collector.add({"apiVersion": "v1", "kind": "Node", "metadata": {
        "name": "k3s-1", "labels": {"node.kubernetes.io/instance-type": "k3s"},
        "annotations": {"k3s.io/node-args": '["server","--disable-network-policy"]', "flannel.alpha.coreos.com/x": "y"}},
        "status": {"nodeInfo": {"kubeletVersion": "v1.30.4+k3s1"}}}, "test")
    (node,) = collector.nodes.values()
    assert dict(node.distribution) == {"k3s.io/node-args": '["server","--disable-network-policy"]'}
    assert node.kubelet_version == "v1.30.4+k3s1"
    assert detect_cni([], nodes=[node]).enforcement == "not-enforced"


def test_the_demo_runs_calico() -> None:
    cluster = DemoSource().load().cluster
    assert cluster.plugin is not None and cluster.profile is Profile.CALICO
    assert DemoSource("calico").load().cluster.profile is Profile.CALICO


def test_files_with_calico_policies_and_no_plugin_pods_read_them_as_calico(tmp_path: object) -> None:
    """The issue's first try: a GlobalNetworkPolicy denies TCP 5432 from app=web to app=db, in a file
    without any plugin pod. It must not be ALLOWED."""
    from pathlib import Path

    from kubenet_tui.engine.caveats import CaveatCode
    from kubenet_tui.engine.evaluate import evaluate, resolve_end
    from kubenet_tui.engine.explain import Status
    from kubenet_tui.sources.files import FileSource

    path = Path(str(tmp_path)) / "cluster.yaml"
    path.write_text("""
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: a, labels: {app: web}}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: b, labels: {app: db}}
status: {podIP: 10.0.0.2}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny-db}
spec:
  order: 10
  selector: app == 'db'
  ingress:
  - {action: Deny, protocol: TCP, source: {selector: app == 'web'}, destination: {ports: [5432]}}
""", encoding="utf-8")
    snapshot = FileSource([str(path)]).load()
    cluster = snapshot.cluster
    assert cluster.profile is Profile.CALICO and not snapshot.ignored_kinds
    index = cluster.index
    verdict = evaluate(cluster, resolve_end(index, "a/web"), resolve_end(index, "b/db"), port=5432)
    assert verdict.status is Status.BLOCKED
    (note,) = [c for c in verdict.caveats if c.code is CaveatCode.PLUGIN_UNIDENTIFIED]
    assert "read as calico reads them" in note.message
