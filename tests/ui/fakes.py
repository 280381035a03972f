"""A source injected into the explorer in tests (one that blocks until told), and a plain-text screen reader."""

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
