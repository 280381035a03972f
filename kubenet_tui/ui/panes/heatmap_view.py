"""The heatmap pane as a plain model: namespaces x namespaces, a cursor, scrolling, and the drill-down.

`HeatmapView` holds a computed `engine.heatmap.Heatmap` and what the pane shows of it: the cursor
(source namespace row, destination namespace column), the scroll offsets, and `lines(width, height)`,
the text of the pane at that size. Each cell is a symbol and a shade: the symbol reads without colour
(✔ every pair allowed, ◐ some, ✗ none, ? cannot tell without data that was not read), the shade is the
share of allowed pairs. `cell_at(row, col)` gives a pane what it needs to colour a cell.

Keys (`key(name)`): arrows and h/j/k/l move, pageup/pagedown and home/end (g/G) jump, enter drills into
the pod-by-pod grid of the cell under the cursor (`GridView`); in the grid, enter chooses the pair
(the `ChoosePair` effect: set source and destination and explain), escape goes back to the heatmap.
"""

from __future__ import annotations

from enum import StrEnum

from kubenet_tui.engine.heatmap import Heatmap, PairStatus
from kubenet_tui.engine.model import Pod
from kubenet_tui.engine.records import record


class Mark(StrEnum):
    """What a cell says about its pod pairs, without colour."""

    ALL = "all"  # every pair allowed
    SOME = "some"  # some pairs allowed, some blocked (pairs that cannot be told may be among them)
    NONE = "none"  # every pair blocked
    UNKNOWN = "unknown"  # whether all, some or none cannot be told: data that decides it was not read
    EMPTY = "empty"  # no pairs (a namespace without pods that carry traffic)


SYMBOLS = {Mark.ALL: "✔", Mark.SOME: "◐", Mark.NONE: "✗", Mark.UNKNOWN: "?", Mark.EMPTY: "·"}
ASCII_SYMBOLS = {Mark.ALL: "+", Mark.SOME: "~", Mark.NONE: "x", Mark.UNKNOWN: "?", Mark.EMPTY: "."}
# The share of allowed pairs: none, up to a third, up to two thirds, more, all.
SHADES = (" ", "░", "▒", "▓", "█")
ASCII_SHADES = (" ", ".", ":", "#", "@")
PAIR_SYMBOLS = {PairStatus.ALLOWED: "✔", PairStatus.BLOCKED: "✗", PairStatus.UNKNOWN: "?"}
ASCII_PAIR_SYMBOLS = {PairStatus.ALLOWED: "+", PairStatus.BLOCKED: "x", PairStatus.UNKNOWN: "?"}


def mark(allowed: int, unknown: int, pairs: int) -> Mark:
    """The cell's symbol: never a confident answer that unknown pairs could turn."""
    blocked = pairs - allowed - unknown
    if pairs == 0:
        return Mark.EMPTY
    if allowed and blocked:
        return Mark.SOME  # true whatever the unknown pairs are
    if unknown:
        return Mark.UNKNOWN
    return Mark.ALL if allowed else Mark.NONE


