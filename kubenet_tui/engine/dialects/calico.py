"""Calico's reading of a cluster: its tiers, policies and network sets compiled into the rule model.

Sources (projectcalico/calico): the v3 API types (api/pkg/apis/projectcalico/v3), how policies reach
Felix (libcalico-go/lib/backend/syncersv1/updateprocessors: rules.go, networkpolicyprocessor.go,
globalnetworkpolicyprocessor.go, networksetprocessor.go), how Kubernetes objects become Calico ones
(libcalico-go/lib/backend/k8s/conversion), how Felix orders and renders them (felix/calc/policy_sorter.go,
felix/rules/endpoints.go).

- A direction walks the tiers in order (ascending `order`, absent last, then name). A tier no policy
  of which selects the endpoint (for this direction) is skipped; otherwise its policies' rules are
  tried in policy order (ascending `order`, absent last, then name), first match: Allow and Deny
  decide, Pass skips to the next tier, Log goes on. When no rule decides, the tier's defaultAction
  applies (Deny unless the Tier says Pass). After the last tier the namespace profile allows.
- Kubernetes NetworkPolicies are Allow-only policies in tier `default` at order 1000; the tier's
  end-of-tier Deny is their isolation. AdminNetworkPolicy / BaselineAdminNetworkPolicy (Calico
  v3.29-v3.31) and ClusterNetworkPolicy (v3.32 and later) are the tiers Calico converts them to:
  `adminnetworkpolicy` / `kube-admin` at order 1,000 and `baselineadminnetworkpolicy` /
  `kube-baseline` at order 10,000,000, both with defaultAction Pass; `default` is at 1,000,000.
- Selectors see endpoint labels: the pod's own, `projectcalico.org/namespace`, `.../orchestrator`
  (k8s), `.../serviceaccount`, the namespace's as `pcns.<key>` (plus `pcns.projectcalico.org/name`)
  and the service account's as `pcsa.<key>` (plus `pcsa.projectcalico.org/name`). A rule's selector
  matches an address that belongs to a matching endpoint (a pod, a host endpoint's expected IP) or
  lies in a matching (Global)NetworkSet: this is how outside addresses get named.
- Staged policies are never enforced: `commit_staged` is the cluster once they are committed.
"""

from __future__ import annotations

import ipaddress
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from kubenet_tui.engine.dialects.calico_model import (
    DEFAULT_TIER,
    NAMESPACE_LABEL,
    CalicoKind,
    CalicoPolicy,
    CalicoPort,
    CalicoProtocol,
    CalicoResources,
    CalicoRule,
    CalicoTier,
    EntityRule,
    HostEndpoint,
    NetworkSet,
    RuleAction,
    ServiceMatch,
    StagedAction,
)
from kubenet_tui.engine.explain import Direction, Form, Outcome, Tier
from kubenet_tui.engine.gaps import Resource, UnevaluatedPolicy
from kubenet_tui.engine.model import (
    AdminPolicy,
    AdminRule,
    AdminTier,
    IPAddress,
    IPBlock,
    IPNetwork,
    NetworkPolicy,
    Pod,
    Protocol,
)
from kubenet_tui.engine.profiles import Profile
from kubenet_tui.engine.records import record
from kubenet_tui.engine.rules import (
    Action,
    CompiledPolicy,
    CompiledRule,
    Match,
    PeerMatcher,
    PeerView,
    PodPeer,
    PortMatcher,
    PortQuery,
    Selection,
    SubjectMatcher,
    UnknownPeer,
)
from kubenet_tui.engine.selectors import from_map, selector_matches
from kubenet_tui.engine.tiers import CompiledTier, Mode, Program

if TYPE_CHECKING:
    from kubenet_tui.engine.classes import ClassSpace
    from kubenet_tui.engine.cluster import Cluster, ClusterIndex
    from kubenet_tui.engine.dialects.calico_selector import Node
    from kubenet_tui.engine.rules import Masks, PortMask

ORCHESTRATOR_LABEL = "projectcalico.org/orchestrator"
SERVICE_ACCOUNT_LABEL = "projectcalico.org/serviceaccount"
NAME_LABEL = "projectcalico.org/name"
NAMESPACE_PREFIX = "pcns."
SERVICE_ACCOUNT_PREFIX = "pcsa."
CALICO_GROUPS = ("projectcalico.org", "crd.projectcalico.org")
READ_VERSIONS = ("projectcalico.org/v3", "crd.projectcalico.org/v1")

# Built-in tiers: (order, default action). libcalico-go creates them; a Tier object read from the
# cluster overrides these.
KUBERNETES_NP_ORDER = 1000.0
ADMIN_TIER = "adminnetworkpolicy"  # AdminNetworkPolicy, Calico v3.29-v3.31
BASELINE_TIER = "baselineadminnetworkpolicy"  # BaselineAdminNetworkPolicy, Calico v3.30-v3.31
KUBE_ADMIN_TIER = "kube-admin"  # ClusterNetworkPolicy tier Admin, Calico v3.32 and later
KUBE_BASELINE_TIER = "kube-baseline"  # ClusterNetworkPolicy tier Baseline
BUILTIN_TIERS: dict[str, CalicoTier] = {
    DEFAULT_TIER: CalicoTier(DEFAULT_TIER, 1_000_000.0, RuleAction.DENY),
    ADMIN_TIER: CalicoTier(ADMIN_TIER, 1_000.0, RuleAction.PASS),
    KUBE_ADMIN_TIER: CalicoTier(KUBE_ADMIN_TIER, 1_000.0, RuleAction.PASS),
    BASELINE_TIER: CalicoTier(BASELINE_TIER, 10_000_000.0, RuleAction.PASS),
    KUBE_BASELINE_TIER: CalicoTier(KUBE_BASELINE_TIER, 10_000_000.0, RuleAction.PASS),
}
_TIER_KIND = {DEFAULT_TIER: Tier.NETWORK_POLICY, ADMIN_TIER: Tier.ADMIN, KUBE_ADMIN_TIER: Tier.ADMIN,
              BASELINE_TIER: Tier.BASELINE, KUBE_BASELINE_TIER: Tier.BASELINE}

_ACTIONS = {RuleAction.ALLOW: Action.ALLOW, RuleAction.DENY: Action.DENY, RuleAction.PASS: Action.PASS,
            RuleAction.LOG: Action.LOG}


def tier_label(name: str) -> str:
    return f"Calico tier {name}"


