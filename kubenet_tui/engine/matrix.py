"""Connectivity between every pair of pods: the same verdicts as `evaluate`, for many pairs.

Pods are grouped into equivalence classes (`classes.partition`), the verdicts computed class by
class as boolean vectors (`fast.ClassEvaluator`), and the pod-by-pod grid is only expanded when it
is read, one row at a time: a 10,000 x 10,000 result holds a class matrix and an index, not 100
million Python booleans. `allowed` means `evaluate(...).status is Status.ALLOWED`: blocked, unknown
and not-evaluated pairs are all `False`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import field

import numpy as np

from kubenet_tui.engine.classes import BoolArray, IntArray, partition
from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.fast import ClassEvaluator
from kubenet_tui.engine.model import Pod, Protocol
from kubenet_tui.engine.records import record


def matrix_pods(cluster: Cluster, namespaces: set[str] | None = None) -> tuple[Pod, ...]:
    """Pods that can carry traffic, sorted by namespace then name (the matrix's row order)."""
    return tuple(
        sorted(
            (p for p in cluster.pods if p.carries_traffic and (namespaces is None or p.namespace in namespaces)),
            key=lambda p: (p.namespace, p.name),
        )
    )


@record(eq=False, slots=False)
class MatrixResult:
    """`allowed(i, j)`: may `pods[i]` open a connection to `pods[j]`? Held as a class matrix
    (`class_allowed[class_of[i], class_of[j]]`) plus the diagonal: a pod may talk to itself unless it
    carries no traffic or the admin tier denies it (hairpin)."""

    pods: tuple[Pod, ...]
    protocol: Protocol
    port: int | None
    class_of: IntArray
    class_allowed: BoolArray
    self_allowed: BoolArray  # per pod: its own diagonal entry
    # Positions holding the very same Pod object more than once (a loopback pair off the diagonal).
    twins: dict[int, tuple[int, ...]] = field(default_factory=dict)
    # A named port (`port_name`): the number it stands for on each destination pod, 0 where the pod
    # declares no such port (its column is then all False: nothing can connect to it on that port).
    port_name: str | None = None
    port_numbers: IntArray | None = None

    @property
    def pod_keys(self) -> list[str]:
        return [p.key for p in self.pods]

    def row(self, i: int) -> BoolArray:
        """Row i (source `pods[i]`) as a fresh boolean vector over destinations."""
        out: BoolArray = self.class_allowed[self.class_of[i]][self.class_of]
        out[i] = self.self_allowed[i]
        for j in self.twins.get(i, ()):
            out[j] = self.self_allowed[i]
        return out

    def rows(self) -> Iterator[list[bool]]:
        for i in range(len(self.pods)):
            yield self.row(i).tolist()

    def allowed(self, i: int, j: int) -> bool:
        if i == j or j in self.twins.get(i, ()):
            return bool(self.self_allowed[i])
        return bool(self.class_allowed[self.class_of[i], self.class_of[j]])

    def array(self) -> BoolArray:
        """The whole pod grid (n x n booleans: 100 MB for 10,000 pods)."""
        grid: BoolArray = self.class_allowed[np.ix_(self.class_of, self.class_of)]
        for i in range(len(self.pods)):
            grid[i, i] = self.self_allowed[i]
            for j in self.twins.get(i, ()):
                grid[i, j] = self.self_allowed[i]
        return grid

    def count_allowed(self) -> int:
        """Allowed pairs, diagonal included, without expanding the grid."""
        sizes = np.bincount(self.class_of, minlength=self.class_allowed.shape[0]).astype(np.int64)
        total = 0
        step = 256  # rows at a time: an int64 copy of the whole class matrix could be large
        for start in range(0, len(sizes), step):
            block = self.class_allowed[start : start + step].astype(np.int64)
            total += int(sizes[start : start + step] @ (block @ sizes))
        # The diagonal (and twins) came from the class matrix; put the pods' own entries instead.
        for i in range(len(self.pods)):
            for j in (i, *self.twins.get(i, ())):
                total += int(self.self_allowed[i]) - int(self.class_allowed[self.class_of[i], self.class_of[j]])
        return total

    def namespace_summary(self) -> list[tuple[str, str, int, int]]:
        """(source namespace, destination namespace, allowed pairs, pairs) for every namespace
        pair, sorted. A class never spans two namespaces, so each class row is summed per
        destination namespace once: the cost is one pass over the class matrix (plus classes x
        namespaces), not a product with a classes x namespaces matrix for every row."""
        if not self.pods:
            return []
        names = sorted({p.namespace for p in self.pods})
        position = {ns: k for k, ns in enumerate(names)}
        n_classes = self.class_allowed.shape[0]
        sizes = np.bincount(self.class_of, minlength=n_classes).astype(np.int64)
        ns_of_pod = np.fromiter((position[p.namespace] for p in self.pods), dtype=np.intp, count=len(self.pods))
        ns_of_class = np.zeros(n_classes, dtype=np.intp)
        ns_of_class[self.class_of] = ns_of_pod
        # Destination classes grouped by namespace, so one reduceat sums each namespace's columns;
        # `matrix_pods` order already groups them, and then no column copy is needed.
        order: IntArray = np.argsort(ns_of_class, kind="stable")
        grouped = bool(np.all(order == np.arange(n_classes)))
        sorted_ns = ns_of_class[order]
        starts = np.flatnonzero(np.r_[True, sorted_ns[1:] != sorted_ns[:-1]])
        column_ns = sorted_ns[starts]  # the namespace of each reduceat group (only those with classes)
        # int32 is enough for a count of destination pods, and halves the largest temporary.
        column_sizes = sizes[order].astype(np.int32)
        allowed = np.zeros((len(names), len(names)), dtype=np.int64)
        # Bounded temporaries: about a million cells per step (4 MB), whatever the class count.
        step = max(1, min(n_classes, (1 << 20) // max(n_classes, 1)))
        for first in range(0, n_classes, step):
            rows = self.class_allowed[first : first + step]
            if not grouped:
                rows = rows[:, order]
            weighted = rows * column_sizes  # allowed destination pods per class pair
            per_ns = np.add.reduceat(weighted, starts, axis=1).astype(np.int64)  # rows x namespaces with classes
            per_ns *= sizes[first : first + step, None]
            np.add.at(allowed, (ns_of_class[first : first + step, None], column_ns[None, :]), per_ns)
        # The diagonal (and twins) came from the class matrix; put the pods' own entries instead.
        own = self.class_allowed[self.class_of, self.class_of]
        np.add.at(allowed, (ns_of_pod, ns_of_pod), self.self_allowed.astype(np.int64) - own.astype(np.int64))
        for i, others in self.twins.items():
            for j in others:
                k = ns_of_pod[i]
                allowed[k, k] += int(self.self_allowed[i]) - int(self.class_allowed[self.class_of[i], self.class_of[j]])
        counts = np.bincount(ns_of_pod, minlength=len(names)).astype(np.int64)
        return [
            (src, dst, int(allowed[a, b]), int(counts[a] * counts[b]))
            for a, src in enumerate(names)
            for b, dst in enumerate(names)
        ]

    def blocked_pairs(self) -> Iterator[tuple[int, int]]:
        """(source, destination) positions of every pair that is not allowed, row by row."""
        for i in range(len(self.pods)):
            for j in np.flatnonzero(~self.row(i)).tolist():
                yield i, j


def _twins(pods: tuple[Pod, ...]) -> dict[int, tuple[int, ...]]:
    twins: dict[int, tuple[int, ...]] = {}
    if len({id(p) for p in pods}) != len(pods):
        seen: dict[int, list[int]] = {}
        for i, p in enumerate(pods):
            seen.setdefault(id(p), []).append(i)
        for positions in seen.values():
            for i in positions:
                others = tuple(j for j in positions if j != i)
                if others:
                    twins[i] = others
    return twins


def connectivity_matrix(cluster: Cluster, pods: tuple[Pod, ...], protocol: Protocol, port: int | None) -> MatrixResult:
    """Verdicts for every ordered pair of `pods`, identical to `evaluate(...).status is ALLOWED`."""
    pods = tuple(pods)
    classes = partition(cluster.program, cluster.index, pods)
    evaluator = ClassEvaluator(cluster, classes, protocol, port)
    class_allowed = evaluator.class_matrix()
    self_allowed: BoolArray = evaluator.self_allowed()[classes.class_of]
    return MatrixResult(pods, protocol, port, classes.class_of, class_allowed, self_allowed, _twins(pods))


def destination_port(pod: Pod, name: str, protocol: Protocol) -> int | None:
    """The number a port name stands for on `pod`, as a check of one connection resolves it."""
    found = pod.named_port(name, protocol)
    return None if found is None else found.port


def named_port_matrix(cluster: Cluster, pods: tuple[Pod, ...], protocol: Protocol, name: str) -> MatrixResult:
    """Every ordered pair of `pods` on the port called `name` at each destination: pods that declare it
    under different numbers are asked about their own number, pods that do not declare it cannot be
    reached on it. One class matrix per distinct number, each contributing the columns of the classes
    that use that number, so the result stays a class matrix."""
    pods = tuple(pods)
    classes = partition(cluster.program, cluster.index, pods)
    numbers = np.fromiter((destination_port(p, name, protocol) or 0 for p in pods), dtype=np.intp, count=len(pods))
    # A class of the result is a class of the partition with one number; pods that share a class
    # normally share their named ports too, but the split keeps this right even if they did not.
    distinct = sorted(set(numbers.tolist()) - {0})
    number_index = np.searchsorted(np.array([0, *distinct], dtype=np.intp), numbers)
    keys = classes.class_of.astype(np.int64) * (len(distinct) + 1) + number_index
    unique_keys, class_of = np.unique(keys, return_inverse=True)
    class_of = class_of.astype(np.intp)
    base = (unique_keys // (len(distinct) + 1)).astype(np.intp)  # partition class of each result class
    which = (unique_keys % (len(distinct) + 1)).astype(np.intp)  # 0: no such port, k: distinct[k - 1]
    class_allowed: BoolArray = np.zeros((len(unique_keys), len(unique_keys)), dtype=np.bool_)
    self_allowed: BoolArray = np.zeros(len(pods), dtype=np.bool_)
    for k, number in enumerate(distinct, 1):
        evaluator = ClassEvaluator(cluster, classes, protocol, number)
        allowed = evaluator.class_matrix()
        columns = np.flatnonzero(which == k)
        class_allowed[:, columns] = allowed[np.ix_(base, base[columns])]
        del allowed
        here = number_index == k
        self_allowed[here] = evaluator.self_allowed()[classes.class_of[here]]
    return MatrixResult(pods, protocol, None, class_of, class_allowed, self_allowed, _twins(pods),
                        port_name=name, port_numbers=numbers)
