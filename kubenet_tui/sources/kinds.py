"""Which objects this tool reads, identified by API group, version and kind together.

A kind name alone is ambiguous: Calico's `projectcalico.org/v3` NetworkPolicy is not a Kubernetes
NetworkPolicy (read as one, its missing podSelector would isolate a whole namespace). Every policy
object that is seen but not evaluated (a version this tool does not read, or a network plugin's own
policy kind) is kept as an `UnevaluatedPolicy`, so the verdicts it could touch are unknown, never
guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from kubenet_tui.engine.explain import Direction, Tier
from kubenet_tui.engine.records import record


class Read(StrEnum):
    """What to do with an object of a given group/version/kind."""

    NAMESPACE = "namespace"
    POD = "pod"
    SERVICE = "service"
    ENDPOINT_SLICE = "endpointslice"
    NODE = "node"
    SERVICE_CIDR = "servicecidr"
    NETWORK_POLICY = "networkpolicy"
    ADMIN_POLICY = "adminpolicy"
    SNAPSHOT_INFO = "snapshotinfo"
    CILIUM_POLICY = "ciliumpolicy"  # CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy (the cilium profile reads them)
    CILIUM_CIDR_GROUP = "ciliumcidrgroup"
    CALICO = "calico"  # Calico's own resources (tiers, policies, network sets...), evaluated by its profile
    SERVICE_ACCOUNT = "serviceaccount"  # its labels are what Calico's pcsa.* selectors see
    ROUTING = "routing"  # Ingress, IngressClass and the Gateway API kinds: how traffic comes in from outside
    UNEVALUATED_POLICY = "unevaluated"  # a policy this tool does not evaluate: verdicts it touches are unknown
    IGNORED = "ignored"  # not needed for verdicts (Deployments, Secrets...)


SNAPSHOT_GROUP = "kubenet-tui.dev"
_GATEWAY_VERSIONS = frozenset({"v1", "v1beta1", "v1alpha2", "v1alpha3"})

# (group, kind) -> (what it is, the versions read). An empty group is the core API.
_READ: dict[tuple[str, str], tuple[Read, frozenset[str]]] = {
    ("", "Namespace"): (Read.NAMESPACE, frozenset({"v1"})),
    ("", "Pod"): (Read.POD, frozenset({"v1"})),
    ("", "Service"): (Read.SERVICE, frozenset({"v1"})),
    ("", "Node"): (Read.NODE, frozenset({"v1"})),
    ("", "ServiceAccount"): (Read.SERVICE_ACCOUNT, frozenset({"v1"})),
    ("discovery.k8s.io", "EndpointSlice"): (Read.ENDPOINT_SLICE, frozenset({"v1", "v1beta1"})),
    ("networking.k8s.io", "ServiceCIDR"): (Read.SERVICE_CIDR, frozenset({"v1", "v1beta1"})),
    ("networking.k8s.io", "NetworkPolicy"): (Read.NETWORK_POLICY, frozenset({"v1"})),
    # The pre-1.9 group of NetworkPolicy: the same object.
    ("extensions", "NetworkPolicy"): (Read.NETWORK_POLICY, frozenset({"v1beta1"})),
    ("policy.networking.k8s.io", "AdminNetworkPolicy"): (Read.ADMIN_POLICY, frozenset({"v1alpha1"})),
    ("policy.networking.k8s.io", "BaselineAdminNetworkPolicy"): (Read.ADMIN_POLICY, frozenset({"v1alpha1"})),
    ("policy.networking.k8s.io", "ClusterNetworkPolicy"): (Read.ADMIN_POLICY, frozenset({"v1alpha2", "v1beta1"})),
    (SNAPSHOT_GROUP, "SnapshotInfo"): (Read.SNAPSHOT_INFO, frozenset({"v1"})),
    ("cilium.io", "CiliumNetworkPolicy"): (Read.CILIUM_POLICY, frozenset({"v2"})),
    ("cilium.io", "CiliumClusterwideNetworkPolicy"): (Read.CILIUM_POLICY, frozenset({"v2"})),
    ("cilium.io", "CiliumCIDRGroup"): (Read.CILIUM_CIDR_GROUP, frozenset({"v2alpha1", "v2"})),
    ("networking.k8s.io", "Ingress"): (Read.ROUTING, frozenset({"v1", "v1beta1"})),
    ("extensions", "Ingress"): (Read.ROUTING, frozenset({"v1beta1"})),
    ("networking.k8s.io", "IngressClass"): (Read.ROUTING, frozenset({"v1", "v1beta1"})),
    # The Gateway API's kinds keep their shape across versions: every version served so far is read.
    **{("gateway.networking.k8s.io", kind): (Read.ROUTING, _GATEWAY_VERSIONS)
       for kind in ("GatewayClass", "Gateway", "HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute",
                    "ReferenceGrant")},
}

# Why the other profiles list a Cilium policy without evaluating it.
CILIUM_ONLY = "a Cilium policy: only the cilium profile (--cni cilium) evaluates it, and it can allow or deny this traffic"

# Policy kinds of network plugins: they decide traffic too, in their own tiers (which run before the
# Kubernetes policies, or whose order this tool cannot tell yet).
PLUGIN_POLICY_KINDS: dict[tuple[str, str], str] = {
    ("cilium.io", "CiliumNetworkPolicy"): "Cilium",
    ("cilium.io", "CiliumClusterwideNetworkPolicy"): "Cilium",
    ("projectcalico.org", "NetworkPolicy"): "Calico",
    ("projectcalico.org", "GlobalNetworkPolicy"): "Calico",
    ("crd.projectcalico.org", "NetworkPolicy"): "Calico",
    ("crd.projectcalico.org", "GlobalNetworkPolicy"): "Calico",
    ("crd.antrea.io", "NetworkPolicy"): "Antrea",
    ("crd.antrea.io", "ClusterNetworkPolicy"): "Antrea",
    ("k8s.ovn.org", "EgressFirewall"): "OVN-Kubernetes",
    ("k8s.ovn.org", "AdminPolicyBasedExternalRoute"): "OVN-Kubernetes",
}

_DEFAULT_GROUP = {kind: group for (group, kind) in _READ if group not in ("extensions", SNAPSHOT_GROUP)}


@record
class Identity:
    read: Read
    group: str
    version: str
    kind: str
    reason: str = ""  # for UNEVALUATED_POLICY: why it is not evaluated

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


def identify(kind: str, api_version: object) -> Identity:
    """What an object with this kind and apiVersion is. A missing apiVersion is read as the usual
    group of the kind (hand-written manifests and test fixtures often leave it out)."""
    text = api_version if isinstance(api_version, str) else ""
    # A load asks about a handful of (kind, apiVersion) pairs, once per object: answered once each.
    key = (kind, text)
    found = _IDENTITIES.get(key)
    if found is None:
        found = _IDENTITIES[key] = _identify(kind, text)
        if len(_IDENTITIES) > 4096:  # arbitrary kinds in the input must not grow this without end
            _IDENTITIES.clear()
    return found


_IDENTITIES: dict[tuple[str, str], Identity] = {}


def _identify(kind: str, text: str) -> Identity:
    group, _, version = text.rpartition("/")
    if not text:
        group, version = _DEFAULT_GROUP.get(kind, ""), ""
    calico = _calico(group, version, kind, text)
    if calico is not None:
        return calico
    known = _READ.get((group, kind))
    if known is not None:
        read, versions = known
        if not version or version in versions:
            return Identity(read, group, version, kind)
        if read in (Read.NETWORK_POLICY, Read.ADMIN_POLICY, Read.CILIUM_POLICY):
            return Identity(Read.UNEVALUATED_POLICY, group, version, kind,
                            f"apiVersion {text} is not one this tool reads ({', '.join(sorted(versions))})")
        return Identity(Read.IGNORED, group, version, kind)
    plugin = PLUGIN_POLICY_KINDS.get((group, kind))
    if plugin is not None:
        article = "an" if plugin[0] in "AEIOU" else "a"
        return Identity(Read.UNEVALUATED_POLICY, group, version, kind,
                        f"{article} {plugin} policy: this tool does not evaluate {plugin}'s own policies yet, and "
                        "they can allow or deny this traffic")
    return Identity(Read.IGNORED, group, version, kind)


def _calico(group: str, version: str, kind: str, text: str) -> Identity | None:
    """Calico's kinds: read in the versions Calico serves them (the API server's projectcalico.org/v3,
    the crd.projectcalico.org/v1 CRDs behind it); a policy of another version is not evaluated."""
    if group not in ("projectcalico.org", "crd.projectcalico.org"):
        return None  # not Calico's: its parser (and model) stay unloaded
    from kubenet_tui.sources.parse_calico import CALICO_KINDS, CALICO_VERSIONS, POLICY_KINDS

    versions = CALICO_VERSIONS.get(group)
    if versions is None or kind not in CALICO_KINDS:
        return None
    if version in versions:
        return Identity(Read.CALICO, group, version, kind)
    reason = f"apiVersion {text} is not one this tool reads ({group}/{', '.join(sorted(versions))})"
    if kind in POLICY_KINDS and not kind.startswith("Staged"):
        return Identity(Read.UNEVALUATED_POLICY, group, version, kind, reason)
    # A network set, tier or host endpoint of another version still exists: kept as unreadable.
    return Identity(Read.CALICO, group, version, kind, reason)


def acting_tier(identity: Identity, spec_tier: object = None) -> Tier:
    """Where a policy that is not evaluated would act: its own tier when known, else the earliest
    (so that nothing after it is taken for granted)."""
    if identity.kind == "NetworkPolicy" and identity.group in ("networking.k8s.io", "extensions"):
        return Tier.NETWORK_POLICY
    if identity.group == "policy.networking.k8s.io":
        if identity.kind == "BaselineAdminNetworkPolicy" or spec_tier == "Baseline":
            return Tier.BASELINE
        return Tier.ADMIN
    return Tier.PLUGIN


def acting_directions(identity: Identity, spec: object) -> frozenset[Direction]:
    """The directions a policy that is not evaluated can act in, from what of it can be read: a
    NetworkPolicy's policyTypes (or their defaulting), an admin policy's rule lists. Both otherwise."""
    both = frozenset(Direction)
    if identity.group == "cilium.io" and isinstance(spec, Mapping):  # the whole object: spec and specs
        return _cilium_directions(spec)
    if not isinstance(spec, Mapping) or identity.group not in ("networking.k8s.io", "extensions",
                                                               "policy.networking.k8s.io"):
        return both
    if identity.kind == "NetworkPolicy":
        types = spec.get("policyTypes")
        if isinstance(types, list) and types and all(t in ("Ingress", "Egress") for t in types):
            return frozenset(Direction(t.lower()) for t in types)
        if types is None and "egress" not in spec:  # defaulting: [Ingress] without egress rules
            return frozenset({Direction.INGRESS})
        return both
    found = frozenset(d for d in Direction if spec.get(d.value))
    return found if set(spec) <= {"priority", "subject", "ingress", "egress", "tier"} else both


def _cilium_directions(obj: Mapping[object, object]) -> frozenset[Direction]:
    """The directions a Cilium policy object's rules have sections (or enableDefaultDeny) for."""
    rules = [obj.get("spec"), *(obj.get("specs") if isinstance(obj.get("specs"), list) else [])]  # type: ignore[misc]
    found: set[Direction] = set()
    for rule in rules:
        if not isinstance(rule, Mapping):
            continue
        default = rule.get("enableDefaultDeny")
        for direction in Direction:
            if rule.get(direction.value) or rule.get(f"{direction.value}Deny") or (
                    isinstance(default, Mapping) and default.get(direction.value)):
                found.add(direction)
    return frozenset(found) or frozenset(Direction)


def is_cluster_scoped(identity: Identity) -> bool:
    return identity.kind in ("AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy",
                             "CiliumClusterwideNetworkPolicy", "GlobalNetworkPolicy", "StagedGlobalNetworkPolicy",
                             "GlobalNetworkSet", "Tier", "HostEndpoint") or (
        identity.group == "crd.antrea.io" and identity.kind == "ClusterNetworkPolicy")
