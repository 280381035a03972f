"""The cluster-scoped tiers (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy).

SEMANTICS.md section 5: policies whose subject selects the pod, by priority; rules in written order;
the first rule whose peers and ports match decides.
"""

from __future__ import annotations

from collections.abc import Mapping

from kubenet_tui.engine.cluster import ClusterIndex
from kubenet_tui.engine.explain import (
    Caveat,
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
    AdminAction,
    AdminPeer,
    AdminPolicy,
    AdminPort,
    AdminRule,
    AdminSubject,
    LabelSelector,
    NamespacedPods,
    Pod,
)
from kubenet_tui.engine.netpol import PeerView, PortQuery, named_port_check
from kubenet_tui.engine.selectors import namespace_selector_unknown, selector_mismatch

_OUTCOME = {AdminAction.ALLOW: Outcome.ALLOW, AdminAction.DENY: Outcome.DENY, AdminAction.PASS: Outcome.PASS}


def _pods_mismatch(
    pods: NamespacedPods, pod: Pod, namespace_labels: Mapping[str, str]
) -> str | None:
    why_not = selector_mismatch(pods.namespace_selector, namespace_labels)
    if why_not is not None:
        return f"namespace {pod.namespace}: {why_not}"
    why_not = selector_mismatch(pods.pod_selector, pod.labels)
    if why_not is not None:
        return f"pod {pod.key}: {why_not}"
    return None


def _namespace_unknown(selector: LabelSelector, pod: Pod, gap: str | None) -> str | bool | None:
    """With unreadable namespace labels: a mismatch reason, None (matches by name), True (unknown).
    False when the labels are known and the ordinary check applies."""
    if gap is None:
        return False
    decided = namespace_selector_unknown(selector, pod.namespace)
    if isinstance(decided, str):
        return f"namespace {pod.namespace}: {decided}"
    return decided


def subject_mismatch(
    subject: AdminSubject, pod: Pod, namespace_labels: Mapping[str, str], gap: str | None = None
) -> str | bool | None:
    """None when the subject selects `pod`, else why not; True when it cannot be told (the pod's
    namespace labels could not be read). Host-network pods are never subjects."""
    if pod.host_network:
        return f"{pod.key} uses the host network; admin policies never select such pods"
    selector = subject.namespaces if subject.namespaces is not None else (
        subject.pods.namespace_selector if subject.pods is not None else None)
    if selector is not None:
        unknown = _namespace_unknown(selector, pod, gap)
        if unknown is not False:
            if isinstance(unknown, str) or subject.pods is None:
                return unknown
            if unknown is True:
                why_not = selector_mismatch(subject.pods.pod_selector, pod.labels)
                return f"pod {pod.key}: {why_not}" if why_not else True
    if subject.namespaces is not None:
        why_not = selector_mismatch(subject.namespaces, namespace_labels)
        return None if why_not is None else f"namespace {pod.namespace}: {why_not}"
    if subject.pods is not None:
        return _pods_mismatch(subject.pods, pod, namespace_labels)
    return "the subject selects nothing"


def admin_peer_check(
    peer: AdminPeer,
    index: int,
    action: AdminAction,
    direction: Direction,
    other: PeerView,
    cluster: ClusterIndex,
) -> Check:
    desc = peer.describe()
    if peer.unknown is not None:
        # Fail closed, as the API demands for peer forms an implementation does not understand.
        matched = action is not AdminAction.ALLOW
        verb = "matches everything" if matched else "matches nothing"
        what = (
            "domainNames peers name DNS names, which cannot be resolved offline"
            if peer.unknown == "domainNames"
            else f"peer form {peer.unknown!r} is not understood"
        )
        return Check(index, matched, desc, f"{what}: for {action.value} it {verb} (fail closed)")
    if peer.networks is not None:
        for net in peer.networks:
            for ip in other.ips:
                if ip.version == net.version and ip in net:
                    return Check(index, True, desc, f"{ip} is inside {net}")
        return Check(index, False, desc, f"{other.name} is in none of the networks")
    if peer.nodes is not None:
        nodes_gap = cluster.unreadable_for("nodes", None)
        if nodes_gap is not None and not any(ip in cluster.node_by_ip for ip in other.ips):
            return Check(index, False, desc, f"Nodes could not be read ({nodes_gap.reason}): cannot tell whether "
                                             f"{other.name} is a node", unknown=True)
        for ip in other.ips:
            node = cluster.node_by_ip.get(ip)
            if node is not None:
                why_not = selector_mismatch(peer.nodes, node.labels)
                if why_not is None:
                    return Check(index, True, desc, f"{ip} is node {node.name}, which matches")
                return Check(index, False, desc, f"{ip} is node {node.name}: {why_not}")
        return Check(index, False, desc, f"{other.name} is not a known node address")
    pod = other.pod
    if pod is None or other.namespace_labels is None:
        return Check(index, False, desc, f"{other.name} is not a pod: only networks/nodes peers match it")
    if pod.host_network:
        return Check(index, False, desc, f"{pod.key} uses the host network; admin policy peers exclude it")
    selector = peer.namespaces if peer.namespaces is not None else (
        peer.pods.namespace_selector if peer.pods is not None else None)
    if selector is not None:
        unknown = _namespace_unknown(selector, pod, other.namespace_gap)
        if isinstance(unknown, str):
            return Check(index, False, desc, unknown)
        if unknown is True:
            if peer.pods is not None:
                why_not = selector_mismatch(peer.pods.pod_selector, pod.labels)
                if why_not is not None:
                    return Check(index, False, desc, f"pod {pod.key}: {why_not}")
            return Check(index, False, desc, f"the labels of namespace {pod.namespace} could not be read "
                                             f"({other.namespace_gap}): cannot tell", unknown=True)
    if peer.namespaces is not None:
        why_not = selector_mismatch(peer.namespaces, other.namespace_labels)
        if why_not is not None:
            return Check(index, False, desc, f"namespace {pod.namespace}: {why_not}")
        return Check(index, True, desc, f"namespace {pod.namespace} matches")
    if peer.pods is not None:
        why_not = _pods_mismatch(peer.pods, pod, other.namespace_labels)
        if why_not is not None:
            return Check(index, False, desc, why_not)
        return Check(index, True, desc, f"pod {pod.key} matches")
    return Check(index, False, desc, "empty peer matches nothing")


