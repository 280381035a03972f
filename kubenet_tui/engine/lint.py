"""Policy lint: findings about the compiled rule model (`Cluster.program`), for every dialect in it.

Each finding names the object (kind, namespace, name), the YAML path inside it
(`spec.ingress[0].from[1].namespaceSelector`), why, and a severity. The checks read the compiled
policies, rules and matchers, and the pods and namespaces as they were loaded, through the same
class masks the matrix uses (`classes.ClassSpace`): a check that needs data that could not be read
says nothing rather than a guess. What each rule means is in `RULES`.

Where a check compares rules (a rule made redundant by another), it does so structurally: selectors
by implication, ipBlocks by address arithmetic, ports by range; the claim then holds for any pods,
not only today's. Where it counts pods (a selector that matches nothing), it says "with the pods
loaded".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import field
from enum import StrEnum

import numpy as np

from kubenet_tui.engine.classes import BoolArray, ClassSpace, LabelIndex, partition
from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.explain import Direction
from kubenet_tui.engine.fast import ClassEvaluator
from kubenet_tui.engine.gaps import Resource
from kubenet_tui.engine.model import (
    IPBlock,
    LabelSelector,
    Operator,
    Pod,
    Protocol,
    Requirement,
)
from kubenet_tui.engine.records import record
from kubenet_tui.engine.rules import (
    CompiledPolicy,
    CompiledRule,
    IPBlockPeer,
    NamedPort,
    NamespacePods,
    NetworksPeer,
    PeerMatcher,
    PodPeer,
    PortMatcher,
    PortQuery,
    PortRange,
    SelectedNamespacePods,
)
from kubenet_tui.engine.selectors import partly_known, selector_matches
from kubenet_tui.engine.tiers import MODES, CompiledTier, Mode

Path = tuple[str | int, ...]
LISTED = 5  # pods named in a message before "and N more"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    @property
    def rank(self) -> int:
        return {Severity.ERROR: 2, Severity.WARNING: 1, Severity.NOTE: 0}[self]


class LintRule(StrEnum):
    """Stable rule ids: the JSON and SARIF contract."""

    SELECTS_NO_POD = "selects-no-pod"
    PEER_SELECTS_NO_POD = "peer-selects-no-pod"
    NAMESPACE_SELECTOR_MATCHES_NOTHING = "namespace-selector-matches-nothing"
    NAMED_PORT_UNDECLARED = "named-port-undeclared"
    SHADOWED_RULE = "shadowed-rule"
    EGRESS_DENY_WITHOUT_DNS = "egress-deny-without-dns"
    EQUAL_PRIORITY_OVERLAP = "equal-priority-overlap"
    IPBLOCK_COVERS_POD_IPS = "ipblock-covers-pod-ips"
    PODS_UNSELECTED = "pods-unselected-in-namespace"
    HOST_NETWORK_SELECTED = "host-network-selected"
    INGRESS_ISOLATED_BY_DEFAULT = "ingress-isolated-by-default"


@record
class RuleInfo:
    title: str
    description: str  # what it means and why it matters


RULES: dict[LintRule, RuleInfo] = {
    LintRule.SELECTS_NO_POD: RuleInfo(
        "Policy selects no pod",
        "The policy's subject (podSelector, or an admin policy's subject) matches none of the pods loaded: it "
        "has no effect, often a typo in a label."),
    LintRule.PEER_SELECTS_NO_POD: RuleInfo(
        "Rule peer selects no pod",
        "A peer of a rule matches none of the pods loaded: the traffic it was meant to allow or deny does not "
        "exist, often a typo in a label."),
    LintRule.NAMESPACE_SELECTOR_MATCHES_NOTHING: RuleInfo(
        "namespaceSelector matches no namespace",
        "A namespace selector matches none of the namespaces loaded (a typo in a label, or the namespace is "
        "not labelled)."),
    LintRule.NAMED_PORT_UNDECLARED: RuleInfo(
        "Named port declared by no pod",
        "A rule names a container port that none of the pods it could apply to declares: it matches no "
        "connection."),
    LintRule.SHADOWED_RULE: RuleInfo(
        "Rule made redundant by another",
        "Every connection the rule matches is matched by another rule (for any pods: selectors by implication, "
        "ipBlocks by address, ports by range). In a first-match tier an earlier rule decides first, so this "
        "one never applies; with a different action that is an error."),
    LintRule.EGRESS_DENY_WITHOUT_DNS: RuleInfo(
        "Egress isolated without DNS",
        "Pods isolated for egress may not reach DNS (UDP 53 to the cluster's DNS pods): name lookups fail."),
    LintRule.EQUAL_PRIORITY_OVERLAP: RuleInfo(
        "Admin policies of equal priority overlap",
        "Two admin-tier policies share a priority, select common pods and have rules that match common "
        "traffic: which applies first is up to the implementation (an error when their actions differ)."),
    LintRule.IPBLOCK_COVERS_POD_IPS: RuleInfo(
        "ipBlock covers pod IPs",
        "An ipBlock (or networks peer) contains pod addresses. The upstream e2e tests apply it to pods, some "
        "network plugins do not: the same policy then behaves differently."),
    LintRule.PODS_UNSELECTED: RuleInfo(
        "Pods not selected in a namespace with policies",
        "The namespace has policies, but some of its pods are selected by none of them: they are not "
        "isolated, often a missing default deny."),
    LintRule.HOST_NETWORK_SELECTED: RuleInfo(
        "Policy selects host-network pods",
        "The policy selects pods that use the host network: most network plugins do not apply pod policies "
        "to them, so the policy does not protect them."),
    LintRule.INGRESS_ISOLATED_BY_DEFAULT: RuleInfo(
        "Ingress isolated by defaulted policyTypes",
        "policyTypes was left out and the policy has egress rules only: the API defaults policyTypes to "
        "[Ingress, Egress], so it also isolates ingress and allows none."),
}


@record
class Finding:
    rule: LintRule
    severity: Severity
    kind: str
    namespace: str | None
    name: str
    path: Path  # inside the object's YAML
    message: str  # why, in words
    origin: str = ""  # where the object was read (file:line), when known
    related: tuple[str, ...] = field(default=())  # other objects involved ("kind ns/name")

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    @property
    def object_text(self) -> str:
        return f"{self.kind} {self.key}"

    @property
    def path_text(self) -> str:
        return path_text(self.path)


def path_text(path: Path) -> str:
    """("spec", "ingress", 0, "from", 1) -> "spec.ingress[0].from[1]"."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


