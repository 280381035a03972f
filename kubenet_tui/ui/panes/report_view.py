"""The coverage and exposure reports as a pane: the lines `kubenet-tui coverage` and `kubenet-tui exposure`
print, a cursor on the rows that lead somewhere, and what enter asks for.

- Coverage: enter on a namespace's row shows that namespace's pods (`ScopeNamespace`).
- Exposure: enter on a pod port's row explains it from outside (`AskQuestion`): from an address the
  pod's policies let in (or, when none is, one they do not), to the pod, on that port.

Keys (`key(name)`): up/down or j/k move between such rows, pageup/pagedown, g/G, enter.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kubenet_tui.engine.coverage import Coverage
from kubenet_tui.engine.ends import PortSpec
from kubenet_tui.engine.exposure import Exposure, PortExposure, Reach

# An address that stands for "a client on the internet" (RFC 5737 documentation range).
INTERNET_CLIENT = "203.0.113.10"


@dataclass(frozen=True, slots=True)
class ScopeNamespace:
    """Effect: show this namespace's pods."""

    namespace: str


@dataclass(frozen=True, slots=True)
class AskQuestion:
    """Effect: make this the connection and explain it."""

    source: str
    destination: str
    port: PortSpec


Action = ScopeNamespace | AskQuestion


@dataclass(frozen=True, slots=True)
class ReportLine:
    text: str
    action: Action | None = None  # what enter on it asks for; None: not a row the cursor stops on


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
        if name in ("down", "j"):
            self.stop = min(self.stop + 1, max(0, count - 1))
        elif name in ("up", "k"):
            self.stop = max(0, self.stop - 1)
        elif name == "pagedown":
            self.stop = min(self.stop + max(1, self.visible - 1), max(0, count - 1))
        elif name == "pageup":
            self.stop = max(0, self.stop - max(1, self.visible - 1))
        elif name in ("home", "g"):
            self.stop = 0
        elif name in ("end", "G"):
            self.stop = max(0, count - 1)
        elif name == "enter":
            return self.current()
        return None

    def lines(self, width: int, height: int, unicode: bool = True) -> list[str]:
        if not self.report:
            return [self.empty]
        hint = ("↑↓ move · enter " if unicode else "up/down move, enter ") + self._enter_does()
        self.visible = max(1, height - 1)
        cursor = self.cursor
        if cursor is not None:
            if cursor < self.top:
                self.top = cursor
            elif cursor >= self.top + self.visible:
                self.top = cursor - self.visible + 1
        self.top = max(0, min(self.top, max(0, len(self.report) - self.visible)))
        out = []
        for k in range(self.top, min(len(self.report), self.top + self.visible)):
            mark = ">" if k == cursor else " "
            out.append((mark + " " + self.report[k].text)[:width])
        return [*out, hint[:width]] if self.stops else out

    def _enter_does(self) -> str:
        action = self.current()
        if isinstance(action, ScopeNamespace):
            return "shows the namespace's pods"
        return "explains it from outside"


def coverage_report(found: Coverage, unicode: bool = True) -> ReportView:
    from kubenet_tui.render.glance_out import coverage_lines

    names = {ns.namespace for ns in found.namespaces}
    lines = []
    for text in coverage_lines(found, unicode):
        first = text.split(" ", 1)[0]
        lines.append(ReportLine(text, ScopeNamespace(first) if first in names else None))
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
    """The report's rows in the order `exposure_lines` prints them: the header line, then one per shown port."""
    from kubenet_tui.render.glance_out import exposure_lines

    shown = [e for e in found.ports
             if every_port or e.outside is not Reach.NONE or e.namespaces in (Reach.ALL, Reach.UNKNOWN)]
    texts = list(exposure_lines(found, unicode, every_port))
    lines = [ReportLine(texts[0])]
    if shown:
        lines.append(ReportLine(texts[1]))
        lines.extend(ReportLine(text, _question(e)) for text, e in zip(texts[2:2 + len(shown)], shown, strict=True))
        lines.extend(ReportLine(text) for text in texts[2 + len(shown):])
    else:
        lines.extend(ReportLine(text) for text in texts[1:])
    return ReportView(lines, "no pods")
