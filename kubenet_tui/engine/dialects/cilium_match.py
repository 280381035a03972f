"""What Cilium's selectors, entities, CIDRs and ports match: the matchers of the cilium profile.

Cilium's policy engine never sees pods: it sees *identities*, label sets built from the pod's labels
(through a label filter that drops e.g. `pod-template-hash`) plus `io.kubernetes.pod.namespace`,
`io.cilium.k8s.policy.serviceaccount`, `io.cilium.k8s.policy.cluster` and one
`io.cilium.k8s.namespace.labels.<key>` per label of the pod's namespace. Outside addresses are the
`world` identity (with CIDR labels), nodes are `host` (the pod's own node) or `remote-node`, and a
host-network pod is its node. Selector keys may carry a source prefix (`k8s:`, `any:`); others such
as `reserved:` name Cilium's own identities.

Each matcher has the two faces of `rules.py`. An identity selector is split by what its terms read
(pod labels, namespace labels, service account, constants), so its vector face is the ClassSpace
primitives the upstream selectors use, and its explain face reads the very same split.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import field
from typing import TYPE_CHECKING

from kubenet_tui.engine.explain import Form
from kubenet_tui.engine.model import NAMESPACE_NAME_LABEL, IPBlock, LabelSelector, Operator, Pod, Requirement
from kubenet_tui.engine.records import record
from kubenet_tui.engine.rules import (
    Match,
    NamedPort,
    PeerMatcher,
    PeerView,
    PortMatcher,
    PortQuery,
    PortRange,
    Selection,
    SubjectMatcher,
    ip_block_check,
)
from kubenet_tui.engine.selectors import partly_known, selector_matches, selector_mismatch, term_holds

if TYPE_CHECKING:
    from kubenet_tui.engine.classes import ClassSpace
    from kubenet_tui.engine.cluster import ClusterIndex
    from kubenet_tui.engine.model import Node
    from kubenet_tui.engine.rules import Masks, PortMask

POD_NAMESPACE = "io.kubernetes.pod.namespace"
NAMESPACE_LABELS = "io.cilium.k8s.namespace.labels."
SERVICE_ACCOUNT = "io.cilium.k8s.policy.serviceaccount"
CLUSTER = "io.cilium.k8s.policy.cluster"
# The cluster-name option's default; a cluster mesh names its clusters otherwise.
DEFAULT_CLUSTER = "default"

# Cilium's default identity-label filter (pkg/labelsfilter defaultLabelPrefixCfg): a pod label is
# part of the identity unless an ignore prefix matches it, or an include prefix matches more of it.
_INCLUDE = tuple(re.compile(p) for p in (re.escape(POD_NAMESPACE), re.escape(NAMESPACE_LABELS.rstrip(".")),
                                         re.escape("app.kubernetes.io"), re.escape(CLUSTER)))
_IGNORE = tuple(re.compile(p) for p in (
    r"io\.kubernetes", r"kubernetes\.io", re.escape("statefulset.kubernetes.io/pod-name"),
    re.escape("apps.kubernetes.io/pod-index"), re.escape("batch.kubernetes.io/job-completion-index"),
    r".*beta\.kubernetes\.io", r"k8s\.io", "pod-template-generation", "pod-template-hash",
    "controller-revision-hash", "annotation.*", "etcd_node",
))


def _prefix_length(pattern: re.Pattern[str], key: str) -> int:
    found = pattern.search(key)
    return found.end() if found is not None and found.start() == 0 else 0


def identity_label(key: str) -> bool:
    """Whether a pod label with this key is part of the pod's Cilium identity (default filter)."""
    ignored = min((n for n in (_prefix_length(p, key) for p in _IGNORE) if n), default=0)
    if not ignored:
        return True
    included = max((_prefix_length(p, key) for p in _INCLUDE), default=0)
    return included > ignored


