"""One connection in, one explained verdict out: both directions, every tier, the caveats.

The steps follow SEMANTICS.md section 1 (a connection is allowed iff egress at the source and
ingress at the destination allow it) and section 5 (per direction: Admin tier, NetworkPolicy tier,
Baseline tier, default allow; the first tier that decides wins).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from kubenet_tui.engine.admin import evaluate_admin_tier
from kubenet_tui.engine.cluster import Cluster, ClusterIndex
from kubenet_tui.engine.explain import (
    Caveat,
    Direction,
    DirectionVerdict,
    EndpointInfo,
    Outcome,
    Status,
    Suggestion,
    Tier,
    TierResult,
    Verdict,
)
from kubenet_tui.engine.model import IPAddress, Pod, Protocol
from kubenet_tui.engine.netpol import PeerView, PortQuery, evaluate_network_policies
from kubenet_tui.engine.suggest import suggest


class InputError(ValueError):
    """The question cannot be asked as given (unknown pod, bad port...). One clear line."""


class DataMissing(InputError):
    """The answer needs data that could not be read (RBAC): the verdict is unknown, not an input error."""


@dataclass(frozen=True, slots=True)
class End:
    """One end of a connection: a pod of the cluster, or an address outside it."""

    pod: Pod | None = None
    ip: IPAddress | None = None

    @property
    def name(self) -> str:
        if self.pod is not None:
            return self.pod.key
        return str(self.ip)

    def info(self) -> EndpointInfo:
        if self.pod is not None:
            return EndpointInfo("pod", self.pod.key, tuple(str(ip) for ip in self.pod.ips))
        return EndpointInfo("ip", str(self.ip), (str(self.ip),))


def resolve_end(index: ClusterIndex, text: str) -> End:
    """`NAMESPACE/POD` or an IP address. An IP that is a pod's IP stands for that pod."""
    text = text.strip()
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        pod = index.pod_by_ip.get(ip)
        return End(pod=pod) if pod is not None else End(ip=ip)
    if text.count("/") != 1 or not all(text.split("/")):
        raise InputError(f"{text!r} is neither NAMESPACE/POD nor an IP address")
    pod = index.pods_by_key.get(text)
    if pod is None:
        namespace, name = text.split("/")
        gap = index.unreadable_for("pods", namespace)
        if gap is not None:
            raise DataMissing(f"pod {text} is unknown: pods in namespace {namespace} could not be read ({gap.reason})")
        if namespace not in index.pods_by_namespace:
            raise InputError(f"pod {text} not found: no pods loaded in namespace {namespace!r}")
        near = [p.name for p in index.pods_by_namespace[namespace] if name in p.name][:5]
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        raise InputError(f"pod {text} not found in namespace {namespace}{hint}")
    return End(pod=pod)


def resolve_port(port_text: str | None, protocol: Protocol, destination: End) -> tuple[int | None, str | None]:
    """A port number, or a container port name resolved on the destination pod."""
    if port_text is not None:
        port_text = port_text.strip()
    if port_text is None or port_text == "":
        return None, None
    if port_text.isascii() and port_text.isdigit():
        number = int(port_text)
        if not 1 <= number <= 65535:
            raise InputError(f"port {number} is out of range (1-65535)")
        name = None
        if destination.pod is not None:
            name = next(
                (c.name for c in destination.pod.ports if c.port == number and c.protocol is protocol and c.name),
                None,
            )
        return number, name
    if destination.pod is None:
        raise InputError(f"named port {port_text!r} cannot be resolved on {destination.name}, which is not a pod")
    cport = destination.pod.named_port(port_text, protocol)
    if cport is None:
        names = sorted({f"{c.name}/{c.protocol.value}" for c in destination.pod.ports if c.name})
        known = f"; it has {', '.join(names)}" if names else "; it declares no named ports"
        raise InputError(f"pod {destination.name} has no {protocol.value} port named {port_text!r}{known}")
    return cport.port, port_text


def _peer_view(index: ClusterIndex, end: End) -> PeerView:
    if end.pod is not None:
        gap = index.namespace_labels_unreadable(end.pod.namespace)
        return PeerView(end.pod, index.namespace_labels(end.pod.namespace), end.pod.ips,
                        gap.reason if gap is not None else None)
    assert end.ip is not None
    return PeerView(None, None, (end.ip,))


