"""The coverage and exposure reports as a pane: the lines `kubenet-tui coverage` and `kubenet-tui exposure`
print, a cursor on the rows that lead somewhere, and what enter asks for.

- Coverage: enter on a namespace's row shows that namespace's pods (`ScopeNamespace`).
- Exposure: enter on a pod port's row explains it from outside (`AskQuestion`): from an address the
  pod's policies let in (or, when none is, one they do not), to the pod, on that port.

Keys (`key(name)`): up/down or j/k move between such rows, pageup/pagedown, g/G, enter.
"""

from __future__ import annotations

import ipaddress
import textwrap
from collections.abc import Iterable, Sequence

from kubenet_tui.engine.coverage import Coverage
from kubenet_tui.engine.ends import PortSpec
from kubenet_tui.engine.exposure import Exposure, PortExposure
from kubenet_tui.engine.records import record
from kubenet_tui.ui.panes.cursor import moved

# An address that stands for "a client on the internet" (RFC 5737 documentation range).
INTERNET_CLIENT = "203.0.113.10"


@record
class ScopeNamespace:
    """Effect: show this namespace's pods."""

    namespace: str


@record
class AskQuestion:
    """Effect: make this the connection and explain it."""

    source: str
    destination: str
    port: PortSpec


Action = ScopeNamespace | AskQuestion


@record
class ReportLine:
    text: str
    action: Action | None = None  # what enter on it asks for; None: not a row the cursor stops on
    wrap: bool = True  # prose wraps at the pane's width; a table's lines are cut (their columns must align)
    detail: str = ""  # shown in full under the report while the cursor is on this line


class ReportView:
    def __init__(self, lines: Iterable[ReportLine], empty: str = "nothing to show") -> None:
        self.report = tuple(lines)
        self.stops = tuple(k for k, line in enumerate(self.report) if line.action is not None)
        self.empty = empty
        self.stop = 0  # index into `stops`
        self.top = 0
        self.visible = 1

    @property
    def cursor(self) -> int | None:
        """The line the cursor is on (None: no line leads anywhere)."""
        return self.stops[self.stop] if self.stops else None

    def current(self) -> Action | None:
        cursor = self.cursor
        return self.report[cursor].action if cursor is not None else None

    def key(self, name: str) -> Action | None:
        count = len(self.stops)
        if (to := moved(name, self.stop, count, self.visible)) is not None:
            self.stop = to
        elif name == "enter":
            return self.current()
        return None

    def lines(self, width: int, height: int, unicode: bool = True) -> list[str]:
        if not self.report:
            return [self.empty]
        cursor = self.cursor
        rows: list[tuple[int, str]] = []  # (report line, what the screen shows): prose takes several
        for k, line in enumerate(self.report):
            parts = [line.text]
            if line.wrap and len(line.text) + 2 > width:
                parts = textwrap.wrap(line.text, max(10, width - 2), subsequent_indent="  ") or [""]
            for j, part in enumerate(parts):
                mark = ">" if k == cursor and j == 0 else " "
                rows.append((k, (mark + " " + part)[:width]))
        detail = self.report[cursor].detail if cursor is not None else ""
        under = textwrap.wrap(detail, max(10, width - 2), subsequent_indent="  ") if detail else []
        under = under[:max(0, height // 3)]  # the report keeps most of the pane
        self.visible = max(1, height - (1 if self.stops else 0) - len(under))
        if cursor is not None:
            first = next(i for i, (k, _) in enumerate(rows) if k == cursor)
            if first < self.top:
                self.top = first
            elif first >= self.top + self.visible:
                self.top = first - self.visible + 1
        self.top = max(0, min(self.top, max(0, len(rows) - self.visible)))
        out = [text for _, text in rows[self.top:self.top + self.visible]]
        if not self.stops:
            return out
        out += [""] * (self.visible - len(out)) + under  # the details stay at the foot of the pane
        hint = ("↑↓ move · enter " if unicode else "up/down move, enter ") + self._enter_does()
        return [*out, hint[:width]]

    def _enter_does(self) -> str:
        action = self.current()
        if isinstance(action, ScopeNamespace):
            return "shows the namespace's pods"
        return "explains it from outside"


def coverage_report(found: Coverage, unicode: bool = True) -> ReportView:
    from kubenet_tui.render.glance_out import coverage_lines

    names = {ns.namespace for ns in found.namespaces}
    table = {*names, "namespace", "overall"}  # the header, a row per namespace, the overall row
    lines = []
    for text in coverage_lines(found, unicode):
        first = text.split(" ", 1)[0]
        lines.append(ReportLine(text, ScopeNamespace(first) if first in names else None, wrap=first not in table))
    return ReportView(lines, "no pods")


def _address_in(ranges: Sequence[str]) -> str | None:
    """An address inside the first range: the documentation client when the range holds it, else the
    range's first host."""
    for text in ranges:
        network = ipaddress.ip_network(text, strict=False)
        client = ipaddress.ip_address(INTERNET_CLIENT)
        if client.version == network.version and client in network:
            return INTERNET_CLIENT
        hosts = network.hosts()
        return str(next(hosts, network.network_address))
    return None


def _question(exposure: PortExposure) -> AskQuestion:
    source = _address_in(exposure.ranges) or _address_in(exposure.unknown_ranges) or INTERNET_CLIENT
    port = PortSpec(str(exposure.port) if exposure.port is not None else None, exposure.protocol)
    return AskQuestion(source, exposure.pod.key, port)


def exposure_report(found: Exposure, unicode: bool = True, every_port: bool = False) -> ReportView:
    """`exposure_lines`' report with its table narrowed for a pane: the verdicts first, then the port and
    the pod (cut at the pane's edge); the row under the cursor in full at the foot."""
    from kubenet_tui.render.glance_out import exposure_cells, exposure_lines, shown_ports

    shown = shown_ports(found, every_port)
    texts = list(exposure_lines(found, unicode, every_port))
    lines = [ReportLine(texts[0])]
    if not shown:
        return ReportView([*lines, *(ReportLine(text) for text in texts[1:])], "no pods")
    rows = []
    for e in shown:
        port, outside, every = exposure_cells(e, unicode)
        short = (outside.split(":", 1)[0], every.split(" (", 1)[0])
        rows.append((short, port, e, f"{e.pod.key} {port}: from outside {outside}; from every namespace {every}"))
    port_width = max(len("port"), *(len(port) for _, port, _, _ in rows))
    lines.append(ReportLine(f"{'outside':<10} {'every ns':<10} {'port':<{port_width}}  pod", wrap=False))
    lines.extend(ReportLine(f"{out:<10} {ns:<10} {port:<{port_width}}  {e.pod.key}", _question(e), wrap=False, detail=full)
                 for (out, ns), port, e, full in rows)
    lines.extend(ReportLine(text) for text in texts[2 + len(shown):])
    return ReportView(lines, "no pods")