def normalize_key(key: str) -> str:
    """A selector key without the `k8s:`/`any:` source prefix (pod and namespace labels have the k8s
    source, which both prefixes match); other sources (`reserved:`...) are kept."""
    for prefix in ("k8s:", "any:"):
        if key.startswith(prefix):
            return key[len(prefix):]
    return key


def normalize(selector: LabelSelector) -> LabelSelector:
    return LabelSelector(
        tuple(sorted((normalize_key(k), v) for k, v in selector.match_labels)),
        tuple(Requirement(normalize_key(r.key), r.operator, r.values) for r in selector.match_expressions),
    )


def with_terms(selector: LabelSelector, *terms: Requirement) -> LabelSelector:
    return LabelSelector(selector.match_labels, (*selector.match_expressions, *terms))


def in_namespace(namespace: str) -> Requirement:
    return Requirement(POD_NAMESPACE, Operator.IN, (namespace,))


IN_ANY_NAMESPACE = Requirement(POD_NAMESPACE, Operator.EXISTS)


def reads_namespace(selector: LabelSelector) -> tuple[bool, bool]:
    """(names io.kubernetes.pod.namespace, names a namespace label): what decides whether Cilium
    scopes a peer selector to the policy's namespace."""
    keys = {k for k, _ in selector.match_labels} | {r.key for r in selector.match_expressions}
    return POD_NAMESPACE in keys, any(k.startswith(NAMESPACE_LABELS) for k in keys)


def has_reserved(selector: LabelSelector) -> bool:
    keys = {k for k, _ in selector.match_labels} | {r.key for r in selector.match_expressions}
    return any(k.startswith("reserved:") for k in keys)


# -- identity selectors ------------------------------------------------------------------------------


def _terms(selector: LabelSelector) -> list[Requirement]:
    return [Requirement(k, Operator.IN, (v,)) for k, v in selector.match_labels] + list(selector.match_expressions)


def _selector(terms: list[Requirement]) -> LabelSelector:
    return LabelSelector((), tuple(terms))


@record
class IdentitySelector:
    """A normalized Cilium selector, split by what each term reads of a pod's identity:
    its labels, its namespace's labels (the namespace name as `kubernetes.io/metadata.name`), its
    service account, or a label no pod identity carries (decided once: `never`, the reason)."""

    full: LabelSelector  # as written, keys normalized: read against non-pod identities
    pod: LabelSelector
    namespace: LabelSelector
    service_account: tuple[Requirement, ...]
    never: str | None  # why no pod can match (a term on a label pods' identities never carry)
    hidden: tuple[str, ...]  # pod label keys it reads that Cilium leaves out of identities

    @classmethod
    def of(cls, selector: LabelSelector) -> IdentitySelector:
        pod: list[Requirement] = []
        namespace: list[Requirement] = []
        account: list[Requirement] = []
        hidden: list[str] = []
        never: str | None = None
        for term in _terms(selector):
            key = term.key
            if key == POD_NAMESPACE:
                namespace.append(Requirement(NAMESPACE_NAME_LABEL, term.operator, term.values))
            elif key.startswith(NAMESPACE_LABELS):
                namespace.append(Requirement(key[len(NAMESPACE_LABELS):], term.operator, term.values))
            elif key == SERVICE_ACCOUNT:
                account.append(term)
            elif key == CLUSTER or ":" in key or not identity_label(key):
                value = DEFAULT_CLUSTER if key == CLUSTER else None
                if ":" not in key and key != CLUSTER:
                    hidden.append(key)
                if never is None and not term_holds(term.operator, term.values, value):
                    never = (f"label {key} is not part of any pod's Cilium identity" if value is None
                             else f"label {key} is {value!r} (the cluster name)")
            else:
                pod.append(term)
        return cls(selector, _selector(pod), _selector(namespace), tuple(account), never, tuple(hidden))

    def explain_pod(self, pod: Pod, namespace_labels: Mapping[str, str] | None, namespace_gap: str | None) -> Match:
        if self.never is not None:
            return Match(False, f"pod {pod.key}: {self.never}")
        why_not = selector_mismatch(self.pod, pod.labels)
        if why_not is not None:
            return Match(False, f"pod {pod.key}: {why_not}")
        for term in self.service_account:
            if not term_holds(term.operator, term.values, pod.service_account):
                return Match(False, f"pod {pod.key} runs as service account {pod.service_account!r}, which "
                                    f"{SERVICE_ACCOUNT} {term.operator.value} {list(term.values)} excludes")
        if namespace_gap is not None:
            decided = partly_known(self.namespace, {NAMESPACE_NAME_LABEL: pod.namespace})
            if isinstance(decided, str):
                return Match(False, f"namespace {pod.namespace}: {decided}")
            if decided is True:
                return Match(False, f"the labels of namespace {pod.namespace} could not be read ({namespace_gap}): "
                                    "cannot tell", unknown=True)
        else:
            why_not = selector_mismatch(self.namespace, namespace_labels or {NAMESPACE_NAME_LABEL: pod.namespace})
            if why_not is not None:
                return Match(False, f"namespace {pod.namespace}: {why_not}")
        return Match(True, f"the identity of pod {pod.key} matches")

    def mask_pods(self, space: ClassSpace) -> Masks:
        """Classes whose pods' identities the selector surely / maybe matches (host-network pods
        included: callers exclude them)."""
        if self.never is not None:
            return space.nothing, space.nothing
        sure, maybe = space.namespaces(self.namespace)
        pods = space.pods(self.pod)
        sure, maybe = sure & pods, maybe & pods
        if self.service_account:
            import numpy as np  # only the matrix gets here: `check` never imports numpy

            accounts = np.fromiter(
                (all(term_holds(t.operator, t.values, r.service_account) for t in self.service_account)
                 for r in space.classes.representatives), dtype=np.bool_, count=space.size)
            sure, maybe = sure & accounts, maybe & accounts
        return sure, maybe