def is_calico_api(api_version: str) -> bool:
    return api_version.split("/", 1)[0] in CALICO_GROUPS


# -- what selectors see ------------------------------------------------------------------------------


@record
class Labelled:
    """Something an address can belong to, as selectors see it: its labels, which keys are unknown
    (prefixes whose source could not be read), and why."""

    what: str  # "pod shop/web", "GlobalNetworkSet threat-feed"
    labels: Mapping[str, str]
    unknown_prefixes: tuple[str, ...] = ()
    why_unknown: str = ""

    def unknown(self, key: str) -> bool:
        return key not in self.labels and key.startswith(self.unknown_prefixes) if self.unknown_prefixes else False

    def test(self, node: Node) -> bool | None:
        return node.evaluate3(self.labels, self.unknown)


@dataclass(eq=False)
class CalicoContext:
    """What Calico's matchers read beyond a pod and its namespace, built once per program: service
    account labels, network sets, host endpoints, Service endpoints, and what could not be read."""

    index: ClusterIndex
    service_accounts: Mapping[tuple[str, str], Mapping[str, str]]
    accounts_loaded: frozenset[str]  # namespaces some ServiceAccount of which was read
    accounts_gap: Mapping[str | None, str]  # namespace (None: all) -> why ServiceAccounts could not be read
    network_sets: tuple[NetworkSet, ...]
    broken_sets: tuple[tuple[str, Mapping[str, str] | None], ...]  # (what, labels if readable): nets unknown
    sets_gap: str | None
    host_endpoints: tuple[HostEndpoint, ...]
    host_endpoints_gap: str | None
    _endpoints: dict[int, Labelled] = field(default_factory=dict)
    _owners: dict[tuple[IPAddress, int | None], tuple[Labelled, ...]] = field(default_factory=dict)

    def endpoint(self, pod: Pod) -> Labelled:
        """The labels of a pod's workload endpoint (its own win over the inherited profile labels)."""
        found = self._endpoints.get(id(pod))
        if found is not None:
            return found
        index = self.index
        labels: dict[str, str] = {}
        unknown: list[str] = []
        why: list[str] = []
        account = self.service_accounts.get((pod.namespace, pod.service_account))
        if account is not None:
            labels.update({SERVICE_ACCOUNT_PREFIX + k: v for k, v in account.items()})
        elif pod.namespace not in self.accounts_loaded:
            unknown.append(SERVICE_ACCOUNT_PREFIX)
            gap = self.accounts_gap.get(None) or self.accounts_gap.get(pod.namespace)
            why.append(f"the labels of ServiceAccount {pod.namespace}/{pod.service_account} are unknown ("
                       + (f"ServiceAccounts could not be read: {gap}" if gap else "it was not loaded") + ")")
        labels[SERVICE_ACCOUNT_PREFIX + NAME_LABEL] = pod.service_account
        labels.update({NAMESPACE_PREFIX + k: v for k, v in index.namespace_labels(pod.namespace).items()})
        labels[NAMESPACE_PREFIX + NAME_LABEL] = pod.namespace
        ns_gap = index.namespace_labels_unreadable(pod.namespace)
        if ns_gap is not None:
            unknown.append(NAMESPACE_PREFIX)
            why.append(f"the labels of namespace {pod.namespace} could not be read ({ns_gap.reason})")
        labels.update(pod.labels)
        labels[NAMESPACE_LABEL] = pod.namespace
        labels[ORCHESTRATOR_LABEL] = "k8s"
        labels[SERVICE_ACCOUNT_LABEL] = pod.service_account
        found = self._endpoints[id(pod)] = Labelled(f"pod {pod.key}", labels, tuple(unknown), "; ".join(why))
        return found

    def network_set(self, net_set: NetworkSet) -> Labelled:
        labels = dict(net_set.labels)
        if net_set.namespace is None:
            return Labelled(f"GlobalNetworkSet {net_set.name}", labels)
        # A namespaced set carries its namespace and inherits the namespace's labels, as pods do.
        index = self.index
        inherited = {NAMESPACE_PREFIX + k: v for k, v in index.namespace_labels(net_set.namespace).items()}
        inherited[NAMESPACE_PREFIX + NAME_LABEL] = net_set.namespace
        gap = index.namespace_labels_unreadable(net_set.namespace)
        labels = {**inherited, **labels, NAMESPACE_LABEL: net_set.namespace}
        return Labelled(f"NetworkSet {net_set.key}", labels, (NAMESPACE_PREFIX,) if gap else (),
                        f"the labels of namespace {net_set.namespace} could not be read" if gap else "")

    def owners(self, ip: IPAddress, pod: Pod | None) -> tuple[Labelled, ...]:
        """Everything `ip` belongs to for Calico's selectors: the pod's workload endpoint (pods on the
        host network have none), the network sets whose nets contain it, host endpoints expecting it."""
        key = (ip, id(pod) if pod is not None else None)
        found = self._owners.get(key)
        if found is not None:
            return found
        owners: list[Labelled] = []
        if pod is not None and pod.carries_traffic and not pod.host_network and ip in pod.ips:
            owners.append(self.endpoint(pod))
        for net_set in self.network_sets:
            if any(ip.version == net.version and ip in net for net in net_set.nets):
                owners.append(self.network_set(net_set))
        for hep in self.host_endpoints:
            if ip in hep.expected_ips:
                owners.append(Labelled(f"HostEndpoint {hep.name}", dict(hep.labels)))
        found = self._owners[key] = tuple(owners)
        return found

    def address_matches(self, node: Node, ip: IPAddress, pod: Pod | None) -> tuple[bool | None, str]:
        """Whether `ip` belongs to something the selector matches (None: cannot tell), and why."""
        owners = self.owners(ip, pod)
        unknown: str | None = None
        for owner in owners:
            found = owner.test(node)
            if found is True:
                return True, f"{ip} is {owner.what}, which matches"
            if found is None and unknown is None:
                unknown = f"whether {owner.what} matches cannot be told: {owner.why_unknown}"
        for what, labels in self.broken_sets:
            if labels is None or Labelled(what, labels).test(node) is not False:
                unknown = unknown or f"{what} could not be read (invalid): it may contain {ip}"
        if self.sets_gap is not None:
            unknown = unknown or f"NetworkSets could not be read ({self.sets_gap}): one may contain {ip}"
        if unknown is not None:
            return None, unknown
        if not owners:
            where = "a pod, network set or host endpoint" if pod is None else "a network set or host endpoint"
            if pod is not None and pod.host_network:
                return False, (f"{ip} is {pod.key}'s, a host-network pod: Calico has no workload endpoint for it, "
                               "and no network set or host endpoint that matches holds the address")
            return False, f"{ip} belongs to no {where} that Calico's selectors could match"
        return False, "; ".join(f"{o.what}: {node.why_not(o.labels)}" for o in owners)

    def blocks_for(self, node: Node) -> tuple[IPBlock, ...]:
        """The addresses that can match `node` other than pods': those of network sets and host
        endpoints that it does not rule out (what pod classes must be told apart by)."""
        blocks: list[IPBlock] = []
        for net_set in self.network_sets:
            if self.network_set(net_set).test(node) is not False:
                blocks.extend(IPBlock(net) for net in net_set.nets)
        for hep in self.host_endpoints:
            if Labelled(hep.name, dict(hep.labels)).test(node) is not False:
                blocks.extend(IPBlock(_host_net(ip)) for ip in hep.expected_ips)
        return tuple(blocks)


