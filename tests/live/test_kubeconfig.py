"""Choosing the connection as kubectl does: $KUBECONFIG merging, contexts, relative paths, and every
kind of credential the official client supports (token, token file, client certificate, exec plugin)."""

from __future__ import annotations

import base64
import json
import os
import socket
import sys
from pathlib import Path

import pytest
import trustme
import yaml
from apiserver import FakeApiServer
from conftest import shop_cluster

from kubenet_tui.sources.base import SourceError
from kubenet_tui.sources.kubeconfig import load_connection, merge_kubeconfigs
from kubenet_tui.sources.live import LiveOptions, LiveSource


def refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"https://127.0.0.1:{sock.getsockname()[1]}"


def load(**kw: object) -> object:
    return LiveSource(LiveOptions(request_timeout=2, **kw)).load()  # type: ignore[arg-type]


def test_first_files_current_context_wins_like_kubectl(server: FakeApiServer, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN two kubeconfigs, each with its own current-context; the second points nowhere
    first = server.kubeconfig(tmp_path / "first", context="good", namespace="shop")
    second = server.kubeconfig(tmp_path / "second", context="broken", server=refused_url())
    server.put_many(shop_cluster())
    monkeypatch.setenv("KUBECONFIG", f"{first}{os.pathsep}{second}")
    # WHEN no --context is given
    snapshot = load()
    # THEN the first file's current-context is used (the Python client alone would pick the last)
    assert snapshot.context == "good"  # type: ignore[attr-defined]
    # and the second file's contexts are still there to choose
    with pytest.raises(SourceError, match=r"'broken'.*connection refused"):
        load(context="broken")


def test_first_file_to_define_a_name_wins(tmp_path: Path) -> None:
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.write_text(yaml.safe_dump({"clusters": [{"name": "c", "cluster": {"server": "https://a"}}]}))
    b.write_text(yaml.safe_dump({"current-context": "x", "clusters": [
        {"name": "c", "cluster": {"server": "https://b"}}, {"name": "d", "cluster": {"server": "https://d"}}]}))
    merged = merge_kubeconfigs([a, b])
    assert [(c["name"], c["cluster"]["server"]) for c in merged["clusters"]] == [("c", "https://a"), ("d", "https://d")]
    assert merged["current-context"] == "x"  # a file that sets none does not block a later one


def test_missing_files_in_kubeconfig_list_are_skipped(server: FakeApiServer, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    good = server.kubeconfig(tmp_path / "good", context="good")
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path / 'missing'}{os.pathsep}{good}")
    assert load().context == "good"  # type: ignore[attr-defined]


def test_home_kubeconfig_is_the_default(server: FakeApiServer, tmp_path: Path) -> None:
    home = Path(os.environ["HOME"]) / ".kube"
    home.mkdir(parents=True)
    server.kubeconfig(home / "config", context="home")
    assert load().context == "home"  # type: ignore[attr-defined]


def test_context_flag_and_namespace_of_context(server: FakeApiServer, tmp_path: Path) -> None:
    path = server.kubeconfig(tmp_path / "kc", context="one", namespace="payments")
    data = yaml.safe_load(path.read_text())
    data["contexts"].append({"name": "two", "context": {"cluster": "one", "user": "one-user"}})
    path.write_text(yaml.safe_dump(data))
    assert load_connection(str(path)).namespace == "payments"
    connection = load_connection(str(path), context="two")
    assert (connection.context, connection.namespace, connection.user) == ("two", "default", "one-user")
    with pytest.raises(SourceError, match=r"context 'three' not found in kubeconfig \(contexts: one, two\)"):
        load_connection(str(path), context="three")


def test_no_current_context_lists_the_choices(server: FakeApiServer, tmp_path: Path) -> None:
    path = server.kubeconfig(tmp_path / "kc", context="one")
    data = yaml.safe_load(path.read_text())
    data["current-context"] = ""
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(SourceError, match="no current context; choose one with --context \\(one\\)"):
        load_connection(str(path))


def test_explicit_missing_kubeconfig(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"kubeconfig .*nope: no such file"):
        load_connection(str(tmp_path / "nope"))


def test_relative_paths_resolve_against_their_own_file(server: FakeApiServer, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a kubeconfig in another directory naming its CA and token file relatively
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    (conf_dir / "ca.pem").write_bytes(server.ca.cert_pem.bytes())
    (conf_dir / "token").write_text(server.token)
    (conf_dir / "config").write_text(yaml.safe_dump({
        "current-context": "rel",
        "clusters": [{"name": "rel", "cluster": {"server": server.url, "certificate-authority": "ca.pem"}}],
        "users": [{"name": "rel", "user": {"tokenFile": "token"}}],
        "contexts": [{"name": "rel", "context": {"cluster": "rel", "user": "rel"}}],
    }))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KUBECONFIG", "conf/config")
    server.put_many(shop_cluster())
    # THEN it connects with TLS verified and the token read from the file
    assert len(load().cluster.pods) == 4  # type: ignore[attr-defined]
    assert {r.user for r in server.requests} == {"alice"}


def test_client_certificate_authentication(server: FakeApiServer, tmp_path: Path) -> None:
    cert = server.ca.issue_cert("bob@example.org", common_name="bob")
    cert_file, key_file = tmp_path / "bob.crt", tmp_path / "bob.key"
    cert_file.write_bytes(cert.cert_chain_pems[0].bytes())
    key_file.write_bytes(cert.private_key_pem.bytes())
    kubeconfig = server.kubeconfig(tmp_path / "kc", user={"client-certificate": str(cert_file),
                                                          "client-key": str(key_file)})
    server.put_many(shop_cluster())
    assert len(load(kubeconfig=str(kubeconfig)).cluster.pods) == 4  # type: ignore[attr-defined]
    assert {r.user for r in server.requests} == {"bob"}


def test_client_certificate_data_inline(server: FakeApiServer, tmp_path: Path) -> None:
    cert = server.ca.issue_cert("carol@example.org", common_name="carol")
    kubeconfig = server.kubeconfig(tmp_path / "kc", user={
        "client-certificate-data": base64.b64encode(cert.cert_chain_pems[0].bytes()).decode(),
        "client-key-data": base64.b64encode(cert.private_key_pem.bytes()).decode()})
    load(kubeconfig=str(kubeconfig))
    assert {r.user for r in server.requests} == {"carol"}


def test_exec_credential_plugin_token(server: FakeApiServer, tmp_path: Path) -> None:
    # GIVEN an exec plugin (as cloud CLIs are) that prints an ExecCredential with the token
    credential = {"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                  "status": {"token": server.token, "expirationTimestamp": "2099-01-01T00:00:00Z"}}
    plugin = tmp_path / "bin" / "cloud-token"
    plugin.parent.mkdir()
    plugin.write_text(f"#!{sys.executable}\nprint({json.dumps(json.dumps(credential))})\n")
    plugin.chmod(0o755)
    kubeconfig = server.kubeconfig(tmp_path / "kc", user={"exec": {
        "apiVersion": "client.authentication.k8s.io/v1", "command": "./bin/cloud-token"}})
    server.put_many(shop_cluster())
    # (a relative command with a slash resolves against the kubeconfig's directory, as in kubectl)
    assert len(load(kubeconfig=str(kubeconfig)).cluster.pods) == 4  # type: ignore[attr-defined]
    assert {r.user for r in server.requests} == {"alice"}


def test_insecure_skip_verify_is_honoured_only_when_asked(server: FakeApiServer, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kc"
    kubeconfig.write_text(yaml.safe_dump({
        "current-context": "x",
        "clusters": [{"name": "x", "cluster": {"server": server.url}}],  # no CA: system trust only
        "users": [{"name": "x", "user": {"token": server.token}}],
        "contexts": [{"name": "x", "context": {"cluster": "x", "user": "x"}}],
    }))
    with pytest.raises(SourceError, match="TLS certificate is not trusted"):
        load(kubeconfig=str(kubeconfig))
    data = yaml.safe_load(kubeconfig.read_text())
    data["clusters"][0]["cluster"]["insecure-skip-tls-verify"] = True
    kubeconfig.write_text(yaml.safe_dump(data))
    load(kubeconfig=str(kubeconfig))


def test_other_ca_is_not_trusted(tmp_path: Path, server: FakeApiServer) -> None:
    stranger = trustme.CA()
    kubeconfig = server.kubeconfig(tmp_path / "kc")
    data = yaml.safe_load(kubeconfig.read_text())
    data["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(stranger.cert_pem.bytes()).decode()
    kubeconfig.write_text(yaml.safe_dump(data))
    with pytest.raises(SourceError, match="not trusted"):
        load(kubeconfig=str(kubeconfig))


def test_in_cluster_configuration_when_no_kubeconfig(server: FakeApiServer, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN no kubeconfig, but the service-account files and variables a pod has
    from kubenet_tui.sources import kubeconfig as module

    account = tmp_path / "serviceaccount"
    account.mkdir()
    (account / "token").write_text(server.token)
    (account / "ca.crt").write_bytes(server.ca.cert_pem.bytes())
    (account / "namespace").write_text("payments")
    monkeypatch.setattr(module, "SERVICE_TOKEN_FILENAME", str(account / "token"))
    monkeypatch.setattr(module, "SERVICE_CERT_FILENAME", str(account / "ca.crt"))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(server.port))
    server.put_many(shop_cluster())
    # THEN the pod's own service account is used, in the pod's namespace
    snapshot = load()
    assert (snapshot.context, snapshot.namespace) == ("in-cluster", "payments")  # type: ignore[attr-defined]
    assert {r.user for r in server.requests} == {"alice"}


def test_credentials_never_reach_logs_or_messages(server: FakeApiServer, kubeconfig: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    import logging
    import threading

    caplog.set_level(logging.DEBUG)
    server.put_many(shop_cluster())
    source = LiveSource(LiveOptions(kubeconfig=str(kubeconfig), request_timeout=2, debounce=0.1, max_delay=0.5))
    snapshot = source.load()
    stop = threading.Event()
    seen: list[object] = []
    watcher = threading.Thread(target=source.watch, args=(seen.append, stop))
    watcher.start()
    server.wait_for(lambda: server.watch_count() >= 6)
    server.put(shop_cluster()[4])
    server.wait_for(lambda: bool(seen))
    stop.set()
    watcher.join(10)
    text = caplog.text + repr(snapshot) + "".join(repr(s) for s in seen)
    assert server.token not in text
