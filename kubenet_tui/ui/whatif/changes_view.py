"""The Changes pane as a plain model: every group of flows an overlay changes (namespace pair, ports,
before → after, how many), a cursor, a filter by kind of change, the group's flows one by one, and what
enter asks for (explain one flow in the verdict panel, now and with the change).

Keys (`key(name)`): up/down or j/k, pageup/pagedown, g/G move; `o` opened only, `c` closed only, `u`
to or from unknown, `a` everything; enter on a group lists its flows (pod to pod), enter on a flow gives
`ExplainFlow`; escape goes back from the flows to the groups.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from kubenet_tui.engine.diff import ChangeKind, ConnectivityDiff, FlowGroup, State
from kubenet_tui.engine.ends import PortSpec
from kubenet_tui.engine.query import Question
from kubenet_tui.engine.records import record
from kubenet_tui.ui.panes.cursor import moved

SYMBOLS = {State.ALLOWED: "✔", State.BLOCKED: "✗", State.UNKNOWN: "?", State.ABSENT: "·"}
ASCII_SYMBOLS = {State.ALLOWED: "+", State.BLOCKED: "x", State.UNKNOWN: "?", State.ABSENT: "."}
FILTERS: dict[str, frozenset[ChangeKind]] = {
    "o": frozenset({ChangeKind.OPENED}),
    "c": frozenset({ChangeKind.CLOSED}),
    "u": frozenset({ChangeKind.BECAME_UNKNOWN, ChangeKind.NOW_KNOWN}),
    "a": frozenset(ChangeKind),
}
FILTER_WORDS = {"o": "opened", "c": "closed", "u": "to or from unknown", "a": "every change"}
FLOWS_LISTED = 5000  # flows of one group listed at most (the group's count is always shown)


@record
class ExplainFlow:
    """Effect: ask the verdict panel about this flow, now and with the change (`WhatIf.compare`)."""

    question: Question
    before: State
    after: State


@record
class ChangeRow:
    group: FlowGroup

    def cells(self, unicode: bool = True) -> tuple[str, str, str, str]:
        """(before → after, namespaces, ports, flows)."""
        g = self.group
        symbols = SYMBOLS if unicode else ASCII_SYMBOLS
        arrow = "→" if unicode else "->"
        change = f"{symbols[g.before]} {g.before.word} {arrow} {symbols[g.after]} {g.after.word}"
        return change, f"{g.source_namespace} {arrow} {g.destination_namespace}", g.question.label(), f"{g.flows:,}"


class ChangesView:
    def __init__(self, diff: ConnectivityDiff) -> None:
        self.diff = diff
        self.kinds = FILTERS["a"]
        self.filter_key = "a"
        self.row = 0
        self.top = 0
        self.visible = 1
        self.group: FlowGroup | None = None  # the group whose flows are listed
        self.flows: list[tuple[str, str]] = []
        self._saved = (0, 0)  # the groups' cursor while the flows are listed

    @property
    def rows(self) -> list[ChangeRow]:
        return [ChangeRow(g) for g in self.diff.groups if g.kind in self.kinds]

    def _count(self) -> int:
        return len(self.flows) if self.group is not None else len(self.rows)

    def current(self) -> FlowGroup | None:
        if self.group is not None:
            return self.group
        rows = self.rows
        return rows[self.row].group if rows else None

    def summary(self) -> str:
        diff = self.diff
        if self.group is not None:
            g = self.group
            listed = f" (the first {len(self.flows):,})" if len(self.flows) < g.flows else ""
            return (f"{g.source_namespace} → {g.destination_namespace} on {g.question.label()}: {g.flows:,} flows "
                    f"{g.before.word} → {g.after.word}{listed}")
        if not diff.changed:
            return "Changes: no flow changes"
        shown = len(self.rows)
        hidden = "" if self.filter_key == "a" else f", showing {FILTER_WORDS[self.filter_key]} ({shown} groups)"
        return f"Changes: {diff.flows:,} flows in {len(diff.groups):,} groups{hidden}"

    def key(self, name: str) -> ExplainFlow | None:
        count = self._count()
        if (to := moved(name, self.row, count, self.visible)) is not None:
            self.row = to
        elif name in FILTERS and self.group is None:
            current = self.current()
            self.kinds, self.filter_key = FILTERS[name], name
            self.row = next((i for i, r in enumerate(self.rows) if r.group is current), 0)
            self.top = 0
        elif name == "escape" and self.group is not None:
            self.group, self.flows = None, []
            self.row, self.top = self._saved
        elif name == "enter":
            return self._enter()
        return None

    def _enter(self) -> ExplainFlow | None:
        if self.group is None:
            group = self.current()
            if group is None:
                return None
            self._saved = (self.row, self.top)
            self.group = group
            self.flows = list(itertools.islice(self.diff.pod_pairs(group), FLOWS_LISTED))
            self.row = self.top = 0
            return None
        if not self.flows:
            return None
        source, destination = self.flows[self.row]
        g = self.group
        port = PortSpec(str(g.question.port), g.question.protocol)
        return ExplainFlow(Question(source, destination, port), g.before, g.after)

    def lines(self, width: int, height: int, unicode: bool = True) -> list[str]:
        """The pane at `width` x `height`: a summary line, the rows, a key hint."""
        out = [self.summary()]
        if self.group is None:
            hint = "j/k move · o opened · c closed · u unknown · a all · enter: its flows"
            body = self._group_lines(unicode)
        else:
            hint = "j/k move · enter: explain now and with the change · esc: back"
            body = self._flow_lines(unicode)
        self.visible = max(1, height - 2)
        if self.row < self.top:
            self.top = self.row
        elif self.row >= self.top + self.visible:
            self.top = self.row - self.visible + 1
        for i in range(self.top, min(len(body), self.top + self.visible)):
            out.append(("> " if i == self.row else "  ") + body[i])
        if not body:
            out.append("  no flow changes" if not self.diff.changed else "  nothing of this kind")
        while len(out) < height - 1:
            out.append("")
        out.append(hint)
        out = [line[:width] for line in out[:height]]
        if not unicode:
            out = [line.replace("·", "-").replace("→", "->").encode("ascii", "replace").decode() for line in out]
        return out

    def _group_lines(self, unicode: bool) -> list[str]:
        rows = [r.cells(unicode) for r in self.rows]
        return _table(rows)

    def _flow_lines(self, unicode: bool) -> list[str]:
        arrow = "→" if unicode else "->"
        return [f"{s} {arrow} itself" if s == d else f"{s} {arrow} {d}" for s, d in self.flows]


def _table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [c.ljust(widths[i]) if i < len(r) - 1 else c.rjust(widths[i]) for i, c in enumerate(r)]
        out.append("  ".join(cells))
    return out