def reserved_labels(name: str) -> dict[str, str]:
    return {f"reserved:{name}": ""}


class ReservedPod(Pod):
    """A reserved identity standing in the fold where a pod would (Cilium's `ingress`: its Envoy proxy):
    no namespace, no address, and one label `reserved:NAME`, a key no real pod can carry."""

    __slots__ = ()

    @property
    def key(self) -> str:
        return f"reserved:{self.name}"


def reserved_pod(name: str) -> ReservedPod:
    return ReservedPod("", name, reserved_labels(name))


def reserved_identity(pod: Pod) -> str | None:
    """The reserved identity a stand-in pod is, else None."""
    return pod.name if isinstance(pod, ReservedPod) else None


# -- who the other end is, as Cilium sees it -----------------------------------------------------------


def node_of(other: PeerView, index: ClusterIndex) -> Node | None:
    """The node an outside address belongs to, if it is a node's address."""
    for ip in other.ips:
        node = index.node_by_ip.get(ip)
        if node is not None:
            return node
    return None


def is_node(other: PeerView, index: ClusterIndex) -> bool:
    """A node address, or a host-network pod (which has its node's identity)."""
    if other.pod is not None:
        return other.pod.host_network
    return node_of(other, index) is not None


def _outside_unknown(other: PeerView, index: ClusterIndex) -> str | None:
    """Why an outside address might be a node after all (Nodes could not be read)."""
    gap = index.nodes_gap()
    if other.pod is None and gap is not None and node_of(other, index) is None:
        return f"Nodes could not be read ({gap}): {other.name} may be a node, which is not `world`"
    return None


# -- peers ----------------------------------------------------------------------------------------------


