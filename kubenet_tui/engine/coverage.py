"""Isolation coverage: which pods policies isolate, per direction, per namespace and overall.

A pod is isolated in a direction when a policy of a tier that denies what it does not allow selects
it there: the NetworkPolicy tier (ISOLATION_UNION: selected means isolated), or a first-match tier
whose end action is Deny (a plugin tier's default deny). Admin-tier policies that select a pod govern
it without isolating it (traffic no rule matches goes on to the next tier); they are counted apart.
Unknown: whether the pod is isolated depends on data that could not be read (policies of its
namespace, labels a selector reads) or a policy that was not evaluated. Host-network pods are not
enforceable and pods that carry no traffic are not evaluated: both are counted apart.

Computed on pod classes (`classes.ClassSpace.selection`), as the matrix is.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from kubenet_tui.engine.classes import ClassSpace, partition
from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.explain import Direction
from kubenet_tui.engine.model import Pod, Protocol
from kubenet_tui.engine.records import record
from kubenet_tui.engine.rules import PortQuery
from kubenet_tui.engine.tiers import MODES


class Isolation(StrEnum):
    BOTH = "both"
    INGRESS = "ingress"  # ingress only
    EGRESS = "egress"  # egress only
    NEITHER = "neither"
    UNKNOWN = "unknown"  # one direction or both cannot be told
    HOST_NETWORK = "host-network"  # not enforceable
    NOT_RUNNING = "not-running"  # no IP yet, or finished: carries no traffic


EVALUATED = (Isolation.BOTH, Isolation.INGRESS, Isolation.EGRESS, Isolation.NEITHER, Isolation.UNKNOWN)


@record
class PodCoverage:
    pod: Pod
    isolation: Isolation
    ingress: bool | None  # isolated for ingress (None: cannot tell)
    egress: bool | None
    admin_ingress: bool  # an admin-tier policy with ingress rules selects it
    admin_egress: bool
    why_unknown: str = ""


@record
class NamespaceCoverage:
    namespace: str
    pods: tuple[PodCoverage, ...]

    def count(self, isolation: Isolation) -> int:
        return sum(1 for p in self.pods if p.isolation is isolation)

    @property
    def evaluated(self) -> int:
        """Pods that carry traffic and are enforceable (the share's denominator)."""
        return sum(1 for p in self.pods if p.isolation in EVALUATED)

    def admin(self, direction: Direction) -> int:
        return sum(1 for p in self.pods if (p.admin_ingress if direction is Direction.INGRESS else p.admin_egress))


@record
class Coverage:
    namespaces: tuple[NamespaceCoverage, ...]

    def count(self, isolation: Isolation) -> int:
        return sum(ns.count(isolation) for ns in self.namespaces)

    @property
    def evaluated(self) -> int:
        return sum(ns.evaluated for ns in self.namespaces)

    def admin(self, direction: Direction) -> int:
        return sum(ns.admin(direction) for ns in self.namespaces)


def coverage(cluster: Cluster, pods: Sequence[Pod] | None = None) -> Coverage:
    """Coverage of `pods` (default: every pod), grouped by namespace, sorted."""
    chosen = tuple(sorted(cluster.pods if pods is None else pods, key=lambda p: (p.namespace, p.name)))
    program = cluster.program
    classes = partition(program, cluster.index, chosen)
    space = ClassSpace(program, cluster.index, classes, PortQuery(Protocol.TCP, None))
    reps = classes.representatives
    for tier in program.tiers:  # which policies select each class, for all classes at once
        for direction in Direction:
            space.select_all(tier, direction)
    per_class: list[tuple[Isolation, bool | None, bool | None, bool, bool, str]] = []
    for c, rep in enumerate(reps):
        if not rep.carries_traffic:
            per_class.append((Isolation.NOT_RUNNING, None, None, False, False, ""))
            continue
        if rep.host_network:
            per_class.append((Isolation.HOST_NETWORK, None, None, False, False, ""))
            continue
        found: dict[Direction, tuple[bool | None, bool, str]] = {}
        for direction in Direction:
            found[direction] = _direction(space, c, direction)
        ingress, admin_in, why_in = found[Direction.INGRESS]
        egress, admin_out, why_out = found[Direction.EGRESS]
        if ingress is None or egress is None:
            state = Isolation.UNKNOWN
        elif ingress and egress:
            state = Isolation.BOTH
        elif ingress:
            state = Isolation.INGRESS
        elif egress:
            state = Isolation.EGRESS
        else:
            state = Isolation.NEITHER
        per_class.append((state, ingress, egress, admin_in, admin_out, why_in or why_out))
    by_namespace: dict[str, list[PodCoverage]] = {}
    for pod, c in zip(chosen, classes.class_of.tolist(), strict=True):
        state, ingress, egress, admin_in, admin_out, why = per_class[c]
        by_namespace.setdefault(pod.namespace, []).append(
            PodCoverage(pod, state, ingress, egress, admin_in, admin_out, why))
    return Coverage(tuple(NamespaceCoverage(ns, tuple(found)) for ns, found in sorted(by_namespace.items())))


def _direction(space: ClassSpace, cls: int, direction: Direction) -> tuple[bool | None, bool, str]:
    """(isolated, or None when it cannot be told; selected by an admin-tier policy; why unknown)."""
    namespace = space.namespace_of(cls)
    isolated = False
    unknown = ""
    admin = False
    for tier in space.program.tiers:
        selected, cut = space.selection(tier, cls, direction)
        if tier.may_isolate:
            if any(MODES[tier.mode].isolating(tier, policy, direction) for policy in selected):
                isolated = True
            elif tier.unreadable_for(namespace) is not None:
                unknown = unknown or f"{tier.name} policies of namespace {namespace} could not be read"
            elif tier.unevaluated_for(namespace, direction):
                unknown = unknown or f"a {tier.name} policy that may select it was not evaluated"
            elif cut:
                unknown = unknown or f"a {tier.name} policy may select it (labels that could not be read)"
        elif any(policy.rules(direction) for policy in selected):
            admin = True
    if isolated:
        return True, admin, ""
    return (None if unknown else False), admin, unknown
