"""What a user types as an end or a port, resolved against the loaded cluster: one grammar for the
command line and the explorer alike.

An end is a pod (`NAMESPACE/POD`, `pod/NAMESPACE/POD`, or a bare `POD` with a namespace to look in),
a Service (`svc/NAMESPACE/NAME`, `service/...`, its DNS names `NAME.NAMESPACE[.svc[.DOMAIN]]`, or one
of its ClusterIPs), or an address. An address that is a pod's IP stands for that pod, one that is a
ClusterIP for that Service; an address inside the cluster's pod or Service ranges that nothing owns
is not "the internet": the verdict says so and is unknown.
"""

from __future__ import annotations

import ipaddress

from kubenet_tui.engine.cluster import ClusterIndex
from kubenet_tui.engine.errors import DataMissing, InputError, PortError
from kubenet_tui.engine.explain import EndpointInfo
from kubenet_tui.engine.gaps import Resource
from kubenet_tui.engine.model import IPAddress, IPNetwork, Pod, Protocol, Service
from kubenet_tui.engine.records import record


@record
class End:
    """One end of a connection: a pod of the cluster, or an address outside it."""

    pod: Pod | None = None
    ip: IPAddress | None = None
    # An address inside the cluster's own ranges that no pod or Service that was read has: why it
    # cannot be treated as an outside address (the verdict is then unknown).
    unowned: str | None = None
    # A reserved identity of the network plugin (Cilium's `ingress`: its Envoy proxy), neither a pod
    # nor an address.
    identity: str | None = None

    @property
    def name(self) -> str:
        if self.identity is not None:
            return f"reserved:{self.identity}"
        if self.pod is not None:
            return self.pod.key
        return str(self.ip)

    def info(self) -> EndpointInfo:
        if self.identity is not None:
            return EndpointInfo("identity", self.name, ())
        if self.pod is not None:
            return EndpointInfo("pod", self.pod.key, tuple(str(ip) for ip in self.pod.ips))
        return EndpointInfo("ip", str(self.ip), (str(self.ip),))


@record
class ServiceTarget:
    """A Service as destination; `via` says how it was named when that was not svc/NS/NAME."""

    service: Service
    via: str = ""

    @property
    def name(self) -> str:
        return f"svc/{self.service.key}"


Target = End | ServiceTarget


# -- cluster address ranges ---------------------------------------------------------------------------


def cluster_range(index: ClusterIndex, ip: IPAddress) -> tuple[IPNetwork, str] | None:
    """The cluster range (pods or Services) that `ip` lies in, if any."""
    for net, what in index.address_ranges:
        if ip.version == net.version and ip in net:
            return net, what
    return None


# -- ends ------------------------------------------------------------------------------------------------

_SERVICE_HEADS = ("svc", "service", "services")


def _address(index: ClusterIndex, ip: IPAddress, role: str) -> Target:
    pod = index.pod_by_ip.get(ip)
    if pod is not None:
        return End(pod=pod)
    service = index.service_by_ip.get(ip)
    if service is not None:
        return ServiceTarget(service, f"ClusterIP {ip}")
    inside = None if ip in index.node_by_ip else cluster_range(index, ip)
    if inside is not None:
        net, what = inside
        hidden = sorted({g.namespace or "cluster-wide" for g in index.unreadable
                         if g.resource in (Resource.PODS, Resource.SERVICES) and g.hides_objects})
        more = f"; pods or Services in {', '.join(hidden)} could not be read" if hidden else ""
        return End(ip=ip, unowned=f"{ip} is inside {net} ({what}), but no pod or Service that was read has it: "
                                  f"it may be one that has gone or was not read{more}")
    return End(ip=ip)


def _pod(index: ClusterIndex, namespace: str, name: str) -> End:
    pod = index.pods_by_key.get(f"{namespace}/{name}")
    if pod is not None:
        return End(pod=pod)
    gap = index.unreadable_for(Resource.PODS, namespace)
    if gap is not None and gap.hides_objects:
        raise DataMissing(f"pod {namespace}/{name} is unknown: pods in namespace {namespace} could not be read "
                          f"({gap.reason})")
    known = [p.name for p in index.pods_by_namespace.get(namespace, ())]
    near = [n for n in known if name in n or n.startswith(name)][:5]
    hint = f" (did you mean {', '.join(f'{namespace}/{n}' for n in near)}?)" if near else ""
    if namespace not in index.namespaces:
        hint = f" (no namespace {namespace} was loaded)"
    raise InputError(f"pod {namespace}/{name} not found{hint}")


