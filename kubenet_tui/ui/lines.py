"""The explorer's one-line texts: the status header (where the data comes from and its state) and the
connection bar (source, destination, port and the verdict word). Each fits its text to the width, dropping
the least important parts first, so 80 columns never cut the state or the verdict off. No Textual here:
widgets/bars.py draws these."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.records import record
from kubenet_tui.sources.base import DataState
from kubenet_tui.ui.connection import Connection, EndKind, EndSpec, Evaluation

STATE_MARK = {
    DataState.LOADING: ("◌", "yellow"),
    DataState.LIVE: ("●", "green"),
    DataState.WATCHING: ("●", "green"),
    DataState.STALE: ("◐", "yellow"),
    DataState.ERROR: ("✗", "red"),
    DataState.OFFLINE: ("●", "cyan"),
    DataState.DEMO: ("●", "cyan"),
}

VERDICT_MARK = {
    Status.ALLOWED: ("✔", "ALLOWED", "verdict-allowed"),
    Status.BLOCKED: ("✗", "BLOCKED", "verdict-blocked"),
    Status.UNKNOWN: ("?", "UNKNOWN", "verdict-unknown"),
    Status.NOT_EVALUATED: ("-", "NOT EVALUATED", "verdict-unknown"),
}


@record
class HeaderInfo:
    state: DataState = DataState.LOADING
    context: str | None = None
    server: str | None = None
    user: str | None = None
    namespace: str | None = None  # the scope shown; None: all namespaces
    counts: str = ""  # "5 pods · 3 netpol · 3 svc"
    detail: str = ""  # what is being read, or the error
    problems: int = 0  # what :problems lists
    since: str | None = None  # stale: the time the data stopped being current
    cni: str = ""  # the network plugin's reading of the policies: "cni calico"
    whatif: str = ""  # an overlay is active: "what-if fix.yaml · 12 flows change"


def fit_parts(parts: Sequence[tuple[int, Text]], width: int, sep: str = "  ") -> Text:
    """Join (priority, text) parts in their order, leaving out the lowest priorities (highest numbers)
    until the line fits. Priority 0 is never left out (the data state, a what-if in force, the verdict):
    when those alone do not fit, the line is cut short with an ellipsis at the end."""
    kept = list(parts)
    while sum(t.cell_len for _, t in kept) + len(sep) * (len(kept) - 1) > width:
        droppable = [i for i in range(len(kept)) if kept[i][0] > 0]
        if not droppable:
            break
        kept.pop(max(droppable, key=lambda i: (kept[i][0], i)))
    line = Text(sep).join(t for _, t in kept)
    line.truncate(width, overflow="ellipsis")
    return line


def header_text(info: HeaderInfo, width: int) -> Text:
    """Priorities: the data state first (with since when, if stale), then context, namespace and the
    problem count (a warning that must survive 80 columns), then counts, server, user, detail."""
    mark, style = STATE_MARK.get(info.state, ("●", ""))
    title = Text("kubenet-tui", style="bold")
    since = f" since {info.since}" if info.since and info.state is DataState.STALE else ""
    state = Text(f"{mark} {info.state.value}{since}", style=f"bold {style}")
    parts: list[tuple[int, Text]] = [(4, title), (0, state)]
    if info.context:
        parts.append((1, Text.assemble(("ctx ", "dim"), (info.context, "bold"))))
    parts.append((1, Text.assemble(("ns ", "dim"), (info.namespace or "all", "bold"))))
    if info.whatif:
        parts.append((0, Text(f"⚑ {info.whatif}", style="bold magenta")))
    if info.problems:
        parts.append((1, Text(f"⚠ {info.problems} problem{'s' if info.problems != 1 else ''}", style="bold yellow")))
        parts.append((4, Text("(:problems)", style="dim")))
    if info.counts:
        parts.append((2, Text(info.counts)))
    if info.cni:
        parts.append((3, Text(info.cni, style="bold yellow" if "enforces nothing" in info.cni else "")))
    if info.user:
        parts.append((5, Text.assemble(("user ", "dim"), info.user)))
    if info.server:
        parts.append((3, Text.assemble(("server ", "dim"), info.server)))
    if info.detail:
        parts.append((6, Text(info.detail, style="dim")))
    return fit_parts(parts, width)


def _end(spec: EndSpec | None, key: str, word: str) -> Text:
    if spec is None:
        return Text.assemble((f"{word} ", "dim"), (f"<{key}>", "bold"), (" not set", "dim"))
    kind = {EndKind.POD: "", EndKind.SERVICE: "", EndKind.IP: "ip ", EndKind.OUTSIDE: ""}[spec.kind]
    return Text.assemble((f"{word} ", "dim"), (f"{kind}{spec.label}", "bold"))


def connection_text(connection: Connection, evaluation: Evaluation | None, width: int, stale: bool = False) -> Text:
    """`stale`: the verdict was worked out on data that may no longer be current; it says so."""
    if connection.from_outside and connection.destination is None:
        # From outside the route names the backends and their ports.
        ends = _end(connection.source, "s", "from") + Text(" → every backend it reaches", style="dim")
        port = Text.assemble(("port ", "dim"), ("the route's", "bold"))
    else:
        ends = _end(connection.source, "s", "src") + Text(" → ") + _end(connection.destination, "d", "dst")
        port = Text.assemble(("port ", "dim"), ("the route's" if connection.from_outside else connection.port.label,
                                               "bold"))
    parts: list[tuple[int, Text]] = [(0, ends), (1, port)]
    if evaluation is not None and evaluation.status is not None:
        symbol, word, _ = VERDICT_MARK[evaluation.status]
        style = {Status.ALLOWED: "bold green", Status.BLOCKED: "bold red"}.get(evaluation.status, "bold yellow")
        verdict = Text(f"{symbol} {word}", style=style)
        if evaluation.compared:
            verdict.append(" ⚑ with the change", style="bold magenta")
        if stale:
            verdict.append(" ◐ stale", style="bold yellow")
        parts.insert(0, (0, verdict))
    elif evaluation is not None and evaluation.error:
        parts.insert(0, (0, Text("! no verdict", style="bold yellow")))
    elif not connection.complete:
        hint = "mark a destination with d" if connection.source else "mark a source with s"
        parts.append((2, Text(f"({hint}; p sets the port)", style="dim")))
    return fit_parts(parts, width, sep="  ")