def _host_net(ip: IPAddress) -> IPNetwork:
    return ipaddress.ip_network(f"{ip}/{ip.max_prefixlen}")


# -- peers ----------------------------------------------------------------------------------------------


@record
class ServiceEndpoints:
    """A Service named by a rule: its endpoints' addresses and ports (None: cannot be told)."""

    service: str  # "namespace/name"
    addresses: frozenset[IPAddress]
    ports: tuple[tuple[Protocol, int], ...]
    unknown: str | None = None  # why its endpoints are not known


@record
class CalicoPeer(PeerMatcher):
    """One end of a Calico rule (`source` or `destination`): every field written must match one and
    the same address of the other end. `positive` is the selector the rule's selector,
    namespaceSelector and serviceAccounts amount to (scoped to the policy's namespace as Calico
    scopes it); `negative` the notSelector. `undecidable` names what cannot be decided offline (source
    ports, HTTP matches): the rule then might match."""

    nets: tuple[IPNetwork, ...]
    not_nets: tuple[IPNetwork, ...]
    positive: Node | None
    negative: Node | None
    services: ServiceEndpoints | None
    ip_version: int | None
    undecidable: str | None
    description: str
    ctx: CalicoContext

    @property
    def form(self) -> Form:
        if self.positive is not None or self.negative is not None:
            return Form.PODS
        return Form.NETWORKS if self.nets or self.not_nets else Form.EVERY_PEER

    def explain(self, other: PeerView, index: ClusterIndex) -> Match:
        ips = other.ips if self.ip_version is None else tuple(ip for ip in other.ips if ip.version == self.ip_version)
        if not ips:
            return Match(False, f"{other.name} has no IPv{self.ip_version} address (the rule says ipVersion "
                                f"{self.ip_version})")
        unknown: str | None = None
        reasons: list[str] = []
        for ip in ips:
            found, reason = self._address(ip, other.pod)
            if found is True:
                if self.undecidable is not None:
                    return Match(False, f"{reason}; but {self.undecidable}", unknown=True)
                return Match(True, reason)
            if found is None:
                unknown = unknown or reason
            else:
                reasons.append(reason)
        if unknown is not None:
            return Match(False, f"might match: {unknown}", unknown=True)
        return Match(False, "; ".join(reasons))

    def _address(self, ip: IPAddress, pod: Pod | None) -> tuple[bool | None, str]:
        said: list[str] = []
        unknown: str | None = None
        if self.nets:
            net = next((n for n in self.nets if ip.version == n.version and ip in n), None)
            if net is None:
                return False, f"{ip} is in none of the nets {', '.join(map(str, self.nets))}"
            said.append(f"{ip} is in {net}")
        hole = next((n for n in self.not_nets if ip.version == n.version and ip in n), None)
        if hole is not None:
            return False, f"{ip} is in notNets {hole}"
        if self.positive is not None:
            found, reason = self.ctx.address_matches(self.positive, ip, pod)
            if found is False:
                return False, reason
            if found is None:
                unknown = reason
            else:
                said.append(reason)
        if self.negative is not None:
            found, reason = self.ctx.address_matches(self.negative, ip, pod)
            if found is True:
                return False, f"notSelector {self.negative.render()}: {reason}"
            if found is None:
                unknown = unknown or reason
        if self.services is not None:
            if self.services.unknown is not None:
                unknown = unknown or self.services.unknown
            elif ip not in self.services.addresses:
                return False, f"{ip} is not an endpoint of Service {self.services.service}"
            else:
                said.append(f"{ip} is an endpoint of Service {self.services.service}")
        if unknown is not None:
            return None, unknown
        return True, "; ".join(said) if said else f"{ip} matches"

    def address_blocks(self) -> tuple[IPBlock, ...]:
        blocks = [IPBlock(n) for n in (*self.nets, *self.not_nets)]
        for node in (self.positive, self.negative):
            if node is not None:
                blocks.extend(self.ctx.blocks_for(node))
        if self.services is not None:
            blocks.extend(IPBlock(_host_net(ip)) for ip in self.services.addresses)
        return tuple(dict.fromkeys(blocks))

    def mask(self, space: ClassSpace) -> Masks:
        return space.by_representative(self)


@record
class WorkloadPeer(PeerMatcher):
    """A Kubernetes NetworkPolicy peer as Calico reads it: the selector Calico writes for it carries
    `projectcalico.org/orchestrator == 'k8s'`, which only workload endpoints have, so pods on the
    host network (which have none) never match a pod or namespace selector."""

    inner: PodPeer
    description: str

    @property
    def form(self) -> Form:
        return self.inner.form

    def explain(self, other: PeerView, index: ClusterIndex) -> Match:
        if other.pod is not None and other.pod.host_network:
            return Match(False, f"{other.pod.key} uses the host network: Calico matches pods by their workload "
                                "endpoints, and host-network pods have none")
        return self.inner.explain(other, index)

    def mask(self, space: ClassSpace) -> Masks:
        sure, maybe = self.inner.mask(space)
        return sure & ~space.host_network, maybe & ~space.host_network


# -- ports ----------------------------------------------------------------------------------------------