def failing(findings: Iterable[Finding], threshold: Severity = Severity.ERROR) -> bool:
    return any(f.severity.rank >= threshold.rank for f in findings)


# -- where things are in a manifest ----------------------------------------------------------------

_PORTS_KEY = {"NetworkPolicy": "ports", "AdminNetworkPolicy": "ports", "BaselineAdminNetworkPolicy": "ports",
              "ClusterNetworkPolicy": "protocols"}
_ADMIN_KINDS = ("AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy")


def rule_path(policy: CompiledPolicy, direction: Direction, rule: CompiledRule) -> Path:
    section = getattr(rule, "section", None)  # dialects whose rules live elsewhere say where
    base: Path = tuple(section) if section else ("spec", direction.value)
    return (*base, rule.index)


def peer_path(policy: CompiledPolicy, direction: Direction, rule: CompiledRule, peer: int) -> Path:
    if policy.kind not in _PORTS_KEY:
        return rule_path(policy, direction, rule)
    return (*rule_path(policy, direction, rule), "from" if direction is Direction.INGRESS else "to", peer)


def port_path(policy: CompiledPolicy, direction: Direction, rule: CompiledRule, port: int) -> Path:
    key = _PORTS_KEY.get(policy.kind)
    if key is None:
        return rule_path(policy, direction, rule)
    return (*rule_path(policy, direction, rule), key, port)


def subject_path(policy: CompiledPolicy) -> Path:
    if isinstance(policy.subject, NamespacePods):
        return ("spec", "podSelector")
    if isinstance(policy.subject, SelectedNamespacePods):
        return ("spec", "subject")
    return ("spec",)