def evaluate_direction(
    index: ClusterIndex,
    pod: Pod,
    direction: Direction,
    other: End,
    query: PortQuery,
    destination: Pod | None,
) -> tuple[DirectionVerdict, tuple[Caveat, ...]]:
    """The tier chain at `pod` for `direction`. Pass in the admin tier skips to NetworkPolicy."""
    view = _peer_view(index, other)
    tiers: list[TierResult] = []
    caveats: list[Caveat] = []

    def finish(tier: Tier, allowed: bool | None, summary: str) -> tuple[DirectionVerdict, tuple[Caveat, ...]]:
        netpol = next((t for t in tiers if t.tier is Tier.NETWORK_POLICY), None)
        isolating = tuple(p.key for p in netpol.policies if p.selects) if netpol else ()
        return (
            DirectionVerdict(
                direction, pod.key, True, allowed, summary, bool(isolating), isolating, tier, tuple(tiers)
            ),
            tuple(caveats),
        )

    # 1. Admin tier.
    admin_gap = tier_gap(index, "adminnetworkpolicies")
    if admin_gap is not None:
        tiers.append(TierResult(Tier.ADMIN, Outcome.UNKNOWN, f"admin-tier policies could not be read ({admin_gap}): "
                                                            "one of them could decide this"))
        return finish(Tier.ADMIN, None, tiers[-1].summary)
    if index.admin_policies:
        result, found = evaluate_admin_tier(
            Tier.ADMIN, index.admin_policies, index, pod, direction, view, query, destination
        )
        tiers.append(result)
        caveats.extend(found)
        if result.outcome in (Outcome.ALLOW, Outcome.DENY):
            return finish(Tier.ADMIN, result.outcome is Outcome.ALLOW, result.summary)
        if result.outcome is Outcome.UNKNOWN:
            return finish(Tier.ADMIN, None, result.summary)

    # 2. NetworkPolicy tier: decides when the pod is isolated in this direction.
    netpol_gap = index.unreadable_for("networkpolicies", pod.namespace)
    if netpol_gap is not None:
        tiers.append(
            TierResult(
                Tier.NETWORK_POLICY,
                Outcome.UNKNOWN,
                f"NetworkPolicies of namespace {pod.namespace} could not be read ({netpol_gap.reason}): "
                "whether they isolate the pod is unknown",
            )
        )
        return finish(Tier.NETWORK_POLICY, None, tiers[-1].summary)
    result = evaluate_network_policies(index, pod, direction, view, query, destination)
    tiers.append(result)
    if result.outcome in (Outcome.ALLOW, Outcome.DENY):
        return finish(Tier.NETWORK_POLICY, result.outcome is Outcome.ALLOW, result.summary)
    if result.outcome is Outcome.UNKNOWN:
        return finish(Tier.NETWORK_POLICY, None, result.summary)

    # 3. Baseline tier, only for pods the NetworkPolicy tier left alone.
    baseline_gap = tier_gap(index, "baselineadminnetworkpolicies")
    if baseline_gap is not None:
        tiers.append(TierResult(Tier.BASELINE, Outcome.UNKNOWN, f"baseline-tier policies could not be read ({baseline_gap}): "
                                                               "one of them could decide this"))
        return finish(Tier.BASELINE, None, tiers[-1].summary)
    if index.baseline_policies:
        result, found = evaluate_admin_tier(
            Tier.BASELINE, index.baseline_policies, index, pod, direction, view, query, destination
        )
        tiers.append(result)
        caveats.extend(found)
        if result.outcome in (Outcome.ALLOW, Outcome.DENY):
            return finish(Tier.BASELINE, result.outcome is Outcome.ALLOW, result.summary)
        if result.outcome is Outcome.UNKNOWN:
            return finish(Tier.BASELINE, None, result.summary)

    # 4. Default: allowed.
    summary = f"no policy restricts {direction.value} at {pod.key}: allowed by default"
    tiers.append(TierResult(Tier.DEFAULT, Outcome.ALLOW, summary))
    return finish(Tier.DEFAULT, True, summary)


def tier_gap(index: ClusterIndex, kind_plural: str) -> str | None:
    """Why a cluster-scoped tier could not be read: its own kind, or ClusterNetworkPolicies (which
    hold both tiers), refused to this user."""
    for plural in (kind_plural, "clusternetworkpolicies"):
        gap = index.unreadable_for(plural, None)
        if gap is not None and gap.namespace is None and not gap.reason.startswith("not served"):
            return gap.reason
    return None


