"""Recognising the network plugin from its agent pods, and the caveats when it does not enforce policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from apiserver import FakeApiServer, namespace, network_policy, pod

from kubenet_tui.cli import main
from kubenet_tui.engine.cluster import Enforcement, NetworkPlugin, Profile
from kubenet_tui.engine.model import Pod
from kubenet_tui.sources.cni import detect_cni
from kubenet_tui.sources.demo import DemoSource


def agent(name: str, labels: dict[str, str], ns: str = "kube-system") -> Pod:
    from types import MappingProxyType

    return Pod(ns, name, MappingProxyType(labels))


@pytest.mark.parametrize(
    ("pods", "plugin", "enforcement"),
    [
        ([agent("calico-node-x7k2p", {"k8s-app": "calico-node"})], "Calico", "enforced"),
        ([agent("calico-node-abcde", {}, "calico-system")], "Calico", "enforced"),  # by name alone
        ([agent("cilium-4fj2k", {"k8s-app": "cilium"})], "Cilium", "enforced"),
        ([agent("weave-net-9d8s7", {"name": "weave-net"})], "Weave Net", "enforced"),
        ([agent("antrea-agent-q2w3e", {"app": "antrea", "component": "antrea-agent"})], "Antrea", "enforced"),
        ([agent("ovnkube-node-zz9x8", {"app": "ovnkube-node"}, "ovn-kubernetes")], "OVN-Kubernetes", "enforced"),
        ([agent("kube-router-7hh2j", {"k8s-app": "kube-router"})], "kube-router", "enforced"),
        ([agent("kube-flannel-ds-8k2lm", {"app": "flannel"}, "kube-flannel")], "Flannel", "not-enforced"),
        ([agent("aws-node-p9q8r", {"k8s-app": "aws-node"})], "AWS VPC CNI", "unknown"),
        ([agent("kindnet-c4v5b", {"app": "kindnet"})], "kindnet", "unknown"),
        # Flannel for the network and Calico for policy (or Canal): enforced
        ([agent("kube-flannel-ds-8k2lm", {"app": "flannel"}), agent("calico-node-x7k2p", {"k8s-app": "calico-node"})],
         "Calico", "enforced"),
    ],
)
def test_plugins_are_recognised(pods: list[Pod], plugin: str, enforcement: str) -> None:
    detection = detect_cni(pods)
    assert plugin in [p.name for p in detection.plugins]
    assert detection.enforcement == enforcement
    assert plugin in detection.summary()


def test_similar_names_are_not_agents() -> None:
    pods = [agent("cilium-operator-6c9f8d7b5-abcde", {"io.cilium/app": "operator"}),
            agent("calico-node-exporter-7f9c6", {}), agent("coredns-7db6d8ff4d-4n2xz", {"k8s-app": "kube-dns"})]
    detection = detect_cni(pods)
    assert detection.enforcement == "unidentified"
    plugin = detection.plugin()
    assert plugin is not None and plugin.enforcement is Enforcement.UNIDENTIFIED
    assert "network plugin not identified" in plugin.note


def test_flannel_alone_puts_a_prominent_caveat_on_every_verdict() -> None:
    plugin = detect_cni([agent("kube-flannel-ds-8k2lm", {"app": "flannel"})]).plugin()
    assert plugin is not None and plugin.enforcement is Enforcement.NOT_ENFORCED
    assert plugin.note.startswith("NOT ENFORCED")
    assert "nothing enforces them, so this traffic is in fact allowed" in plugin.note


def test_manifest_files_without_system_pods_stay_quiet() -> None:
    detection = detect_cni([agent("web-1", {"app": "web"}, "shop")])
    assert detection.plugin(quiet_without_system_pods=True) is None
    assert detection.plugin() is not None


def test_unreadable_system_pods_are_named() -> None:
    plugin = detect_cni([], unreadable="forbidden").plugin(quiet_without_system_pods=True)
    assert plugin is not None and "kube-system could not be read (forbidden)" in plugin.note


def test_the_demo_cluster_runs_calico() -> None:
    cluster = DemoSource().load().cluster
    detection = detect_cni(cluster.pods)
    assert [p.name for p in detection.plugins] == ["Calico"]
    assert detection.plugin() == NetworkPlugin(("Calico",), Enforcement.ENFORCED, profile=Profile.CALICO)
    assert cluster.plugin == detection.plugin()


def test_live_verdicts_carry_the_flannel_caveat(server: FakeApiServer, kubeconfig: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    server.put_many([
        namespace("shop"), namespace("kube-flannel"),
        pod("kube-flannel", "kube-flannel-ds-8k2lm", {"app": "flannel"}, "192.168.10.11", host_network=True),
        pod("shop", "a", {"app": "a"}, "10.0.0.1"), pod("shop", "b", {"app": "b"}, "10.0.0.2"),
        network_policy("shop", "deny", {"podSelector": {}, "policyTypes": ["Ingress"]}),
    ])
    code = main(["check", "shop/a", "shop/b", "--port", "80", "--kubeconfig", str(kubeconfig), "-o", "json"])
    data = json.loads(capsys.readouterr().out)
    # On the wire it is allowed: nothing enforces the policies (issue: Flannel alone said BLOCKED, exit 1)...
    assert code == 0 and data["status"] == "allowed" and data["enforced"] is False
    assert data["summary"].startswith("ALLOWED: not enforced")
    # ...and what the policies would do is still said, with the caveat
    assert data["policyStatus"] == "blocked"
    assert any(c["code"] == "not-enforced" and "NOT ENFORCED" in c["message"] for c in data["caveats"])


def test_files_with_flannel_pods_carry_the_caveat(tmp_path: Path) -> None:
    import yaml

    from kubenet_tui.sources.files import FileSource

    dump = tmp_path / "dump.yaml"
    dump.write_text(yaml.safe_dump_all([
        {"apiVersion": "v1", **pod("kube-flannel", "kube-flannel-ds-8k2lm", {"app": "flannel"}, "192.168.1.1")},
        {"apiVersion": "v1", **pod("shop", "a", {}, "10.0.0.1")},
    ]))
    plugin = FileSource([str(dump)]).load().cluster.plugin
    assert plugin is not None and plugin.enforcement is Enforcement.NOT_ENFORCED
    # a plain manifest without any system pod says nothing about the plugin
    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump({"apiVersion": "v1", **pod("shop", "a", {}, "10.0.0.1")}))
    assert FileSource([str(plain)]).load().cluster.plugin is None
