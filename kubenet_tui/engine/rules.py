"""The compiled rule model: every policy of every dialect becomes subjects, rules, peers and ports.

A rule is `(peers, ports, action)` with a reference back to the policy that wrote it; a policy is a
subject (which pods it governs), its rules per direction and its precedence. Peers, ports and subjects
are matcher objects, one class per form, each with two faces:

- `explain(...)`: one concrete connection, with the reason in words (what `check` and the explorer show);
- `mask(space)`: every pod class at once, as boolean vectors (what `matrix` computes).

The mask face of a matcher defaults to asking `explain` once per pod class, which is exact because the
classes are built so that no matcher can tell two pods of a class apart (see `classes.partition`): a new
peer form is one class here, and it is right in the matrix before it is fast there. The vectorised
faces of the common forms (selectors, CIDRs) are written over the `ClassSpace` primitives, so this
module imports no numpy: `check` never pays for it.
"""

from __future__ import annotations

from dataclasses import field
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

from kubenet_tui.engine.explain import Check, Direction, Form, RuleExplanation
from kubenet_tui.engine.model import IPAddress, IPBlock, IPNetwork, LabelSelector, Pod, Protocol
from kubenet_tui.engine.records import record
from kubenet_tui.engine.selectors import partly_known, selector_matches, selector_mismatch

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import TypeAlias

    from kubenet_tui.engine.classes import BoolArray, ClassSpace
    from kubenet_tui.engine.cluster import ClusterIndex

    Masks: TypeAlias = tuple[BoolArray, BoolArray]  # (surely matched, might match: data not read)
    PortMask: TypeAlias = bool | BoolArray  # one answer for all destinations, or one per destination class


