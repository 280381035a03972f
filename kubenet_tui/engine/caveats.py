"""Every caveat a verdict can carry, in one catalogue: a stable code (the JSON contract) and its wording."""

from __future__ import annotations

from enum import StrEnum

from kubenet_tui.engine.records import record


class CaveatCode(StrEnum):
    # The cluster as a whole.
    NOT_ENFORCED = "not-enforced"  # the network plugin does not enforce NetworkPolicy
    ENFORCEMENT_UNKNOWN = "enforcement-unknown"  # it depends on the plugin's configuration
    PLUGIN_UNIDENTIFIED = "plugin-unidentified"  # no known plugin was found among the pods read
    CLUSTER = "cluster"  # any other cluster-wide notice a source attaches
    # The ends.
    PODS_UNREADABLE = "pods-unreadable"  # an address matched no pod, but some pods could not be read
    IN_CLUSTER_RANGE = "in-cluster-range"  # an address inside the cluster's ranges that nothing owns
    HOST_NETWORK = "host-network"  # an end uses the host network: pod policies do not govern it
    HOST_NETWORK_PEER = "host-network-peer"  # the peer uses the host network: it carries the node's IP
    LOOPBACK = "loopback"  # a pod talking to itself
    NODE_TRAFFIC = "node-traffic"  # traffic from the node itself is generally allowed
    NAMESPACE_NOT_LOADED = "namespace-not-loaded"  # only the name label of a namespace is known
    # The rules.
    IPBLOCK_POD_IP = "ipblock-pod-ip"  # an ipBlock matched a pod by its IP: CNIs differ
    AMBIGUOUS_PRIORITY = "ambiguous-priority"  # admin policies of equal priority both match
    POLICY_TYPES_DEFAULTED = "policy-types-defaulted"  # egress-only rules, yet ingress isolated too
    UNEVALUATED_POLICY = "unevaluated-policy"  # a policy object that was read but not evaluated
    PROFILE_DIFFERS = "profile-differs"  # the plugin's reading decides otherwise than the upstream one
    L7_RULES = "l7-rules"  # allowed at L4 only: a proxy's L7 rules decide each request (Cilium)
    CILIUM_READING = "cilium-reading"  # where Cilium reads a policy otherwise than upstream (ipBlock, labels)
    STAGED_PENDING = "staged-pending"  # staged policies (not enforced) would change the verdict once committed
    # Services.
    ENDPOINTSLICES_UNREADABLE = "endpointslices-unreadable"
    SERVICE_EXTERNAL_SOURCE = "service-external-source"
    CLUSTER_IP_FROM_OUTSIDE = "cluster-ip-from-outside"
    # From outside, through an Ingress or a Gateway.
    SEVERAL_FRONTENDS = "several-frontends"  # more than one controller or Gateway serves the host: DNS decides
    ROUTE_CONDITIONS = "route-conditions"  # a rule needs headers, query parameters or a method: not in a URL
    ROUTE_IMPLEMENTATION = "route-implementation"  # how a controller matches it is its own (ImplementationSpecific...)
    ROUTE_NOT_ACCEPTED = "route-not-accepted"  # a route the Gateway does not take (allowedRoutes, hostnames, status)
    REFERENCE_GRANT_MISSING = "reference-grant-missing"  # a cross-namespace backendRef without a ReferenceGrant
    NO_ENDPOINTS = "no-endpoints"  # the backend Service has no endpoint: the controller answers 503
    DATA_PLANE_HOST_NETWORK = "data-plane-host-network"  # the controller's pods use the host network
    SOURCE_ADDRESSES = "source-addresses"  # what address the controller's pods see a client as (SNAT)
    SOURCE_RANGES = "source-ranges"  # the load balancer or the controller admits only some client ranges
    CILIUM_INGRESS = "cilium-ingress"  # Cilium's Envoy proxy reaches backends as the `ingress` identity
    TLS_REDIRECT = "tls-redirect"  # plain http to a host with TLS: the controller may redirect to https


@record
class Caveat:
    code: CaveatCode
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", CaveatCode(self.code))


def loopback() -> Caveat:
    return Caveat(CaveatCode.LOOPBACK, "the Kubernetes docs state a pod cannot block access to itself with "
                                       "NetworkPolicies; CNIs differ, which is why the upstream e2e suite does "
                                       "not probe it. Admin-tier rules still apply (hairpin).")


def host_network(pod: str) -> Caveat:
    return Caveat(CaveatCode.HOST_NETWORK, f"not enforceable: host network ({pod}); most CNIs do not apply "
                                           "pod policies to host-network pods")


def host_network_peer(pod: str) -> Caveat:
    return Caveat(CaveatCode.HOST_NETWORK_PEER, f"{pod} uses the host network: its traffic carries the node's IP, "
                                                "which pod selectors usually do not match")


def ipblock_pod_ip(rule: str, pod: str) -> Caveat:
    return Caveat(CaveatCode.IPBLOCK_POD_IP, f"{rule} matched the pod {pod} by its IP through an ipBlock: upstream "
                                             "e2e tests expect this, but CNIs differ (some apply ipBlock only to "
                                             "traffic from outside the cluster)")


def namespace_not_loaded(namespace: str) -> Caveat:
    return Caveat(CaveatCode.NAMESPACE_NOT_LOADED, f"namespace {namespace} was not loaded: only its name label is "
                                                   "known to namespaceSelectors")


def node_traffic() -> Caveat:
    return Caveat(CaveatCode.NODE_TRAFFIC, "if this address is a node's, note that traffic from the node itself "
                                           "(kubelet probes) is generally allowed by CNIs regardless of policy")


def pods_unreadable(address: str, where: str) -> Caveat:
    return Caveat(CaveatCode.PODS_UNREADABLE, f"{address} matched no pod that was read, but pods in {where} could "
                                              "not be read: it may be a pod there")


def ambiguous_priority(tier: str, decider: str, others: str, priority: int, direction: str, pod: str) -> Caveat:
    return Caveat(CaveatCode.AMBIGUOUS_PRIORITY,
                  f"{tier} policies {decider} and {others} share priority {priority} and all match this {direction} "
                  f"connection at {pod}: implementations may apply any of them; this tool applies them in name order")


def policy_types_defaulted(policy: str) -> Caveat:
    return Caveat(CaveatCode.POLICY_TYPES_DEFAULTED,
                  f"NetworkPolicy {policy} has egress rules but no policyTypes: the API then defaults policyTypes to "
                  "[Ingress, Egress], so it also isolates its pods for ingress (with no ingress rules: nothing may "
                  "come in). If it is meant for egress only, set `policyTypes: [Egress]`")


def unevaluated_policy(description: str) -> Caveat:
    return Caveat(CaveatCode.UNEVALUATED_POLICY, description)


def profile_differs(profile: str, said: str, upstream: str, upstream_rules: str) -> Caveat:
    by = f" ({upstream_rules})" if upstream_rules else ""
    return Caveat(CaveatCode.PROFILE_DIFFERS,
                  f"read as {profile} enforces them, the policies say {said}; the upstream Kubernetes reading would "
                  f"say {upstream}{by}")


def staged_pending(enforced: str, pending: str, changed_by: str) -> Caveat:
    return Caveat(CaveatCode.STAGED_PENDING,
                  f"staged policies are not enforced: the cluster does this now ({enforced}), but once they are "
                  f"committed it will be {pending}: {changed_by}")
