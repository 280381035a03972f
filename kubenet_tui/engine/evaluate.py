"""One connection in, one explained verdict out: both directions, every tier, the caveats.

The steps follow SEMANTICS.md section 1 (a connection is allowed iff egress at the source and
ingress at the destination allow it); each direction is the fold over the compiled tiers
(`tiers.explain_direction`, SEMANTICS.md 5). Then what the network plugin does with it: a plugin
that enforces nothing lets everything through, whatever the policies say.
"""

from __future__ import annotations

from dataclasses import replace

from kubenet_tui.engine import caveats
from kubenet_tui.engine.caveats import Caveat, CaveatCode
from kubenet_tui.engine.cluster import Cluster, ClusterIndex, Enforcement
from kubenet_tui.engine.ends import End, resolve_end, resolve_port
from kubenet_tui.engine.errors import DataMissing, InputError
from kubenet_tui.engine.explain import (
    Direction,
    DirectionVerdict,
    Form,
    Status,
    Suggestion,
    Verdict,
)
from kubenet_tui.engine.gaps import Resource
from kubenet_tui.engine.model import Pod, Protocol
from kubenet_tui.engine.profiles import Profile
from kubenet_tui.engine.rules import PeerView, PortQuery
from kubenet_tui.engine.suggest import suggest
from kubenet_tui.engine.tiers import CompiledTier, Program, Side, explain_direction

# Re-exported: the question's parts, as callers have always imported them from here.
__all__ = ["DataMissing", "End", "InputError", "evaluate", "resolve_end", "resolve_port"]


def peer_view(index: ClusterIndex, end: End) -> PeerView:
    if end.pod is not None:
        gap = index.namespace_labels_unreadable(end.pod.namespace)
        return PeerView(end.pod, index.namespace_labels(end.pod.namespace), end.pod.ips,
                        gap.reason if gap is not None else None)
    assert end.ip is not None
    return PeerView(None, None, (end.ip,))


def _unevaluated(direction: Direction, end: End, summary: str) -> DirectionVerdict:
    return DirectionVerdict(direction, end.name, False, True, summary)


def _side(program: Program, index: ClusterIndex, end: End, direction: Direction, other: End, query: PortQuery,
          destination: Pod | None) -> tuple[DirectionVerdict, list[Caveat]]:
    if end.pod is None:
        word = "source" if direction is Direction.EGRESS else "destination"
        return _unevaluated(direction, end, f"the {word} {end.name} is outside the cluster: it has no policies of "
                                            "its own"), []
    if end.pod.host_network:
        if program.host_network_gap is not None:
            return (DirectionVerdict(direction, end.name, False, None, f"{end.pod.key} uses the host network, and "
                                     f"host policies may govern it: {program.host_network_gap}"),
                    [caveats.host_network(end.pod.key)])
        return (_unevaluated(direction, end, f"{end.pod.key} uses the host network: pod policies do not govern it"),
                [caveats.host_network(end.pod.key)])
    side = Side(end.pod, direction, peer_view(index, other), query, destination, index)
    return explain_direction(program, side)


def _combine(egress: DirectionVerdict, ingress: DirectionVerdict) -> Status:
    if egress.allowed is False or ingress.allowed is False:
        return Status.BLOCKED
    if egress.allowed is None or ingress.allowed is None:
        return Status.UNKNOWN
    return Status.ALLOWED


def _head(source: End, destination: End, query: PortQuery) -> str:
    port = "every port" if query.port is None else f"{query.port}/{query.protocol.value}"
    return f"{source.name} -> {destination.name} on {port}"


def _summary(status: Status, head: str, egress: DirectionVerdict, ingress: DirectionVerdict) -> str:
    if status is Status.ALLOWED:
        return f"{head} is ALLOWED"
    if status is Status.UNKNOWN:
        return f"{head} is UNKNOWN: some data that decides it could not be read or evaluated"
    blocked = [d for d in (egress, ingress) if d.allowed is False]
    where = " and ".join(
        f"{d.direction.value} at {'the source' if d.direction is Direction.EGRESS else 'the destination'}"
        for d in blocked
    )
    return f"{head} is BLOCKED by {where}"


def _cluster_caveats(cluster: Cluster) -> list[Caveat]:
    found = [Caveat(CaveatCode.CLUSTER, notice) for notice in cluster.notices]
    plugin = cluster.plugin
    if plugin is not None:
        code = {Enforcement.NOT_ENFORCED: CaveatCode.NOT_ENFORCED, Enforcement.DEPENDS: CaveatCode.ENFORCEMENT_UNKNOWN,
                Enforcement.UNIDENTIFIED: CaveatCode.PLUGIN_UNIDENTIFIED}.get(plugin.enforcement)
        if code is not None:
            found.append(Caveat(code, plugin.note))
    return found


