"""Pods in equivalence classes, and the vector primitives the matchers' mask faces are written in.

Two pods are in one class when no matcher of the program can tell them apart: the same namespace,
labels, service account, named container ports, host-network flag and whether they carry traffic, the same side of
every CIDR a peer tests, and the same node where a peer looks addresses up as nodes. A 10,000-pod
cluster of deployments has a few thousand classes; selectors are evaluated over all of them at once
as boolean vectors (numpy), never pod by pod. Because of how classes are built, a matcher without a
vectorised face can be asked once per class representative (`ClassSpace.by_representative`) and
the answer holds for every member.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from kubenet_tui.engine.cluster import ClusterIndex
from kubenet_tui.engine.explain import Direction, Outcome
from kubenet_tui.engine.model import NAMESPACE_NAME_LABEL, IPBlock, IPNetwork, LabelSelector, Pod
from kubenet_tui.engine.records import record
from kubenet_tui.engine.rules import (
    Action,
    CompiledPolicy,
    CompiledRule,
    PeerMatcher,
    PeerView,
    PortMatcher,
    PortQuery,
    SubjectMatcher,
)
from kubenet_tui.engine.selectors import partly_known, selector_keys, selector_mask
from kubenet_tui.engine.tiers import CompiledTier, Program

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]
Masks = tuple[BoolArray, BoolArray]
PortMask = bool | BoolArray

_MASK64 = (1 << 64) - 1


def _frozen(array: BoolArray) -> BoolArray:
    array.flags.writeable = False
    return array


class LabelIndex:
    """Label maps indexed by `key=value` and by `key`, for `selectors.selector_mask`; results are cached
    per selector and read-only."""

    def __init__(self, label_maps: Sequence[Mapping[str, str]]) -> None:
        self.size = len(label_maps)
        self._by_pair: dict[tuple[str, str], list[int]] = {}
        self._by_key: dict[str, list[int]] = {}
        for position, labels in enumerate(label_maps):
            for key, value in labels.items():
                self._by_pair.setdefault((key, value), []).append(position)
                self._by_key.setdefault(key, []).append(position)
        self._pair_cache: dict[tuple[str, str], BoolArray] = {}
        self._key_cache: dict[str, BoolArray] = {}
        self._cache: dict[LabelSelector, BoolArray] = {}
        self._none = _frozen(np.zeros(self.size, dtype=np.bool_))
        self._all = _frozen(np.ones(self.size, dtype=np.bool_))

    def _positions(self, positions: list[int] | None) -> BoolArray:
        if not positions:
            return self._none
        out = np.zeros(self.size, dtype=np.bool_)
        out[positions] = True
        return _frozen(out)

    def pair(self, key: str, value: str) -> BoolArray:
        found = self._pair_cache.get((key, value))
        if found is None:
            found = self._pair_cache[(key, value)] = self._positions(self._by_pair.get((key, value)))
        return found

    def has(self, key: str) -> BoolArray:
        found = self._key_cache.get(key)
        if found is None:
            found = self._key_cache[key] = self._positions(self._by_key.get(key))
        return found

    def everything(self) -> BoolArray:
        return self._all

    def matches(self, selector: LabelSelector) -> BoolArray:
        found = self._cache.get(selector)
        if found is None:
            found = self._all if selector.is_empty else _frozen(np.array(selector_mask(selector, self)))
            self._cache[selector] = found
        return found


class AddressTable:
    """Every IP address of a list of pods as (version, high 64 bits, low 64 bits), so that CIDR
    tests run over all of them at once; results are per pod (any of its addresses)."""

    def __init__(self, pods: Sequence[Pod]) -> None:
        self.size = len(pods)
        owner: list[int] = []
        version: list[int] = []
        high: list[int] = []
        low: list[int] = []
        for position, pod in enumerate(pods):
            for ip in pod.ips:
                value = int(ip)
                owner.append(position)
                version.append(ip.version)
                high.append(value >> 64)
                low.append(value & _MASK64)
        self._owner = np.array(owner, dtype=np.intp)
        self._version = np.array(version, dtype=np.uint8)
        self._high = np.array(high, dtype=np.uint64)
        self._low = np.array(low, dtype=np.uint64)

    def _inside(self, block: IPBlock) -> BoolArray:
        """Per address: inside the block's CIDR and outside its excepts."""
        inside = self._in_network(block.cidr)
        for hole in block.excepts:
            inside &= ~self._in_network(hole)
        return inside

    def _in_network(self, net: IPNetwork) -> BoolArray:
        first = int(net.network_address)
        last = int(net.broadcast_address)
        f_high, f_low = np.uint64(first >> 64), np.uint64(first & _MASK64)
        l_high, l_low = np.uint64(last >> 64), np.uint64(last & _MASK64)
        high, low = self._high, self._low
        above = (high > f_high) | ((high == f_high) & (low >= f_low))
        below = (high < l_high) | ((high == l_high) & (low <= l_low))
        result: BoolArray = (self._version == net.version) & above & below
        return result

    def in_blocks(self, blocks: Iterable[IPBlock]) -> BoolArray:
        """Per pod: some address inside some block (its CIDR, outside its excepts)."""
        inside = np.zeros(len(self._owner), dtype=np.bool_)
        for block in blocks:
            inside |= self._inside(block)
        out = np.zeros(self.size, dtype=np.bool_)
        out[self._owner[inside]] = True
        return out


