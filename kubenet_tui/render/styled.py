"""Styled text for the command line, and for the explorer through rich.

The walkthroughs are text with a few styles (bold, dim, reverse, eight colours). `check` prints them and
exits: it writes the styles as terminal escapes itself (or none, through a pipe, under NO_COLOR or on a
dumb terminal), so the command never imports rich — rich is a fifth of a `check --demo` to import. The
explorer converts them to rich Text (`to_rich`), which Textual draws.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text

# SGR parameters of the style words the renderers use.
_SGR = {"bold": "1", "dim": "2", "italic": "3", "underline": "4", "reverse": "7",
        "black": "30", "red": "31", "green": "32", "yellow": "33", "blue": "34", "magenta": "35", "cyan": "36",
        "white": "37"}
_COLOURS = frozenset({"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"})
# Control characters a name or label read from a manifest could carry into the terminal (a carriage
# return that rewrites the verdict's line, an escape sequence): dropped, as rich drops some of them.
# Newlines and tabs are the renderers' own.
_CONTROLS = dict.fromkeys([*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0)])


class Styled:
    """Text made of runs, each with a rich-style string ("bold green", "" for none)."""

    __slots__ = ("_runs",)

    def __init__(self, text: str = "", style: str = "") -> None:
        self._runs: list[tuple[str, str]] = []
        self.append(text, style)

    def append(self, text: str, style: str = "") -> Styled:
        if text:
            self._runs.append((text.translate(_CONTROLS), style))
        return self

    def append_text(self, other: Styled) -> Styled:
        self._runs.extend(other._runs)
        return self

    @property
    def plain(self) -> str:
        return "".join(text for text, _ in self._runs)

    def __str__(self) -> str:
        return self.plain

    def __repr__(self) -> str:
        return f"Styled({self.plain!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Styled) and self._runs == other._runs

    __hash__ = None  # type: ignore[assignment]  # mutable, as rich's Text

    def to_ansi(self, colour: bool = True) -> str:
        """The text with SGR escapes (`colour=False`: bold, dim and reverse only, for NO_COLOR)."""
        out: list[str] = []
        for text, style in self._runs:
            codes = [_SGR[word] for word in style.split() if word in _SGR and (colour or word not in _COLOURS)]
            if not codes:
                out.append(text)
                continue
            start = f"\x1b[{';'.join(codes)}m"
            # Styles end at each line's end, so a pager or a cut line never carries them over.
            out.append("\n".join(f"{start}{line}\x1b[0m" if line else "" for line in text.split("\n")))
        return "".join(out)

    def to_rich(self) -> Text:
        from rich.text import Text

        text = Text()
        for run, style in self._runs:
            text.append(run, style=style or None)
        return text
