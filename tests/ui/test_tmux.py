"""The real `kubenet-tui --demo -n shop` in a real terminal (tmux), driven with send-keys and read with
capture-pane: the flow of issue 4 at 80x24 and 120x40, under xterm-256color, screen-256color and NO_COLOR.

Bounded waits only: every wait polls the pane and gives up after a few seconds with the pane in the
failure message. Skipped when tmux is not installed.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    """One tmux server of our own (its own socket), so the user's sessions are never touched."""

    def __init__(self) -> None:
        self.socket = f"kubenet-test-{uuid.uuid4().hex[:8]}"
        self.session = "app"

    def run(self, *args: str) -> str:
        result = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10)
        return result.stdout

    def start(self, command: str, width: int, height: int, env: dict[str, str]) -> None:
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        shell = f"env {exports} {command}; echo EXITED $?; sleep 30"
        self.run("new-session", "-d", "-s", self.session, "-x", str(width), "-y", str(height), shell)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.session)

    def keys(self, *keys: str) -> None:
        for key in keys:
            if key in ("Enter", "Escape", "Tab"):
                self.run("send-keys", "-t", self.session, key)
            else:
                self.run("send-keys", "-t", self.session, "-l", key)

    def wait_for(self, check: Callable[[str], bool], what: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if check(text):
                return text
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}; the pane shows:\n{text}")

    def kill(self) -> None:
        self.run("kill-server")


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    session = Tmux()
    yield session
    session.kill()


@pytest.mark.parametrize(
    ("size", "term", "no_color"),
    [((80, 24), "xterm-256color", False), ((120, 40), "screen-256color", True)],
    ids=["80x24-xterm", "120x40-screen-nocolor"],
)
def test_real_app_flow_in_tmux(tmux: Tmux, size: tuple[int, int], term: str, no_color: bool) -> None:
    env = {"TERM": term, "PYTHONPATH": os.getcwd()}
    if no_color:
        env["NO_COLOR"] = "1"
    tmux.start(f"{shlex.quote(sys.executable)} -m kubenet_tui --demo -n shop", *size, env)
    tmux.wait_for(lambda s: "frontend" in s and "1/5" in s, "the pods of shop")

    # Typed in bursts, as a fast typist over SSH would: the app keeps the order.
    tmux.keys("/frontend", "Enter", "s", "/db", "Enter", "d", "p6379", "Enter")
    # The verdict arrives in one handler, its tree may paint a frame later: wait for both.
    # (Before the port arrives, "which ports?" already names 6379 ALLOWED: wait for the verdict's mark.)
    screen = tmux.wait_for(lambda s: "✔ ALLOWED" in s and "test-network-policy" in s, "ALLOWED")
    assert "✔ ALLOWED" in screen
    assert "test-network-policy" in screen
    assert "shop/frontend → shop/db" in screen

    tmux.keys("p5432", "Enter")
    screen = tmux.wait_for(lambda s: "✗ BLOCKED" in s and "5432" in s and "isolated for ingress" in s, "BLOCKED")
    assert "✗ BLOCKED" in screen
    assert "isolated for ingress" in screen

    tmux.keys("q")
    tmux.wait_for(lambda s: "EXITED 0" in s, "a clean exit")


INTERACTIVE_LOGIN = """#!{python}
import json, os, sys
open({pid!r}, "w").write(str(os.getpid()))
print("To sign in, open https://login.example/device and enter the code shown there:", file=sys.stderr, flush=True)
code = sys.stdin.readline().strip()
print(json.dumps({{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                  "status": {{"token": {token!r} if code == "WXYZ" else "wrong"}}}}))
"""


