"""Sources injected into the explorer in tests: slow, failing, pushing; and a plain-text screen reader."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable

from rich.console import Console
from textual.app import App

from kubenet_tui.sources.base import Snapshot, SourceError
from kubenet_tui.sources.demo import DemoSource


def screen_text(app: App[object]) -> str:
    """What the terminal shows, as plain text (what a user would read; no styles)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, color_system=None,
                      record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False)


class GatedSource:
    """The demo, but `load` waits until the test opens the gate: the loading state can be looked at."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.loads = 0

    def load(self) -> Snapshot:
        self.loads += 1
        if not self.gate.wait(timeout=30):
            raise SourceError("gate never opened")
        return DemoSource().load()

    def watch(self, on_snapshot: Callable[[Snapshot], None], stop: threading.Event) -> None:
        return None


class FlakySource:
    """Fails `failures` times with a SourceError (a dead API server), then serves the demo."""

    def __init__(self, failures: int = 1) -> None:
        self.failures = failures
        self.loads = 0

    def load(self) -> Snapshot:
        self.loads += 1
        if self.loads <= self.failures:
            raise SourceError("cannot reach https://10.0.0.1:6443: connection refused")
        return DemoSource().load()

    def watch(self, on_snapshot: Callable[[Snapshot], None], stop: threading.Event) -> None:
        return None


class PushingSource:
    """Serves the demo, then pushes one more snapshot from its watch thread when told to."""

    def __init__(self) -> None:
        self.push = threading.Event()
        self.snapshot = DemoSource().load()

    def load(self) -> Snapshot:
        return self.snapshot

    def watch(self, on_snapshot: Callable[[Snapshot], None], stop: threading.Event) -> None:
        while not stop.is_set():
            if self.push.wait(timeout=0.05):
                self.push.clear()
                on_snapshot(self.next)

    next: Snapshot
