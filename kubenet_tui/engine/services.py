"""A Service as destination: each ready backend on its resolved targetPort, then the aggregate.

Policies see traffic after kube-proxy's DNAT, so a Service verdict is the verdicts of its backend
pods on the Service port's targetPort (resolved per pod: named targetPorts may differ per backend).
"""

from __future__ import annotations

from kubenet_tui.engine.caveats import Caveat, CaveatCode
from kubenet_tui.engine.cluster import Cluster, ClusterIndex
from kubenet_tui.engine.ends import End, ServiceTarget, resolve_target
from kubenet_tui.engine.errors import InputError, PortError
from kubenet_tui.engine.evaluate import evaluate
from kubenet_tui.engine.explain import EndpointInfo, Status, Verdict
from kubenet_tui.engine.gaps import Resource
from kubenet_tui.engine.model import Pod, Protocol, Service, ServicePort
from kubenet_tui.engine.records import record
from kubenet_tui.engine.selectors import from_map, selector_matches


@record
class Backend:
    """One endpoint behind the Service and its verdict (None when it is not evaluated)."""

    name: str  # "namespace/pod", or an address for endpoints that are not pods
    port: int | None
    ready: bool
    verdict: Verdict | None
    note: str = ""  # why it is not evaluated (not ready, targetPort missing on the pod...)

    @property
    def allowed(self) -> bool | None:
        return None if self.verdict is None else self.verdict.allowed


@record
class ServiceVerdict:
    source: EndpointInfo
    service: str  # "namespace/name"
    service_port: ServicePort
    protocol: Protocol
    status: Status
    summary: str
    backends: tuple[Backend, ...]
    backends_from: str  # "EndpointSlices" or "selector"
    caveats: tuple[Caveat, ...] = ()
    via: str = ""  # how the Service was named, when not as svc/NS/NAME ("ClusterIP 10.96.0.10")

    @property
    def allowed(self) -> bool | None:
        return self.status.allowed

    @property
    def evaluated(self) -> tuple[Backend, ...]:
        return tuple(b for b in self.backends if b.verdict is not None)


def resolve_service(index: ClusterIndex, text: str) -> Service:
    """`svc/NAMESPACE/NAME` (also `service/...`, a ClusterIP, a DNS name) to the loaded Service."""
    target = resolve_target(index, text)
    if not isinstance(target, ServiceTarget):
        raise InputError(f"{text!r} is not a Service: a Service is written svc/NAMESPACE/NAME")
    return target.service


def _describe_ports(service: Service) -> str:
    parts = []
    for sp in service.ports:
        name = f" ({sp.name})" if sp.name else ""
        parts.append(f"{sp.port}/{sp.protocol.value}{name} -> targetPort {sp.target_port}")
    return ", ".join(parts) if parts else "no ports"


def _target_numbers(service_port: ServicePort, backends: tuple[Pod, ...]) -> set[int]:
    """Every number the Service port's targetPort resolves to on the given pods."""
    if isinstance(service_port.target_port, int):
        return {service_port.target_port}
    found = set()
    for pod in backends:
        cport = pod.named_port(service_port.target_port, service_port.protocol)
        if cport is not None:
            found.add(cport.port)
    return found


def select_service_port(
    service: Service, port_text: str | None, protocol: Protocol, backends: tuple[Pod, ...] = ()
) -> ServicePort:
    """The Service port the user means: a number or a port name; the only port when omitted.
    `backends` lets the error explain a targetPort given by mistake, also a named one."""
    candidates = [sp for sp in service.ports if sp.protocol is protocol]
    if not candidates:
        raise PortError(f"service {service.key} has no {protocol.value} ports ({_describe_ports(service)})")
    port_text = port_text.strip() if port_text is not None else None
    if port_text is None or port_text == "":
        if len(candidates) == 1:
            return candidates[0]
        raise PortError(
            f"service {service.key} has {len(candidates)} {protocol.value} ports ({_describe_ports(service)})",
            choose=True,
        )
    if port_text.isascii() and port_text.isdigit():
        number = int(port_text)
        for sp in candidates:
            if sp.port == number:
                return sp
        trap = next((sp for sp in candidates if number in _target_numbers(sp, backends)), None)
        if trap is not None:
            label = trap.name or str(trap.port)
            raise PortError(
                f"service {service.key} does not expose {number}/{protocol.value}: {number} is the targetPort of "
                f"Service port {trap.port} ({label}), and a Service is asked about on its own port",
                suggestion=str(trap.port),
            )
    else:
        for sp in candidates:
            if sp.name == port_text:
                return sp
    raise PortError(
        f"service {service.key} does not expose {port_text}/{protocol.value}; its ports: {_describe_ports(service)}. "
        "A Service is asked about on its own port (number or name), not the pod's targetPort"
    )


