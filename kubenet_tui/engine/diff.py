"""What a change does to connectivity: every flow (an ordered pair of pods, on one port) whose verdict
differs between two clusters, grouped by namespace pair and port, each group explained.

Never pair by pair. Each side's pods are grouped into classes for that side's program
(`classes.partition`); a pod's pair of classes (base, head) is its joint class, which refines both
partitions, so every flow between two joint classes has one verdict per side even where the change
adds the CIDRs or selectors that split a class. Per port:

- each class's egress and ingress rows are the tiers' fold (`tiers.fold_row`, three-valued: allowed,
  unknown, denied), one per row signature of the matrix (`fast.ClassEvaluator`), and kept across ports
  whenever the port answers of every rule that may apply to the class are the same;
- a flow can only change where the source's egress row or the destination's ingress row differs
  between the sides, compared by content over the joint classes: only those strips are combined and
  compared, so a one-policy change costs what it touches;
- pods on one side only are flows that appear or disappear; a pod's traffic to itself is compared too.

Verdicts are what the policies say (`Verdict.policies_say`): ALLOWED, BLOCKED or UNKNOWN. A change to
or from UNKNOWN is a change of its own kind, never folded into "blocked". One representative flow per
changed class pair (as many as the budget allows) is explained with `evaluate` on both sides.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

import numpy as np
import numpy.typing as npt

from kubenet_tui.engine.classes import BoolArray, ClassSpace, IntArray, PodClasses, partition
from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.dialects.cilium_match import NoConnectionPort
from kubenet_tui.engine.evaluate import End, evaluate
from kubenet_tui.engine.explain import Direction, Status, Verdict
from kubenet_tui.engine.fast import ClassEvaluator
from kubenet_tui.engine.matrix import matrix_pods
from kubenet_tui.engine.model import Pod, Protocol
from kubenet_tui.engine.records import record
from kubenet_tui.engine.rules import Action, CompiledPolicy, NamedPort, PortMatcher, PortQuery, PortRange
from kubenet_tui.engine.tiers import CompiledTier, fold_row

CodeArray = npt.NDArray[np.int8]

MAX_PORT = 65535
# Class pairs explained with `evaluate` (two verdicts each), at most, and per group of changes.
EXPLAIN_BUDGET = 600
EXAMPLES_PER_GROUP = 8
_BLOCK = 512  # rows of a strip combined at a time (bounded temporaries at any size)


class State(IntEnum):
    """A flow's verdict on one side; the codes are what the strips hold."""

    BLOCKED = 0
    ALLOWED = 1
    UNKNOWN = 2
    ABSENT = 3  # no such flow on this side: one of its pods is not there (or carries no traffic)

    @property
    def word(self) -> str:
        return self.name.lower()

    @classmethod
    def of(cls, status: Status) -> State:
        return {Status.ALLOWED: cls.ALLOWED, Status.BLOCKED: cls.BLOCKED}.get(status, cls.UNKNOWN)


class ChangeKind(StrEnum):
    OPENED = "opened"  # blocked -> allowed
    CLOSED = "closed"  # allowed -> blocked
    BECAME_UNKNOWN = "became-unknown"  # allowed or blocked -> unknown
    NOW_KNOWN = "now-known"  # unknown -> allowed or blocked
    APPEARED = "appeared"  # a pod of the flow exists only on the head side
    DISAPPEARED = "disappeared"  # ... only on the base side

    @classmethod
    def of(cls, before: State, after: State) -> ChangeKind:
        if before is State.ABSENT:
            return cls.APPEARED
        if after is State.ABSENT:
            return cls.DISAPPEARED
        if after is State.UNKNOWN:
            return cls.BECAME_UNKNOWN
        if before is State.UNKNOWN:
            return cls.NOW_KNOWN
        return cls.OPENED if after is State.ALLOWED else cls.CLOSED


# -- which ports to compare --------------------------------------------------------------------------


@record
class PortQuestion:
    """Ports of one protocol that every policy of both sides treats alike: `port` is asked for all of
    them. `other`: the ports no policy names (besides whole-protocol entries)."""

    protocol: Protocol
    port: int
    ranges: tuple[tuple[int, int], ...]
    other: bool = False

    def label(self) -> str:
        proto = self.protocol.value
        if self.other:
            return f"any {proto} port" if self.ranges == ((1, MAX_PORT),) else f"any other {proto} port"
        shown = [str(a) if a == b else f"{a}-{b}" for a, b in self.ranges]
        if len(shown) > 3:
            shown = [*shown[:3], f"... ({len(shown)} ranges)"]
        return f"{', '.join(shown)}/{proto}"


@record
class PortPlan:
    questions: tuple[PortQuestion, ...]
    # Port forms whose ranges cannot be enumerated here: ports beyond those asked may differ.
    unsplit: tuple[str, ...] = ()


def _port_bounds(matcher: PortMatcher, protocol: Protocol, pods: Sequence[Pod]) -> list[tuple[int, int]] | None:
    """The port ranges of `protocol` where `matcher` may answer differently from the ports around
    them; None: not known for this form."""
    if isinstance(matcher, PortRange):
        proto, first, last = matcher.bounds()
        return [(first, last)] if proto is protocol else []
    if isinstance(matcher, NamedPort):
        return sorted({(n, n) for pod in pods for n in matcher.numbers(protocol, pod)})
    if isinstance(matcher, NoConnectionPort):
        return []
    bounds = getattr(matcher, "port_bounds", None)  # a dialect's own port form may say
    if callable(bounds):
        found = bounds(protocol, pods)
        return None if found is None else [(int(a), int(b)) for a, b in found]
    return None


