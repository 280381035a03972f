"""Cilium's own Ingress and Gateway API proxy: an Envoy inside Cilium, with no pod of its own.

Cilium gives that proxy the reserved identity `ingress` (part of the `cluster` entity). Backends see
requests from it as coming from `ingress`: their ingress policies must let that identity in
(`fromEntities: [ingress]`, or `cluster`, or `all`, or an endpoint selector on `reserved:ingress`).
In current Cilium the proxy is also an endpoint (Cilium's "ingress endpoint") that policies selecting
`reserved:ingress` (in practice clusterwide ones: a namespaced policy selects pods of its namespace only)
govern both ways: its egress towards the backends, and its ingress from the original client (`world` for a
request from outside), enforced by the Envoy proxy itself.

Both are the one fold of `tiers.explain_direction`: the identity stands in where a pod would, as a
`ReservedPod` that only Cilium's subject matchers can select, and as a `PeerView` whose `identity`
only Cilium's peer matchers match. Only the cilium profile reads it so; other profiles cannot say what
the backends see, and their verdicts are unknown.
"""

from __future__ import annotations

from kubenet_tui.engine.caveats import Caveat, CaveatCode
from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.dialects.cilium_match import reserved_pod
from kubenet_tui.engine.dialects.cilium_mode import CiliumTier
from kubenet_tui.engine.ends import End
from kubenet_tui.engine.explain import Direction, DirectionVerdict, Status, Suggestion, Verdict
from kubenet_tui.engine.model import IPAddress, Protocol
from kubenet_tui.engine.profiles import Profile
from kubenet_tui.engine.rules import PeerView, PortQuery
from kubenet_tui.engine.tiers import Program, Side, explain_direction

INGRESS = "ingress"


def identity_caveat(identity: str) -> Caveat:
    return Caveat(CaveatCode.CILIUM_INGRESS,
                  f"Cilium's Envoy proxy opens the connections to the backends as the reserved identity {identity}: "
                  f"the backends see neither the client nor a pod, and let it in by fromEntities [{identity}] "
                  "(or cluster, all) or an endpoint selector on reserved:" + identity)


def _own_program(cluster: Cluster) -> Program:
    """The tiers that may select the proxy itself: Cilium's (no other kind selects a reserved identity)."""
    program = cluster.program
    return Program(tuple(t for t in program.tiers if isinstance(t, CiliumTier)), program.profile)


def _head(source: str, destination: str, query: PortQuery) -> str:
    port = "every port" if query.port is None else f"{query.port}/{query.protocol.value}"
    return f"{source} -> {destination} on {port}"


def _combine(egress: DirectionVerdict, ingress: DirectionVerdict) -> Status:
    if egress.allowed is False or ingress.allowed is False:
        return Status.BLOCKED
    if egress.allowed is None or ingress.allowed is None:
        return Status.UNKNOWN
    return Status.ALLOWED


def _summary(status: Status, head: str, egress: DirectionVerdict, ingress: DirectionVerdict) -> str:
    if status is Status.ALLOWED:
        return f"{head} is ALLOWED"
    if status is Status.UNKNOWN:
        return f"{head} is UNKNOWN: " + "; ".join(d.summary for d in (egress, ingress) if d.allowed is None)
    where = " and ".join(f"{d.direction.value} at {'the source' if d.direction is Direction.EGRESS else 'the destination'}"
                         for d in (egress, ingress) if d.allowed is False)
    return f"{head} is BLOCKED by {where}"


def _not_profile(cluster: Cluster, source: End, destination: End, protocol: Protocol, port: int | None,
                 port_name: str | None) -> Verdict:
    why = (f"Cilium's proxy reaches {destination.name} as its reserved identity {source.identity}, which only the "
           f"cilium profile evaluates (this cluster is read as {cluster.profile.value}: --cni cilium reads it as "
           "Cilium does)")
    egress = DirectionVerdict(Direction.EGRESS, source.name, False, None, why)
    ingress = DirectionVerdict(Direction.INGRESS, destination.name, False, None, why)
    head = _head(source.name, destination.name, PortQuery(protocol, port))
    return Verdict(source.info(), destination.info(), protocol, port, port_name, Status.UNKNOWN,
                   f"{head} is UNKNOWN: {why}", egress, ingress, (identity_caveat(source.identity or INGRESS),),
                   profile=cluster.profile)


def _suggestion(destination: End, identity: str, protocol: Protocol, port: int | None) -> Suggestion:
    pod = destination.pod
    assert pod is not None
    labels = dict(sorted(pod.labels.items())[:3])
    ports = [{"ports": [{"port": str(port), "protocol": protocol.value}]}] if port is not None else []
    rule: dict[str, object] = {"fromEntities": [identity]}
    if ports:
        rule["toPorts"] = ports
    fragment = {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
                "metadata": {"name": f"allow-from-cilium-{identity}", "namespace": pod.namespace},
                "spec": {"endpointSelector": {"matchLabels": labels}, "ingress": [rule]}}
    return Suggestion(Direction.INGRESS, "new-policy",
                      f"create CiliumNetworkPolicy {pod.namespace}/allow-from-cilium-{identity} letting Cilium's "
                      f"proxy (entity {identity}) reach {pod.key}", f"{pod.namespace}/allow-from-cilium-{identity}",
                      None, fragment)


