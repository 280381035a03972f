"""The smallest change that would allow a flow the Cilium tier blocks, written as Cilium policy.

A deny rule wins over every allow rule, so no allow can open what one denies: say which deny rule
to narrow instead. Under default deny, a CiliumNetworkPolicy rule for exactly this flow (allow rules
add up; default deny is already on, so nothing else changes).
"""

from __future__ import annotations

from typing import Any

from kubenet_tui.engine.dialects.cilium_match import POD_NAMESPACE, identity_label
from kubenet_tui.engine.dialects.cilium_model import CILIUM_LABEL, CNP_KIND
from kubenet_tui.engine.explain import Direction, DirectionVerdict, Outcome, Suggestion, Tier, TierResult
from kubenet_tui.engine.model import IPAddress, Pod, Protocol

_IDENTITY_LABELS = ("app.kubernetes.io/name", "app", "k8s-app", "name", "role", "component")


def cilium_decision(verdict: DirectionVerdict) -> TierResult | None:
    """The Cilium tier's result when it is what blocked this direction."""
    if verdict.decided_by is not Tier.PLUGIN:
        return None
    return next((t for t in verdict.tiers if t.tier is Tier.PLUGIN and t.label == CILIUM_LABEL
                 and t.outcome is Outcome.DENY), None)


def _labels(pod: Pod) -> dict[str, str]:
    for key in _IDENTITY_LABELS:
        if key in pod.labels:
            return {key: pod.labels[key]}
    return {k: v for k, v in sorted(pod.labels.items()) if identity_label(k)}


def _peer(subject: Pod, peer_pod: Pod | None, peer_ips: tuple[IPAddress, ...], egress: bool) -> tuple[dict[str, Any], str]:
    """The L3 part of the rule, and a note when the peer cannot be named by its own labels."""
    to = "to" if egress else "from"
    if peer_pod is not None and peer_pod.host_network:
        return {f"{to}Entities": ["host", "remote-node"]}, (f"; {peer_pod.key} uses the host network, so Cilium sees it "
                                                            "as its node (host or remote-node)")
    if peer_pod is None:
        ip = peer_ips[0]
        return {f"{to}CIDR": [f"{ip}/{ip.max_prefixlen}"]}, ""
    labels = _labels(peer_pod)
    note = ""
    if not labels:
        labels = {"app": peer_pod.name}
        note = (f"; {peer_pod.key} has no labels Cilium can select (a CIDR never matches a pod on Cilium), so first "
                f"label it: kubectl label pod -n {peer_pod.namespace} {peer_pod.name} app={peer_pod.name}")
    if peer_pod.namespace != subject.namespace:
        labels[f"k8s:{POD_NAMESPACE}"] = peer_pod.namespace
    return {f"{to}Endpoints": [{"matchLabels": labels}]}, note


def suggest_cilium(verdict: DirectionVerdict, decision: TierResult, subject: Pod, peer_pod: Pod | None,
                   peer_ips: tuple[IPAddress, ...], protocol: Protocol, port: int | None) -> tuple[Suggestion, ...]:
    direction = verdict.direction
    peer_name = peer_pod.key if peer_pod else str(peer_ips[0])
    port_text = f"{port}/{protocol.value}" if port is not None else f"all {protocol.value} ports"
    if decision.deciding:
        refs = ", ".join(ref.label() for ref in decision.deciding)
        first = decision.deciding[0]
        key = f"{first.namespace}/{first.name}" if first.namespace else first.name
        return (Suggestion(
            direction, "deny-wins",
            f"{refs} denies it, and on Cilium a deny rule wins over every allow rule: no allow rule can open this. "
            f"Narrow that deny rule so it no longer matches {peer_name} on {port_text}, or remove it",
            key, first.rule),)
    egress = direction is Direction.EGRESS
    section = "egress" if egress else "ingress"
    peer, note = _peer(subject, peer_pod, peer_ips, egress)
    rule: dict[str, Any] = dict(peer)
    if port is not None:
        rule["toPorts"] = [{"ports": [{"port": str(port), "protocol": protocol.value}]}]
    peer_slug = (peer_pod.name if peer_pod else str(peer_ips[0]).replace(":", "-").replace(".", "-"))[:30]
    name = f"allow-{section}-{peer_slug}-{port if port is not None else 'all'}"
    selector = _labels(subject)
    if not selector:
        selector = {"app": subject.name}
        note += (f"; {subject.key} has no labels Cilium can select, so first label it: kubectl label pod -n "
                 f"{subject.namespace} {subject.name} app={subject.name}")
    manifest: dict[str, Any] = {
        "apiVersion": "cilium.io/v2",
        "kind": CNP_KIND,
        "metadata": {"name": name, "namespace": subject.namespace},
        "spec": {"endpointSelector": {"matchLabels": selector}, section: [rule]},
    }
    summary = (f"create {CNP_KIND} {subject.namespace}/{name} allowing {peer_name} on {port_text} (Cilium allow rules "
               f"add up, and default deny is already on for {section} at {subject.key}, so this opens only this flow)"
               f"{note}")
    return (Suggestion(direction, "new-policy", summary, None, None, manifest),)
