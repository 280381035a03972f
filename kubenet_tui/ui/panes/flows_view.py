"""The Flows pane, without Textual: a flow log read as it arrives, its classes as rows (time, source,
destination, port, what the plugin did, what the policies say, the agreement mark, the count), the `/`
filter, and what Enter sets.

Threads: `FlowsSession.feed` and `FlowsSession.view` read, join and judge: call them from a worker
thread (`batches` yields a pipe's lines as they arrive, so a slow `hubble observe --follow` shows its
flows at once). A `FlowsView` is immutable: hand it to the UI thread, which only filters and draws it.
"""

from __future__ import annotations

import datetime
import io
import os
from collections.abc import Iterable, Iterator
from typing import IO

from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.flowjudge import UNKNOWN_TIME, Agreement, Answer, FlowClass, FlowJudge, FlowReport, SnapshotTime
from kubenet_tui.engine.flows import FlowAggregator, Observed
from kubenet_tui.engine.records import record
from kubenet_tui.sources.flows import Format, ReadReport, read_flows
from kubenet_tui.ui.panes.cursor import moved

COLUMNS = ("time", "source", "destination", "port", "observed", "ours", "", "count")
MARKS = {Agreement.AGREES: "✔", Agreement.DISAGREES: "✗", Agreement.UNKNOWN: "?", Agreement.NOT_COMPARED: "·"}
_OBSERVED = {Observed.ALLOWED: "allowed", Observed.DENIED: "DENIED", Observed.AUDIT: "audit", Observed.DROPPED: "dropped"}
_OURS = {Status.ALLOWED: "allowed", Status.BLOCKED: "BLOCKED", Status.UNKNOWN: "unknown",
         Status.NOT_EVALUATED: "not evaluated"}


@record
class Selection:
    """What Enter on a row sets, in the grammar the explorer's prompts take (`S`, `D`, `p`): the source
    and destination as NAMESPACE/POD, svc/NAMESPACE/NAME or an address, and the port as `5432/tcp`.
    None: that end cannot be set (`why_not` says why); the explorer keeps what it had."""

    source: str | None
    destination: str | None
    port: str | None
    why_not: str = ""


@record
class FlowRow:
    """One class of flows, as the pane shows it."""

    time: str  # when it was last seen (UTC, HH:MM:SS), "-" when the log has no time
    source: str
    destination: str
    port: str  # 5432/TCP, or the protocol alone (ICMPv4)
    observed: str  # what the plugin did, and where: "DENIED ingress"
    ours: str  # what the policies say: "BLOCKED", "allowed", "unknown", "-" (not evaluated)
    mark: str  # ✔ agrees, ✗ disagrees, ? unknown, · not compared
    count: str
    flow: FlowClass

    @property
    def cells(self) -> tuple[str, ...]:
        """The cells, in `COLUMNS` order."""
        return (self.time, self.source, self.destination, self.port, self.observed, self.ours, self.mark, self.count)

    @property
    def agreement(self) -> Agreement:
        return self.flow.agreement

    def matches(self, words: Iterable[str]) -> bool:
        """The `/` filter: every word is in some cell, or names the agreement (agrees, disagrees, unknown,
        not-compared) or the plugin; case does not matter."""
        text = " ".join((*self.cells, self.flow.agreement.value, self.flow.plugin.value,
                         self.flow.observed.value)).lower()
        return all(word in text for word in words)

    def selection(self) -> Selection:
        """What Enter sets: this class's source, destination and port (the first pod when the row stands
        for several that no policy tells apart: they all get its verdict)."""
        cls = self.flow
        why = []
        for end, word in ((cls.source, "source"), (cls.destination, "destination")):
            if end.typed is None:
                why.append(f"the {word} {end.label} is not in the snapshot"
                           + (f" ({end.notes[0].detail})" if end.notes else ""))
        port = f"{cls.port}/{cls.protocol.lower()}" if cls.port and cls.protocol in ("TCP", "UDP", "SCTP") else None
        if port is None:
            why.append(f"{self.port} is no port the policies name")
        return Selection(cls.source.typed, cls.destination.typed, port, "; ".join(why))


def row_of(cls: FlowClass) -> FlowRow:
    when = "-"
    if cls.last is not None:
        when = datetime.datetime.fromtimestamp(cls.last, datetime.UTC).strftime("%H:%M:%S")
    sides = " ".join(s.value for s in cls.sides if s is not None)
    observed = _OBSERVED[cls.observed] + (f" {sides}" if sides else "")
    port = f"{cls.port}/{cls.protocol}" if cls.port else (cls.protocol or "?")
    return FlowRow(when, cls.source.label, cls.destination.label, port, observed,
                   _OURS[cls.ours] if cls.ours is not None else "-", MARKS[cls.agreement], f"{cls.count:,}", cls)


