"""Rows for the explorer's tables (namespaces, pods, policies, services) as lazy, filterable sequences.

No Textual here. A `Rows` object knows its columns, its length and how to draw row `i` (on demand,
so only visible rows cost anything), and `filtered` returns a smaller `Rows` with the same column
widths, so the table does not jump while a filter is typed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from rich.text import Text

from kubenet_tui.engine.model import Pod, PodPhase, Service
from kubenet_tui.engine.records import record
from kubenet_tui.ui.model import (
    KIND_SHORT,
    ExplorerModel,
    Filter,
    NamespaceSummary,
    PolicyItem,
    label_text,
    search_text,
)

Cell = str | Text


@record
class Column:
    title: str
    width: int  # preferred width
    flex: bool = False  # takes whatever room is left
    min_width: int = 0  # may shrink down to this when room is short; 0: fixed
    align: Literal["left", "right"] = "left"


def fit_columns(columns: Sequence[Column], total: int, gap: int = 1) -> list[int]:
    """Widths that fill `total` cells: flexible columns take the rest. When room is short, flexible
    columns give way down to their minimum first, then the shrinkable ones, widest excess first (so a
    long name and long labels share the pain); what still does not fit is dropped from the right."""
    widths = [c.width for c in columns]
    if not columns:
        return widths

    def used() -> int:
        shown = [w for w in widths if w > 0]
        return sum(shown) + gap * max(0, len(shown) - 1)

    spare = total - used()
    flex = [i for i, c in enumerate(columns) if c.flex]
    if spare > 0 and flex:
        share, extra = divmod(spare, len(flex))
        for n, i in enumerate(flex):
            widths[i] += share + (1 if n < extra else 0)
        return widths
    for i in flex:
        over = used() - total
        if over <= 0:
            return widths
        floor = columns[i].min_width or 1
        widths[i] -= min(over, max(0, widths[i] - floor))
    shrinkable = [i for i, c in enumerate(columns) if not c.flex and c.min_width]
    while used() > total:
        room = [(widths[i] - columns[i].min_width, i) for i in shrinkable if widths[i] > columns[i].min_width]
        if not room:
            break
        widths[max(room)[1]] -= 1
    for i in reversed(range(len(columns))):
        if used() <= total:
            break
        widths[i] = 0
    return widths


def _cap(values: Sequence[int], floor: int, cap: int) -> int:
    return max(floor, min(cap, max(values, default=floor)))


class Rows:
    """A table's rows. Subclasses implement `key`, `cells` and `search_text` for their items."""

    columns: tuple[Column, ...] = ()
    noun = "rows"

    def __init__(self, items: Sequence[object]) -> None:
        self.items = items
        self.filter = Filter("")  # the filter that produced these rows from the unfiltered ones
        self.origin: Rows = self  # the unfiltered rows these come from
        self._positions: dict[str, int] | None = None
        self._texts: list[str] | None = None

    def __len__(self) -> int:
        return len(self.items)

    def key(self, i: int) -> str:
        raise NotImplementedError

    def cells(self, i: int) -> tuple[Cell, ...]:
        raise NotImplementedError

    def search_text(self, i: int) -> str:
        """Lowercased text plain filter terms are looked for in (name, `key=value` labels)."""
        return self.key(i).lower()

    def labels(self, i: int) -> Mapping[str, str]:
        """Labels `key=value` filter terms compare exactly."""
        return {}

    def texts(self) -> list[str]:
        if self._texts is None:
            self._texts = [self.search_text(i) for i in range(len(self.items))]
        return self._texts

    def position(self, key: str) -> int | None:
        if self._positions is None:
            self._positions = {self.key(i): i for i in range(len(self.items))}
        return self._positions.get(key)

    def filtered(self, flt: Filter, previous: Rows | None = None) -> Rows:
        """The rows `flt` keeps. `previous` (an earlier result from the same rows) is searched instead
        of everything when `flt` only narrows its filter: each keystroke scans fewer rows."""
        if not flt:
            return self
        source: Rows = self
        if previous is not None and previous.origin is self and previous.filter and flt.narrows(previous.filter):
            source = previous
        texts = source.texts()
        if flt.labels:
            keep = [i for i, text in enumerate(texts) if flt.matches(source.labels(i), text)]
        elif len(flt.substrings) == 1:
            term = flt.substrings[0]
            keep = [i for i, text in enumerate(texts) if term in text]
        else:
            terms = flt.substrings
            keep = [i for i, text in enumerate(texts) if all(t in text for t in terms)]
        return source._subset(keep, flt)

    def _subset(self, keep: list[int], flt: Filter) -> Rows:
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        items, texts = self.items, self.texts()
        clone.items = [items[i] for i in keep]
        clone._texts = [texts[i] for i in keep]
        clone._positions = None
        clone.filter = flt
        return clone