def evaluate_identity(cluster: Cluster, source: End, destination: End, protocol: Protocol = Protocol.TCP,
                      port: int | None = None, port_name: str | None = None) -> Verdict:
    """From Cilium's proxy (`source.identity`) to a backend: egress at the proxy, ingress at the backend."""
    identity = source.identity or INGRESS
    if cluster.profile is not Profile.CILIUM:
        return _not_profile(cluster, source, destination, protocol, port, port_name)
    index = cluster.index
    query = PortQuery(protocol, port)
    head = _head(source.name, destination.name, query)
    found: list[Caveat] = [identity_caveat(identity)]
    target = destination.pod
    if target is not None and not target.carries_traffic:
        why = "has finished" if target.finished else "has no IP address yet"
        summary = f"the destination {target.key} {why}: it carries no traffic, so nothing is evaluated"
        skipped = (DirectionVerdict(Direction.EGRESS, source.name, False, None, summary),
                   DirectionVerdict(Direction.INGRESS, destination.name, False, None, summary))
        return Verdict(source.info(), destination.info(), protocol, port, port_name, Status.NOT_EVALUATED, summary,
                       *skipped, tuple(found), profile=cluster.profile)
    if target is not None:
        gap = index.namespace_labels_unreadable(target.namespace)
        other = PeerView(target, index.namespace_labels(target.namespace), target.ips,
                         gap.reason if gap is not None else None)
    else:
        assert destination.ip is not None
        other = PeerView(None, None, (destination.ip,))
    proxy = reserved_pod(identity)
    egress, caveats_e = explain_direction(_own_program(cluster), Side(proxy, Direction.EGRESS, other, query, target,
                                                                      index))
    if target is None:
        ingress = DirectionVerdict(Direction.INGRESS, destination.name, False, True,
                                   f"the destination {destination.name} is outside the cluster: it has no policies of "
                                   "its own")
        caveats_i: list[Caveat] = []
    elif target.host_network:
        ingress = DirectionVerdict(Direction.INGRESS, destination.name, False, True,
                                   f"{target.key} uses the host network: pod policies do not govern it")
        caveats_i = []
    else:
        ingress, caveats_i = explain_direction(cluster.program, Side(target, Direction.INGRESS,
                                                                     PeerView(None, None, (), identity=identity), query,
                                                                     target, index))
    for caveat in (*caveats_e, *caveats_i):
        if caveat not in found:
            found.append(caveat)
    status = _combine(egress, ingress)
    suggestions = (_suggestion(destination, identity, protocol, port),) if ingress.allowed is False else ()
    return Verdict(source.info(), destination.info(), protocol, port, port_name, status,
                   _summary(status, head, egress, ingress), egress, ingress, tuple(found), suggestions,
                   profile=cluster.profile)


def evaluate_from_outside(cluster: Cluster, address: IPAddress, identity: str = INGRESS,
                          protocol: Protocol = Protocol.TCP, port: int | None = None) -> Verdict:
    """From an outside address to Cilium's proxy: ingress at the proxy (for the original client)."""
    source, destination = End(ip=address), End(identity=identity)
    if cluster.profile is not Profile.CILIUM:
        why = (f"Cilium's proxy is the reserved identity {identity}, which only the cilium profile evaluates (this "
               f"cluster is read as {cluster.profile.value})")
        egress = DirectionVerdict(Direction.EGRESS, source.name, False, True, f"the source {address} is outside the "
                                                                              "cluster: it has no policies of its own")
        ingress = DirectionVerdict(Direction.INGRESS, destination.name, False, None, why)
        return Verdict(source.info(), destination.info(), protocol, port, None, Status.UNKNOWN,
                       f"{_head(source.name, destination.name, PortQuery(protocol, port))} is UNKNOWN: {why}",
                       egress, ingress, (identity_caveat(identity),), profile=cluster.profile)
    query = PortQuery(protocol, port)
    proxy = reserved_pod(identity)
    side = Side(proxy, Direction.INGRESS, PeerView(None, None, (address,)), query, None, cluster.index)
    ingress, found = explain_direction(_own_program(cluster), side)
    egress = DirectionVerdict(Direction.EGRESS, source.name, False, True,
                              f"the source {address} is outside the cluster: it has no policies of its own")
    status = _combine(egress, ingress)
    head = _head(source.name, destination.name, query)
    return Verdict(source.info(), destination.info(), protocol, port, None, status,
                   _summary(status, head, egress, ingress), egress, ingress, tuple(found), profile=cluster.profile)