def shade_level(allowed: int, pairs: int) -> int:
    """0 (no pair allowed) to 4 (all allowed); 1-3 split the rest in thirds."""
    if pairs == 0 or allowed == 0:
        return 0
    if allowed == pairs:
        return 4
    return 1 + min(2, 3 * allowed // pairs)


@record
class Cell:
    """One namespace pair, as a pane shows and colours it."""

    source: str
    destination: str
    allowed: int
    unknown: int
    pairs: int

    @property
    def blocked(self) -> int:
        return self.pairs - self.allowed - self.unknown

    @property
    def mark(self) -> Mark:
        return mark(self.allowed, self.unknown, self.pairs)

    @property
    def share(self) -> float:
        """Allowed pairs over all pairs (0 for an empty cell)."""
        return self.allowed / self.pairs if self.pairs else 0.0

    def text(self, unicode: bool = True) -> str:
        symbols, shades = (SYMBOLS, SHADES) if unicode else (ASCII_SYMBOLS, ASCII_SHADES)
        return symbols[self.mark] + shades[shade_level(self.allowed, self.pairs)]

    def describe(self) -> str:
        if not self.pairs:
            return f"{self.source} -> {self.destination}: no pods that carry traffic"
        text = (f"{self.source} -> {self.destination}: {self.allowed:,} of {self.pairs:,} pod pairs allowed "
                f"({100 * self.share:.0f}%)")
        if self.unknown:
            text += f", {self.unknown:,} unknown"
        return text + f", {self.blocked:,} blocked"


@record
class DrillDown:
    """Effect: show the pod-by-pod grid of one namespace pair (`view.grid` is set)."""

    source: str
    destination: str


@record
class ChoosePair:
    """Effect: make these the connection's source and destination and explain it (on `port`, the
    heatmap's: `None` every port of `protocol`)."""

    source: Pod
    destination: Pod
    protocol: str
    port: int | str | None


@record
class Back:
    """Effect: the grid was closed; the heatmap shows again."""


Effect = DrillDown | ChoosePair | Back

MOVES = {
    "up": (-1, 0), "k": (-1, 0), "down": (1, 0), "j": (1, 0),
    "left": (0, -1), "h": (0, -1), "right": (0, 1), "l": (0, 1),
}
LEGEND = "✔ all  ◐ some  ✗ none  ? unknown  shade: share allowed"
ASCII_LEGEND = "+ all  ~ some  x none  ? unknown  shade: share allowed"


def port_words(heatmap: Heatmap) -> str:
    protocol = heatmap.protocol.value
    if heatmap.port_name is not None:
        return f"port {heatmap.port_name}/{protocol}"
    if heatmap.port is None:
        return f"any {protocol} port (all allowed)"
    return f"{heatmap.port}/{protocol}"


_ASCII = str.maketrans({"·": "-", "…": ".", "→": ">"})


def _plain(lines: list[str], unicode: bool) -> list[str]:
    """Lines for a terminal that cannot show Unicode: one ASCII character for each (widths stay)."""
    return lines if unicode else [line.translate(_ASCII) for line in lines]


def _fit(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    return text[: max(0, width - 1)] + "…" if width > 0 else ""


class _Scroller:
    """A cursor over a rows x columns grid and the window that keeps it in view."""

    def __init__(self, rows: int, columns: int) -> None:
        self.rows, self.columns = rows, columns
        self.row = self.column = 0
        self.top = self.left = 0
        self.visible_rows = self.visible_columns = 1

    def move(self, rows: int, columns: int) -> None:
        self.row = min(max(0, self.row + rows), max(0, self.rows - 1))
        self.column = min(max(0, self.column + columns), max(0, self.columns - 1))
        self.follow()

    def home(self) -> None:
        self.row = self.column = 0
        self.follow()

    def end(self) -> None:
        self.row, self.column = max(0, self.rows - 1), max(0, self.columns - 1)
        self.follow()

    def page(self, direction: int) -> None:
        self.move(direction * max(1, self.visible_rows - 1), 0)

    def window(self, visible_rows: int, visible_columns: int) -> None:
        self.visible_rows, self.visible_columns = max(1, visible_rows), max(1, visible_columns)
        self.follow()

    def follow(self) -> None:
        """Scroll just enough for the cursor to be in view."""
        if self.row < self.top:
            self.top = self.row
        elif self.row >= self.top + self.visible_rows:
            self.top = self.row - self.visible_rows + 1
        if self.column < self.left:
            self.left = self.column
        elif self.column >= self.left + self.visible_columns:
            self.left = self.column - self.visible_columns + 1
        self.top = max(0, min(self.top, max(0, self.rows - self.visible_rows)))
        self.left = max(0, min(self.left, max(0, self.columns - self.visible_columns)))

    def key(self, name: str) -> bool:
        """Handle a movement key; False if it is not one."""
        if name in MOVES:
            self.move(*MOVES[name])
        elif name == "pageup":
            self.page(-1)
        elif name == "pagedown":
            self.page(1)
        elif name in ("home", "g"):
            self.home()
        elif name in ("end", "G"):
            self.end()
        else:
            return False
        return True


class GridView:
    """The pods of one namespace pair: sources down, destinations across, one symbol per pair."""

    def __init__(self, heatmap: Heatmap, source: int, destination: int) -> None:
        self.heatmap = heatmap
        self.source, self.destination = source, destination
        self.rows = heatmap.namespace_pods(source)
        self.columns = heatmap.namespace_pods(destination)
        self._row_positions = heatmap._pods_of[source]
        self._column_positions = heatmap._pods_of[destination]
        self.cursor = _Scroller(len(self.rows), len(self.columns))

    def cell(self) -> Cell:
        h = self.heatmap
        a, b = self.source, self.destination
        return Cell(h.namespaces[a], h.namespaces[b], int(h.allowed[a, b]), int(h.unknown[a, b]), int(h.pairs[a, b]))

    def status(self, row: int, column: int) -> PairStatus:
        found = self.heatmap.statuses(self._row_positions[row:row + 1], self._column_positions[column:column + 1])
        return PairStatus(int(found[0, 0]))

    def key(self, name: str) -> Effect | None:
        if self.cursor.key(name):
            return None
        if name == "enter" and self.rows and self.columns:
            h = self.heatmap
            port = h.port_name if h.port_name is not None else h.port
            return ChoosePair(self.rows[self.cursor.row], self.columns[self.cursor.column], h.protocol.value, port)
        if name == "escape":
            return Back()
        return None

    def lines(self, width: int, height: int, unicode: bool = True) -> list[str]:
        symbols = PAIR_SYMBOLS if unicode else ASCII_PAIR_SYMBOLS
        arrow = "→" if unicode else "->"
        h = self.heatmap
        source, destination = h.namespaces[self.source], h.namespaces[self.destination]
        head = f"{source} {arrow} {destination} on {port_words(h)} · row: source pod, column: destination"
        number_width = len(str(max(1, len(self.columns))))
        cell_width = max(2, number_width + 1)
        label_width = min(max((len(p.name) for p in self.rows), default=4), max(8, width // 3))
        body_height = max(1, height - 4)
        self.cursor.window(body_height, max(1, (width - label_width - 1) // cell_width))
        c = self.cursor
        rows = range(c.top, min(len(self.rows), c.top + c.visible_rows))
        columns = range(c.left, min(len(self.columns), c.left + c.visible_columns))
        out = [_fit(head, width)]
        out.append(" " * (label_width + 1) + "".join(f"{j + 1:>{cell_width}}" for j in columns))
        statuses = h.statuses(self._row_positions[rows.start:rows.stop], self._column_positions[columns.start:columns.stop])
        for x, i in enumerate(rows):
            cells = []
            for y, j in enumerate(columns):
                symbol = symbols[PairStatus(int(statuses[x, y]))]
                cells.append((">" if (i, j) == (c.row, c.column) else " ") * (cell_width - 1) + symbol
                             if cell_width > 1 else symbol)
            out.append(_fit(f"{_fit(self.rows[i].name, label_width):<{label_width}} " + "".join(cells), width))
        if not self.rows or not self.columns:
            out.append("no pods on one side")
        while len(out) < height - 2:
            out.append("")
        if self.rows and self.columns:
            s, d = self.rows[c.row], self.columns[c.column]
            state = {PairStatus.ALLOWED: "allowed", PairStatus.BLOCKED: "blocked",
                     PairStatus.UNKNOWN: "unknown"}[self.status(c.row, c.column)]
            out.append(_fit(f"{s.name} {arrow} {d.name} (column {c.column + 1}): {state}", width))
        else:
            out.append("")
        out.append(_fit("enter: explain this pair · arrows/hjkl move · esc: back to namespaces", width))
        return _plain(out[:height], unicode)


class HeatmapView:
    """Namespaces x namespaces for one port; see the module doc for the keys."""

    def __init__(self, heatmap: Heatmap) -> None:
        self.heatmap = heatmap
        n = len(heatmap.namespaces)
        self.cursor = _Scroller(n, n)
        self.grid: GridView | None = None

    def replace(self, heatmap: Heatmap) -> None:
        """Show another heatmap (another port, fresh data) keeping the cursor on the same namespace pair
        when both are still there; the drill-down closes. Compute it with
        `namespace_heatmap(..., reuse=view.heatmap)` to keep the pod classes."""
        current = self.current()
        self.heatmap = heatmap
        n = len(heatmap.namespaces)
        self.cursor.rows = self.cursor.columns = n
        self.grid = None
        if current is not None and current.source in heatmap.namespaces and current.destination in heatmap.namespaces:
            self.place(current.source, current.destination)
        else:
            self.cursor.move(0, 0)

    # -- data -----------------------------------------------------------------------------------------

    @property
    def namespaces(self) -> tuple[str, ...]:
        return self.heatmap.namespaces

    def cell_at(self, row: int, column: int) -> Cell:
        h = self.heatmap
        return Cell(h.namespaces[row], h.namespaces[column], int(h.allowed[row, column]),
                    int(h.unknown[row, column]), int(h.pairs[row, column]))

    def current(self) -> Cell | None:
        if not self.namespaces:
            return None
        return self.cell_at(self.cursor.row, self.cursor.column)

    def totals(self) -> Cell:
        h = self.heatmap
        return Cell("every namespace", "every namespace", int(h.allowed.sum()), int(h.unknown.sum()),
                    int(h.pairs.sum()))

    def place(self, source: str, destination: str) -> None:
        """Put the cursor on a namespace pair (e.g. the connection's namespaces)."""
        names = self.namespaces
        if source in names and destination in names:
            self.cursor.row, self.cursor.column = names.index(source), names.index(destination)
            self.cursor.follow()

    # -- keys -----------------------------------------------------------------------------------------

    def key(self, name: str) -> Effect | None:
        if self.grid is not None:
            effect = self.grid.key(name)
            if isinstance(effect, Back):
                self.grid = None
            return effect
        if self.cursor.key(name):
            return None
        if name == "enter" and self.namespaces:
            self.grid = GridView(self.heatmap, self.cursor.row, self.cursor.column)
            return DrillDown(self.namespaces[self.cursor.row], self.namespaces[self.cursor.column])
        return None

    # -- drawing --------------------------------------------------------------------------------------

    def lines(self, width: int, height: int, unicode: bool = True) -> list[str]:
        """The pane's text at `width` x `height` (at most `height` lines, none wider than `width`)."""
        if self.grid is not None:
            return self.grid.lines(width, height, unicode)
        names = self.namespaces
        n = len(names)
        head = f"Namespaces on {port_words(self.heatmap)} · row: source, column: destination"
        if not n:
            return _plain([_fit(head, width), "no pods that carry traffic"][:height], unicode)
        number_width = len(str(n))
        cell_width = max(3, number_width + 1)  # a blank (or the cursor's >) before each cell
        name_width = min(max(len(ns) for ns in names), max(8, width // 4))
        label_width = number_width + 1 + name_width
        body_height = max(1, height - 5)
        self.cursor.window(body_height, max(1, (width - label_width - 1) // cell_width))
        c = self.cursor
        rows = range(c.top, min(n, c.top + c.visible_rows))
        columns = range(c.left, min(n, c.left + c.visible_columns))
        out = [_fit(head, width)]
        out.append(" " * (label_width + 1) + "".join(f"{j + 1:>{cell_width}}" for j in columns))
        h = self.heatmap
        block_allowed = h.allowed[rows.start:rows.stop, columns.start:columns.stop]
        block_unknown = h.unknown[rows.start:rows.stop, columns.start:columns.stop]
        block_pairs = h.pairs[rows.start:rows.stop, columns.start:columns.stop]
        for x, i in enumerate(rows):
            cells = []
            for y, j in enumerate(columns):
                cell = Cell(names[i], names[j], int(block_allowed[x, y]), int(block_unknown[x, y]),
                            int(block_pairs[x, y])).text(unicode)
                pad = ">" if (i, j) == (c.row, c.column) else " "
                cells.append(pad * (cell_width - 2) + cell)
            label = f"{i + 1:>{number_width}} {_fit(names[i], name_width):<{name_width}}"
            out.append(_fit(f"{label} " + "".join(cells), width))
        while len(out) < height - 3:
            out.append("")
        current = self.current()
        assert current is not None
        out.append(_fit(f"{c.row + 1}->{c.column + 1} {current.describe()}", width))
        out.append(_fit(LEGEND if unicode else ASCII_LEGEND, width))
        out.append(_fit("arrows/hjkl move · pgup/pgdn · enter: the pods of this pair", width))
        return _plain(out[:height], unicode)

    def full_text(self, unicode: bool = True) -> list[str]:
        """Every row and column (no window): for a file or a pipe."""
        names = self.namespaces
        n = len(names)
        lines = [f"Namespaces on {port_words(self.heatmap)}: row = source, column = destination; "
                 + (LEGEND if unicode else ASCII_LEGEND)]
        if not n:
            return [*lines, "no pods that carry traffic"]
        number_width = len(str(n))
        cell_width = max(3, number_width + 1)
        name_width = max(len(ns) for ns in names)
        label_width = number_width + 1 + name_width
        lines.append(" " * (label_width + 1) + "".join(f"{j + 1:>{cell_width}}" for j in range(n)))
        for i in range(n):
            cells = "".join(" " * (cell_width - 2) + self.cell_at(i, j).text(unicode) for j in range(n))
            lines.append(f"{i + 1:>{number_width}} {names[i]:<{name_width}} {cells}".rstrip())
        total = self.totals()
        lines.append(f"{total.allowed:,} of {total.pairs:,} pod pairs allowed"
                     + (f", {total.unknown:,} unknown" if total.unknown else ""))
        return _plain(lines, unicode)
