"""Without a port, the question is "which ports are allowed?": the port space split where any rule
that could apply changes its answer, each piece explained.

Within a piece no port entry of any policy that can govern either end starts or stops matching (every
range's bounds, every named port resolved on the destination, the destination's declared ports are
cut points), so one explained verdict at the piece's first port holds for all of it. Adjacent pieces
with the same answer and the same deciding rules are merged; the destination's declared ports always
keep a line of their own.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.ends import End
from kubenet_tui.engine.evaluate import evaluate
from kubenet_tui.engine.explain import EndpointInfo, RuleRef, Status, Verdict
from kubenet_tui.engine.model import Pod, Protocol
from kubenet_tui.engine.records import record
from kubenet_tui.engine.rules import CompiledPolicy, NamedPort, PortRange

MAX_PORT = 65535


@record
class PortSegment:
    """Ports `first`..`last` of `protocol`, all with the verdict explained at `first`."""

    protocol: Protocol
    first: int
    last: int
    verdict: Verdict
    declared: bool = False  # a port the destination pod declares: it always keeps its own line
    names: tuple[str, ...] = ()  # the destination's names for that port

    @property
    def status(self) -> Status:
        return self.verdict.status

    def label(self) -> str:
        if self.first == 1 and self.last == MAX_PORT:
            return f"every {self.protocol.value} port"
        ports = str(self.first) if self.first == self.last else f"{self.first}-{self.last}"
        names = f" ({', '.join(self.names)})" if self.names else ""
        return f"{ports}/{self.protocol.value}{names}"


@record
class PortsVerdict:
    """Which ports of which protocols `source` may open on `destination`."""

    source: EndpointInfo
    destination: EndpointInfo
    protocols: tuple[Protocol, ...]
    status: Status  # ALLOWED: every port allowed; BLOCKED: some port blocked; UNKNOWN: none blocked, some unknown
    summary: str
    segments: tuple[PortSegment, ...]

    @property
    def allowed(self) -> bool | None:
        return self.status.allowed

    def allowed_segments(self) -> tuple[PortSegment, ...]:
        return tuple(s for s in self.segments if s.status is Status.ALLOWED)


def _governing(cluster: Cluster, pod: Pod | None) -> Iterable[CompiledPolicy]:
    if pod is None:
        return ()
    return (p for tier in cluster.program.tiers for p in tier.candidates(pod.namespace))


def _cut_points(cluster: Cluster, source: End, destination: End, protocol: Protocol) -> list[int]:
    """Ports where some rule that can apply to this pair starts or stops matching."""
    cuts = {1, MAX_PORT + 1}
    target = destination.pod
    for policy in (*_governing(cluster, source.pod), *_governing(cluster, target)):
        for rule in (*policy.ingress, *policy.egress):
            for port in rule.ports or ():
                if isinstance(port, PortRange):
                    matched, first, last = port.bounds()
                    if matched is protocol:
                        cuts.update((first, last + 1))
                elif isinstance(port, NamedPort) and target is not None:
                    for number in port.numbers(protocol, target):
                        cuts.update((number, number + 1))
    if target is not None:
        for cport in target.ports:
            if cport.protocol is protocol:
                cuts.update((cport.port, cport.port + 1))
    return sorted(cuts)


def _signature(verdict: Verdict) -> tuple[Status, Status, tuple[RuleRef, ...]]:
    # What the policies say too: where nothing enforces them every port is ALLOWED on the wire, yet
    # ports they block and ports they leave unknown are not one range.
    return verdict.status, verdict.policies_say, verdict.deciding_rules


def evaluate_ports(cluster: Cluster, source: End, destination: End,
                   protocols: tuple[Protocol, ...] = tuple(Protocol)) -> PortsVerdict:
    """Every port of `protocols`, as few explained pieces as the policies allow."""
    names: dict[tuple[Protocol, int], list[str]] = {}
    declared: set[tuple[Protocol, int]] = set()
    if destination.pod is not None:
        for cport in destination.pod.ports:
            declared.add((cport.protocol, cport.port))
            if cport.name:
                names.setdefault((cport.protocol, cport.port), []).append(cport.name)
    segments: list[PortSegment] = []
    for protocol in protocols:
        cuts = _cut_points(cluster, source, destination, protocol)
        for first, after in itertools.pairwise(cuts):
            own = (protocol, first) in declared  # declared ports are cut points: a piece of their own
            port_names = tuple(dict.fromkeys(names.get((protocol, first), ()))) if own else ()
            verdict = evaluate(cluster, source, destination, protocol, first, port_names[0] if port_names else None)
            previous = segments[-1] if segments else None
            if (previous is not None and not own and not previous.declared and previous.protocol is protocol
                    and _signature(previous.verdict) == _signature(verdict)):
                segments[-1] = PortSegment(protocol, previous.first, after - 1, previous.verdict)
            else:
                segments.append(PortSegment(protocol, first, after - 1, verdict, own, port_names))
    status, summary = _aggregate(source, destination, segments)
    return PortsVerdict(source.info(), destination.info(), protocols, status, summary, tuple(segments))


def _aggregate(source: End, destination: End, segments: list[PortSegment]) -> tuple[Status, str]:
    head = f"{source.name} -> {destination.name}"
    statuses = {s.status for s in segments}
    if statuses == {Status.ALLOWED}:
        return Status.ALLOWED, f"{head}: every port is ALLOWED"
    if Status.NOT_EVALUATED in statuses:
        return Status.NOT_EVALUATED, segments[0].verdict.summary
    allowed = [s.label() for s in segments if s.status is Status.ALLOWED]
    if Status.BLOCKED in statuses:
        if not allowed:
            return Status.BLOCKED, f"{head}: every port is BLOCKED"
        shown = ", ".join(allowed[:6]) + (" …" if len(allowed) > 6 else "")
        return Status.BLOCKED, f"{head}: only {shown} ALLOWED, every other port BLOCKED or unknown"
    return Status.UNKNOWN, f"{head}: no port is surely blocked, but some are UNKNOWN"
