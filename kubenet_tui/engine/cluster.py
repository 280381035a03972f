"""A snapshot of the cluster (what was loaded) and its lookup index (built once, read by every verdict)."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Mapping
from enum import StrEnum
from functools import cached_property
from operator import attrgetter
from types import MappingProxyType
from typing import TYPE_CHECKING

from kubenet_tui.engine.gaps import GapKind, Resource, UnevaluatedPolicy, Unreadable
from kubenet_tui.engine.model import (
    NAMESPACE_NAME_LABEL,
    AdminPolicy,
    AdminTier,
    EndpointSlice,
    IPAddress,
    IPNetwork,
    Namespace,
    NetworkPolicy,
    Node,
    Pod,
    PolicyType,
    Service,
)
from kubenet_tui.engine.profiles import Profile
from kubenet_tui.engine.records import record

if TYPE_CHECKING:
    from kubenet_tui.engine.dialects.calico_model import CalicoResources
    from kubenet_tui.engine.dialects.cilium_model import CiliumCIDRGroup, CiliumPolicy
    from kubenet_tui.engine.route_model import RouteResources
    from kubenet_tui.engine.tiers import Program

__all__ = ["Cluster", "ClusterIndex", "Enforcement", "NetworkPlugin", "Profile", "Unreadable"]


class Enforcement(StrEnum):
    """Whether the network plugin enforces policies at all."""

    ENFORCED = "enforced"
    NOT_ENFORCED = "not-enforced"  # e.g. Flannel alone: policies exist, nothing applies them
    DEPENDS = "depends"  # on the plugin's configuration (AWS VPC CNI's policy agent, old kindnet)
    UNIDENTIFIED = "unidentified"  # no known plugin was found among the pods read


@record
class NetworkPlugin:
    """What is known of the cluster's network plugin, for every verdict to state."""

    names: tuple[str, ...]
    enforcement: Enforcement
    note: str = ""  # why, in words (which plugin, what to check)
    profile: Profile = Profile.UPSTREAM  # whose reading of the policies its policy engine applies


@record(slots=False)
class Cluster:
    namespaces: tuple[Namespace, ...] = ()
    pods: tuple[Pod, ...] = ()
    services: tuple[Service, ...] = ()
    endpoint_slices: tuple[EndpointSlice, ...] = ()
    network_policies: tuple[NetworkPolicy, ...] = ()
    admin_policies: tuple[AdminPolicy, ...] = ()
    nodes: tuple[Node, ...] = ()
    # networking.k8s.io ServiceCIDR objects: where this cluster's Services get their ClusterIPs.
    service_cidrs: tuple[IPNetwork, ...] = ()
    unreadable: tuple[Unreadable, ...] = ()
    # Policy objects that were read but are not evaluated: verdicts they could touch are unknown.
    unevaluated: tuple[UnevaluatedPolicy, ...] = ()
    # Cluster-wide facts every verdict must mention.
    notices: tuple[str, ...] = ()
    plugin: NetworkPlugin | None = None
    # Set when the user chose the profile (--cni); otherwise the detected plugin's.
    profile_override: Profile | None = None
    # cilium.io/v2 CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy objects, and CiliumCIDRGroups
    # (evaluated by the cilium profile; the others list them as unevaluated).
    cilium_policies: tuple[CiliumPolicy, ...] = ()
    cilium_cidr_groups: tuple[CiliumCIDRGroup, ...] = ()
    # Calico's own resources (evaluated by the calico profile; None: none were loaded).
    calico: CalicoResources | None = None
    # Ingresses, IngressClasses and the Gateway API's objects: how traffic comes in from outside (None:
    # none were loaded).
    routes: RouteResources | None = None

    @property
    def profile(self) -> Profile:
        if self.profile_override is not None:
            return self.profile_override
        if self.plugin is not None and (self.plugin.profile is not Profile.UPSTREAM
                                        or self.plugin.enforcement is not Enforcement.UNIDENTIFIED):
            return self.plugin.profile
        # No plugin identified (manifest files): Cilium's own policy objects say whose cluster it is.
        return Profile.CILIUM if self.cilium_policies else Profile.UPSTREAM

    @cached_property
    def index(self) -> ClusterIndex:
        return ClusterIndex(self)

    @cached_property
    def program(self) -> Program:
        """Every policy compiled into the rule model, as the tiers a direction walks (this cluster's
        profile)."""
        return self.program_for(self.profile)

    def program_for(self, profile: Profile) -> Program:
        """The policies as `profile` reads them (compiled once per profile)."""
        found = self._programs.get(profile)
        if found is None:
            from kubenet_tui.engine.compile import compile_program  # compile imports this module

            found = self._programs[profile] = compile_program(self, profile)
        return found

    @cached_property
    def _programs(self) -> dict[Profile, Program]:
        return {}

    @cached_property
    def staged_commit(self) -> Cluster | None:
        """This cluster once its staged policies (Calico's) are committed; None: nothing is staged."""
        if self.calico is None or not self.calico.has_staged:
            return None
        from kubenet_tui.engine.dialects.calico import commit_staged  # it imports this module

        return commit_staged(self)