def _service(index: ClusterIndex, namespace: str, name: str, via: str = "") -> ServiceTarget:
    service = index.services_by_key.get(f"{namespace}/{name}")
    if service is not None:
        return ServiceTarget(service, via)
    gap = index.unreadable_for(Resource.SERVICES, namespace)
    if gap is not None and gap.hides_objects:
        raise DataMissing(f"service {namespace}/{name} is unknown: Services in namespace {namespace} could not be "
                          f"read ({gap.reason})")
    known = sorted(s.name for s in index.services if s.namespace == namespace)
    hint = f" (services there: {', '.join(known[:8])})" if known else ""
    raise InputError(f"service {namespace}/{name} not found{hint}")


def _dns_name(index: ClusterIndex, text: str) -> ServiceTarget | None:
    """`NAME.NAMESPACE`, `NAME.NAMESPACE.svc`, `NAME.NAMESPACE.svc.cluster.local` (any cluster domain)."""
    parts = text.rstrip(".").split(".")
    if len(parts) < 2 or (len(parts) > 2 and parts[2] != "svc"):
        return None
    name, namespace = parts[0], parts[1]
    service = index.services_by_key.get(f"{namespace}/{name}")
    return ServiceTarget(service, f"DNS name {text}") if service is not None else None


def _bare(index: ClusterIndex, name: str, namespace: str | None) -> Target:
    """A name alone: a pod of that name (in `namespace`, or the only one in the cluster), else a
    Service of that name there, else the only pod whose name is NAME-<suffix> (a Deployment's)."""
    scopes = [namespace] if namespace else sorted(index.pods_by_namespace)
    pods = [p for ns in scopes for p in index.pods_by_namespace.get(ns, ()) if p.name == name]
    if len(pods) == 1:
        return End(pod=pods[0])
    if len(pods) > 1:
        raise InputError(f"{name!r} names a pod in several namespaces ({', '.join(p.namespace for p in pods)}): "
                         "write NAMESPACE/POD or give the namespace")
    services = [s for s in index.services if s.name == name and (namespace is None or s.namespace == namespace)]
    if len(services) == 1:
        return ServiceTarget(services[0], f"the Service named {name}")
    prefixed = [p for ns in scopes for p in index.pods_by_namespace.get(ns, ()) if p.name.startswith(name + "-")]
    if len(prefixed) == 1:
        return End(pod=prefixed[0])
    where = f" in namespace {namespace}" if namespace else ""
    if prefixed:
        shown = ", ".join(p.key for p in prefixed[:6])
        raise InputError(f"{name!r} matches several pods{where}: {shown}{' …' if len(prefixed) > 6 else ''}")
    if namespace is None:
        raise InputError(f"no pod or Service named {name!r}: write NAMESPACE/POD, svc/NAMESPACE/NAME or an address")
    raise InputError(f"no pod or Service named {name!r} in namespace {namespace}")


def resolve_target(index: ClusterIndex, text: str, namespace: str | None = None, role: str = "destination") -> Target:
    """An end as typed (see the module doc); `namespace` is where a bare name is looked up."""
    text = text.strip()
    if not text:
        raise InputError(f"the {role} is empty: type NAMESPACE/POD, svc/NAMESPACE/NAME or an IP address")
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        return _address(index, ip, role)
    if "/" in text:
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError:
            pass
        else:
            raise InputError(f"{text} is a range of addresses: an end is one address (e.g. {net.network_address})")
    head, _, rest = text.partition("/")
    if head in _SERVICE_HEADS and rest:
        if rest.count("/") != 1 or not all(rest.split("/")):
            raise InputError(f"{text!r}: a Service is written svc/NAMESPACE/NAME")
        ns, name = rest.split("/")
        return _service(index, ns, name)
    if head in ("pod", "pods", "po") and rest.count("/") == 1:
        text = rest
    if "/" in text:
        if text.count("/") != 1 or not all(text.split("/")):
            raise InputError(f"{text!r} is neither NAMESPACE/POD, svc/NAMESPACE/NAME nor an IP address")
        ns, name = text.split("/")
        return _pod(index, ns, name)
    if "." in text:
        service = _dns_name(index, text)
        if service is not None:
            return service
    return _bare(index, text, namespace)


