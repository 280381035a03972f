"""Calico's resources (`projectcalico.org/v3`, also served as `crd.projectcalico.org/v1`), frozen.

What the parser produces and the Calico compiler reads: tiers, (global) network policies and their
staged forms, (global) network sets, host endpoints, and the service accounts whose labels Calico's
selectors see as `pcsa.<key>`. Field names follow api/pkg/apis/projectcalico/v3.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from enum import StrEnum
from typing import TYPE_CHECKING

from kubenet_tui.engine.explain import Direction
from kubenet_tui.engine.model import EMPTY_LABELS, IPAddress, IPNetwork, NetworkPolicy, Protocol
from kubenet_tui.engine.records import record

if TYPE_CHECKING:  # parsed selectors are only held here: a cluster without Calico policies never loads the parser
    from kubenet_tui.engine.dialects.calico_selector import Selector

# The label Calico gives every workload endpoint and namespaced network set: its namespace.
NAMESPACE_LABEL = "projectcalico.org/namespace"

DEFAULT_TIER = "default"


class CalicoKind(StrEnum):
    """How a policy is named in explanations. Calico's namespaced NetworkPolicy is not Kubernetes'
    NetworkPolicy, so it is never called just "NetworkPolicy" here."""

    NETWORK_POLICY = "Calico NetworkPolicy"
    GLOBAL_NETWORK_POLICY = "GlobalNetworkPolicy"
    STAGED_NETWORK_POLICY = "StagedNetworkPolicy"
    STAGED_GLOBAL_NETWORK_POLICY = "StagedGlobalNetworkPolicy"
    STAGED_KUBERNETES_NETWORK_POLICY = "StagedKubernetesNetworkPolicy"

    @property
    def staged(self) -> bool:
        return self in (CalicoKind.STAGED_NETWORK_POLICY, CalicoKind.STAGED_GLOBAL_NETWORK_POLICY,
                        CalicoKind.STAGED_KUBERNETES_NETWORK_POLICY)

    @property
    def enforced_kind(self) -> CalicoKind:
        """The kind a staged policy becomes once committed."""
        if self is CalicoKind.STAGED_NETWORK_POLICY:
            return CalicoKind.NETWORK_POLICY
        if self is CalicoKind.STAGED_GLOBAL_NETWORK_POLICY:
            return CalicoKind.GLOBAL_NETWORK_POLICY
        return self


class RuleAction(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"
    LOG = "Log"  # not terminal: the packet is logged and the next rule is evaluated
    PASS = "Pass"  # skip the rest of this tier


class StagedAction(StrEnum):
    SET = "Set"  # create or replace the enforced policy of the same name
    DELETE = "Delete"  # delete it
    LEARN = "Learn"  # not a change to commit (policy recommendation)
    IGNORE = "Ignore"


@record
class CalicoPort:
    """numorstring.Port: a number, a range `80:90`, or a named port."""

    start: int = 0
    end: int = 0
    name: str | None = None

    def describe(self) -> str:
        if self.name is not None:
            return self.name
        return str(self.start) if self.start == self.end else f"{self.start}:{self.end}"


# numorstring.Protocol names and the IP protocol numbers they stand for.
PROTOCOL_NUMBERS = {"TCP": 6, "UDP": 17, "ICMP": 1, "ICMPV6": 58, "SCTP": 132, "UDPLITE": 136}


@record
class CalicoProtocol:
    """A rule's protocol, by name or number (Calico accepts both)."""

    text: str
    number: int

    def matches(self, protocol: Protocol) -> bool:
        return self.number == PROTOCOL_NUMBERS[protocol.value]


@record
class ServiceAccountMatch:
    names: tuple[str, ...] = ()
    selector: Selector | None = None


@record
class ServiceMatch:
    name: str
    namespace: str | None = None  # None: the policy's own namespace


@record
class EntityRule:
    """A rule's source or destination: every field given must match."""

    nets: tuple[IPNetwork, ...] = ()
    not_nets: tuple[IPNetwork, ...] = ()
    selector: Selector | None = None
    not_selector: Selector | None = None
    namespace_selector: Selector | None = None
    service_accounts: ServiceAccountMatch | None = None
    services: ServiceMatch | None = None
    ports: tuple[CalicoPort, ...] = ()
    not_ports: tuple[CalicoPort, ...] = ()

    @property
    def selects_endpoints(self) -> bool:
        """Whether it names endpoints by label (the fields that get scoped to a namespace)."""
        return (self.selector is not None or self.not_selector is not None or self.namespace_selector is not None
                or self.service_accounts is not None)


_EMPTY_ENTITY = EntityRule()


