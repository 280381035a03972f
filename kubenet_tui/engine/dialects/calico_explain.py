"""Calico's words for a verdict: which staged object changes it, and the smallest Calico fix.

Where a Calico rule or a Calico tier's default action blocks, the fix is a Calico rule in that tier
(a Kubernetes NetworkPolicy acts in tier `default`, after every tier with a lower order, so it cannot
undo a Deny of an earlier tier); where only Kubernetes NetworkPolicies isolate the pod, the upstream
suggestions stand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubenet_tui.engine.dialects.calico_model import CalicoKind, StagedAction
from kubenet_tui.engine.explain import Direction, DirectionVerdict, Outcome, Suggestion, Tier, TierResult, Verdict
from kubenet_tui.engine.model import IPAddress, Pod, Protocol

if TYPE_CHECKING:
    from kubenet_tui.engine.cluster import Cluster

_STAGED = {k.value for k in CalicoKind if k.staged}
_CALICO = {CalicoKind.NETWORK_POLICY.value, CalicoKind.GLOBAL_NETWORK_POLICY.value, *_STAGED}


def staged_change(cluster: Cluster, enforced: Verdict, pending: Verdict) -> str:
    """What among the staged objects makes `pending` differ from `enforced`, in words."""
    refs = [r for r in pending.deciding_rules if r.kind in _STAGED]
    if refs:
        return "decided by " + ", ".join(f"{r.label()} ({r.action})" if r.action else r.label() for r in refs)
    for side in (pending.egress, pending.ingress):
        if side.allowed is False:
            tier = next((t for t in side.tiers if t.outcome is Outcome.DENY), None)
            staged = [p for p in (tier.policies if tier is not None else ()) if p.selects and p.kind in _STAGED]
            if tier is not None and staged:
                names = ", ".join(f"{p.kind} {p.key}" for p in staged)
                return (f"{names} would select {side.endpoint} for {side.direction.value} in {tier.name}, where no "
                        "rule allows this connection: the tier's default action denies it")
    calico = cluster.calico
    deleted = [] if calico is None else [
        *(f"{p.kind.value} {p.key}" for p in calico.staged if p.staged_action is StagedAction.DELETE),
        *(f"{CalicoKind.STAGED_KUBERNETES_NETWORK_POLICY.value} {p.policy.key}" for p in calico.staged_kubernetes
          if p.staged_action is StagedAction.DELETE)]
    now = ", ".join(r.label() for r in enforced.deciding_rules)
    if deleted:
        return f"{', '.join(deleted)} (stagedAction Delete) would delete policies" + (
            f"; now it is decided by {now}" if now else "")
    return "the staged policies change the tiers this connection walks" + (f"; now it is decided by {now}" if now else "")


# -- suggestions ---------------------------------------------------------------------------------------

_IDENTITY_LABELS = ("app.kubernetes.io/name", "app", "k8s-app", "name", "role", "component")


def _quote(value: str) -> str:
    return f"'{value}'" if "'" not in value else f'"{value}"'


def _selector_for(pod: Pod) -> str:
    key = next((k for k in _IDENTITY_LABELS if k in pod.labels), None)
    chosen = {key: pod.labels[key]} if key is not None else dict(sorted(pod.labels.items()))
    return " && ".join(f"{k} == {_quote(v)}" for k, v in chosen.items())


def _entity(peer_pod: Pod | None, peer_ips: tuple[IPAddress, ...]) -> dict[str, Any]:
    if peer_pod is None or not peer_pod.labels:
        ip = peer_ips[0]
        return {"nets": [f"{ip}/{ip.max_prefixlen}"]}
    return {"selector": _selector_for(peer_pod),
            "namespaceSelector": f"projectcalico.org/name == {_quote(peer_pod.namespace)}"}


def calico_rule(direction: Direction, peer_pod: Pod | None, peer_ips: tuple[IPAddress, ...], protocol: Protocol,
                port: int | None, action: str = "Allow") -> dict[str, Any]:
    """A Calico rule for exactly this flow."""
    rule: dict[str, Any] = {"action": action, "protocol": protocol.value}
    ports = {"ports": [port]} if port is not None else {}
    entity = _entity(peer_pod, peer_ips)
    if direction is Direction.INGRESS:
        rule["source"] = entity
        if ports:
            rule["destination"] = ports
    else:
        rule["destination"] = {**entity, **ports}
    return rule


def _blocking_tier(verdict: DirectionVerdict) -> TierResult | None:
    return next((t for t in verdict.tiers if t.outcome is Outcome.DENY), None)


def calico_suggestions(verdict: DirectionVerdict, subject: Pod, peer_pod: Pod | None,
                       peer_ips: tuple[IPAddress, ...], protocol: Protocol,
                       port: int | None) -> tuple[tuple[Suggestion, ...], bool]:
    """(Calico suggestions, whether the upstream suggestions also apply) for a blocked direction."""
    tier = _blocking_tier(verdict)
    if verdict.allowed is not False or tier is None:
        return (), True
    direction = verdict.direction
    peer_name = peer_pod.key if peer_pod is not None else str(peer_ips[0])
    port_text = f"{port}/{protocol.value}" if port is not None else f"every {protocol.value} port"
    rule = calico_rule(direction, peer_pod, peer_ips, protocol, port)
    later = ("" if tier.tier is Tier.NETWORK_POLICY else
             f" Tiers after {tier.name} never see this connection, so no Kubernetes NetworkPolicy (tier default) "
             "can allow it.")
    if tier.deciding:
        ref = tier.deciding[0]
        if ref.kind not in _CALICO:
            return (), True  # an admin policy's or a Kubernetes policy's decision: the upstream words hold
        summary = (f"{ref.label()} (Deny) in {tier.name} denies {peer_name} on {port_text}.{later} Insert an Allow "
                   f"rule for this flow before {direction.value}[{ref.rule}] of {ref.kind} {ref.namespace + '/' if ref.namespace else ''}"
                   f"{ref.name} (or a Pass rule, to let the next tier decide), or narrow that Deny rule")
        return (Suggestion(direction, "calico-rule", summary, f"{ref.namespace}/{ref.name}" if ref.namespace
                           else ref.name, ref.rule, {direction.value: [rule]}),), False
    selecting = [p for p in tier.policies if p.selects]
    calico = [p for p in selecting if p.kind in _CALICO]
    if not calico:
        return (), True  # only Kubernetes NetworkPolicies isolate it: add to them, or a new one
    names = ", ".join(f"{p.kind} {p.key}" for p in selecting)
    target = calico[0]
    summary = (f"In {tier.name}, {names} select{'s' if len(selecting) == 1 else ''} {subject.key} for "
               f"{direction.value} and no rule matches {peer_name} on {port_text}, so the tier's default action "
               f"(Deny) applies.{later} Add an Allow rule for this flow to {target.kind} {target.key} (or a Pass "
               "rule, to let the next tier decide)")
    suggestion = Suggestion(direction, "calico-rule", summary, target.key, None, {direction.value: [rule]})
    return (suggestion,), tier.tier is Tier.NETWORK_POLICY
