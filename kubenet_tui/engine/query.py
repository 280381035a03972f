"""The one entry point for a question as a person types it: source, destination, port. The command
line and the explorer both ask here, so they resolve ends and ports alike and get the same answers.

The answer is the verdict of a pod or address (`Verdict`), of a Service and its backends
(`ServiceVerdict`), or, with no port given, which ports are allowed (`PortsVerdict`). A source that is
a URL or an Ingress / Gateway / route (`https://HOST/PATH`, `ingress/NS/NAME`, `gateway/NS/NAME`,
`route/NS/NAME`) is the path from outside through the controller (`RouteVerdict`): the destination is
then optional (every backend the route leads to), and the route decides the port.
"""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING, TypeAlias

from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.ends import PortSpec, ServiceTarget, resolve_port, resolve_target
from kubenet_tui.engine.errors import InputError
from kubenet_tui.engine.evaluate import evaluate
from kubenet_tui.engine.explain import Verdict
from kubenet_tui.engine.outside_ends import is_outside_end
from kubenet_tui.engine.ports import PortsVerdict, evaluate_ports
from kubenet_tui.engine.records import record
from kubenet_tui.engine.services import ServiceVerdict, evaluate_service

if TYPE_CHECKING:
    from kubenet_tui.engine.outside import RouteVerdict

# A string: the route model is imported only when a question comes from outside.
Answer: TypeAlias = "Verdict | ServiceVerdict | PortsVerdict | RouteVerdict"


@record
class Question:
    source: str
    destination: str = ""  # may be left empty after a URL or an Ingress / Gateway / route source
    port: PortSpec = field(default_factory=PortSpec)
    namespace: str | None = None  # where a bare pod or Service name is looked up
    # Who carries requests from outside when the controller cannot be identified: NAMESPACE/SELECTOR.
    ingress_pods: str | None = None


def ask(cluster: Cluster, question: Question) -> Answer:
    """Resolve the ends and the port, and evaluate. Raises InputError (or DataMissing) when the
    question cannot be asked as given."""
    index = cluster.index
    if is_outside_end(question.source):
        from kubenet_tui.engine.controllers import parse_pods_override
        from kubenet_tui.engine.outside import evaluate_outside

        if question.port.text is not None:
            raise InputError(f"{question.source}: the route decides the port (its backend's Service port): leave the "
                             "port out")
        override = parse_pods_override(question.ingress_pods) if question.ingress_pods else None
        return evaluate_outside(cluster, question.source, question.destination.strip() or None, override,
                                question.namespace)
    if is_outside_end(question.destination):
        raise InputError(f"{question.destination} is where requests come in from outside: give it as the source")
    if not question.destination.strip():
        raise InputError("the destination is empty: type NAMESPACE/POD, svc/NAMESPACE/NAME or an IP address (it may be "
                         "left out only after a URL, ingress/NS/NAME, gateway/NS/NAME or route/NS/NAME)")
    source = resolve_target(index, question.source, question.namespace, "source")
    if isinstance(source, ServiceTarget):
        via = f" ({source.via})" if source.via else ""
        raise InputError(f"{question.source} is Service {source.service.key}{via}: a Service cannot be a source "
                         "(traffic comes from its pods; give one of them as NAMESPACE/POD)")
    destination = resolve_target(index, question.destination, question.namespace)
    port = question.port
    if isinstance(destination, ServiceTarget):
        return evaluate_service(cluster, source, destination.service, port.proto, port.text, destination.via)
    if port.text is None:
        # One pod to itself, or an end that carries no traffic (no IP yet, finished): no port differs.
        silent = any(end.pod is not None and not end.pod.carries_traffic for end in (source, destination))
        if silent or (source.pod is not None and source.pod is destination.pod):
            return evaluate(cluster, source, destination, port.proto, None)
        return evaluate_ports(cluster, source, destination, port.protocols)
    number, name = resolve_port(port.text, port.proto, destination)
    return evaluate(cluster, source, destination, port.proto, number, name)
