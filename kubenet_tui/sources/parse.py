"""Kubernetes objects (decoded JSON/YAML) into the frozen model, with API defaulting and validation.

No I/O here: the file, demo and live sources all feed decoded objects through `ObjectCollector`.
An invalid object is reported (kind/namespace/name and the reason) and skipped; the rest loads.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from sys import intern
from typing import TYPE_CHECKING, Any

from kubenet_tui.engine.cluster import Cluster, NetworkPlugin
from kubenet_tui.engine.explain import Direction, Tier
from kubenet_tui.engine.gaps import GapKind, Resource, UnevaluatedPolicy, Unreadable
from kubenet_tui.engine.model import (
    NAMESPACE_NAME_LABEL,
    AdminPolicy,
    ContainerPort,
    Endpoint,
    EndpointPort,
    EndpointSlice,
    IPAddress,
    IPBlock,
    IPNetwork,
    Namespace,
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    NetworkPolicyRule,
    Node,
    Pod,
    PodPhase,
    PolicyType,
    Protocol,
    Service,
    ServicePort,
    frozen_labels,
)
from kubenet_tui.engine.records import record
from kubenet_tui.sources.kinds import (
    CILIUM_ONLY,
    Identity,
    Read,
    acting_directions,
    acting_tier,
    identify,
    is_cluster_scoped,
)
from kubenet_tui.sources.parse_admin import parse_admin_policy
from kubenet_tui.sources.shared import Shared
from kubenet_tui.sources.validate import (
    Invalid,
    Unsupported,
    int_or_name,
    is_port_name,
    labels_of,
    list_of,
    manifest_of,
    map_of,
    metadata_of,
    parse_cidr,
    parse_ip,
    parse_selector,
    port_name,
    port_number,
    protocol_of,
)

if TYPE_CHECKING:
    from kubenet_tui.engine.dialects.calico_model import (
        CalicoInvalid,
        CalicoPolicy,
        CalicoResources,
        CalicoTier,
        HostEndpoint,
        NetworkSet,
        ServiceAccount,
        StagedKubernetesPolicy,
    )
    from kubenet_tui.engine.dialects.cilium_model import CiliumCIDRGroup, CiliumPolicy
    from kubenet_tui.engine.route_model import RouteResources

# Cilium's, Calico's and the routes' models and parsers are imported with the first object of theirs:
# a cluster without any never loads them.

DUPLICATE = "loaded more than once: this copy replaces the earlier one"
_POLICY_SPEC_FIELDS = {"podSelector", "policyTypes", "ingress", "egress"}
# Node annotations that tell k3s and RKE2 apart (and how they were started).
DISTRIBUTION_PREFIXES = ("k3s.io/", "rke2.io/")
_RULE_FIELDS = {"ingress": {"from", "ports"}, "egress": {"to", "ports"}}
_PEER_FIELDS = {"podSelector", "namespaceSelector", "ipBlock"}
_PORT_FIELDS = {"protocol", "port", "endPort"}


@record
class Problem:
    severity: str  # "error": skipped, or could not be read; "warning": loaded, but look at it
    origin: str  # "file.yaml:12", "stdin:3", "api"
    message: str
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None

    def describe(self) -> str:
        what = ""
        if self.kind:
            ident = f"{self.namespace}/{self.name}" if self.namespace else (self.name or "?")
            what = f"{self.kind} {ident}: "
        where = f"{self.origin}: " if self.origin else ""
        return f"{where}{what}{self.message}"


# -- kinds --------------------------------------------------------------------------------------


def parse_namespace(obj: Mapping[str, Any]) -> Namespace:
    name, _, meta = metadata_of(obj, namespaced=False)
    labels = labels_of(meta.get("labels"), "metadata.labels")
    # The API server always (over)writes this label with the name, whatever the manifest says.
    labels[NAMESPACE_NAME_LABEL] = name
    return Namespace(name, frozen_labels(labels))


def parse_pod(obj: Mapping[str, Any], shared: Shared | None = None, string_keys: bool = False) -> Pod:
    """`string_keys`: every mapping in `obj` is known to have string keys (it was decoded from JSON),
    which lets the common shape of a pod take a quicker way to the same Pod."""
    shared = shared or Shared()
    if string_keys and type(obj) is dict:
        quick = _plain_pod(obj, shared)
        if quick is not None:
            return quick
    name, namespace, meta = metadata_of(obj, namespaced=True)
    spec = map_of(obj.get("spec"), "spec")
    status = map_of(obj.get("status"), "status")
    ports: list[ContainerPort] = []
    # Regular containers first, then sidecars (init containers that keep running), the order in which
    # Kubernetes resolves a port name; plain init containers have exited before traffic flows.
    for group in ("containers", "initContainers"):
        for ci, container in enumerate(list_of(spec.get(group), f"spec.{group}")):
            container = map_of(container, f"spec.{group}[{ci}]")
            if group == "initContainers" and container.get("restartPolicy") != "Always":
                continue
            for pi, raw in enumerate(list_of(container.get("ports"), f"spec.{group}[{ci}].ports")):
                where = f"spec.{group}[{ci}].ports[{pi}]"
                cport = map_of(raw, where)
                number = port_number(cport.get("containerPort"), f"{where}.containerPort")
                pname = cport.get("name")
                ports.append(
                    ContainerPort(
                        number,
                        protocol_of(cport.get("protocol"), where),
                        port_name(pname, f"{where}.name") if isinstance(pname, str) and pname else None,
                    )
                )
    ips = _pod_ips(status)
    phase_text = status.get("phase")
    try:
        phase = PodPhase(phase_text) if phase_text else (PodPhase.RUNNING if ips else PodPhase.PENDING)
    except ValueError:
        phase = PodPhase.UNKNOWN
    node = spec.get("nodeName")
    return Pod(
        shared.text(namespace),
        name,
        shared.labels(labels_of(meta.get("labels"), "metadata.labels")),
        ips,
        phase,
        bool(spec.get("hostNetwork", False)),
        shared.ports(tuple(ports)),
        shared.text(node) if isinstance(node, str) else None,
        shared.text(_service_account(spec)),
    )


def _pod_ips(status: Mapping[str, Any]) -> tuple[IPAddress, ...]:
    """status.podIPs in order, podIP first when it is not among them; unparseable addresses skipped."""
    ips: list[IPAddress] = []
    for entry in list_of(status.get("podIPs"), "status.podIPs"):
        ip = parse_ip(map_of(entry, "status.podIPs[]").get("ip"))
        if ip is not None and ip not in ips:
            ips.append(ip)
    primary = parse_ip(status.get("podIP"))
    if primary is not None and primary not in ips:
        ips.insert(0, primary)
    return tuple(ips)


_PHASES = {phase.value: phase for phase in PodPhase}
_PROTOCOL_NAMES = {protocol.value: protocol for protocol in Protocol}


def _plain_pod(obj: dict[str, Any], shared: Shared) -> Pod | None:
    """The Pod `parse_pod` makes, for a pod of the usual shape; None for anything else (a missing
    or odd field, a value to check or to report), which then goes the validating way. A load reads
    150,000 of these: checks by exact type, container ports resolved once per distinct list, and
    no error text is built unless there is an error."""
    meta = obj.get("metadata")
    if type(meta) is not dict:
        return None
    name = meta.get("name")
    namespace = meta.get("namespace")
    if type(name) is not str or not name or type(namespace) is not str or not namespace:
        return None
    spec = obj.get("spec", {})
    status = obj.get("status", {})
    if type(spec) is not dict or type(status) is not dict:
        return None
    labels = meta.get("labels")
    if labels is None:
        labels = {}
    elif type(labels) is not dict or "" in labels:
        return None
    for value in labels.values():
        if type(value) is not str:
            return None
    raw_ports: list[tuple[int, str | None, str | None]] = []
    for group in ("containers", "initContainers"):
        containers = spec.get(group)
        if containers is None:
            continue
        if type(containers) is not list:
            return None
        for container in containers:
            if type(container) is not dict:
                return None
            if group == "initContainers" and container.get("restartPolicy") != "Always":
                continue
            cports = container.get("ports")
            if cports is None:
                continue
            if type(cports) is not list:
                return None
            for cport in cports:
                if type(cport) is not dict:
                    return None
                number, protocol, pname = cport.get("containerPort"), cport.get("protocol"), cport.get("name")
                # Exact types, so that a cached answer never stands for a value that differs only in type
                # (True == 1, 80.0 == 80).
                if (type(number) is not int or (protocol is not None and type(protocol) is not str)
                        or (pname is not None and type(pname) is not str)):
                    return None
                raw_ports.append((number, protocol, pname))
    key = tuple(raw_ports)
    ports = shared.raw_ports.get(key)
    if ports is None:
        resolved = []
        for number, protocol, pname in key:
            found = Protocol.TCP if protocol is None else _PROTOCOL_NAMES.get(protocol)
            if not 1 <= number <= 65535 or found is None or (pname and not is_port_name(pname)):
                return None
            resolved.append(ContainerPort(number, found, pname or None))
        ports = shared.raw_ports[key] = shared.ports(tuple(resolved))
    pod_ip = status.get("podIP")
    entries = status.get("podIPs")
    if (type(entries) is list and len(entries) == 1 and type(entries[0]) is dict
            and type(pod_ip) is str and entries[0].get("ip") == pod_ip):
        ip = parse_ip(pod_ip)  # the usual single-stack pod: one address, given twice
        ips: tuple[IPAddress, ...] = () if ip is None else (ip,)
    else:
        try:
            ips = _pod_ips(status)
        except Invalid:
            return None
    phase_text = status.get("phase")
    if not phase_text:
        phase = PodPhase.RUNNING if ips else PodPhase.PENDING
    elif type(phase_text) is str:
        phase = _PHASES.get(phase_text, PodPhase.UNKNOWN)
    else:
        return None
    node = spec.get("nodeName")
    return Pod(
        intern(namespace),
        name,
        shared.labels(labels),
        ips,
        phase,
        bool(spec.get("hostNetwork", False)),
        ports,
        intern(node) if type(node) is str else None,
        intern(_service_account(spec)),
    )


def _service_account(spec: Mapping[str, Any]) -> str:
    # serviceAccount is the deprecated spelling; the API fills both, "default" when neither is set.
    for key in ("serviceAccountName", "serviceAccount"):
        value = spec.get(key)
        if isinstance(value, str) and value:
            return value
    return "default"


def parse_service(obj: Mapping[str, Any]) -> Service:
    name, namespace, _ = metadata_of(obj, namespaced=True)
    spec = map_of(obj.get("spec"), "spec")
    raw_selector = spec.get("selector")
    selector = frozen_labels(labels_of(raw_selector, "spec.selector")) if raw_selector else None
    ports = []
    for i, raw in enumerate(list_of(spec.get("ports"), "spec.ports")):
        where = f"spec.ports[{i}]"
        sport = map_of(raw, where)
        number = port_number(sport.get("port"), f"{where}.port")
        target = sport.get("targetPort")
        pname = sport.get("name")
        node_port = sport.get("nodePort")
        ports.append(
            ServicePort(
                number,
                number if target is None else int_or_name(target, f"{where}.targetPort"),
                protocol_of(sport.get("protocol"), where),
                pname if isinstance(pname, str) and pname else None,
                node_port if isinstance(node_port, int) and not isinstance(node_port, bool) else None,
            )
        )
    cluster_ips = [parse_ip(ip) for ip in list_of(spec.get("clusterIPs"), "spec.clusterIPs")]
    if not cluster_ips:
        cluster_ips = [parse_ip(spec.get("clusterIP"))]
    etp = spec.get("externalTrafficPolicy")
    ranges = tuple(str(r) for r in list_of(spec.get("loadBalancerSourceRanges"), "spec.loadBalancerSourceRanges")
                   if isinstance(r, str) and r)
    return Service(
        namespace,
        name,
        selector,
        tuple(ports),
        str(spec.get("type") or "ClusterIP"),
        tuple(ip for ip in cluster_ips if ip is not None),
        etp if isinstance(etp, str) else None,
        ranges,
    )


def parse_endpoint_slice(obj: Mapping[str, Any]) -> EndpointSlice:
    name, namespace, meta = metadata_of(obj, namespaced=True)
    labels = labels_of(meta.get("labels"), "metadata.labels")
    endpoints = []
    for i, raw in enumerate(list_of(obj.get("endpoints"), "endpoints")):
        ep = map_of(raw, f"endpoints[{i}]")
        conditions = map_of(ep.get("conditions"), f"endpoints[{i}].conditions")
        ready = conditions.get("ready")
        target = map_of(ep.get("targetRef"), f"endpoints[{i}].targetRef")
        target_pod = None
        if target.get("kind") == "Pod" and target.get("name"):
            target_pod = f"{target.get('namespace') or namespace}/{target['name']}"
        addresses = tuple(ip for ip in (parse_ip(a) for a in list_of(ep.get("addresses"), "addresses")) if ip)
        endpoints.append(Endpoint(addresses, ready is not False, target_pod))
    ports = []
    for i, raw in enumerate(list_of(obj.get("ports"), "ports")):
        eport = map_of(raw, f"ports[{i}]")
        if eport.get("port") is None:
            continue
        pname = eport.get("name")
        ports.append(
            EndpointPort(
                port_number(eport.get("port"), f"ports[{i}].port"),
                protocol_of(eport.get("protocol"), f"ports[{i}]"),
                pname if isinstance(pname, str) and pname else None,
            )
        )
    return EndpointSlice(namespace, name, labels.get("kubernetes.io/service-name"), tuple(endpoints), tuple(ports))


def parse_node(obj: Mapping[str, Any]) -> Node:
    name, _, meta = metadata_of(obj, namespaced=False)
    status = map_of(obj.get("status"), "status")
    spec = map_of(obj.get("spec"), "spec")
    addresses = []
    for entry in list_of(status.get("addresses"), "status.addresses"):
        entry = map_of(entry, "status.addresses[]")
        if entry.get("type") in ("InternalIP", "ExternalIP"):
            ip = parse_ip(entry.get("address"))
            if ip is not None:
                addresses.append(ip)
    cidrs = list_of(spec.get("podCIDRs"), "spec.podCIDRs") or ([spec["podCIDR"]] if spec.get("podCIDR") else [])
    pod_cidrs = tuple(parse_cidr(c, f"spec.podCIDRs[{i}]") for i, c in enumerate(cidrs))
    annotations = meta.get("annotations")
    distribution = {str(k): str(v) for k, v in annotations.items() if str(k).startswith(DISTRIBUTION_PREFIXES)} \
        if isinstance(annotations, Mapping) else {}
    version = map_of(status.get("nodeInfo"), "status.nodeInfo").get("kubeletVersion")
    return Node(name, frozen_labels(labels_of(meta.get("labels"), "metadata.labels")), tuple(addresses), pod_cidrs,
                frozen_labels(distribution), version if isinstance(version, str) else "")


def parse_service_cidr(obj: Mapping[str, Any]) -> tuple[IPNetwork, ...]:
    spec = map_of(obj.get("spec"), "spec")
    return tuple(parse_cidr(c, f"spec.cidrs[{i}]") for i, c in enumerate(list_of(spec.get("cidrs"), "spec.cidrs")))


def parse_snapshot_info(obj: Mapping[str, Any]) -> tuple[list[Unreadable], list[str]]:
    """What a snapshot recorded as not read (and its notices), so a replay is unknown where live was."""
    gaps = []
    for i, raw in enumerate(list_of(obj.get("unreadable"), "unreadable")):
        entry = map_of(raw, f"unreadable[{i}]")
        try:
            gaps.append(Unreadable(Resource(str(entry.get("resource"))), entry.get("namespace") or None,
                                   str(entry.get("reason") or "not read"), GapKind(str(entry.get("kind") or "forbidden"))))
        except ValueError as exc:
            raise Invalid(f"unreadable[{i}]: {exc}") from None
    notices = [str(n) for n in list_of(obj.get("notices"), "notices")]
    return gaps, notices


def _unknown_rule_fields(rule: Mapping[str, Any], where: str, peer_key: str) -> list[str]:
    """Paths of the fields of a rule, its peers and its ports that this engine does not know."""
    found = [f"{where}.{k}" for k in sorted(set(rule) - {peer_key, "ports"})]
    for key, known in ((peer_key, _PEER_FIELDS), ("ports", _PORT_FIELDS)):
        for j, item in enumerate(list_of(rule.get(key), f"{where}.{key}")):
            if isinstance(item, Mapping):
                found.extend(f"{where}.{key}[{j}].{k}" for k in sorted(map(str, set(item) - known)))
    return found


def _parse_peer(raw: Any, where: str) -> NetworkPolicyPeer:
    peer = map_of(raw, where)
    has_ip = peer.get("ipBlock") is not None
    has_sel = peer.get("podSelector") is not None or peer.get("namespaceSelector") is not None
    if has_ip and has_sel:
        raise Invalid(f"{where}: ipBlock cannot be combined with podSelector/namespaceSelector")
    if not has_ip and not has_sel:
        raise Invalid(f"{where}: a peer needs podSelector, namespaceSelector or ipBlock")
    if has_ip:
        block = map_of(peer["ipBlock"], f"{where}.ipBlock")
        cidr = parse_cidr(block.get("cidr"), f"{where}.ipBlock.cidr")
        excepts = []
        for j, raw_except in enumerate(list_of(block.get("except"), f"{where}.ipBlock.except")):
            hole = parse_cidr(raw_except, f"{where}.ipBlock.except[{j}]")
            if hole.version != cidr.version or not hole.subnet_of(cidr):  # type: ignore[arg-type]
                raise Invalid(f"{where}.ipBlock.except[{j}] {hole} is not inside cidr {cidr}")
            if hole == cidr:
                raise Invalid(f"{where}.ipBlock.except[{j}] {hole} must be strictly inside cidr {cidr}")
            excepts.append(hole)
        return NetworkPolicyPeer(ip_block=IPBlock(cidr, tuple(excepts)))
    return NetworkPolicyPeer(
        pod_selector=parse_selector(peer["podSelector"], f"{where}.podSelector")
        if peer.get("podSelector") is not None
        else None,
        namespace_selector=parse_selector(peer["namespaceSelector"], f"{where}.namespaceSelector")
        if peer.get("namespaceSelector") is not None
        else None,
    )


def _parse_policy_port(raw: Any, where: str) -> NetworkPolicyPort:
    port = map_of(raw, where)
    protocol = protocol_of(port.get("protocol"), where)
    value = port.get("port")
    number: int | str | None = None if value is None else int_or_name(value, f"{where}.port")
    end = port.get("endPort")
    if end is not None:
        if not isinstance(number, int):
            raise Invalid(f"{where}: endPort needs a numeric port (named ports cannot have a range)")
        end = port_number(end, f"{where}.endPort")
        if end < number:
            raise Invalid(f"{where}: endPort {end} is below port {number}")
    return NetworkPolicyPort(protocol, number, end)


def parse_network_policy(obj: Mapping[str, Any], warn: list[str], origin: str = "") -> NetworkPolicy:
    name, namespace, _ = metadata_of(obj, namespaced=True)
    spec = map_of(obj.get("spec"), "spec")
    for extra in sorted(set(spec) - _POLICY_SPEC_FIELDS):
        hint = next((f for f in _POLICY_SPEC_FIELDS if f.lower().startswith(extra.lower()[:4])), None)
        warn.append(
            f"unknown field spec.{extra} ignored" + (f" (did you mean {hint}?)" if hint else "")
        )
    selector = parse_selector(spec.get("podSelector"), "spec.podSelector")
    raw_types = list_of(spec.get("policyTypes"), "spec.policyTypes")
    if len(raw_types) > 2:
        raise Invalid("spec.policyTypes may not list more than two types")
    types: set[PolicyType] = set()
    for value in raw_types:
        try:
            types.add(PolicyType(value))
        except ValueError:
            raise Invalid(f"spec.policyTypes: unknown type {value!r} (Ingress or Egress)") from None
    rules: dict[str, tuple[NetworkPolicyRule, ...]] = {}
    for direction, peer_key in (("ingress", "from"), ("egress", "to")):
        parsed = []
        for i, raw in enumerate(list_of(spec.get(direction), f"spec.{direction}")):
            where = f"spec.{direction}[{i}]"
            rule = map_of(raw, where)
            strange = _unknown_rule_fields(rule, where, peer_key)
            if strange:
                warn.append(f"{where}: unknown field(s) {', '.join(strange)}: this rule is read as matching nothing "
                            "(fail closed); the policy still isolates the pods it selects")
                parsed.append(NetworkPolicyRule(unknown=", ".join(strange)))
                continue
            peers = tuple(
                _parse_peer(p, f"{where}.{peer_key}[{j}]") for j, p in enumerate(list_of(rule.get(peer_key), f"{where}.{peer_key}"))
            )
            ports = tuple(
                _parse_policy_port(p, f"{where}.ports[{j}]") for j, p in enumerate(list_of(rule.get("ports"), f"{where}.ports"))
            )
            parsed.append(NetworkPolicyRule(peers, ports))
        rules[direction] = tuple(parsed)
    defaulted = not types
    if defaulted:
        # API defaulting: Ingress always; Egress when there is at least one egress rule.
        types = {PolicyType.INGRESS}
        if rules["egress"]:
            types.add(PolicyType.EGRESS)
    for direction, ptype in (("ingress", PolicyType.INGRESS), ("egress", PolicyType.EGRESS)):
        if rules[direction] and ptype not in types:
            warn.append(f"spec.{direction} has rules but policyTypes omits {ptype.value}: they are ignored")
    return NetworkPolicy(
        namespace,
        name,
        selector,
        frozenset(types),
        rules["ingress"],
        rules["egress"],
        manifest_of(obj),
        origin,
        defaulted,
    )


# -- collecting a whole load ---------------------------------------------------------------------

@dataclass
class ObjectCollector:
    """Accumulates objects from any number of documents into one Cluster, with every problem."""

    namespaces: dict[str, Namespace] = field(default_factory=dict)
    pods: dict[str, Pod] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    endpoint_slices: dict[str, EndpointSlice] = field(default_factory=dict)
    network_policies: dict[str, NetworkPolicy] = field(default_factory=dict)
    admin_policies: dict[str, AdminPolicy] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)
    service_cidrs: dict[str, tuple[IPNetwork, ...]] = field(default_factory=dict)
    unevaluated: dict[str, UnevaluatedPolicy] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    ignored_kinds: Counter[str] = field(default_factory=Counter)
    unreadable: list[Unreadable] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    plugin: NetworkPlugin | None = None
    cilium_policies: dict[str, CiliumPolicy] = field(default_factory=dict)
    cilium_cidr_groups: dict[str, CiliumCIDRGroup] = field(default_factory=dict)
    shared: Shared = field(default_factory=Shared, repr=False)
    # Calico's resources, and the ServiceAccounts whose labels its selectors read.
    calico_tiers: dict[str, CalicoTier] = field(default_factory=dict)
    calico_policies: dict[str, CalicoPolicy] = field(default_factory=dict)
    calico_staged: dict[str, CalicoPolicy] = field(default_factory=dict)
    calico_staged_kubernetes: dict[str, StagedKubernetesPolicy] = field(default_factory=dict)
    calico_sets: dict[str, NetworkSet] = field(default_factory=dict)
    calico_host_endpoints: dict[str, HostEndpoint] = field(default_factory=dict)
    calico_invalid: dict[str, CalicoInvalid] = field(default_factory=dict)
    service_accounts: dict[str, ServiceAccount] = field(default_factory=dict)
    # Ingress, IngressClass and the Gateway API's objects, by "Kind/namespace/name".
    routing: dict[str, Any] = field(default_factory=dict)

    @property
    def loaded(self) -> int:
        return sum(
            len(d)
            for d in (self.namespaces, self.pods, self.services, self.endpoint_slices,
                      self.network_policies, self.admin_policies, self.nodes, self.cilium_policies,
                      self.calico_tiers, self.calico_policies, self.calico_staged, self.calico_staged_kubernetes,
                      self.calico_sets, self.calico_host_endpoints, self.routing)
        )

    def add_many(self, objects: Iterable[Any], origin: str) -> None:
        for obj in objects:
            self.add(obj, origin)

    def add(
        self, obj: Any, origin: str, item_origins: list[str] | None = None, _nested: bool = False,
        consume: bool = False, string_keys: bool = False,
    ) -> None:
        """One decoded document: a single object or a `kind: List` (also `*List` kinds).
        `item_origins` locate the items of a list more precisely than the list's own origin.
        `consume`: the caller hands the decoded data over; each list item is released once parsed,
        so the raw objects and the model never both exist in full (peak memory at 50k pods).
        `string_keys`: it was decoded from JSON, whose mappings only have string keys."""
        if obj is None:
            return
        if type(obj) is not dict and not isinstance(obj, Mapping):
            self.problems.append(Problem("error", origin, f"expected a Kubernetes object (a mapping), got {type(obj).__name__}"))
            return
        kind = obj.get("kind")
        if isinstance(kind, str) and kind.endswith("List") and isinstance(obj.get("items"), list):
            if _nested:
                self.problems.append(Problem("error", origin, f"a {kind} inside a List is not a Kubernetes object"))
                return
            items = obj["items"]
            for i, item in enumerate(items):
                if consume:
                    items[i] = None
                if item_origins and i < len(item_origins):
                    self.add_list_item(item, item_origins[i], kind, string_keys)
                else:
                    self.add_list_item(item, f"{origin} items[{i}]" if origin else f"items[{i}]", kind, string_keys)
            return
        self._add_object(obj, origin, string_keys)

    def add_list_item(self, item: Any, origin: str, list_kind: str | None, string_keys: bool = False) -> None:
        """One element of a `kind: List` (or `PodList`...): items of a typed list may leave out their kind."""
        if type(item) is dict:  # the usual item, straight to its parser (a load has 150,000 of them)
            kind = item.get("kind")
            if kind == "Pod" and string_keys and item.get("apiVersion") == "v1":
                pod = _plain_pod(item, self.shared)
                if pod is not None:  # anything to check or report goes the whole way below
                    key = pod.key
                    if key in self.pods:
                        self.problems.append(Problem("warning", origin, DUPLICATE, "Pod", pod.namespace, pod.name))
                    self.pods[key] = pod
                    return
            if type(kind) is str and kind and not kind.endswith("List"):
                self._add_object(item, origin, string_keys)
                return
        item_kind = list_kind[: -len("List")] if list_kind and list_kind != "List" else None
        if item_kind and isinstance(item, Mapping) and "kind" not in item:
            item = {**item, "kind": item_kind}
        self.add(item, origin, None, True, string_keys=string_keys)

    def _add_object(self, obj: Mapping[str, Any], origin: str, string_keys: bool = False) -> None:
        kind = obj.get("kind")
        raw_meta = obj.get("metadata")
        meta = raw_meta if type(raw_meta) is dict or isinstance(raw_meta, Mapping) else {}
        name = meta.get("name")
        namespace = meta.get("namespace")
        if not isinstance(kind, str) or not kind:
            self.problems.append(Problem("error", origin, "object has no kind", None, namespace, name))
            return
        identity = identify(kind, obj.get("apiVersion"))
        warnings: list[str] = []
        try:
            read = identity.read
            if read is Read.NAMESPACE:
                ns = parse_namespace(obj)
                self._keep(self.namespaces, ns.name, ns, warnings)
            elif read is Read.POD:
                pod = parse_pod(obj, self.shared, string_keys)
                self._keep(self.pods, pod.key, pod, warnings)
            elif read is Read.SERVICE:
                svc = parse_service(obj)
                self._keep(self.services, svc.key, svc, warnings)
            elif read is Read.ENDPOINT_SLICE:
                eps = parse_endpoint_slice(obj)
                self._keep(self.endpoint_slices, f"{eps.namespace}/{eps.name}", eps, warnings)
            elif read is Read.NETWORK_POLICY:
                policy = parse_network_policy(obj, warnings, origin)
                self._keep(self.network_policies, policy.key, policy, warnings)
            elif read is Read.NODE:
                node = parse_node(obj)
                self._keep(self.nodes, node.name, node, warnings)
            elif read is Read.SERVICE_CIDR:
                self._keep(self.service_cidrs, str(name), parse_service_cidr(obj), warnings)
            elif read is Read.ADMIN_POLICY:
                admin = parse_admin_policy(obj, warnings, origin)
                self._keep(self.admin_policies, f"{admin.kind}/{admin.name}", admin, warnings)
            elif read is Read.CILIUM_POLICY:
                from kubenet_tui.sources.parse_cilium import parse_cilium_policy

                cilium = parse_cilium_policy(obj, warnings, origin)
                self._keep(self.cilium_policies, f"{cilium.kind}/{cilium.key}", cilium, warnings)
            elif read is Read.CILIUM_CIDR_GROUP:
                from kubenet_tui.sources.parse_cilium import parse_cidr_group

                group = parse_cidr_group(obj)
                self._keep(self.cilium_cidr_groups, group.name, group, warnings)
            elif read is Read.CALICO:
                self._calico(obj, identity, origin, warnings)
            elif read is Read.SERVICE_ACCOUNT:
                from kubenet_tui.sources.parse_calico import parse_service_account

                account = parse_service_account(obj)
                self._keep(self.service_accounts, f"{account.namespace}/{account.name}", account, warnings)
            elif read is Read.ROUTING:
                routed = _routing(obj, identity, warnings, origin)
                self._keep(self.routing, _routing_key(identity.kind, routed), routed, warnings)
            elif read is Read.SNAPSHOT_INFO:
                gaps, notices = parse_snapshot_info(obj)
                self.unreadable.extend(gaps)
                self.notices.extend(notices)
            elif read is Read.UNEVALUATED_POLICY:
                self._unevaluated(obj, identity, identity.reason, origin, warnings)
                self.ignored_kinds[kind] += 1
            else:
                # Counted, not kept: Secrets and every other kind the engine does not need.
                self.ignored_kinds[kind] += 1
                return
        except Unsupported as exc:
            # Valid, but not evaluated here: listed, and the verdicts it could touch are unknown.
            warnings = []
            self._unevaluated(obj, identity, str(exc), origin, warnings)
        except Invalid as exc:
            self.problems.append(
                Problem("error", origin, f"invalid, skipped: {exc}", kind,
                        str(namespace) if namespace else None, str(name) if name else None)
            )
            if identity.read in (Read.NETWORK_POLICY, Read.ADMIN_POLICY, Read.CILIUM_POLICY):
                # Skipped, yet it exists in the cluster (or will): what it would decide is unknown.
                self._unevaluated(obj, identity, f"invalid: {exc}", origin, [])
            elif identity.read is Read.CALICO:
                from kubenet_tui.sources.parse_calico import what_is_left

                left = what_is_left(obj, identity.kind, f"invalid: {exc}")
                self.calico_invalid[f"{identity.kind}/{left.key}"] = left
            return
        for message in warnings:
            self.problems.append(
                Problem("warning", origin, message, kind, str(namespace) if namespace else None, str(name) if name else None)
            )

    def _calico(self, obj: Mapping[str, Any], identity: Identity, origin: str, warnings: list[str]) -> None:
        from kubenet_tui.sources.parse_calico import (
            POLICY_KINDS,
            parse_host_endpoint,
            parse_network_set,
            parse_policy,
            parse_staged_kubernetes,
            parse_tier,
            what_is_left,
        )

        kind = identity.kind
        if identity.reason:  # a version this tool does not read: what it could touch is unknown
            left = what_is_left(obj, kind, identity.reason)
            self.calico_invalid[f"{kind}/{left.key}"] = left
            warnings.append(f"not read ({identity.reason}): verdicts it could decide are unknown")
            return
        if kind == "Tier":
            tier = parse_tier(obj)
            self._keep(self.calico_tiers, tier.name, tier, warnings)
        elif kind in POLICY_KINDS:
            policy = parse_policy(obj, kind, identity.api_version, warnings, origin)
            store = self.calico_staged if policy.kind.staged else self.calico_policies
            self._keep(store, f"{kind}/{policy.key}", policy, warnings)
        elif kind == "StagedKubernetesNetworkPolicy":
            staged = parse_staged_kubernetes(obj, warnings, origin)
            self._keep(self.calico_staged_kubernetes, staged.policy.key, staged, warnings)
        elif kind in ("NetworkSet", "GlobalNetworkSet"):
            net_set = parse_network_set(obj, kind)
            self._keep(self.calico_sets, f"{kind}/{net_set.key}", net_set, warnings)
        elif kind == "HostEndpoint":
            host = parse_host_endpoint(obj)
            self._keep(self.calico_host_endpoints, host.name, host, warnings)

    def _unevaluated(self, obj: Mapping[str, Any], identity: Identity, reason: str, origin: str,
                     warnings: list[str]) -> None:
        raw_meta = obj.get("metadata")
        meta: Mapping[str, Any] = raw_meta if isinstance(raw_meta, Mapping) else {}
        name = str(meta.get("name") or "(no name)")
        namespace = None
        if not is_cluster_scoped(identity):
            raw_namespace = meta.get("namespace")
            namespace = raw_namespace if isinstance(raw_namespace, str) and raw_namespace else "default"
        spec = obj.get("spec")
        tier = acting_tier(identity, spec.get("tier") if isinstance(spec, Mapping) else None)
        # Cilium objects: `spec` and `specs` both hold rules.
        directions = acting_directions(identity, obj if identity.group == "cilium.io" else spec)
        policy = UnevaluatedPolicy(identity.kind, identity.api_version, namespace, name, reason, tier, directions,
                                   allows_only=tier is Tier.NETWORK_POLICY)
        self.unevaluated[f"{identity.group}/{identity.kind}/{policy.key}"] = policy
        warnings.append(f"not evaluated ({reason}): verdicts it could decide are unknown")

    @staticmethod
    def _keep(store: dict[str, Any], key: str, obj: Any, warnings: list[str]) -> None:
        """Later objects replace earlier ones with the same identity, as `kubectl apply` would; say so."""
        if key in store:
            warnings.append(DUPLICATE)
        store[key] = obj

    @property
    def calico_policies_read(self) -> bool:
        """Whether Calico's own policies (or tiers) are among what was read: Calico is there."""
        return bool(self.calico_policies or self.calico_tiers or self.calico_staged)

    def _calico_resources(self) -> CalicoResources | None:
        if not (self.calico_tiers or self.calico_policies or self.calico_staged or self.calico_staged_kubernetes
                or self.calico_sets or self.calico_host_endpoints or self.service_accounts or self.calico_invalid):
            return None
        from kubenet_tui.engine.dialects.calico_model import CalicoResources

        def by_key(d: Mapping[str, Any]) -> tuple[Any, ...]:
            return tuple(d[k] for k in sorted(d))

        found = CalicoResources(
            tiers=by_key(self.calico_tiers), policies=by_key(self.calico_policies), staged=by_key(self.calico_staged),
            staged_kubernetes=by_key(self.calico_staged_kubernetes), network_sets=by_key(self.calico_sets),
            host_endpoints=by_key(self.calico_host_endpoints), service_accounts=by_key(self.service_accounts),
            invalid=by_key(self.calico_invalid))
        return None if found.empty else found

    def _calico_unevaluated(self) -> dict[str, UnevaluatedPolicy]:
        """Calico's policies as every other profile sees them: read, not evaluated."""
        found: dict[str, UnevaluatedPolicy] = {}
        reason = ("a Calico policy: only the calico profile (--cni calico) evaluates it, and it can allow or deny "
                  "this traffic")
        for key, policy in self.calico_policies.items():
            kind = key.split("/", 1)[0]
            found[f"calico/{key}"] = UnevaluatedPolicy(kind, policy.api_version, policy.namespace, policy.name,
                                                       reason, Tier.PLUGIN, policy.types)
        for key, invalid in self.calico_invalid.items():
            if invalid.staged or invalid.network_set or invalid.kind in ("Tier", "HostEndpoint"):
                continue
            kind = key.split("/", 1)[0]
            found[f"calico/{key}"] = UnevaluatedPolicy(kind, "projectcalico.org/v3", invalid.namespace, invalid.name,
                                                       invalid.reason, Tier.PLUGIN, invalid.directions)
        return found

    def _routes(self) -> RouteResources | None:
        if not self.routing:
            return None
        from kubenet_tui.engine.route_model import (
            Gateway,
            GatewayClass,
            Ingress,
            IngressClass,
            ReferenceGrant,
            Route,
            RouteResources,
        )

        def of(kind: type[Any]) -> tuple[Any, ...]:
            return tuple(self.routing[k] for k in sorted(self.routing) if isinstance(self.routing[k], kind))

        found = RouteResources(of(Ingress), of(IngressClass), of(GatewayClass), of(Gateway), of(Route),
                               of(ReferenceGrant))
        return None if found.empty else found

    def cluster(self) -> Cluster:
        def by_key(d: Mapping[str, Any]) -> tuple[Any, ...]:
            return tuple(d[k] for k in sorted(d))

        # Other profiles list Cilium's policies as not evaluated (the cilium profile compiles them).
        unevaluated = dict(self.unevaluated)
        for policy in self.cilium_policies.values():
            directions = frozenset(d for d in Direction for r in policy.rules
                                   if r.has_section(d) or r.enables_default_deny(d))
            unevaluated.setdefault(f"cilium.io/{policy.kind}/{policy.key}", UnevaluatedPolicy(
                policy.kind, "cilium.io/v2", policy.namespace, policy.name, CILIUM_ONLY, Tier.PLUGIN,
                directions or frozenset(Direction)))
        return Cluster(
            namespaces=by_key(self.namespaces),
            pods=by_key(self.pods),
            services=by_key(self.services),
            endpoint_slices=by_key(self.endpoint_slices),
            network_policies=by_key(self.network_policies),
            admin_policies=by_key(self.admin_policies),
            nodes=by_key(self.nodes),
            service_cidrs=tuple(dict.fromkeys(c for k in sorted(self.service_cidrs) for c in self.service_cidrs[k])),
            unreadable=tuple(self.unreadable),
            unevaluated=by_key({**unevaluated, **self._calico_unevaluated()}),
            notices=tuple(self.notices),
            plugin=self.plugin,
            cilium_policies=by_key(self.cilium_policies),
            cilium_cidr_groups=by_key(self.cilium_cidr_groups),
            calico=self._calico_resources(),
            routes=self._routes(),
        )



def _routing(obj: Mapping[str, Any], identity: Identity, warnings: list[str], origin: str) -> Any:
    from kubenet_tui.sources.parse_routes import (
        ROUTE_KINDS,
        parse_gateway,
        parse_gateway_class,
        parse_ingress,
        parse_ingress_class,
        parse_reference_grant,
        parse_route,
    )

    kind = identity.kind
    if kind == "Ingress":
        return parse_ingress(obj, identity.api_version, warnings, origin)
    if kind == "IngressClass":
        return parse_ingress_class(obj)
    if kind == "GatewayClass":
        return parse_gateway_class(obj)
    if kind == "Gateway":
        return parse_gateway(obj, origin)
    if kind == "ReferenceGrant":
        return parse_reference_grant(obj)
    assert kind in ROUTE_KINDS
    return parse_route(obj, kind, identity.api_version, origin)


def _routing_key(kind: str, obj: Any) -> str:
    namespace = getattr(obj, "namespace", "")
    return f"{kind}/{namespace}/{obj.name}" if namespace else f"{kind}/{obj.name}"