@record
class IdentityPeer(PeerMatcher):
    """`fromEndpoints`/`toEndpoints` (and a NetworkPolicy's selectors on Cilium): identities by
    label. Host-network pods have their node's identity, never a pod's."""

    selector: IdentitySelector
    description: str

    @property
    def form(self) -> Form:
        return Form.PODS

    def explain(self, other: PeerView, index: ClusterIndex) -> Match:
        if other.identity is not None:
            if selector_matches(self.selector.full, reserved_labels(other.identity)):
                return Match(True, f"{other.name} (Cilium's proxy) has label reserved:{other.identity}, which the "
                                   "selector matches")
            return Match(False, f"{other.name} (Cilium's proxy) has only label reserved:{other.identity}: the "
                                "selector does not match it (an endpoint selector without that label never does)")
        pod = other.pod
        if pod is not None and not pod.host_network:
            return self.selector.explain_pod(pod, other.namespace_labels, other.namespace_gap)
        if is_node(other, index):
            host = selector_matches(self.selector.full, reserved_labels("host"))
            remote = selector_matches(self.selector.full, reserved_labels("remote-node"))
            if host and remote:
                return Match(True, f"{other.name} is a node (host or remote-node), which the selector matches")
            if host or remote:
                return Match(False, f"{other.name} is a node: the selector matches it only as "
                                    f"{'host' if host else 'remote-node'}, and which it is depends on the node this "
                                    "pod runs on", unknown=True)
            return Match(False, f"{other.name} is a node (host-network pods and node addresses have the host or "
                                "remote-node identity): endpoint selectors match pods")
        if selector_matches(self.selector.full, reserved_labels("world")):
            return Match(True, f"{other.name} is outside the cluster (world), which the selector matches")
        return Match(False, f"{other.name} is outside the cluster (world): endpoint selectors match pods")

    def mask(self, space: ClassSpace) -> Masks:
        sure, maybe = self.selector.mask_pods(space)
        sure, maybe = sure & ~space.host_network, maybe & ~space.host_network
        host = selector_matches(self.selector.full, reserved_labels("host"))
        remote = selector_matches(self.selector.full, reserved_labels("remote-node"))
        if host and remote:
            sure = sure | space.host_network
        elif host or remote:
            maybe = maybe | space.host_network
        return sure, maybe


ENTITIES = frozenset({"world", "world-ipv4", "world-ipv6", "cluster", "host", "remote-node", "all", "kube-apiserver",
                      "health", "init", "ingress", "unmanaged", "none"})


@record
class EntitiesPeer(PeerMatcher):
    """`fromEntities`/`toEntities`: a pod is `cluster`; a node (or host-network pod) is `host` when it
    is the pod's own node, else `remote-node` (which one cannot be told from the peer alone);
    an address outside the cluster is `world`."""

    entities: tuple[str, ...]
    description: str

    @property
    def form(self) -> Form:
        return Form.ENTITIES

    def _has(self, *names: str) -> bool:
        return any(n in self.entities for n in names)

    def explain(self, other: PeerView, index: ClusterIndex) -> Match:
        written = ", ".join(self.entities)
        if self._has("all"):
            return Match(True, f"entity all matches {other.name}")
        if other.identity is not None:
            if self._has(other.identity, "cluster"):
                word = other.identity if self._has(other.identity) else "cluster (which includes it)"
                return Match(True, f"{other.name} is Cilium's proxy: entity {word} matches it")
            return Match(False, f"{other.name} is Cilium's proxy (entity {other.identity}, part of cluster), not {written}")
        pod = other.pod
        if pod is not None and not pod.host_network:
            if self._has("cluster"):
                return Match(True, f"{pod.key} is a pod: entity cluster matches it")
            return Match(False, f"{pod.key} is a pod of this cluster (entity cluster), not {written}")
        if is_node(other, index):
            if self._has("cluster") or (self._has("host") and self._has("remote-node")):
                return Match(True, f"{other.name} is a node of this cluster: {written} matches it")
            if self._has("host", "remote-node", "kube-apiserver"):
                return Match(False, f"{other.name} is a node: whether it is host (this pod's node), remote-node or "
                                    "runs the kube-apiserver depends on where the pod runs", unknown=True)
            return Match(False, f"{other.name} is a node (host or remote-node), not {written}")
        doubt = _outside_unknown(other, index)
        version = other.ips[0].version if other.ips else 4
        if self._has("world", f"world-ipv{version}"):
            if doubt is not None:
                return Match(False, doubt, unknown=True)
            return Match(True, f"{other.name} is outside the cluster: entity world matches it")
        if self._has("kube-apiserver"):
            return Match(False, f"{other.name} may be an address of the kube-apiserver: cannot tell offline",
                         unknown=True)
        return Match(False, f"{other.name} is outside the cluster (world), not {written}")

    def mask(self, space: ClassSpace) -> Masks:
        pods = ~space.host_network
        if self._has("all"):
            return space.everything, space.nothing
        sure = pods if self._has("cluster") else space.nothing
        if self._has("cluster") or (self._has("host") and self._has("remote-node")):
            return sure | space.host_network, space.nothing
        if self._has("host", "remote-node", "kube-apiserver"):
            return sure, space.host_network
        return sure, space.nothing


