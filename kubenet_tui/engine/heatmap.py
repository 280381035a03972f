"""Allowed, unknown and blocked pod pairs per namespace pair, from pod classes: the heatmap's numbers.

Each cell counts ordered pod pairs (a pod with itself included, as in the matrix): `allowed` pairs are
those `evaluate(...).status is ALLOWED`, `unknown` those that are UNKNOWN, the rest are blocked (or
not evaluated: pods that carry no traffic). Port None asks what `evaluate` asks without a port: is
every port of the protocol allowed ("any TCP port" in a verdict's words).

Nothing here restates the semantics: the rows are the tiers' fold (`fast.ClassEvaluator.row_table`,
three-valued). The counting never builds the class matrix. A pair of classes (s, d) is allowed iff
egress row e(s) allows d and ingress row i(d) allows s, and the sum over a namespace pair factorises
over distinct rows:

    cell[A, B] = sum over source groups h = (A, e) and destination groups g = (B, i) of
                 P[h, i] * Q[e, g],  P[h, i] = sum_{s in h} w_s I_i[s],  Q[e, g] = sum_{d in g} w_d E_e[d]

where w counts the pods of a class. Distinct rows are few (tens for egress, hundreds for ingress at
50,000 pods), so this is a small dense product instead of a pass over classes x classes; when rows
are not few, the class pairs are summed block by block instead (`_direct`).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from kubenet_tui.engine.classes import BoolArray, IntArray, PodClasses, partition
from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.explain import Direction
from kubenet_tui.engine.fast import ClassEvaluator, RowTable
from kubenet_tui.engine.model import Pod, Protocol
from kubenet_tui.engine.records import record
from kubenet_tui.engine.tiers import Program

CountArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
StatusArray = npt.NDArray[np.int8]

_BLOCK_CELLS = 1 << 21  # temporaries of about 16 MB at most, whatever the size


class PairStatus(IntEnum):
    """One pod pair in a drill-down grid; BLOCKED also stands for pairs not evaluated."""

    BLOCKED = 0
    ALLOWED = 1
    UNKNOWN = 2


@record(eq=False, slots=False)
class _Part:
    """The verdict rows for the destinations asked on one port number: all destinations for a port
    number (or every port), or those that declare a port name as this number."""

    destinations: BoolArray  # per class: asked on this number
    egress: RowTable
    ingress: RowTable
    self_allowed: BoolArray  # per class
    self_unknown: BoolArray

    def same_class(self, classes: IntArray) -> tuple[CountArray, CountArray]:
        """(allowed, unknown) of two distinct pods of the same class, per class, as 0/1."""
        e, i = self.egress, self.ingress
        e_rows, i_rows = e.which[classes], i.which[classes]
        ea = e.allowed[e_rows, classes]
        ia = i.allowed[i_rows, classes]
        allowed = ea & ia
        possible = (ea | e.unknown[e_rows, classes]) & (ia | i.unknown[i_rows, classes])
        return allowed.astype(np.int64), (possible & ~allowed).astype(np.int64)

    def pairs(self, sources: IntArray, destinations: IntArray) -> tuple[BoolArray, BoolArray]:
        """(allowed, unknown) for every source class x destination class (distinct pods)."""
        e, i = self.egress, self.ingress
        e_rows = e.which[sources]
        i_rows = i.which[destinations]
        ea = e.allowed[e_rows][:, destinations]
        ia = i.allowed[i_rows][:, sources].T
        allowed = ea & ia
        if not (e.unknown.any() or i.unknown.any()):
            return allowed, np.zeros_like(allowed)
        ep = ea | e.unknown[e_rows][:, destinations]
        ip = ia | i.unknown[i_rows][:, sources].T
        return allowed, (ep & ip) & ~allowed


@record(eq=False, slots=False)
class Heatmap:
    """Pod pairs per (source namespace, destination namespace): `allowed[a, b]`, `unknown[a, b]` and
    `pairs[a, b]` for `namespaces[a]` -> `namespaces[b]`; `grid(a, b)` drills down to the pods."""

    namespaces: tuple[str, ...]
    protocol: Protocol
    port: int | None
    port_name: str | None
    allowed: CountArray
    unknown: CountArray
    pairs: CountArray
    pods: tuple[Pod, ...]
    classes: PodClasses
    _parts: tuple[_Part, ...]
    _pods_of: tuple[IntArray, ...]  # per namespace: positions in `pods`, sorted by name
    program: Program | None = None  # what the classes were made for (`reuse`)

    @property
    def blocked(self) -> CountArray:
        """Pairs neither allowed nor unknown (blocked, or not evaluated)."""
        result: CountArray = self.pairs - self.allowed - self.unknown
        return result

    def namespace_pods(self, a: int) -> tuple[Pod, ...]:
        return tuple(self.pods[k] for k in self._pods_of[a].tolist())

    def grid(self, a: int, b: int) -> tuple[tuple[Pod, ...], tuple[Pod, ...], StatusArray]:
        """The pods of namespace a (rows, sources) and b (columns, destinations), and the status of
        every pair as `PairStatus` values."""
        rows, cols = self._pods_of[a], self._pods_of[b]
        return self.namespace_pods(a), self.namespace_pods(b), self.statuses(rows, cols)

    def statuses(self, rows: IntArray, cols: IntArray) -> StatusArray:
        """`PairStatus` of pods[rows[x]] -> pods[cols[y]] for every x, y."""
        class_of = self.classes.class_of
        sources, destinations = class_of[rows], class_of[cols]
        out: StatusArray = np.zeros((len(rows), len(cols)), dtype=np.int8)
        same = rows[:, None] == cols[None, :]
        for part in self._parts:
            here = part.destinations[destinations]
            if not here.any():
                continue
            allowed, unknown = part.pairs(sources, destinations)
            allowed = np.where(same, part.self_allowed[sources][:, None], allowed) & here[None, :]
            unknown = np.where(same, part.self_unknown[sources][:, None], unknown) & here[None, :]
            out[allowed] = PairStatus.ALLOWED
            out[unknown] = PairStatus.UNKNOWN
        return out


def heatmap_pods(pods: Sequence[Pod]) -> tuple[Pod, ...]:
    """Each pod once (a pod object given twice is one pod), sorted by namespace then name."""
    seen: dict[int, Pod] = {}
    for pod in pods:
        seen.setdefault(id(pod), pod)
    return tuple(sorted(seen.values(), key=lambda p: (p.namespace, p.name)))


def namespace_heatmap(cluster: Cluster, pods: Sequence[Pod], protocol: Protocol = Protocol.TCP,
                      port: int | None = None, port_name: str | None = None,
                      reuse: Heatmap | None = None) -> Heatmap:
    """Counts per namespace pair for `pods` (each once) on `port` (None: every port of `protocol`), or
    on the port called `port_name`, resolved on each destination pod as `check` resolves it: pods
    that do not declare it cannot be reached on it (blocked). `reuse`: an earlier heatmap of the same
    cluster and pods (another port): its pod classes are kept, they do not depend on the port."""
    pods = heatmap_pods(pods)
    if reuse is not None and reuse.pods == pods and reuse.program is cluster.program:
        classes = reuse.classes
    else:
        classes = partition(cluster.program, cluster.index, pods)
    namespaces = tuple(sorted({p.namespace for p in pods}))
    position = {ns: k for k, ns in enumerate(namespaces)}
    ns_of_pod = np.fromiter((position[p.namespace] for p in pods), dtype=np.intp, count=len(pods))
    ns_of_class = np.zeros(classes.count, dtype=np.intp)
    ns_of_class[classes.class_of] = ns_of_pod
    weights = classes.sizes().astype(np.int64)
    n = len(namespaces)
    counts = np.bincount(ns_of_pod, minlength=n).astype(np.int64)
    allowed = np.zeros((n, n), dtype=np.int64)
    unknown = np.zeros((n, n), dtype=np.int64)
    parts = verdict_parts(cluster, classes, protocol, port, port_name)
    for part in parts:
        destinations, egress, ingress = part.destinations, part.egress, part.ingress
        self_allowed, self_unknown = part.self_allowed, part.self_unknown
        dst_weights = np.where(destinations, weights, 0)
        part_allowed = _count(egress.allowed, ingress.allowed, egress.which, ingress.which, weights, dst_weights,
                              ns_of_class, n)
        if egress.unknown.any() or ingress.unknown.any():
            possible = _count(egress.allowed | egress.unknown, ingress.allowed | ingress.unknown, egress.which,
                              ingress.which, weights, dst_weights, ns_of_class, n)
            part_unknown = possible - part_allowed
        else:
            part_unknown = np.zeros_like(part_allowed)
        # The diagonal: a pod with itself was counted from its class pair; put its own verdict instead.
        classes_here = np.flatnonzero(destinations)
        if len(classes_here):
            own_allowed, own_unknown = part.same_class(classes_here)
            w = weights[classes_here]
            np.add.at(part_allowed, (ns_of_class[classes_here], ns_of_class[classes_here]),
                      w * (self_allowed[classes_here].astype(np.int64) - own_allowed))
            np.add.at(part_unknown, (ns_of_class[classes_here], ns_of_class[classes_here]),
                      w * (self_unknown[classes_here].astype(np.int64) - own_unknown))
        allowed += part_allowed
        unknown += part_unknown
    order = np.argsort(ns_of_pod, kind="stable")  # pods are sorted: each namespace's run, by name
    bounds = np.searchsorted(ns_of_pod[order], np.arange(n + 1))
    pods_of = tuple(order[bounds[k]:bounds[k + 1]] for k in range(n))
    return Heatmap(namespaces, protocol, port, port_name, allowed, unknown, np.outer(counts, counts), pods, classes,
                   tuple(parts), pods_of, cluster.program)


def verdict_parts(cluster: Cluster, classes: PodClasses, protocol: Protocol, port: int | None,
                  port_name: str | None) -> tuple[_Part, ...]:
    """The class rows (allowed and unknown, both directions) and the diagonal for each port number
    asked: one part for a port number or every port, one per number a port name stands for."""
    parts: list[_Part] = []
    for number, destinations in _numbers(classes, protocol, port, port_name):
        evaluator = ClassEvaluator(cluster, classes, protocol, number)
        egress = evaluator.row_table(Direction.EGRESS)
        ingress = evaluator.row_table(Direction.INGRESS)
        self_allowed, self_unknown = evaluator.self_states(egress, ingress)
        parts.append(_Part(destinations, egress, ingress, self_allowed, self_unknown))
    return tuple(parts)


def _numbers(classes: PodClasses, protocol: Protocol, port: int | None,
             port_name: str | None) -> list[tuple[int | None, BoolArray]]:
    """(port number to ask, destination classes asked on it). Pods of a class declare the same named
    ports (the partition keeps them apart otherwise), so a class has one number for a name."""
    every = np.ones(classes.count, dtype=np.bool_)
    if port_name is None:
        return [(port, every)]
    numbers = [rep.named_port(port_name, protocol) for rep in classes.representatives]
    found = sorted({p.port for p in numbers if p is not None})
    return [(k, np.array([p is not None and p.port == k for p in numbers], dtype=np.bool_)) for k in found]


def _count(egress: BoolArray, ingress: BoolArray, egress_of: IntArray, ingress_of: IntArray, weights: CountArray,
           dst_weights: CountArray, ns_of_class: IntArray, n: int) -> CountArray:
    """sum over classes s in A, d in B of w_s w'_d egress[e(s), d] ingress[i(d), s], for every (A, B)."""
    size = len(weights)
    if size == 0 or n == 0:
        return np.zeros((n, n), dtype=np.int64)
    sources = np.flatnonzero(weights > 0)
    destinations = np.flatnonzero(dst_weights > 0)
    if not len(sources) or not len(destinations):
        return np.zeros((n, n), dtype=np.int64)
    j_rows, k_rows = egress.shape[0], ingress.shape[0]
    h_key = ns_of_class[sources] * j_rows + egress_of[sources]
    g_key = ns_of_class[destinations] * k_rows + ingress_of[destinations]
    groups_h = len(np.unique(h_key))
    groups_g = len(np.unique(g_key))
    factorised = groups_h * groups_g + (j_rows + k_rows) * size
    if j_rows * groups_g <= _BLOCK_CELLS * 8 and factorised * 4 < size * size:
        return _factorised(egress, ingress, egress_of, ingress_of, weights, dst_weights, ns_of_class, n,
                           sources, destinations, h_key, g_key)
    return _direct(egress, ingress, egress_of, ingress_of, weights, dst_weights, ns_of_class, n)


