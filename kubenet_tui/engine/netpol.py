"""The NetworkPolicy (networking.k8s.io/v1) tier: selection, isolation and the union of rules.

Each function mirrors a paragraph of SEMANTICS.md section 3 and returns its reasons, not a bare bool.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kubenet_tui.engine.cluster import ClusterIndex
from kubenet_tui.engine.explain import (
    Check,
    Direction,
    Outcome,
    PolicyExplanation,
    RuleExplanation,
    RuleRef,
    Tier,
    TierResult,
)
from kubenet_tui.engine.model import (
    IPAddress,
    IPBlock,
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    NetworkPolicyRule,
    Pod,
    Protocol,
)
from kubenet_tui.engine.selectors import namespace_selector_unknown, selector_matches, selector_mismatch

NETWORK_POLICY_KIND = "NetworkPolicy"


@dataclass(frozen=True, slots=True)
class PortQuery:
    """The connection's protocol and destination port; `port` None asks about every port."""

    protocol: Protocol
    port: int | None


@dataclass(frozen=True, slots=True)
class PeerView:
    """The other end of the connection as a policy sees it: a pod (with its namespace's labels)
    or an address outside the cluster."""

    pod: Pod | None
    namespace_labels: Mapping[str, str] | None
    ips: tuple[IPAddress, ...]
    # Why the pod's namespace labels are unknown (RBAC); None when they were read.
    namespace_gap: str | None = None

    @property
    def name(self) -> str:
        return self.pod.key if self.pod is not None else ", ".join(str(ip) for ip in self.ips)


def ip_block_check(block: IPBlock, ips: tuple[IPAddress, ...]) -> tuple[bool, str]:
    """Whether any of `ips` lies in `block.cidr` and outside every except, with the reason."""
    reasons = []
    for ip in ips:
        if ip.version != block.cidr.version:
            reasons.append(f"{ip} is IPv{ip.version}, the block is IPv{block.cidr.version}")
            continue
        if ip not in block.cidr:
            reasons.append(f"{ip} is outside {block.cidr}")
            continue
        hole = next((e for e in block.excepts if ip in e), None)
        if hole is not None:
            reasons.append(f"{ip} is inside {block.cidr} but in the except {hole}")
            continue
        return True, f"{ip} is inside {block.cidr}" + (
            " and outside the excepts" if block.excepts else ""
        )
    return False, "; ".join(reasons) if reasons else "no IP address to compare"


def peer_check(
    peer: NetworkPolicyPeer, index: int, policy: NetworkPolicy, other: PeerView
) -> Check:
    """Does one `from`/`to` entry of `policy` cover the other end of the connection?"""
    desc = peer.describe()
    if peer.ip_block is not None:
        matched, reason = ip_block_check(peer.ip_block, other.ips)
        return Check(index, matched, desc, reason)
    if other.pod is None or other.namespace_labels is None:
        return Check(
            index,
            False,
            desc,
            f"{other.name} is outside the cluster: only ipBlock peers match it",
        )
    pod = other.pod
    if peer.namespace_selector is None:
        # podSelector alone: pods of the policy's own namespace only.
        if pod.namespace != policy.namespace:
            return Check(
                index,
                False,
                desc,
                f"{pod.key} is in namespace {pod.namespace}; a podSelector without "
                f"namespaceSelector only selects pods in {policy.namespace}",
            )
    elif other.namespace_gap is not None:
        decided = namespace_selector_unknown(peer.namespace_selector, pod.namespace)
        if isinstance(decided, str):
            return Check(index, False, desc, f"namespace {pod.namespace}: {decided}")
        if decided is True:
            if peer.pod_selector is not None:
                why_not = selector_mismatch(peer.pod_selector, pod.labels)
                if why_not is not None:
                    return Check(index, False, desc, f"pod {pod.key}: {why_not}")
            return Check(index, False, desc, f"the labels of namespace {pod.namespace} could not be read "
                                             f"({other.namespace_gap}): cannot tell", unknown=True)
    else:
        why_not = selector_mismatch(peer.namespace_selector, other.namespace_labels)
        if why_not is not None:
            return Check(index, False, desc, f"namespace {pod.namespace}: {why_not}")
    if peer.pod_selector is not None:
        why_not = selector_mismatch(peer.pod_selector, pod.labels)
        if why_not is not None:
            return Check(index, False, desc, f"pod {pod.key}: {why_not}")
    if peer.pod_selector is None:
        return Check(index, True, desc, f"namespace {pod.namespace} matches")
    if peer.namespace_selector is None:
        return Check(index, True, desc, f"pod {pod.key} matches in the policy's namespace")
    return Check(index, True, desc, f"pod {pod.key} and namespace {pod.namespace} match")