def _port_matches(port: CalicoPort, number: int, protocol: Protocol, destination: Pod | None) -> tuple[bool, str]:
    if port.name is None:
        if port.start == port.end:
            return (True, f"port {number} matches") if number == port.start else (
                False, f"port {port.start}, the connection is to {number}")
        if port.start <= number <= port.end:
            return True, f"{number} is within {port.describe()}"
        return False, f"{number} is outside {port.describe()}"
    if destination is None:
        return False, f"named port {port.name!r} never matches an outside endpoint"
    numbers = destination.named_ports(port.name, protocol)
    if number in numbers:
        return True, f"named port {port.name!r} is {number} on {destination.key}"
    if not numbers:
        return False, f"named port {port.name!r} ({protocol.value}) not found on pod {destination.key}"
    return False, f"named port {port.name!r} is {'/'.join(map(str, numbers))} on {destination.key}, not {number}"


@record
class CalicoPorts(PortMatcher):
    """A Calico rule's protocol and destination port tests, all of which must hold: `protocol`,
    `notProtocol`, destination `ports` (any), `notPorts` (none), ICMP type matches, and the
    endpoint ports of a destination Service."""

    protocol: CalicoProtocol | None
    not_protocol: CalicoProtocol | None
    ports: tuple[CalicoPort, ...]
    not_ports: tuple[CalicoPort, ...]
    icmp: bool
    service_ports: tuple[tuple[Protocol, int], ...] | None
    description: str

    @property
    def form(self) -> Form:
        if self.ports or self.not_ports:
            return Form.NAMED_PORT if any(p.name for p in (*self.ports, *self.not_ports)) else Form.PORT_RANGE
        return Form.PROTOCOL

    @property
    def by_name(self) -> bool:
        return any(p.name is not None for p in (*self.ports, *self.not_ports))

    def explain(self, query: PortQuery, destination: Pod | None, denies: bool) -> Match:
        proto = query.protocol
        if self.protocol is not None and not self.protocol.matches(proto):
            return Match(False, f"protocol {self.protocol.text}, the connection is {proto.value}")
        if self.not_protocol is not None and self.not_protocol.matches(proto):
            return Match(False, f"notProtocol {self.not_protocol.text} excludes {proto.value}")
        if self.icmp:
            return Match(False, "ICMP type/code matches never match a TCP, UDP or SCTP connection")
        if not (self.ports or self.not_ports or self.service_ports is not None):
            return Match(True, f"every {self.protocol.text if self.protocol else 'protocol and'} port")
        if query.port is None:
            if denies:
                return Match(True, f"denies {self.description}, so not every port is allowed")
            return Match(False, f"only {self.description}; the question is about every port (give a port to check one)")
        said: list[str] = []
        if self.ports:
            found = [_port_matches(p, query.port, proto, destination) for p in self.ports]
            hit = next((reason for ok, reason in found if ok), None)
            if hit is None:
                return Match(False, "; ".join(reason for _, reason in found))
            said.append(hit)
        for port in self.not_ports:
            ok, reason = _port_matches(port, query.port, proto, destination)
            if ok:
                return Match(False, f"notPorts: {reason}")
        if self.service_ports is not None and (proto, query.port) not in self.service_ports:
            shown = ", ".join(f"{n}/{p.value}" for p, n in self.service_ports) or "none"
            return Match(False, f"{query.port}/{proto.value} is not a port of the Service's endpoints ({shown})")
        return Match(True, "; ".join(said) or f"port {query.port} is not excluded")

    def mask(self, space: ClassSpace, query: PortQuery, denies: bool) -> PortMask:
        if query.port is not None and self.by_name:
            return space.by_destination(self, query, denies)
        return self.explain(query, None, denies).matched


@record
class UnconvertedPorts(PortMatcher):
    """Ports Calico's conversion leaves out of the rule it writes, which then matches every port."""

    description: str
    why: str

    @property
    def form(self) -> Form:
        return Form.EVERY_PORT

    def explain(self, query: PortQuery, destination: Pod | None, denies: bool) -> Match:
        return Match(True, self.why)

    def mask(self, space: ClassSpace, query: PortQuery, denies: bool) -> PortMask:
        return True


# -- subjects -------------------------------------------------------------------------------------------


@record
class CalicoSubject(SubjectMatcher):
    """The endpoints a Calico policy applies to: its selector over workload endpoint labels (scoped
    to its namespace, or by its namespaceSelector and serviceAccountSelector)."""

    namespace: str | None
    root: Node
    description: str
    ctx: CalicoContext

    def explain(self, pod: Pod, index: ClusterIndex) -> Selection:
        if pod.host_network:
            return Selection(False, f"does not select {pod.key}: it uses the host network, so Calico has no "
                                    "workload endpoint for it")
        endpoint = self.ctx.endpoint(pod)
        found = endpoint.test(self.root)
        if found is True:
            return Selection(True, f"selects {pod.key} ({self.description})")
        if found is None:
            return Selection(None, f"may select {pod.key}: {endpoint.why_unknown}")
        return Selection(False, f"does not select {pod.key}: {self.root.why_not(endpoint.labels)}")


# -- compiling ------------------------------------------------------------------------------------------


def _nets_text(nets: tuple[IPNetwork, ...]) -> str:
    return "[" + ", ".join(map(str, nets)) + "]"


def _ports_text(ports: tuple[CalicoPort, ...]) -> str:
    return "[" + ", ".join(p.describe() for p in ports) + "]"


def _entity_text(entity: EntityRule, scope: str | None) -> str:
    parts: list[str] = []
    if entity.nets:
        parts.append(f"nets {_nets_text(entity.nets)}")
    if entity.not_nets:
        parts.append(f"notNets {_nets_text(entity.not_nets)}")
    if entity.selector is not None:
        parts.append(f"selector {entity.selector.describe()}")
    if entity.not_selector is not None:
        parts.append(f"notSelector {entity.not_selector.describe()}")
    if entity.namespace_selector is not None:
        parts.append(f"namespaceSelector {entity.namespace_selector.describe()}")
    elif scope is not None and entity.selects_endpoints:
        parts.append(f"in namespace {scope}")
    accounts = entity.service_accounts
    if accounts is not None:
        names = f"names {list(accounts.names)}" if accounts.names else ""
        chosen = f"selector {accounts.selector.describe()}" if accounts.selector is not None else ""
        parts.append("serviceAccounts " + " ".join(p for p in (names, chosen) if p))
    if entity.services is not None:
        parts.append(f"services {entity.services.namespace or scope}/{entity.services.name}")
    return ", ".join(parts)


