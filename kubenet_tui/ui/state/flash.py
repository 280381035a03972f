"""Flash messages (k9s `flash.go`): one line above the footer saying what just happened; errors stay longer.
The clock is injected, so expiry is tested without waiting."""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum

from kubenet_tui.engine.records import record


class FlashLevel(Enum):
    INFO = "info"
    ERROR = "error"


LIFETIME = {FlashLevel.INFO: 4.0, FlashLevel.ERROR: 8.0}  # seconds


@record
class FlashMessage:
    text: str
    level: FlashLevel
    at: float  # clock time it was shown

    @property
    def line(self) -> str:
        """As drawn: errors start with `!`, so they read as such without colour."""
        return ("! " if self.level is FlashLevel.ERROR else "") + self.text


class Flash:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.message: FlashMessage | None = None

    def info(self, text: str) -> None:
        self.message = FlashMessage(text, FlashLevel.INFO, self.clock())

    def error(self, text: str) -> None:
        self.message = FlashMessage(text, FlashLevel.ERROR, self.clock())

    def clear(self) -> None:
        self.message = None

    @property
    def shown(self) -> bool:
        return self.message is not None

    def expires_in(self) -> float | None:
        """Seconds until the current message goes away (None: nothing shown)."""
        message = self.message
        if message is None:
            return None
        return max(0.0, message.at + LIFETIME[message.level] - self.clock())

    def expire(self) -> bool:
        """Drop the message if its time is up; True when that changed what is shown."""
        if self.message is not None and self.expires_in() == 0.0:
            self.message = None
            return True
        return False
