"""The emulated API server is only worth testing against if it answers like the real one: the real
`kubectl` (Debian package kubernetes-client) is run against it here — discovery, lists with label
selectors and chunking, watch, Status errors — exactly as it would talk to a cluster."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from apiserver import FakeApiServer, Rbac, pod, selector_matches
from conftest import shop_cluster

KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(
    KUBECTL is None, reason="kubectl is not installed (Debian package kubernetes-client): cannot prove the "
                            "emulator answers like a real API server")


def kubectl(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert KUBECTL is not None
    home = kubeconfig.parent
    return subprocess.run(
        [KUBECTL, "--kubeconfig", str(kubeconfig), "--cache-dir", str(home / "kubectl-cache"), *args],
        capture_output=True, text=True, timeout=30, env={**os.environ, "HOME": str(home)}, check=False,
    )


@needs_kubectl
def test_kubectl_lists_filters_and_chunks(server: FakeApiServer, kubeconfig: Path) -> None:
    server.put_many(shop_cluster())
    everything = kubectl(kubeconfig, "get", "pods", "-A", "-o", "name")
    assert everything.returncode == 0, everything.stderr
    assert sorted(everything.stdout.split()) == ["pod/api", "pod/calico-node-x7k2p", "pod/db", "pod/frontend"]

    chunked = kubectl(kubeconfig, "get", "pods", "-A", "--chunk-size=2", "-o", "name")
    assert sorted(chunked.stdout.split()) == sorted(everything.stdout.split())
    pages = [r for r in server.requests if r.path == "/api/v1/pods" and r.query.get("limit") == "2"]
    assert len(pages) == 2 and "continue" in pages[1].query

    selected = kubectl(kubeconfig, "get", "pods", "-n", "shop", "-l", "app=db", "-o", "json")
    assert selected.returncode == 0, selected.stderr
    items = json.loads(selected.stdout)["items"]
    assert [(i["kind"], i["metadata"]["name"]) for i in items] == [("Pod", "db")]

    policies = kubectl(kubeconfig, "get", "networkpolicies", "-n", "shop", "-o", "name")
    assert policies.stdout.split() == ["networkpolicy.networking.k8s.io/db-from-frontend",
                                       "networkpolicy.networking.k8s.io/default-deny"]
    assert server.methods() == {"GET"}


@needs_kubectl
def test_kubectl_discovers_the_optional_policy_api(server: FakeApiServer, kubeconfig: Path) -> None:
    server.policy_versions = {"v1alpha1"}
    resources = kubectl(kubeconfig, "api-resources", "--api-group=policy.networking.k8s.io", "-o", "name")
    assert resources.returncode == 0, resources.stderr
    assert sorted(resources.stdout.split()) == ["adminnetworkpolicies.policy.networking.k8s.io",
                                                "baselineadminnetworkpolicies.policy.networking.k8s.io"]


@needs_kubectl
def test_kubectl_reads_status_errors(server: FakeApiServer, kubeconfig: Path, tmp_path: Path) -> None:
    server.put_many(shop_cluster())
    server.rbac["alice"] = Rbac(denied={("pods", "payments")})
    forbidden = kubectl(kubeconfig, "get", "pods", "-n", "payments")
    assert forbidden.returncode == 1
    assert forbidden.stderr.strip() == ('Error from server (Forbidden): pods is forbidden: User "alice" cannot list '
                                        'resource "pods" in API group "" in the namespace "payments"')
    missing = kubectl(kubeconfig, "get", "pod", "nosuch", "-n", "shop")
    assert 'Error from server (NotFound): pods "nosuch" not found' in missing.stderr
    # (kubectl then asks whether the namespace exists, as it does with a real server)
    no_namespace = kubectl(kubeconfig, "get", "pod", "nosuch", "-n", "gone")
    assert 'Error from server (NotFound): namespaces "gone" not found' in no_namespace.stderr
    bad_token = server.kubeconfig(tmp_path / "bad", user={"token": "wrong"})
    unauthorized = kubectl(bad_token, "get", "pods")
    assert "You must be logged in to the server (Unauthorized)" in unauthorized.stderr


@needs_kubectl
def test_kubectl_watches(server: FakeApiServer, kubeconfig: Path) -> None:
    server.put_many(shop_cluster())
    server.max_watch_seconds = 2  # the server ends the watch, and kubectl with it
    timer = threading.Timer(0.7, lambda: server.put(pod("shop", "late", {"app": "late"}, "10.0.1.50")))
    timer.start()
    watched = kubectl(kubeconfig, "get", "pods", "-n", "shop", "--watch", "-o", "name")
    timer.join()
    assert watched.stdout.split() == ["pod/db", "pod/frontend", "pod/late"]
    (watch,) = [r for r in server.requests if r.is_watch]
    assert watch.query["resourceVersion"] not in ("", "0")  # kubectl too watches from its list


def test_label_selector_syntax() -> None:
    labels = {"app": "web", "tier": "front"}
    assert selector_matches("app=web,tier in (front, back)", labels)
    assert selector_matches("app==web,!legacy,tier", labels)
    assert not selector_matches("app!=web", labels)
    assert not selector_matches("tier notin (front)", labels)
    assert selector_matches("env notin (prod)", labels)