class EmptyRows(Rows):
    def __init__(self) -> None:
        super().__init__(())


_PHASE_STYLE = {
    PodPhase.RUNNING: "green",
    PodPhase.PENDING: "yellow",
    PodPhase.FAILED: "red",
    PodPhase.SUCCEEDED: "dim",
    PodPhase.UNKNOWN: "yellow",
}


class NamespaceRows(Rows):
    noun = "namespaces"

    def __init__(self, summaries: Sequence[NamespaceSummary], model: ExplorerModel | None = None) -> None:
        super().__init__(summaries)
        self.model = model  # its coverage fills ISO once a worker has worked it out
        name = _cap([len(s.label) for s in summaries], 6, 24)
        self.columns = (
            Column("NAMESPACE", name, flex=True, min_width=8),
            Column("PODS", 5, align="right"),
            Column("POL", 4, align="right"),
            Column("SVC", 4, align="right"),
            Column("ISO", 5, align="right"),
        )

    def summary(self, i: int) -> NamespaceSummary:
        item = self.items[i]
        assert isinstance(item, NamespaceSummary)
        return item

    def key(self, i: int) -> str:
        return self.summary(i).name or ""

    def cells(self, i: int) -> tuple[Cell, ...]:
        s = self.summary(i)
        name = Text("* all", style="italic") if s.name is None else s.name
        return name, str(s.pods), str(s.policies), str(s.services), self._isolated(s.name)

    def _isolated(self, namespace: str | None) -> Cell:
        """The share of running pods isolated in some direction; `?` after it when some pods' isolation
        cannot be told (data not read); `…` while it is being worked out."""
        coverage = self.model.coverage if self.model is not None else None
        if coverage is None:
            return Text("…", style="dim")
        row = coverage.get("*" if namespace is None else namespace)
        if row is None or not row.evaluated:
            return Text("-", style="dim")
        share = f"{100 * row.isolated // row.evaluated}%"
        if row.unknown:
            return Text.assemble(share, ("?", "bold yellow"))
        return Text(share, style="red" if row.isolated == 0 else "")

    def search_text(self, i: int) -> str:
        # The "all" row stays whatever the filter, so the way back is always there.
        s = self.summary(i)
        return "\x00" if s.name is None else s.name.lower()

    def filtered(self, flt: Filter, previous: Rows | None = None) -> Rows:
        result = super().filtered(flt, None)
        if result is self or (len(result) and result.key(0) == ""):
            return result
        everything = self.summary(0)
        result.items = [everything, *result.items]
        result._texts = ["\x00", *result.texts()]
        return result


class PodRows(Rows):
    noun = "pods"

    def __init__(self, model: ExplorerModel, pods: Sequence[Pod], show_namespace: bool) -> None:
        super().__init__(pods)
        self.model = model
        self.show_namespace = show_namespace
        name = _cap([len(p.name) for p in pods], 8, 40)
        ip = _cap([len(self._ip(p)) for p in pods], 2, 39)
        phase = _cap([len(p.phase.value) for p in pods], 5, 9)
        columns = [Column("NAME", name, min_width=14)]
        if show_namespace:
            columns.insert(0, Column("NAMESPACE", _cap([len(p.namespace) for p in pods], 9, 24), min_width=8))
        columns += [
            Column("PHASE", phase),
            Column("IP", ip, min_width=11),
            Column("ISO", 4),
            Column("POL", 3, align="right"),
            Column("LABELS", 14, flex=True, min_width=14),
        ]
        self.columns = tuple(columns)

    @staticmethod
    def _ip(pod: Pod) -> str:
        # The first IP; dual-stack pods list all of theirs in the details (enter).
        return str(pod.ips[0]) if pod.ips else "-"

    def pod(self, i: int) -> Pod:
        item = self.items[i]
        assert isinstance(item, Pod)
        return item

    def key(self, i: int) -> str:
        return self.pod(i).key

    def cells(self, i: int) -> tuple[Cell, ...]:
        pod = self.pod(i)
        policies = self.model.pod_policies(pod)
        if pod.host_network:
            iso = Text("host", style="yellow")
        else:
            iso = Text(policies.marks, style="bold" if policies.ingress or policies.egress else "dim")
        cells: list[Cell] = [
            pod.name,
            Text(pod.phase.value, style=_PHASE_STYLE.get(pod.phase, "")),
            self._ip(pod),
            iso,
            str(policies.count) if policies.count else Text("0", style="dim"),
            Text(label_text(pod.labels), style="dim"),
        ]
        if self.show_namespace:
            cells.insert(0, pod.namespace)
        return tuple(cells)

    def search_text(self, i: int) -> str:
        return self.model.pod_search(self.pod(i))

    def labels(self, i: int) -> Mapping[str, str]:
        return self.pod(i).labels

    def texts(self) -> list[str]:
        if self._texts is None:
            search = self.model.pod_search
            self._texts = [search(p) for p in self.items]  # type: ignore[arg-type]
        return self._texts


