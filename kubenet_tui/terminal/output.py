"""Where the command line writes: stdout and stderr that survive pipes (`| head`), encodings that cannot
carry the symbols, and terminals that want colour.

Walkthroughs (render/styled.py) are written with their styles as terminal escapes, anywhere else plainly;
rich's console is only for what is made with rich (its markup, JSON on a terminal). Lines are written
whole, which is what a pipe wants (grep), and a one-shot `check` never imports rich.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import json
import os
import sys
from typing import TYPE_CHECKING, Any, Protocol, TextIO

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

class StyledText(Protocol):
    """Text that writes its own terminal escapes (render/styled.py's Styled): printed without rich."""

    @property
    def plain(self) -> str: ...

    def to_ansi(self, colour: bool = True) -> str: ...


# Stand-ins for the symbols the output uses, on a stream that cannot encode them (PYTHONIOENCODING=latin-1,
# a C locale without UTF-8 mode); anything else becomes a \u escape rather than an exception.
ASCII_SYMBOLS = {"✔": "+", "✗": "x", "→": "->", "←": "<-", "·": ".", "…": "...", "─": "-", "—": "-", "–": "-",
                 "⚠": "!", "≤": "<=", "≥": ">=", "◀": "<"}
_ERRORS = "kubenet-tui-ascii"


def _ascii_symbols(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    text = exc.object[exc.start : exc.end]
    return "".join(ASCII_SYMBOLS.get(ch) or ch.encode("ascii", "backslashreplace").decode() for ch in text), exc.end


codecs.register_error(_ERRORS, _ascii_symbols)


def speaks_unicode(stream: object) -> bool:
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        "".join(ASCII_SYMBOLS).encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def fit_streams() -> None:
    """Make stdout and stderr write ASCII stand-ins for what their encoding cannot carry: a traceback
    there would also turn the verdict's exit code into 1 ("blocked")."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and not speaks_unicode(stream):
            stream.reconfigure(errors=_ERRORS)


def isatty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # closed
        return False


def _pipe_safe_console(**options: Any) -> Console:
    from rich.console import Console

    class PipeSafeConsole(Console):
        """A reader that stops early (`| head`) must not turn the verdict's exit code into rich's
        SystemExit(1), which would read as "blocked": drop the rest of the output and carry on."""

        def on_broken_pipe(self) -> None:
            if self.quiet:
                return
            _silence(self.file)
            self.quiet = True

    return PipeSafeConsole(**options)


def _silence(stream: object) -> None:
    """Send the rest of a stream whose reader has gone to /dev/null."""
    fileno = getattr(stream, "fileno", None)
    if fileno is None:
        return
    with contextlib.suppress(OSError, ValueError):  # already closed, or not a real file
        os.dup2(os.open(os.devnull, os.O_WRONLY), fileno())


class Printer:
    """One output stream: rich on a terminal, plain text elsewhere."""

    def __init__(self, stream: TextIO, *, stderr: bool = False) -> None:
        self.stream = stream
        self.stderr = stderr
        self.terminal = isatty(stream)
        self._console: Console | None = None
        self._gone = False  # the reader went away (a closed pipe): drop the rest

    @property
    def console(self) -> Console:
        """A rich console on this stream (created when first needed: it costs a tenth of a start)."""
        if self._console is None:
            self._console = _pipe_safe_console(file=self.stream, stderr=self.stderr, highlight=False,
                                               soft_wrap=not self.terminal)
        return self._console

    def text(self, text: StyledText | Text | str) -> None:
        """A rendered text (or a plain line)."""
        if not isinstance(text, str) and hasattr(text, "to_ansi"):
            styles = self.terminal and os.environ.get("TERM", "").lower() not in ("dumb", "unknown")
            # NO_COLOR (no-color.org: set and not empty) keeps bold, dim and reverse, as rich does.
            self.write((text.to_ansi(colour=not os.environ.get("NO_COLOR")) if styles else text.plain) + "\n")
            return
        if self.terminal:
            self.console.print(text, soft_wrap=True, markup=False, highlight=False)
            return
        self.write((text if isinstance(text, str) else text.plain) + "\n")

    def json(self, data: Any) -> None:
        # On a stream that cannot carry Unicode, \u escapes keep the JSON exact (symbols would be replaced).
        if self.terminal:
            self.console.print_json(json.dumps(data), ensure_ascii=not speaks_unicode(self.stream))
            return
        self.write(json.dumps(data, indent=2, ensure_ascii=not speaks_unicode(self.stream)) + "\n")

    def write(self, text: str) -> None:
        if self._gone:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except BrokenPipeError:
            self._gone = True
            _silence(self.stream)

    def print(self, *objects: Any, **options: Any) -> None:
        """rich's print, markup and all (the plain overview, messages with styles)."""
        self.console.print(*objects, **options)