@record(slots=False)
class FlowsView:
    """What the pane shows at one moment: rows (findings first), and a line for its title."""

    rows: tuple[FlowRow, ...]
    report: FlowReport
    read: ReadReport
    done: bool  # the whole log was read (a pipe that still runs: False)

    @property
    def title(self) -> str:
        counts = {a: self.report.count(a) for a in Agreement}
        parts = [f"{self.read.lines:,} lines", f"{len(self.rows):,} classes"]
        if counts[Agreement.DISAGREES]:
            parts.append(f"{counts[Agreement.DISAGREES]:,} disagree")
        if counts[Agreement.UNKNOWN]:
            parts.append(f"{counts[Agreement.UNKNOWN]:,} unknown")
        if self.read.malformed:
            parts.append(f"{self.read.malformed:,} malformed lines")
        return "Flows: " + ", ".join(parts) + ("" if self.done else " (reading)")

    def filtered(self, text: str) -> tuple[FlowRow, ...]:
        """The rows the `/` filter keeps (empty text: all)."""
        words = text.lower().split()
        if not words:
            return self.rows
        return tuple(row for row in self.rows if row.matches(words))


class FlowsSession:
    """One flow log being read for the explorer, judged against one snapshot. Feed it lines as they arrive
    and ask for a view whenever the pane should be redrawn; both from a worker thread."""

    def __init__(self, cluster: Cluster, snapshot: SnapshotTime = UNKNOWN_TIME, fmt: Format = Format.AUTO) -> None:
        self.judge = FlowJudge(cluster, snapshot)
        self.aggregator = FlowAggregator()
        self.read = ReadReport()
        self.format = fmt
        self.done = False

    def feed(self, lines: Iterable[bytes | str]) -> int:
        """Read these lines (a batch); returns how many flow records they held."""
        return self.aggregator.add_all(read_flows(lines, self.read, self.format))

    def finish(self) -> None:
        """The input ended."""
        self.done = True

    def view(self) -> FlowsView:
        """The classes read so far, judged (only new classes are evaluated)."""
        report = self.judge.report(self.aggregator)
        read = ReadReport(self.read.lines, self.read.records, self.read.blank, self.read.malformed,
                          self.read.skipped.copy(), list(self.read.problems), self.read.plugins.copy())
        return FlowsView(tuple(row_of(c) for c in report.classes), report, read, self.done)

    def explain(self, row: FlowRow) -> Answer | None:
        """The row's verdict in full (the explorer can also ask its own engine with `row.selection()`)."""
        return self.judge.explain(row.flow)


def batches(stream: IO[bytes], size: int = 5000) -> Iterator[list[bytes]]:
    """The stream's lines in batches of at most `size`: a batch ends as soon as no more input is ready, so
    the lines of a slow pipe (`hubble observe --follow`) reach the pane as they arrive, and a file goes in
    large batches. `stream`: from `open_flows`, nothing read from it yet."""
    if type(stream) is not io.BufferedReader:  # a gzip file: its descriptor holds the compressed bytes
        batch: list[bytes] = []
        for line in stream:
            batch.append(line)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch
        return
    descriptor = stream.fileno()
    pending = b""
    lines: list[bytes] = []
    while True:
        chunk = os.read(descriptor, _CHUNK)  # what is there, once something is (a pipe never fills it)
        if not chunk:
            break
        parts = (pending + chunk).split(b"\n")
        pending = parts.pop()
        lines.extend(part + b"\n" for part in parts)
        while len(lines) >= size:
            yield lines[:size]
            lines = lines[size:]
        if lines and len(chunk) < _CHUNK:  # nothing more is ready: show what came
            yield lines
            lines = []
    if pending:
        lines.append(pending)
    if lines:
        yield lines


_CHUNK = 1 << 16


@record
class ChooseFlow:
    """Effect: set the explorer's source, destination and port from this row and explain it."""

    row: FlowRow
    selection: Selection