def named_port_check(
    name: str, protocol: Protocol, index: int, desc: str, query: PortQuery, destination: Pod
) -> Check:
    """A named port matches when the destination pod declares that name (and protocol) for the
    connection's port number; several containers may declare the same name."""
    numbers = destination.named_ports(name, protocol)
    if not numbers:
        return Check(index, False, desc, f"named port {name!r} ({protocol.value}) not found on pod {destination.key}")
    shown = "/".join(str(n) for n in numbers)
    if query.port not in numbers:
        return Check(index, False, desc, f"named port {name!r} is {shown} on {destination.key}, "
                                         f"the connection is to {query.port}")
    return Check(index, True, desc, f"named port {name!r} is {query.port} on {destination.key}")


def port_check(
    port: NetworkPolicyPort, index: int, query: PortQuery, destination: Pod | None
) -> Check:
    """Does one `ports` entry cover the connection? Named ports resolve on the destination pod."""
    desc = port.describe()
    if port.protocol is not query.protocol:
        return Check(
            index, False, desc, f"protocol {port.protocol.value}, the connection is {query.protocol.value}"
        )
    if port.port is None:
        return Check(index, True, desc, f"every {port.protocol.value} port")
    if query.port is None:
        return Check(
            index,
            False,
            desc,
            f"only {desc}; the question is about every port (give a port to check one)",
        )
    if isinstance(port.port, str):
        if destination is None:
            return Check(
                index, False, desc, f"named port {port.port!r} never matches an outside endpoint"
            )
        return named_port_check(port.port, port.protocol, index, desc, query, destination)
    if port.end_port is not None:
        if port.port <= query.port <= port.end_port:
            return Check(index, True, desc, f"{query.port} is within {port.port}-{port.end_port}")
        return Check(index, False, desc, f"{query.port} is outside {port.port}-{port.end_port}")
    if port.port == query.port:
        return Check(index, True, desc, f"port {query.port} matches")
    return Check(index, False, desc, f"port {port.port}, the connection is to {query.port}")


def rule_explanation(
    rule: NetworkPolicyRule,
    index: int,
    policy: NetworkPolicy,
    other: PeerView,
    query: PortQuery,
    destination: Pod | None,
) -> RuleExplanation:
    if rule.unknown is not None:
        return RuleExplanation(index, False, (), (), f"fail closed: field(s) {rule.unknown} are not understood, so "
                                                     "this rule matches nothing")
    if rule.peers:
        peers = tuple(peer_check(p, i, policy, other) for i, p in enumerate(rule.peers))
    else:
        peers = (Check(None, True, "every peer", "the rule lists no peers: it matches every peer"),)
    if rule.ports:
        ports = tuple(port_check(p, i, query, destination) for i, p in enumerate(rule.ports))
    else:
        ports = (Check(None, True, "every port", "the rule lists no ports: it matches every port"),)
    peer_ok = any(c.matched for c in peers)
    port_ok = any(c.matched for c in ports)
    if not peer_ok and port_ok and any(c.unknown for c in peers):
        return RuleExplanation(index, False, peers, ports, "might match: a peer depends on data that could not be read",
                               unknown=True)
    if peer_ok and port_ok:
        reason = "peer and port match"
    elif not peer_ok and not port_ok:
        reason = f"no peer matches {other.name} and no port matches"
    elif not peer_ok:
        reason = f"no peer matches {other.name}"
    else:
        reason = "the peer matches but no port does"
    return RuleExplanation(index, peer_ok and port_ok, peers, ports, reason)