def _service_endpoints(ctx: CalicoContext, match: ServiceMatch, namespace: str | None) -> ServiceEndpoints:
    index = ctx.index
    ns = match.namespace or namespace or "default"
    key = f"{ns}/{match.name}"
    for resource in (Resource.SERVICES, Resource.ENDPOINT_SLICES):
        gap = index.unreadable_for(resource, ns)
        if gap is not None and gap.hides_objects:
            return ServiceEndpoints(key, frozenset(), (), f"{resource.value} in namespace {ns} could not be read "
                                                          f"({gap.reason}): the endpoints of Service {key} are unknown")
    slices = index.slices_by_service.get(key, ())
    service = index.services_by_key.get(key)
    if slices:
        addresses = frozenset(ip for s in slices for e in s.endpoints for ip in e.addresses)
        ports = tuple(dict.fromkeys((p.protocol, p.port) for s in slices for p in s.ports))
        return ServiceEndpoints(key, addresses, ports)
    if service is None:
        return ServiceEndpoints(key, frozenset(), ())
    if service.selector is None:
        return ServiceEndpoints(key, frozenset(), (), f"Service {key} has no selector and no EndpointSlices were "
                                                      "loaded: its endpoints are unknown")
    chosen = from_map(service.selector)
    pods = [p for p in index.pods_by_namespace.get(ns, ()) if p.carries_traffic and selector_matches(chosen, p.labels)]
    found: dict[tuple[Protocol, int], None] = {}
    for port in service.ports:
        for pod in pods:
            target = port.target_port
            if isinstance(target, int):
                found[(port.protocol, target)] = None
            else:
                for number in pod.named_ports(target, port.protocol):
                    found[(port.protocol, number)] = None
    return ServiceEndpoints(key, frozenset(ip for p in pods for ip in p.ips), tuple(found))


def _endpoint_selector(entity: EntityRule, namespace: str | None) -> Node | None:
    """updateprocessors/rules.go getEndpointSelector: the selector, the service account match and the
    namespace (selected ones, or the policy's own) as one selector over endpoint labels."""
    from kubenet_tui.engine.dialects.calico_selector import EqNode, InNode, conjunction, namespace_scope
    accounts: Node | None = None
    if entity.service_accounts is not None:
        sa = entity.service_accounts
        accounts = conjunction(sa.selector.root.prefixed(SERVICE_ACCOUNT_PREFIX) if sa.selector is not None else None,
                               InNode(SERVICE_ACCOUNT_LABEL, tuple(sorted(set(sa.names)))) if sa.names else None)
    chosen = (conjunction(accounts, entity.selector.root if entity.selector is not None else None)
              if accounts is not None or entity.selector is not None else None)
    scope: Node | None = None
    if entity.namespace_selector is not None:
        scope = namespace_scope(entity.namespace_selector.root)
    elif namespace is not None:
        scope = EqNode(NAMESPACE_LABEL, namespace)
    if scope is not None and (chosen is not None or entity.not_selector is not None
                              or entity.namespace_selector is not None):
        return conjunction(scope, chosen)
    return chosen


def _peer(entity: EntityRule, namespace: str | None, ctx: CalicoContext, ip_version: int | None,
          undecidable: str | None, role: str) -> CalicoPeer | None:
    positive = _endpoint_selector(entity, namespace)
    services = _service_endpoints(ctx, entity.services, namespace) if entity.services is not None else None
    if (positive is None and entity.not_selector is None and not entity.nets and not entity.not_nets
            and services is None and ip_version is None and undecidable is None):
        return None
    text = _entity_text(entity, namespace)
    if ip_version is not None:
        text = f"{text}, ipVersion {ip_version}" if text else f"ipVersion {ip_version}"
    return CalicoPeer(entity.nets, entity.not_nets, positive,
                      entity.not_selector.root if entity.not_selector is not None else None, services,
                      ip_version, undecidable, f"{role} {text}" if text else role, ctx)


def _undecidable(rule: CalicoRule) -> str | None:
    found = []
    if rule.source.ports or rule.source.not_ports:
        written = _ports_text(rule.source.ports) if rule.source.ports else f"not {_ports_text(rule.source.not_ports)}"
        found.append(f"the rule tests the source port ({written}), which a client picks at random: it cannot be "
                     "told offline")
    if rule.http:
        found.append("the rule matches HTTP requests (application layer policy), which is decided per request, "
                     "not offline")
    if rule.unknown_fields:
        found.append(f"the rule has field(s) this tool does not know ({', '.join(rule.unknown_fields)})")
    return "; ".join(found) or None


def compile_rule(i: int, rule: CalicoRule, direction: Direction, namespace: str | None, ctx: CalicoContext) -> CompiledRule:
    """One Calico rule. The other end is the rule's source on ingress and its destination on egress;
    the pod's own end (`local`) is the other side. Destination ports are the connection's port."""
    ingress = direction is Direction.INGRESS
    remote, own = (rule.source, rule.destination) if ingress else (rule.destination, rule.source)
    remote_word, own_word = ("source", "destination") if ingress else ("destination", "source")
    peer = _peer(replace(remote, ports=(), not_ports=()), namespace, ctx, rule.ip_version, _undecidable(rule),
                 remote_word)
    local = _peer(replace(own, ports=(), not_ports=()), namespace, ctx, None, None, own_word)
    destination = rule.destination
    service_ports: tuple[tuple[Protocol, int], ...] | None = None
    if destination.services is not None:
        endpoints = _service_endpoints(ctx, destination.services, namespace)
        service_ports = endpoints.ports
    ports: CalicoPorts | None = None
    if (rule.protocol or rule.not_protocol or destination.ports or destination.not_ports or rule.icmp
            or service_ports is not None):
        parts = []
        if rule.protocol is not None:
            parts.append(f"protocol {rule.protocol.text}")
        if rule.not_protocol is not None:
            parts.append(f"notProtocol {rule.not_protocol.text}")
        if destination.ports:
            parts.append(f"ports {_ports_text(destination.ports)}")
        if destination.not_ports:
            parts.append(f"notPorts {_ports_text(destination.not_ports)}")
        if rule.icmp:
            parts.append("ICMP type/code")
        if service_ports is not None:
            parts.append("the Service's endpoint ports")
        ports = CalicoPorts(rule.protocol, rule.not_protocol, destination.ports, destination.not_ports, rule.icmp,
                            service_ports, ", ".join(parts))
    action = _ACTIONS[rule.action]
    return CompiledRule(i, action, (peer,) if peer is not None else None, (ports,) if ports is not None else None,
                        action, rule.action.value, rule.name, local=local)