def test_ctx_hands_the_terminal_to_a_login_and_ctrl_c_cancels_it(tmux: Tmux, tmp_path: object) -> None:
    """Issue 9, item 5: `:ctx` to a context whose exec plugin needs the user. The explorer steps aside
    (as at start-up) while the plugin asks; the answer goes to the plugin, the explorer comes back on
    the new context; ctrl+c cancels a login; nothing is left running after q."""
    from pathlib import Path

    from tests.processes import alive
    from tests.ui.test_live import _apiserver, multi_kubeconfig

    module = _apiserver()
    server = module.FakeApiServer().start()
    try:
        import yaml

        from kubenet_tui.sources.demo import demo_texts

        for _, text in demo_texts():
            for obj in yaml.safe_load_all(text):
                if obj and obj.get("kind") in module.KIND_TO_PLURAL:
                    server.put(obj)
        base = Path(str(tmp_path))
        pid = base / "plugin.pid"
        plugin = base / "cloud-login"
        plugin.write_text(INTERACTIVE_LOGIN.format(python=sys.executable, pid=str(pid), token=server.token))
        plugin.chmod(0o755)
        kubeconfig = multi_kubeconfig(server, base / "kc", {
            "fake-prod": {"namespace": "shop"},
            "login": {"namespace": "payments", "user": {"exec": {
                "apiVersion": "client.authentication.k8s.io/v1", "command": str(plugin)}}},
        })
        env = {"TERM": "xterm-256color", "PYTHONPATH": os.getcwd(), "HOME": str(base), "KUBECONFIG": str(kubeconfig)}
        tmux.start(f"{shlex.quote(sys.executable)} -m kubenet_tui", 80, 24, env)
        tmux.wait_for(lambda s: "frontend" in s and "ctx fake-prod" in s, "the pods of shop")

        tmux.keys(":ctx login", "Enter")
        screen = tmux.wait_for(lambda s: "enter the code shown there" in s, "the plugin's own prompt")
        assert "running its credential plugin" in screen and "ctrl+c cancels" in screen
        tmux.keys("WXYZ", "Enter")  # typed to the plugin, not to the explorer
        tmux.wait_for(lambda s: "ctx login" in s and "ledger-0" in s, "the login context, in its namespace")
        assert not alive(pid)

        tmux.keys(":ctx login", "Enter")
        # The terminal still holds the first login's lines: wait for the second prompt.
        tmux.wait_for(lambda s: s.count("enter the code shown there") == 2, "the plugin asking again")
        tmux.run("send-keys", "-t", tmux.session, "C-c")
        screen = tmux.wait_for(lambda s: "cancelled" in s, "the explorer back, the login cancelled")
        assert "EXITED" not in screen and not alive(pid)
        tmux.keys("q")
        tmux.wait_for(lambda s: "EXITED 0" in s, "a clean exit")
    finally:
        server.stop()


def test_a_suggested_fix_tried_as_a_what_if_in_the_real_app(tmux: Tmux) -> None:
    """Issue 14: the overlay through a real terminal at 80x24: t on a blocked verdict tries its fix, the
    header and the verdict say so (with the change, and now), :whatif off drops it."""
    tmux.start(f"{shlex.quote(sys.executable)} -m kubenet_tui --demo -n shop", 80, 24,
               {"TERM": "xterm-256color", "PYTHONPATH": os.getcwd()})
    tmux.wait_for(lambda s: "frontend" in s and "1/5" in s, "the pods of shop")
    tmux.keys("/frontend", "Enter", "s", "/db", "Enter", "d", "p5432", "Enter")
    tmux.wait_for(lambda s: "✗ BLOCKED" in s and "5432" in s, "BLOCKED")
    tmux.keys("t")
    screen = tmux.wait_for(lambda s: "⚑ what-if" in s and "with the change" in s, "the what-if")
    assert "✔ ALLOWED" in screen
    tmux.keys(":whatif off", "Enter")
    screen = tmux.wait_for(lambda s: "⚑ what-if" not in s and "✗ BLOCKED" in s, "the what-if dropped")
    tmux.keys("q")
    tmux.wait_for(lambda s: "EXITED 0" in s, "a clean exit")
