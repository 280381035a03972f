"""Every way the cluster can fail to answer gives one specific line naming the context and the server,
within 15 seconds, and exit code 2 from the CLI."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import pytest
import trustme
from apiserver import FakeApiServer, Fault, Rbac, silent_tcp_server
from conftest import shop_cluster

from kubenet_tui.cli import main
from kubenet_tui.sources.base import SourceError
from kubenet_tui.sources.live import LiveOptions, LiveSource

BOUND = 15.0  # the promise; the tests use a 1 s request timeout, so this is generous


def load_error(kubeconfig: Path, timeout: float = 1.0, **kw: object) -> tuple[str, float]:
    start = time.monotonic()
    with pytest.raises(SourceError) as info:
        LiveSource(LiveOptions(kubeconfig=str(kubeconfig), request_timeout=timeout, **kw)).load()  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message
    return message, time.monotonic() - start


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused(server: FakeApiServer, tmp_path: Path) -> None:
    url = f"https://127.0.0.1:{free_port()}"
    message, took = load_error(server.kubeconfig(tmp_path / "kc", context="prod", server=url))
    assert "connection refused" in message
    assert "'prod'" in message and url in message
    assert took < BOUND


def test_dns_failure(server: FakeApiServer, tmp_path: Path) -> None:
    url = "https://kubenet-test-cluster.invalid:6443"
    message, took = load_error(server.kubeconfig(tmp_path / "kc", context="prod", server=url))
    assert "could not be resolved (DNS)" in message and url in message and "'prod'" in message
    assert took < BOUND


def test_untrusted_certificate(server: FakeApiServer, tmp_path: Path) -> None:
    # A kubeconfig whose CA did not sign the server's certificate.
    other = FakeApiServer(trustme.CA())  # never started: only its CA is used
    kubeconfig = other.kubeconfig(tmp_path / "kc", context="prod", server=server.url)
    message, took = load_error(kubeconfig)
    assert "TLS certificate is not trusted" in message and server.url in message and "'prod'" in message
    assert took < BOUND


def test_server_that_accepts_and_never_answers_http(server: FakeApiServer, kubeconfig: Path) -> None:
    server.silent = True
    message, took = load_error(kubeconfig, timeout=1.0)
    assert "sent no answer within 1 s" in message and server.url in message
    assert took < BOUND


def test_server_that_accepts_and_never_speaks_tls(server: FakeApiServer, tmp_path: Path) -> None:
    listener, release = silent_tcp_server()
    try:
        url = f"https://127.0.0.1:{listener.getsockname()[1]}"
        message, took = load_error(server.kubeconfig(tmp_path / "kc", context="prod", server=url), timeout=1.0)
        assert "within 1 s" in message and url in message
        assert took < BOUND
    finally:
        release.set()


def test_rejected_token_names_context_and_user(server: FakeApiServer, tmp_path: Path) -> None:
    kubeconfig = server.kubeconfig(tmp_path / "kc", context="prod", user={"token": "expired-token"})
    message, _ = load_error(kubeconfig)
    assert "rejected the credentials of user 'prod-user'" in message
    assert "'prod'" in message and server.url in message
    assert "expired-token" not in message  # never print a credential


def test_failing_exec_plugin_shows_its_stderr(server: FakeApiServer, tmp_path: Path) -> None:
    plugin = tmp_path / "cloud-login"
    plugin.write_text(f"#!{sys.executable}\nimport sys\n"
                      "print('error: session expired, run: cloud auth login', file=sys.stderr)\nsys.exit(1)\n")
    plugin.chmod(0o755)
    kubeconfig = server.kubeconfig(tmp_path / "kc", context="prod", user={"exec": {
        "apiVersion": "client.authentication.k8s.io/v1", "command": str(plugin), "interactiveMode": "Never"}})
    message, took = load_error(kubeconfig)
    assert "cloud-login credential plugin" in message and "'prod-user'" in message and "'prod'" in message
    assert "session expired, run: cloud auth login" in message
    assert took < BOUND
    assert not server.requests  # it failed before asking anything


def test_missing_exec_plugin(server: FakeApiServer, tmp_path: Path) -> None:
    kubeconfig = server.kubeconfig(tmp_path / "kc", context="prod", user={"exec": {
        "apiVersion": "client.authentication.k8s.io/v1", "command": "no-such-cloud-cli"}})
    message, _ = load_error(kubeconfig)
    assert "no-such-cloud-cli" in message and "failed" in message


def test_everything_forbidden(server: FakeApiServer, kubeconfig: Path) -> None:
    server.put_many(shop_cluster())
    server.rbac["alice"] = Rbac(only_namespaces=set())
    message, took = load_error(kubeconfig)
    assert "user 'test-user'" in message and "may not list pods" in message
    assert server.url in message and "'test'" in message and "forbidden" in message
    assert took < BOUND


def test_not_a_kubernetes_api(server: FakeApiServer, kubeconfig: Path) -> None:
    server.faults.append(Fault("/apis", 404, "404 page not found"))
    message, _ = load_error(kubeconfig)
    assert "does not serve the Kubernetes API" in message and "/apis" in message and server.url in message


def test_server_error(server: FakeApiServer, kubeconfig: Path) -> None:
    server.put_many(shop_cluster())
    server.faults.append(Fault("pods", 500, "etcdserver: request timed out"))
    message, _ = load_error(kubeconfig)
    assert "500" in message and "etcdserver: request timed out" in message
    assert "listing pods" in message or "list pods" in message
    assert server.url in message and "'test'" in message


def test_cli_exit_code_2_and_one_line(server: FakeApiServer, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    kubeconfig = server.kubeconfig(tmp_path / "kc", context="prod", server=f"https://127.0.0.1:{free_port()}")
    code = main(["check", "a/b", "c/d", "--kubeconfig", str(kubeconfig), "--request-timeout", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("kubenet-tui: error: cannot reach the API server of context 'prod'")
    assert len(err.strip().splitlines()) == 1


def test_no_kubeconfig_anywhere(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no kubeconfig found"):
        LiveSource(LiveOptions()).load()
