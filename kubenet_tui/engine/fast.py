"""Verdicts for every pair of pod classes at once, for one protocol and port: the bool of `evaluate`.

The steps are those of `evaluate.evaluate_direction` (SEMANTICS.md 1 and 5), computed for one pod
class against *all* peer classes as a boolean vector:

1. Admin tier: the rules of the admin policies whose subject selects the class, in order; each
   rule takes the peers it matches that no earlier rule took (first match wins). Allow and Deny
   are final, Pass hands those peers to step 2.
2. NetworkPolicy tier: unreadable policies make the rest unknown; an isolated class allows the
   union of the rules of its policies that surely match; otherwise step 3.
3. Baseline tier, first match wins; Pass ends the tier.
4. Default: allowed.

Unknown outcomes (policies, namespace labels or nodes that could not be read; a subject that may
select the class; a rule that might match) are final and not allowed, as `Status.UNKNOWN` is in
the matrix.

A connection is allowed iff egress at the source and ingress at the destination allow it; host-network
pods are not evaluated (allowed), pods that carry no traffic are never allowed. Rows only depend on
which policies select the class (and, for ingress, the class's named ports), so they are computed
once per such signature and shared. Peer tests reuse the engine's own functions where the rule is
the same for a whole class (admin peers and ports, named ports) and vectorised selectors elsewhere;
`tests/scale` checks the result against `evaluate` pair by pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kubenet_tui.engine.admin import admin_peer_check, admin_port_check, subject_mismatch
from kubenet_tui.engine.classes import AddressTable, BoolArray, IntArray, LabelIndex, PodClasses, named_ports
from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.evaluate import End, evaluate, tier_gap
from kubenet_tui.engine.explain import Direction
from kubenet_tui.engine.model import (
    NAMESPACE_NAME_LABEL,
    AdminAction,
    AdminPeer,
    AdminPolicy,
    AdminPort,
    AdminRule,
    IPBlock,
    LabelSelector,
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    NetworkPolicyRule,
    PolicyType,
    Protocol,
)
from kubenet_tui.engine.netpol import PeerView, PortQuery, port_check

# A port list's verdict: the same for every destination (bool) or per destination class (vector).
PortMatch = bool | BoolArray
PackedBits = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class AdminRuleMatch:
    """One admin/baseline rule against every peer class: the peers it surely matches, those it
    might match (data unreadable), its ports, and the action that applies (after failing closed)."""

    matched: BoolArray
    unknown: BoolArray
    ports: PortMatch
    action: AdminAction


def _name_label_only(selector: LabelSelector) -> bool:
    """Whether the selector reads no label but `kubernetes.io/metadata.name`, which is known even
    when a namespace's labels are not (see `selectors.namespace_selector_unknown`)."""
    keys = {k for k, _ in selector.match_labels} | {r.key for r in selector.match_expressions}
    return keys <= {NAMESPACE_NAME_LABEL}


