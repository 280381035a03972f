"""Cilium's policy objects (cilium.io/v2), as the parser reads them: frozen, validated, not yet compiled.

One `CiliumPolicy` per CiliumNetworkPolicy (namespaced) or CiliumClusterwideNetworkPolicy object; its
`rules` are `spec` (one rule) or the entries of `specs`. Selector keys are kept as written (with any
`k8s:`/`any:` source prefix): the compiler reads them against Cilium's identity labels.
"""

from __future__ import annotations

from dataclasses import field
from enum import StrEnum

from kubenet_tui.engine.explain import Direction
from kubenet_tui.engine.model import IPNetwork, LabelSelector, Protocol
from kubenet_tui.engine.records import record

CILIUM_LABEL = "Cilium"  # the Cilium tier's name in chains: [Cilium] Deny (...)
CNP_KIND = "CiliumNetworkPolicy"
CCNP_KIND = "CiliumClusterwideNetworkPolicy"


class L4Proto(StrEnum):
    """A toPorts protocol. ANY matches TCP, UDP and SCTP; the others never match a TCP/UDP/SCTP
    connection (the only kinds this tool asks about)."""

    TCP = "TCP"
    UDP = "UDP"
    SCTP = "SCTP"
    ANY = "ANY"
    ICMP = "ICMP"
    ICMPV6 = "ICMPV6"
    VRRP = "VRRP"
    IGMP = "IGMP"

    @property
    def protocol(self) -> Protocol | None:
        """The connection protocol it is, None for ANY (and for the ones no connection here has)."""
        return {L4Proto.TCP: Protocol.TCP, L4Proto.UDP: Protocol.UDP, L4Proto.SCTP: Protocol.SCTP}.get(self)


@record
class CiliumPort:
    """One `toPorts[].ports[]` entry: `port` 0 means every port; a str is a named port."""

    protocol: L4Proto
    port: int | str
    end_port: int | None = None

    def describe(self) -> str:
        proto = "any protocol" if self.protocol is L4Proto.ANY else self.protocol.value
        if isinstance(self.port, str):
            return f"named port {self.port} ({proto})"
        if self.port == 0:
            return f"every port ({proto})"
        if self.end_port is not None and self.end_port > self.port:
            return f"{self.port}-{self.end_port}/{proto}"
        return f"{self.port}/{proto}"


@record
class CiliumPortRule:
    """One `toPorts[]` entry: its ports, and what hands the allowed connections to a proxy (L7 rules,
    TLS server names, a listener); None when nothing does."""

    ports: tuple[CiliumPort, ...]
    l7: str | None = None


@record
class CIDRSet:
    """A `fromCIDRSet`/`toCIDRSet` entry (or a `fromCIDR` item, without excepts): a CIDR, or a
    CiliumCIDRGroup by name (`group`), minus the excepts."""

    cidr: IPNetwork | None
    excepts: tuple[IPNetwork, ...] = ()
    group: str | None = None

    def describe(self) -> str:
        what = f"CIDR group {self.group}" if self.group is not None else str(self.cidr)
        return what + (f" except {', '.join(map(str, self.excepts))}" if self.excepts else "")


@record
class CiliumPeerRule:
    """One rule of an ingress/ingressDeny/egress/egressDeny list. Exactly one L3 form is set (or none:
    every peer when toPorts is given, no peer otherwise). `empty` names an L3 field written as an
    empty list (`toEndpoints: []`), which Cilium versions read differently."""

    endpoints: tuple[LabelSelector, ...] | None = None
    entities: tuple[str, ...] | None = None
    cidrs: tuple[CIDRSet, ...] | None = None
    fqdns: tuple[str, ...] | None = None
    services: int | None = None  # toServices: how many
    nodes: tuple[LabelSelector, ...] | None = None
    groups: int | None = None  # toGroups/fromGroups (cloud security groups): how many
    empty: str | None = None
    ports: tuple[CiliumPortRule, ...] | None = None  # None: toPorts absent (every port)
    icmps: bool = False  # an icmps block: the rule is about ICMP only
    authentication: str | None = None  # authentication.mode (mutual authentication)


@record
class CiliumRule:
    """One rule of a policy object (`spec`, or `specs[i]`)."""

    index: int | None  # None: `spec`; else its position in `specs`
    endpoint_selector: LabelSelector | None  # None: a host policy (nodeSelector)
    node_selector: LabelSelector | None
    ingress: tuple[CiliumPeerRule, ...] = ()
    ingress_deny: tuple[CiliumPeerRule, ...] = ()
    egress: tuple[CiliumPeerRule, ...] = ()
    egress_deny: tuple[CiliumPeerRule, ...] = ()
    # enableDefaultDeny as written (None: not written: on when the direction has a section).
    default_deny: tuple[tuple[Direction, bool], ...] = ()
    description: str = ""

    def lists(self, direction: Direction) -> tuple[tuple[str, tuple[CiliumPeerRule, ...]], ...]:
        """(section name, rules) of one direction: the deny list first."""
        if direction is Direction.INGRESS:
            return (("ingressDeny", self.ingress_deny), ("ingress", self.ingress))
        return (("egressDeny", self.egress_deny), ("egress", self.egress))

    def has_section(self, direction: Direction) -> bool:
        return any(rules for _, rules in self.lists(direction))

    def enables_default_deny(self, direction: Direction) -> bool:
        """Cilium's Rule.Sanitize: default deny unless enableDefaultDeny says false, when the rule has
        an allow or deny section for the direction."""
        written = dict(self.default_deny).get(direction)
        return self.has_section(direction) if written is None else written


@record
class CiliumPolicy:
    kind: str  # CNP_KIND or CCNP_KIND
    namespace: str | None  # None: clusterwide
    name: str
    rules: tuple[CiliumRule, ...]
    multi: bool = False  # written as `specs`
    manifest: str = field(default="", compare=False)
    origin: str = field(default="", compare=False)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    def section(self, rule: CiliumRule, name: str) -> tuple[str | int, ...]:
        """The YAML path of one of a rule's lists: ("spec", name) or ("specs", i, name)."""
        return ("spec", name) if rule.index is None else ("specs", rule.index, name)


@record
class CiliumCIDRGroup:
    name: str
    cidrs: tuple[IPNetwork, ...]
