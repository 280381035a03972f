"""A keyboard-first table that draws only the rows on screen (Textual's Line API).

A DataTable holding 50,000 rows takes seconds to fill; this one is handed a lazy `Rows` sequence and
renders the visible window, so any size costs the same. Arrows or j/k move, PgUp/PgDn and g/G jump,
enter chooses. The cursor row, and marks shown in a two-cell gutter (S/D for source/destination),
are styled through component classes in app.tcss.

| Key | Action |
| --- | --- |
| up / k, down / j | move the cursor |
| pageup / ctrl+b, pagedown / ctrl+f | move a page |
| home / g, end / G | first / last row |
| enter | choose the row (details) |
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from kubenet_tui.ui.tables import EmptyRows, Rows, fit_columns

GUTTER = 2


class VirtualTable(Widget, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("pageup,ctrl+b", "page(-1)", "Page up", show=False),
        Binding("pagedown,ctrl+f", "page(1)", "Page down", show=False),
        Binding("home,g", "first", "First row", show=False),
        Binding("end,G", "last", "Last row", show=False),
        Binding("enter", "choose", "Details", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "virtual-table--header",
        "virtual-table--cursor",
        "virtual-table--cursor-blurred",
        "virtual-table--mark",
        "virtual-table--empty",
    }

    cursor: reactive[int] = reactive(0, init=False)
    """Index of the highlighted row among the rows shown (after filtering)."""

    class Highlighted(Message):
        """The cursor moved to another row (`key` None: the table is empty)."""

        def __init__(self, table: VirtualTable, key: str | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> VirtualTable:
            return self.table

    class Chosen(Message):
        """Enter (or a double click) on a row."""

        def __init__(self, table: VirtualTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> VirtualTable:
            return self.table

    def __init__(self, empty_text: str = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.rows: Rows = EmptyRows()
        self.empty_text = empty_text
        self.marks: Mapping[str, str] = {}
        self._top = 0

    # --- data in -------------------------------------------------------------------------------------

    def set_rows(self, rows: Rows, keep: str | None = None, empty_text: str | None = None) -> None:
        """Show `rows`; put the cursor on the row with key `keep` when present, else on the first row."""
        self.rows = rows
        if empty_text is not None:
            self.empty_text = empty_text
        position = rows.position(keep) if keep is not None else None
        self._top = 0
        self._move_to(position if position is not None else 0, force=True)
        self.refresh()

    def set_marks(self, marks: Mapping[str, str]) -> None:
        self.marks = marks
        self.refresh()

    @property
    def cursor_key(self) -> str | None:
        if not len(self.rows):
            return None
        return self.rows.key(min(self.cursor, len(self.rows) - 1))

    def select_key(self, key: str) -> bool:
        position = self.rows.position(key)
        if position is None:
            return False
        self._move_to(position)
        return True

    # --- cursor ----------------------------------------------------------------------------------------

    @property
    def page_size(self) -> int:
        return max(1, self.size.height - 1)

    def _move_to(self, index: int, force: bool = False) -> None:
        count = len(self.rows)
        index = max(0, min(index, count - 1)) if count else 0
        previous = self.cursor
        self.set_reactive(VirtualTable.cursor, index)
        self._scroll_to_cursor()
        self._update_subtitle()
        self.refresh()
        if force or previous != index:
            self.post_message(self.Highlighted(self, self.cursor_key))

    def _scroll_to_cursor(self) -> None:
        visible = self.page_size
        if self.cursor < self._top:
            self._top = self.cursor
        elif self.cursor >= self._top + visible:
            self._top = self.cursor - visible + 1
        self._top = max(0, min(self._top, max(0, len(self.rows) - visible)))

    def _update_subtitle(self) -> None:
        count = len(self.rows)
        self.border_subtitle = f"{self.cursor + 1}/{count}" if count else f"0 {self.rows.noun}"

    def action_move(self, delta: int) -> None:
        self._move_to(self.cursor + delta)

    def action_page(self, delta: int) -> None:
        self._move_to(self.cursor + delta * self.page_size)

    def action_first(self) -> None:
        self._move_to(0)

    def action_last(self) -> None:
        self._move_to(len(self.rows) - 1)

    def action_choose(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.Chosen(self, key))

    # --- mouse (never required) ------------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        row = self._top + event.y - 1
        if event.y >= 1 and row < len(self.rows):
            self._move_to(row)
            if event.chain >= 2:
                self.action_choose()

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self._move_to(self.cursor + 3)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self._move_to(self.cursor - 3)

    def on_resize(self, event: events.Resize) -> None:
        self._scroll_to_cursor()
        self.refresh()

    def render_lines(self, crop: Region) -> list[Strip]:
        # The window is settled against the size at drawing time: rows may arrive before layout.
        self._scroll_to_cursor()
        return super().render_lines(crop)

    def on_focus(self, event: events.Focus) -> None:
        self.refresh()

    def on_blur(self, event: events.Blur) -> None:
        self.refresh()

    # --- drawing ---------------------------------------------------------------------------------------

    def _line(self, cells: tuple[str | Text, ...], widths: list[int], style: Style) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis")
        first = True
        for cell, width, column in zip(cells, widths, self.rows.columns, strict=False):
            if width <= 0:
                continue
            if not first:
                line.append(" ")
            first = False
            text = cell.copy() if isinstance(cell, Text) else Text(cell)
            text.no_wrap = True
            if text.cell_len > width:
                text.truncate(width, overflow="ellipsis")
            pad = width - text.cell_len
            if column.align == "right":
                line.append(" " * pad)
                line.append_text(text)
            else:
                line.append_text(text)
                line.append(" " * pad)
        line.stylize(style)
        return line

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        rows = self.rows
        if width <= 0:
            return Strip.blank(0)
        widths = fit_columns(rows.columns, max(0, width - GUTTER))
        if y == 0:
            header = self.get_component_rich_style("virtual-table--header")
            titles = tuple(c.title for c in rows.columns)
            text = Text(" " * GUTTER) + self._line(titles, widths, Style())
            return self._strip(text, width, base + header)
        index = self._top + y - 1
        if not len(rows):
            if y == 1 and self.empty_text:
                empty = self.get_component_rich_style("virtual-table--empty")
                return self._strip(Text(" " * GUTTER + self.empty_text), width, base + empty)
            return Strip.blank(width, base)
        if index >= len(rows):
            return Strip.blank(width, base)
        key = rows.key(index)
        mark = self.marks.get(key, "")
        text = Text()
        if mark:
            text.append(mark[:GUTTER], style=self.get_component_rich_style("virtual-table--mark"))
        text.append(" " * (GUTTER - len(mark[:GUTTER])))
        text.append_text(self._line(rows.cells(index), widths, Style(bold=bool(mark))))
        style = base
        if index == self.cursor:
            cursor = "virtual-table--cursor" if self.has_focus else "virtual-table--cursor-blurred"
            style = base + self.get_component_rich_style(cursor)
        return self._strip(text, width, style)

    def _strip(self, text: Text, width: int, style: Style) -> Strip:
        text.truncate(width, overflow="ellipsis", pad=True)
        segments = [Segment(s.text, style + s.style if s.style else style) for s in text.render(self.app.console)]
        return Strip(segments, width).crop(0, width)