def evaluate_network_policies(
    index: ClusterIndex,
    pod: Pod,
    direction: Direction,
    other: PeerView,
    query: PortQuery,
    destination: Pod | None,
) -> TierResult:
    """SEMANTICS.md 3: is `pod` isolated in `direction`, and if so does some rule allow the peer?

    `destination` is the pod whose named ports apply (the pod itself for ingress, the peer pod
    for egress, None for an outside destination).
    """
    policy_type = direction.policy_type
    explanations: list[PolicyExplanation] = []
    deciding: list[RuleRef] = []
    isolating: list[str] = []
    for policy in index.policies_by_namespace.get(pod.namespace, ()):
        if policy_type not in policy.policy_types:
            continue
        why_not = selector_mismatch(policy.pod_selector, pod.labels)
        if why_not is not None:
            explanations.append(
                PolicyExplanation(
                    NETWORK_POLICY_KIND,
                    policy.namespace,
                    policy.name,
                    False,
                    f"does not select {pod.key}: {why_not}",
                )
            )
            continue
        isolating.append(policy.key)
        rules = tuple(
            rule_explanation(rule, i, policy, other, query, destination)
            for i, rule in enumerate(policy.rules(policy_type))
        )
        for rule in rules:
            if rule.matched:
                deciding.append(
                    RuleRef(
                        NETWORK_POLICY_KIND,
                        policy.namespace,
                        policy.name,
                        direction,
                        rule.index,
                        rule.matched_peer,
                        rule.matched_port,
                    )
                )
        selection = f"selects {pod.key} (podSelector {policy.pod_selector.describe()})"
        if not rules:
            selection += f"; it has no {direction.value} rules, so it allows nothing"
        explanations.append(
            PolicyExplanation(
                NETWORK_POLICY_KIND, policy.namespace, policy.name, True, selection, rules
            )
        )
    policies = tuple(explanations)
    if not isolating:
        return TierResult(
            Tier.NETWORK_POLICY,
            Outcome.NO_DECISION,
            f"{pod.key} is not isolated for {direction.value}: no NetworkPolicy with "
            f"{policy_type.value} in its policyTypes selects it",
            (),
            policies,
        )
    undecided = [
        f"{p.key} {direction.value}[{r.index}]" for p in explanations if p.selects for r in p.rules if r.unknown
    ]
    if not deciding and undecided:
        return TierResult(
            Tier.NETWORK_POLICY,
            Outcome.UNKNOWN,
            f"{pod.key} is isolated for {direction.value}; no rule surely matches, and "
            f"{', '.join(undecided)} might, depending on data that could not be read",
            (),
            policies,
        )
    if deciding:
        names = ", ".join(ref.label() for ref in deciding)
        return TierResult(
            Tier.NETWORK_POLICY,
            Outcome.ALLOW,
            f"allowed by {names}",
            tuple(deciding),
            policies,
        )
    return TierResult(
        Tier.NETWORK_POLICY,
        Outcome.DENY,
        f"{pod.key} is isolated for {direction.value} by {', '.join(isolating)}, "
        f"and no {direction.value} rule of {'it' if len(isolating) == 1 else 'them'} "
        f"matches {other.name} on this port",
        (),
        policies,
    )


def pod_is_isolated(index: ClusterIndex, pod: Pod, direction: Direction) -> tuple[str, ...]:
    """Keys of the NetworkPolicies that isolate `pod` in `direction` (empty: not isolated)."""
    return tuple(
        p.key
        for p in index.policies_for(pod.namespace, direction.policy_type)
        if selector_matches(p.pod_selector, pod.labels)
    )
