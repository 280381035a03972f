"""What is not known: data that could not be read, and policy objects that were seen but not evaluated.

Both make the verdicts they could change unknown, never guessed. They are typed, not worded: a source
records a `Resource` and a `GapKind`, and the engine decides from those (a misspelt resource name is
a ValueError at once instead of a gap that silently matches nothing).
"""

from __future__ import annotations

from enum import StrEnum

from kubenet_tui.engine.explain import Direction, Tier
from kubenet_tui.engine.records import record


class Resource(StrEnum):
    """The kinds of object whose absence can change a verdict (the API's plural names)."""

    NAMESPACES = "namespaces"
    PODS = "pods"
    SERVICES = "services"
    ENDPOINT_SLICES = "endpointslices"
    NETWORK_POLICIES = "networkpolicies"
    NODES = "nodes"
    ADMIN_NETWORK_POLICIES = "adminnetworkpolicies"
    BASELINE_ADMIN_NETWORK_POLICIES = "baselineadminnetworkpolicies"
    CLUSTER_NETWORK_POLICIES = "clusternetworkpolicies"
    CILIUM_NETWORK_POLICIES = "ciliumnetworkpolicies"
    CILIUM_CLUSTERWIDE_NETWORK_POLICIES = "ciliumclusterwidenetworkpolicies"
    CILIUM_CIDR_GROUPS = "ciliumcidrgroups"
    # Calico (projectcalico.org/v3, or the crd.projectcalico.org/v1 CRDs behind it), named with their
    # group: Calico's networkpolicies are not Kubernetes'.
    CALICO_TIERS = "tiers.projectcalico.org"
    CALICO_NETWORK_POLICIES = "networkpolicies.projectcalico.org"
    CALICO_GLOBAL_NETWORK_POLICIES = "globalnetworkpolicies.projectcalico.org"
    CALICO_NETWORK_SETS = "networksets.projectcalico.org"
    CALICO_GLOBAL_NETWORK_SETS = "globalnetworksets.projectcalico.org"
    CALICO_HOST_ENDPOINTS = "hostendpoints.projectcalico.org"
    CALICO_STAGED_NETWORK_POLICIES = "stagednetworkpolicies.projectcalico.org"
    CALICO_STAGED_GLOBAL_NETWORK_POLICIES = "stagedglobalnetworkpolicies.projectcalico.org"
    CALICO_STAGED_KUBERNETES_NETWORK_POLICIES = "stagedkubernetesnetworkpolicies.projectcalico.org"
    SERVICE_ACCOUNTS = "serviceaccounts"  # their labels are Calico's pcsa.* selector labels
    # How traffic comes in from outside: Ingress (networking.k8s.io) and the Gateway API.
    INGRESSES = "ingresses"
    INGRESS_CLASSES = "ingressclasses"
    GATEWAY_CLASSES = "gatewayclasses"
    GATEWAYS = "gateways"
    HTTP_ROUTES = "httproutes"
    GRPC_ROUTES = "grpcroutes"
    TLS_ROUTES = "tlsroutes"
    TCP_ROUTES = "tcproutes"
    REFERENCE_GRANTS = "referencegrants"


class GapKind(StrEnum):
    """Why something is missing; only NOT_SERVED means there is nothing to miss."""

    FORBIDDEN = "forbidden"  # RBAC refused the read
    NOT_SERVED = "not-served"  # the API is not installed in this cluster: no such objects exist
    ERROR = "error"  # the API server failed to answer
    NOT_READ = "not-read"  # outside what was read (e.g. a namespace beyond a refused cluster-wide list)
    NOT_LOADED = "not-loaded"  # manifest input: referenced by what was loaded, but not part of it


@record
class Unreadable:
    """Objects of `resource` in `namespace` (None: cluster-wide) that could not be read."""

    resource: Resource
    namespace: str | None
    reason: str
    kind: GapKind = GapKind.FORBIDDEN

    def __post_init__(self) -> None:
        # Sources may pass the plural as text (e.g. from a snapshot file): a typo fails here, loudly.
        object.__setattr__(self, "resource", Resource(self.resource))
        object.__setattr__(self, "kind", GapKind(self.kind))

    @property
    def hides_objects(self) -> bool:
        """Whether objects may exist that were not seen (an API that is not served has none)."""
        return self.kind is not GapKind.NOT_SERVED

    def describe(self) -> str:
        where = f"in namespace {self.namespace}" if self.namespace else "cluster-wide"
        return f"{self.resource.value} {where}: {self.reason}"


@record
class UnevaluatedPolicy:
    """A policy object that was read but is not evaluated: invalid, of a version or kind this engine
    does not evaluate. It acts in `tier` on the pods of `namespace` (None: of every namespace), so
    verdicts there are unknown unless an earlier tier decided them."""

    kind: str
    api_version: str
    namespace: str | None
    name: str
    reason: str
    tier: Tier
    # The directions it can act in, when that much of it could be read (rules or policyTypes).
    directions: frozenset[Direction] = frozenset(Direction)
    # It can only allow (a Kubernetes NetworkPolicy): it cannot undo what another policy allows.
    allows_only: bool = False

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    def describe(self) -> str:
        return f"{self.kind} {self.key} ({self.api_version or 'no apiVersion'}) was not evaluated: {self.reason}"