class PolicyRows(Rows):
    noun = "policies"

    def __init__(self, model: ExplorerModel, items: Sequence[PolicyItem], show_namespace: bool) -> None:
        super().__init__(items)
        self.model = model
        self.show_namespace = show_namespace
        name = _cap([len(self._name(p)) for p in items], 8, 44)
        self.columns = (
            Column("KIND", 6),
            Column("NAME", name, min_width=14),
            Column("DIR", 3),
            Column("PODS", 4, align="right"),
            Column("SELECTS", 10, flex=True, min_width=8),
        )

    def _name(self, item: PolicyItem) -> str:
        if item.namespace is not None and self.show_namespace:
            return f"{item.namespace}/{item.name}"
        return item.name

    def policy(self, i: int) -> PolicyItem:
        item = self.items[i]
        assert isinstance(item, PolicyItem)
        return item

    def key(self, i: int) -> str:
        return self.policy(i).key

    def cells(self, i: int) -> tuple[Cell, ...]:
        item = self.policy(i)
        kind = Text(KIND_SHORT.get(item.kind, item.kind), style="" if item.netpol is not None else "magenta")
        selects = Text(item.selector, style="dim")
        if item.tier:
            selects = Text(f"[{item.tier}] ", style="magenta") + selects
        count = self.model.selected_count(item)
        pods: Cell = str(count) if count is not None else Text("…", style="dim")
        return kind, self._name(item), item.types, pods, selects

    def search_text(self, i: int) -> str:
        item = self.policy(i)
        return f"{item.namespace or ''}/{item.name}\x00{item.kind}\x00{item.selector}".lower()

    def labels(self, i: int) -> Mapping[str, str]:
        item = self.policy(i)
        return dict(item.netpol.pod_selector.match_labels) if item.netpol is not None else {}


class ServiceRows(Rows):
    noun = "services"

    def __init__(self, model: ExplorerModel, services: Sequence[Service], show_namespace: bool) -> None:
        super().__init__(services)
        self.model = model
        self.show_namespace = show_namespace
        name = _cap([len(self._name(s)) for s in services], 8, 40)
        ports = _cap([len(self._ports(s)) for s in services], 5, 28)
        self.columns = (
            Column("NAME", name, min_width=12),
            Column("TYPE", _cap([len(s.type) for s in services], 4, 12)),
            Column("CLUSTER-IP", _cap([len(self._ip(s)) for s in services], 10, 16), min_width=8),
            Column("PORTS", ports, min_width=8),
            Column("SELECTOR", 8, flex=True, min_width=6),
        )

    def _name(self, svc: Service) -> str:
        return svc.key if self.show_namespace else svc.name

    @staticmethod
    def _ip(svc: Service) -> str:
        return str(svc.cluster_ips[0]) if svc.cluster_ips else "None"

    @staticmethod
    def _ports(svc: Service) -> str:
        parts = []
        for sp in svc.ports:
            proto = "" if sp.protocol.value == "TCP" else f"/{sp.protocol.value}"
            parts.append(f"{sp.port}{proto}" + (f"({sp.name})" if sp.name else ""))
        return ",".join(parts) or "-"

    def service(self, i: int) -> Service:
        item = self.items[i]
        assert isinstance(item, Service)
        return item

    def key(self, i: int) -> str:
        return self.service(i).key

    def cells(self, i: int) -> tuple[Cell, ...]:
        svc = self.service(i)
        selector = label_text(svc.selector) if svc.selector else "(none: EndpointSlices)"
        return self._name(svc), svc.type, self._ip(svc), self._ports(svc), Text(selector, style="dim")

    def search_text(self, i: int) -> str:
        svc = self.service(i)
        return search_text(svc.key, svc.selector or {}, svc.cluster_ips)

    def labels(self, i: int) -> Mapping[str, str]:
        return self.service(i).selector or {}