def evaluate(
    cluster: Cluster,
    source: End,
    destination: End,
    protocol: Protocol = Protocol.TCP,
    port: int | None = None,
    port_name: str | None = None,
) -> Verdict:
    """The explained verdict for one connection, as the cluster's profile reads the policies (and,
    when that is a plugin's, what the upstream reading would say where it differs); never raises for
    a well-formed End."""
    if source.identity is not None:
        # A network plugin's own proxy (Cilium's ingress): its dialect says what policies see of it.
        from kubenet_tui.engine.dialects.cilium_ingress import evaluate_identity

        return evaluate_identity(cluster, source, destination, protocol, port, port_name)
    verdict = _evaluate(cluster, cluster.program, source, destination, protocol, port, port_name)
    verdict = replace(verdict, profile=cluster.profile)
    if cluster.profile is Profile.UPSTREAM or verdict.status is Status.NOT_EVALUATED:
        return verdict
    upstream = _evaluate(cluster, cluster.program_for(Profile.UPSTREAM), source, destination, protocol, port,
                         port_name)
    # An upstream reading that cannot tell (it does not evaluate the plugin's own policies) is no
    # second opinion worth a caveat.
    if upstream.policies_say is not verdict.policies_say and upstream.policies_say is not Status.UNKNOWN:
        rules = ", ".join(ref.label() for ref in upstream.deciding_rules)
        caveat = caveats.profile_differs(cluster.profile.value, verdict.policies_say.value.upper(),
                                         upstream.policies_say.value.upper(), rules)
        verdict = replace(verdict, caveats=(*verdict.caveats, caveat))
    return _pending(cluster, verdict, source, destination, protocol, port, port_name)


def _pending(cluster: Cluster, verdict: Verdict, source: End, destination: End, protocol: Protocol,
             port: int | None, port_name: str | None) -> Verdict:
    """Staged policies are never enforced: the verdict once they are committed, when it differs."""
    committed = cluster.staged_commit
    if committed is None or cluster.profile is not Profile.CALICO:
        return verdict
    pending = _evaluate(committed, committed.program, source, destination, protocol, port, port_name)
    pending = replace(pending, profile=cluster.profile)
    if pending.policies_say is verdict.policies_say:
        return verdict
    from kubenet_tui.engine.dialects.calico_explain import staged_change  # a dialect's wording

    caveat = caveats.staged_pending(verdict.policies_say.value.upper(), pending.policies_say.value.upper(),
                                    staged_change(cluster, verdict, pending))
    return replace(verdict, pending=pending, caveats=(*verdict.caveats, caveat))


def _evaluate(cluster: Cluster, program: Program, source: End, destination: End, protocol: Protocol,
              port: int | None, port_name: str | None) -> Verdict:
    index = cluster.index
    query = PortQuery(protocol, port)
    found = _cluster_caveats(cluster)
    if source.pod is None and destination.pod is None:
        raise InputError("at least one end must be a pod of the cluster (both are outside addresses)")
    for end in (source, destination):
        if end.ip is not None and end.unowned is None:
            hidden = sorted({g.namespace or "cluster-wide" for g in index.unreadable
                             if g.resource is Resource.PODS and g.hides_objects})
            if hidden:
                found.append(caveats.pods_unreadable(str(end.ip), ", ".join(hidden)))
        if end.unowned is not None:
            found.append(Caveat(CaveatCode.IN_CLUSTER_RANGE, end.unowned))

    for end, word in ((source, "source"), (destination, "destination")):
        pod = end.pod
        if pod is not None and not pod.carries_traffic:
            why = f"is {pod.phase.value} and has finished" if pod.finished else "has no IP address yet"
            summary = f"the {word} {pod.key} {why}: it carries no traffic, so nothing is evaluated"
            skipped_e = DirectionVerdict(Direction.EGRESS, source.name, False, None, summary)
            skipped_i = DirectionVerdict(Direction.INGRESS, destination.name, False, None, summary)
            return Verdict(source.info(), destination.info(), protocol, port, port_name,
                           Status.NOT_EVALUATED, summary, skipped_e, skipped_i, tuple(found))

    if source.pod is not None and source.pod is destination.pod:
        return _enforced(cluster, _loopback(program, index, source.pod, query, port_name, found))

    egress, found_e = _side(program, index, source, Direction.EGRESS, destination, query, destination.pod)
    ingress, found_i = _side(program, index, destination, Direction.INGRESS, source, query, destination.pod)
    for caveat in (*found_e, *found_i, *_rule_caveats(egress, ingress, source, destination, index)):
        if caveat not in found:
            found.append(caveat)
    status = _combine(egress, ingress)
    head = _head(source, destination, query)
    summary = _summary(status, head, egress, ingress)
    unowned = next((e.unowned for e in (source, destination) if e.unowned is not None), None)
    if unowned is not None and status is not Status.UNKNOWN:
        # Its verdict as an outside address is known, but it may be a pod or a Service's address.
        said = status.value.upper()
        status = Status.UNKNOWN
        summary = f"{head} is UNKNOWN: {unowned} (as an address outside the cluster it would be {said})"
    suggestions: list[Suggestion] = []
    if source.pod is not None:
        suggestions.extend(suggest(egress, source.pod, destination.pod, peer_view(index, destination).ips,
                                   protocol, port, program.profile))
    if destination.pod is not None:
        suggestions.extend(suggest(ingress, destination.pod, source.pod, peer_view(index, source).ips, protocol,
                                   port, program.profile))
    verdict = Verdict(source.info(), destination.info(), protocol, port, port_name, status, summary, egress, ingress,
                      tuple(found), tuple(suggestions))
    return _enforced(cluster, verdict)


