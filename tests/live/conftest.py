"""Fixtures for the live-source tests: one CA per session, a fresh emulated API server per test, and a
kubeconfig pointing at it. Environment variables that would make the client read the developer's own
kubeconfig are cleared, so tests never touch a real cluster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from apiserver import FakeApiServer, endpoint_slice, namespace, network_policy, node, pod, secret, service


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(autouse=True)
def isolated_kubeconfig(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test may read ~/.kube/config or a $KUBECONFIG of the machine, nor think it runs in a pod."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    for proxy in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(proxy, raising=False)


@pytest.fixture
def server(ca: trustme.CA) -> Iterator[FakeApiServer]:
    with FakeApiServer(ca) as api:
        yield api


@pytest.fixture
def kubeconfig(server: FakeApiServer, tmp_path: Path) -> Path:
    return server.kubeconfig(tmp_path / "kubeconfig", namespace="shop")


def shop_cluster() -> list[dict[str, object]]:
    """Two namespaces, a default-deny in shop with one allow rule, a Service, a Secret, calico-node."""
    return [
        namespace("shop", {"team": "web"}),
        namespace("payments", {"team": "pay"}),
        namespace("kube-system"),
        node("node-1", "192.168.10.11"),
        pod("shop", "frontend", {"app": "frontend"}, "10.0.1.10"),
        pod("shop", "db", {"app": "db"}, "10.0.1.20", [{"name": "redis", "containerPort": 6379, "protocol": "TCP"}]),
        pod("payments", "api", {"app": "api"}, "10.0.2.10", [{"name": "https", "containerPort": 8443}]),
        pod("kube-system", "calico-node-x7k2p", {"k8s-app": "calico-node"}, "192.168.10.11", host_network=True),
        service("shop", "db", {"app": "db"}, 6379, "redis"),
        endpoint_slice("shop", "db", ["10.0.1.20"], 6379),
        secret("shop", "db-password"),
        network_policy("shop", "default-deny", {"podSelector": {}, "policyTypes": ["Ingress"]}),
        network_policy("shop", "db-from-frontend", {
            "podSelector": {"matchLabels": {"app": "db"}},
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "frontend"}}}],
                         "ports": [{"port": 6379}]}],
        }),
        network_policy("payments", "api-from-web", {
            "podSelector": {"matchLabels": {"app": "api"}},
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "web"}}}]}],
        }),
    ]