def _policy_order(order: float | None, name: str, namespace: str | None, kind: str) -> tuple[object, ...]:
    """felix/calc/policy_sorter.go PolKVLess: order (absent: +Inf), then "name/namespace/kind"."""
    return (math.inf if order is None else order, f"{name}/{namespace or ''}/{kind}")


def _backend_name(policy: CalicoPolicy) -> str:
    """The name Felix sorts by (Calico v3.31 tiered names: `default.` before a default-tier name)."""
    if policy.tier == DEFAULT_TIER and not policy.name.startswith(DEFAULT_TIER + "."):
        return f"{DEFAULT_TIER}.{policy.name}"
    return policy.name


def _order_text(order: float | None) -> str:
    if order is None:
        return "no order: last"
    return f"order {int(order) if order == int(order) else order}"


def compile_policy(policy: CalicoPolicy, ctx: CalicoContext, kind: str | None = None) -> CompiledPolicy:
    """A Calico NetworkPolicy or GlobalNetworkPolicy (or a staged one, committed: `kind` names it)."""
    # Only Calico's own policies need the selector grammar (a cluster of NetworkPolicies read as
    # Calico, such as the demo, never loads it).
    from kubenet_tui.engine.dialects.calico_selector import EqNode, conjunction, namespace_scope

    namespace = policy.namespace
    accounts = (policy.service_account_selector.root.prefixed(SERVICE_ACCOUNT_PREFIX)
                if policy.service_account_selector is not None else None)
    if namespace is not None:
        root = conjunction(policy.selector.root, EqNode(NAMESPACE_LABEL, namespace), accounts)
    else:
        scope = namespace_scope(policy.namespace_selector.root) if policy.namespace_selector is not None else None
        root = conjunction(policy.selector.root, scope, accounts)
    parts = [_order_text(policy.order), f"selector {policy.selector.describe()}"]
    if policy.namespace_selector is not None:
        parts.append(f"namespaceSelector {policy.namespace_selector.describe()}")
    if policy.service_account_selector is not None:
        parts.append(f"serviceAccountSelector {policy.service_account_selector.describe()}")
    subject = CalicoSubject(namespace, root, "; ".join(parts), ctx)
    rules = {d: tuple(compile_rule(i, r, d, namespace, ctx) for i, r in enumerate(policy.rules(d))) for d in Direction}
    name = kind or policy.kind.value
    return CompiledPolicy(name, namespace, policy.name, subject, rules[Direction.INGRESS], rules[Direction.EGRESS],
                          policy.types, None, _policy_order(policy.order, _backend_name(policy), namespace, name))


def compile_kubernetes_policy(policy: NetworkPolicy, kind: str | None = None) -> CompiledPolicy:
    """A Kubernetes NetworkPolicy as Calico converts it (conversion.go K8sNetworkPolicyToCalico): the
    same rules, Allow-only, in tier default at order 1000; pod and namespace selectors only match
    workload endpoints."""
    from kubenet_tui.engine.compile import compile_network_policy  # compile imports this module

    compiled = compile_network_policy(policy)

    def calico_rule(rule: CompiledRule) -> CompiledRule:
        peers = rule.peers
        if peers is not None:
            peers = tuple(WorkloadPeer(p, p.description) if isinstance(p, PodPeer) else p for p in peers)
        return replace(rule, peers=peers)

    name = kind or compiled.kind
    return replace(compiled, kind=name, ingress=tuple(map(calico_rule, compiled.ingress)),
                   egress=tuple(map(calico_rule, compiled.egress)),
                   order=_policy_order(KUBERNETES_NP_ORDER, f"knp.default.{policy.name}", policy.namespace, name))


def compile_admin_for_calico(policy: AdminPolicy) -> CompiledPolicy:
    """An admin-tier policy as Calico converts it (conversion.go for AdminNetworkPolicy and
    BaselineAdminNetworkPolicy, clusternetworkpolicy.go for ClusterNetworkPolicy): the upstream
    reading, except that a rule with a `nodes` (or any other unconverted) peer fails whole, as
    Calico's conversion does (an Allow is dropped, a Deny or Pass becomes deny-all), and that
    AdminNetworkPolicy / BaselineAdminNetworkPolicy named ports are not converted (a TODO in Calico
    v3.29-v3.31): such a rule matches every port."""
    from kubenet_tui.engine.compile import compile_admin_policy

    compiled = compile_admin_policy(policy)
    v1alpha1 = policy.kind in ("AdminNetworkPolicy", "BaselineAdminNetworkPolicy")

    def calico_rule(rule: CompiledRule, written: tuple[AdminRule, ...]) -> CompiledRule:
        source = written[rule.index]
        peers = source.peers
        bad = next((p for p in peers if p.nodes is not None or p.unknown is not None), None)
        if bad is not None:
            form = "nodes" if bad.nodes is not None else (bad.unknown or "unknown")
            fails_all = rule.written is not Action.ALLOW
            peer = UnknownPeer(form, fails_all, rule.action_text or rule.written.value,
                               f"{bad.describe()} (Calico does not convert this peer form)")
            return replace(rule, action=Action.DENY if fails_all else Action.ALLOW, peers=(peer,), ports=None,
                           fail_closed=form)
        ports = source.ports
        if v1alpha1 and ports and any(p.named_port is not None for p in ports):
            shown = ", ".join(p.describe() for p in ports)
            return replace(rule, ports=(UnconvertedPorts(
                shown, f"Calico (v3.29-v3.31) does not convert the named ports of {policy.kind} rules ({shown}): "
                "the rule it writes has no ports, so it matches every port and protocol"),))
        return rule

    return replace(compiled,
                   ingress=tuple(calico_rule(r, policy.ingress) for r in compiled.ingress),
                   egress=tuple(calico_rule(r, policy.egress) for r in compiled.egress),
                   order=(float(policy.priority), policy.name))


def _admin_tier_name(policy: AdminPolicy) -> str:
    if policy.kind == "AdminNetworkPolicy":
        return ADMIN_TIER
    if policy.kind == "BaselineAdminNetworkPolicy":
        return BASELINE_TIER
    return KUBE_ADMIN_TIER if policy.tier is AdminTier.ADMIN else KUBE_BASELINE_TIER