def admin_port_check(
    port: AdminPort, index: int, query: PortQuery, destination: Pod | None, denies: bool = False
) -> Check:
    """Does one port entry cover the connection? Asked about every port (no port given), an entry
    that names some ports cannot answer "all allowed"; in a rule that denies, it answers "not all
    allowed", so the rule matches: some port is denied."""
    desc = port.describe()
    some_denied = f"denies {desc}, so not every port is allowed"
    if port.named_port is not None:
        if query.port is None:
            if denies:
                return Check(index, True, desc, some_denied)
            return Check(index, False, desc, f"only {desc}; the question is about every port")
        if destination is None:
            return Check(index, False, desc, f"named port {port.named_port!r} never matches an outside endpoint")
        # A named port carries its protocol on the container port: the connection's protocol decides.
        return named_port_check(port.named_port, query.protocol, index, desc, query, destination)
    if port.protocol is not query.protocol:
        return Check(index, False, desc, f"protocol {port.protocol.value}, the connection is {query.protocol.value}")
    if port.port is None:
        return Check(index, True, desc, f"every {port.protocol.value} port")
    if query.port is None:
        if denies:
            return Check(index, True, desc, some_denied)
        return Check(index, False, desc, f"only {desc}; the question is about every port")
    high = port.end_port if port.end_port is not None else port.port
    if port.port <= query.port <= high:
        return Check(index, True, desc, f"port {query.port} matches")
    return Check(index, False, desc, f"{desc} does not include {query.port}")


def _effective_action(rule: AdminRule) -> AdminAction:
    """The action a rule really has. A peer form this engine does not know makes the whole rule
    fail closed, as the API specifies: Allow/Accept then matches nothing, and Deny or Pass
    become "deny all"."""
    if any(p.unknown is not None for p in rule.peers) and rule.action is not AdminAction.ALLOW:
        return AdminAction.DENY
    return rule.action


def admin_rule_explanation(
    rule: AdminRule,
    index: int,
    direction: Direction,
    other: PeerView,
    query: PortQuery,
    destination: Pod | None,
    cluster: ClusterIndex,
) -> RuleExplanation:
    peers = tuple(
        admin_peer_check(p, i, rule.action, direction, other, cluster) for i, p in enumerate(rule.peers)
    )
    if rule.ports is None:
        ports: tuple[Check, ...] = (Check(None, True, "every port", "the rule lists no ports: every port and protocol"),)
    else:
        denies = _effective_action(rule) is AdminAction.DENY
        ports = tuple(admin_port_check(p, i, query, destination, denies) for i, p in enumerate(rule.ports))
    unknown = next((p.unknown for p in rule.peers if p.unknown is not None), None)
    if unknown is not None:
        if rule.action is AdminAction.ALLOW:
            reason = f"fail closed: peer form {unknown!r} is not understood, so this {rule.action_text} rule matches nothing"
            return RuleExplanation(index, False, peers, ports, reason, rule.action_text, rule.name or None)
        reason = (f"fail closed: peer form {unknown!r} is not understood, so this {rule.action_text} rule "
                  "denies all traffic")
        action = rule.action_text if rule.action is AdminAction.DENY else f"Deny (fail closed, written {rule.action_text})"
        return RuleExplanation(index, True, peers, ports, reason, action, rule.name or None)
    peer_ok = any(c.matched for c in peers)
    port_ok = any(c.matched for c in ports)
    if not peer_ok and port_ok and any(c.unknown for c in peers):
        return RuleExplanation(index, False, peers, ports, "might match: a peer depends on data that could not be read",
                               rule.action_text, rule.name or None, unknown=True)
    if peer_ok and port_ok:
        reason = f"matches: {rule.action_text}"
    elif not peer_ok:
        reason = f"no peer matches {other.name}"
    else:
        reason = "the peer matches but no port does"
    return RuleExplanation(index, peer_ok and port_ok, peers, ports, reason, rule.action_text, rule.name or None)


