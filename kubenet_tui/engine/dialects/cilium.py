"""The cluster as Cilium's policy engine reads it: the `cilium` profile's program.

[Plugin tier: other plugins' policies, not evaluated] -> Admin tier (as upstream) -> the Cilium tier
(`Mode.DENY_WINS`: CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy and Kubernetes NetworkPolicy
read the Cilium way: pkg/k8s/network_policy.go) -> Baseline tier -> default allow.

Sources: cilium/cilium pkg/policy/api (rule.go, ingress.go, egress.go, l4.go, entity.go, cidr.go,
rule_validation.go), pkg/k8s/apis/cilium.io/utils/utils.go (how peer selectors are scoped),
pkg/k8s/network_policy.go, pkg/policy/repository.go (default deny).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from kubenet_tui.engine import compile as base
from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.dialects.cilium_match import (
    IN_ANY_NAMESPACE,
    NAMESPACE_LABELS,
    CIDRPeer,
    CiliumNamedPort,
    CiliumPortRange,
    EntitiesPeer,
    IdentityPeer,
    IdentitySelector,
    IdentitySubject,
    NoConnectionPort,
    NoPeer,
    UndecidedPeer,
    has_reserved,
    in_namespace,
    normalize,
    reads_namespace,
    with_terms,
)
from kubenet_tui.engine.dialects.cilium_mode import (
    CiliumCompiledPolicy,
    CiliumCompiledRule,
    CiliumTier,
    HostPolicy,
)
from kubenet_tui.engine.dialects.cilium_model import (
    CCNP_KIND,
    CILIUM_LABEL,
    CIDRSet,
    CiliumPeerRule,
    CiliumPolicy,
    CiliumPort,
    CiliumRule,
    L4Proto,
)
from kubenet_tui.engine.explain import Direction, Tier
from kubenet_tui.engine.gaps import Resource, UnevaluatedPolicy
from kubenet_tui.engine.model import (
    AdminTier,
    IPBlock,
    LabelSelector,
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    Operator,
    Protocol,
    Requirement,
)
from kubenet_tui.engine.rules import Action, PeerMatcher, PortMatcher
from kubenet_tui.engine.tiers import Mode, Program

CILIUM_GROUP = "cilium.io"
_RESOURCES = (Resource.NETWORK_POLICIES, Resource.CILIUM_NETWORK_POLICIES,
              Resource.CILIUM_CLUSTERWIDE_NETWORK_POLICIES)
_CIDR_GROUPS_GAP = "CiliumCIDRGroups could not be read"


# -- peers and ports --------------------------------------------------------------------------------


def _scoped(selector: LabelSelector, namespace: str | None) -> LabelSelector:
    """utils.go getEndpointSelector: a peer selector naming no namespace gets the policy's (a CNP), or
    "any namespace" (a CCNP: pods only); selectors of Cilium's reserved identities are left alone."""
    normal = normalize(selector)
    if has_reserved(normal):
        return normal
    names_namespace, names_namespace_labels = reads_namespace(normal)
    if names_namespace:
        return normal
    if namespace is None:
        return with_terms(normal, IN_ANY_NAMESPACE)
    if names_namespace_labels:
        return normal
    return with_terms(normal, in_namespace(namespace))


def _cidr_blocks(entry: CIDRSet, cluster: Cluster) -> tuple[tuple[IPBlock, ...] | None, str | None]:
    """The blocks of a CIDR set entry, resolving a CIDR group; (None, why) when the group could not be
    read, ((), name) when there is no such group (Cilium then matches nothing)."""
    if entry.group is None:
        assert entry.cidr is not None
        return (IPBlock(entry.cidr, entry.excepts),), None
    group = next((g for g in cluster.cilium_cidr_groups if g.name == entry.group), None)
    if group is not None:
        return tuple(IPBlock(c, tuple(e for e in entry.excepts if e.version == c.version and e.overlaps(c)))
                     for c in group.cidrs), None
    gap = cluster.index.unreadable_for(Resource.CILIUM_CIDR_GROUPS, None)
    if gap is not None and gap.hides_objects:
        return None, f"CiliumCIDRGroup {entry.group} could not be read ({gap.reason})"
    return (), f"CiliumCIDRGroup {entry.group}"