def _unevaluated(direction: Direction, end: End, summary: str) -> DirectionVerdict:
    return DirectionVerdict(direction, end.name, False, True, summary)


def _side(
    index: ClusterIndex, end: End, direction: Direction, other: End, query: PortQuery, destination: Pod | None
) -> tuple[DirectionVerdict, tuple[Caveat, ...]]:
    if end.pod is None:
        word = "source" if direction is Direction.EGRESS else "destination"
        return _unevaluated(direction, end, f"the {word} {end.name} is outside the cluster: it has no policies of its own"), ()
    if end.pod.host_network:
        return (
            _unevaluated(direction, end, f"{end.pod.key} uses the host network: pod policies do not govern it"),
            (Caveat("host-network", f"not enforceable: host network ({end.pod.key}); most CNIs do not apply "
                                    "pod policies to host-network pods"),),
        )
    return evaluate_direction(index, end.pod, direction, other, query, destination)


def _combine(egress: DirectionVerdict, ingress: DirectionVerdict) -> Status:
    if egress.allowed is False or ingress.allowed is False:
        return Status.BLOCKED
    if egress.allowed is None or ingress.allowed is None:
        return Status.UNKNOWN
    return Status.ALLOWED


def _summary(status: Status, source: End, destination: End, query: PortQuery, egress: DirectionVerdict, ingress: DirectionVerdict) -> str:
    port = "every port" if query.port is None else f"{query.port}/{query.protocol.value}"
    head = f"{source.name} -> {destination.name} on {port}"
    if status is Status.ALLOWED:
        return f"{head} is ALLOWED"
    if status is Status.UNKNOWN:
        return f"{head} is UNKNOWN: some data that decides it could not be read"
    blocked = [d for d in (egress, ingress) if d.allowed is False]
    where = " and ".join(
        f"{d.direction.value} at {'the source' if d.direction is Direction.EGRESS else 'the destination'}"
        for d in blocked
    )
    return f"{head} is BLOCKED by {where}"


def evaluate(
    cluster: Cluster,
    source: End,
    destination: End,
    protocol: Protocol = Protocol.TCP,
    port: int | None = None,
    port_name: str | None = None,
) -> Verdict:
    """The explained verdict for one connection; never raises for a well-formed End."""
    index = cluster.index
    query = PortQuery(protocol, port)
    caveats: list[Caveat] = [Caveat("cluster", notice) for notice in cluster.notices]
    if source.pod is None and destination.pod is None:
        raise InputError("at least one end must be a pod of the cluster (both are outside addresses)")
    for end in (source, destination):
        if end.ip is not None:
            hidden = sorted({g.namespace or "cluster-wide" for g in cluster.unreadable if g.resource == "pods"})
            if hidden:
                caveats.append(Caveat("pods-unreadable", f"{end.ip} matched no pod that was read, but pods in "
                                                         f"{', '.join(hidden)} could not be read: it may be a pod there"))

    for end, word in ((source, "source"), (destination, "destination")):
        pod = end.pod
        if pod is not None and not pod.carries_traffic:
            why = f"is {pod.phase.value} and has finished" if pod.finished else "has no IP address yet"
            summary = f"the {word} {pod.key} {why}: it carries no traffic, so nothing is evaluated"
            skipped_e = DirectionVerdict(Direction.EGRESS, source.name, False, None, summary)
            skipped_i = DirectionVerdict(Direction.INGRESS, destination.name, False, None, summary)
            return Verdict(source.info(), destination.info(), protocol, port, port_name,
                           Status.NOT_EVALUATED, summary, skipped_e, skipped_i, tuple(caveats))

    if source.pod is not None and source.pod is destination.pod:
        return _loopback(index, source.pod, query, port_name, caveats)

    egress, found_e = _side(index, source, Direction.EGRESS, destination, query, destination.pod)
    ingress, found_i = _side(index, destination, Direction.INGRESS, source, query, destination.pod)
    caveats.extend(found_e)
    caveats.extend(c for c in found_i if c not in found_e)
    caveats.extend(_rule_caveats(egress, ingress, source, destination, index))
    status = _combine(egress, ingress)
    suggestions: list[Suggestion] = []
    if source.pod is not None:
        suggestions.extend(suggest(egress, source.pod, destination.pod, _peer_view(index, destination).ips, protocol, port))
    if destination.pod is not None:
        suggestions.extend(suggest(ingress, destination.pod, source.pod, _peer_view(index, source).ips, protocol, port))
    return Verdict(
        source.info(), destination.info(), protocol, port, port_name, status,
        _summary(status, source, destination, query, egress, ingress), egress, ingress, tuple(caveats),
        tuple(suggestions),
    )


