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

from kubenet_tui.engine.classes import BoolArray, ClassSpace, IntArray, PodClasses
from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.evaluate import End, evaluate
from kubenet_tui.engine.explain import Direction, Status
from kubenet_tui.engine.model import Protocol
from kubenet_tui.engine.records import record
from kubenet_tui.engine.rules import CompiledPolicy, PortQuery
from kubenet_tui.engine.tiers import CompiledTier, fold_row

PackedBits = npt.NDArray[np.uint8]


@record(eq=False, slots=False)
class RowTable:
    """Every class's row in one direction, each distinct row once: class c allows the peer classes
    `allowed[which[c]]`, cannot tell for `unknown[which[c]]`, and denies the rest. A few hundred
    distinct rows stand for thousands of classes (most pods are selected alike)."""

    allowed: BoolArray  # distinct rows x classes
    unknown: BoolArray
    which: IntArray  # per class: the index of its row
    denies_self: BoolArray  # per class: a tier that governs loopback denies it as its own peer


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
        self._unknown_cache: dict[tuple[object, ...], BoolArray | None] = {}
        self._self_allowed: BoolArray | None = None
        self._gaps_cache: dict[tuple[str, Direction], tuple[bool, ...]] = {}
        self._group_ports: dict[tuple[int, int, Direction], tuple[BoolArray, ...]] = {}

    def _signature(self, cls: int, direction: Direction) -> tuple[object, ...]:
        """Everything a row depends on: which policies of each tier select the class (and whether one
        may, unknown), the gaps of its namespace, and for ingress the answers of the selected rules'
        ports that depend on the destination (named ports, resolved on the class itself): the rows
        read the class through `space.matched` and nothing else."""
        namespace = self.space.namespace_of(cls)
        parts: list[object] = [direction, self._gaps(namespace, direction)]
        ports: list[bool] = []
        for tier in self.program.tiers:
            group = self.space.selection_group(tier, cls, direction)
            if group is not None:
                parts.append(group)
                masks = self._destination_ports(tier, group[0], direction) if direction is Direction.INGRESS else ()
                own = self._own_conditions(self.space.group_policies(tier, group[0], direction), direction)
            else:
                selected, cut = self.space.selection(tier, cls, direction)
                parts.append((tuple(map(id, selected)), cut))
                masks = self._port_masks(selected, direction) if direction is Direction.INGRESS else ()
                own = self._own_conditions(selected, direction)
            ports.extend(bool(mask[cls]) for mask in masks)
            # Rules with a condition on the pod itself (Calico's): whether the class meets each.
            ports.extend(bool(mask[cls]) for mask in own)
        parts.append(tuple(ports))
        return tuple(parts)

    def _signature_ids(self, classes: IntArray, direction: Direction) -> IntArray:
        """`_signature` for many classes at once, as ids (equal ids: equal signatures): the same parts
        (the gaps of the namespace; per tier the selection group and cut; for ingress the answers of
        the selected rules' destination-dependent ports), gathered over vectors."""
        self._select_all(direction)
        space = self.space
        columns: list[IntArray] = []
        gap_ids: dict[tuple[bool, ...], int] = {}
        by_namespace = {ns: gap_ids.setdefault(self._gaps(ns, direction), len(gap_ids))
                        for ns in {space.namespace_of(c) for c in classes.tolist()}}
        columns.append(np.array([by_namespace[space.namespace_of(c)] for c in classes.tolist()], dtype=np.intp))
        for tier in self.program.tiers:
            groups, _, cut = space.selection_vectors(tier, direction)
            mine = groups[classes]
            columns.append(mine)
            columns.append(cut[classes].astype(np.intp))
            # The answers of the group's destination-dependent ports (ingress) and of its rules'
            # conditions on the pod itself at each class, as an id unique within the group (the group
            # is the column beside it).
            answers_id = np.zeros(len(classes), dtype=np.intp)
            order = np.argsort(mine, kind="stable")
            starts = np.flatnonzero(np.r_[True, mine[order][1:] != mine[order][:-1]])
            for where in np.split(order, starts[1:]):
                group = int(mine[where[0]])
                masks = self._own_conditions(space.group_policies(tier, group, direction), direction)
                if direction is Direction.INGRESS:
                    masks = (*self._destination_ports(tier, group, direction), *masks)
                if not masks:
                    continue
                if len(where) == 1:
                    answers_id[where] = 1
                elif len(masks) == 1:
                    answers_id[where] = masks[0][classes[where]].astype(np.intp) + 1
                else:
                    answers = np.stack([m[classes[where]] for m in masks], axis=1)
                    _, found_ids = np.unique(answers, axis=0, return_inverse=True)
                    answers_id[where] = found_ids.reshape(-1) + 1
            columns.append(answers_id)
        _, ids = np.unique(np.stack(columns, axis=1), axis=0, return_inverse=True)
        found: IntArray = ids.reshape(-1).astype(np.intp)
        return found

    def _select_all(self, direction: Direction) -> None:
        """Which policies select each class, for every class at once (rows and signatures read it)."""
        for tier in self.program.tiers:
            self.space.select_all(tier, direction)

    def _gaps(self, namespace: str, direction: Direction) -> tuple[bool, ...]:
        """Per tier: are its policies unreadable, or some not evaluated, for pods of `namespace`."""
        key = (namespace, direction)
        found = self._gaps_cache.get(key)
        if found is None:
            found = self._gaps_cache[key] = tuple(
                flag for tier in self.program.tiers
                for flag in (tier.unreadable_for(namespace) is not None, bool(tier.unevaluated_for(namespace, direction))))
        return found

    def _destination_ports(self, tier: CompiledTier, group: int, direction: Direction) -> tuple[BoolArray, ...]:
        key = (id(tier), group, direction)
        found = self._group_ports.get(key)
        if found is None:
            found = self._group_ports[key] = self._port_masks(self.space.group_policies(tier, group, direction),
                                                              direction)
        return found

    def _own_conditions(self, selected: tuple[CompiledPolicy, ...], direction: Direction) -> tuple[BoolArray, ...]:
        """The masks (sure, maybe) of the conditions the selected rules put on the pod itself (Calico's
        `source` of an egress rule): a row depends on whether its class meets each."""
        masks: list[BoolArray] = []
        for policy in selected:
            for rule in policy.rules(direction):
                if rule.local is not None:
                    masks.extend(self.space.peer_masks(rule.local))
        return tuple(masks)

    def _loopback_follows(self, loopback: list[CompiledTier]) -> bool:
        """Whether tiers that do not govern loopback (a plugin's) come before those that do: the full
        rows then only hold the loopback tiers' denials of peers those tiers left open."""
        return self.program.tiers[:len(loopback)] != tuple(loopback)

    def _loopback_walk(self, cls: int) -> tuple[bool, bool]:
        """A class's traffic to itself through the loopback tiers alone, as `evaluate` walks it:
        (allowed, unknown) in both directions."""
        def governs(tier: CompiledTier) -> bool:
            return tier.governs_loopback

        states = [fold_row(self.program, self.space, cls, d, governs) for d in Direction]
        allowed = all(bool(s.allowed[cls]) for s in states)
        return allowed, not allowed and all(bool(s.allowed[cls] or s.unknown[cls]) for s in states)

    def _port_masks(self, selected: tuple[CompiledPolicy, ...], direction: Direction) -> tuple[BoolArray, ...]:
        """The port answers of the selected policies' rules that differ per destination class."""
        masks = []
        for policy in selected:
            for rule in policy.rules(direction):
                mask = self.space.rule_masks(rule)[2]
                if not isinstance(mask, bool):
                    masks.append(mask)
        return tuple(masks)

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
        self._select_all(direction)
        signature = self._signature(cls, direction)
        found = self._row_cache.get(signature)
        if found is None:
            state = fold_row(self.program, self.space, cls, direction)
            found = self._row_cache[signature] = state.allowed
            self._denied_cache[signature] = np.packbits(state.denied) if state.denied.any() else None
            self._unknown_cache[signature] = state.unknown if state.unknown.any() else None
        return found, self._denied_cache[signature]

    def unknown_row(self, cls: int, direction: Direction) -> BoolArray:
        """The peer classes whose verdict in `direction` at class `cls` cannot be told (see `row`)."""
        rep = self.classes.representatives[cls]
        if not rep.carries_traffic or rep.host_network:
            return self.space.nothing
        self._row(cls, direction)
        found = self._unknown_cache.get(self._signature(cls, direction))
        return self.space.nothing if found is None else found

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

    def row_table(self, direction: Direction, only: IntArray | None = None) -> RowTable:
        """The rows of every class in `direction`, allowed and unknown, each distinct row stored once
        (rows are compared by content, so memory is the distinct rows, not one per signature).
        `only`: just these classes (the others get row -1)."""
        size = self.size
        content: dict[bytes, int] = {}
        allowed_rows: list[BoolArray] = []
        unknown_rows: list[BoolArray] = []
        which = np.empty(size, dtype=np.intp)
        denies_self = np.zeros(size, dtype=np.bool_)

        def add(allowed: BoolArray, unknown: BoolArray) -> int:
            key = np.packbits(allowed).tobytes() + np.packbits(unknown).tobytes()
            found = content.get(key)
            if found is None:
                found = content[key] = len(allowed_rows)
                allowed_rows.append(allowed)
                unknown_rows.append(unknown)
            return found

        reps = self.classes.representatives
        which.fill(-1)
        chosen = np.arange(size) if only is None else np.asarray(only, dtype=np.intp)
        carries = np.array([reps[c].carries_traffic for c in chosen.tolist()], dtype=np.bool_)
        host = np.array([reps[c].host_network for c in chosen.tolist()], dtype=np.bool_)
        if (~carries).any():
            which[chosen[~carries]] = add(self.space.nothing, self.space.nothing)
        if (carries & host).any():
            which[chosen[carries & host]] = add(self.space.everything, self.space.nothing)
        folded = chosen[carries & ~host]
        if len(folded):
            signatures = self._signature_ids(folded, direction)
            order = np.argsort(signatures, kind="stable")
            starts = np.flatnonzero(np.r_[True, signatures[order][1:] != signatures[order][:-1]])
            for members in np.split(folded[order], starts[1:]):
                state = fold_row(self.program, self.space, int(members[0]), direction)
                which[members] = add(state.allowed, state.unknown)
                denies_self[members] = state.denied[members]
        if not allowed_rows:
            empty: BoolArray = np.zeros((0, size), dtype=np.bool_)
            return RowTable(empty, empty, which, denies_self)
        return RowTable(np.stack(allowed_rows), np.stack(unknown_rows), which, denies_self)

    def self_states(self, egress: RowTable, ingress: RowTable) -> tuple[BoolArray, BoolArray]:
        """Per class: may its pods talk to themselves (allowed), and is that unknown? As
        `self_allowed`, from the row tables' loopback denials."""
        allowed = np.zeros(self.size, dtype=np.bool_)
        unknown = np.zeros(self.size, dtype=np.bool_)
        loopback = [t for t in self.program.tiers if t.governs_loopback]
        if self._loopback_uncertain(loopback):
            for c, rep in enumerate(self.classes.representatives):
                end = End(pod=rep)
                status = evaluate(self.cluster, end, end, self.query.protocol, self.query.port).status
                allowed[c] = status is Status.ALLOWED
                unknown[c] = status is Status.UNKNOWN
            return allowed, unknown
        carries = np.array([r.carries_traffic for r in self.classes.representatives], dtype=np.bool_)
        if loopback and self._loopback_follows(loopback):
            for c, rep in enumerate(self.classes.representatives):
                if rep.carries_traffic and not rep.host_network:
                    allowed[c], unknown[c] = self._loopback_walk(c)
                else:
                    allowed[c] = rep.carries_traffic
            return allowed, unknown
        if loopback:
            carries &= ~(egress.denies_self | ingress.denies_self)
        return carries, unknown

    def _loopback_uncertain(self, loopback: list[CompiledTier]) -> bool:
        """Whether a loopback tier's verdicts may be unknown (over data that could not be read): the
        diagonal is then asked of the explained engine, class by class (rare)."""
        return any(t.unreadable or t.unevaluated for t in loopback) or bool(
            loopback and (self.index.nodes_gap() is not None or self.index.has_namespace_gaps))

    def self_allowed(self) -> BoolArray:
        """Per class: may its pods talk to themselves? NetworkPolicies cannot block a pod's own
        traffic, but a tier that governs loopback (the admin tier) can (hairpin); pods that carry no
        traffic are never evaluated."""
        if self._self_allowed is not None:
            return self._self_allowed
        out = np.zeros(self.size, dtype=np.bool_)
        loopback = [t for t in self.program.tiers if t.governs_loopback]
        if loopback and not self._loopback_uncertain(loopback) and self._loopback_follows(loopback):
            for c, rep in enumerate(self.classes.representatives):
                out[c] = rep.carries_traffic and (rep.host_network or self._loopback_walk(c)[0])
            self._self_allowed = out
            return out
        if self._loopback_uncertain(loopback):
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
