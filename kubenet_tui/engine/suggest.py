"""The smallest policy change that would allow a blocked connection, derived from the explanation.

Preference order, smallest first: add the missing port to a rule whose peer already matches; add the
missing peer to a rule whose port already matches; otherwise a new NetworkPolicy for exactly this
flow. Decisions of the admin tier cannot be changed from a namespace: say who can.
"""

from __future__ import annotations

from typing import Any

from kubenet_tui.engine.explain import Direction, DirectionVerdict, Outcome, Suggestion, Tier, TierResult
from kubenet_tui.engine.model import NAMESPACE_NAME_LABEL, IPAddress, Pod, Protocol
from kubenet_tui.engine.profiles import Profile

# Labels that usually name a workload; the first present one makes a readable, stable selector.
_IDENTITY_LABELS = ("app.kubernetes.io/name", "app", "k8s-app", "name", "role", "component")


def _identity_selector(pod: Pod) -> dict[str, str]:
    for key in _IDENTITY_LABELS:
        if key in pod.labels:
            return {key: pod.labels[key]}
    return dict(sorted(pod.labels.items()))


def _port_entry(protocol: Protocol, port: int | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"protocol": protocol.value}
    if port is not None:
        entry["port"] = port
    return entry


def _peer_entry(subject: Pod, peer_pod: Pod | None, peer_ips: tuple[IPAddress, ...]) -> dict[str, Any]:
    # A pod without labels cannot be picked out by a selector (`{}` would mean every pod): its IP
    # can, until the pod is replaced.
    if peer_pod is None or not peer_pod.labels:
        ip = peer_ips[0]
        return {"ipBlock": {"cidr": f"{ip}/{ip.max_prefixlen}"}}
    entry: dict[str, Any] = {"podSelector": {"matchLabels": _identity_selector(peer_pod)}}
    if peer_pod.namespace != subject.namespace:
        entry["namespaceSelector"] = {"matchLabels": {NAMESPACE_NAME_LABEL: peer_pod.namespace}}
    return entry


def suggest(
    verdict: DirectionVerdict,
    subject: Pod,
    peer_pod: Pod | None,
    peer_ips: tuple[IPAddress, ...],
    protocol: Protocol,
    port: int | None,
    profile: Profile = Profile.UPSTREAM,
) -> tuple[Suggestion, ...]:
    """Changes that would allow the blocked direction `verdict` at `subject` (empty if not blocked),
    as the policies of `profile` are written."""
    if verdict.allowed is not False:
        return ()
    decision = None
    if verdict.decided_by is Tier.PLUGIN:  # a plugin's own policy: Cilium's dialect is loaded only then
        from kubenet_tui.engine.dialects.cilium_suggest import cilium_decision, suggest_cilium

        decision = cilium_decision(verdict)
    if decision is not None:  # the cilium profile: answer in Cilium's own policy
        own = suggest_cilium(verdict, decision, subject, peer_pod, peer_ips, protocol, port)
        if decision.deciding:  # a deny rule: no allow, widened or new, opens it
            return own
        # Under default deny, allows add up on Cilium as upstream: a NetworkPolicy rule that nearly
        # matches is widened just as well, and is the nearer change.
        return (*_widenings(decision, subject, peer_pod, peer_ips, protocol, port, verdict.direction), *own)
    if profile is Profile.CALICO:
        from kubenet_tui.engine.dialects.calico_explain import calico_suggestions

        own, upstream_too = calico_suggestions(verdict, subject, peer_pod, peer_ips, protocol, port)
        if not upstream_too:
            return own
        return own + _upstream(verdict, subject, peer_pod, peer_ips, protocol, port, bool(own))
    return _upstream(verdict, subject, peer_pod, peer_ips, protocol, port, False)


