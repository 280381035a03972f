"""Verdicts for every pair of pod classes at once, for one protocol and port: the bool of `evaluate`.

The steps are those of `evaluate.evaluate_direction` (SEMANTICS.md 1 and 5), computed for one pod
class against *all* peer classes as a boolean vector:

1. Admin tier: the rules of the admin policies whose subject selects the class, in order; each
   rule takes the peers it matches that no earlier rule took (first match wins). Allow and Deny
   are final, Pass hands those peers to step 2.
2. NetworkPolicy tier: unreadable policies make the rest unknown (not allowed here); an isolated
   class allows the union of its policies' rules; otherwise step 3.
3. Baseline tier, first match wins; Pass ends the tier.
4. Default: allowed.

A connection is allowed iff egress at the source and ingress at the destination allow it; host-network
pods are not evaluated (allowed), pods that carry no traffic are never allowed. Rows only depend on
which policies select the class (and, for ingress, the class's named ports), so they are computed
once per such signature and shared. Peer tests reuse the engine's own functions where the rule is
the same for a whole class (admin peers and ports, named ports) and vectorised selectors elsewhere;
`tests/scale` checks the result against `evaluate` pair by pair.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kubenet_tui.engine.admin import admin_peer_check, admin_port_check, subject_mismatch
from kubenet_tui.engine.classes import AddressTable, BoolArray, IntArray, LabelIndex, PodClasses
from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.explain import Direction
from kubenet_tui.engine.model import (
    AdminAction,
    AdminPeer,
    AdminPolicy,
    AdminPort,
    AdminRule,
    IPBlock,
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


class ClassEvaluator:
    """Egress and ingress verdict vectors of pod classes, for one (protocol, port)."""

    def __init__(self, cluster: Cluster, classes: PodClasses, protocol: Protocol, port: int | None) -> None:
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
        self._pod_labels = LabelIndex([r.labels for r in reps])
        self._addresses = AddressTable(reps)
        self._views = [PeerView(r, self.index.namespace_labels(r.namespace), r.ips) for r in reps]

        self._ns_cache: dict[str, BoolArray] = {}
        self._block_cache: dict[IPBlock, BoolArray] = {}
        self._np_peer_cache: dict[tuple[NetworkPolicyPeer, str | None], BoolArray] = {}
        self._np_port_cache: dict[NetworkPolicyPort, PortMatch] = {}
        self._admin_peer_cache: dict[tuple[AdminPeer, AdminAction, Direction], BoolArray] = {}
        self._admin_port_cache: dict[AdminPort, PortMatch] = {}
        self._np_rule_cache: dict[tuple[int, Direction], tuple[BoolArray, PortMatch]] = {}
        self._admin_rule_cache: dict[tuple[int, Direction], tuple[BoolArray, PortMatch, AdminAction]] = {}
        self._row_cache: dict[tuple[object, ...], tuple[BoolArray, BoolArray]] = {}
        self._subjects: dict[tuple[int, AdminPolicy], bool] = {}

    # -- peers and ports --------------------------------------------------------------------------

    def _in_namespace(self, namespace: str) -> BoolArray:
        found = self._ns_cache.get(namespace)
        if found is None:
            position = self._ns_position.get(namespace)
            found = self._none if position is None else self._ns_of_class == position
            self._ns_cache[namespace] = found
        return found

    def _np_peer(self, peer: NetworkPolicyPeer, policy: NetworkPolicy) -> BoolArray:
        """`netpol.peer_check(...).matched` against every class (all classes are pods)."""
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
                found = self._ns_labels.matches(peer.namespace_selector)[self._ns_of_class]
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

    def _admin_peer(self, peer: AdminPeer, action: AdminAction, direction: Direction) -> BoolArray:
        """`admin.admin_peer_check(...).matched` against every class, by its representative."""
        key = (peer, action, direction)
        found = self._admin_peer_cache.get(key)
        if found is None:
            index = self.index
            found = np.fromiter(
                (admin_peer_check(peer, 0, action, direction, view, index).matched for view in self._views),
                dtype=np.bool_, count=self.size,
            )
            self._admin_peer_cache[key] = found
        return found

    def _admin_port(self, port: AdminPort) -> PortMatch:
        found = self._admin_port_cache.get(port)
        if found is None:
            query = self.query
            if port.named_port is not None and query.port is not None:
                found = np.fromiter(
                    (admin_port_check(port, 0, query, r).matched for r in self.classes.representatives),
                    dtype=np.bool_, count=self.size,
                )
            else:
                found = admin_port_check(port, 0, query, None).matched
            self._admin_port_cache[port] = found
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
        key = (id(rule), direction)
        found = self._np_rule_cache.get(key)
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

    def _admin_rule(self, rule: AdminRule, direction: Direction) -> tuple[BoolArray, PortMatch, AdminAction]:
        """Peers matched, ports matched, and the action that applies. As in `admin.py`, a peer form
        the engine does not know makes the whole rule fail closed: an Allow rule matches nothing, a
        Deny or Pass rule denies everything."""
        key = (id(rule), direction)
        found = self._admin_rule_cache.get(key)
        if found is None:
            if any(p.unknown is not None for p in rule.peers):
                if rule.action is AdminAction.ALLOW:
                    found = (self._none, True, AdminAction.ALLOW)
                else:
                    found = (self._all, True, AdminAction.DENY)
            else:
                peers = np.zeros(self.size, dtype=np.bool_)
                for peer in rule.peers:
                    peers |= self._admin_peer(peer, rule.action, direction)
                ports: PortMatch = True if rule.ports is None else self._any_port([self._admin_port(p) for p in rule.ports])
                found = (peers, ports, rule.action)
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

    def _selects(self, policy: AdminPolicy, cls: int) -> bool:
        key = (cls, policy)
        found = self._subjects.get(key)
        if found is None:
            rep = self.classes.representatives[cls]
            found = subject_mismatch(policy.subject, rep, self.index.namespace_labels(rep.namespace)) is None
            self._subjects[key] = found
        return found

    def row(self, cls: int, direction: Direction) -> BoolArray:
        """Whether `direction` at class `cls` allows each peer class (egress: each destination,
        ingress: each source). Host-network classes are not evaluated: all allowed."""
        return self._row(cls, direction)[0]

    def admin_denied(self, cls: int, direction: Direction) -> BoolArray:
        """The peer classes the admin tier alone denies at `cls` (what still blocks a pod's own traffic)."""
        return self._row(cls, direction)[1]

    def _row(self, cls: int, direction: Direction) -> tuple[BoolArray, BoolArray]:
        rep = self.classes.representatives[cls]
        if not rep.carries_traffic:
            return self._none, self._none
        if rep.host_network:
            return self._all, self._none
        policy_type = direction.policy_type
        admin = tuple(p for p in self.index.admin_policies if self._selects(p, cls))
        baseline = tuple(p for p in self.index.baseline_policies if self._selects(p, cls))
        gap = self.index.unreadable_for("networkpolicies", rep.namespace) is not None
        isolating = tuple(
            p for p in self.index.policies_by_namespace.get(rep.namespace, ())
            if policy_type in p.policy_types and self._pod_labels.matches(p.pod_selector)[cls]
        )
        named = tuple((p.name, p.protocol, p.port) for p in rep.ports if p.name) if direction is Direction.INGRESS else ()
        signature = (direction, tuple(map(id, admin)), tuple(map(id, baseline)), gap, tuple(map(id, isolating)), named)
        found = self._row_cache.get(signature)
        if found is None:
            found = self._row_cache[signature] = self._compute_row(cls, direction, policy_type, admin, baseline, gap, isolating)
        return found

    def _compute_row(
        self,
        cls: int,
        direction: Direction,
        policy_type: PolicyType,
        admin: tuple[AdminPolicy, ...],
        baseline: tuple[AdminPolicy, ...],
        gap: bool,
        isolating: tuple[NetworkPolicy, ...],
    ) -> tuple[BoolArray, BoolArray]:
        allowed = np.zeros(self.size, dtype=np.bool_)
        open_ = np.ones(self.size, dtype=np.bool_)  # peers no tier has decided yet
        # 1. Admin tier: first matching rule wins; Pass hands the peer on to the NetworkPolicy tier.
        passed = np.zeros(self.size, dtype=np.bool_)
        for policy in admin:
            for rule in policy.rules(policy_type):
                peers, ports, action = self._admin_rule(rule, direction)
                taken = self._matched(peers, ports, direction, cls) & open_
                if action is AdminAction.ALLOW:
                    allowed |= taken
                elif action is AdminAction.PASS:
                    passed |= taken
                open_ &= ~taken
        denied = ~(allowed | open_ | passed)
        open_ |= passed
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
        for policy in baseline:
            for rule in policy.rules(policy_type):
                peers, ports, action = self._admin_rule(rule, direction)
                taken = self._matched(peers, ports, direction, cls) & open_
                if action is not AdminAction.DENY:
                    allowed |= taken
                open_ &= ~taken
        # 4. Default: allowed.
        allowed |= open_
        return allowed, denied

    def class_matrix(self) -> BoolArray:
        """`allowed[s, d]`: class s may open connections to class d (two distinct pods; the caller
        handles a pod talking to itself)."""
        size = self.size
        if size == 0:
            return np.zeros((0, 0), dtype=np.bool_)
        # Rows are shared by every class with the same signature: keep each distinct row once and
        # an index, so memory stays one class matrix (the result) plus the distinct rows.
        egress_rows, egress_of = self._distinct_rows(Direction.EGRESS)
        ingress_rows, ingress_of = self._distinct_rows(Direction.INGRESS)
        ingress_by_source = np.ascontiguousarray(ingress_rows.T)  # [s, k]: row k allows source s
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
        return np.stack(rows), which

    def self_allowed(self) -> BoolArray:
        """Per class: may its pods talk to themselves? NetworkPolicies cannot block a pod's own
        traffic, but an admin-tier Deny (egress or ingress, the pod as its own peer) can (hairpin);
        pods that carry no traffic are never evaluated."""
        out = np.zeros(self.size, dtype=np.bool_)
        for c, rep in enumerate(self.classes.representatives):
            out[c] = rep.carries_traffic and not (
                self.index.admin_policies
                and (self.admin_denied(c, Direction.EGRESS)[c] or self.admin_denied(c, Direction.INGRESS)[c])
            )
        return out