def port_plan(clusters: Sequence[Cluster], pods: Sequence[Pod], protocols: Sequence[Protocol] = tuple(Protocol),
              port: int | None = None) -> PortPlan:
    """One question per set of ports the policies of `clusters` tell apart, per protocol: every port a
    rule names (numbers, ranges, named ports as `pods` declare them) and the rest as "any other port".
    With `port`, just that port."""
    if port is not None:
        return PortPlan(tuple(PortQuestion(p, port, ((port, port),)) for p in protocols))
    matchers: dict[PortMatcher, None] = {}
    for cluster in clusters:
        for tier in cluster.program.tiers:
            for policy in tier.policies:
                for rule in (*policy.ingress, *policy.egress):
                    for matcher in rule.ports or ():
                        matchers.setdefault(matcher, None)
    pods = list({pod.ports: pod for pod in pods}.values())  # named ports read nothing else of a pod
    unsplit: dict[str, None] = {}
    questions: list[PortQuestion] = []
    for protocol in protocols:
        ranges: dict[tuple[int, int], None] = {}
        for matcher in matchers:
            found = _port_bounds(matcher, protocol, pods)
            if found is None:
                unsplit.setdefault(type(matcher).__name__, None)
                continue
            for bound in found:
                ranges.setdefault(bound, None)
        cuts = sorted({1, MAX_PORT + 1, *(a for a, _ in ranges), *(b + 1 for _, b in ranges)})
        whole = {r for r in ranges if r == (1, MAX_PORT)}
        groups: dict[frozenset[tuple[int, int]], list[tuple[int, int]]] = {}
        for first, after in itertools.pairwise(cuts):
            covering = frozenset(r for r in ranges if r[0] <= first and after - 1 <= r[1])
            groups.setdefault(covering, []).append((first, after - 1))
        for covering, segments in groups.items():
            questions.append(PortQuestion(protocol, segments[0][0], tuple(segments), other=covering <= whole))
    questions.sort(key=lambda q: (list(Protocol).index(q.protocol), q.other, q.port))
    return PortPlan(tuple(questions), tuple(unsplit))


# -- joint classes -----------------------------------------------------------------------------------


@record(eq=False, slots=False)
class JointClasses:
    """Pods grouped by their pair of classes (base, head): `base[j]`/`head[j]` is joint class j's class
    on that side, -1 where its pods are not there. `members[j]`: pod keys, sorted."""

    members: tuple[tuple[str, ...], ...]
    base: IntArray
    head: IntArray
    namespaces: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.members)

    def sizes(self) -> npt.NDArray[np.int64]:
        return np.array([len(m) for m in self.members], dtype=np.int64)


def joint_classes(base: PodClasses, head: PodClasses) -> JointClasses:
    found: dict[str, list[int]] = {}
    for side, classes in enumerate((base, head)):
        for pod, cls in zip(classes.pods, classes.class_of.tolist(), strict=True):
            found.setdefault(pod.key, [-1, -1])[side] = cls
    groups: dict[tuple[int, int], list[str]] = {}
    for key in sorted(found):
        b, h = found[key]
        groups.setdefault((b, h), []).append(key)
    ordered = sorted(groups.items(), key=lambda item: (item[1][0].split("/", 1)[0], item[1][0]))
    return JointClasses(
        tuple(tuple(keys) for _, keys in ordered),
        np.array([b for (b, _), _ in ordered], dtype=np.intp),
        np.array([h for (_, h), _ in ordered], dtype=np.intp),
        tuple(keys[0].split("/", 1)[0] for _, keys in ordered),
    )


# -- one side's rows, across ports ---------------------------------------------------------------------


@dataclass(slots=True)
class _Direction:
    """One direction of one side: per class its row signature and the set of port entries of the rules
    that may apply to it (worked out for the classes asked about, when first asked); every row folded
    so far (codes: 0 denied, 1 allowed, 2 unknown), by key."""

    signature: IntArray  # -1: host network or no traffic (not folded); -2: not worked out yet
    group: IntArray  # per class: which set of port entries may apply to it
    group_entries: list[tuple[int, ...]] = field(default_factory=list)  # per group: positions in `entries`
    entries: list[tuple[PortMatcher, bool]] = field(default_factory=list)  # (port entry, in a rule that denies)
    signature_ids: dict[object, int] = field(default_factory=dict)
    group_ids: dict[tuple[int, ...], int] = field(default_factory=dict)
    entry_ids: dict[tuple[PortMatcher, bool], int] = field(default_factory=dict)
    keys: dict[tuple[int, int, int], int] = field(default_factory=dict)
    codes: list[CodeArray] = field(default_factory=list)
    denied: list[BoolArray | None] = field(default_factory=list)  # by a tier that governs loopback
    projection: dict[int, int] = field(default_factory=dict)  # row -> id of its content over joint classes
    # Ids of the port answers of a group's entries, and of the per-class bits read from them, kept across
    # ports (a row key holds them).
    answer_ids: dict[tuple[int, ...], int] = field(default_factory=dict)
    bit_ids: dict[tuple[bool, ...], int] = field(default_factory=lambda: {(): 0})


