"""The connection the user is asking about (source, destination, port) and its evaluation by the engine.

No Textual here: the explorer keeps a `Connection`, and `evaluate_connection` asks the engine's one
entry point (`engine.query.ask`) with the same grammar as the command line: pods, Services by name,
DNS name or ClusterIP, bare names in the namespace in view, addresses, and "which ports?" when no
port is given.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import field, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from kubenet_tui.engine.cluster import Cluster, ClusterIndex
from kubenet_tui.engine.ends import End, PortSpec, ServiceTarget, parse_port, resolve_target
from kubenet_tui.engine.errors import InputError, PortError
from kubenet_tui.engine.explain import Status, Verdict
from kubenet_tui.engine.outside_ends import is_outside_end
from kubenet_tui.engine.query import Answer, Question, ask
from kubenet_tui.engine.records import record
from kubenet_tui.engine.services import ServiceVerdict

if TYPE_CHECKING:
    from kubenet_tui.ui.whatif.session import VerdictComparison

__all__ = ["Connection", "EndKind", "EndSpec", "Evaluation", "PortSpec", "evaluate_connection",
           "parse_end", "parse_port"]


class EndKind(StrEnum):
    POD = "pod"
    SERVICE = "service"
    IP = "ip"
    OUTSIDE = "outside"  # a URL, or an Ingress / Gateway / route: a request from outside (source only)


@record
class EndSpec:
    """One end as the user chose it: a pod or Service by `namespace/name`, or an address.

    `typed` keeps what was typed when it was another name for the end (a DNS name, a ClusterIP, a
    pod's IP, a bare name): the engine is asked with it, so the answer says how the end was named."""

    kind: EndKind
    ref: str  # "namespace/name" for pods and Services, the address for IPs, the URL or object as typed
    typed: str | None = None

    @property
    def label(self) -> str:
        return f"svc/{self.ref}" if self.kind is EndKind.SERVICE else self.ref

    @property
    def query(self) -> str:
        """What the engine is asked with."""
        return self.typed if self.typed is not None else self.label

    @classmethod
    def pod(cls, key: str) -> EndSpec:
        return cls(EndKind.POD, key)

    @classmethod
    def service(cls, key: str) -> EndSpec:
        return cls(EndKind.SERVICE, key)


def parse_end(text: str, index: ClusterIndex | None = None, namespace: str | None = None) -> EndSpec:
    """`NAMESPACE/POD`, `svc/NAMESPACE/NAME`, an IPv4/IPv6 address, and, with the loaded cluster's
    `index`, every other form the engine reads: `NAME.NAMESPACE[.svc...]`, a ClusterIP, a pod IP, or
    a bare name looked up in `namespace`."""
    text = text.strip()
    if not text:
        raise InputError("type NAMESPACE/POD, svc/NAMESPACE/NAME, NAME.NAMESPACE, a pod name or an IP address")
    if is_outside_end(text):
        return EndSpec(EndKind.OUTSIDE, text)
    if index is not None:
        return _classified(text, resolve_target(index, text, namespace))
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


def _classified(text: str, target: End | ServiceTarget) -> EndSpec:
    if isinstance(target, ServiceTarget):
        canonical = EndSpec.service(target.service.key)
    elif target.pod is not None:
        canonical = EndSpec.pod(target.pod.key)
    else:
        canonical = EndSpec(EndKind.IP, str(target.ip))
    return canonical if text == canonical.label else replace(canonical, typed=text)


@record
class Connection:
    source: EndSpec | None = None
    destination: EndSpec | None = None
    port: PortSpec = field(default_factory=PortSpec)

    @property
    def complete(self) -> bool:
        """Both ends set; from outside, the source alone (the route names the backends)."""
        if self.source is not None and self.source.kind is EndKind.OUTSIDE:
            return True
        return self.source is not None and self.destination is not None

    @property
    def from_outside(self) -> bool:
        return self.source is not None and self.source.kind is EndKind.OUTSIDE

    def swapped(self) -> Connection:
        return replace(self, source=self.destination, destination=self.source)


@record
class Evaluation:
    """What the verdict panel shows: the engine's answer (a pod or address verdict, a Service
    verdict, or which ports are allowed), or why there is none."""

    connection: Connection
    answer: Answer | None = None
    error: str | None = None
    elapsed_ms: float = 0.0
    # While a what-if overlay is active: the question asked now and with the change (`answer` is now's).
    comparison: VerdictComparison | None = None
    change_label: str = ""  # what the overlay is called ("fix.yaml")

    @property
    def status(self) -> Status | None:
        """With a what-if compared: the status with the change (what the user is weighing)."""
        if self.comparison is not None and self.comparison.head is not None:
            return self.comparison.head.status
        return self.answer.status if self.answer is not None else None

    @property
    def compared(self) -> bool:
        """Now and with the change differ: the panel shows both."""
        return self.comparison is not None and self.comparison.differs

    @property
    def verdict(self) -> Verdict | None:
        return self.answer if isinstance(self.answer, Verdict) else None

    @property
    def service_verdict(self) -> ServiceVerdict | None:
        return self.answer if isinstance(self.answer, ServiceVerdict) else None


def question_for(connection: Connection, namespace: str | None = None, ingress_pods: str | None = None) -> Question:
    """The engine's question for a complete connection (InputError when it cannot be asked as set)."""
    source, destination = connection.source, connection.destination
    assert source is not None
    if source.kind is EndKind.OUTSIDE:
        # The route decides the port; a destination narrows the answer to that backend.
        return Question(source.ref, destination.query if destination is not None else "", PortSpec(), namespace,
                        ingress_pods)
    assert destination is not None
    if source.kind is EndKind.SERVICE:
        raise InputError(f"{source.label} cannot be a source: traffic comes from its pods; mark one of them with s")
    return Question(source.query, destination.query, connection.port, namespace)


def evaluate_connection(cluster: Cluster, connection: Connection, namespace: str | None = None,
                        ingress_pods: str | None = None) -> Evaluation:
    """Ask the engine about a complete connection; input problems come back as `error`, never raised.
    `namespace`: where bare names are looked up (the namespace in view); `ingress_pods`: who carries
    requests from outside when the controller is not recognised (NAMESPACE/SELECTOR)."""
    started = time.perf_counter()
    try:
        answer = ask(cluster, question_for(connection, namespace, ingress_pods))
    except InputError as exc:
        message = exc.worded("p →") if isinstance(exc, PortError) else str(exc)
        return Evaluation(connection, error=message, elapsed_ms=_ms(started))
    return Evaluation(connection, answer=answer, elapsed_ms=_ms(started))


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