def _peers(rule: CiliumPeerRule, namespace: str | None, egress: bool, cluster: Cluster) -> tuple[PeerMatcher, ...] | None:
    to = "to" if egress else "from"
    if rule.empty is not None:
        return (UndecidedPeer(f"{rule.empty}: []", "an explicitly empty list selects nothing in recent Cilium "
                              "versions and everything in older ones", "all", f"{rule.empty}: []"),)
    if rule.endpoints is not None:
        return tuple(IdentityPeer(IdentitySelector.of(_scoped(s, namespace)), f"{to}Endpoints[{i}] {s.describe()}")
                     for i, s in enumerate(rule.endpoints))
    if rule.entities is not None:
        return (EntitiesPeer(rule.entities, f"{to}Entities {', '.join(rule.entities)}"),)
    if rule.cidrs is not None:
        found: list[PeerMatcher] = []
        for i, entry in enumerate(rule.cidrs):
            blocks, gap = _cidr_blocks(entry, cluster)
            description = f"{to}CIDR {entry.describe()}" if not entry.excepts and entry.group is None else (
                f"{to}CIDRSet[{i}] {entry.describe()}")
            if gap is not None and blocks == ():
                description += " (no such group: matches nothing)"
            found.append(CIDRPeer(blocks, description, gap))
        return tuple(found)
    if rule.fqdns is not None:
        return (UndecidedPeer("toFQDNs " + ", ".join(rule.fqdns), "DNS names are resolved by Cilium's DNS proxy at run "
                              "time", "outside", "toFQDNs " + ", ".join(rule.fqdns)),)
    if rule.services is not None:
        return (UndecidedPeer("toServices", "the Service endpoints Cilium selects are not evaluated offline", "all",
                              f"toServices ({rule.services})"),)
    if rule.nodes is not None:
        texts = ", ".join(s.describe() for s in rule.nodes)
        return (UndecidedPeer(f"{to}Nodes {texts}", "node selectors are not evaluated", "nodes", f"{to}Nodes {texts}"),)
    if rule.groups is not None:
        return (UndecidedPeer(f"{to}Groups", "cloud provider groups are resolved at run time", "outside",
                              f"{to}Groups ({rule.groups})"),)
    if rule.ports is None and not rule.icmps:
        return (NoPeer("no peer", "the rule has no L3 field and no toPorts: it selects no peer (it only switches "
                       "default deny on)"),)
    return None  # L4 only: every peer


def _port_matchers(port: CiliumPort, l7: str | None) -> list[PortMatcher]:
    text = port.describe()
    if isinstance(port.port, str):
        protocol = port.protocol.protocol
        if port.protocol not in (L4Proto.ANY, L4Proto.TCP, L4Proto.UDP, L4Proto.SCTP):
            return [NoConnectionPort(text, f"protocol {port.protocol.value}")]
        return [CiliumNamedPort(port.port, protocol, text, l7)]
    protocols = [p for p in Protocol] if port.protocol is L4Proto.ANY else (
        [port.protocol.protocol] if port.protocol.protocol is not None else [])
    if not protocols:
        return [NoConnectionPort(text, f"protocol {port.protocol.value}")]
    start = None if port.port == 0 else port.port
    end = port.end_port if start is not None and port.end_port is not None and port.end_port > port.port else None
    return [CiliumPortRange(p, start, end, text, l7) for p in protocols]


def _ports(rule: CiliumPeerRule) -> tuple[PortMatcher, ...] | None:
    if rule.icmps:
        return (NoConnectionPort("icmps", "the rule is about ICMP only"),)
    if rule.ports is None:
        return None
    found: list[PortMatcher] = []
    for entry in rule.ports:
        for port in entry.ports:
            found.extend(_port_matchers(port, entry.l7))
    if not found:
        return (NoConnectionPort("toPorts without ports", "its toPorts entries list no ports"),)
    return tuple(found)


