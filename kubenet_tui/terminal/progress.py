"""A one-line progress note on stderr for the headless commands: what is being done and for how long.

Only on a terminal: a pipe, a file or a JSON consumer never sees it. Nothing is drawn for the first
half second (a quick command stays silent), the line is rewritten in place while a phase runs, and
it is erased when the phase ends, before the command writes anything else, so it never mixes with
the output. The engine knows nothing of it: the command names its phases around the engine's calls.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

DELAY = 0.5  # seconds before the first draw
INTERVAL = 0.2  # seconds between redraws


class Progress:
    def __init__(self, stream: TextIO, enabled: bool | None = None) -> None:
        self.stream = stream
        if enabled is None:
            isatty = getattr(stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self.started = time.monotonic()
        self._phase: str | None = None
        self._drawn = False
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False

    @contextmanager
    def phase(self, text: str) -> Iterator[None]:
        """Show `text` (with the elapsed time) while the block runs; erase it when the block ends."""
        if not self.enabled:
            yield
            return
        with self._lock:
            self._phase = text
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="progress", daemon=True)
            self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                self._phase = None
                self._erase()

    def close(self) -> None:
        if self._thread is None:
            return
        with self._lock:
            self._closed = True
            self._phase = None
            self._erase()
        self._wake.set()
        self._thread.join(1.0)

    def _run(self) -> None:
        while True:
            self._wake.wait(INTERVAL)
            with self._lock:
                if self._closed:
                    return
                elapsed = time.monotonic() - self.started
                if self._phase is not None and elapsed >= DELAY:
                    self._draw(self._phase, f" ... {elapsed:.1f} s")

    def _draw(self, phase: str, suffix: str) -> None:
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, OSError, ValueError):
            columns = 0
        # One character short of the width: a line that fills it would wrap, and \r could not erase it.
        # A long phase (a path) loses its beginning, never the elapsed time.
        prefix = "kubenet-tui: "
        room = max((columns or 80) - 1 - len(prefix) - len(suffix), 8)
        if len(phase) > room:
            phase = "..." + phase[-(room - 3) :]
        try:
            self.stream.write("\r\x1b[2K" + prefix + phase + suffix)
            self.stream.flush()
            self._drawn = True
        except (OSError, ValueError):  # the terminal went away: progress is a courtesy, stop drawing
            self._closed = True

    def _erase(self) -> None:
        if not self._drawn:
            return
        try:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
        except (OSError, ValueError):
            pass
        self._drawn = False