def _namespace_selector_path(policy: CompiledPolicy, peer: PodPeer) -> Path:
    if policy.kind == "NetworkPolicy":
        return ("namespaceSelector",)
    if policy.kind in _ADMIN_KINDS:
        return ("namespaces",) if peer.pod_selector is None else ("pods", "namespaceSelector")
    return ()


def _names(pods: Sequence[Pod]) -> str:
    shown = ", ".join(p.key for p in pods[:LISTED])
    return shown + (f" and {len(pods) - LISTED} more" if len(pods) > LISTED else "")


# -- structural comparison (for any pods) -----------------------------------------------------------


def _requirement_holds(a: LabelSelector, req: Requirement) -> bool:
    """Every label map `a` matches satisfies `req` (sound, not complete)."""
    labels = dict(a.match_labels)
    value = labels.get(req.key)
    mine = [r for r in a.match_expressions if r.key == req.key]
    if req.operator is Operator.EXISTS:
        return value is not None or any(r.operator in (Operator.IN, Operator.EXISTS) for r in mine)
    if req.operator is Operator.DOES_NOT_EXIST:
        return any(r.operator is Operator.DOES_NOT_EXIST for r in mine)
    if req.operator is Operator.IN:
        return (value is not None and value in req.values) or any(
            r.operator is Operator.IN and set(r.values) <= set(req.values) for r in mine)
    return (value is not None and value not in req.values) or any(  # NOT_IN
        (r.operator is Operator.IN and not set(r.values) & set(req.values))
        or (r.operator is Operator.NOT_IN and set(r.values) >= set(req.values))
        or r.operator is Operator.DOES_NOT_EXIST for r in mine)


def selector_implies(a: LabelSelector | None, b: LabelSelector | None) -> bool:
    """Whatever `a` matches, `b` matches too (None: everything). Sound, not complete."""
    if b is None or b.is_empty:
        return True
    if a is None:
        return False
    terms = [Requirement(k, Operator.IN, (v,)) for k, v in b.match_labels] + list(b.match_expressions)
    return all(_requirement_holds(a, req) for req in terms)


def _ranges(block: IPBlock) -> list[tuple[int, int]]:
    """The block's addresses as sorted, disjoint integer ranges (one IP family)."""
    out = [(int(block.cidr.network_address), int(block.cidr.broadcast_address))]
    for hole in sorted(block.excepts, key=lambda n: int(n.network_address)):
        lo, hi = int(hole.network_address), int(hole.broadcast_address)
        nxt = []
        for a, b in out:
            if hi < a or lo > b:
                nxt.append((a, b))
                continue
            if a < lo:
                nxt.append((a, lo - 1))
            if hi < b:
                nxt.append((hi + 1, b))
        out = nxt
    return out


def _blocks_cover(big: Sequence[IPBlock], small: Sequence[IPBlock]) -> bool:
    """The addresses of `small` all lie in `big`."""
    for version in (4, 6):
        need = [r for b in small if b.cidr.version == version for r in _ranges(b)]
        have = sorted(r for b in big if b.cidr.version == version for r in _ranges(b))
        merged: list[tuple[int, int]] = []
        for a, b in have:
            if merged and a <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        for a, b in need:
            if not any(x <= a and b <= y for x, y in merged):
                return False
    return True


def _ports_overlap(x: PortMatcher, y: PortMatcher) -> bool:
    """Some connection matches both entries (sound: named ports only meet the same name or a whole
    protocol)."""
    if isinstance(x, PortRange) and isinstance(y, PortRange):
        if x.protocol is not y.protocol:
            return False
        _, a, b = x.bounds()
        _, c, d = y.bounds()
        return a <= d and c <= b
    if isinstance(x, NamedPort) and isinstance(y, NamedPort):
        return x.name == y.name and (x.protocol is None or y.protocol is None or x.protocol is y.protocol)
    named, other = (x, y) if isinstance(x, NamedPort) else (y, x)
    if isinstance(named, NamedPort) and isinstance(other, PortRange):
        return other.start is None and (named.protocol is None or named.protocol is other.protocol)
    return x == y