def _upstream(
    verdict: DirectionVerdict,
    subject: Pod,
    peer_pod: Pod | None,
    peer_ips: tuple[IPAddress, ...],
    protocol: Protocol,
    port: int | None,
    after_others: bool,
) -> tuple[Suggestion, ...]:
    direction = verdict.direction
    peer_word = "from" if direction is Direction.INGRESS else "to"
    peer_name = peer_pod.key if peer_pod else str(peer_ips[0])
    port_text = f"{port}/{protocol.value}" if port is not None else f"all {protocol.value} ports"
    if verdict.decided_by is Tier.ADMIN:
        ref = verdict.deciding_rules[0]
        return (
            Suggestion(
                direction,
                "admin",
                f"{ref.kind} {ref.name} rule {ref.rule_name or ref.rule} denies it in the admin tier, which no "
                f"NetworkPolicy can override: a cluster admin must add an Allow or Pass rule for {peer_name} "
                f"before it (or in a policy with a lower priority number than this one)",
            ),
        )
    found: list[Suggestion] = []
    netpol = next((t for t in verdict.tiers if t.tier is Tier.NETWORK_POLICY and t.outcome is Outcome.DENY), None)
    if netpol is not None:
        isolating = [p for p in netpol.policies if p.selects]
        if isolating and all(p.ingress_by_default for p in isolating):
            # The policyTypes trap: the pod is isolated for ingress only by policies meant for egress.
            names = ", ".join(p.key for p in isolating)
            found.append(Suggestion(
                direction, "policy-types",
                f"set `policyTypes: [Egress]` on {names}: {'it has' if len(isolating) == 1 else 'they have'} egress "
                "rules only, but without policyTypes the API defaults to [Ingress, Egress], which also isolates "
                f"{subject.key} for ingress and lets nothing in",
                isolating[0].key, None, {"spec": {"policyTypes": ["Egress"]}},
            ))
        found.extend(_widenings(netpol, subject, peer_pod, peer_ips, protocol, port, direction))
    rule_body: dict[str, Any] = {peer_word: [_peer_entry(subject, peer_pod, peer_ips)]}
    if port is not None:
        rule_body["ports"] = [_port_entry(protocol, port)]
    peer_slug = (peer_pod.name if peer_pod else str(peer_ips[0]).replace(":", "-").replace(".", "-"))[:30]
    name = f"allow-{direction.value}-{peer_slug}-{port if port is not None else 'all'}"
    policy_type = "Ingress" if direction is Direction.INGRESS else "Egress"
    manifest: dict[str, Any] = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": subject.namespace},
        "spec": {
            "podSelector": {"matchLabels": _identity_selector(subject)},
            "policyTypes": [policy_type],
            direction.value: [rule_body],
        },
    }
    why = "NetworkPolicies add up, so this allows the flow without touching existing ones"
    if verdict.decided_by is Tier.BASELINE:
        # A new NetworkPolicy isolates the pod for everything else too: say so, it is not free.
        why = ("a NetworkPolicy selecting the pod takes precedence over the baseline tier; note it isolates "
               "the pod, so other traffic in this direction then needs rules too")
    summary = f"create NetworkPolicy {subject.namespace}/{name} allowing {peer_name} on {port_text} ({why})"
    if not subject.labels:
        manifest["spec"]["podSelector"] = {"matchLabels": {"app": subject.name}}
        summary += (f"; {subject.key} has no labels, so first label it: kubectl label pod -n {subject.namespace} "
                    f"{subject.name} app={subject.name}")
    if peer_pod is not None and not peer_pod.labels:
        summary += f"; {peer_name} has no labels, so it is named by its IP, which changes when the pod is replaced"
    found.append(Suggestion(direction, "new-policy", ("or " if found or after_others else "") + summary, None, None,
                            manifest))
    return tuple(found)


def _widenings(tier: TierResult, subject: Pod, peer_pod: Pod | None, peer_ips: tuple[IPAddress, ...],
               protocol: Protocol, port: int | None, direction: Direction) -> list[Suggestion]:
    """NetworkPolicy rules of `tier` that match the peer but not the port, or the port but not the
    peer: the nearest misses, and widening one of them is the smallest change."""
    peer_word = "from" if direction is Direction.INGRESS else "to"
    peer_name = peer_pod.key if peer_pod else str(peer_ips[0])
    port_text = f"{port}/{protocol.value}" if port is not None else f"all {protocol.value} ports"
    found: list[Suggestion] = []
    for policy in (p for p in tier.policies if p.selects):
        if policy.kind != "NetworkPolicy":
            continue  # another dialect's policy: its own suggestions
        for rule in policy.rules:
            peer_ok = any(c.matched for c in rule.peers)
            port_ok = any(c.matched for c in rule.ports)
            if peer_ok and not port_ok:
                peers = ", ".join(c.description for c in rule.peers)
                found.append(Suggestion(
                    direction, "add-port",
                    f"add {port_text} to the ports of {policy.key} {direction.value}[{rule.index}], "
                    f"which already matches {peer_name}; note this opens {port_text} to every peer of that rule "
                    f"({peers}), not only {peer_name}",
                    policy.key, rule.index, {"ports": [_port_entry(protocol, port)]},
                ))
            elif port_ok and not peer_ok:
                ports = ", ".join(c.description for c in rule.ports)
                widens = f"; note {peer_name} then gets every port of that rule ({ports})" if (
                    len(rule.ports) > 1 or rule.ports[0].index is None) else ""
                found.append(Suggestion(
                    direction, "add-peer",
                    f"add {peer_name} to the `{peer_word}` list of {policy.key} {direction.value}[{rule.index}], "
                    f"which already allows {port_text}{widens}",
                    policy.key, rule.index, {peer_word: [_peer_entry(subject, peer_pod, peer_ips)]},
                ))
    return found