@record
class CIDRPeer(PeerMatcher):
    """`fromCIDR`/`fromCIDRSet` (and a NetworkPolicy's ipBlock on Cilium): addresses outside the
    cluster only, never a pod's or a node's (Cilium's default policy-cidr-match-mode). A CIDR group
    reference is resolved when loaded: `blocks` None means the group could not be read (`gap`)."""

    blocks: tuple[IPBlock, ...] | None
    description: str
    gap: str | None = None

    @property
    def form(self) -> Form:
        return Form.IP_BLOCK

    def explain(self, other: PeerView, index: ClusterIndex) -> Match:
        if other.identity is not None:
            return Match(False, f"{other.name} is Cilium's proxy, not an address outside the cluster: CIDR rules do "
                                "not match it")
        if other.pod is not None:
            word = "a host-network pod (its node's identity)" if other.pod.host_network else "a pod"
            return Match(False, f"{other.pod.key} is {word}: on Cilium, CIDR rules match only addresses outside the "
                                "cluster, never a pod's or a node's")
        node = node_of(other, index)
        if node is not None:
            return Match(False, f"{other.name} is node {node.name}: on Cilium, CIDR rules never match a node's address")
        if self.blocks is None:
            return Match(False, f"{self.gap}: cannot tell", unknown=True)
        if not self.blocks:
            return Match(False, f"{self.description} holds no CIDR")
        reasons = []
        for block in self.blocks:
            found = ip_block_check(block, other.ips)
            if found.matched:
                doubt = _outside_unknown(other, index)
                if doubt is not None:
                    return Match(False, doubt, unknown=True)
                return found
            reasons.append(found.reason)
        return Match(False, "; ".join(reasons))

    def mask(self, space: ClassSpace) -> Masks:
        return space.nothing, space.nothing

    def would_match(self, other: PeerView) -> bool:
        """Whether a pod's address lies in the CIDR, which upstream reads as a match (for the caveat
        that says Cilium does not)."""
        return other.pod is not None and any(ip_block_check(b, other.ips).matched for b in self.blocks or ())


@record
class UndecidedPeer(PeerMatcher):
    """A peer that cannot be decided offline (DNS names, Services, nodes by label, cloud groups): it
    might match the ends in `might` ("outside", "nodes", "all"), and matches nothing else."""

    written: str
    reason: str
    might: str
    description: str

    @property
    def form(self) -> Form:
        return Form.UNKNOWN_PEER

    def explain(self, other: PeerView, index: ClusterIndex) -> Match:
        if other.identity is not None:
            if self.might == "all":
                return Match(False, f"{self.written}: {self.reason}: cannot tell whether it matches {other.name}",
                             unknown=True)
            return Match(False, f"{other.name} is Cilium's proxy: {self.written} never matches it")
        node = is_node(other, index)
        pod = other.pod is not None and not node
        if (self.might == "all" or (self.might == "nodes" and node)
                or (self.might == "outside" and not pod and not node)):
            return Match(False, f"{self.written}: {self.reason}: cannot tell whether it matches {other.name}",
                         unknown=True)
        what = "a pod" if pod else ("a node" if node else "outside the cluster")
        return Match(False, f"{other.name} is {what}: {self.written} never matches it")

    def mask(self, space: ClassSpace) -> Masks:
        if self.might == "all":
            return space.nothing, space.everything
        if self.might == "nodes":
            return space.nothing, space.host_network
        return space.nothing, space.nothing


