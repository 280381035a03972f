"""A snapshot of the cluster (what was loaded) and its lookup index (built once, read by every verdict)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType

from kubenet_tui.engine.model import (
    NAMESPACE_NAME_LABEL,
    AdminPolicy,
    AdminTier,
    EndpointSlice,
    IPAddress,
    Namespace,
    NetworkPolicy,
    Node,
    Pod,
    PolicyType,
    Service,
)


@dataclass(frozen=True, slots=True)
class Unreadable:
    """Data that could not be read (RBAC, API error). Verdicts that depend on it are unknown."""

    resource: str  # e.g. "networkpolicies"
    namespace: str | None  # None: cluster-wide
    reason: str

    def describe(self) -> str:
        where = f"in namespace {self.namespace}" if self.namespace else "cluster-wide"
        return f"{self.resource} {where}: {self.reason}"


@dataclass(frozen=True)
class Cluster:
    namespaces: tuple[Namespace, ...] = ()
    pods: tuple[Pod, ...] = ()
    services: tuple[Service, ...] = ()
    endpoint_slices: tuple[EndpointSlice, ...] = ()
    network_policies: tuple[NetworkPolicy, ...] = ()
    admin_policies: tuple[AdminPolicy, ...] = ()
    nodes: tuple[Node, ...] = ()
    unreadable: tuple[Unreadable, ...] = ()
    # Cluster-wide facts every verdict must mention (e.g. the CNI does not enforce NetworkPolicy).
    notices: tuple[str, ...] = ()

    @cached_property
    def index(self) -> ClusterIndex:
        return ClusterIndex(self)


class ClusterIndex:
    """Lookups the engine needs, built once per snapshot: O(1) by key, policies grouped by namespace."""

    def __init__(self, cluster: Cluster) -> None:
        # No link back to the cluster: Cluster caches its index, and that cycle would keep every
        # replaced snapshot alive until a full garbage collection (a long pause at 50k pods).
        self.unreadable: tuple[Unreadable, ...] = cluster.unreadable
        self.services: tuple[Service, ...] = cluster.services
        self.pods_by_key: dict[str, Pod] = {p.key: p for p in cluster.pods}
        pods_by_ns: dict[str, list[Pod]] = defaultdict(list)
        for pod in cluster.pods:
            pods_by_ns[pod.namespace].append(pod)
        self.pods_by_namespace: Mapping[str, tuple[Pod, ...]] = {
            ns: tuple(sorted(pods, key=lambda p: p.name)) for ns, pods in pods_by_ns.items()
        }
        self.pod_by_ip: dict[IPAddress, Pod] = {}
        for pod in cluster.pods:
            if pod.carries_traffic and not pod.host_network:
                for ip in pod.ips:
                    self.pod_by_ip.setdefault(ip, pod)

        self.loaded_namespaces: frozenset[str] = frozenset(ns.name for ns in cluster.namespaces)
        namespaces = {ns.name: ns for ns in cluster.namespaces}
        # Objects may name namespaces that were not loaded (a single manifest file): they still
        # exist, with at least the label the API server always sets.
        for name in {p.namespace for p in cluster.pods} | {
            np.namespace for np in cluster.network_policies
        }:
            if name not in namespaces:
                namespaces[name] = Namespace(
                    name, MappingProxyType({NAMESPACE_NAME_LABEL: name})
                )
        self.namespaces: Mapping[str, Namespace] = namespaces

        policies_by_ns: dict[str, list[NetworkPolicy]] = defaultdict(list)
        for np in cluster.network_policies:
            policies_by_ns[np.namespace].append(np)
        self.policies_by_namespace: Mapping[str, tuple[NetworkPolicy, ...]] = {
            ns: tuple(sorted(nps, key=lambda p: p.name)) for ns, nps in policies_by_ns.items()
        }
        self.services_by_key: dict[str, Service] = {s.key: s for s in cluster.services}
        slices: dict[str, list[EndpointSlice]] = defaultdict(list)
        for eps in cluster.endpoint_slices:
            if eps.service_name:
                slices[f"{eps.namespace}/{eps.service_name}"].append(eps)
        self.slices_by_service: Mapping[str, tuple[EndpointSlice, ...]] = {
            k: tuple(v) for k, v in slices.items()
        }
        self.admin_policies: tuple[AdminPolicy, ...] = tuple(
            sorted(
                (p for p in cluster.admin_policies if p.tier is AdminTier.ADMIN),
                key=lambda p: (p.priority, p.name),
            )
        )
        self.baseline_policies: tuple[AdminPolicy, ...] = tuple(
            sorted(
                (p for p in cluster.admin_policies if p.tier is AdminTier.BASELINE),
                key=lambda p: (p.priority, p.name),
            )
        )
        self.node_by_ip: dict[IPAddress, Node] = {
            ip: node for node in cluster.nodes for ip in node.addresses
        }

    def namespace_labels(self, name: str) -> Mapping[str, str]:
        ns = self.namespaces.get(name)
        if ns is None:
            return MappingProxyType({NAMESPACE_NAME_LABEL: name})
        return ns.labels

    def policies_for(self, namespace: str, policy_type: PolicyType) -> Iterable[NetworkPolicy]:
        for np in self.policies_by_namespace.get(namespace, ()):
            if policy_type in np.policy_types:
                yield np

    def namespace_labels_unreadable(self, name: str) -> Unreadable | None:
        """Why the labels of namespace `name` are unknown (None: they are known, or only the name
        label exists because the input never had Namespace objects)."""
        if name in self.loaded_namespaces:
            return None
        return self.unreadable_for("namespaces", name)

    def unreadable_for(self, resource: str, namespace: str | None) -> Unreadable | None:
        """The read failure (if any) that hides `resource` objects of `namespace`."""
        for gap in self.unreadable:
            if gap.resource == resource and gap.namespace in (None, namespace):
                return gap
        return None