class _Side:
    """Rows of one cluster's classes for any number of ports, folded once per distinct key."""

    def __init__(self, cluster: Cluster, classes: PodClasses) -> None:
        self.cluster = cluster
        self.program = cluster.program
        self.classes = classes
        self.size = classes.count
        # The matrix's own evaluator gives the row signature (everything a row depends on but the
        # port) and the space whose port-independent caches every port shares.
        self.reference = ClassEvaluator(cluster, classes, Protocol.TCP, None)
        self.space = self.reference.space
        reps = classes.representatives
        self.host = np.array([r.host_network for r in reps], dtype=np.bool_)
        self.silent = np.array([not r.carries_traffic for r in reps], dtype=np.bool_)
        self._directions: dict[Direction, _Direction] = {}
        loopback = [t for t in self.program.tiers if t.governs_loopback]
        self.loopback = bool(loopback)
        index = cluster.index
        # As ClassEvaluator.self_allowed: from the loopback denials of the rows when the loopback tiers
        # come first and read no gap; else a pod to itself is asked of the explained engine.
        self.self_by_rows = not loopback or (
            self.program.tiers[:len(loopback)] == tuple(loopback)
            and not any(t.unreadable or t.unevaluated for t in loopback)
            and index.nodes_gap() is None and not index.has_namespace_gaps)
        self._itself: dict[tuple[int, ...], State] = {}

    @property
    def directions(self) -> dict[Direction, _Direction]:
        """Per direction, the row signatures and port entries of the classes worked out so far, and
        the rows folded so far."""
        if not self._directions:
            self._directions.update({d: _Direction(np.full(self.size, -2, dtype=np.intp),
                                                   np.zeros(self.size, dtype=np.intp)) for d in Direction})
        return self._directions

    def _describe(self, direction: Direction, classes: IntArray) -> None:
        """Work out the signature and port entries of `classes` (those not done yet)."""
        state = self.directions[direction]
        space = self.space
        reps = self.classes.representatives
        for c in classes[state.signature[classes] == -2].tolist():
            rep = reps[c]
            if not rep.carries_traffic or rep.host_network:
                state.signature[c] = -1
                continue
            state.signature[c] = state.signature_ids.setdefault(self.reference._signature(c, direction),
                                                                len(state.signature_ids))
            # Every port entry of a rule of a policy that selects the class, or may: what a row can read
            # that depends on the port.
            key = tuple(state.entry_ids.setdefault((matcher, rule.action is Action.DENY), len(state.entry_ids))
                        for tier in self.program.tiers for policy in tier.candidates(rep.namespace)
                        if direction in policy.directions and _may_select(space, policy, c)
                        for rule in policy.rules(direction) for matcher in rule.ports or ())
            found = state.group_ids.get(key)
            if found is None:
                found = state.group_ids[key] = len(state.group_entries)
                state.group_entries.append(key)
            state.group[c] = found
        state.entries = list(state.entry_ids)

    def rows(self, space: ClassSpace, direction: Direction, tokens: dict[bytes, int],
             only: BoolArray | None = None) -> IntArray:
        """Which row each class has for the port `space` asks about (folding the rows not seen yet);
        with `only`, the rows of those classes (the others -1)."""
        state = self.directions[direction]
        if not self.size:
            return np.zeros(0, dtype=np.intp)
        chosen = np.arange(self.size, dtype=np.intp) if only is None else np.flatnonzero(only)
        self._describe(direction, chosen)
        # Each distinct entry's answer once: 0/1, a token for a vector matched at each destination
        # (egress), or a marker for one read at the class itself (ingress: the class's bits).
        answers: list[int] = []
        vectors: dict[int, BoolArray] = {}
        for k, (matcher, denies) in enumerate(state.entries):
            answer = matcher.mask(space, space.query, denies)
            if isinstance(answer, bool):
                answers.append(int(answer))
            elif direction is Direction.EGRESS:
                answers.append(2 + _token(answer, tokens))
            else:
                answers.append(-1)
                vectors[k] = answer
        ids = state.answer_ids
        group_ids = [ids.setdefault(tuple(answers[k] for k in entries), len(ids)) for entries in state.group_entries]
        groups = state.group[chosen]
        bits = np.zeros(len(chosen), dtype=np.intp)
        if group_ids:
            answer_of = np.array(group_ids, dtype=np.intp)[groups]
            if vectors:
                reads = [tuple(k for k in entries if k in vectors) for entries in state.group_entries]
                at_class = np.array([bool(r) for r in reads], dtype=np.bool_)[groups] & (state.signature[chosen] >= 0)
                for i in np.flatnonzero(at_class).tolist():
                    c = int(chosen[i])
                    found = tuple(bool(vectors[k][c]) for k in reads[state.group[c]])
                    bits[i] = state.bit_ids.setdefault(found, len(state.bit_ids))
        else:
            answer_of = np.zeros(len(chosen), dtype=np.intp)
        columns = np.stack([state.signature[chosen], answer_of, bits], axis=1)
        unique, first, inverse = np.unique(columns, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        rows = np.full(len(unique), -1, dtype=np.intp)
        for k, (row_key, i) in enumerate(zip(map(tuple, unique.tolist()), first.tolist(), strict=True)):
            c = int(chosen[i])
            if row_key[0] < 0:  # host network (every peer allowed) or no traffic (nothing): not folded
                row_key = (-1, int(self.host[c]), 0)
            found_row = state.keys.get(row_key)
            if found_row is None:
                found_row = state.keys[row_key] = len(state.codes)
                codes, denied = self._fold(space, c, direction)
                state.codes.append(codes)
                state.denied.append(denied)
            rows[k] = found_row
        which: IntArray = np.full(self.size, -1, dtype=np.intp)
        which[chosen] = rows[inverse]
        return which

    def _fold(self, space: ClassSpace, cls: int, direction: Direction) -> tuple[CodeArray, BoolArray | None]:
        if self.silent[cls]:
            return np.zeros(self.size, dtype=np.int8), None
        if self.host[cls]:
            return np.ones(self.size, dtype=np.int8), None
        state = fold_row(self.program, space, cls, direction)
        codes = state.allowed.astype(np.int8)
        if state.unknown.any():
            codes[state.unknown] = State.UNKNOWN
        return codes, state.denied if state.denied.any() else None

    def projection(self, direction: Direction, row: int, positions: IntArray, contents: dict[bytes, int]) -> int:
        """An id for the content of `row` at the classes `positions` (equal ids: equal content)."""
        state = self.directions[direction]
        found = state.projection.get(row)
        if found is None:
            content = state.codes[row][positions]
            denied = state.denied[row]
            if denied is not None:  # a loopback tier's denial: what a pod to itself reads
                content = content + 4 * denied[positions].astype(np.int8)
            found = state.projection[row] = contents.setdefault(content.tobytes(), len(contents))
        return found

    def itself(self, cls: int, denied: Sequence[BoolArray | None], key: tuple[int, ...], query: PortQuery) -> State:
        """A pod of class `cls` to itself: `denied` are its egress and ingress rows' loopback denials,
        `key` names those rows (the same rows: the same walk)."""
        rep = self.classes.representatives[cls]
        if not rep.carries_traffic:
            return State.ABSENT
        if not self.self_by_rows:
            found = self._itself.get((cls, *key))
            if found is None:
                end = End(pod=rep)
                found = self._itself[(cls, *key)] = State.of(
                    evaluate(self.cluster, end, end, query.protocol, query.port).policies_say)
            return found
        if rep.host_network or not self.loopback:
            return State.ALLOWED
        if any(d is not None and d[cls] for d in denied):
            return State.BLOCKED
        return State.ALLOWED


@record(eq=False, slots=False)
class _View:
    """One side's rows at one port: per direction, the row store and each class's row in it (-1: not
    needed at this port), stacked when first read."""

    side: _Side
    codes: dict[Direction, list[CodeArray]]
    denied: dict[Direction, list[BoolArray | None]]
    which: dict[Direction, IntArray]
    _stacks: dict[Direction, tuple[CodeArray, IntArray]] = field(default_factory=dict)

    @classmethod
    def own(cls, side: _Side, which: dict[Direction, IntArray]) -> _View:
        return cls(side, {d: side.directions[d].codes for d in Direction},
                   {d: side.directions[d].denied for d in Direction}, which)

    def stack(self, direction: Direction) -> tuple[CodeArray, IntArray]:
        found = self._stacks.get(direction)
        if found is None:
            which = self.which[direction]
            used, position = np.unique(which, return_inverse=True)
            codes = self.codes[direction]
            rows = [codes[r] for r in used.tolist() if r >= 0]
            stacked = np.stack(rows) if rows else np.zeros((0, self.side.size), dtype=np.int8)
            if len(used) and used[0] < 0:  # classes whose row is not needed: never read
                position = position - 1
            found = self._stacks[direction] = (stacked, position.reshape(-1).astype(np.intp))
        return found

    def itself(self, cls: int, query: PortQuery) -> State:
        rows = tuple(int(self.which[d][cls]) for d in Direction)
        return self.side.itself(cls, [self.denied[d][r] for d, r in zip(Direction, rows, strict=True)], rows, query)


def _may_select(space: ClassSpace, policy: CompiledPolicy, cls: int) -> bool:
    sure, maybe = space.subject_masks(policy)
    return bool(sure[cls] or maybe[cls])


def _token(vector: object, tokens: dict[bytes, int]) -> int:
    data = np.packbits(np.asarray(vector, dtype=np.bool_)).tobytes()
    return tokens.setdefault(data, len(tokens))


def _combine(egress: CodeArray, ingress: CodeArray) -> CodeArray:
    """Both directions: blocked if either denies, else unknown if either is, else allowed."""
    low = np.minimum(egress, ingress)
    high = np.maximum(egress, ingress)
    out: CodeArray = np.where(low == State.BLOCKED, np.int8(State.BLOCKED), high).astype(np.int8)
    return out


# -- the comparison ------------------------------------------------------------------------------------


@record(eq=False, slots=False)
class Cells:
    """The class pairs whose flows change on one port: joint classes `source`/`destination` (equal and
    `itself` set: each pod to itself), the state on each side, and how many pod pairs each holds."""

    question: PortQuestion
    source: IntArray
    destination: IntArray
    before: CodeArray
    after: CodeArray
    pairs: npt.NDArray[np.int64]
    itself: BoolArray

    def __len__(self) -> int:
        return len(self.source)


@record
class Example:
    """One class pair of a group, explained: a representative flow and its verdict on each side (None
    where the flow does not exist there)."""

    source: str
    destination: str
    flows: int  # pod pairs in this class pair, all with the same verdicts
    itself: bool
    before: Verdict | None
    after: Verdict | None


@record
class FlowGroup:
    """Flows from one namespace to another, on one set of ports, whose verdict changes the same way."""

    source_namespace: str
    destination_namespace: str
    question: PortQuestion
    before: State
    after: State
    flows: int
    class_pairs: int
    examples: tuple[Example, ...] = ()

    @property
    def kind(self) -> ChangeKind:
        return ChangeKind.of(self.before, self.after)

    @property
    def explained_flows(self) -> int:
        return sum(e.flows for e in self.examples)


@record(eq=False, slots=False)
class ConnectivityDiff:
    questions: tuple[PortQuestion, ...]
    joint: JointClasses
    cells: tuple[Cells, ...]  # one per question with changes
    groups: tuple[FlowGroup, ...]
    base_pods: int
    head_pods: int
    unsplit: tuple[str, ...] = ()
    # Explained flows whose verdict is not what the class rows said: never expected (an engine bug).
    disagreements: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.groups)

    @property
    def flows(self) -> int:
        return sum(g.flows for g in self.groups)

    def totals(self) -> dict[ChangeKind, int]:
        out = dict.fromkeys(ChangeKind, 0)
        for group in self.groups:
            out[group.kind] += group.flows
        return out

    def pod_pairs(self, group: FlowGroup) -> Iterator[tuple[str, str]]:
        """Every flow of a group, as (source pod, destination pod) keys."""
        for cells in self.cells:
            if cells.question != group.question:
                continue
            for k in range(len(cells)):
                s, d = int(cells.source[k]), int(cells.destination[k])
                if (self.joint.namespaces[s], self.joint.namespaces[d], State(int(cells.before[k])),
                        State(int(cells.after[k]))) != (group.source_namespace, group.destination_namespace,
                                                         group.before, group.after):
                    continue
                for src in self.joint.members[s]:
                    if cells.itself[k]:
                        yield src, src
                        continue
                    for dst in self.joint.members[d]:
                        if src != dst:
                            yield src, dst


