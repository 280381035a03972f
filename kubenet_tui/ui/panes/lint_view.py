"""The lint pane as a plain model: the findings as rows, a cursor, a severity filter, the details of
the finding under the cursor, and what enter asks for (open the policy at the finding's YAML path).

Keys (`key(name)`): up/down or j/k move, pageup/pagedown, g/G; `e` shows errors only, `w` warnings and
errors, `a` everything; enter gives `OpenObject` (show that object's YAML with `path` marked: the app
has `render.yaml_locate.locate(manifest_yaml(...), path)` for the lines).
"""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Sequence

from kubenet_tui.engine.lint import Finding, Severity
from kubenet_tui.engine.records import record
from kubenet_tui.ui.panes.cursor import moved

SYMBOLS = {Severity.ERROR: "✗", Severity.WARNING: "⚠", Severity.NOTE: "·"}
ASCII_SYMBOLS = {Severity.ERROR: "x", Severity.WARNING: "!", Severity.NOTE: "."}
FILTERS = {"e": Severity.ERROR, "w": Severity.WARNING, "a": Severity.NOTE}


@record
class OpenObject:
    """Effect: show the object's YAML with the node at `path` marked."""

    kind: str
    namespace: str | None
    name: str
    path: tuple[str | int, ...]


@record
class LintRow:
    """One finding as a table row: the cells a pane shows (severity symbol, object, path, rule)."""

    finding: Finding

    def cells(self, unicode: bool = True) -> tuple[str, str, str, str]:
        f = self.finding
        return ((SYMBOLS if unicode else ASCII_SYMBOLS)[f.severity], f.object_text, f.path_text, f.rule.value)


class LintView:
    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = tuple(findings)
        self.threshold = Severity.NOTE
        self.row = 0
        self.top = 0
        self.visible = 1

    @property
    def rows(self) -> list[LintRow]:
        return [LintRow(f) for f in self.findings if f.severity.rank >= self.threshold.rank]

    def current(self) -> Finding | None:
        rows = self.rows
        return rows[self.row].finding if rows else None

    def summary(self) -> str:
        counts = Counter(f.severity for f in self.findings)
        shown = ", ".join(f"{counts[s]} {s.value}{'s' if counts[s] != 1 else ''}" for s in Severity)
        hidden = len(self.findings) - len(self.rows)
        return f"Lint: {shown}" + (f" ({hidden} hidden by the filter)" if hidden else "")

    def key(self, name: str) -> OpenObject | None:
        count = len(self.rows)
        if (to := moved(name, self.row, count, self.visible)) is not None:
            self.row = to
        elif name in FILTERS:
            current = self.current()
            self.threshold = FILTERS[name]
            rows = self.rows
            self.row = next((i for i, r in enumerate(rows) if r.finding is current), 0)
        elif name == "enter":
            f = self.current()
            if f is not None:
                return OpenObject(f.kind, f.namespace, f.name, f.path)
        return None

    def lines(self, width: int, height: int, unicode: bool = True) -> list[str]:
        """The pane at `width` x `height`: the rows, then the finding under the cursor in full."""
        rows = self.rows
        out = [self.summary()[:width]]
        current = self.current()
        detail: list[str] = []
        if current is not None:
            detail = [f"{current.severity.value}: {current.object_text} {current.path_text}"]
            if current.origin:
                detail[0] += f" ({current.origin})"
            detail += textwrap.wrap(current.message, max(20, width - 2), initial_indent="  ", subsequent_indent="  ")
            detail = [line[:width] for line in detail[: max(2, height // 3)]]
        hint = "j/k move · e errors · w warnings · a all · enter: open the object"
        self.visible = max(1, height - 2 - len(detail) - 1)
        if self.row < self.top:
            self.top = self.row
        elif self.row >= self.top + self.visible:
            self.top = self.row - self.visible + 1
        if not rows:
            out.append("no findings" if not self.findings else "no findings at this severity")
        for i in range(self.top, min(len(rows), self.top + self.visible)):
            symbol, obj, path, rule = rows[i].cells(unicode)
            marker = ">" if i == self.row else " "
            out.append(f"{marker}{symbol} {obj} {path}  {rule}"[:width])
        while len(out) < height - len(detail) - 1:
            out.append("")
        out += detail
        out.append(hint[:width])
        out = out[:height]
        if not unicode:
            out = [line.replace("·", "-").encode("ascii", "replace").decode() for line in out]
        return out
