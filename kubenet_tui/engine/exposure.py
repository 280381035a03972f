"""Exposure: which pods let in traffic from outside the cluster, and from every namespace, per port.

Per pod and per port it declares (a pod that declares none: every TCP port, as `evaluate` asks without
a port), two questions about the pod's ingress (an outside address has no policies of its own, and
exposure is what the pod lets in, whatever its peers' egress says):

- **outside**: from addresses outside the cluster, IPv4 (0.0.0.0/0) and IPv6 (::/0). The policies that
  may select the pod split the address space at the edges of every CIDR they name (ipBlocks, their
  excepts, admin `networks`, node addresses); within one piece every rule answers alike, so one
  address per piece answers for it (`explain_direction`, the explained face). `ALL`: every outside
  address is let in; `SOME`: some are (`ranges` says which); `NONE`; `UNKNOWN`: cannot be told
  (data that decides it was not read), with `ranges` what surely is let in.
- **namespaces**: whether its ingress admits every pod (that carries traffic) of every namespace, and
  of how many namespaces it admits all pods (the row face over pod classes).

Pods that carry no traffic are skipped; host-network pods are listed as not enforceable.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterable, Sequence
from enum import StrEnum

import numpy as np

from kubenet_tui.engine.classes import named_ports, partition
from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.explain import Direction
from kubenet_tui.engine.fast import ClassEvaluator
from kubenet_tui.engine.model import IPAddress, IPNetwork, Pod, Protocol
from kubenet_tui.engine.records import record
from kubenet_tui.engine.rules import NamedPort, NodesPeer, PeerView, PortQuery
from kubenet_tui.engine.tiers import Program, Side, explain_direction


class Reach(StrEnum):
    ALL = "all"
    SOME = "some"
    NONE = "none"
    UNKNOWN = "unknown"


def reach_of(allowed: bool, unknown: bool, denied: bool) -> Reach:
    """Never a confident answer that the unknown part could turn (as the heatmap's marks)."""
    if allowed and denied:
        return Reach.SOME
    if unknown:
        return Reach.UNKNOWN
    return Reach.ALL if allowed else Reach.NONE


@record
class PortExposure:
    pod: Pod
    protocol: Protocol
    port: int | None  # None: every port of the protocol (the pod declares none)
    port_name: str | None
    outside: Reach
    ranges: tuple[str, ...]  # outside addresses surely let in, as CIDRs
    unknown_ranges: tuple[str, ...]  # outside addresses for which it cannot be told
    namespaces: Reach
    namespaces_admitted: int  # namespaces all of whose pods it admits
    namespaces_total: int

    @property
    def exposed(self) -> bool:
        return self.outside is not Reach.NONE or self.namespaces is not Reach.NONE


@record
class Exposure:
    ports: tuple[PortExposure, ...]  # every pod that carries traffic, every port it declares
    host_network: tuple[Pod, ...]  # not enforceable: pod policies do not govern them

    def pods(self, outside: Reach | None = None, namespaces: Reach | None = None) -> tuple[Pod, ...]:
        """Pods with some port in that state (each once, sorted)."""
        found = {e.pod.key: e.pod for e in self.ports
                 if (outside is None or e.outside is outside) and (namespaces is None or e.namespaces is namespaces)}
        return tuple(found[k] for k in sorted(found))


def pod_ports(pod: Pod) -> list[tuple[Protocol, int | None, str | None]]:
    """The ports to ask about a pod: each (protocol, number) it declares once, with its name; none
    declared: every TCP port."""
    seen: dict[tuple[Protocol, int], str | None] = {}
    for port in pod.ports:
        seen.setdefault((port.protocol, port.port), port.name)
    if not seen:
        return [(Protocol.TCP, None, None)]
    return [(proto, number, name) for (proto, number), name in sorted(seen.items(), key=lambda kv: (kv[0][1], kv[0][0]))]


def _edges(networks: Iterable[IPNetwork], version: int) -> list[int]:
    bits = 32 if version == 4 else 128
    edges = {0, 1 << bits}
    for net in networks:
        if net.version == version:
            edges.add(int(net.network_address))
            edges.add(int(net.broadcast_address) + 1)
    return sorted(edges)


def _cidrs(ranges: Sequence[tuple[int, int]], version: int) -> list[str]:
    """Merged integer ranges as CIDR text."""
    make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    merged: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    out: list[str] = []
    for lo, hi in merged:
        out.extend(str(n) for n in ipaddress.summarize_address_range(make(lo), make(hi)))
    return out


class _Outside:
    """Ingress from outside addresses for one pod class and query, piece by piece of the address space."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.index = cluster.index
        self.program: Program = cluster.program
        self._cache: dict[tuple[object, ...], tuple[Reach, tuple[str, ...], tuple[str, ...]]] = {}
        self._keys: dict[int, tuple[tuple[object, ...], tuple[IPNetwork, ...], bool]] = {}
        self._node_networks = tuple(ipaddress.ip_network(ip) for n in cluster.nodes for ip in n.addresses)

    def answer(self, cls: int, rep: Pod, query: PortQuery) -> tuple[Reach, tuple[str, ...], tuple[str, ...]]:
        base = self._keys.get(cls)
        if base is None:
            base = self._keys[cls] = self._key(rep)
        key = (base[0], query)
        found = self._cache.get(key)
        if found is None:
            # No policy of any tier may select the pod, and nothing hidden: the default allows all.
            found = (Reach.ALL, ("0.0.0.0/0", "::/0"), ()) if base[2] else self._compute(rep, query, base[1])
            self._cache[key] = found
        return found

    def _key(self, rep: Pod) -> tuple[tuple[object, ...], tuple[IPNetwork, ...], bool]:
        """What the answer depends on besides the query: the policies that may select the pod (every
        tier), the gaps of its namespace, its named ports; the CIDRs their ingress rules name; and
        whether nothing at all may act on the pod's ingress (no policy, no gap)."""
        namespace = rep.namespace
        parts: list[object] = []
        networks: list[IPNetwork] = []
        names = False
        tier_parts: list[int] = []  # every policy that may select the pod
        gaps: list[bool] = []
        for tier in self.program.tiers:
            chosen = []
            for policy in tier.candidates(namespace):
                if Direction.INGRESS not in policy.directions:
                    continue
                if policy.subject.explain(rep, self.index).selects is False:
                    continue
                chosen.append(id(policy))
                for rule in policy.ingress:
                    names = names or any(isinstance(port, NamedPort) for port in rule.ports or ())
                    for peer in rule.peers or ():
                        for block in peer.address_blocks():
                            networks.append(block.cidr)
                            networks.extend(block.excepts)
                        if isinstance(peer, NodesPeer):
                            networks.extend(self._node_networks)
            gap = (tier.unreadable_for(namespace) is not None, bool(tier.unevaluated_for(namespace, Direction.INGRESS)))
            parts.append((tuple(chosen), *gap))
            tier_parts.extend(chosen)
            gaps.extend(gap)
        quiet = not any(tier_parts) and not any(gaps)
        # The pod's named ports matter only to rules that name ports.
        parts.append(named_ports(rep) if names else ())
        return tuple(parts), tuple(networks), quiet

    def _compute(self, rep: Pod, query: PortQuery,
                 networks: tuple[IPNetwork, ...]) -> tuple[Reach, tuple[str, ...], tuple[str, ...]]:
        allowed: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
        unknown: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
        denied = False
        for version in (4, 6):
            edges = _edges(networks, version)
            make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
            for lo, hi in itertools.pairwise(edges):
                address: IPAddress = make(lo)
                side = Side(rep, Direction.INGRESS, PeerView(None, None, (address,)), query, rep, self.index)
                verdict, _ = explain_direction(self.program, side)
                if verdict.allowed is True:
                    allowed[version].append((lo, hi - 1))
                elif verdict.allowed is None:
                    unknown[version].append((lo, hi - 1))
                else:
                    denied = True
        reach = reach_of(bool(allowed[4] or allowed[6]), bool(unknown[4] or unknown[6]), denied)
        return (reach, tuple(_cidrs(allowed[4], 4) + _cidrs(allowed[6], 6)),
                tuple(_cidrs(unknown[4], 4) + _cidrs(unknown[6], 6)))


def exposure(cluster: Cluster, pods: Sequence[Pod] | None = None) -> Exposure:
    """Exposure of `pods` (default: every pod); sources for "every namespace" are all pods of the cluster
    that carry traffic."""
    chosen = tuple(sorted(cluster.pods if pods is None else pods, key=lambda p: (p.namespace, p.name)))
    sources = tuple(sorted({id(p): p for p in (*cluster.pods, *chosen) if p.carries_traffic}.values(),
                           key=lambda p: (p.namespace, p.name)))
    classes = partition(cluster.program, cluster.index, sources)
    class_of = {id(p): c for p, c in zip(sources, classes.class_of.tolist(), strict=True)}
    running = np.array([r.carries_traffic for r in classes.representatives], dtype=np.bool_)
    namespaces = sorted({p.namespace for p in sources})
    ns_index = {ns: k for k, ns in enumerate(namespaces)}
    ns_of_class = np.zeros(classes.count, dtype=np.intp)
    for p, c in zip(sources, classes.class_of.tolist(), strict=True):
        ns_of_class[c] = ns_index[p.namespace]
    outside = _Outside(cluster)
    host: list[Pod] = []
    asked: list[tuple[Pod, int, Protocol, int | None, str | None]] = []
    for pod in chosen:
        if not pod.carries_traffic:
            continue
        if pod.host_network:
            host.append(pod)
            continue
        asked.extend((pod, class_of[id(pod)], *port) for port in pod_ports(pod))
    # Every namespace: one port at a time, the ingress rows of the classes asked on it (each distinct
    # row once), then let go of them: memory stays one port's rows.
    every: dict[tuple[Protocol, int | None, int], tuple[Reach, int]] = {}
    by_port: dict[tuple[Protocol, int | None], set[int]] = {}
    for _, c, protocol, number, _ in asked:
        by_port.setdefault((protocol, number), set()).add(c)
    for (protocol, number), wanted in by_port.items():
        table = ClassEvaluator(cluster, classes, protocol, number).row_table(
            Direction.INGRESS, only=np.array(sorted(wanted), dtype=np.intp))
        answers: dict[int, tuple[Reach, int]] = {}
        for c in wanted:
            row = int(table.which[c])
            answer = answers.get(row)
            if answer is None:
                admits, maybe = table.allowed[row], table.unknown[row]
                missing = running & ~admits
                full = len(namespaces) - len(np.unique(ns_of_class[missing]))
                answer = answers[row] = (reach_of(bool((running & admits).any()), bool((running & maybe).any()),
                                                  bool((missing & ~maybe).any())), full)
            every[(protocol, number, c)] = answer
        del table
    found = []
    for pod, c, protocol, number, name in asked:
        reach, ranges, unknown_ranges = outside.answer(c, pod, PortQuery(protocol, number))
        answer = every[(protocol, number, c)]
        found.append(PortExposure(pod, protocol, number, name, reach, ranges, unknown_ranges, answer[0], answer[1],
                                  len(namespaces)))
    return Exposure(tuple(found), tuple(host))
