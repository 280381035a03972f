"""Verdicts for every pair of pod classes at once, for one protocol and port: the bool of `evaluate`.

Nothing here restates the semantics: each class's row is the tiers' fold (`tiers.fold_row`), the row
face of the same compiled rules that explain a single verdict. This module only shares rows between
classes that the same policies select (rows depend on nothing else, and on the class's named ports
for ingress), stacks them into the class matrix, and works out the diagonal (a pod to itself).

A connection is allowed iff egress at the source and ingress at the destination allow it; host-network
pods are not evaluated (allowed), pods that carry no traffic are never allowed. Unknown outcomes are
not allowed, as `Status.UNKNOWN` is in the matrix.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kubenet_tui.engine.classes import BoolArray, ClassSpace, IntArray, PodClasses, named_ports
from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.evaluate import End, evaluate
from kubenet_tui.engine.explain import Direction
from kubenet_tui.engine.model import Protocol
from kubenet_tui.engine.rules import PortQuery
from kubenet_tui.engine.tiers import CompiledTier, fold_row

PackedBits = npt.NDArray[np.uint8]


class ClassEvaluator:
    """Egress and ingress verdict vectors of pod classes, for one (protocol, port)."""

    def __init__(self, cluster: Cluster, classes: PodClasses, protocol: Protocol, port: int | None) -> None:
        self.cluster = cluster
        self.index = cluster.index
        self.program = cluster.program
        self.classes = classes
        self.query = PortQuery(protocol, port)
        self.space = ClassSpace(self.program, self.index, classes, self.query)
        self.size = classes.count
        # Per row signature: the allowed peers, and the loopback tiers' denials bit-packed (None: none),
        # kept apart because only the denials are still needed once the class matrix is built.
        self._row_cache: dict[tuple[object, ...], BoolArray] = {}
        self._denied_cache: dict[tuple[object, ...], PackedBits | None] = {}
        self._self_allowed: BoolArray | None = None

    def _signature(self, cls: int, direction: Direction) -> tuple[object, ...]:
        """Everything a row depends on: which policies of each tier select the class (and whether one
        may, unknown), the gaps of its namespace, and for ingress its named ports."""
        namespace = self.space.namespace_of(cls)
        parts: list[object] = [direction]
        for tier in self.program.tiers:
            selected, cut = self.space.selection(tier, cls, direction)
            parts.append((tuple(map(id, selected)), cut, tier.unreadable_for(namespace) is not None,
                          bool(tier.unevaluated_for(namespace, direction))))
            # Rules with a condition on the pod itself (Calico's): whether the class meets each.
            for policy in selected:
                for rule in policy.rules(direction):
                    if rule.local is not None:
                        sure, maybe = self.space.peer_masks(rule.local)
                        parts.append((bool(sure[cls]), bool(maybe[cls])))
        if direction is Direction.INGRESS:
            parts.append(named_ports(self.classes.representatives[cls]))
        return tuple(parts)

    def row(self, cls: int, direction: Direction) -> BoolArray:
        """Whether `direction` at class `cls` allows each peer class (egress: each destination,
        ingress: each source). Host-network classes are not evaluated: all allowed."""
        return self._row(cls, direction)[0]

    def denies_itself(self, cls: int, direction: Direction) -> bool:
        """Whether a tier that governs loopback denies class `cls` as its own peer in `direction`."""
        packed = self._row(cls, direction)[1]
        return packed is not None and bool((int(packed[cls >> 3]) >> (7 - (cls & 7))) & 1)

    def _row(self, cls: int, direction: Direction) -> tuple[BoolArray, PackedBits | None]:
        rep = self.classes.representatives[cls]
        if not rep.carries_traffic:
            return self.space.nothing, None
        if rep.host_network:
            return self.space.everything, None
        signature = self._signature(cls, direction)
        found = self._row_cache.get(signature)
        if found is None:
            state = fold_row(self.program, self.space, cls, direction)
            found = self._row_cache[signature] = state.allowed
            self._denied_cache[signature] = np.packbits(state.denied) if state.denied.any() else None
        return found, self._denied_cache[signature]

    def class_matrix(self) -> BoolArray:
        """`allowed[s, d]`: class s may open connections to class d (two distinct pods; the caller
        handles a pod talking to itself)."""
        size = self.size
        if size == 0:
            return np.zeros((0, 0), dtype=np.bool_)
        self.self_allowed()  # while the rows are cached
        # Rows are shared by every class with the same signature: keep each distinct row once and
        # an index, so memory stays one class matrix (the result) plus the distinct rows.
        egress_rows, egress_of = self._distinct_rows(Direction.EGRESS)
        ingress_rows, ingress_of = self._distinct_rows(Direction.INGRESS)
        ingress_by_source = np.ascontiguousarray(ingress_rows.T)  # [s, k]: row k allows source s
        del ingress_rows
        allowed: BoolArray = np.empty((size, size), dtype=np.bool_)
        step = max(1, (1 << 24) // size)  # rows per block: about 16 MB of temporaries
        for start in range(0, size, step):
            stop = min(size, start + step)
            allowed[start:stop] = egress_rows[egress_of[start:stop]] & ingress_by_source[start:stop][:, ingress_of]
        silent = np.array([not r.carries_traffic for r in self.classes.representatives], dtype=np.bool_)
        allowed[:, silent] = False  # a destination that carries no traffic: not evaluated
        return allowed

    def _distinct_rows(self, direction: Direction) -> tuple[BoolArray, IntArray]:
        """The distinct rows of `direction` stacked, and which one each class uses."""
        position: dict[int, int] = {}
        rows: list[BoolArray] = []
        which = np.empty(self.size, dtype=np.intp)
        for c in range(self.size):
            row = self.row(c, direction)
            k = position.get(id(row))
            if k is None:
                k = position[id(row)] = len(rows)
                rows.append(row)
            which[c] = k
        stacked = np.stack(rows)
        del rows
        # The stack holds them now: drop the cached copies (a later `row` call recomputes).
        for signature in [s for s in self._row_cache if s[0] is direction]:
            del self._row_cache[signature]
        return stacked, which

    def self_allowed(self) -> BoolArray:
        """Per class: may its pods talk to themselves? NetworkPolicies cannot block a pod's own
        traffic, but a tier that governs loopback (the admin tier) can (hairpin); pods that carry no
        traffic are never evaluated."""
        if self._self_allowed is not None:
            return self._self_allowed
        out = np.zeros(self.size, dtype=np.bool_)
        loopback = [t for t in self.program.tiers if t.governs_loopback]
        uncertain = any(t.unreadable or t.unevaluated for t in loopback) or (
            loopback and (self.index.nodes_gap() is not None or self.index.has_namespace_gaps))
        if loopback and not uncertain and self.program.tiers[:len(loopback)] != tuple(loopback):
            # Tiers that do not govern loopback come first (a plugin's): the full rows decide peers
            # those tiers leave open only; walk the loopback tiers alone, as `evaluate` does.
            def governs(tier: CompiledTier) -> bool:
                return tier.governs_loopback

            for c, rep in enumerate(self.classes.representatives):
                out[c] = rep.carries_traffic and (rep.host_network or all(
                    bool(fold_row(self.program, self.space, c, d, governs).allowed[c]) for d in Direction))
            self._self_allowed = out
            return out
        if uncertain:
            # Rare (loopback tiers over data that could not be read): ask the explained engine per class.
            for c, rep in enumerate(self.classes.representatives):
                end = End(pod=rep)
                out[c] = evaluate(self.cluster, end, end, self.query.protocol, self.query.port).allowed is True
        else:
            for c, rep in enumerate(self.classes.representatives):
                out[c] = rep.carries_traffic and not (
                    loopback and (self.denies_itself(c, Direction.EGRESS) or self.denies_itself(c, Direction.INGRESS))
                )
        self._self_allowed = out
        return out
