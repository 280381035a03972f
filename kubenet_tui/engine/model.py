"""Frozen, typed cluster model: what the parser produces and the engine reads; no raw dicts past here."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import field
from enum import StrEnum
from types import MappingProxyType

from kubenet_tui.engine.records import record

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"

EMPTY_LABELS: Mapping[str, str] = MappingProxyType({})


def frozen_labels(labels: Mapping[str, str] | None) -> Mapping[str, str]:
    """Read-only copy of a label map, so frozen objects cannot be mutated through it."""
    if not labels:
        return EMPTY_LABELS
    return MappingProxyType(dict(labels))


class Protocol(StrEnum):
    TCP = "TCP"
    UDP = "UDP"
    SCTP = "SCTP"

    @classmethod
    def parse(cls, text: str) -> Protocol:
        """Protocol from user or manifest text, case-insensitive; ValueError names the valid choices."""
        try:
            return cls(text.upper())
        except ValueError:
            raise ValueError(f"unknown protocol {text!r} (use TCP, UDP or SCTP)") from None


class Operator(StrEnum):
    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"


@record
class Requirement:
    """One `matchExpressions` entry; validated by the parser (values non-empty iff In/NotIn)."""

    key: str
    operator: Operator
    values: tuple[str, ...] = ()


@record
class LabelSelector:
    """metav1.LabelSelector. All parts are ANDed; the empty selector matches everything."""

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[Requirement, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.match_labels and not self.match_expressions

    def describe(self) -> str:
        """Compact, kubectl-like text: `role=db,tier in (a,b),!legacy`; `{}` (all) when empty."""
        if self.is_empty:
            return "{} (everything)"
        parts = [f"{k}={v}" for k, v in self.match_labels]
        for req in self.match_expressions:
            if req.operator is Operator.IN:
                parts.append(f"{req.key} in ({','.join(req.values)})")
            elif req.operator is Operator.NOT_IN:
                parts.append(f"{req.key} notin ({','.join(req.values)})")
            elif req.operator is Operator.EXISTS:
                parts.append(req.key)
            else:
                parts.append(f"!{req.key}")
        return ",".join(parts)


@record
class ContainerPort:
    port: int
    protocol: Protocol = Protocol.TCP
    name: str | None = None


@record
class Namespace:
    name: str
    labels: Mapping[str, str] = field(default_factory=lambda: EMPTY_LABELS, hash=False)


class PodPhase(StrEnum):
    PENDING = "Pending"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    UNKNOWN = "Unknown"


@record
class Pod:
    namespace: str
    name: str
    labels: Mapping[str, str] = field(default_factory=lambda: EMPTY_LABELS, hash=False)
    ips: tuple[IPAddress, ...] = ()
    phase: PodPhase = PodPhase.RUNNING
    host_network: bool = False
    ports: tuple[ContainerPort, ...] = ()
    node_name: str | None = None
    service_account: str = "default"  # spec.serviceAccountName: plugins' selectors can read it

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def finished(self) -> bool:
        return self.phase in (PodPhase.SUCCEEDED, PodPhase.FAILED)

    @property
    def carries_traffic(self) -> bool:
        """Pods with no IP yet, or that have finished, send and receive nothing: never evaluated."""
        return bool(self.ips) and not self.finished

    def named_ports(self, name: str, protocol: Protocol) -> tuple[int, ...]:
        """Every number a port name stands for: two containers may declare the same name."""
        return tuple(c.port for c in self.ports if c.name == name and c.protocol is protocol)

    def named_port(self, name: str, protocol: Protocol) -> ContainerPort | None:
        for cport in self.ports:
            if cport.name == name and cport.protocol is protocol:
                return cport
        return None


@record
class ServicePort:
    port: int
    target_port: int | str
    protocol: Protocol = Protocol.TCP
    name: str | None = None
    node_port: int | None = None


@record
class Service:
    namespace: str
    name: str
    # None: a Service without selector, whose endpoints are managed elsewhere (EndpointSlices).
    selector: Mapping[str, str] | None = field(default=None, hash=False)
    ports: tuple[ServicePort, ...] = ()
    type: str = "ClusterIP"
    cluster_ips: tuple[IPAddress, ...] = ()
    external_traffic_policy: str | None = None
    # spec.loadBalancerSourceRanges: the client ranges a LoadBalancer admits (empty: every client).
    source_ranges: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@record
class EndpointPort:
    port: int
    protocol: Protocol = Protocol.TCP
    name: str | None = None


@record
class Endpoint:
    addresses: tuple[IPAddress, ...]
    # Per the API, a missing `conditions.ready` means ready.
    ready: bool = True
    target_pod: str | None = None  # "namespace/name" when the endpoint is a pod


@record
class EndpointSlice:
    namespace: str
    name: str
    service_name: str | None
    endpoints: tuple[Endpoint, ...] = ()
    ports: tuple[EndpointPort, ...] = ()


class PolicyType(StrEnum):
    INGRESS = "Ingress"
    EGRESS = "Egress"


@record
class IPBlock:
    cidr: IPNetwork
    excepts: tuple[IPNetwork, ...] = ()

    def describe(self) -> str:
        if not self.excepts:
            return f"ipBlock {self.cidr}"
        return f"ipBlock {self.cidr} except {', '.join(str(e) for e in self.excepts)}"


@record
class NetworkPolicyPeer:
    """Exactly one form: selectors (one or both) or an ipBlock. The parser rejects anything else."""

    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IPBlock | None = None

    def describe(self) -> str:
        if self.ip_block is not None:
            return self.ip_block.describe()
        parts = []
        if self.namespace_selector is not None:
            parts.append(f"namespaceSelector {self.namespace_selector.describe()}")
        if self.pod_selector is not None:
            parts.append(f"podSelector {self.pod_selector.describe()}")
        return " + ".join(parts)


@record
class NetworkPolicyPort:
    protocol: Protocol = Protocol.TCP
    port: int | str | None = None  # None: every port of the protocol; str: a named container port
    end_port: int | None = None

    def describe(self) -> str:
        if self.port is None:
            return f"all {self.protocol.value} ports"
        if self.end_port is not None:
            return f"{self.port}-{self.end_port}/{self.protocol.value}"
        return f"{self.port}/{self.protocol.value}"


@record
class NetworkPolicyRule:
    """An ingress or egress rule. Empty `peers` means every peer; empty `ports` every port."""

    peers: tuple[NetworkPolicyPeer, ...] = ()
    ports: tuple[NetworkPolicyPort, ...] = ()
    # Fields this engine does not know (a newer API, or a typo): the rule then matches nothing, so
    # it can only make a verdict stricter, never open traffic it did not understand.
    unknown: str | None = None


@record
class NetworkPolicy:
    namespace: str
    name: str
    pod_selector: LabelSelector
    policy_types: frozenset[PolicyType]
    ingress: tuple[NetworkPolicyRule, ...] = ()
    egress: tuple[NetworkPolicyRule, ...] = ()
    # The object as compact JSON (status and managedFields stripped), for display and rule
    # highlighting; JSON because dumping YAML for thousands of policies at load time is too slow.
    manifest: str = field(default="", compare=False)
    origin: str = field(default="", compare=False)  # file:line or "api" — where it was read from
    # policyTypes was not written, and defaulting supplied it (Ingress, plus Egress with egress rules).
    policy_types_defaulted: bool = field(default=False, compare=False)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def rules(self, policy_type: PolicyType) -> tuple[NetworkPolicyRule, ...]:
        return self.ingress if policy_type is PolicyType.INGRESS else self.egress


@record
class Node:
    name: str
    labels: Mapping[str, str] = field(default_factory=lambda: EMPTY_LABELS, hash=False)
    addresses: tuple[IPAddress, ...] = ()
    pod_cidrs: tuple[IPNetwork, ...] = ()  # spec.podCIDRs: where this node's pods get addresses
    # What tells the Kubernetes distribution (and so its network plugin) apart: the k3s.io/* and
    # rke2.io/* annotations (node-args: how it was started) and the kubelet version (v1.30.4+k3s1).
    distribution: Mapping[str, str] = field(default_factory=lambda: EMPTY_LABELS, hash=False)
    kubelet_version: str = ""


# --- Cluster-scoped tiers (policy.networking.k8s.io) -------------------------------------------


class AdminTier(StrEnum):
    ADMIN = "Admin"
    BASELINE = "Baseline"


class AdminAction(StrEnum):
    """Normalised action. v1alpha1 says Allow, v1alpha2+ says Accept: both are ALLOW here."""

    ALLOW = "Allow"
    DENY = "Deny"
    PASS = "Pass"


@record
class NamespacedPods:
    """`pods: {namespaceSelector, podSelector}`: matching pods in matching namespaces."""

    namespace_selector: LabelSelector
    pod_selector: LabelSelector

    def describe(self) -> str:
        return f"pods {self.pod_selector.describe()} in namespaces {self.namespace_selector.describe()}"


@record
class AdminSubject:
    namespaces: LabelSelector | None = None
    pods: NamespacedPods | None = None

    def describe(self) -> str:
        if self.namespaces is not None:
            return f"namespaces {self.namespaces.describe()}"
        if self.pods is not None:
            return self.pods.describe()
        return "nothing"


@record
class AdminPeer:
    """One peer of an admin/baseline rule. `unknown` names a peer form this engine does not know:
    such a peer fails closed (Allow matches nothing, Deny and Pass match everything)."""

    namespaces: LabelSelector | None = None
    pods: NamespacedPods | None = None
    networks: tuple[IPNetwork, ...] | None = None
    nodes: LabelSelector | None = None
    unknown: str | None = None

    def describe(self) -> str:
        if self.namespaces is not None:
            return f"namespaces {self.namespaces.describe()}"
        if self.pods is not None:
            return self.pods.describe()
        if self.networks is not None:
            return "networks " + ", ".join(str(n) for n in self.networks)
        if self.nodes is not None:
            return f"nodes {self.nodes.describe()}"
        return f"unknown peer form {self.unknown!r}"


@record
class AdminPort:
    """One port/protocol entry. Exactly one of: a number (`end_port` for ranges), a named port,
    or neither (all ports of the protocol)."""

    protocol: Protocol = Protocol.TCP
    port: int | None = None
    end_port: int | None = None
    named_port: str | None = None

    def describe(self) -> str:
        if self.named_port is not None:
            return f"named port {self.named_port}"
        if self.port is None:
            return f"all {self.protocol.value} ports"
        if self.end_port is not None:
            return f"{self.port}-{self.end_port}/{self.protocol.value}"
        return f"{self.port}/{self.protocol.value}"


@record
class AdminRule:
    name: str
    action: AdminAction
    action_text: str  # as written: Allow / Accept / Deny / Pass
    peers: tuple[AdminPeer, ...]
    ports: tuple[AdminPort, ...] | None = None  # None: all ports and protocols


@record
class AdminPolicy:
    """AdminNetworkPolicy, BaselineAdminNetworkPolicy or ClusterNetworkPolicy, normalised."""

    kind: str
    name: str
    api_version: str
    tier: AdminTier
    priority: int  # lower wins; a BaselineAdminNetworkPolicy has none and gets 0
    subject: AdminSubject
    ingress: tuple[AdminRule, ...] = ()
    egress: tuple[AdminRule, ...] = ()
    manifest: str = field(default="", compare=False)
    origin: str = field(default="", compare=False)

    def rules(self, policy_type: PolicyType) -> tuple[AdminRule, ...]:
        return self.ingress if policy_type is PolicyType.INGRESS else self.egress