def _enforced(cluster: Cluster, verdict: Verdict) -> Verdict:
    """On the wire: a plugin that enforces nothing lets the connection through; say so first."""
    plugin = cluster.plugin
    if plugin is None or verdict.status is Status.NOT_EVALUATED:
        return verdict
    if plugin.enforcement is Enforcement.DEPENDS:
        return replace(verdict, enforced=None)
    if plugin.enforcement is not Enforcement.NOT_ENFORCED:
        return verdict
    if verdict.status is Status.ALLOWED:
        return replace(verdict, enforced=False)
    said = "BLOCK" if verdict.status is Status.BLOCKED else "decide"
    summary = (f"ALLOWED: not enforced ({', '.join(plugin.names)} does not enforce NetworkPolicy); the policies "
               f"would {said} it: {verdict.summary}")
    return replace(verdict, status=Status.ALLOWED, policy_status=verdict.status, enforced=False, summary=summary)


def _loopback(program: Program, index: ClusterIndex, pod: Pod, query: PortQuery, port_name: str | None,
              found: list[Caveat]) -> Verdict:
    """A pod to itself (also hairpin through its own Service). NetworkPolicies cannot block it, per
    the Kubernetes docs; tiers that govern loopback (the admin tier) can (upstream conformance:
    CNPAdminTierHairpin)."""
    end = End(pod=pod)
    found.append(caveats.loopback())
    summary = f"{pod.key} -> itself: NetworkPolicies cannot block a pod's traffic to itself"
    sides: list[DirectionVerdict] = []

    def governs(tier: CompiledTier) -> bool:
        return tier.governs_loopback

    for direction in (Direction.EGRESS, Direction.INGRESS):
        if pod.host_network or not any(governs(t) for t in program.tiers):
            sides.append(_unevaluated(direction, end, summary))
            continue
        side = Side(pod, direction, peer_view(index, end), query, pod, index)
        verdict, tier_caveats = explain_direction(program, side, governs)
        found.extend(c for c in tier_caveats if c not in found)
        if verdict.allowed is False or verdict.allowed is None:
            sides.append(verdict)
        else:
            sides.append(_unevaluated(direction, end, summary))
    egress, ingress = sides
    status = _combine(egress, ingress)
    if status is Status.BLOCKED:
        summary = f"{pod.key} -> itself on {query.port or 'every port'} is BLOCKED by the admin tier"
    elif status is Status.UNKNOWN:
        summary = f"{pod.key} -> itself on {query.port or 'every port'} is UNKNOWN: " + next(
            d.summary for d in sides if d.allowed is None)
    return Verdict(end.info(), end.info(), query.protocol, query.port, port_name, status, summary,
                   egress, ingress, tuple(found))


def _rule_caveats(egress: DirectionVerdict, ingress: DirectionVerdict, source: End, destination: End,
                  index: ClusterIndex) -> list[Caveat]:
    found: list[Caveat] = []
    for verdict, other in ((egress, destination), (ingress, source)):
        if other.pod is None:
            continue
        for policy in verdict.policies:
            if policy.kind != "NetworkPolicy":
                continue
            for rule in policy.rules:
                if any(c.matched and c.form is Form.IP_BLOCK for c in rule.peers):
                    found.append(caveats.ipblock_pod_ip(f"{policy.key} {verdict.direction.value}[{rule.index}]",
                                                        other.name))
        if other.pod.host_network:
            found.append(caveats.host_network_peer(other.name))
        if other.pod.namespace not in index.loaded_namespaces:
            found.append(caveats.namespace_not_loaded(other.pod.namespace))
    if source.pod is None:
        found.append(caveats.node_traffic())
    unique: list[Caveat] = []
    for c in found:
        if c not in unique:
            unique.append(c)
    return unique