def program_reads(program: Program, namespaces: Iterable[str]) -> tuple[list[IPBlock], bool]:
    """The CIDR tests, and whether node lookups appear, in the peers of the policies that can govern
    pods of `namespaces`: what those pods must be told apart by besides namespace and labels (only
    those policies can decide a verdict between two of them)."""
    blocks: dict[IPBlock, None] = {}
    nodes = False
    namespaces = sorted(set(namespaces))
    for tier in program.tiers:
        policies = {id(p): p for ns in namespaces for p in tier.candidates(ns)}
        for policy in policies.values():
            for rule in (*policy.ingress, *policy.egress):
                for peer in (*(rule.peers or ()), *((rule.local,) if rule.local is not None else ())):
                    for block in peer.address_blocks():
                        blocks.setdefault(block, None)
                    nodes = nodes or peer.reads_nodes
    return list(blocks), nodes


@record(eq=False, slots=False)
class PodClasses:
    """A partition of `pods`: `class_of[i]` is pod i's class, `representatives[c]` one member of c."""

    pods: tuple[Pod, ...]
    class_of: IntArray
    representatives: tuple[Pod, ...]

    @property
    def count(self) -> int:
        return len(self.representatives)

    def sizes(self) -> IntArray:
        counts: IntArray = np.bincount(self.class_of, minlength=self.count).astype(np.intp)
        return counts


def named_ports(pod: Pod) -> tuple[tuple[str, str, int], ...]:
    """What named-port checks read of a pod: (name, protocol, number) of its named ports, in order."""
    return tuple((p.name, p.protocol.value, p.port) for p in pod.ports if p.name)


def partition(program: Program, index: ClusterIndex, pods: Sequence[Pod]) -> PodClasses:
    """Group `pods` into classes that every matcher of `program` treats identically (see module doc)."""
    pods = tuple(pods)
    blocks, nodes = program_reads(program, {p.namespace for p in pods})
    ip_bits: list[bytes] | None = None
    if blocks:
        table = AddressTable(pods)
        columns = [table.in_blocks((b,)) for b in blocks]
        packed = np.packbits(np.stack(columns, axis=1), axis=1)
        ip_bits = [row.tobytes() for row in packed]
    keys: dict[tuple[object, ...], int] = {}
    class_of = np.empty(len(pods), dtype=np.intp)
    representatives: list[Pod] = []
    node_by_ip = index.node_by_ip
    for position, pod in enumerate(pods):
        node = None
        if nodes:
            node = next((node_by_ip[ip].name for ip in pod.ips if ip in node_by_ip), None)
        key = (
            pod.namespace,
            tuple(sorted(pod.labels.items())),
            named_ports(pod) if pod.ports else (),
            pod.host_network,
            pod.carries_traffic,
            pod.service_account,
            ip_bits[position] if ip_bits is not None else b"",
            node,
        )
        found = keys.get(key)
        if found is None:
            found = keys[key] = len(representatives)
            representatives.append(pod)
        class_of[position] = found
    return PodClasses(pods, class_of, tuple(representatives))