class ClusterIndex:
    """Lookups the engine needs, built once per snapshot: O(1) by key, policies grouped by namespace."""

    def __init__(self, cluster: Cluster) -> None:
        # No link back to the cluster: Cluster caches its index, and that cycle would keep every
        # replaced snapshot alive until a full garbage collection (a long pause at 50k pods).
        self.unreadable: tuple[Unreadable, ...] = cluster.unreadable
        self.services: tuple[Service, ...] = cluster.services
        # One pass over the pods (the index is rebuilt with every snapshot: 50k pods at a time).
        pods_by_key: dict[str, Pod] = {}
        pods_by_ns: dict[str, list[Pod]] = defaultdict(list)
        pod_by_ip: dict[IPAddress, Pod] = {}
        for pod in cluster.pods:
            pods_by_key[pod.key] = pod
            pods_by_ns[pod.namespace].append(pod)
            if pod.ips and not pod.host_network and pod.carries_traffic:
                for ip in pod.ips:
                    pod_by_ip.setdefault(ip, pod)
        self.pods_by_key = pods_by_key
        by_name = attrgetter("name")
        self.pods_by_namespace: Mapping[str, tuple[Pod, ...]] = {
            ns: tuple(sorted(pods, key=by_name)) for ns, pods in pods_by_ns.items()
        }
        self.pod_by_ip = pod_by_ip

        self.loaded_namespaces: frozenset[str] = frozenset(ns.name for ns in cluster.namespaces)
        namespaces = {ns.name: ns for ns in cluster.namespaces}
        # Objects may name namespaces that were not loaded (a single manifest file): they still
        # exist, with at least the label the API server always sets; the other labels are unknown.
        for name in referenced_namespaces(cluster):
            if name not in namespaces:
                namespaces[name] = Namespace(
                    name, MappingProxyType({NAMESPACE_NAME_LABEL: name})
                )
        self.namespaces: Mapping[str, Namespace] = namespaces
        self._gaps: dict[Resource, list[Unreadable]] = defaultdict(list)
        for gap in cluster.unreadable:
            self._gaps[gap.resource].append(gap)
        self.has_namespace_gaps = any(name not in self.loaded_namespaces for name in namespaces)
        self.service_by_ip: dict[IPAddress, Service] = {
            ip: svc for svc in cluster.services for ip in svc.cluster_ips
        }

        policies_by_ns: dict[str, list[NetworkPolicy]] = defaultdict(list)
        for np in cluster.network_policies:
            policies_by_ns[np.namespace].append(np)
        self.policies_by_namespace: Mapping[str, tuple[NetworkPolicy, ...]] = {
            ns: tuple(sorted(nps, key=by_name)) for ns, nps in policies_by_ns.items()
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
        self.nodes: tuple[Node, ...] = cluster.nodes
        self.service_cidrs: tuple[IPNetwork, ...] = cluster.service_cidrs
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
        """Why the labels of namespace `name` are unknown (None: they were read). A namespace that
        was not loaded has only its name label for certain."""
        if name in self.loaded_namespaces:
            return None
        return self.unreadable_for(Resource.NAMESPACES, name) or Unreadable(
            Resource.NAMESPACES, name, NOT_LOADED_NAMESPACE, GapKind.NOT_LOADED)

    def unreadable_for(self, resource: Resource, namespace: str | None) -> Unreadable | None:
        """The read failure (if any) that hides `resource` objects of `namespace`."""
        for gap in self._gaps.get(Resource(resource), ()):
            if gap.namespace in (None, namespace):
                return gap
        return None

    @cached_property
    def address_ranges(self) -> tuple[tuple[IPNetwork, str], ...]:
        """Where this cluster hands out pod and Service addresses, and what each range is: Node
        podCIDRs and ServiceCIDR objects when loaded. Else the /24 (IPv6: /64) around the addresses
        its pods have (per-node pod blocks are /24 or smaller with most IPAMs; wider would swallow the
        VPC neighbours of VPC-native plugins), and the /16 around its ClusterIPs (a range of their own)."""
        found: dict[IPNetwork, str] = {}
        for node in self.nodes:
            for net in node.pod_cidrs:
                found.setdefault(net, f"the pod range of node {node.name}")
        for net in self.service_cidrs:
            found.setdefault(net, "the cluster's Service range (ServiceCIDR)")
        if not any(n.pod_cidrs for n in self.nodes):
            for ip in self.pod_by_ip:
                found.setdefault(_around(ip, 24), "where this cluster's pods have their addresses")
        if not self.service_cidrs:
            for ip in self.service_by_ip:
                found.setdefault(_around(ip, 16), "where this cluster's Services have their ClusterIPs")
        return tuple(found.items())

    def nodes_gap(self) -> str | None:
        """Why Nodes could not be read (None: they were, or nothing needed them)."""
        gap = self.unreadable_for(Resource.NODES, None)
        return gap.reason if gap is not None else None


def _around(ip: IPAddress, bits: int) -> IPNetwork:
    return ipaddress.ip_network(f"{ip}/{bits if ip.version == 4 else 64}", strict=False)


NOT_LOADED_NAMESPACE = ("its Namespace object is not in the input; include namespaces, e.g. "
                        "`kubectl get ns,pods,netpol -A -o yaml`")


def referenced_namespaces(cluster: Cluster) -> set[str]:
    """Namespaces that the loaded objects live in."""
    return ({p.namespace for p in cluster.pods} | {np.namespace for np in cluster.network_policies}
            | {s.namespace for s in cluster.services})
