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

    def wait_for(self, check: Callable[[str], bool], what: str, timeout: float = 10.0) -> str:
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
    started = time.monotonic()
    tmux.wait_for(lambda s: "frontend" in s and "1/5" in s, "the pods of shop")
    first_frame = time.monotonic() - started

    # Typed in bursts, as a fast typist over SSH would: the app keeps the order.
    tmux.keys("/frontend", "Enter", "s", "/db", "Enter", "d", "p6379", "Enter")
    screen = tmux.wait_for(lambda s: "ALLOWED" in s, "ALLOWED")
    assert "✔ ALLOWED" in screen
    assert "test-network-policy" in screen
    assert "shop/frontend → shop/db" in screen

    tmux.keys("p5432", "Enter")
    screen = tmux.wait_for(lambda s: "BLOCKED" in s, "BLOCKED")
    assert "✗ BLOCKED" in screen
    assert "isolated for ingress" in screen

    tmux.keys("q")
    tmux.wait_for(lambda s: "EXITED 0" in s, "a clean exit")
    assert first_frame < 10