def _runs(keys: IntArray) -> IntArray:
    """Where each run of equal values starts in sorted `keys`."""
    return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])


def _factorised(egress: BoolArray, ingress: BoolArray, egress_of: IntArray, ingress_of: IntArray,
                weights: CountArray, dst_weights: CountArray, ns_of_class: IntArray, n: int, sources: IntArray,
                destinations: IntArray, h_key: IntArray, g_key: IntArray) -> CountArray:
    j_rows, k_rows = egress.shape[0], ingress.shape[0]
    order = np.argsort(h_key, kind="stable")
    sources, h_key = sources[order], h_key[order]
    h_starts = _runs(h_key)
    h_ns, h_row = h_key[h_starts] // j_rows, h_key[h_starts] % j_rows
    order = np.argsort(g_key, kind="stable")
    destinations, g_key = destinations[order], g_key[order]
    g_starts = _runs(g_key)
    g_ns, g_row = g_key[g_starts] // k_rows, g_key[g_starts] % k_rows
    b_starts = _runs(g_ns)
    b_ns = g_ns[b_starts]
    # Q[e, g]: destination pods of group g that egress row e allows.
    q: FloatArray = np.add.reduceat(egress[:, destinations] * dst_weights[destinations].astype(np.float64),
                                    g_starts, axis=1)
    out = np.zeros((n, n), dtype=np.float64)
    n_groups = len(h_starts)
    step = max(1, _BLOCK_CELLS // max(len(g_starts), 1))
    bounds = np.r_[h_starts, len(sources)]
    for first in range(0, n_groups, step):
        last = min(n_groups, first + step)
        columns = sources[bounds[first]:bounds[last]]
        # P[h, i]: source pods of group h that ingress row i allows.
        p = np.add.reduceat(ingress[:, columns] * weights[columns].astype(np.float64),
                            h_starts[first:last] - bounds[first], axis=1)  # ingress rows x groups
        z = p[g_row, :].T * q[h_row[first:last], :]  # groups h x groups g
        per_b = np.add.reduceat(z, b_starts, axis=1)  # groups h x destination namespaces
        rows_ns = h_ns[first:last]
        a_starts = _runs(rows_ns)
        out[np.ix_(rows_ns[a_starts], b_ns)] += np.add.reduceat(per_b, a_starts, axis=0)
    return np.rint(out).astype(np.int64)


def _direct(egress: BoolArray, ingress: BoolArray, egress_of: IntArray, ingress_of: IntArray, weights: CountArray,
            dst_weights: CountArray, ns_of_class: IntArray, n: int) -> CountArray:
    """The same sum over class pairs, a block of source classes at a time."""
    size = len(weights)
    order = np.argsort(ns_of_class, kind="stable")
    col_ns = ns_of_class[order]
    starts = _runs(col_ns)
    column_ns = col_ns[starts]
    column_weights = dst_weights[order]
    ingress_by_source = np.ascontiguousarray(ingress.T)  # [s, i]
    out = np.zeros((n, n), dtype=np.int64)
    step = max(1, _BLOCK_CELLS // size)
    for first in range(0, size, step):
        block = np.arange(first, min(size, first + step))
        pairs = egress[egress_of[block]][:, order] & ingress_by_source[block][:, ingress_of[order]]
        per_ns = np.add.reduceat(pairs * column_weights, starts, axis=1) * weights[block, None]
        np.add.at(out, (ns_of_class[block, None], column_ns[None, :]), per_ns)
    return out
