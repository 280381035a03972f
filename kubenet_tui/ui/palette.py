"""NO_COLOR that stays readable. Textual turns colours into greys of the same luminance; words drawn in
red on a dark background (BLOCKED, ✗) then come out dark grey on black, unreadable exactly where they
matter most. This filter does the same conversion and then lifts any text too close to its background
to white (or black on a light background), so every word keeps its contrast without colour."""

from __future__ import annotations

from functools import lru_cache

from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import LineFilter, monochrome_style

MIN_CONTRAST = 0.35  # difference in perceived brightness (0..1) below which text is lifted


@lru_cache(1024)
def readable_style(style: Style, background: Color) -> Style:
    mono = monochrome_style(style)
    if mono.color is None or mono.reverse:
        return mono
    foreground = Color.from_rich_color(mono.color)
    behind = Color.from_rich_color(mono.bgcolor) if mono.bgcolor is not None else background.monochrome
    if abs(foreground.brightness - behind.brightness) >= MIN_CONTRAST:
        return mono
    lifted = Color(255, 255, 255) if behind.brightness < 0.5 else Color(0, 0, 0)
    return mono + Style(color=lifted.rich_color)


class ReadableMonochrome(LineFilter):
    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [Segment(text, readable_style(style, background) if style is not None else None, None)
                for text, style, _ in segments]