def _compile_rule(policy: CiliumPolicy, rule: CiliumRule, cluster: Cluster) -> CiliumCompiledPolicy:
    assert rule.endpoint_selector is not None
    selector = normalize(rule.endpoint_selector)
    if policy.namespace is not None:
        selector = with_terms(selector, in_namespace(policy.namespace))
    subject = IdentitySubject(policy.namespace, IdentitySelector.of(selector),
                              f"endpointSelector {rule.endpoint_selector.describe()}")
    compiled: dict[Direction, list[CiliumCompiledRule]] = defaultdict(list)
    for direction in Direction:
        for name, rules in rule.lists(direction):
            action = Action.DENY if name.endswith("Deny") else Action.ALLOW
            section = policy.section(rule, name)
            for j, peer_rule in enumerate(rules):
                condition = (f"mutual authentication ({peer_rule.authentication})"
                             if peer_rule.authentication not in (None, "disabled") else None)
                compiled[direction].append(CiliumCompiledRule(
                    j, action, _peers(peer_rule, policy.namespace, direction is Direction.EGRESS, cluster),
                    _ports(peer_rule), action, "Deny" if action is Action.DENY else None, section=section,
                    condition=condition))
        if rule.enables_default_deny(direction) and not rule.has_section(direction):
            # enableDefaultDeny without any rule: the rule still isolates.
            compiled[direction].append(_isolating_rule(policy.section(rule, direction.value)))
    default_deny = frozenset(d for d in Direction if rule.enables_default_deny(d))
    directions = frozenset(d for d in Direction if compiled[d])
    rank = 1 if policy.kind == CCNP_KIND else 2
    return CiliumCompiledPolicy(policy.kind, policy.namespace, policy.name, subject,
                                tuple(compiled[Direction.INGRESS]), tuple(compiled[Direction.EGRESS]), directions,
                                None, (rank, policy.name, rule.index or 0), default_deny=default_deny, spec=rule.index)


def _isolating_rule(section: tuple[str | int, ...]) -> CiliumCompiledRule:
    """Cilium's reading of "isolated, no rules": one rule `{}` that selects nothing."""
    return CiliumCompiledRule(0, Action.ALLOW, (NoPeer("{} (implicit)", "no rules: Cilium reads this as one rule "
                                                       "`{}` that selects no peer, so nothing is allowed"),),
                              None, Action.ALLOW, None, None, None, section)


# -- Kubernetes NetworkPolicy, read the Cilium way ----------------------------------------------------


def _np_peer(peer: NetworkPolicyPeer, namespace: str) -> PeerMatcher:
    if peer.ip_block is not None:
        return CIDRPeer((peer.ip_block,), peer.describe())
    terms: list[Requirement] = []
    if peer.namespace_selector is not None:
        ns = peer.namespace_selector
        terms.extend(Requirement(NAMESPACE_LABELS + k, Operator.IN, (v,)) for k, v in ns.match_labels)
        terms.extend(Requirement(NAMESPACE_LABELS + r.key, r.operator, r.values) for r in ns.match_expressions)
        if ns.is_empty:
            terms.append(IN_ANY_NAMESPACE)
    else:
        terms.append(in_namespace(namespace))
    pods = normalize(peer.pod_selector) if peer.pod_selector is not None else LabelSelector()
    return IdentityPeer(IdentitySelector.of(with_terms(pods, *terms)), peer.describe())


def _np_port(port: NetworkPolicyPort) -> PortMatcher:
    if isinstance(port.port, str):
        return CiliumNamedPort(port.port, port.protocol, port.describe())
    return CiliumPortRange(port.protocol, port.port, port.end_port, port.describe())


def compile_network_policy(policy: NetworkPolicy) -> tuple[CiliumCompiledPolicy, list[UnevaluatedPolicy]]:
    """pkg/k8s/network_policy.go ParseNetworkPolicy: each rule an allow; isolation is default deny; an
    ipBlock is a CIDR rule (outside addresses only); selectors read identities."""
    rules: dict[Direction, tuple[CiliumCompiledRule, ...]] = {}
    directions = frozenset(d for d in Direction if d.policy_type in policy.policy_types)
    doubts: list[UnevaluatedPolicy] = []
    for direction in Direction:
        written = policy.rules(direction.policy_type)
        if direction not in directions:
            if written:
                # Cilium's converter reads rules whatever policyTypes says (versions differ): unknown.
                doubts.append(UnevaluatedPolicy(
                    "NetworkPolicy", "networking.k8s.io/v1", policy.namespace, policy.name,
                    f"it has {direction.value} rules but policyTypes omits {direction.policy_type.value}: the API "
                    "ignores them, Cilium's converter may apply them", Tier.PLUGIN, frozenset({direction})))
            rules[direction] = ()
            continue
        compiled = []
        for i, rule in enumerate(written):
            if rule.unknown is not None:
                compiled.append(CiliumCompiledRule(i, Action.ALLOW, None, None, Action.ALLOW, fail_closed=rule.unknown))
                continue
            compiled.append(CiliumCompiledRule(
                i, Action.ALLOW, tuple(_np_peer(p, policy.namespace) for p in rule.peers) or None,
                tuple(_np_port(p) for p in rule.ports) or None, Action.ALLOW))
        if not compiled:
            compiled.append(_isolating_rule(("spec", direction.value)))
        rules[direction] = tuple(compiled)
    selector = with_terms(normalize(policy.pod_selector), in_namespace(policy.namespace))
    subject = IdentitySubject(policy.namespace, IdentitySelector.of(selector),
                              f"podSelector {policy.pod_selector.describe()}")
    compiled_policy = CiliumCompiledPolicy(
        "NetworkPolicy", policy.namespace, policy.name, subject, rules[Direction.INGRESS], rules[Direction.EGRESS],
        directions, None, (3, policy.name, 0), policy.policy_types_defaulted and not policy.ingress and bool(policy.egress),
        default_deny=directions)
    return compiled_policy, doubts