def _target_port(service_port: ServicePort, pod: Pod) -> tuple[int | None, str]:
    target = service_port.target_port
    if isinstance(target, int):
        return target, ""
    cport = pod.named_port(target, service_port.protocol)
    if cport is None:
        return None, (
            f"targetPort {target!r} is not a {service_port.protocol.value} container port of {pod.key}: "
            "kube-proxy sends this pod nothing on this port"
        )
    return cport.port, ""


def _backends_from_slices(
    index: ClusterIndex, service: Service, service_port: ServicePort
) -> list[tuple[str, Pod | None, End | None, int | None, bool, str]]:
    found: list[tuple[str, Pod | None, End | None, int | None, bool, str]] = []
    seen: set[str] = set()
    for eps in index.slices_by_service.get(service.key, ()):
        port = next(
            (p.port for p in eps.ports if p.name == service_port.name and p.protocol is service_port.protocol),
            None,
        )
        for endpoint in eps.endpoints:
            pod = index.pods_by_key.get(endpoint.target_pod) if endpoint.target_pod else None
            if pod is None and endpoint.addresses:
                pod = index.pod_by_ip.get(endpoint.addresses[0])
            name = pod.key if pod else (endpoint.target_pod or ", ".join(str(a) for a in endpoint.addresses))
            if name in seen:
                continue
            seen.add(name)
            end = End(pod=pod) if pod else (End(ip=endpoint.addresses[0]) if endpoint.addresses else None)
            note = ""
            if not endpoint.ready:
                note = "endpoint not ready: it receives no traffic through the Service"
            elif port is None:
                note = f"the EndpointSlice {eps.name} has no port named {service_port.name!r}"
            elif end is None:
                note = "endpoint has no address"
            found.append((name, pod, end, port, endpoint.ready, note))
    return found