def _blocks_overlap(one: Sequence[IPBlock], other: Sequence[IPBlock]) -> bool:
    for x in one:
        for y in other:
            if x.cidr.version != y.cidr.version:
                continue
            for a, b in _ranges(x):
                for c, d in _ranges(y):
                    if a <= d and c <= b:
                        return True
    return False


class _Compare:
    """Whether one rule's peers and ports cover another's (for any pods)."""

    def __init__(self, cluster: Cluster) -> None:
        self.index = cluster.index

    def peer_covers(self, big: PeerMatcher, small: PeerMatcher, own_namespace: str | None) -> bool:
        if big == small:
            return True
        if isinstance(big, IPBlockPeer | NetworksPeer) and isinstance(small, IPBlockPeer | NetworksPeer):
            return _blocks_cover(big.address_blocks(), small.address_blocks())
        if isinstance(big, PodPeer) and isinstance(small, PodPeer) and big.admin == small.admin:
            if big.namespace_selector is None:
                if small.namespace_selector is not None or small.namespace != big.namespace:
                    return False
            elif small.namespace_selector is None:
                # The policy's own namespace: covered when the selector picks it (its labels were read).
                ns = small.namespace or own_namespace
                if ns is None or ns not in self.index.loaded_namespaces:
                    return False
                if not selector_matches(big.namespace_selector, self.index.namespace_labels(ns)):
                    return False
            elif not selector_implies(small.namespace_selector, big.namespace_selector):
                return False
            return selector_implies(small.pod_selector, big.pod_selector)
        return False

    @staticmethod
    def port_covers(big: PortMatcher, small: PortMatcher) -> bool:
        if big == small:
            return True
        if isinstance(big, PortRange):
            if isinstance(small, PortRange):
                if big.protocol is not small.protocol:
                    return False
                _, lo, hi = big.bounds()
                _, a, b = small.bounds()
                return lo <= a and b <= hi
            if isinstance(small, NamedPort):
                return big.start is None and small.protocol is big.protocol
        if isinstance(big, NamedPort) and isinstance(small, NamedPort):
            return big.name == small.name and (big.protocol is None or big.protocol is small.protocol)
        return False

    def rule_covers(self, big: CompiledRule, small: CompiledRule, own_namespace: str | None) -> bool:
        if big.fail_closed is not None or small.fail_closed is not None:
            return False
        if big.peers is not None:
            if small.peers is None:
                return False
            if not all(any(self.peer_covers(b, s, own_namespace) for b in big.peers) for s in small.peers):
                return False
        if big.ports is not None:
            if small.ports is None:
                return False
            if not all(any(self.port_covers(b, s) for b in big.ports) for s in small.ports):
                return False
        return True


# -- the checks -------------------------------------------------------------------------------------