# -- the program ----------------------------------------------------------------------------------------


def _host_policy(policy: CiliumPolicy, rule: CiliumRule) -> HostPolicy:
    assert rule.node_selector is not None
    where = "spec" if rule.index is None else f"specs[{rule.index}]"
    return HostPolicy(f"{policy.kind} {policy.key} {where}", rule.node_selector,
                      frozenset(d for d in Direction if rule.has_section(d) or rule.enables_default_deny(d)))


def _is_cilium(unevaluated: UnevaluatedPolicy) -> bool:
    return unevaluated.api_version.startswith(f"{CILIUM_GROUP}/") or unevaluated.kind.startswith("Cilium")


def compile_cilium(cluster: Cluster) -> Program:
    """The program every verdict and matrix of the cilium profile walks."""
    loaded = {(p.kind, p.namespace, p.name) for p in cluster.cilium_policies}
    cilium_unevaluated = [u for u in cluster.unevaluated if _is_cilium(u) and (u.kind, u.namespace, u.name) not in loaded]
    knp_unevaluated = [u for u in cluster.unevaluated if u.tier is Tier.NETWORK_POLICY]
    others = tuple(u for u in cluster.unevaluated if not _is_cilium(u) and u.tier is not Tier.NETWORK_POLICY)
    rest = replace(cluster, unevaluated=others)

    policies: list[CiliumCompiledPolicy] = []
    hosts: list[HostPolicy] = []
    doubts: list[UnevaluatedPolicy] = []
    for knp in cluster.network_policies:
        compiled, found = compile_network_policy(knp)
        policies.append(compiled)
        doubts.extend(found)
    for cnp in cluster.cilium_policies:
        for rule in cnp.rules:
            if rule.node_selector is not None:
                hosts.append(_host_policy(cnp, rule))
            else:
                policies.append(_compile_rule(cnp, rule, cluster))
    policies.sort(key=lambda p: p.order)
    unreadable: dict[str | None, str] = {}
    for gap in cluster.unreadable:
        if gap.resource in _RESOURCES and gap.hides_objects:
            unreadable.setdefault(gap.namespace, gap.reason)
    by_namespace: dict[str, list[CiliumCompiledPolicy]] = defaultdict(list)
    cluster_wide = []
    for policy in policies:
        if policy.subject.namespace is None:
            cluster_wide.append(policy)
        else:
            by_namespace[policy.subject.namespace].append(policy)
    cilium = CiliumTier(Tier.PLUGIN, Mode.DENY_WINS, tuple(policies), {k: tuple(v) for k, v in by_namespace.items()},
                        tuple(cluster_wide), unreadable, (*cilium_unevaluated, *knp_unevaluated, *doubts),
                        label=CILIUM_LABEL, host_policies=tuple(hosts))
    admin = [base.compile_admin_policy(p) for p in cluster.admin_policies]
    tiers = [
        base._tier(rest, Tier.PLUGIN, Mode.FIRST_MATCH, (), loopback=True),
        base._tier(rest, Tier.ADMIN, Mode.FIRST_MATCH, (p for p, a in zip(admin, cluster.admin_policies, strict=True)
                                                        if a.tier is AdminTier.ADMIN), loopback=True),
        cilium,
        base._tier(rest, Tier.BASELINE, Mode.FIRST_MATCH, (p for p, a in zip(admin, cluster.admin_policies, strict=True)
                                                           if a.tier is AdminTier.BASELINE)),
    ]
    return Program(tuple(t for t in tiers if t is not None))

