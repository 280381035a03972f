"""Pods in equivalence classes: pods every policy treats alike are evaluated once, then expanded.

Two pods are in one class when nothing the engine reads can tell them apart: the same namespace,
the same labels, the same named container ports, the same host-network flag, whether they carry
traffic, and the same side of every ipBlock and admin `networks` peer that could apply (and the
same node, where admin `nodes` peers look pod IPs up as node addresses). A 10,000-pod cluster of
deployments has a few thousand classes, and the selectors are evaluated over all of them at once
as boolean vectors (numpy), never pod by pod.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kubenet_tui.engine.cluster import ClusterIndex
from kubenet_tui.engine.model import (
    IPBlock,
    IPNetwork,
    LabelSelector,
    Operator,
    Pod,
)

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]

_MASK64 = (1 << 64) - 1


def _frozen(array: BoolArray) -> BoolArray:
    array.flags.writeable = False
    return array


class LabelIndex:
    """Label selectors evaluated over many label maps at once: an inverted index from `key=value`
    (and from `key`) to the positions that carry it. Results are cached per selector and read-only."""

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
        """Where label `key` has exactly `value`."""
        found = self._pair_cache.get((key, value))
        if found is None:
            found = self._pair_cache[(key, value)] = self._positions(self._by_pair.get((key, value)))
        return found

    def has(self, key: str) -> BoolArray:
        """Where label `key` is present (with any value)."""
        found = self._key_cache.get(key)
        if found is None:
            found = self._key_cache[key] = self._positions(self._by_key.get(key))
        return found

    def _any_value(self, key: str, values: Iterable[str]) -> BoolArray:
        out = np.zeros(self.size, dtype=np.bool_)
        for value in set(values):
            out |= self.pair(key, value)
        return out

    def matches(self, selector: LabelSelector) -> BoolArray:
        """`selector_matches(selector, labels)` for every label map, as one vector."""
        found = self._cache.get(selector)
        if found is not None:
            return found
        if selector.is_empty:
            self._cache[selector] = self._all
            return self._all
        out = np.ones(self.size, dtype=np.bool_)
        for key, wanted in selector.match_labels:
            out &= self.pair(key, wanted)
        for req in selector.match_expressions:
            if req.operator is Operator.IN:
                out &= self._any_value(req.key, req.values)
            elif req.operator is Operator.NOT_IN:
                out &= ~self._any_value(req.key, req.values)
            elif req.operator is Operator.EXISTS:
                out &= self.has(req.key)
            else:
                out &= ~self.has(req.key)
        self._cache[selector] = _frozen(out)
        return out


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

    def _inside(self, net: IPNetwork) -> BoolArray:
        """Per address: same IP version as `net` and inside it."""
        first = int(net.network_address)
        last = int(net.broadcast_address)
        f_high, f_low = np.uint64(first >> 64), np.uint64(first & _MASK64)
        l_high, l_low = np.uint64(last >> 64), np.uint64(last & _MASK64)
        high, low = self._high, self._low
        above = (high > f_high) | ((high == f_high) & (low >= f_low))
        below = (high < l_high) | ((high == l_high) & (low <= l_low))
        result: BoolArray = (self._version == net.version) & above & below
        return result

    def _per_pod(self, per_address: BoolArray) -> BoolArray:
        out = np.zeros(self.size, dtype=np.bool_)
        out[self._owner[per_address]] = True
        return out

    def in_block(self, block: IPBlock) -> BoolArray:
        """`ip_block_check(block, pod.ips)` per pod: some address inside the cidr and outside every except."""
        inside = self._inside(block.cidr)
        for hole in block.excepts:
            inside &= ~self._inside(hole)
        return self._per_pod(inside)

    def in_networks(self, networks: Sequence[IPNetwork]) -> BoolArray:
        """Per pod: some address inside some of `networks` (admin `networks` peers)."""
        inside = np.zeros(len(self._owner), dtype=np.bool_)
        for net in networks:
            inside |= self._inside(net)
        return self._per_pod(inside)


def address_predicates(index: ClusterIndex, namespaces: Iterable[str]) -> tuple[list[IPBlock], list[tuple[IPNetwork, ...]], bool]:
    """The ipBlocks of the NetworkPolicies of `namespaces` and the admin `networks` peers (the only
    address tests that can decide a verdict among pods of those namespaces), and whether any admin
    `nodes` peer exists."""
    blocks: dict[IPBlock, None] = {}
    for ns in namespaces:
        for policy in index.policies_by_namespace.get(ns, ()):
            for rule in policy.ingress + policy.egress:
                for peer in rule.peers:
                    if peer.ip_block is not None:
                        blocks.setdefault(peer.ip_block, None)
    networks: dict[tuple[IPNetwork, ...], None] = {}
    nodes = False
    for admin in index.admin_policies + index.baseline_policies:
        for arule in admin.ingress + admin.egress:
            for apeer in arule.peers:
                if apeer.networks is not None:
                    networks.setdefault(apeer.networks, None)
                if apeer.nodes is not None:
                    nodes = True
    return list(blocks), list(networks), nodes


@dataclass(frozen=True, eq=False)
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


def partition(index: ClusterIndex, pods: Sequence[Pod]) -> PodClasses:
    """Group `pods` into classes that every policy of `index` treats identically (see module doc)."""
    pods = tuple(pods)
    blocks, networks, nodes = address_predicates(index, {p.namespace for p in pods})
    ip_bits: list[bytes] | None = None
    if blocks or networks:
        table = AddressTable(pods)
        columns = [table.in_block(b) for b in blocks] + [table.in_networks(n) for n in networks]
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
            ip_bits[position] if ip_bits is not None else b"",
            node,
        )
        found = keys.get(key)
        if found is None:
            found = keys[key] = len(representatives)
            representatives.append(pod)
        class_of[position] = found
    return PodClasses(pods, class_of, tuple(representatives))

