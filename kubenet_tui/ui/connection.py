"""The connection the user is asking about (source, destination, port) and its evaluation by the engine.

No Textual here: the explorer keeps a `Connection`, and `evaluate_connection` hands it to the engine
(pod and IP ends to `evaluate`, a Service destination to `evaluate_service`) and returns what to show.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, replace
from enum import StrEnum

from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.errors import InputError, PortError
from kubenet_tui.engine.evaluate import evaluate, resolve_end, resolve_port
from kubenet_tui.engine.explain import Status, Verdict
from kubenet_tui.engine.model import Protocol
from kubenet_tui.engine.services import ServiceVerdict, evaluate_service, resolve_service


class EndKind(StrEnum):
    POD = "pod"
    SERVICE = "service"
    IP = "ip"


@dataclass(frozen=True, slots=True)
class EndSpec:
    """One end as the user chose it: a pod or Service by `namespace/name`, or an address."""

    kind: EndKind
    ref: str  # "namespace/name" for pods and Services, the address for IPs

    @property
    def label(self) -> str:
        return f"svc/{self.ref}" if self.kind is EndKind.SERVICE else self.ref

    @classmethod
    def pod(cls, key: str) -> EndSpec:
        return cls(EndKind.POD, key)

    @classmethod
    def service(cls, key: str) -> EndSpec:
        return cls(EndKind.SERVICE, key)


def parse_end(text: str) -> EndSpec:
    """`NAMESPACE/POD`, `svc/NAMESPACE/NAME` (or `service/...`), or an IPv4/IPv6 address."""
    text = text.strip()
    if not text:
        raise InputError("type NAMESPACE/POD, svc/NAMESPACE/NAME or an IP address")
    try:
        return EndSpec(EndKind.IP, str(ipaddress.ip_address(text)))
    except ValueError:
        pass
    head, _, rest = text.partition("/")
    if head in ("svc", "service", "services") and rest:
        if rest.count("/") != 1 or not all(rest.split("/")):
            raise InputError(f"{text!r}: a Service is written svc/NAMESPACE/NAME")
        return EndSpec(EndKind.SERVICE, rest)
    if text.count("/") != 1 or not all(text.split("/")):
        raise InputError(f"{text!r} is neither NAMESPACE/POD, svc/NAMESPACE/NAME nor an IP address")
    return EndSpec(EndKind.POD, text)


@dataclass(frozen=True, slots=True)
class PortSpec:
    """`text` None: every port of the protocol. Otherwise a number or a port name, resolved by the engine."""

    text: str | None = None
    protocol: Protocol = Protocol.TCP

    @property
    def label(self) -> str:
        if self.text is None:
            return f"any {self.protocol.value} port"
        return f"{self.text}/{self.protocol.value}"


def parse_port(text: str) -> PortSpec:
    """`6379`, `6379/udp`, `http`, `dns/udp`, `udp` (every UDP port), or empty (every TCP port)."""
    text = text.strip()
    if not text or text.lower() in ("any", "*"):
        return PortSpec()
    port, _, proto = text.partition("/")
    port = port.strip()
    try:
        protocol = Protocol.parse(proto.strip()) if proto else Protocol.TCP
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if not proto and port.upper() in Protocol.__members__:
        return PortSpec(None, Protocol(port.upper()))
    if port.lower() in ("", "any", "*"):
        return PortSpec(None, protocol)
    if port.isdigit():
        number = int(port)
        if not 1 <= number <= 65535:
            raise InputError(f"port {number} is out of range (1-65535)")
        return PortSpec(str(number), protocol)
    if not all(c.isalnum() or c == "-" for c in port):
        raise InputError(f"{port!r} is neither a port number nor a port name")
    return PortSpec(port.lower(), protocol)


@dataclass(frozen=True, slots=True)
class Connection:
    source: EndSpec | None = None
    destination: EndSpec | None = None
    port: PortSpec = PortSpec()

    @property
    def complete(self) -> bool:
        return self.source is not None and self.destination is not None

    def swapped(self) -> Connection:
        return replace(self, source=self.destination, destination=self.source)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What the verdict panel shows: a pod/IP verdict, a Service verdict, or why there is none."""

    connection: Connection
    verdict: Verdict | None = None
    service_verdict: ServiceVerdict | None = None
    error: str | None = None
    elapsed_ms: float = 0.0

    @property
    def status(self) -> Status | None:
        if self.verdict is not None:
            return self.verdict.status
        if self.service_verdict is not None:
            return self.service_verdict.status
        return None


def evaluate_connection(cluster: Cluster, connection: Connection) -> Evaluation:
    """Ask the engine about a complete connection; input problems come back as `error`, never raised."""
    started = time.perf_counter()
    source, destination, port = connection.source, connection.destination, connection.port
    assert source is not None and destination is not None
    index = cluster.index
    try:
        if source.kind is EndKind.SERVICE:
            raise InputError(
                f"{source.label} cannot be a source: traffic comes from its pods; mark one of them with s"
            )
        source_end = resolve_end(index, source.ref)
        if destination.kind is EndKind.SERVICE:
            service = resolve_service(index, destination.label)
            result = evaluate_service(cluster, source_end, service, port.protocol, port.text)
            return Evaluation(connection, service_verdict=result, elapsed_ms=_ms(started))
        destination_end = resolve_end(index, destination.ref)
        number, name = resolve_port(port.text, port.protocol, destination_end)
        verdict = evaluate(cluster, source_end, destination_end, port.protocol, number, name)
    except InputError as exc:
        message = exc.worded("p →") if isinstance(exc, PortError) else str(exc)
        return Evaluation(connection, error=message, elapsed_ms=_ms(started))
    return Evaluation(connection, verdict=verdict, elapsed_ms=_ms(started))


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
