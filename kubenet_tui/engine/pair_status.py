"""Every pod pair's status, allowed, blocked or unknown, one source row at a time: what the matrix's
streamed forms print (`matrix -o pairs|csv|compact`).

The boolean matrix (`matrix.MatrixResult`) folds unknown into "not allowed"; these rows keep it apart,
so a pair whose verdict hangs on data that was not read is never printed as allowed or blocked. Nothing
here restates the semantics: the rows are the heatmap's parts (`heatmap.verdict_parts`: the tiers'
fold per class, three-valued, and the diagonal), expanded from classes to pods one row at a time. A
row costs one pass over the classes and one gather over the pods, and pods of one class (replicas,
which the sorted order keeps together) share their class row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from kubenet_tui.engine.classes import IntArray, PodClasses, partition
from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.heatmap import PairStatus, StatusArray, _Part, heatmap_pods, verdict_parts
from kubenet_tui.engine.matrix import destination_port
from kubenet_tui.engine.model import Pod, Protocol


@dataclass(eq=False)
class StatusRows:
    """`row(i)`: the `PairStatus` of `pods[i]` -> every pod (int8: 0 blocked, 1 allowed, 2 unknown).
    Pods that carry no traffic are never in it (`matrix.matrix_pods`), so BLOCKED here means blocked."""

    pods: tuple[Pod, ...]
    protocol: Protocol
    port: int | None
    port_name: str | None
    classes: PodClasses
    parts: tuple[_Part, ...]
    # A port name: the number it stands for on each destination pod, 0 where it is not declared.
    port_numbers: IntArray | None = None
    _last: tuple[int, StatusArray] | None = field(default=None, repr=False)

    @property
    def pod_keys(self) -> list[str]:
        return [p.key for p in self.pods]

    def class_row(self, source: int) -> StatusArray:
        """The status of class `source` -> each class, for two distinct pods."""
        if self._last is not None and self._last[0] == source:
            return self._last[1]
        out: StatusArray = np.zeros(self.classes.count, dtype=np.int8)
        for part in self.parts:
            e, i = part.egress, part.ingress
            e_allowed = e.allowed[e.which[source]]
            i_allowed = i.allowed[i.which, source]  # ingress at each destination class, from `source`
            allowed = e_allowed & i_allowed & part.destinations
            out[allowed] = PairStatus.ALLOWED
            if e.unknown.any() or i.unknown.any():
                possible = (e_allowed | e.unknown[e.which[source]]) & (i_allowed | i.unknown[i.which, source])
                out[possible & ~allowed & part.destinations] = PairStatus.UNKNOWN
        self._last = (source, out)
        return out

    def own_status(self, source: int) -> PairStatus:
        """A pod of class `source` to itself."""
        for part in self.parts:
            if part.destinations[source]:
                if part.self_allowed[source]:
                    return PairStatus.ALLOWED
                return PairStatus.UNKNOWN if part.self_unknown[source] else PairStatus.BLOCKED
        return PairStatus.BLOCKED  # it declares no port by that name: nothing reaches it on it

    def row(self, i: int) -> StatusArray:
        """Source `pods[i]` -> every pod, a fresh vector."""
        source = int(self.classes.class_of[i])
        out: StatusArray = self.class_row(source)[self.classes.class_of]
        out[i] = self.own_status(source)
        return out

    def rows(self) -> Iterator[StatusArray]:
        for i in range(len(self.pods)):
            yield self.row(i)


def status_rows(cluster: Cluster, pods: Sequence[Pod], protocol: Protocol, port: int | None,
                port_name: str | None = None) -> StatusRows:
    """The rows for `pods` that carry traffic (each once, sorted by namespace then name, as
    `matrix.matrix_pods` gives them) on `port` (None: every port of `protocol`), or on the port called
    `port_name` resolved on each destination pod as `check` resolves it."""
    chosen = heatmap_pods([p for p in pods if p.carries_traffic])
    classes = partition(cluster.program, cluster.index, chosen)
    parts = verdict_parts(cluster, classes, protocol, port, port_name)
    numbers = None
    if port_name is not None:
        numbers = np.fromiter((destination_port(p, port_name, protocol) or 0 for p in chosen), dtype=np.intp,
                              count=len(chosen))
    return StatusRows(chosen, protocol, port, port_name, classes, parts, numbers)