class Action(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"
    PASS = "Pass"
    LOG = "Log"  # never decides: the packet is logged and the next rule is evaluated (Calico)


@record
class PortQuery:
    """The connection's protocol and destination port; `port` None asks about every port."""

    protocol: Protocol
    port: int | None


@record
class PeerView:
    """The other end of the connection as a policy sees it: a pod (with its namespace's labels) or
    an address outside the cluster."""

    pod: Pod | None
    namespace_labels: Mapping[str, str] | None
    ips: tuple[IPAddress, ...]
    # Why the pod's namespace labels are unknown (RBAC, not loaded); None when they were read.
    namespace_gap: str | None = None
    # A reserved identity of the network plugin instead of a pod or an address: Cilium's Envoy proxy
    # (ingress, Gateway API) reaches backends as `ingress`. Only its dialect's matchers match it.
    identity: str | None = None

    @property
    def name(self) -> str:
        if self.identity is not None:
            return f"the {self.identity} identity"
        return self.pod.key if self.pod is not None else ", ".join(str(ip) for ip in self.ips)


@record
class Match:
    """One matcher's answer for one connection."""

    matched: bool
    reason: str
    unknown: bool = False  # it might match: the data needed could not be read (then matched is False)


# -- peers ------------------------------------------------------------------------------------------


class PeerMatcher:
    """A peer form. Subclasses are frozen dataclasses (equal peers share their cached masks)."""

    __slots__ = ()
    description: str
    # What pods must be told apart by, beyond namespace and labels, for this peer's answer to be the
    # same for every pod of a class (see `classes.partition`).
    reads_nodes: ClassVar[bool] = False

    @property
    def form(self) -> Form:
        raise NotImplementedError

    def explain(self, other: PeerView, index: ClusterIndex) -> Match:
        raise NotImplementedError

    def mask(self, space: ClassSpace) -> Masks:
        return space.by_representative(self)

    def address_blocks(self) -> tuple[IPBlock, ...]:
        return ()

    def check(self, position: int, other: PeerView, index: ClusterIndex) -> Check:
        found = self.explain(other, index)
        return Check(position, found.matched, self.description, found.reason, found.unknown, self.form)


@record
class PodPeer(PeerMatcher):
    """Pods by label, in one namespace (`namespace`, a NetworkPolicy's own) or in the namespaces a
    selector picks; no pod selector means every pod there. Admin-tier peers never match host-network
    pods (`admin`)."""

    namespace: str | None
    namespace_selector: LabelSelector | None
    pod_selector: LabelSelector | None
    description: str
    admin: bool = False
    # What to say when the other end is not a pod: which peer forms would match it instead.
    outside_hint: str = "only ipBlock peers match it"

    @property
    def form(self) -> Form:
        return Form.PODS if self.pod_selector is not None else Form.NAMESPACES

    def explain(self, other: PeerView, index: ClusterIndex) -> Match:
        pod = other.pod
        if pod is None or other.namespace_labels is None:
            word = "outside the cluster" if not self.admin else "not a pod"
            return Match(False, f"{other.name} is {word}: {self.outside_hint}")
        if self.admin and pod.host_network:
            return Match(False, f"{pod.key} uses the host network; admin policy peers exclude it")
        if self.namespace_selector is None:
            if pod.namespace != self.namespace:
                return Match(False, f"{pod.key} is in namespace {pod.namespace}; a podSelector without "
                                    f"namespaceSelector only selects pods in {self.namespace}")
        elif other.namespace_gap is not None:
            decided = partly_known(self.namespace_selector, {_NAME_LABEL: pod.namespace})
            if isinstance(decided, str):
                return Match(False, f"namespace {pod.namespace}: {decided}")
            if decided is True:
                if self.pod_selector is not None:
                    why_not = selector_mismatch(self.pod_selector, pod.labels)
                    if why_not is not None:
                        return Match(False, f"pod {pod.key}: {why_not}")
                return Match(False, f"the labels of namespace {pod.namespace} could not be read "
                                    f"({other.namespace_gap}): cannot tell", unknown=True)
        else:
            why_not = selector_mismatch(self.namespace_selector, other.namespace_labels)
            if why_not is not None:
                return Match(False, f"namespace {pod.namespace}: {why_not}")
        if self.pod_selector is not None:
            why_not = selector_mismatch(self.pod_selector, pod.labels)
            if why_not is not None:
                return Match(False, f"pod {pod.key}: {why_not}")
            if self.namespace_selector is None:
                return Match(True, f"pod {pod.key} matches in the policy's namespace")
            if self.admin:
                return Match(True, f"pod {pod.key} matches")
            return Match(True, f"pod {pod.key} and namespace {pod.namespace} match")
        return Match(True, f"namespace {pod.namespace} matches")

    def mask(self, space: ClassSpace) -> Masks:
        if self.namespace_selector is None:
            sure = space.in_namespace(self.namespace or "")
            maybe = space.nothing
        else:
            sure, maybe = space.namespaces(self.namespace_selector)
        if self.pod_selector is not None:
            pods = space.pods(self.pod_selector)
            sure, maybe = sure & pods, maybe & pods
        if self.admin:
            sure, maybe = sure & ~space.host_network, maybe & ~space.host_network
        return sure, maybe


def ip_block_check(block: IPBlock, ips: tuple[IPAddress, ...]) -> Match:
    """Whether any of `ips` lies in `block.cidr` and outside every except, with the reason."""
    reasons = []
    for ip in ips:
        if ip.version != block.cidr.version:
            reasons.append(f"{ip} is IPv{ip.version}, the block is IPv{block.cidr.version}")
            continue
        if ip not in block.cidr:
            reasons.append(f"{ip} is outside {block.cidr}")
            continue
        hole = next((e for e in block.excepts if ip in e), None)
        if hole is not None:
            reasons.append(f"{ip} is inside {block.cidr} but in the except {hole}")
            continue
        return Match(True, f"{ip} is inside {block.cidr}" + (" and outside the excepts" if block.excepts else ""))
    return Match(False, "; ".join(reasons) if reasons else "no IP address to compare")


@record
class IPBlockPeer(PeerMatcher):
    """A NetworkPolicy ipBlock: addresses in the CIDR and outside every except, pods' IPs included
    (the upstream e2e reading; `Caveat` ipblock-pod-ip says CNIs differ)."""

    block: IPBlock
    description: str

    @property
    def form(self) -> Form:
        return Form.IP_BLOCK

    def explain(self, other: PeerView, index: ClusterIndex) -> Match:
        return ip_block_check(self.block, other.ips)

    def mask(self, space: ClassSpace) -> Masks:
        return space.in_blocks((self.block,)), space.nothing

    def address_blocks(self) -> tuple[IPBlock, ...]:
        return (self.block,)


@record
class NetworksPeer(PeerMatcher):
    """Admin-tier `networks`: any of the CIDRs, pods' IPs included."""

    networks: tuple[IPNetwork, ...]
    description: str

    @property
    def form(self) -> Form:
        return Form.NETWORKS

    def explain(self, other: PeerView, index: ClusterIndex) -> Match:
        for net in self.networks:
            for ip in other.ips:
                if ip.version == net.version and ip in net:
                    return Match(True, f"{ip} is inside {net}")
        return Match(False, f"{other.name} is in none of the networks")

    def mask(self, space: ClassSpace) -> Masks:
        return space.in_blocks(self.address_blocks()), space.nothing

    def address_blocks(self) -> tuple[IPBlock, ...]:
        return tuple(IPBlock(net) for net in self.networks)


@record
class NodesPeer(PeerMatcher):
    """Admin-tier `nodes`: addresses of the nodes whose labels match."""

    reads_nodes: ClassVar[bool] = True
    selector: LabelSelector
    description: str

    @property
    def form(self) -> Form:
        return Form.NODES

    def explain(self, other: PeerView, index: ClusterIndex) -> Match:
        nodes_gap = index.nodes_gap()
        if nodes_gap is not None and not any(ip in index.node_by_ip for ip in other.ips):
            return Match(False, f"Nodes could not be read ({nodes_gap}): cannot tell whether {other.name} is a node",
                         unknown=True)
        for ip in other.ips:
            node = index.node_by_ip.get(ip)
            if node is not None:
                why_not = selector_mismatch(self.selector, node.labels)
                if why_not is None:
                    return Match(True, f"{ip} is node {node.name}, which matches")
                return Match(False, f"{ip} is node {node.name}: {why_not}")
        return Match(False, f"{other.name} is not a known node address")


@record
class UnknownPeer(PeerMatcher):
    """A peer form this engine does not know (a newer API, or DNS names it cannot resolve offline).
    The API says to fail closed: the rule's own action decides whether that means "matches
    everything" (Deny, Pass) or "matches nothing" (Allow)."""

    written: str  # the unknown field(s)
    matches_all: bool
    action_text: str
    description: str

    @property
    def form(self) -> Form:
        return Form.UNKNOWN_PEER

    def explain(self, other: PeerView, index: ClusterIndex) -> Match:
        verb = "matches everything" if self.matches_all else "matches nothing"
        what = ("domainNames peers name DNS names, which cannot be resolved offline" if self.written == "domainNames"
                else f"peer form {self.written!r} is not understood")
        return Match(self.matches_all, f"{what}: for {self.action_text} it {verb} (fail closed)")

    def mask(self, space: ClassSpace) -> Masks:
        return (space.everything if self.matches_all else space.nothing), space.nothing


_NAME_LABEL = "kubernetes.io/metadata.name"


# -- ports ------------------------------------------------------------------------------------------


class PortMatcher:
    __slots__ = ()
    description: str

    @property
    def form(self) -> Form:
        raise NotImplementedError

    def explain(self, query: PortQuery, destination: Pod | None, denies: bool) -> Match:
        """`denies`: the rule denies. Asked about every port (no port given), an entry naming some
        ports cannot answer "all allowed", but in a rule that denies it answers "not all allowed"."""
        raise NotImplementedError

    def mask(self, space: ClassSpace, query: PortQuery, denies: bool) -> PortMask:
        """A constant unless the answer depends on the destination pod (named ports)."""
        return self.explain(query, None, denies).matched

    def check(self, position: int, query: PortQuery, destination: Pod | None, denies: bool) -> Check:
        found = self.explain(query, destination, denies)
        return Check(position, found.matched, self.description, found.reason, found.unknown, self.form)


def _every_port_question(description: str, denies: bool) -> Match:
    if denies:
        return Match(True, f"denies {description}, so not every port is allowed")
    return Match(False, f"only {description}; the question is about every port (give a port to check one)")


@record
class PortRange(PortMatcher):
    """Ports `start`..`end` of one protocol (`end` None: just `start`; `start` None: every port)."""

    protocol: Protocol
    start: int | None
    end: int | None
    description: str

    @property
    def form(self) -> Form:
        if self.start is None:
            return Form.PROTOCOL
        return Form.PORT_RANGE if self.end is not None else Form.PORT

    def explain(self, query: PortQuery, destination: Pod | None, denies: bool) -> Match:
        if self.protocol is not query.protocol:
            return Match(False, f"protocol {self.protocol.value}, the connection is {query.protocol.value}")
        if self.start is None:
            return Match(True, f"every {self.protocol.value} port")
        if query.port is None:
            return _every_port_question(self.description, denies)
        if self.end is not None:
            if self.start <= query.port <= self.end:
                return Match(True, f"{query.port} is within {self.start}-{self.end}")
            return Match(False, f"{query.port} is outside {self.start}-{self.end}")
        if self.start == query.port:
            return Match(True, f"port {query.port} matches")
        return Match(False, f"port {self.start}, the connection is to {query.port}")

    def bounds(self) -> tuple[Protocol, int, int]:
        """The ports this entry covers, as an inclusive range."""
        if self.start is None:
            return self.protocol, 1, 65535
        return self.protocol, self.start, self.end if self.end is not None else self.start


def named_port_match(name: str, protocol: Protocol, query: PortQuery, destination: Pod) -> Match:
    """A named port matches when the destination pod declares that name (and protocol) for the
    connection's port number; several containers may declare the same name."""
    numbers = destination.named_ports(name, protocol)
    if not numbers:
        return Match(False, f"named port {name!r} ({protocol.value}) not found on pod {destination.key}")
    shown = "/".join(str(n) for n in numbers)
    if query.port not in numbers:
        return Match(False, f"named port {name!r} is {shown} on {destination.key}, the connection is to {query.port}")
    return Match(True, f"named port {name!r} is {query.port} on {destination.key}")


@record
class NamedPort(PortMatcher):
    """A container port name, resolved on the destination pod. `protocol` None: the connection's
    (admin-tier named ports carry no protocol of their own)."""

    name: str
    protocol: Protocol | None
    description: str

    @property
    def form(self) -> Form:
        return Form.NAMED_PORT

    def explain(self, query: PortQuery, destination: Pod | None, denies: bool) -> Match:
        if self.protocol is not None and self.protocol is not query.protocol:
            return Match(False, f"protocol {self.protocol.value}, the connection is {query.protocol.value}")
        if query.port is None:
            return _every_port_question(self.description, denies)
        if destination is None:
            return Match(False, f"named port {self.name!r} never matches an outside endpoint")
        return named_port_match(self.name, self.protocol or query.protocol, query, destination)

    def mask(self, space: ClassSpace, query: PortQuery, denies: bool) -> PortMask:
        if query.port is None or (self.protocol is not None and self.protocol is not query.protocol):
            return self.explain(query, None, denies).matched
        return space.by_destination(self, query, denies)

    def numbers(self, protocol: Protocol, destination: Pod) -> tuple[int, ...]:
        if self.protocol is not None and self.protocol is not protocol:
            return ()
        return destination.named_ports(self.name, protocol)


# -- subjects ---------------------------------------------------------------------------------------


@record
class Selection:
    """Whether a policy governs a pod: True, False, or None (cannot tell: data not read)."""

    selects: bool | None
    reason: str


class SubjectMatcher:
    __slots__ = ()
    description: str
    # The one namespace whose pods it can select (namespaced policies); None: any namespace.
    namespace: str | None

    def explain(self, pod: Pod, index: ClusterIndex) -> Selection:
        raise NotImplementedError

    def selects(self, pod: Pod, index: ClusterIndex) -> bool | None:
        """`explain(...).selects` without the words: for questions that need only the answer."""
        return self.explain(pod, index).selects

    def mask(self, space: ClassSpace) -> Masks:
        return space.subject_by_representative(self)

    def mask_in_namespace(self, space: ClassSpace) -> Masks:
        """`mask`, correct for the classes of `self.namespace` only: what the tiers ask, as they only
        offer a namespaced policy to pods of its namespace (it saves a vector per policy)."""
        return self.mask(space)


@record
class NamespacePods(SubjectMatcher):
    """A NetworkPolicy's `podSelector`: pods of the policy's own namespace."""

    namespace: str | None
    selector: LabelSelector
    description: str

    def explain(self, pod: Pod, index: ClusterIndex) -> Selection:
        if pod.namespace != self.namespace:
            return Selection(False, f"does not select {pod.key}: it is in namespace {pod.namespace}, the policy "
                                    f"in {self.namespace}")
        why_not = selector_mismatch(self.selector, pod.labels)
        if why_not is not None:
            return Selection(False, f"does not select {pod.key}: {why_not}")
        return Selection(True, f"selects {pod.key} ({self.description})")

    def selects(self, pod: Pod, index: ClusterIndex) -> bool | None:
        return pod.namespace == self.namespace and selector_matches(self.selector, pod.labels)

    def mask(self, space: ClassSpace) -> Masks:
        return space.in_namespace(self.namespace or "") & space.pods(self.selector), space.nothing

    def mask_in_namespace(self, space: ClassSpace) -> Masks:
        return space.pods(self.selector), space.nothing


@record
class SelectedNamespacePods(SubjectMatcher):
    """An admin-tier subject: pods (all, or those `pod_selector` picks) of the namespaces a selector
    picks, never host-network pods."""

    namespace_selector: LabelSelector
    pod_selector: LabelSelector | None
    description: str
    namespace: str | None = field(default=None, init=False)

    def explain(self, pod: Pod, index: ClusterIndex) -> Selection:
        if pod.host_network:
            return Selection(False, f"subject does not select {pod.key}: {pod.key} uses the host network; admin "
                                    "policies never select such pods")
        gap = index.namespace_labels_unreadable(pod.namespace)
        if gap is not None:
            decided = partly_known(self.namespace_selector, {_NAME_LABEL: pod.namespace})
            if isinstance(decided, str):
                return Selection(False, f"subject does not select {pod.key}: namespace {pod.namespace}: {decided}")
        else:
            why_not = selector_mismatch(self.namespace_selector, index.namespace_labels(pod.namespace))
            if why_not is not None:
                return Selection(False, f"subject does not select {pod.key}: namespace {pod.namespace}: {why_not}")
            decided = None
        if self.pod_selector is not None:
            why_not = selector_mismatch(self.pod_selector, pod.labels)
            if why_not is not None:
                return Selection(False, f"subject does not select {pod.key}: pod {pod.key}: {why_not}")
        if decided is True:
            assert gap is not None
            return Selection(None, f"may select {pod.key}: the labels of namespace {pod.namespace} could not be read "
                                   f"({gap.reason})")
        return Selection(True, f"subject {self.description} selects {pod.key}")

    def mask(self, space: ClassSpace) -> Masks:
        sure, maybe = space.namespaces(self.namespace_selector)
        if self.pod_selector is not None:
            pods = space.pods(self.pod_selector)
            sure, maybe = sure & pods, maybe & pods
        return sure & ~space.host_network, maybe & ~space.host_network


# -- rules and policies -----------------------------------------------------------------------------


@record(eq=False)
class CompiledRule:
    """One rule: it matches a connection when some peer and some port match. `peers`/`ports` None:
    every peer / every port. `fail_closed` names what the engine did not understand: the rule then
    matches nothing (an allow) or everything (a deny; `action` is already Deny, `written` says what
    the manifest said). `local` is a condition on the pod whose side it is (Calico rules test both
    ends: an egress rule's `source`), asked of that pod as a peer; None: no condition."""

    index: int
    action: Action
    peers: tuple[PeerMatcher, ...] | None
    ports: tuple[PortMatcher, ...] | None
    written: Action
    action_text: str | None = None  # as written, for tiers whose rules carry actions
    name: str | None = None
    fail_closed: str | None = None
    section: tuple[str | int, ...] | None = None  # its list in the manifest, when not ("spec", direction)
    local: PeerMatcher | None = None

    def explain(self, other: PeerView, query: PortQuery, destination: Pod | None,
                index: ClusterIndex) -> RuleExplanation:
        action_text, name = self.action_text, self.name
        if self.fail_closed is not None and self.peers is None:
            return RuleExplanation(self.index, False, (), (), f"fail closed: field(s) {self.fail_closed} are not "
                                                              "understood, so this rule matches nothing",
                                   action_text, name, section=self.section)
        if self.peers is None:
            peers: tuple[Check, ...] = (Check(None, True, "every peer", "the rule lists no peers: it matches every "
                                              "peer", form=Form.EVERY_PEER),)
        else:
            peers = tuple(p.check(i, other, index) for i, p in enumerate(self.peers))
        denies = self.action is Action.DENY
        if self.ports is None:
            ports: tuple[Check, ...] = (Check(None, True, "every port", "the rule lists no ports: it matches every "
                                              "port", form=Form.EVERY_PORT),)
        else:
            ports = tuple(p.check(i, query, destination, denies) for i, p in enumerate(self.ports))
        if self.fail_closed is not None:
            written = self.action_text or self.written.value
            if self.action is not Action.DENY:
                return RuleExplanation(self.index, False, peers, ports, f"fail closed: peer form {self.fail_closed!r} "
                                       f"is not understood, so this {written} rule matches nothing", action_text, name, section=self.section)
            shown = written if self.written is Action.DENY else f"Deny (fail closed, written {written})"
            return RuleExplanation(self.index, True, peers, ports, f"fail closed: peer form {self.fail_closed!r} is "
                                   f"not understood, so this {written} rule denies all traffic", shown, name, section=self.section)
        peer_ok = any(c.matched for c in peers)
        port_ok = any(c.matched for c in ports)
        if not peer_ok and port_ok and any(c.unknown for c in peers):
            return RuleExplanation(self.index, False, peers, ports, "might match: a peer depends on data that could "
                                   "not be read", action_text, name, unknown=True, section=self.section)
        if peer_ok and port_ok and self.action is Action.LOG:
            reason = "matches: Log (the packet is logged and the next rule is evaluated; Log never decides)"
        elif peer_ok and port_ok:
            reason = f"matches: {action_text}" if action_text else "peer and port match"
        elif not peer_ok and not port_ok:
            reason = f"no peer matches {other.name} and no port matches"
        elif not peer_ok:
            reason = f"no peer matches {other.name}"
        else:
            reason = "the peer matches but no port does"
        return RuleExplanation(self.index, peer_ok and port_ok, peers, ports, reason, action_text, name, section=self.section)


@record(eq=False)
class CompiledPolicy:
    """One policy of any dialect: who it governs, in which directions, its rules, its precedence."""

    kind: str
    namespace: str | None
    name: str
    subject: SubjectMatcher
    ingress: tuple[CompiledRule, ...]
    egress: tuple[CompiledRule, ...]
    directions: frozenset[Direction]  # the directions it governs (a NetworkPolicy's policyTypes)
    priority: int | None = None  # shown for tiers ordered by priority
    order: tuple[object, ...] = ()  # precedence within its tier: lower first
    # A NetworkPolicy whose policyTypes were defaulted to [Ingress, Egress] only because it has egress
    # rules, without any ingress rule: it isolates ingress too, usually by mistake.
    ingress_by_default: bool = False

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    def rules(self, direction: Direction) -> tuple[CompiledRule, ...]:
        return self.ingress if direction is Direction.INGRESS else self.egress