class ClassEvaluator:
    """Egress and ingress verdict vectors of pod classes, for one (protocol, port)."""

    def __init__(self, cluster: Cluster, classes: PodClasses, protocol: Protocol, port: int | None) -> None:
        self.cluster = cluster
        self.index = cluster.index
        self.classes = classes
        self.query = PortQuery(protocol, port)
        reps = classes.representatives
        self.size = len(reps)
        self._all = np.ones(self.size, dtype=np.bool_)
        self._none = np.zeros(self.size, dtype=np.bool_)
        self._all.flags.writeable = False
        self._none.flags.writeable = False

        namespaces = sorted({r.namespace for r in reps})
        self._ns_position = {ns: i for i, ns in enumerate(namespaces)}
        self._ns_of_class = np.array([self._ns_position[r.namespace] for r in reps], dtype=np.intp)
        self._ns_labels = LabelIndex([self.index.namespace_labels(ns) for ns in namespaces])
        # Namespaces whose labels could not be read: only their name label can decide a selector.
        gaps = {ns: self.index.namespace_labels_unreadable(ns) for ns in namespaces}
        self._ns_gap = np.array([gaps[ns] is not None for ns in namespaces], dtype=np.bool_)
        self._pod_labels = LabelIndex([r.labels for r in reps])
        self._addresses = AddressTable(reps)
        self._gap_reason = [None if (g := gaps[r.namespace]) is None else g.reason for r in reps]
        self._views = [
            PeerView(r, self.index.namespace_labels(r.namespace), r.ips, self._gap_reason[c]) for c, r in enumerate(reps)
        ]
        self._admin_gap = tier_gap(self.index, "adminnetworkpolicies") is not None
        # Data the admin tier may depend on could not be read (namespace labels, nodes).
        self._uncertain = bool(self._ns_gap.any()) or self.index.unreadable_for("nodes", None) is not None
        self._baseline_gap = tier_gap(self.index, "baselineadminnetworkpolicies") is not None

        self._ns_cache: dict[str, BoolArray] = {}
        self._block_cache: dict[IPBlock, BoolArray] = {}
        self._np_peer_cache: dict[tuple[NetworkPolicyPeer, str | None], BoolArray] = {}
        self._np_port_cache: dict[NetworkPolicyPort, PortMatch] = {}
        self._admin_peer_cache: dict[tuple[AdminPeer, AdminAction, Direction], tuple[BoolArray, BoolArray]] = {}
        self._admin_port_cache: dict[tuple[AdminPort, bool], PortMatch] = {}
        self._np_rule_cache: dict[tuple[NetworkPolicyRule, str, Direction], tuple[BoolArray, PortMatch]] = {}
        self._admin_rule_cache: dict[tuple[int, Direction], AdminRuleMatch] = {}
        # Per row signature: the allowed peers, and the admin tier's denials bit-packed (None: none),
        # kept apart because only the denials are still needed once the class matrix is built.
        self._row_cache: dict[tuple[object, ...], BoolArray] = {}
        self._denied_cache: dict[tuple[object, ...], PackedBits | None] = {}
        self._self_allowed: BoolArray | None = None
        # (class, id(policy)) -> subject_mismatch: None selects, str does not, True unknown.
        self._subjects: dict[tuple[int, int], str | bool | None] = {}

    # -- peers and ports --------------------------------------------------------------------------

    def _in_namespace(self, namespace: str) -> BoolArray:
        found = self._ns_cache.get(namespace)
        if found is None:
            position = self._ns_position.get(namespace)
            found = self._none if position is None else self._ns_of_class == position
            self._ns_cache[namespace] = found
        return found

    def _np_peer(self, peer: NetworkPolicyPeer, policy: NetworkPolicy) -> BoolArray:
        """`netpol.peer_check(...).matched` against every class (all classes are pods). A peer that
        cannot be told (namespace labels unreadable) is not a match: the tier is then unknown or
        denied, never allowed, and both are `False` here."""
        key = (peer, policy.namespace if peer.namespace_selector is None else None)
        found = self._np_peer_cache.get(key)
        if found is not None:
            return found
        if peer.ip_block is not None:
            found = self._block_cache.get(peer.ip_block)
            if found is None:
                found = self._block_cache[peer.ip_block] = self._addresses.in_block(peer.ip_block)
        else:
            if peer.namespace_selector is None:
                found = self._in_namespace(policy.namespace)
            else:
                by_namespace = self._ns_labels.matches(peer.namespace_selector)
                if self._ns_gap.any() and not _name_label_only(peer.namespace_selector):
                    by_namespace = by_namespace & ~self._ns_gap  # unknown there: not a sure match
                found = by_namespace[self._ns_of_class]
            if peer.pod_selector is not None:
                found = found & self._pod_labels.matches(peer.pod_selector)
        self._np_peer_cache[key] = found
        return found

    def _np_port(self, port: NetworkPolicyPort) -> PortMatch:
        """`netpol.port_check(...).matched`; a vector over destination classes only for named ports."""
        found = self._np_port_cache.get(port)
        if found is None:
            query = self.query
            if isinstance(port.port, str) and port.protocol is query.protocol and query.port is not None:
                found = np.fromiter(
                    (port_check(port, 0, query, r).matched for r in self.classes.representatives),
                    dtype=np.bool_, count=self.size,
                )
            else:  # the destination is not consulted: one answer for all
                found = port_check(port, 0, query, None).matched
            self._np_port_cache[port] = found
        return found

    def _admin_peer(self, peer: AdminPeer, action: AdminAction, direction: Direction) -> tuple[BoolArray, BoolArray]:
        """`admin.admin_peer_check(...)` against every class, by its representative: (matched, unknown)."""
        key = (peer, action, direction)
        found = self._admin_peer_cache.get(key)
        if found is None:
            index = self.index
            checks = [admin_peer_check(peer, 0, action, direction, view, index) for view in self._views]
            found = (
                np.fromiter((c.matched for c in checks), dtype=np.bool_, count=self.size),
                np.fromiter((c.unknown for c in checks), dtype=np.bool_, count=self.size),
            )
            self._admin_peer_cache[key] = found
        return found

    def _admin_port(self, port: AdminPort, denies: bool) -> PortMatch:
        found = self._admin_port_cache.get((port, denies))
        if found is None:
            query = self.query
            if port.named_port is not None and query.port is not None:
                found = np.fromiter(
                    (admin_port_check(port, 0, query, r, denies).matched for r in self.classes.representatives),
                    dtype=np.bool_, count=self.size,
                )
            else:
                found = admin_port_check(port, 0, query, None, denies).matched
            self._admin_port_cache[(port, denies)] = found
        return found

    @staticmethod
    def _any_port(matches: Sequence[PortMatch]) -> PortMatch:
        out: PortMatch = False
        for match in matches:
            if isinstance(match, bool):
                if match:
                    return True
            elif isinstance(out, bool):
                out = match
            else:
                out = out | match
        return out

    # -- rules ------------------------------------------------------------------------------------

    def _np_rule(self, rule: NetworkPolicyRule, policy: NetworkPolicy, direction: Direction) -> tuple[BoolArray, PortMatch]:
        """Peers matched (over peer classes) and ports matched (over destination classes)."""
        # By value and namespace: equal rules share work, and a podSelector-only peer means the
        # policy's own namespace.
        key = (rule, policy.namespace, direction)
        found = self._np_rule_cache.get(key)
        if found is None and rule.unknown is not None:  # fail closed, as netpol.rule_explanation
            found = self._np_rule_cache[key] = (self._none, False)
        if found is None:
            if len(rule.peers) == 1:  # the common case: share the peer's vector, no copy
                peers = self._np_peer(rule.peers[0], policy)
            elif rule.peers:
                peers = np.zeros(self.size, dtype=np.bool_)
                for peer in rule.peers:
                    peers |= self._np_peer(peer, policy)
            else:
                peers = self._all
            ports: PortMatch = self._any_port([self._np_port(p) for p in rule.ports]) if rule.ports else True
            found = self._np_rule_cache[key] = (peers, ports)
        return found

    def _admin_rule(self, rule: AdminRule, direction: Direction) -> AdminRuleMatch:
        """As in `admin.admin_rule_explanation`: a peer form the engine does not know makes the whole
        rule fail closed (an Allow rule matches nothing, a Deny or Pass rule denies everything); a
        rule whose ports match, no peer matches and some peer cannot be told "might match"."""
        key = (id(rule), direction)
        found = self._admin_rule_cache.get(key)
        if found is None:
            if any(p.unknown is not None for p in rule.peers):
                if rule.action is AdminAction.ALLOW:
                    found = AdminRuleMatch(self._none, self._none, True, AdminAction.ALLOW)
                else:
                    found = AdminRuleMatch(self._all, self._none, True, AdminAction.DENY)
            else:
                matched = np.zeros(self.size, dtype=np.bool_)
                unknown = np.zeros(self.size, dtype=np.bool_)
                for peer in rule.peers:
                    peer_matched, peer_unknown = self._admin_peer(peer, rule.action, direction)
                    matched |= peer_matched
                    unknown |= peer_unknown
                denies = rule.action is AdminAction.DENY
                ports: PortMatch = (
                    True if rule.ports is None else self._any_port([self._admin_port(p, denies) for p in rule.ports])
                )
                found = AdminRuleMatch(matched, unknown & ~matched, ports, rule.action)
            self._admin_rule_cache[key] = found
        return found

    def _matched(self, peers: BoolArray, ports: PortMatch, direction: Direction, cls: int) -> BoolArray:
        """The peers a rule matches, seen from class `cls`: for egress the ports are judged at each
        destination (the peer), for ingress at `cls` itself."""
        if isinstance(ports, bool):
            return peers if ports else self._none
        if direction is Direction.EGRESS:
            return peers & ports
        return peers if ports[cls] else self._none

    # -- rows -------------------------------------------------------------------------------------

    def _subject(self, policy: AdminPolicy, cls: int) -> str | bool | None:
        """`admin.subject_mismatch` for the class: None selects, a reason does not, True unknown."""
        key = (cls, id(policy))
        if key in self._subjects:
            return self._subjects[key]
        rep = self.classes.representatives[cls]
        found = subject_mismatch(policy.subject, rep, self.index.namespace_labels(rep.namespace), self._gap_reason[cls])
        self._subjects[key] = found
        return found

    def _tier_selection(
        self, policies: tuple[AdminPolicy, ...], cls: int, policy_type: PolicyType
    ) -> tuple[tuple[AdminPolicy, ...], bool]:
        """The tier's policies surely selecting the class, in precedence order up to the first one
        with rules in this direction that may select it but cannot be told; and whether there is such
        a policy (peers the earlier policies leave undecided are then unknown)."""
        selecting = []
        for policy in policies:
            subject = self._subject(policy, cls)
            if subject is None:
                selecting.append(policy)
            elif subject is True and policy.rules(policy_type):
                return tuple(selecting), True
        return tuple(selecting), False

    def row(self, cls: int, direction: Direction) -> BoolArray:
        """Whether `direction` at class `cls` allows each peer class (egress: each destination,
        ingress: each source). Host-network classes are not evaluated: all allowed."""
        return self._row(cls, direction)[0]

    def denies_itself(self, cls: int, direction: Direction) -> bool:
        """Whether the admin tier alone denies class `cls` as its own peer in `direction`."""
        packed = self._row(cls, direction)[1]
        return packed is not None and bool((int(packed[cls >> 3]) >> (7 - (cls & 7))) & 1)

    def _row(self, cls: int, direction: Direction) -> tuple[BoolArray, PackedBits | None]:
        rep = self.classes.representatives[cls]
        if not rep.carries_traffic:
            return self._none, None
        if rep.host_network:
            return self._all, None
        policy_type = direction.policy_type
        admin, admin_unknown = self._tier_selection(self.index.admin_policies, cls, policy_type)
        baseline, baseline_unknown = self._tier_selection(self.index.baseline_policies, cls, policy_type)
        gap = self.index.unreadable_for("networkpolicies", rep.namespace) is not None
        isolating = tuple(
            p for p in self.index.policies_by_namespace.get(rep.namespace, ())
            if policy_type in p.policy_types and self._pod_labels.matches(p.pod_selector)[cls]
        )
        named = named_ports(rep) if direction is Direction.INGRESS else ()
        signature = (direction, tuple(map(id, admin)), admin_unknown, tuple(map(id, baseline)), baseline_unknown,
                     gap, tuple(map(id, isolating)), named)
        found = self._row_cache.get(signature)
        if found is None:
            found, denied = self._compute_row(cls, direction, policy_type, admin, admin_unknown, baseline,
                                              baseline_unknown, gap, isolating)
            self._row_cache[signature] = found
            self._denied_cache[signature] = np.packbits(denied) if denied.any() else None
        return found, self._denied_cache[signature]

    def _compute_row(
        self,
        cls: int,
        direction: Direction,
        policy_type: PolicyType,
        admin: tuple[AdminPolicy, ...],
        admin_unknown: bool,
        baseline: tuple[AdminPolicy, ...],
        baseline_unknown: bool,
        gap: bool,
        isolating: tuple[NetworkPolicy, ...],
    ) -> tuple[BoolArray, BoolArray]:
        """(allowed, denied by the admin tier). Unknown outcomes are final and not allowed."""
        allowed = np.zeros(self.size, dtype=np.bool_)
        open_ = np.ones(self.size, dtype=np.bool_)  # peers no tier has decided yet
        # 1. Admin tier: first matching rule wins; Pass hands the peer on to the NetworkPolicy tier;
        #    a rule that might match (unknown) ends the tier as unknown.
        passed = np.zeros(self.size, dtype=np.bool_)
        denied = np.zeros(self.size, dtype=np.bool_)
        for policy in admin:
            for rule in policy.rules(policy_type):
                match = self._admin_rule(rule, direction)
                taken = self._matched(match.matched, match.ports, direction, cls) & open_
                if match.action is AdminAction.ALLOW:
                    allowed |= taken
                elif match.action is AdminAction.PASS:
                    passed |= taken
                else:
                    denied |= taken
                open_ &= ~taken
                if match.unknown.any():
                    open_ &= ~self._matched(match.unknown, match.ports, direction, cls)
        if admin_unknown:  # a later admin policy may select the class: peers still open are unknown
            open_[:] = False
        open_ |= passed
        if self._admin_gap:  # admin policies could not be read: unknown (their denials still count
            return self._none, denied  # for a pod's own traffic, which evaluate checks without the gap)
        # 2. NetworkPolicy tier.
        if gap:  # unknown: not allowed
            return allowed, denied
        if isolating:
            union = np.zeros(self.size, dtype=np.bool_)
            for np_policy in isolating:
                for np_rule in np_policy.rules(policy_type):
                    union |= self._matched(*self._np_rule(np_rule, np_policy, direction), direction, cls)
            allowed |= open_ & union
            return allowed, denied
        # 3. Baseline tier: Deny is final, Allow and Pass (which ends the tier) both end up allowed.
        if self._baseline_gap:
            return allowed, denied
        for policy in baseline:
            for rule in policy.rules(policy_type):
                match = self._admin_rule(rule, direction)
                taken = self._matched(match.matched, match.ports, direction, cls) & open_
                if match.action is not AdminAction.DENY:
                    allowed |= taken
                open_ &= ~taken
                if match.unknown.any():
                    open_ &= ~self._matched(match.unknown, match.ports, direction, cls)
        if baseline_unknown:  # a later baseline policy may select the class: the rest is unknown
            return allowed, denied
        # 4. Default: allowed.
        allowed |= open_
        return allowed, denied

    def class_matrix(self) -> BoolArray:
        """`allowed[s, d]`: class s may open connections to class d (two distinct pods; the caller
        handles a pod talking to itself)."""
        size = self.size
        if size == 0:
            return np.zeros((0, 0), dtype=np.bool_)
        self.self_allowed()  # while the rows are cached
        # Rows are shared by every class with the same signature: keep each distinct row once and
        # an index, so memory stays one class matrix (the result) plus the distinct rows.
        egress_rows, egress_of = self._distinct_rows(Direction.EGRESS)
        ingress_rows, ingress_of = self._distinct_rows(Direction.INGRESS)
        ingress_by_source = np.ascontiguousarray(ingress_rows.T)  # [s, k]: row k allows source s
        del ingress_rows
        allowed: BoolArray = np.empty((size, size), dtype=np.bool_)
        step = max(1, (1 << 24) // size)  # rows per block: about 16 MB of temporaries
        for start in range(0, size, step):
            stop = min(size, start + step)
            allowed[start:stop] = egress_rows[egress_of[start:stop]] & ingress_by_source[start:stop][:, ingress_of]
        silent = np.array([not r.carries_traffic for r in self.classes.representatives], dtype=np.bool_)
        allowed[:, silent] = False  # a destination that carries no traffic: not evaluated
        return allowed

    def _distinct_rows(self, direction: Direction) -> tuple[BoolArray, IntArray]:
        """The distinct rows of `direction` stacked, and which one each class uses."""
        position: dict[int, int] = {}
        rows: list[BoolArray] = []
        which = np.empty(self.size, dtype=np.intp)
        for c in range(self.size):
            row = self.row(c, direction)
            k = position.get(id(row))
            if k is None:
                k = position[id(row)] = len(rows)
                rows.append(row)
            which[c] = k
        stacked = np.stack(rows)
        del rows
        # The stack holds them now: drop the cached copies (a later `row` call recomputes).
        for signature in [s for s in self._row_cache if s[0] is direction]:
            del self._row_cache[signature]
        return stacked, which

    def self_allowed(self) -> BoolArray:
        """Per class: may its pods talk to themselves? NetworkPolicies cannot block a pod's own
        traffic, but an admin-tier Deny (egress or ingress, the pod as its own peer) can (hairpin);
        pods that carry no traffic are never evaluated."""
        if self._self_allowed is None:
            out = np.zeros(self.size, dtype=np.bool_)
            if self._admin_gap or (self.index.admin_policies and self._uncertain):
                # Rare (admin policies over unreadable data): ask the explained engine, once per class.
                for c, rep in enumerate(self.classes.representatives):
                    end = End(pod=rep)
                    out[c] = evaluate(self.cluster, end, end, self.query.protocol, self.query.port).allowed is True
                self._self_allowed = out
                return out
            for c, rep in enumerate(self.classes.representatives):
                out[c] = rep.carries_traffic and not (
                    self.index.admin_policies
                    and (self.denies_itself(c, Direction.EGRESS) or self.denies_itself(c, Direction.INGRESS))
                )
            self._self_allowed = out
        return self._self_allowed