def named_namespace(text: str) -> str | None:
    """The namespace an end names by its syntax alone (before anything is loaded), if any: a live
    source reads it even outside its scope."""
    text = text.strip()
    head, _, rest = text.partition("/")
    if head in (*_SERVICE_HEADS, "pod", "pods", "po") and rest:
        text = rest
    if text.count("/") == 1 and all(text.split("/")):
        return text.split("/")[0]
    parts = text.split(".")
    if "/" not in text and len(parts) >= 2 and (len(parts) == 2 or parts[2] == "svc") and all(parts[:2]):
        try:
            ipaddress.ip_address(text)
        except ValueError:
            return parts[1]
    return None


def resolve_end(index: ClusterIndex, text: str, namespace: str | None = None) -> End:
    """A pod or an address (not a Service: use `resolve_target` where a Service may be meant)."""
    target = resolve_target(index, text, namespace)
    if isinstance(target, ServiceTarget):
        how = f" ({target.via})" if target.via else ""
        raise InputError(f"{text} is Service {target.service.key}{how}: ask about svc/{target.service.key}")
    return target


# -- ports -----------------------------------------------------------------------------------------------


@record
class PortSpec:
    """A port as typed: a number or a name (`text`), or None for "which ports?". `protocol` None:
    not given (TCP for a port; every protocol for "which ports?")."""

    text: str | None = None
    protocol: Protocol | None = None

    @property
    def proto(self) -> Protocol:
        return self.protocol or Protocol.TCP

    @property
    def protocols(self) -> tuple[Protocol, ...]:
        """The protocols a "which ports?" question covers."""
        return (self.protocol,) if self.protocol is not None else tuple(Protocol)

    @property
    def label(self) -> str:
        if self.text is None:
            return f"any {self.protocol.value} port" if self.protocol else "any port"
        return f"{self.text}/{self.proto.value}"


def parse_port(text: str | None, protocol: Protocol | None = None) -> PortSpec:
    """`6379`, `6379/udp`, `http`, `dns/udp`, `udp` (every UDP port), or empty (every port).
    `protocol` is a protocol given separately (the command line's --protocol); it must agree."""
    text = (text or "").strip()
    port, _, proto = text.partition("/")
    port, proto = port.strip(), proto.strip()
    if not proto and port.upper() in Protocol.__members__:
        port, proto = "", port
    try:
        written = Protocol.parse(proto) if proto else None
    except ValueError as exc:
        raise PortError(str(exc)) from None
    if written is not None and protocol is not None and written is not protocol:
        raise PortError(f"the port says {written.value} but the protocol given is {protocol.value}")
    chosen = written or protocol
    if port.lower() in ("", "any", "*"):
        return PortSpec(None, chosen)
    if port.isascii() and port.isdigit():
        number = int(port)
        if not 1 <= number <= 65535:
            raise PortError(f"port {number} is out of range (1-65535)")
        return PortSpec(str(number), chosen)
    if not all(c.isalnum() or c == "-" for c in port) or not port.isascii():
        raise PortError(f"{port!r} is neither a port number nor a port name")
    return PortSpec(port.lower(), chosen)


def resolve_port(port_text: str | None, protocol: Protocol, destination: End) -> tuple[int | None, str | None]:
    """(number, name): a number as given (with the destination's name for it, if any), or a named port
    of the destination pod resolved to its number. None: every port."""
    if port_text is None:
        return None, None
    port_text = port_text.strip()
    if not port_text:
        return None, None
    if port_text.isascii() and port_text.isdigit():
        number = int(port_text)
        if not 1 <= number <= 65535:
            raise PortError(f"port {number} is out of range (1-65535)")
        name = None
        if destination.pod is not None:
            name = next(
                (c.name for c in destination.pod.ports if c.port == number and c.protocol is protocol and c.name),
                None,
            )
        return number, name
    if destination.pod is None:
        raise PortError(f"named port {port_text!r} cannot be resolved on {destination.name}, which is not a pod")
    cport = destination.pod.named_port(port_text, protocol)
    if cport is None:
        names = sorted({f"{c.name}/{c.protocol.value}" for c in destination.pod.ports if c.name})
        known = f"; it has {', '.join(names)}" if names else "; it declares no named ports"
        raise PortError(f"pod {destination.name} has no {protocol.value} port named {port_text!r}{known}")
    return cport.port, port_text