# -- the program ----------------------------------------------------------------------------------------

_CALICO_POLICY_RESOURCES = (Resource.CALICO_NETWORK_POLICIES, Resource.CALICO_GLOBAL_NETWORK_POLICIES)


def build_context(cluster: Cluster) -> CalicoContext:
    calico = cluster.calico or CalicoResources()
    index = cluster.index
    accounts = {(sa.namespace, sa.name): sa.labels for sa in calico.service_accounts}
    accounts_gap: dict[str | None, str] = {}
    sets_gap = hep_gap = None
    for gap in cluster.unreadable:
        if not gap.hides_objects:
            continue
        if gap.resource is Resource.SERVICE_ACCOUNTS:
            accounts_gap.setdefault(gap.namespace, gap.reason)
        elif gap.resource in (Resource.CALICO_NETWORK_SETS, Resource.CALICO_GLOBAL_NETWORK_SETS):
            sets_gap = sets_gap or gap.describe()
        elif gap.resource is Resource.CALICO_HOST_ENDPOINTS:
            hep_gap = hep_gap or gap.describe()
    broken = tuple((f"{i.kind} {i.key}", i.labels) for i in calico.invalid if i.network_set)
    hep_gap = hep_gap or next((f"HostEndpoint {i.name} could not be used ({i.reason})" for i in calico.invalid
                               if i.kind == "HostEndpoint"), None)
    return CalicoContext(index, accounts, frozenset(sa.namespace for sa in calico.service_accounts), accounts_gap,
                         calico.network_sets, broken, sets_gap, calico.host_endpoints, hep_gap)


def _host_endpoint_reason(ctx: CalicoContext) -> str | None:
    if ctx.host_endpoints_gap is not None:
        return f"HostEndpoints could not be read ({ctx.host_endpoints_gap})"
    if ctx.host_endpoints:
        names = ", ".join(h.name for h in ctx.host_endpoints[:3]) + (" ..." if len(ctx.host_endpoints) > 3 else "")
        return f"Calico host endpoints exist ({names}): policies selecting them govern host traffic"
    return None


def _applies_to_hosts(policy: CalicoPolicy, ctx: CalicoContext) -> bool:
    """Whether a policy may select a host endpoint (the HostEndpoints could not be read, or one matches)."""
    if ctx.host_endpoints_gap is not None:
        return True
    from kubenet_tui.engine.dialects.calico_selector import conjunction, namespace_scope

    root = conjunction(policy.selector.root,
                       namespace_scope(policy.namespace_selector.root) if policy.namespace_selector else None)
    return any(Labelled(h.name, dict(h.labels)).test(root) is not False for h in ctx.host_endpoints)


@dataclass
class _TierBuild:
    spec: CalicoTier
    policies: list[CompiledPolicy] = field(default_factory=list)
    unevaluated: list[UnevaluatedPolicy] = field(default_factory=list)
    unreadable: dict[str | None, str] = field(default_factory=dict)


def _unevaluated(kind: str, api_version: str, namespace: str | None, name: str, reason: str, tier: Tier,
                 directions: Iterable[Direction] = tuple(Direction)) -> UnevaluatedPolicy:
    return UnevaluatedPolicy(kind, api_version, namespace, name, reason, tier, frozenset(directions))


