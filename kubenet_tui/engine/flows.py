"""Observed flows, as a network plugin's flow log reports them, and their aggregation into classes.

A reader (kubenet_tui.sources.flows) turns each log line into a `FlowRecord`: the ends as the plugin
named them (address, namespace, pod, labels), the protocol and port, and what the plugin did with
it (`Observed`). Nothing here knows a log format, and nothing here joins to a snapshot (flowjoin.py)
or judges (flowjudge.py).

`FlowAggregator` folds records into classes as they arrive: one class per (plugin, source,
destination, protocol, port, observed verdict), with a count and the first and last time. Records
are never kept, so a million lines cost what their distinct classes cost. Replies are counted and
dropped: a reply belongs to a connection already counted, it is not a new one (policies are
stateful, SEMANTICS.md 1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

from kubenet_tui.engine.explain import Direction
from kubenet_tui.engine.profiles import Profile


class Plugin(StrEnum):
    """Whose flow log a record comes from."""

    HUBBLE = "hubble"  # Cilium's Hubble (`hubble observe -o json`, the Hubble exporter)
    CALICO = "calico"  # Calico's flow logs (goldmane / Whisker, and the flat file / Elasticsearch records)
    AWS = "aws"  # the AWS VPC CNI network policy agent

    @property
    def profile(self) -> Profile:
        """The reading of the policies the plugin that wrote this log enforces."""
        return _PROFILES[self]


_PROFILES = {Plugin.HUBBLE: Profile.CILIUM, Plugin.CALICO: Profile.CALICO, Plugin.AWS: Profile.UPSTREAM}


class Observed(StrEnum):
    """What the plugin did with the flow."""

    ALLOWED = "allowed"  # forwarded, accepted
    DENIED = "denied"  # dropped by policy
    AUDIT = "audit"  # policy would drop it; audit mode let it through (Cilium's AUDIT verdict)
    DROPPED = "dropped"  # dropped for a reason that is not policy (conntrack, routing, checksum...)

    @property
    def policy_allows(self) -> bool | None:
        """What the plugin's policies said; None: the drop was not a policy decision."""
        return _POLICY_ALLOWS[self]


_POLICY_ALLOWS = {Observed.ALLOWED: True, Observed.DENIED: False, Observed.AUDIT: False, Observed.DROPPED: None}


class EndHint(StrEnum):
    """What the plugin says an end is, besides its address and name."""

    POD = "pod"  # a workload endpoint
    HOST = "host"  # a node (the local host, a remote node, a host endpoint)
    WORLD = "world"  # outside the cluster (Cilium's world identity, Calico's pub/pvt networks)
    NETWORK_SET = "network-set"  # a Calico NetworkSet / GlobalNetworkSet
    UNKNOWN = "unknown"


class FlowEnd(NamedTuple):
    """One end of a flow as the log names it (strings as written: joined once per distinct end)."""

    ip: str | None = None
    namespace: str | None = None
    name: str | None = None  # the pod (or host endpoint, network set) name
    prefix: str | None = None  # a set of pods named by a common prefix (Calico aggregates `frontend-7d9f8-*`)
    labels: tuple[str, ...] = ()  # `key=value` as logged (Cilium's `k8s:` source prefix may be there)
    hint: EndHint = EndHint.UNKNOWN
    service: str | None = None  # `namespace/name` of the Service the log says the flow was addressed to

    def describe(self) -> str:
        """The end as the log named it, for people."""
        parts = []
        if self.namespace and (self.name or self.prefix):
            parts.append(f"{self.namespace}/{self.name or (self.prefix or '') + '*'}")
        elif self.name or self.prefix:
            parts.append(self.name or (self.prefix or "") + "*")
        if self.ip:
            parts.append(self.ip)
        if not parts:
            parts.append(self.hint.value)
        return " ".join(parts)


class PluginPolicy(NamedTuple):
    """A policy (or rule) the plugin names for a flow: Hubble's `*_allowed_by` / `*_denied_by`, Calico's
    policy trace. `rule` -1 is Calico's end of tier (no rule matched, the tier's default acted)."""

    kind: str  # as the plugin calls it: NetworkPolicy, CiliumNetworkPolicy, GlobalNetworkPolicy, Profile...
    namespace: str | None
    name: str
    action: str = ""  # allow, deny, pass (lower case), or empty when the log does not say
    side: Direction | None = None
    tier: str | None = None
    rule: int | None = None
    pending: bool = False  # a Calico staged policy: would act, is not enforced

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


class FlowRecord(NamedTuple):
    """One observation of a flow (a NamedTuple: a million of them are built and dropped per run)."""

    plugin: Plugin
    line: int  # where in the input, for people
    time: float | None  # seconds since the epoch (UTC); the start of an aggregation window
    source: FlowEnd
    destination: FlowEnd
    protocol: str  # TCP, UDP, SCTP, or what the log says otherwise (ICMPv4, ICMP, ...)
    port: int | None  # destination port; None: the protocol has none, or the log does not say
    observed: Observed
    reason: str = ""  # the plugin's own words: POLICY_DENIED, deny, DENY...
    side: Direction | None = None  # where it was observed: egress at the source, ingress at the destination
    reply: bool = False  # a reply packet of a connection (not a new connection)
    events: int = 1  # connections (or events) the record stands for: Calico's records are aggregates
    policies: tuple[PluginPolicy, ...] = ()
    l7: str | None = None  # an L7 proxy saw it: http, dns, kafka, or "proxy" (redirected, no record)
    dns_names: tuple[str, ...] = ()  # DNS names the destination address had (Cilium's FQDN cache)
    node: str | None = None  # the node that observed it
    end_time: float | None = None  # the end of an aggregation window