def evaluate_service(
    cluster: Cluster,
    source: End,
    service: Service,
    protocol: Protocol = Protocol.TCP,
    port_text: str | None = None,
    via: str = "",
) -> ServiceVerdict:
    """Per-backend verdicts and their aggregate for `source` -> `service` on a Service port."""
    index = cluster.index
    selected: tuple[Pod, ...] = ()
    if service.selector is not None:
        selector = from_map(service.selector)
        selected = tuple(p for p in index.pods_by_namespace.get(service.namespace, ())
                         if selector_matches(selector, p.labels))
    service_port = select_service_port(service, port_text, protocol, selected)
    caveats: list[Caveat] = []
    backends: list[Backend] = []
    if index.slices_by_service.get(service.key):
        origin = "EndpointSlices"
        for name, pod, end, port, ready, note in _backends_from_slices(index, service, service_port):
            if not note and end is not None and end.pod is None and source.pod is None and source.identity is None:
                note = "both ends are outside the cluster: no pod policy applies to this backend"
            if note or end is None:
                backends.append(Backend(name, port, ready, None, note))
                continue
            port_name = None
            if pod is not None:
                port_name = next((c.name for c in pod.ports if c.port == port and c.protocol is protocol), None)
            backends.append(Backend(name, port, ready, evaluate(cluster, source, end, protocol, port, port_name)))
    else:
        origin = "selector"
        for pod in selected:
            if not pod.carries_traffic:
                backends.append(Backend(pod.key, None, False, None, f"pod is {pod.phase.value} with no traffic"))
                continue
            port, note = _target_port(service_port, pod)
            if port is None:
                backends.append(Backend(pod.key, None, True, None, note))
                continue
            target_name = service_port.target_port if isinstance(service_port.target_port, str) else None
            backends.append(
                Backend(pod.key, port, True, evaluate(cluster, source, End(pod=pod), protocol, port, target_name))
            )
    slices_gap = index.unreadable_for(Resource.ENDPOINT_SLICES, service.namespace)
    if slices_gap is not None and not index.slices_by_service.get(service.key):
        if service.selector is None:
            return ServiceVerdict(
                source.info(), service.key, service_port, protocol, Status.UNKNOWN,
                f"{source.name} -> svc/{service.key}: UNKNOWN, the Service has no selector and its EndpointSlices "
                f"could not be read ({slices_gap.reason})", (), "EndpointSlices", tuple(caveats),
            )
        caveats.append(Caveat(CaveatCode.ENDPOINTSLICES_UNREADABLE,
                              f"EndpointSlices of namespace {service.namespace} could not be read "
                              f"({slices_gap.reason}): backends are the pods matching the selector, readiness unknown"))
    if service.type in ("NodePort", "LoadBalancer"):
        local = service.external_traffic_policy == "Local"
        caveats.append(Caveat(
            CaveatCode.SERVICE_EXTERNAL_SOURCE,
            f"service {service.key} is a {service.type}: traffic entering through a node "
            + ("keeps its client IP (externalTrafficPolicy: Local)" if local else
               "may reach the pods with a node IP as source (SNAT), unless externalTrafficPolicy is Local"),
        ))
    if source.pod is None and source.identity is None and service.type == "ClusterIP":
        caveats.append(Caveat(CaveatCode.CLUSTER_IP_FROM_OUTSIDE,
                              f"service {service.key} is ClusterIP: outside clients normally cannot reach it at all"))
    status, summary = _aggregate(source, service, service_port, backends, origin)
    return ServiceVerdict(source.info(), service.key, service_port, protocol, status, summary,
                          tuple(backends), origin, tuple(caveats), via)


def _aggregate(
    source: End, service: Service, service_port: ServicePort, backends: list[Backend], origin: str
) -> tuple[Status, str]:
    head = f"{source.name} -> svc/{service.key} port {service_port.port}/{service_port.protocol.value}"
    evaluated = [b for b in backends if b.verdict is not None]
    if not evaluated:
        if not backends and service.selector is None and origin == "selector":
            return Status.UNKNOWN, (f"{head}: UNKNOWN, the Service has no selector and no EndpointSlices were "
                                    "loaded, so its backends are unknown")
        # Nothing would receive it: no policy is involved, and "blocked" would send the reader to them.
        if not backends and origin == "selector":
            selector = ",".join(f"{k}={v}" for k, v in sorted((service.selector or {}).items()))
            why = f"its selector {selector} matches no pod in namespace {service.namespace}"
        elif not backends:
            why = "its EndpointSlices list no endpoint"
        else:
            notes = sorted({b.note for b in backends if b.note})
            why = f"none of its {len(backends)} endpoints can receive it ({'; '.join(notes)})"
        return Status.NOT_EVALUATED, f"{head}: NO BACKEND carries this traffic: {why}"
    allowed = [b for b in evaluated if b.allowed is True]
    blocked = [b for b in evaluated if b.allowed is False]
    unknown = [b for b in evaluated if b.allowed is None]
    if len(allowed) == len(evaluated):
        return Status.ALLOWED, f"{head}: ALLOWED to all {len(evaluated)} ready backends"
    if blocked and allowed:
        names = ", ".join(b.name for b in blocked)
        return Status.BLOCKED, (f"{head}: SOME BACKENDS BLOCKED: allowed to {len(allowed)} of {len(evaluated)}, "
                                f"blocked to {names}")
    if blocked and len(blocked) == len(evaluated):
        return Status.BLOCKED, f"{head}: BLOCKED to all {len(evaluated)} ready backends"
    if blocked:
        return Status.BLOCKED, (f"{head}: BLOCKED to {len(blocked)} of {len(evaluated)} backends, "
                                f"unknown for {len(unknown)}")
    return Status.UNKNOWN, f"{head}: UNKNOWN for {len(unknown)} of {len(evaluated)} backends"
