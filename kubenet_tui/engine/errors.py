"""Why a question cannot be answered as asked: typed, so each front end words its own hint.

The messages here name no command-line flag or key: where the user sets the port is `--port` on the
command line and `p` in the explorer, and each front end adds that itself (see `needs_port`).
"""

from __future__ import annotations


class InputError(ValueError):
    """The question cannot be asked as given (unknown pod, bad port...). One clear line."""

    # The user must choose or correct the port: front ends add where that is done.
    needs_port: bool = False


class PortError(InputError):
    """The port given does not fit the destination (out of range, not declared, not a Service port).
    `choose`: the user must pick one of several; `suggestion`: the port they most likely meant."""

    needs_port = True

    def __init__(self, message: str, *, choose: bool = False, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.choose = choose
        self.suggestion = suggestion

    def worded(self, where: str) -> str:
        """The message with where the port is set (`--port`, `p`) worked in."""
        if self.suggestion is not None:
            return f"{self}: use {where} {self.suggestion}"
        if self.choose:
            return f"{self}: choose one with {where}"
        return str(self)


class DataMissing(InputError):
    """The answer needs data that could not be read (RBAC): the verdict is unknown, not an input error."""