def _first_match(
    policy: AdminPolicy,
    direction: Direction,
    other: PeerView,
    query: PortQuery,
    destination: Pod | None,
    cluster: ClusterIndex,
) -> tuple[list[RuleExplanation], RuleExplanation | None]:
    """Rules in written order up to the first that matches (the rest are never reached)."""
    rules: list[RuleExplanation] = []
    for i, rule in enumerate(policy.rules(direction.policy_type)):
        explanation = admin_rule_explanation(rule, i, direction, other, query, destination, cluster)
        rules.append(explanation)
        if explanation.matched or explanation.unknown:
            return rules, explanation
    return rules, None


def evaluate_admin_tier(
    tier: Tier,
    policies: tuple[AdminPolicy, ...],
    cluster: ClusterIndex,
    pod: Pod,
    direction: Direction,
    other: PeerView,
    query: PortQuery,
    destination: Pod | None,
) -> tuple[TierResult, tuple[Caveat, ...]]:
    """Run one cluster-scoped tier at `pod`; `policies` come sorted by priority."""
    ns_labels = cluster.namespace_labels(pod.namespace)
    ns_gap = cluster.namespace_labels_unreadable(pod.namespace)
    explanations: list[PolicyExplanation] = []
    selecting: list[AdminPolicy] = []

    def selects(policy: AdminPolicy) -> str | bool | None:
        return subject_mismatch(policy.subject, pod, ns_labels, ns_gap.reason if ns_gap else None)

    # One pass in precedence order: a policy that may or may not apply matters only if no policy
    # before it has decided.
    for policy in policies:
        why_not = selects(policy)
        if why_not is True:
            if not policy.rules(direction.policy_type):
                continue
            explanations.append(PolicyExplanation(
                policy.kind, None, policy.name, False,
                f"may select {pod.key}: the labels of namespace {pod.namespace} could not be read", (), policy.priority,
            ))
            return TierResult(tier, Outcome.UNKNOWN, f"{tier.value} policy {policy.name} may apply to {pod.key}, "
                              f"but the labels of namespace {pod.namespace} could not be read", (),
                              tuple(explanations)), ()
        if isinstance(why_not, str):
            explanations.append(
                PolicyExplanation(policy.kind, None, policy.name, False, f"subject does not select {pod.key}: {why_not}", (), policy.priority)
            )
            continue
        selecting.append(policy)
        rules, decided = _first_match(policy, direction, other, query, destination, cluster)
        explanations.append(
            PolicyExplanation(
                policy.kind, None, policy.name, True,
                f"subject {policy.subject.describe()} selects {pod.key}",
                tuple(rules), policy.priority,
            )
        )
        if decided is not None and decided.unknown:
            return TierResult(tier, Outcome.UNKNOWN, f"{policy.name} {direction.value}[{decided.index}] might match, "
                              "depending on data that could not be read", (), tuple(explanations)), ()
        if decided is not None:
            rule = policy.rules(direction.policy_type)[decided.index]
            action = _effective_action(rule)
            ref = RuleRef(
                policy.kind, None, policy.name, direction, decided.index,
                decided.matched_peer, decided.matched_port, rule.name or None, decided.action,
            )
            outcome = _OUTCOME[action]
            verb = {Outcome.ALLOW: "allowed", Outcome.DENY: "denied", Outcome.PASS: "passed on"}[outcome]
            rivals = [p for p in policies if p is not policy and p.priority == policy.priority and selects(p) is None]
            caveats = _ambiguity(tier, policy, rivals, pod, direction, other, query, destination, cluster)
            return (
                TierResult(tier, outcome, f"{verb} by {ref.label()} ({decided.action})", (ref,), tuple(explanations)),
                caveats,
            )
    if not selecting:
        summary = f"no {tier.value} policy selects {pod.key}"
    else:
        summary = f"no {direction.value} rule of the {tier.value} policies selecting {pod.key} matches"
    return TierResult(tier, Outcome.NO_DECISION, summary, (), tuple(explanations)), ()


def _ambiguity(
    tier: Tier,
    decider: AdminPolicy,
    rivals: list[AdminPolicy],
    pod: Pod,
    direction: Direction,
    other: PeerView,
    query: PortQuery,
    destination: Pod | None,
    cluster: ClusterIndex,
) -> tuple[Caveat, ...]:
    """Equal priorities are ambiguous only when another policy could match this same connection."""
    matching = [p.name for p in rivals if _first_match(p, direction, other, query, destination, cluster)[1] is not None]
    if not matching:
        return ()
    return (
        Caveat(
            "ambiguous-priority",
            f"{tier.value} policies {decider.name} and {', '.join(matching)} share priority {decider.priority} and "
            f"all match this {direction.value} connection at {pod.key}: implementations may apply any of them; "
            "this tool applies them in name order",
        ),
    )