class _Linter:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.index = cluster.index
        self.program = cluster.program
        self.pods = tuple(sorted(cluster.pods, key=lambda p: (p.namespace, p.name)))
        self.classes = partition(self.program, self.index, self.pods)
        self.space = ClassSpace(self.program, self.index, self.classes, PortQuery(Protocol.TCP, None))
        reps = self.classes.representatives
        self.running = np.array([r.carries_traffic for r in reps], dtype=np.bool_)
        self.compare = _Compare(cluster)
        self._members: list[list[Pod]] | None = None
        self._origin_cache: dict[tuple[str, str | None, str], str] | None = None
        self._ns_index: LabelIndex | None = None
        self._ns_unloaded: list[str] = []
        self._ns_cache: dict[LabelSelector, bool] = {}
        self.pods_gap = any(g.resource is Resource.PODS and g.hides_objects for g in self.index.unreadable)

    def members(self, mask: BoolArray) -> list[Pod]:
        """The pods of the classes in `mask`, sorted."""
        if self._members is None:
            self._members = [[] for _ in range(self.classes.count)]
            for pod, c in zip(self.pods, self.classes.class_of.tolist(), strict=True):
                self._members[c].append(pod)
        return sorted((p for c in np.flatnonzero(mask).tolist() for p in self._members[c]),
                      key=lambda p: (p.namespace, p.name))

    def policies(self) -> Iterator[tuple[CompiledTier, CompiledPolicy]]:
        for tier in self.program.tiers:
            for policy in tier.policies:
                yield tier, policy

    def finding(self, rule: LintRule, severity: Severity, policy: CompiledPolicy, path: Path, message: str,
                related: tuple[str, ...] = ()) -> Finding:
        origin = self._origins().get((policy.kind, policy.namespace, policy.name), "")
        return Finding(rule, severity, policy.kind, policy.namespace, policy.name, path, message, origin, related)

    def _origins(self) -> dict[tuple[str, str | None, str], str]:
        found = self._origin_cache
        if found is None:
            found = {("NetworkPolicy", p.namespace, p.name): p.origin for p in self.cluster.network_policies}
            found.update({(p.kind, None, p.name): p.origin for p in self.cluster.admin_policies})
            self._origin_cache = found
        return found

    def subject(self, policy: CompiledPolicy) -> BoolArray:
        """Classes the policy surely or maybe selects, in any namespace."""
        sure, maybe = policy.subject.mask(self.space)
        out: BoolArray = sure | maybe
        return out

    def pods_hidden(self, namespace: str | None) -> bool:
        gap = self.index.unreadable_for(Resource.PODS, namespace)
        return (gap is not None and gap.hides_objects) or (namespace is None and self.pods_gap)

    # 1. selects no pod; host-network pods selected; defaulted policyTypes
    def subjects(self) -> Iterator[Finding]:
        for _, policy in self.policies():
            selected = self.subject(policy)
            where = f"in namespace {policy.namespace}" if policy.namespace else "in any namespace"
            if not selected.any():
                if not self.pods_hidden(policy.namespace):
                    yield self.finding(LintRule.SELECTS_NO_POD, Severity.WARNING, policy, subject_path(policy),
                                       f"{policy.subject.description} selects no pod {where} (with the pods "
                                       "loaded): the policy has no effect")
                continue
            host = selected & self.space.host_network
            if host.any():
                pods = self.members(host)
                yield self.finding(LintRule.HOST_NETWORK_SELECTED, Severity.WARNING, policy, subject_path(policy),
                                   f"{policy.subject.description} selects {len(pods)} host-network pod"
                                   f"{'s' if len(pods) > 1 else ''} ({_names(pods)}): most network plugins do "
                                   "not apply pod policies to them")
            if policy.ingress_by_default:
                yield self.finding(LintRule.INGRESS_ISOLATED_BY_DEFAULT, Severity.WARNING, policy, ("spec",),
                                   "policyTypes is not set and the policy has only egress rules: it defaults to "
                                   "[Ingress, Egress], so the selected pods also accept no ingress; set "
                                   "policyTypes: [Egress] if that is not meant")

    # 2, 3. peers and namespace selectors that match nothing
    def peers(self) -> Iterator[Finding]:
        namespaces = self.index.namespaces
        for _, policy in self.policies():
            for direction in Direction:
                for rule in policy.rules(direction):
                    for j, peer in enumerate(rule.peers or ()):
                        if not isinstance(peer, PodPeer):
                            continue
                        path = peer_path(policy, direction, rule, j)
                        if peer.namespace_selector is not None and not self._namespaces_may_match(
                                peer.namespace_selector):
                                yield self.finding(
                                    LintRule.NAMESPACE_SELECTOR_MATCHES_NOTHING, Severity.WARNING, policy,
                                    (*path, *_namespace_selector_path(policy, peer)),
                                    f"{direction.value} rule {rule.index}: namespaceSelector "
                                    f"{peer.namespace_selector.describe()} matches none of the {len(namespaces)} "
                                    "namespaces loaded")
                                continue
                        sure, maybe = self.space.peer_masks(peer)
                        if not (sure | maybe).any() and not self.pods_hidden(None):
                            yield self.finding(LintRule.PEER_SELECTS_NO_POD, Severity.WARNING, policy, path,
                                               f"{direction.value} rule {rule.index}: peer {peer.description} "
                                               "selects no pod (with the pods loaded)")

    def _namespaces_may_match(self, selector: LabelSelector) -> bool:
        """Whether the selector matches, or may match, some namespace known (loaded, or named by what was
        loaded: of those only the name label is known, so they may match unless it already fails)."""
        found = self._ns_cache.get(selector)
        if found is None:
            if self._ns_index is None:
                names = sorted(self.index.namespaces)
                self._ns_index = LabelIndex([self.index.namespace_labels(ns) for ns in names])
                self._ns_unloaded = [ns for ns in names if ns not in self.index.loaded_namespaces]
            found = bool(self._ns_index.matches(selector).any()) or any(
                not isinstance(partly_known(selector, self.index.namespace_labels(ns)), str)
                for ns in self._ns_unloaded)
            self._ns_cache[selector] = found
        return found

    # 4. named ports nobody declares
    def named_ports(self) -> Iterator[Finding]:
        reps = self.classes.representatives
        for _, policy in self.policies():
            selected = self.subject(policy)
            for direction in Direction:
                for rule in policy.rules(direction):
                    named = [(k, p) for k, p in enumerate(rule.ports or ()) if isinstance(p, NamedPort)]
                    if not named:
                        continue
                    if direction is Direction.INGRESS:
                        targets, whose = selected, "the pods the policy selects"
                    elif rule.peers is not None and all(isinstance(p, PodPeer) for p in rule.peers):
                        targets = self.space.nothing
                        for peer in rule.peers:
                            sure, maybe = self.space.peer_masks(peer)
                            targets = targets | sure | maybe
                        whose = "the pods the rule's peers select"
                    else:
                        targets, whose = self.space.everything, "any pod loaded"
                    if not targets.any() or self.pods_hidden(None):
                        continue  # nothing to check against (a selector matching nothing is its own finding)
                    chosen = np.flatnonzero(targets).tolist()
                    for k, port in named:
                        protocols = (port.protocol,) if port.protocol is not None else tuple(Protocol)
                        if any(reps[c].named_ports(port.name, proto) for c in chosen for proto in protocols):
                            continue
                        proto = port.protocol.value if port.protocol is not None else "any protocol"
                        yield self.finding(LintRule.NAMED_PORT_UNDECLARED, Severity.WARNING, policy,
                                           port_path(policy, direction, rule, k),
                                           f"{direction.value} rule {rule.index}: named port {port.name!r} "
                                           f"({proto}) is declared by none of {whose}: the entry matches no "
                                           "connection")

    # 5. shadowed rules
    def shadowed(self) -> Iterator[Finding]:
        for tier in self.program.tiers:
            if tier.mode is Mode.ISOLATION_UNION:
                yield from self._redundant_in_union(tier)
            elif tier.mode is Mode.FIRST_MATCH:
                yield from self._shadowed_in_order(tier)

    def _redundant_in_union(self, tier: CompiledTier) -> Iterator[Finding]:
        # Policies with the same subject: their rules are one union for the same pods.
        groups: dict[tuple[object, ...], list[CompiledPolicy]] = {}
        for policy in tier.policies:
            groups.setdefault((policy.subject.namespace, policy.subject), []).append(policy)
        for policies in groups.values():
            for direction in Direction:
                entries = [(p, r) for p in policies if direction in p.directions for r in p.rules(direction)]
                for position, (policy, rule) in enumerate(entries):
                    for other_position, (other, by) in enumerate(entries):
                        if other_position == position:
                            continue
                        if not self.compare.rule_covers(by, rule, policy.namespace):
                            continue
                        if self.compare.rule_covers(rule, by, policy.namespace) and other_position > position:
                            continue  # the same rule twice: report the later one only
                        where = "" if other is policy else f" of {other.kind} {other.key}"
                        yield self.finding(LintRule.SHADOWED_RULE, Severity.NOTE, policy,
                                           rule_path(policy, direction, rule),
                                           f"{direction.value} rule {rule.index} is redundant: {direction.value} "
                                           f"rule {by.index}{where} allows everything it allows",
                                           (f"{other.kind} {other.key}",) if other is not policy else ())
                        break

    def _shadowed_in_order(self, tier: CompiledTier) -> Iterator[Finding]:
        for policy in tier.policies:
            for direction in Direction:
                rules = policy.rules(direction)
                for i, rule in enumerate(rules):
                    for earlier in rules[:i]:
                        if not self.compare.rule_covers(earlier, rule, policy.namespace):
                            continue
                        differs = earlier.action is not rule.action
                        severity = Severity.ERROR if differs else Severity.NOTE
                        shown = rule.action_text or rule.action.value
                        by = earlier.action_text or earlier.action.value
                        yield self.finding(LintRule.SHADOWED_RULE, severity, policy,
                                           rule_path(policy, direction, rule),
                                           f"{direction.value} rule {rule.index} ({shown}) never applies: "
                                           f"{direction.value} rule {earlier.index} ({by}) comes first and matches "
                                           "everything it matches" + (", with another action" if differs else ""))
                        break

    # 6. egress isolation without DNS
    def dns(self) -> Iterator[Finding]:
        reps = self.classes.representatives
        dns = np.array([r.carries_traffic and (r.labels.get("k8s-app") in ("kube-dns", "coredns")
                                                or bool(r.named_ports("dns", Protocol.UDP))) for r in reps],
                       dtype=np.bool_)
        tiers = [t for t in self.program.tiers if t.may_isolate]
        if not tiers:
            return
        evaluator = ClassEvaluator(self.cluster, self.classes, Protocol.UDP, 53)
        table = evaluator.row_table(Direction.EGRESS)
        target = dns if dns.any() else self.running
        what = ("the cluster's DNS pods (" + _names(self.members(dns)) + ")") if dns.any() else "any pod"
        space = evaluator.space
        affected: dict[int, list[int]] = {}  # policy id -> classes
        by_id: dict[int, CompiledPolicy] = {}
        for c, rep in enumerate(reps):
            if not rep.carries_traffic or rep.host_network or dns[c]:
                continue
            row = table.which[c]
            if (table.allowed[row] & target).any() or (table.unknown[row] & target).any():
                continue
            isolating = [p for tier in tiers for p in space.selection(tier, c, Direction.EGRESS)[0]
                         if MODES[tier.mode].isolating(tier, p, Direction.EGRESS)]
            if not isolating:
                continue  # denied by another tier: that tier's rules say so themselves
            if not dns.any() and self._outside_dns(isolating):
                continue
            for policy in isolating:
                affected.setdefault(id(policy), []).append(c)
                by_id[id(policy)] = policy
        for key, classes in affected.items():
            policy = by_id[key]
            mask = np.zeros(self.classes.count, dtype=np.bool_)
            mask[classes] = True
            pods = self.members(mask)
            yield self.finding(LintRule.EGRESS_DENY_WITHOUT_DNS, Severity.WARNING, policy, ("spec", "egress"),
                               f"isolates egress of {len(pods)} pod{'s' if len(pods) > 1 else ''} ({_names(pods)}), "
                               f"and no egress rule of the policies selecting them allows DNS (UDP 53) to {what}")

    @staticmethod
    def _outside_dns(policies: Sequence[CompiledPolicy]) -> bool:
        """Without DNS pods loaded: does some egress rule allow UDP 53 to an outside address?"""
        query = PortQuery(Protocol.UDP, 53)
        for policy in policies:
            for rule in policy.egress:
                if rule.fail_closed is not None:
                    continue
                ports_ok = rule.ports is None or any(p.explain(query, None, False).matched for p in rule.ports)
                peers_ok = rule.peers is None or any(isinstance(p, IPBlockPeer | NetworksPeer) for p in rule.peers)
                if ports_ok and peers_ok:
                    return True
        return False

    # 7. equal priorities
    def priorities(self) -> Iterator[Finding]:
        for tier in self.program.tiers:
            if tier.mode is not Mode.FIRST_MATCH:
                continue
            by_priority: dict[int, list[CompiledPolicy]] = {}
            for policy in tier.policies:
                if policy.priority is not None:
                    by_priority.setdefault(policy.priority, []).append(policy)
            for priority, policies in sorted(by_priority.items()):
                for i, one in enumerate(policies):
                    for other in policies[i + 1:]:
                        common = self.subject(one) & self.subject(other)
                        if not common.any():
                            continue
                        actions = self._overlapping_actions(one, other)
                        if actions is None:
                            continue
                        severity = Severity.ERROR if actions else Severity.WARNING
                        pods = self.members(common)
                        yield self.finding(
                            LintRule.EQUAL_PRIORITY_OVERLAP, severity, one, ("spec", "priority"),
                            f"priority {priority} is also the priority of {other.kind} {other.key}; both select "
                            f"{len(pods)} pod{'s' if len(pods) > 1 else ''} ({_names(pods)}) and have rules that "
                            "match the same traffic" + (" with different actions: which applies is up to the "
                                                        "implementation" if actions else ""),
                            (f"{other.kind} {other.key}",))

    def _overlapping_actions(self, one: CompiledPolicy, other: CompiledPolicy) -> bool | None:
        """None: no rules of the two match common traffic; else whether such rules differ in action."""
        found: bool | None = None
        for direction in Direction:
            for a in one.rules(direction):
                for b in other.rules(direction):
                    if self._rules_overlap(a, b):
                        found = bool(found) or a.action is not b.action
        return found

    def _rules_overlap(self, a: CompiledRule, b: CompiledRule) -> bool:
        if a.ports is not None and b.ports is not None and not any(
                _ports_overlap(x, y) for x in a.ports for y in b.ports):
            return False
        if a.peers is None or b.peers is None:
            return True
        for x in a.peers:
            for y in b.peers:
                if x.address_blocks() and y.address_blocks():
                    if _blocks_overlap(x.address_blocks(), y.address_blocks()):
                        return True
                    continue
                sx, _ = self.space.peer_masks(x)
                sy, _ = self.space.peer_masks(y)
                if (sx & sy).any():
                    return True
        return False

    # 8. ipBlocks over pod addresses
    def ip_blocks(self) -> Iterator[Finding]:
        enforced = ~self.space.host_network & self.running
        for _, policy in self.policies():
            for direction in Direction:
                for rule in policy.rules(direction):
                    for j, peer in enumerate(rule.peers or ()):
                        blocks = peer.address_blocks()
                        if not blocks:
                            continue
                        inside = self.space.in_blocks(blocks) & enforced
                        if not inside.any():
                            continue
                        pods = self.members(inside)
                        yield self.finding(LintRule.IPBLOCK_COVERS_POD_IPS, Severity.WARNING, policy,
                                           peer_path(policy, direction, rule, j),
                                           f"{direction.value} rule {rule.index}: {peer.description} contains the "
                                           f"addresses of {len(pods)} pod{'s' if len(pods) > 1 else ''} "
                                           f"({_names(pods)}); network plugins differ on whether ipBlocks apply to "
                                           "pods")

    # 9. pods of a namespace with policies that none selects
    def unselected(self) -> Iterator[Finding]:
        by_namespace: dict[str, list[CompiledPolicy]] = {}
        for _, policy in self.policies():
            if policy.subject.namespace is not None:
                by_namespace.setdefault(policy.subject.namespace, []).append(policy)
        for namespace, policies in sorted(by_namespace.items()):
            if self.pods_hidden(namespace):
                continue
            here = self.space.in_namespace(namespace) & self.running & ~self.space.host_network
            if not here.any():
                continue
            covered = self.space.nothing
            for policy in policies:
                covered = covered | self.subject(policy)
            left = here & ~covered
            if not left.any():
                continue
            pods = self.members(left)
            total = len(self.members(here))
            names = ", ".join(sorted(p.name for p in policies)[:LISTED])
            yield Finding(LintRule.PODS_UNSELECTED, Severity.WARNING, "Namespace", None, namespace, ("metadata",),
                          f"{len(pods)} of {total} pods are selected by none of the namespace's {len(policies)} "
                          f"polic{'ies' if len(policies) > 1 else 'y'} ({names}): {_names(pods)}")


def lint(cluster: Cluster) -> list[Finding]:
    """Every finding, most severe first, then by object and path."""
    linter = _Linter(cluster)
    found: list[Finding] = []
    for check in (linter.subjects, linter.peers, linter.named_ports, linter.shadowed, linter.dns, linter.priorities,
                  linter.ip_blocks, linter.unselected):
        found.extend(check())
    return sorted(found, key=lambda f: (-f.severity.rank, f.kind, f.namespace or "", f.name, f.path_text, f.rule))