class FlowsPane:
    """The Flows pane's state: the latest view, the `/` filter (typed into the pane), the cursor, and
    what the pane shows at a size. Keys (`key(name, character)`): j/k or arrows, pgup/pgdn, g/G;
    `/` starts the filter (typed characters go to it, enter keeps it, esc clears it); enter on a row
    gives `ChooseFlow`."""

    wants_characters = True  # `key` takes the typed character (the filter)

    def __init__(self, view: FlowsView | None = None) -> None:
        self.view = view
        self.filter = ""
        self.typing = False  # the `/` filter is being typed
        self.row = 0
        self.top = 0
        self.visible = 1
        self.error: str | None = None  # reading stopped: why

    @property
    def rows(self) -> tuple[FlowRow, ...]:
        return self.view.filtered(self.filter) if self.view is not None else ()

    def update(self, view: FlowsView) -> None:
        """A newer view (more lines read): the cursor stays on the same class when it is still shown."""
        rows = self.rows
        current = _identity(rows[self.row]) if rows and self.row < len(rows) else None
        self.view = view
        rows = self.rows
        if current is not None:
            self.row = next((i for i, r in enumerate(rows) if _identity(r) == current), min(self.row, len(rows) - 1))
        self.row = max(0, min(self.row, len(rows) - 1))

    def current(self) -> FlowRow | None:
        rows = self.rows
        return rows[self.row] if rows else None

    def key(self, name: str, character: str | None = None) -> ChooseFlow | None:
        if self.typing:
            if name == "enter":
                self.typing = False
            elif name == "escape":
                self.typing, self.filter = False, ""
            elif name == "backspace":
                self.filter = self.filter[:-1]
            elif character is not None and character.isprintable() and len(character) == 1:
                self.filter += character
            self.row = max(0, min(self.row, len(self.rows) - 1))
            return None
        count = len(self.rows)
        if (to := moved(name, self.row, count, self.visible)) is not None:
            self.row = to
        elif name == "slash":
            self.typing = True
        elif name == "enter":
            row = self.current()
            if row is not None:
                return ChooseFlow(row, row.selection())
        return None

    def handles(self, name: str) -> bool:
        """Whether the pane takes this key (others go to the app: q, ?, esc outside the filter)."""
        return self.typing or name in _PANE_KEYS

    def lines(self, width: int, height: int, unicode: bool = True) -> list[str]:
        """The pane at `width` x `height`: a title, the header, the rows, the row under the cursor in
        words, and the keys."""
        view = self.view
        title = view.title if view is not None else "Flows: reading…"
        if self.error:
            title += f" — {self.error}"
        out = [_fit(title, width)]
        rows = self.rows
        widths = _widths(rows, width)
        out.append(_fit(" " + _row_text(COLUMNS_SHOWN, widths), width))
        detail = self._detail(width)
        self.visible = max(1, height - 3 - len(detail))
        if self.row < self.top:
            self.top = self.row
        elif self.row >= self.top + self.visible:
            self.top = self.row - self.visible + 1
        if not rows:
            out.append("no flows read yet" if view is None or not view.rows else f"nothing matches /{self.filter}")
        for i in range(self.top, min(len(rows), self.top + self.visible)):
            cells = rows[i].cells
            marker = ">" if i == self.row else " "
            out.append(_fit(marker + _row_text((cells[6], *cells[:6], cells[7]), widths), width))
        while len(out) < height - 1 - len(detail):
            out.append("")
        out += detail
        if self.typing:
            out.append(_fit(f"/{self.filter}▏  enter keeps the filter · esc clears it", width))
        else:
            shown = f"/{self.filter} · " if self.filter else ""
            out.append(_fit(f"{shown}j/k move · / filter · enter: explain this flow · esc: back", width))
        out = out[:height]
        if not unicode:
            out = [line.translate(_ASCII).encode("ascii", "replace").decode() for line in out]
        return out

    def _detail(self, width: int) -> list[str]:
        row = self.current()
        if row is None:
            return []
        cls = row.flow
        text = (f"{row.mark} {cls.agreement.value}: {row.source} → {row.destination} {row.port}, the plugin: "
                f"{row.observed}, the policies: {row.ours}")
        if cls.causes:
            text += f"; likely: {cls.causes[0].cause.value}"
        return [_fit(text, width)]


def _identity(row: FlowRow) -> tuple[object, ...]:
    cls = row.flow
    return cls.plugin, row.source, row.destination, cls.protocol, cls.port, cls.observed


_PANE_KEYS = frozenset({"down", "j", "up", "k", "pagedown", "pageup", "home", "g", "end", "G", "slash", "enter"})
COLUMNS_SHOWN = ("", "TIME", "SOURCE", "DESTINATION", "PORT", "OBSERVED", "OURS", "COUNT")
_ASCII = str.maketrans({"✔": "+", "✗": "x", "·": ".", "…": ".", "→": ">", "▏": "|"})


def _widths(rows: tuple[FlowRow, ...], width: int) -> tuple[int, ...]:
    """Column widths (0: not shown): the fixed ones as needed, source and destination share what is
    left; below 100 columns the time gives way to the names."""
    shown = rows[:500]
    time_w = max([8, *(len(r.time) for r in shown)]) if width >= 100 else 0
    port_w = max([4, *(len(r.port) for r in shown)])
    observed_w = min(15, max([8, *(len(r.observed) for r in shown)]))
    ours_w = max([4, *(len(r.ours) for r in shown)])
    count_w = max([5, *(len(r.count) for r in shown)])
    used = [1, time_w, port_w, observed_w, ours_w, count_w]
    fixed = sum(used) + sum(1 for w in used if w) + 3  # one blank after each column, the cursor
    left = max(16, width - fixed)
    source_w = min(max([6, *(len(r.source) for r in shown)]), left // 2)
    destination_w = max(6, left - source_w)
    return 1, time_w, source_w, destination_w, port_w, observed_w, ours_w, count_w


def _row_text(cells: tuple[str, ...], widths: tuple[int, ...]) -> str:
    parts = []
    for k, (cell, w) in enumerate(zip(cells, widths, strict=True)):
        if not w:
            continue
        text = _fit(cell, w)
        parts.append(text.rjust(w) if k == len(cells) - 1 else text.ljust(w))
    return " ".join(parts).rstrip()


def _fit(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    return text[: max(0, width - 1)] + "…" if width > 0 else ""
