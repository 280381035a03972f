"""Each policy dialect compiled once into the rule model (`rules.py`), and the cluster into a Program:
the ordered tiers every verdict and every matrix walks.

A new dialect is a `compile_*` function here (and, if it combines rules in a new way, a mode in
`tiers.py`); nothing else changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.explain import Direction, Tier
from kubenet_tui.engine.gaps import Resource
from kubenet_tui.engine.model import (
    AdminAction,
    AdminPeer,
    AdminPolicy,
    AdminPort,
    AdminTier,
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
)
from kubenet_tui.engine.profiles import Profile
from kubenet_tui.engine.rules import (
    Action,
    CompiledPolicy,
    CompiledRule,
    IPBlockPeer,
    NamedPort,
    NamespacePods,
    NetworksPeer,
    NodesPeer,
    PeerMatcher,
    PodPeer,
    PortMatcher,
    PortRange,
    SelectedNamespacePods,
    SubjectMatcher,
    UnknownPeer,
)
from kubenet_tui.engine.tiers import CompiledTier, Mode, Program

NETWORK_POLICY_KIND = "NetworkPolicy"


# -- NetworkPolicy (networking.k8s.io/v1) -----------------------------------------------------------


def _np_peer(peer: NetworkPolicyPeer, namespace: str) -> PeerMatcher:
    if peer.ip_block is not None:
        return IPBlockPeer(peer.ip_block, peer.describe())
    # podSelector alone: pods of the policy's own namespace.
    own = namespace if peer.namespace_selector is None else None
    return PodPeer(own, peer.namespace_selector, peer.pod_selector, peer.describe())


def _np_port(port: NetworkPolicyPort) -> PortMatcher:
    if isinstance(port.port, str):
        return NamedPort(port.port, port.protocol, port.describe())
    return PortRange(port.protocol, port.port, port.end_port, port.describe())


def compile_network_policy(policy: NetworkPolicy) -> CompiledPolicy:
    """SEMANTICS.md 3: the policy selects pods of its namespace; its rules only allow."""
    rules: dict[Direction, tuple[CompiledRule, ...]] = {}
    for direction in Direction:
        compiled = []
        for i, rule in enumerate(policy.rules(direction.policy_type)):
            if rule.unknown is not None:  # fail closed: a rule it does not understand allows nothing
                compiled.append(CompiledRule(i, Action.ALLOW, None, None, Action.ALLOW, fail_closed=rule.unknown))
                continue
            compiled.append(CompiledRule(
                i, Action.ALLOW,
                tuple(_np_peer(p, policy.namespace) for p in rule.peers) or None,
                tuple(_np_port(p) for p in rule.ports) or None,
                Action.ALLOW,
            ))
        rules[direction] = tuple(compiled)
    directions = frozenset(d for d in Direction if d.policy_type in policy.policy_types)
    subject = NamespacePods(policy.namespace, policy.pod_selector, f"podSelector {policy.pod_selector.describe()}")
    return CompiledPolicy(
        NETWORK_POLICY_KIND, policy.namespace, policy.name, subject, rules[Direction.INGRESS],
        rules[Direction.EGRESS], directions, None, (policy.name,),
        ingress_by_default=policy.policy_types_defaulted and not policy.ingress and bool(policy.egress),
    )


# -- AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy -------------------------------

_ACTION = {AdminAction.ALLOW: Action.ALLOW, AdminAction.DENY: Action.DENY, AdminAction.PASS: Action.PASS}
_ADMIN_OUTSIDE = "only networks/nodes peers match it"


def _admin_peer(peer: AdminPeer, written: Action, action_text: str) -> PeerMatcher:
    desc = peer.describe()
    if peer.namespaces is not None:
        return PodPeer(None, peer.namespaces, None, desc, admin=True, outside_hint=_ADMIN_OUTSIDE)
    if peer.pods is not None:
        return PodPeer(None, peer.pods.namespace_selector, peer.pods.pod_selector, desc, admin=True,
                       outside_hint=_ADMIN_OUTSIDE)
    if peer.networks is not None:
        return NetworksPeer(peer.networks, desc)
    if peer.nodes is not None:
        return NodesPeer(peer.nodes, desc)
    return UnknownPeer(peer.unknown or "", written is not Action.ALLOW, action_text, desc)


def _admin_port(port: AdminPort) -> PortMatcher:
    if port.named_port is not None:
        return NamedPort(port.named_port, None, port.describe())
    return PortRange(port.protocol, port.port, port.end_port, port.describe())


def _admin_subject(policy: AdminPolicy) -> SubjectMatcher:
    subject = policy.subject
    if subject.namespaces is not None:
        return SelectedNamespacePods(subject.namespaces, None, subject.describe())
    assert subject.pods is not None  # the parser requires one of the two
    return SelectedNamespacePods(subject.pods.namespace_selector, subject.pods.pod_selector, subject.describe())


def compile_admin_policy(policy: AdminPolicy) -> CompiledPolicy:
    """SEMANTICS.md 5: a subject, rules in written order, first match decides. A peer form this
    engine does not know fails the whole rule closed, as the API specifies: an Allow then matches
    nothing, a Deny or a Pass denies everything."""
    rules: dict[Direction, tuple[CompiledRule, ...]] = {}
    for direction in Direction:
        compiled = []
        for i, rule in enumerate(policy.rules(direction.policy_type)):
            written = _ACTION[rule.action]
            unknown = next((p.unknown for p in rule.peers if p.unknown is not None), None)
            action = Action.DENY if unknown is not None and written is not Action.ALLOW else written
            compiled.append(CompiledRule(
                i, action,
                tuple(_admin_peer(p, written, rule.action_text) for p in rule.peers),
                None if rule.ports is None else tuple(_admin_port(p) for p in rule.ports),
                written, rule.action_text, rule.name or None, unknown,
            ))
        rules[direction] = tuple(compiled)
    return CompiledPolicy(
        policy.kind, None, policy.name, _admin_subject(policy), rules[Direction.INGRESS], rules[Direction.EGRESS],
        frozenset(Direction), policy.priority, (policy.priority, policy.name),
    )


# -- the program -------------------------------------------------------------------------------------

# The profiles whose plugin compiles its own dialect (loaded when first asked for, see `compile_program`).
PROFILE_COMPILERS = frozenset({Profile.CILIUM, Profile.CALICO})

_TIER_RESOURCES = {
    Tier.ADMIN: (Resource.ADMIN_NETWORK_POLICIES, Resource.CLUSTER_NETWORK_POLICIES),
    Tier.BASELINE: (Resource.BASELINE_ADMIN_NETWORK_POLICIES, Resource.CLUSTER_NETWORK_POLICIES),
    Tier.NETWORK_POLICY: (Resource.NETWORK_POLICIES,),
}


def _unreadable(cluster: Cluster, tier: Tier) -> dict[str | None, str]:
    """namespace (None: every namespace) -> why the tier's policies there could not be read."""
    found: dict[str | None, str] = {}
    for gap in cluster.unreadable:
        if gap.resource in _TIER_RESOURCES.get(tier, ()) and gap.hides_objects:
            found.setdefault(gap.namespace, gap.reason)
    return found