class ClassSpace:
    """The vector primitives over pod classes that matchers' mask faces and the tiers' row faces use,
    for one (protocol, port) question. Every result is cached and read-only."""

    def __init__(self, program: Program, index: ClusterIndex, classes: PodClasses, query: PortQuery) -> None:
        self.program = program
        self.index = index
        self.classes = classes
        self.query = query
        reps = classes.representatives
        self.size = len(reps)
        self.everything: BoolArray = _frozen(np.ones(self.size, dtype=np.bool_))
        self.nothing: BoolArray = _frozen(np.zeros(self.size, dtype=np.bool_))
        self.host_network: BoolArray = _frozen(np.array([r.host_network for r in reps], dtype=np.bool_))
        namespaces = sorted({r.namespace for r in reps})
        self._ns_position = {ns: i for i, ns in enumerate(namespaces)}
        self._ns_of_class = np.array([self._ns_position[r.namespace] for r in reps], dtype=np.intp)
        self._ns_labels = LabelIndex([index.namespace_labels(ns) for ns in namespaces])
        gaps = {ns: index.namespace_labels_unreadable(ns) for ns in namespaces}
        self._ns_names = namespaces
        self._ns_gap = np.array([gaps[ns] is not None for ns in namespaces], dtype=np.bool_)
        self._pod_labels = LabelIndex([r.labels for r in reps])
        self._addresses = AddressTable(reps)
        self._views = [PeerView(r, index.namespace_labels(r.namespace), r.ips,
                                None if (g := gaps[r.namespace]) is None else g.reason) for r in reps]
        self._ns_cache: dict[str, BoolArray] = {}
        self._namespaces_cache: dict[LabelSelector, Masks] = {}
        self._blocks_cache: dict[tuple[IPBlock, ...], BoolArray] = {}
        self._peer_cache: dict[PeerMatcher, Masks] = {}
        self._subject_cache: dict[int, Masks] = {}
        self._rule_cache: dict[int, tuple[BoolArray, BoolArray, PortMask]] = {}
        self._destination_cache: dict[tuple[PortMatcher, bool], BoolArray] = {}
        # Classes grouped by the named ports they declare: (group per class, one class per group).
        self._port_sets: tuple[IntArray, list[int]] | None = None
        self._selection_cache: dict[tuple[int, int, Direction], tuple[tuple[CompiledPolicy, ...], bool]] = {}
        self._selected_all: dict[tuple[int, Direction],
                                 tuple[IntArray, list[tuple[CompiledPolicy, ...]], BoolArray]] = {}
        self._classes_of_ns: dict[str, IntArray] = {}

    # -- primitives -----------------------------------------------------------------------------------

    @staticmethod
    def any(vector: BoolArray) -> bool:
        return bool(vector.any())

    def namespace_of(self, cls: int) -> str:
        return self.classes.representatives[cls].namespace

    def in_namespace(self, namespace: str) -> BoolArray:
        found = self._ns_cache.get(namespace)
        if found is None:
            position = self._ns_position.get(namespace)
            found = self.nothing if position is None else _frozen(self._ns_of_class == position)
            self._ns_cache[namespace] = found
        return found

    def namespaces(self, selector: LabelSelector) -> Masks:
        """Classes whose namespace the selector surely picks, and those it may pick (namespaces whose
        labels could not be read, unless the name label alone decides)."""
        found = self._namespaces_cache.get(selector)
        if found is None:
            by_namespace = self._ns_labels.matches(selector)
            maybe_ns = np.zeros(len(self._ns_names), dtype=np.bool_)
            if self._ns_gap.any() and not selector_keys(selector) <= {NAMESPACE_NAME_LABEL}:
                for position in np.flatnonzero(self._ns_gap).tolist():
                    decided = partly_known(selector, {NAMESPACE_NAME_LABEL: self._ns_names[position]})
                    maybe_ns[position] = decided is True
                by_namespace = by_namespace & ~self._ns_gap
            found = (_frozen(by_namespace[self._ns_of_class]), _frozen(maybe_ns[self._ns_of_class]))
            self._namespaces_cache[selector] = found
        return found

    def pods(self, selector: LabelSelector) -> BoolArray:
        return self._pod_labels.matches(selector)

    def in_blocks(self, blocks: tuple[IPBlock, ...]) -> BoolArray:
        found = self._blocks_cache.get(blocks)
        if found is None:
            found = self._blocks_cache[blocks] = _frozen(self._addresses.in_blocks(blocks))
        return found

    def by_representative(self, peer: PeerMatcher) -> Masks:
        """A peer's mask from its explain face, once per class (exact: see the module doc)."""
        answers = [peer.explain(view, self.index) for view in self._views]
        return (_frozen(np.fromiter((a.matched for a in answers), dtype=np.bool_, count=self.size)),
                _frozen(np.fromiter((a.unknown for a in answers), dtype=np.bool_, count=self.size)))

    def subject_by_representative(self, subject: SubjectMatcher) -> Masks:
        answers = [subject.explain(rep, self.index).selects for rep in self.classes.representatives]
        return (_frozen(np.fromiter((a is True for a in answers), dtype=np.bool_, count=self.size)),
                _frozen(np.fromiter((a is None for a in answers), dtype=np.bool_, count=self.size)))

    def by_destination(self, port: PortMatcher, query: PortQuery, denies: bool) -> BoolArray:
        """A port's answer per destination class, when it depends on the destination (a named port:
        each resolves the name on its own pods), asked once per distinct set of named ports: classes
        declaring the same ones answer alike."""
        found = self._destination_cache.get((port, denies))
        if found is None:
            which_set, firsts_of = self._named_port_sets()
            reps = self.classes.representatives
            answers = np.array([port.explain(query, reps[c], denies).matched for c in firsts_of], dtype=np.bool_)
            found = _frozen(answers[which_set])
            self._destination_cache[(port, denies)] = found
        return found

    # -- rules and tiers --------------------------------------------------------------------------------

    def peer_masks(self, peer: PeerMatcher) -> Masks:
        found = self._peer_cache.get(peer)
        if found is None:
            found = self._peer_cache[peer] = peer.mask(self)
        return found

    def subject_masks(self, policy: CompiledPolicy) -> Masks:
        """Which classes the policy's subject selects; for a namespaced policy, valid for the classes of
        its namespace only (the only ones it is ever offered)."""
        found = self._subject_cache.get(id(policy))
        if found is None:
            found = self._subject_cache[id(policy)] = policy.subject.mask_in_namespace(self)
        return found

    def rule_masks(self, rule: CompiledRule) -> tuple[BoolArray, BoolArray, PortMask]:
        """(peers surely matched, peers that might match, ports matched) of one rule. A rule that
        fails closed denies everything (a deny) or matches nothing (an allow)."""
        found = self._rule_cache.get(id(rule))
        if found is not None:
            return found
        if rule.fail_closed is not None:
            found = (self.everything, self.nothing, True) if rule.action is Action.DENY else (
                self.nothing, self.nothing, False)
        else:
            if rule.peers is None:
                sure, maybe = self.everything, self.nothing
            elif len(rule.peers) == 1:  # the common case: share the peer's vectors, no copy
                sure, maybe = self.peer_masks(rule.peers[0])
            else:
                sure, maybe = self.nothing, self.nothing
                for peer in rule.peers:
                    peer_sure, peer_maybe = self.peer_masks(peer)
                    sure, maybe = sure | peer_sure, maybe | peer_maybe
            if self.any(maybe):
                maybe = maybe & ~sure
            denies = rule.action is Action.DENY
            ports: PortMask = True if rule.ports is None else self._any_port(
                [p.mask(self, self.query, denies) for p in rule.ports])
            found = (sure, maybe, ports)
        self._rule_cache[id(rule)] = found
        return found

    @staticmethod
    def _any_port(matches: Sequence[PortMask]) -> PortMask:
        out: PortMask = False
        for match in matches:
            if isinstance(match, bool):
                if match:
                    return True
            elif isinstance(out, bool):
                out = match
            else:
                out = out | match
        return out

    def matched(self, peers: BoolArray, ports: PortMask, direction: Direction, cls: int) -> BoolArray:
        """The peers a rule matches, seen from class `cls`: for egress the ports are judged at each
        destination (the peer), for ingress at `cls` itself."""
        if isinstance(ports, bool):
            return peers if ports else self.nothing
        if direction is Direction.EGRESS:
            return peers & ports
        return peers if ports[cls] else self.nothing

    def select_all(self, tier: CompiledTier, direction: Direction) -> None:
        """`selection` for every class at once: the same walk (each namespace's candidates in order),
        over vectors of classes instead of class by class; `selection` then answers from it."""
        key = (id(tier), direction)
        if key in self._selected_all:
            return
        hits: list[IntArray] = []
        chosen: list[CompiledPolicy] = []
        cut = np.zeros(self.size, dtype=np.bool_)
        for namespace in self._ns_names:
            where = self._classes_in(namespace)
            for policy in tier.candidates(namespace):
                if direction not in policy.directions:
                    continue
                sure, maybe = self.subject_masks(policy)
                sure_here, still = sure[where], ~cut[where]
                found = where[sure_here & still]
                if len(found):
                    hits.append(found)
                    chosen.append(policy)
                if policy.rules(direction) or tier.end is Outcome.DENY:  # as `selection`
                    cut[where[maybe[where] & ~sure_here & still]] = True
        groups: list[tuple[CompiledPolicy, ...]] = [()]
        group = np.zeros(self.size, dtype=np.intp)
        if hits:
            classes = np.concatenate(hits)
            which = np.repeat(np.arange(len(chosen)), [len(h) for h in hits])
            order = np.argsort(classes, kind="stable")  # keeps each class's policies in walk order
            classes, which = classes[order], which[order]
            starts = np.flatnonzero(np.r_[True, classes[1:] != classes[:-1]])
            ids: dict[tuple[int, ...], int] = {(): 0}
            for c, a, b in zip(classes[starts].tolist(), starts.tolist(), [*starts[1:].tolist(), len(classes)],
                               strict=True):
                run = tuple(which[a:b].tolist())
                found_id = ids.get(run)
                if found_id is None:
                    found_id = ids[run] = len(groups)
                    groups.append(tuple(chosen[k] for k in run))
                group[c] = found_id
        self._selected_all[key] = (group, groups, cut)

    def _classes_in(self, namespace: str) -> IntArray:
        found = self._classes_of_ns.get(namespace)
        if found is None:
            found = self._classes_of_ns[namespace] = np.flatnonzero(self.in_namespace(namespace))
        return found

    def selection_group(self, tier: CompiledTier, cls: int, direction: Direction) -> tuple[int, bool] | None:
        """After `select_all`: which distinct selection class `cls` has (an id, the same for classes
        selected alike) and the cut flag of `selection`; None before."""
        vectors = self._selected_all.get((id(tier), direction))
        if vectors is None:
            return None
        return int(vectors[0][cls]), bool(vectors[2][cls])

    def selection_vectors(self, tier: CompiledTier,
                          direction: Direction) -> tuple[IntArray, list[tuple[CompiledPolicy, ...]], BoolArray]:
        """After `select_all`: the selection group of every class, the policies of each group, and the
        cut flag of every class."""
        self.select_all(tier, direction)
        return self._selected_all[(id(tier), direction)]

    def group_policies(self, tier: CompiledTier, group: int, direction: Direction) -> tuple[CompiledPolicy, ...]:
        """The policies of a selection group (`selection_group`), in walk order."""
        return self._selected_all[(id(tier), direction)][1][group]

    def selection(self, tier: CompiledTier, cls: int, direction: Direction) -> tuple[tuple[CompiledPolicy, ...], bool]:
        """The tier's policies surely governing class `cls` in `direction`, in precedence order, up to the
        first with rules there that may select it but cannot be told; and whether there is such a one."""
        vectors = self._selected_all.get((id(tier), direction))
        if vectors is not None:
            group, groups, cut_all = vectors
            return groups[group[cls]], bool(cut_all[cls])
        key = (id(tier), cls, direction)
        found = self._selection_cache.get(key)
        if found is None:
            selected: list[CompiledPolicy] = []
            cut = False
            for policy in tier.candidates(self.namespace_of(cls)):
                if direction not in policy.directions:
                    continue
                sure, maybe = self.subject_masks(policy)
                if sure[cls]:
                    selected.append(policy)
                elif maybe[cls] and (policy.rules(direction) or tier.end is Outcome.DENY):
                    cut = True
                    break
            found = self._selection_cache[key] = (tuple(selected), cut)
        return found

    def _named_port_sets(self) -> tuple[IntArray, list[int]]:
        """Classes grouped by the named ports they declare: the group of each class, and one class per
        group (named ports answer alike for classes that declare the same ones)."""
        if self._port_sets is None:
            keys: dict[tuple[tuple[str, str, int], ...], int] = {}
            which = [keys.setdefault(named_ports(r), len(keys)) for r in self.classes.representatives]
            firsts: dict[int, int] = {}
            for c, k in enumerate(which):
                firsts.setdefault(k, c)
            self._port_sets = (np.array(which, dtype=np.intp), [firsts[k] for k in range(len(keys))])
        return self._port_sets

    def for_query(self, query: PortQuery) -> ClassSpace:
        """The same classes asked about another port: what does not depend on the port (namespaces,
        labels, addresses, peers, subjects, selections) is shared with this space, rules' port
        answers are not. A cache whose entries depend on `query` must be reset here."""
        self._named_port_sets()  # computed once, shared
        sibling = copy.copy(self)
        sibling.query = query
        sibling._rule_cache = {}
        sibling._destination_cache = {}
        return sibling
