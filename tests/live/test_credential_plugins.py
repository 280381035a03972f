"""Credential plugins are bounded, never read the explorer's keys, and never outlive the source that
started them (issue 9, item 5: a plugin that needs the user hung `:ctx` forever and outlived the app)."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import pytest
from apiserver import FakeApiServer

from kubenet_tui.sources.base import SourceError
from kubenet_tui.sources.kubeconfig import kubeconfig_contexts, uses_credential_plugin
from kubenet_tui.sources.live import LiveOptions, LiveSource
from tests.processes import alive


def login_plugin(tmp_path: Path, token: str, *, wait: str) -> tuple[Path, Path]:
    """A plugin like a cloud CLI's device-code login: prints where to log in, writes its PID, then
    `wait`s: "stdin" reads a line (a code typed by the user), "sleep" polls for a minute."""
    pid_file = tmp_path / "plugin.pid"
    credential = {"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                  "status": {"token": token}}
    waiting = "sys.stdin.readline()" if wait == "stdin" else "time.sleep(60)"
    plugin = tmp_path / "cloud-login"
    plugin.write_text(
        f"#!{sys.executable}\nimport os, sys, time\n"
        f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        "print('To sign in, open https://login.example/device and enter code WXYZ-1234', file=sys.stderr, "
        "flush=True)\n"
        f"{waiting}\n"
        f"print({json.dumps(json.dumps(credential))})\n"
    )
    plugin.chmod(0o755)
    return plugin, pid_file


def wait_until(check: object, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def exec_kubeconfig(server: FakeApiServer, tmp_path: Path, plugin: Path) -> Path:
    return server.kubeconfig(tmp_path / "kc", context="login", user={"exec": {
        "apiVersion": "client.authentication.k8s.io/v1", "command": str(plugin)}})


def test_a_plugin_waiting_for_a_login_is_stopped_at_the_bound_with_what_it_printed(
        server: FakeApiServer, tmp_path: Path) -> None:
    plugin, pid_file = login_plugin(tmp_path, server.token, wait="sleep")
    source = LiveSource(LiveOptions(kubeconfig=str(exec_kubeconfig(server, tmp_path, plugin)),
                                    request_timeout=2, credential_timeout=2.0))
    started = time.monotonic()
    with pytest.raises(SourceError) as error:
        source.load()
    assert time.monotonic() - started < 15
    message = str(error.value)
    assert "did not finish within 2 s" in message and "enter code WXYZ-1234" in message
    assert not alive(pid_file)


def test_a_detached_plugin_gets_no_keys_and_is_told_it_is_not_interactive(
        server: FakeApiServer, tmp_path: Path) -> None:
    # A plugin reading the terminal would take the explorer's keys: detached, it reads end-of-file.
    plugin, pid_file = login_plugin(tmp_path, server.token, wait="stdin")
    source = LiveSource(LiveOptions(kubeconfig=str(exec_kubeconfig(server, tmp_path, plugin)),
                                    request_timeout=2, credential_timeout=10))
    snapshot = source.load()  # readline() got EOF at once; the token followed
    assert snapshot.context == "login"
    assert not alive(pid_file)


def test_cancel_and_close_kill_a_running_plugin_and_close_starts_no_other(
        server: FakeApiServer, tmp_path: Path) -> None:
    plugin, pid_file = login_plugin(tmp_path, server.token, wait="sleep")
    source = LiveSource(LiveOptions(kubeconfig=str(exec_kubeconfig(server, tmp_path, plugin)),
                                    request_timeout=2, credential_timeout=30))
    errors: list[str] = []

    def load() -> None:
        try:
            source.load()
        except SourceError as exc:
            errors.append(str(exc))

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    assert wait_until(lambda: alive(pid_file) and source.plugins.running == 1)
    source.close()  # the explorer quits, or switches to another context
    worker.join(30)
    assert not worker.is_alive() and not alive(pid_file)
    assert errors and "cancelled" in errors[0]
    pid_file.unlink()
    with pytest.raises(SourceError, match="closing"):
        source.load()
    assert not pid_file.exists()  # never started


def test_contexts_and_which_ones_run_a_plugin(server: FakeApiServer, tmp_path: Path) -> None:
    plugin, _ = login_plugin(tmp_path, server.token, wait="sleep")
    path = exec_kubeconfig(server, tmp_path, plugin)
    assert kubeconfig_contexts(str(path)) == (("login",), "login")
    assert uses_credential_plugin(str(path), "login")
    plain = server.kubeconfig(tmp_path / "plain", context="plain")
    assert not uses_credential_plugin(str(plain), None)