def _tier(cluster: Cluster, tier: Tier, mode: Mode, policies: Iterable[CompiledPolicy],
          always: bool = False, loopback: bool = False) -> CompiledTier | None:
    compiled = sorted(policies, key=lambda p: p.order)
    unreadable = _unreadable(cluster, tier)
    unevaluated = tuple(u for u in cluster.unevaluated if u.tier is tier)
    if not (compiled or unreadable or unevaluated or always):
        return None
    by_namespace: dict[str, list[CompiledPolicy]] = defaultdict(list)
    cluster_wide = []
    for policy in compiled:
        if policy.subject.namespace is None:
            cluster_wide.append(policy)
        else:
            by_namespace[policy.subject.namespace].append(policy)
    return CompiledTier(tier, mode, tuple(compiled), {k: tuple(v) for k, v in by_namespace.items()},
                        tuple(cluster_wide), unreadable, unevaluated, loopback)


def compile_program(cluster: Cluster, profile: Profile | None = None) -> Program:
    """The tiers every direction walks, in order, as `profile` (default: the cluster's) reads them.
    The plugin profiles compile their own dialects; until one does, its policies are unevaluated and
    NetworkPolicy is read as upstream."""
    profile = profile or cluster.profile
    # A plugin's dialect builds on the compilers here, and is imported only when a cluster is read as it.
    if profile is Profile.CILIUM:
        from kubenet_tui.engine.dialects.cilium import compile_cilium

        return compile_cilium(cluster)
    if profile is Profile.CALICO:
        from kubenet_tui.engine.dialects.calico import compile_calico

        return compile_calico(cluster)
    return compile_upstream(cluster)


def compile_upstream(cluster: Cluster) -> Program:
    """SEMANTICS.md 5: the network plugin's own policies (unevaluated), the Admin tier, NetworkPolicies,
    the Baseline tier; then the default, allow."""
    admin = [compile_admin_policy(p) for p in cluster.admin_policies]
    tiers = [
        _tier(cluster, Tier.PLUGIN, Mode.FIRST_MATCH, (), loopback=True),
        _tier(cluster, Tier.ADMIN, Mode.FIRST_MATCH, (p for p, a in zip(admin, cluster.admin_policies, strict=True)
                                                      if a.tier is AdminTier.ADMIN), loopback=True),
        _tier(cluster, Tier.NETWORK_POLICY, Mode.ISOLATION_UNION,
              (compile_network_policy(p) for p in cluster.network_policies), always=True),
        _tier(cluster, Tier.BASELINE, Mode.FIRST_MATCH, (p for p, a in zip(admin, cluster.admin_policies, strict=True)
                                                         if a.tier is AdminTier.BASELINE)),
    ]
    return Program(tuple(t for t in tiers if t is not None))