_POLICY_CONTAINERS = frozenset({"policies", "by_namespace", "cluster_wide", "unevaluated", "_candidates"})


def _content(value: object) -> object:
    """A comparable stand-in for the content of a compiled object: dataclasses field by field (the
    dialects' subclasses' own fields too), containers item by item; what cannot be compared stands for
    itself (its identity: the same object on both sides, or a difference)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__qualname__,
                tuple((f.name, _content(getattr(value, f.name))) for f in dataclasses.fields(value)))
    if isinstance(value, tuple | list):
        return tuple(_content(v) for v in value)
    if isinstance(value, Mapping):
        return tuple(sorted(((repr(k), _content(v)) for k, v in value.items()), key=lambda kv: kv[0]))
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return value


def _equal(a: object, b: object) -> bool:
    """Whether two compiled objects have the same content (`_content` alike, without building it):
    value objects compare as they define it, the compiled rules and policies (compared by identity
    otherwise) field by field."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        if type(a).__eq__ is not object.__eq__:  # value objects compare themselves
            return _same(a, b)
        return all(_equal(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return _same(a, b)


def _same(a: object, b: object) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except Exception:  # anything that cannot be compared counts as different
        return False


def policies_only(base: Cluster, head: Cluster) -> bool:
    """Whether the two clusters differ in their policies alone (the same profile, tiers, pods,
    namespaces, nodes and everything else the matchers read), so `_Causes` can tell which rows a
    difference touches."""
    if base is head:
        return True
    if base.profile is not head.profile:
        return False
    for f in dataclasses.fields(Cluster):
        if f.name in ("network_policies", "admin_policies", "cilium_policies", "unevaluated", "pods"):
            continue
        if not _same(getattr(base, f.name), getattr(head, f.name)):
            return False
    on_head = head.index.pods_by_key
    if any(not _same(pod, on_head.get(pod.key, pod)) for pod in base.pods):
        return False  # a pod changed: the peers of every row may see it differently
    tiers = [base.program.tiers, head.program.tiers]
    if len(tiers[0]) != len(tiers[1]):
        return False
    for tb, th in zip(*tiers, strict=True):
        if type(tb) is not type(th):
            return False
        for f in dataclasses.fields(tb):
            if f.name not in _POLICY_CONTAINERS and not _equal(getattr(tb, f.name), getattr(th, f.name)):
                return False
    return True


def _joint_partition(pods: tuple[Pod, ...], joint: JointClasses) -> PodClasses:
    """`pods` (one side's) grouped by their joint class: finer than the side's own partition, so no
    matcher of that side tells two members apart either."""
    position = {key: j for j, keys in enumerate(joint.members) for key in keys}
    by_key = {p.key: p for p in pods}
    class_of = np.array([position[p.key] for p in pods], dtype=np.intp)
    return PodClasses(pods, class_of, tuple(by_key[keys[0]] for keys in joint.members))


class _Causes:
    """Which classes' rows can differ between the sides at a port, from what differs between the two
    clusters, before any row is folded: a question where none can is skipped.

    Usable when the clusters differ only in policies (the same pods, namespaces, nodes and everything
    else the matchers read; the same profile and tiers): a row depends on the policies that select its
    class or may, and on its tier's gaps for the class's namespace, nothing else (a policy governs the
    pods it selects). A policy is changed at a port when its content differs from its counterpart's
    with each rule's ports read as their answer there (a port added to a rule changes nothing at other
    ports). Otherwise (None) every question is computed in full."""

    def __init__(self, sides: tuple[_Side, _Side], joint: JointClasses, usable: bool) -> None:
        self.sides = sides
        self.joint = joint
        self.usable = usable
        if not self.usable:
            return
        self.on = (joint.base, joint.head)
        # Compiled policies paired across the sides by where and what they are.
        self.pairs: dict[tuple[object, ...], list[CompiledPolicy | None]] = {}
        self.tier_of: dict[int, CompiledTier] = {}
        for s, side in enumerate(sides):
            seen: dict[tuple[object, ...], int] = {}
            for t, tier in enumerate(side.program.tiers):
                for policy in tier.policies:
                    name = (t, policy.kind, policy.namespace, policy.name)
                    n = seen[name] = seen.get(name, -1) + 1
                    self.pairs.setdefault((*name, n), [None, None])[s] = policy
                    self.tier_of[id(policy)] = tier
        self.changed = [pair for pair in self.pairs.values()
                        if pair[0] is None or pair[1] is None or not _equal(pair[0], pair[1])]
        # Namespaces whose tiers' gaps differ (a policy not evaluated added or removed), per direction.
        self.gaps: dict[Direction, set[str]] = {}
        for direction in Direction:
            self.gaps[direction] = {
                ns for ns in set(joint.namespaces)
                if any(tb.unevaluated_for(ns, direction) != th.unevaluated_for(ns, direction)
                       for tb, th in zip(sides[0].program.tiers, sides[1].program.tiers, strict=True))}

    def classes(self, question: PortQuestion, query: PortQuery, spaces: tuple[ClassSpace, ClassSpace],
                tokens: dict[bytes, int]) -> dict[Direction, BoolArray] | None:
        """Per direction, the joint classes whose row may differ at this port (None: not known)."""
        if not self.usable:
            return None
        out = {d: np.zeros(self.joint.count, dtype=np.bool_) for d in Direction}
        ns_of = np.array(self.joint.namespaces, dtype=object)
        for direction in Direction:
            if self.gaps[direction]:
                out[direction] |= np.isin(ns_of, sorted(self.gaps[direction]))
        for pair in self.changed:
            base, head = pair
            if base is not None and head is not None and (
                    self._at(base, spaces[0], 0, tokens) == self._at(head, spaces[1], 1, tokens)):
                continue  # the same at this port
            for s, policy in enumerate(pair):
                if policy is None:
                    continue
                may = self._may_select(s, policy, spaces[s])
                for direction in policy.directions:
                    out[direction] |= may
        return out

    def _at(self, policy: CompiledPolicy, space: ClassSpace, s: int, tokens: dict[bytes, int]) -> object:
        """The content of a policy with each rule's ports as their answer at the port `space` asks."""
        rules = []
        for rule in (*policy.ingress, *policy.egress):
            mask = space.rule_masks(rule)[2]
            answer: object = mask
            if not isinstance(mask, bool):  # one per destination class: compared over joint classes
                answer = _token(mask[self.on[s]], tokens) if (self.on[s] >= 0).all() else ("id", id(rule))
            fields = tuple((f.name, _content(getattr(rule, f.name))) for f in dataclasses.fields(rule)
                           if f.name != "ports")
            rules.append((fields, answer))
        rest = tuple((f.name, _content(getattr(policy, f.name))) for f in dataclasses.fields(policy)
                     if f.name not in ("ingress", "egress"))
        return rest, tuple(rules)

    def _may_select(self, s: int, policy: CompiledPolicy, space: ClassSpace) -> BoolArray:
        """The joint classes a policy selects or may (of its namespace, for a namespaced one)."""
        sure, maybe = space.subject_masks(policy)
        mask = sure | maybe
        tier = self.tier_of[id(policy)]
        if not any(p is policy for p in tier.cluster_wide):
            mask = mask & space.in_namespace(policy.namespace or "")
        on = self.on[s]
        out = np.zeros(self.joint.count, dtype=np.bool_)
        present = on >= 0
        out[present] = mask[on[present]]
        return out


class _Compare:
    """Both sides of one comparison, over the joint classes."""

    def __init__(self, base: Cluster, head: Cluster, base_pods: tuple[Pod, ...], head_pods: tuple[Pod, ...]) -> None:
        classes = (partition(base.program, base.index, base_pods), partition(head.program, head.index, head_pods))
        joint = joint_classes(*classes)
        usable = policies_only(base, head)
        if usable and ((joint.base >= 0) & (joint.head >= 0)).all() and joint.count > min(c.count for c in classes):
            # The same pods, but the change tells some apart (a CIDR): both sides over the joint classes,
            # so the head can read the base's rows where its policies are the same.
            classes = (_joint_partition(base_pods, joint), _joint_partition(head_pods, joint))
            every = np.arange(joint.count, dtype=np.intp)
            joint = JointClasses(joint.members, every, every.copy(), joint.namespaces)
        self.sides = (_Side(base, classes[0]), _Side(head, classes[1]))
        self.joint = joint
        self.on = (self.joint.base, self.joint.head)
        self.both = (self.joint.base >= 0) & (self.joint.head >= 0)
        self.sizes = self.joint.sizes()
        self.contents: dict[bytes, int] = {}
        self.tokens: dict[bytes, int] = {}
        self.causes = _Causes(self.sides, self.joint, usable)
        self.skipped = 0  # questions the causes ruled out
        # The same classes on both sides (the same pods, told apart alike): the head can read the
        # base's rows wherever its policies are the same (`_shared`).
        base_classes, head_classes = (side.classes for side in self.sides)
        self.shared = (self.causes.usable and all(side.self_by_rows for side in self.sides)
                       and [p.key for p in base_classes.pods] == [p.key for p in head_classes.pods]
                       and np.array_equal(base_classes.class_of, head_classes.class_of))

    def question(self, question: PortQuestion) -> Cells:
        query = PortQuery(question.protocol, question.port)
        spaces = (self.sides[0].space.for_query(query), self.sides[1].space.for_query(query))
        causes = self.causes.classes(question, query, spaces, self.tokens)
        if causes is not None and self.both.all():
            if not any(m.any() for m in causes.values()):
                self.skipped += 1
                return _no_cells(question)
            if self.shared:
                return self._shared(question, query, spaces, causes)
        views = [_View.own(side, {d: side.rows(space, d, self.tokens) for d in Direction})
                 for side, space in zip(self.sides, spaces, strict=True)]
        # Joint classes whose egress (ingress) row differs between the sides, by content over the
        # classes on both sides; classes on one side only differ by definition.
        changed = {}
        both = np.flatnonzero(self.both)
        for direction in Direction:
            ids = []
            for s, side in enumerate(self.sides):
                positions = self.on[s][both]
                rows = views[s].which[direction][positions]
                per_row = {r: side.projection(direction, r, positions, self.contents) for r in set(rows.tolist())}
                ids.append(np.array([per_row[r] for r in rows.tolist()], dtype=np.intp))
            differs = ~self.both.copy()
            differs[both] = ids[0] != ids[1]
            changed[direction] = differs
        return self._cells(question, query, views, changed)

    def _shared(self, question: PortQuestion, query: PortQuery, spaces: tuple[ClassSpace, ClassSpace],
                causes: dict[Direction, BoolArray]) -> Cells:
        """Both sides have the same classes and differ only in some policies: the head's rows are the
        base's except for the classes the changed policies may select (`causes`). A flow can only change
        where such an egress row differs (its destinations D') or such an ingress row does (its sources
        S'), so only those rows are folded: the changed rows on both sides, and the base's rows of the
        other direction at D' and S'."""
        base, head = self.sides
        size = base.size
        egress, ingress = Direction.EGRESS, Direction.INGRESS
        changed = {d: np.zeros(size, dtype=np.bool_) for d in Direction}
        for d in Direction:
            changed[d][self.on[0][causes[d]]] = True
        touched = changed[egress] | changed[ingress]
        own = {d: base.rows(spaces[0], d, self.tokens, touched) for d in Direction}
        theirs = {d: head.rows(spaces[1], d, self.tokens, touched) for d in Direction}
        # Where the changed rows differ: the columns (peers) a strip must cover.
        columns = {}
        for d in Direction:
            differs = np.zeros(size, dtype=np.bool_)
            mine, other = base.directions[d].codes, head.directions[d].codes
            for b, h in {(int(own[d][x]), int(theirs[d][x])) for x in np.flatnonzero(changed[d]).tolist()}:
                differs |= mine[b] != other[h]
            columns[d] = differs
        needed = {egress: touched | columns[ingress], ingress: touched | columns[egress]}
        own = {d: base.rows(spaces[0], d, self.tokens, needed[d]) for d in Direction}
        codes, denied, which = {}, {}, {}
        for d in Direction:
            offset = len(base.directions[d].codes)
            codes[d] = [*base.directions[d].codes, *head.directions[d].codes]
            denied[d] = [*base.directions[d].denied, *head.directions[d].denied]
            which[d] = np.where(touched, theirs[d] + offset, own[d])
        views = [_View.own(base, own), _View(head, codes, denied, which)]
        joint_of = np.empty(size, dtype=np.intp)
        joint_of[self.on[0]] = np.arange(self.joint.count, dtype=np.intp)
        parts: list[tuple[IntArray, IntArray, CodeArray, CodeArray, BoolArray]] = []
        # Changed egress rows, at the destinations where they differ; changed ingress rows, at the
        # sources where they differ (less what the first strip already holds).
        strips = ((changed[egress], columns[egress], None),
                  (columns[ingress], changed[ingress], (changed[egress], columns[egress])))
        for source_mask, destination_mask, covered in strips:
            sources, destinations = joint_of[source_mask], joint_of[destination_mask]
            for start in range(0, len(sources), _BLOCK):
                block = sources[start:start + _BLOCK]
                states = [self._verdicts(s, views[s], block, destinations) for s in range(2)]
                differ = states[0] != states[1]
                if covered is not None:
                    classes = self.on[0]
                    differ &= ~(covered[0][classes[block]][:, None] & covered[1][classes[destinations]][None, :])
                rows, cols = np.nonzero(differ)
                parts.append((block[rows], destinations[cols], states[0][rows, cols], states[1][rows, cols],
                              np.zeros(len(rows), dtype=np.bool_)))
        parts.append(self._itself(touched[self.on[0]], views, query))
        return self._finish(question, parts)

    def _cells(self, question: PortQuestion, query: PortQuery, views: Sequence[_View],
               changed: dict[Direction, BoolArray]) -> Cells:
        """Compare the strips of the joint classes whose rows may differ."""
        sources = np.flatnonzero(changed[Direction.EGRESS])
        destinations = np.flatnonzero(changed[Direction.INGRESS])
        parts: list[tuple[IntArray, IntArray, CodeArray, CodeArray, BoolArray]] = []
        if len(sources) or len(destinations):
            everyone = np.arange(self.joint.count, dtype=np.intp)
            for start in range(0, len(sources), _BLOCK):
                block = sources[start:start + _BLOCK]
                states = [self._verdicts(s, views[s], block, everyone) for s in range(2)]
                rows, cols = np.nonzero(states[0] != states[1])
                parts.append((block[rows], cols.astype(np.intp), states[0][rows, cols], states[1][rows, cols],
                              np.zeros(len(rows), dtype=np.bool_)))
            others = np.flatnonzero(~changed[Direction.EGRESS])
            for start in range(0, len(destinations), _BLOCK):
                block = destinations[start:start + _BLOCK]
                states = [self._verdicts(s, views[s], others, block) for s in range(2)]
                rows, cols = np.nonzero(states[0] != states[1])
                parts.append((others[rows], block[cols], states[0][rows, cols], states[1][rows, cols],
                              np.zeros(len(rows), dtype=np.bool_)))
            parts.append(self._itself(changed[Direction.EGRESS] | changed[Direction.INGRESS], views, query))
        elif not all(side.self_by_rows for side in self.sides):
            parts.append(self._itself(np.zeros(self.joint.count, dtype=np.bool_), views, query))
        return self._finish(question, parts)

    def _finish(self, question: PortQuestion,
                parts: list[tuple[IntArray, IntArray, CodeArray, CodeArray, BoolArray]]) -> Cells:
        if parts:
            source, destination, before, after, itself = (np.concatenate(p) for p in zip(*parts, strict=True))
        else:
            source = destination = np.zeros(0, dtype=np.intp)
            before = after = np.zeros(0, dtype=np.int8)
            itself = np.zeros(0, dtype=np.bool_)
        sizes = self.sizes
        pairs = np.where(itself, sizes[source], sizes[source] * (sizes[destination] - (source == destination)))
        keep = pairs > 0  # a class of one pod has no pair of distinct pods inside it
        return Cells(question, source[keep], destination[keep], before[keep], after[keep], pairs[keep], itself[keep])

    def _verdicts(self, s: int, view: _View, sources: IntArray, destinations: IntArray) -> CodeArray:
        """The verdict codes of side `s` for every (source, destination) of these joint classes."""
        on = self.on[s]
        out = np.full((len(sources), len(destinations)), State.ABSENT, dtype=np.int8)
        xs, xd = on[sources], on[destinations]
        rows, cols = np.flatnonzero(xs >= 0), np.flatnonzero(xd >= 0)
        if not len(rows) or not len(cols):
            return out
        xs, xd = xs[rows], xd[cols]
        egress_codes, egress_of = view.stack(Direction.EGRESS)
        ingress_codes, ingress_of = view.stack(Direction.INGRESS)
        egress = egress_codes[egress_of[xs]][:, xd]
        ingress = ingress_codes[ingress_of[xd]][:, xs].T
        out[np.ix_(rows, cols)] = _combine(egress, ingress)
        return out

    def _itself(self, candidates: BoolArray, views: Sequence[_View],
                query: PortQuery) -> tuple[IntArray, IntArray, CodeArray, CodeArray, BoolArray]:
        """Each pod to itself, for the joint classes whose rows changed: equal rows, loopback denials
        included, give equal answers. Where the explained engine answers it (loopback tiers over gaps),
        every joint class is asked (once per pair of rows)."""
        found: list[tuple[int, int, int]] = []
        if not all(side.self_by_rows for side in self.sides):
            candidates = np.ones(self.joint.count, dtype=np.bool_)
        for j in np.flatnonzero(candidates).tolist():
            states = []
            for s, view in enumerate(views):
                x = int(self.on[s][j])
                states.append(State.ABSENT if x < 0 else view.itself(x, query))
            if states[0] != states[1]:
                found.append((j, states[0], states[1]))
        classes = np.array([j for j, _, _ in found], dtype=np.intp)
        return (classes, classes, np.array([b for _, b, _ in found], dtype=np.int8),
                np.array([a for _, _, a in found], dtype=np.int8), np.ones(len(found), dtype=np.bool_))


def _no_cells(question: PortQuestion) -> Cells:
    empty = np.zeros(0, dtype=np.intp)
    codes = np.zeros(0, dtype=np.int8)
    return Cells(question, empty, empty, codes, codes, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.bool_))


def connectivity_diff(base: Cluster, head: Cluster, plan: PortPlan | None = None,
                      namespaces: set[str] | None = None, budget: int = EXPLAIN_BUDGET,
                      on_question: Callable[[int, int], None] | None = None) -> ConnectivityDiff:
    """Every flow between pods that carry traffic (in `namespaces`, else everywhere) whose verdict
    differs between `base` and `head`, on the ports of `plan` (default: every port the policies of
    either side tell apart). `budget`: class pairs explained with `evaluate`, at most. `on_question`
    is told (done, total) after each port."""
    base_pods = matrix_pods(base, namespaces)
    head_pods = matrix_pods(head, namespaces)
    if plan is None:
        plan = port_plan((base, head), (*base_pods, *head_pods))
    compare = _Compare(base, head, base_pods, head_pods)
    found: list[Cells] = []
    for done, question in enumerate(plan.questions, 1):
        cells = compare.question(question)
        if len(cells):
            found.append(cells)
        if on_question is not None:
            on_question(done, len(plan.questions))
    groups, disagreements = _explain(base, head, compare.joint, _groups(compare.joint, found), budget)
    return ConnectivityDiff(plan.questions, compare.joint, tuple(found), tuple(groups), len(base_pods),
                            len(head_pods), plan.unsplit, tuple(disagreements))


# -- groups and their explanations ---------------------------------------------------------------------


@dataclass(slots=True)
class _Group:
    group: FlowGroup
    cells: Cells
    order: IntArray  # positions in `cells` of this group's class pairs, most flows first


def _groups(joint: JointClasses, found: Sequence[Cells]) -> list[_Group]:
    names = sorted(set(joint.namespaces))
    position = {ns: k for k, ns in enumerate(names)}
    ns_of = np.array([position[ns] for ns in joint.namespaces], dtype=np.int64)
    out: list[_Group] = []
    for cells in found:
        keys = np.stack([ns_of[cells.source], ns_of[cells.destination], cells.before.astype(np.int64),
                         cells.after.astype(np.int64)], axis=1)
        unique, inverse = np.unique(keys, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        flows = np.zeros(len(unique), dtype=np.int64)
        np.add.at(flows, inverse, cells.pairs)
        order = np.lexsort((-cells.pairs, inverse))
        starts = np.searchsorted(inverse[order], np.arange(len(unique)))
        ends = [*starts[1:].tolist(), len(order)]
        for g, (src, dst, before, after) in enumerate(unique.tolist()):
            members = order[starts[g]:ends[g]]
            out.append(_Group(FlowGroup(names[src], names[dst], cells.question, State(before), State(after),
                                        int(flows[g]), len(members)), cells, members))
    return out


def _explain(base: Cluster, head: Cluster, joint: JointClasses, groups: list[_Group], budget: int) -> tuple[list[FlowGroup], list[str]]:
    """Explain class pairs of each group, largest first: one per group while the budget lasts, then
    more of the groups with the most flows, up to EXAMPLES_PER_GROUP each."""
    chosen: list[list[int]] = [[] for _ in groups]
    by_size = sorted(range(len(groups)), key=lambda g: -groups[g].group.flows)
    left = budget
    for round_ in range(EXAMPLES_PER_GROUP):
        for g in by_size:
            if left <= 0:
                break
            if round_ < len(groups[g].order):
                chosen[g].append(int(groups[g].order[round_]))
                left -= 1
    disagreements: list[str] = []
    out: list[FlowGroup] = []
    for g, entry in enumerate(groups):
        cells = entry.cells
        examples = []
        for k in chosen[g]:
            s, d = int(cells.source[k]), int(cells.destination[k])
            itself = bool(cells.itself[k])
            src = joint.members[s][0]
            dst = src if itself else next(p for p in joint.members[d] if p != src)
            verdicts = [_verdict(c, src, dst, cells.question) for c in (base, head)]
            expected = (State(int(cells.before[k])), State(int(cells.after[k])))
            for verdict, state, side in zip(verdicts, expected, ("base", "head"), strict=True):
                said = State.ABSENT if verdict is None else State.of(verdict.policies_say)
                if said is not state:
                    disagreements.append(f"{src} -> {dst} on {cells.question.label()} ({side}): the class rows say "
                                         f"{state.word}, evaluate says {said.word}")
            examples.append(Example(src, dst, int(cells.pairs[k]), itself, verdicts[0], verdicts[1]))
        out.append(_with_examples(entry.group, tuple(examples)))
    out.sort(key=lambda f: (f.source_namespace, f.destination_namespace, list(Protocol).index(f.question.protocol),
                            f.question.other, f.question.port, f.before, f.after))
    return out, disagreements


def _with_examples(group: FlowGroup, examples: tuple[Example, ...]) -> FlowGroup:
    return FlowGroup(group.source_namespace, group.destination_namespace, group.question, group.before,
                     group.after, group.flows, group.class_pairs, examples)


def _verdict(cluster: Cluster, source: str, destination: str, question: PortQuestion) -> Verdict | None:
    pods = cluster.index.pods_by_key
    src, dst = pods.get(source), pods.get(destination)
    if src is None or dst is None or not src.carries_traffic or not dst.carries_traffic:
        return None
    end = End(pod=src)
    return evaluate(cluster, end, end if source == destination else End(pod=dst), question.protocol, question.port)