@record
class CalicoRule:
    action: RuleAction
    source: EntityRule = _EMPTY_ENTITY
    destination: EntityRule = _EMPTY_ENTITY
    protocol: CalicoProtocol | None = None
    not_protocol: CalicoProtocol | None = None
    ip_version: int | None = None
    icmp: bool = False  # icmp or notICMP fields: ICMP type/code matches
    http: bool = False  # an HTTP match (application layer policy): decided per request
    name: str | None = None  # metadata.annotations name, when the rule came from an admin policy
    unknown_fields: tuple[str, ...] = ()  # fields this engine does not know: the rule might match


@record
class CalicoPolicy:
    """A NetworkPolicy, GlobalNetworkPolicy or one of their staged forms, defaulted."""

    kind: CalicoKind
    namespace: str | None
    name: str
    tier: str
    order: float | None
    selector: Selector
    types: frozenset[Direction]
    ingress: tuple[CalicoRule, ...] = ()
    egress: tuple[CalicoRule, ...] = ()
    namespace_selector: Selector | None = None  # global policies only
    service_account_selector: Selector | None = None
    pre_dnat: bool = False
    apply_on_forward: bool = False
    do_not_track: bool = False
    staged_action: StagedAction | None = None  # staged kinds only
    api_version: str = ""
    manifest: str = field(default="", compare=False)
    origin: str = field(default="", compare=False)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    def rules(self, direction: Direction) -> tuple[CalicoRule, ...]:
        return self.ingress if direction is Direction.INGRESS else self.egress

    @property
    def host_only(self) -> bool:
        """preDNAT and doNotTrack policies apply to host endpoints only."""
        return self.pre_dnat or self.do_not_track


@record
class StagedKubernetesPolicy:
    """A StagedKubernetesNetworkPolicy: a Kubernetes NetworkPolicy and what committing it does."""

    policy: NetworkPolicy
    staged_action: StagedAction


@record
class CalicoTier:
    name: str
    order: float | None
    default_action: RuleAction = RuleAction.DENY  # Deny or Pass


@record
class NetworkSet:
    """A NetworkSet (namespaced) or GlobalNetworkSet: labelled addresses selectors can match."""

    namespace: str | None
    name: str
    labels: Mapping[str, str] = field(default_factory=lambda: EMPTY_LABELS, hash=False)
    nets: tuple[IPNetwork, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    @property
    def kind(self) -> str:
        return "NetworkSet" if self.namespace else "GlobalNetworkSet"


@record
class HostEndpoint:
    name: str
    node: str | None
    labels: Mapping[str, str] = field(default_factory=lambda: EMPTY_LABELS, hash=False)
    expected_ips: tuple[IPAddress, ...] = ()
    interface: str | None = None


@record
class ServiceAccount:
    namespace: str
    name: str
    labels: Mapping[str, str] = field(default_factory=lambda: EMPTY_LABELS, hash=False)


@record
class CalicoInvalid:
    """A Calico object that was read but is not usable (it does not validate): what could still be
    told of it, so the verdicts it could touch are unknown rather than guessed."""

    kind: str
    namespace: str | None
    name: str
    reason: str
    tier: str | None = None  # policies: the tier named, when readable
    directions: frozenset[Direction] = frozenset(Direction)
    staged: bool = False
    network_set: bool = False  # a (Global)NetworkSet: any address may be in it
    labels: Mapping[str, str] | None = field(default=None, hash=False)  # sets: when readable

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


@record(slots=False)
class CalicoResources:
    """Every Calico object of a load. `committed` names the policies of a what-if (staged objects
    applied) that come from staged objects, as (kind, namespace or "", name)."""

    tiers: tuple[CalicoTier, ...] = ()
    policies: tuple[CalicoPolicy, ...] = ()
    staged: tuple[CalicoPolicy, ...] = ()
    staged_kubernetes: tuple[StagedKubernetesPolicy, ...] = ()
    network_sets: tuple[NetworkSet, ...] = ()
    host_endpoints: tuple[HostEndpoint, ...] = ()
    service_accounts: tuple[ServiceAccount, ...] = ()
    invalid: tuple[CalicoInvalid, ...] = ()
    committed_kubernetes: frozenset[str] = frozenset()  # "namespace/name" of NetworkPolicies set by staging

    @property
    def has_staged(self) -> bool:
        return bool(self.staged or self.staged_kubernetes)

    @property
    def empty(self) -> bool:
        return not (self.tiers or self.policies or self.staged or self.staged_kubernetes or self.network_sets
                    or self.host_endpoints or self.invalid or self.service_accounts)