@dataclass(slots=True, eq=False)
class RawClass:
    """Every record of one (plugin, source, destination, protocol, port, observed) as logged."""

    plugin: Plugin
    source: FlowEnd
    destination: FlowEnd
    protocol: str
    port: int | None
    observed: Observed
    count: int = 0
    records: int = 0
    first: float | None = None
    last: float | None = None
    first_line: int = 0
    side_bits: int = 0  # the sides it was seen on (`SIDE_BITS`): a hundred thousand classes hold no set for it
    # Most classes never have these: made when first needed (a busy log has a hundred thousand classes).
    nodes: set[str] | None = None
    reasons: set[str] | None = None
    policies: set[PluginPolicy] | None = None
    l7: set[str] | None = None
    dns_names: set[str] | None = None

    @property
    def sides(self) -> set[Direction | None]:
        return {side for side, bit in SIDE_BITS.items() if self.side_bits & bit}

    def add_to(self, name: str, values: Iterable[Any]) -> None:
        """Add to one of the sets made when first needed."""
        found = getattr(self, name)
        if found is None:
            setattr(self, name, set(values))
        else:
            found.update(values)


ClassKey = tuple[Plugin, FlowEnd, FlowEnd, str, int | None, Observed]
SIDE_BITS: dict[Direction | None, int] = {Direction.EGRESS: 1, Direction.INGRESS: 2, None: 4}


class FlowAggregator:
    """Records in, classes out, incrementally: add records as they are read (from a pipe that may
    never end), ask for the classes at any time."""

    def __init__(self) -> None:
        self._classes: dict[ClassKey, RawClass] = {}
        self.records = 0  # every record added
        self.replies = 0  # of which replies (not counted in any class)
        self.first: float | None = None
        self.last: float | None = None

    def __len__(self) -> int:
        return len(self._classes)

    def add(self, record: FlowRecord) -> None:
        # The hot path of a million-line log: one unpacking, no attribute lookups on the record.
        (plugin, line, start, source, destination, protocol, port, observed, reason, side, reply, events, policies,
         l7, dns_names, node, end_time) = record
        self.records += 1
        if reply:
            self.replies += 1
            return
        key = (plugin, source, destination, protocol, port, observed)
        found = self._classes.get(key)
        if found is None:
            found = self._classes[key] = RawClass(plugin, source, destination, protocol, port, observed,
                                                  first_line=line)
        found.count += events
        found.records += 1
        if start is not None:
            end = start if end_time is None else end_time
            first, last = found.first, found.last
            if first is None or start < first:
                found.first = start
            if last is None or end > last:
                found.last = end
            if self.first is None or start < self.first:
                self.first = start
            if self.last is None or end > self.last:
                self.last = end
        found.side_bits |= SIDE_BITS[side]
        if node:
            nodes = found.nodes
            if nodes is None:
                found.nodes = {node}
            else:
                nodes.add(node)
        if reason:
            found.add_to("reasons", (reason,))
        if policies:
            found.add_to("policies", policies)
        if l7 is not None:
            found.add_to("l7", (l7,))
        if dns_names:
            found.add_to("dns_names", dns_names)

    def add_all(self, records: Iterable[FlowRecord]) -> int:
        """Add every record; returns how many were added."""
        before = self.records
        add = self.add
        for record in records:
            add(record)
        return self.records - before

    def merge(self, other: FlowAggregator, line_offset: int = 0) -> None:
        """Add what `other` aggregated (of lines numbered from 1 that are lines `line_offset + 1`... here)."""
        self.records += other.records
        self.replies += other.replies
        for attribute, pick in (("first", min), ("last", max)):
            mine, theirs = getattr(self, attribute), getattr(other, attribute)
            setattr(self, attribute, theirs if mine is None else mine if theirs is None else pick(mine, theirs))
        for key, theirs in other._classes.items():
            theirs.first_line += line_offset
            mine = self._classes.get(key)
            if mine is None:
                self._classes[key] = theirs
                continue
            mine.count += theirs.count
            mine.records += theirs.records
            mine.first_line = min(mine.first_line, theirs.first_line)
            if theirs.first is not None and (mine.first is None or theirs.first < mine.first):
                mine.first = theirs.first
            if theirs.last is not None and (mine.last is None or theirs.last > mine.last):
                mine.last = theirs.last
            mine.side_bits |= theirs.side_bits
            for field_name in ("nodes", "reasons", "policies", "l7", "dns_names"):
                values = getattr(theirs, field_name)
                if values:
                    mine.add_to(field_name, values)

    def order_by_first_line(self) -> None:
        """Classes in the order the input first showed them, after parts read out of order were merged
        (each line is one record of one class, so no two classes share a first line)."""
        self._classes = dict(sorted(self._classes.items(), key=lambda item: item[1].first_line))

    def classes(self) -> tuple[RawClass, ...]:
        """The classes so far, in the order they were first seen. They keep growing while records are
        added: read them from the thread that adds."""
        return tuple(self._classes.values())