@record
class NoPeer(PeerMatcher):
    """A rule with no L3 field and no toPorts: it selects no peer (it only switches default deny on)."""

    description: str
    reason: str

    @property
    def form(self) -> Form:
        return Form.UNKNOWN_PEER

    def explain(self, other: PeerView, index: ClusterIndex) -> Match:
        return Match(False, self.reason)

    def mask(self, space: ClassSpace) -> Masks:
        return space.nothing, space.nothing


# -- ports ----------------------------------------------------------------------------------------------


@record
class CiliumPortRange(PortRange):
    """A toPorts port (one protocol of it: ANY is three of these); `l7` names what then decides each
    request (L7 rules, TLS server names, a listener)."""

    l7: str | None = None


@record
class CiliumNamedPort(NamedPort):
    l7: str | None = None


@record
class NoConnectionPort(PortMatcher):
    """A toPorts/icmps entry no TCP, UDP or SCTP connection can match (ICMP, VRRP...)."""

    description: str
    reason: str

    @property
    def form(self) -> Form:
        return Form.PROTOCOL

    def explain(self, query: PortQuery, destination: Pod | None, denies: bool) -> Match:
        return Match(False, f"{self.reason}; the connection is {query.protocol.value}")

    def mask(self, space: ClassSpace, query: PortQuery, denies: bool) -> PortMask:
        return False


def port_condition(port: PortMatcher) -> str | None:
    return port.l7 if isinstance(port, CiliumPortRange | CiliumNamedPort) else None


# -- subjects ---------------------------------------------------------------------------------------------


@record
class IdentitySubject(SubjectMatcher):
    """An endpointSelector (a NetworkPolicy's podSelector on Cilium): pods by identity, in one namespace
    (`namespace`) or any. Host-network pods are never endpoints of pod policies."""

    namespace: str | None
    selector: IdentitySelector
    description: str
    kind_word: str = field(default="policy")

    def explain(self, pod: Pod, index: ClusterIndex) -> Selection:
        reserved = reserved_identity(pod)
        if reserved is not None:
            # Cilium's own proxy endpoint: a clusterwide policy selects it by its reserved label.
            if self.namespace is not None:
                return Selection(False, f"does not select Cilium's {reserved} proxy: a namespaced policy selects pods "
                                        "of its namespace only")
            if selector_matches(self.selector.full, pod.labels):
                return Selection(True, f"selects Cilium's {reserved} proxy ({self.description} matches its label "
                                       f"reserved:{reserved})")
            return Selection(False, f"does not select Cilium's {reserved} proxy: {self.description} does not match its "
                                    f"only label, reserved:{reserved}")
        if pod.host_network:
            return Selection(False, f"does not select {pod.key}: it uses the host network (Cilium's pod policies "
                                    "never select such pods)")
        if self.namespace is not None and pod.namespace != self.namespace:
            return Selection(False, f"does not select {pod.key}: it is in namespace {pod.namespace}, the "
                                    f"{self.kind_word} in {self.namespace}")
        gap = index.namespace_labels_unreadable(pod.namespace)
        found = self.selector.explain_pod(pod, index.namespace_labels(pod.namespace),
                                          gap.reason if gap is not None else None)
        if found.unknown:
            return Selection(None, f"may select {pod.key}: {found.reason}")
        if not found.matched:
            return Selection(False, f"does not select {pod.key}: {found.reason.removeprefix(f'pod {pod.key}: ')}")
        return Selection(True, f"selects {pod.key} ({self.description})")

    def mask(self, space: ClassSpace) -> Masks:
        sure, maybe = self.selector.mask_pods(space)
        if self.namespace is not None:
            here = space.in_namespace(self.namespace)
            sure, maybe = sure & here, maybe & here
        return sure & ~space.host_network, maybe & ~space.host_network