def compile_calico(cluster: Cluster) -> Program:
    """The program as Calico's Felix applies it (see the module doc)."""
    calico = cluster.calico or CalicoResources()
    ctx = build_context(cluster)
    specs = dict(BUILTIN_TIERS)
    tiers_gap = next((g.describe() for g in cluster.unreadable
                      if g.resource is Resource.CALICO_TIERS and g.hides_objects), None)
    for tier in calico.tiers:
        specs[tier.name] = tier
    builds: dict[str, _TierBuild] = {}
    missing: list[UnevaluatedPolicy] = []  # policies of tiers whose order and action are unknown

    def build(name: str) -> _TierBuild:
        found = builds.get(name)
        if found is None:
            found = builds[name] = _TierBuild(specs[name])
        return found

    def tier_of(name: str | None, kind: str, api_version: str, namespace: str | None, policy: str,
                directions: Iterable[Direction]) -> _TierBuild | None:
        """The tier a policy belongs to; None (and the policy recorded as unknown) when that tier's
        order and default action are not known."""
        name = name or DEFAULT_TIER
        if name in specs:
            return build(name)
        broken = next((i for i in calico.invalid if i.kind == "Tier" and i.name == name), None)
        why = (f"Tier {name} could not be used ({broken.reason})" if broken is not None else
               f"Tiers could not be read ({tiers_gap})" if tiers_gap else f"Tier {name} was not loaded")
        missing.append(_unevaluated(kind, api_version, namespace, policy, f"{why}: where tier {name} acts, and "
                                    "what it does when none of its rules matches, are unknown", Tier.PLUGIN,
                                    directions))
        return None

    hosts = _host_endpoint_reason(ctx)
    for policy in calico.policies:
        target = tier_of(policy.tier, policy.kind.value, policy.api_version, policy.namespace, policy.name,
                         policy.types)
        if target is None:
            continue
        if (policy.host_only or policy.apply_on_forward) and hosts is not None and _applies_to_hosts(policy, ctx):
            flags = ", ".join(f for f, on in (("preDNAT", policy.pre_dnat), ("doNotTrack", policy.do_not_track),
                                              ("applyOnForward", policy.apply_on_forward)) if on)
            target.unevaluated.append(_unevaluated(
                policy.kind.value, policy.api_version, policy.namespace, policy.name,
                f"it applies to host endpoints ({flags}): traffic through the nodes' interfaces is not evaluated",
                _TIER_KIND.get(target.spec.name, Tier.PLUGIN), policy.types))
            continue
        if policy.host_only:
            continue  # preDNAT and doNotTrack policies never apply to workload endpoints
        target.policies.append(compile_policy(policy, ctx))
    for invalid in calico.invalid:
        if invalid.staged or invalid.network_set or invalid.kind in ("Tier", "HostEndpoint"):
            continue
        target = tier_of(invalid.tier, invalid.kind, "projectcalico.org/v3", invalid.namespace, invalid.name,
                         invalid.directions)
        if target is not None:
            target.unevaluated.append(_unevaluated(invalid.kind, "projectcalico.org/v3", invalid.namespace,
                                                   invalid.name, invalid.reason,
                                                   _TIER_KIND.get(target.spec.name, Tier.PLUGIN), invalid.directions))
    staged_k8s = calico.committed_kubernetes
    default = build(DEFAULT_TIER)
    for np in cluster.network_policies:
        kind = CalicoKind.STAGED_KUBERNETES_NETWORK_POLICY.value if np.key in staged_k8s else None
        default.policies.append(compile_kubernetes_policy(np, kind))
    for admin in cluster.admin_policies:
        build(_admin_tier_name(admin)).policies.append(compile_admin_for_calico(admin))

    foreign: list[UnevaluatedPolicy] = []
    for u in cluster.unevaluated:
        if is_calico_api(u.api_version) and u.api_version in READ_VERSIONS:
            continue  # evaluated here (or recorded above when invalid)
        if u.tier is Tier.NETWORK_POLICY:
            default.unevaluated.append(u)
        elif u.tier is Tier.ADMIN:
            build(KUBE_ADMIN_TIER if u.kind == "ClusterNetworkPolicy" else ADMIN_TIER).unevaluated.append(u)
        elif u.tier is Tier.BASELINE:
            build(KUBE_BASELINE_TIER if u.kind == "ClusterNetworkPolicy" else BASELINE_TIER).unevaluated.append(u)
        else:
            foreign.append(u)

    # What could not be read: Kubernetes NetworkPolicies (tier default), the admin kinds (their
    # tiers), Calico's own policies (any tier but the admin ones).
    for gap in cluster.unreadable:
        if not gap.hides_objects:
            continue
        if gap.resource is Resource.NETWORK_POLICIES:
            default.unreadable.setdefault(gap.namespace, gap.reason)
        elif gap.resource in (Resource.ADMIN_NETWORK_POLICIES, Resource.CLUSTER_NETWORK_POLICIES):
            for name in ((ADMIN_TIER,) if gap.resource is Resource.ADMIN_NETWORK_POLICIES
                         else (KUBE_ADMIN_TIER, KUBE_BASELINE_TIER)):
                build(name).unreadable.setdefault(None, gap.reason)
        elif gap.resource is Resource.BASELINE_ADMIN_NETWORK_POLICIES:
            build(BASELINE_TIER).unreadable.setdefault(None, gap.reason)
        elif gap.resource in _CALICO_POLICY_RESOURCES:
            for name in {*specs} - {ADMIN_TIER, KUBE_ADMIN_TIER, BASELINE_TIER, KUBE_BASELINE_TIER}:
                build(name).unreadable.setdefault(gap.namespace, f"{gap.resource.value}: {gap.reason}")

    compiled: list[CompiledTier] = []
    if foreign:
        compiled.append(CompiledTier(Tier.PLUGIN, Mode.FIRST_MATCH, (), {}, (), {}, tuple(foreign), True,
                                     label="other plugins' policies"))
    if missing:
        compiled.append(CompiledTier(Tier.PLUGIN, Mode.FIRST_MATCH, (), {}, (), {}, tuple(missing),
                                     label="Calico tiers not loaded"))
    for name, tier_build in sorted(builds.items(), key=lambda item: _tier_sort(item[1].spec)):
        if not (tier_build.policies or tier_build.unevaluated or tier_build.unreadable or name == DEFAULT_TIER):
            continue
        compiled.append(_compiled_tier(name, tier_build))
    return Program(tuple(compiled), Profile.CALICO, _host_network_gap(hosts))


def _host_network_gap(hosts: str | None) -> str | None:
    if hosts is None:
        return None
    return f"{hosts}, and this tool does not evaluate host endpoint policies"


def _tier_sort(spec: CalicoTier) -> tuple[object, ...]:
    """felix/calc/policy_sorter.go TierLess: order (absent last), then name."""
    return (spec.order is None, spec.order or 0.0, spec.name)


def _compiled_tier(name: str, build: _TierBuild) -> CompiledTier:
    policies = sorted(build.policies, key=lambda p: p.order)
    by_namespace: dict[str, list[CompiledPolicy]] = defaultdict(list)
    cluster_wide: list[CompiledPolicy] = []
    for policy in policies:
        if policy.subject.namespace is None:
            cluster_wide.append(policy)
        else:
            by_namespace[policy.subject.namespace].append(policy)
    kind = _TIER_KIND.get(name, Tier.PLUGIN)
    end = Outcome.PASS if build.spec.default_action is RuleAction.PASS else Outcome.DENY
    return CompiledTier(kind, Mode.FIRST_MATCH, tuple(policies), {k: tuple(v) for k, v in by_namespace.items()},
                        tuple(cluster_wide), dict(build.unreadable), tuple(build.unevaluated),
                        governs_loopback=kind is Tier.ADMIN, end=end, label=tier_label(name))


# -- staged policies --------------------------------------------------------------------------------------


def commit_staged(cluster: Cluster) -> Cluster | None:
    """The cluster once its staged policies are committed (None: nothing is staged). A staged
    policy with stagedAction Set creates or replaces the enforced policy of its name, Delete deletes
    it; Learn and Ignore change nothing. Policies that come from staged objects keep the staged
    kind, so explanations name them."""
    calico = cluster.calico
    if calico is None or not calico.has_staged:
        return None
    policies = {(p.kind, p.namespace, p.name): p for p in calico.policies}
    committed: dict[tuple[CalicoKind, str | None, str], CalicoPolicy] = {}
    for staged in calico.staged:
        key = (staged.kind.enforced_kind, staged.namespace, staged.name)
        if staged.staged_action is StagedAction.DELETE:
            policies.pop(key, None)
            committed.pop(key, None)
        elif staged.staged_action in (StagedAction.SET, None):
            policies.pop(key, None)
            committed[key] = staged
    kubernetes = {np.key: np for np in cluster.network_policies}
    set_keys: set[str] = set()
    for staged_k8s in calico.staged_kubernetes:
        key_text = staged_k8s.policy.key
        if staged_k8s.staged_action is StagedAction.DELETE:
            kubernetes.pop(key_text, None)
            set_keys.discard(key_text)
        elif staged_k8s.staged_action is StagedAction.SET:
            kubernetes[key_text] = staged_k8s.policy
            set_keys.add(key_text)
    merged = (*policies.values(), *committed.values())
    return replace(cluster, network_policies=tuple(kubernetes[k] for k in sorted(kubernetes)),
                   calico=replace(calico, policies=merged, staged=(), staged_kubernetes=(),
                                  committed_kubernetes=frozenset(set_keys)))