def _loopback(index: ClusterIndex, pod: Pod, query: PortQuery, port_name: str | None, caveats: list[Caveat]) -> Verdict:
    """A pod to itself (also hairpin through its own Service). NetworkPolicies cannot block it, per
    the Kubernetes docs; the admin tier can (upstream conformance: CNPAdminTierHairpin)."""
    end = End(pod=pod)
    view = _peer_view(index, end)
    caveats.append(Caveat("loopback", "the Kubernetes docs state a pod cannot block access to itself with "
                                      "NetworkPolicies; CNIs differ, which is why the upstream e2e suite does "
                                      "not probe it. Admin-tier rules still apply (hairpin)."))
    summary = f"{pod.key} -> itself: NetworkPolicies cannot block a pod's traffic to itself"
    sides: list[DirectionVerdict] = []
    admin_gap = tier_gap(index, "adminnetworkpolicies")
    for direction in (Direction.EGRESS, Direction.INGRESS):
        if pod.host_network:
            sides.append(_unevaluated(direction, end, summary))
            continue
        if admin_gap is not None:
            unread = TierResult(Tier.ADMIN, Outcome.UNKNOWN, f"admin-tier policies could not be read ({admin_gap}): "
                                                             "one of them could deny a pod's traffic to itself")
            sides.append(DirectionVerdict(direction, pod.key, True, None, unread.summary, False, (), Tier.ADMIN,
                                          (unread,)))
            continue
        if index.admin_policies:
            result, found = evaluate_admin_tier(Tier.ADMIN, index.admin_policies, index, pod, direction, view, query, pod)
            caveats.extend(c for c in found if c not in caveats)
            if result.outcome in (Outcome.DENY, Outcome.UNKNOWN):
                allowed = None if result.outcome is Outcome.UNKNOWN else False
                sides.append(DirectionVerdict(direction, pod.key, True, allowed, result.summary, False, (), Tier.ADMIN,
                                              (result,)))
                continue
        sides.append(_unevaluated(direction, end, summary))
    egress, ingress = sides
    status = _combine(egress, ingress)
    if status is Status.BLOCKED:
        summary = f"{pod.key} -> itself on {query.port or 'every port'} is BLOCKED by the admin tier"
    return Verdict(end.info(), end.info(), query.protocol, query.port, port_name, status, summary,
                   egress, ingress, tuple(caveats))


def _rule_caveats(
    egress: DirectionVerdict, ingress: DirectionVerdict, source: End, destination: End, index: ClusterIndex
) -> list[Caveat]:
    found: list[Caveat] = []
    for verdict, other in ((egress, destination), (ingress, source)):
        if other.pod is None:
            continue
        for policy in verdict.policies:
            for rule in policy.rules:
                if any(c.matched and c.description.startswith("ipBlock") for c in rule.peers):
                    found.append(Caveat(
                        "ipblock-pod-ip",
                        f"{policy.key} {verdict.direction.value}[{rule.index}] matched the pod {other.name} by its IP "
                        "through an ipBlock: upstream e2e tests expect this, but CNIs differ (some apply ipBlock "
                        "only to traffic from outside the cluster)",
                    ))
        if other.pod.host_network:
            found.append(Caveat("host-network-peer", f"{other.name} uses the host network: its traffic carries the "
                                                     "node's IP, which pod selectors usually do not match"))
        if other.pod.namespace not in index.loaded_namespaces:
            found.append(Caveat("namespace-not-loaded", f"namespace {other.pod.namespace} was not loaded: only its "
                                                        f"name label is known to namespaceSelectors"))
    if source.pod is None:
        found.append(Caveat("node-traffic", "if this address is a node's, note that traffic from the node itself "
                                            "(kubelet probes) is generally allowed by CNIs regardless of policy"))
    unique: list[Caveat] = []
    for c in found:
        if c not in unique:
            unique.append(c)
    return unique
