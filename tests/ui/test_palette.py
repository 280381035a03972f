"""NO_COLOR: the most important words survive the palette (issue 9, item 14: BLOCKED was drawn dark grey
on black). Every verdict word also carries its symbol, so it reads without colour at all."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual.app import App
from textual.color import Color

from kubenet_tui.ui.app import make_app
from kubenet_tui.ui.palette import MIN_CONTRAST, readable_style
from tests.ui.fakes import screen_text
from tests.ui.helpers import BLOCKED_5432, DEMO_SHOP, keys, wait_for_data


def drawn(app: App[object]) -> list[Segment]:
    """The segments the terminal gets for the whole screen, filters applied."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, color_system="truecolor",
                      legacy_windows=False)
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    return [s for s in console.render(update) if not s.control and s.text.strip()]


def contrast(style: Style) -> float:
    assert style.color is not None and style.bgcolor is not None, style
    fg, bg = Color.from_rich_color(style.color), Color.from_rich_color(style.bgcolor)
    if style.reverse:
        fg, bg = bg, fg
    return abs(fg.brightness - bg.brightness)


def test_dark_red_on_black_is_lifted_and_readable_greys_are_kept() -> None:
    black = Color(18, 18, 18)
    red = readable_style(Style(color="#cc2222", bgcolor="#121212", bold=True), black)
    assert red.bold and red.color is not None and red.color.triplet is not None
    assert red.color.triplet.red == red.color.triplet.green == 255  # grey, and white: readable
    dim = readable_style(Style(color="#97a4ad", bgcolor="#121212"), black)
    assert dim.color is not None and dim.color.triplet is not None and dim.color.triplet.red < 200  # kept
    on_default = readable_style(Style(color="#aa0000"), black)  # no background: the screen's
    assert on_default.color is not None and on_default.color.triplet is not None
    assert on_default.color.triplet.red == 255


async def test_no_color_verdict_words_keep_their_contrast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(DEMO_SHOP)
    assert app.no_color
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, *BLOCKED_5432)
        text = screen_text(app)
        assert "✗ BLOCKED" in text and "✔ egress" in text
        words = [s for s in drawn(app) if "BLOCKED" in s.text or "✗" in s.text]
        assert len(words) >= 3  # the connection bar, the banner, the tree
        for segment in words:
            assert segment.style is not None
            assert contrast(segment.style) >= MIN_CONTRAST, (segment.text, segment.style)
            for color in (segment.style.color, segment.style.bgcolor):
                assert color is not None and color.triplet is not None
                assert len(set(color.triplet)) == 1  # grey: no colour
