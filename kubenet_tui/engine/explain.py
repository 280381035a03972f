"""The verdict as an explanation: structured, frozen result objects that renderers (text, JSON, TUI) read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from enum import StrEnum
from typing import Any

# Re-exported: verdicts carry caveats from the one catalogue (caveats.py).
from kubenet_tui.engine.caveats import Caveat as Caveat
from kubenet_tui.engine.model import PolicyType, Protocol
from kubenet_tui.engine.profiles import Profile
from kubenet_tui.engine.records import record


class Direction(StrEnum):
    EGRESS = "egress"
    INGRESS = "ingress"

    @property
    def policy_type(self) -> PolicyType:
        return PolicyType.EGRESS if self is Direction.EGRESS else PolicyType.INGRESS


class Tier(StrEnum):
    """Evaluation order of the tiers for one direction; the first that decides wins. PLUGIN holds the
    network plugin's own policies, which act before everything else (or, while this engine cannot
    evaluate them, make the verdicts they could touch unknown)."""

    PLUGIN = "Plugin"
    ADMIN = "Admin"
    NETWORK_POLICY = "NetworkPolicy"
    BASELINE = "Baseline"
    DEFAULT = "Default"


class Outcome(StrEnum):
    """What one tier concluded. NO_DECISION hands over to the next tier."""

    ALLOW = "Allow"
    DENY = "Deny"
    PASS = "Pass"
    NO_DECISION = "NoDecision"
    UNKNOWN = "Unknown"


class Status(StrEnum):
    ALLOWED = "allowed"
    BLOCKED = "blocked"
    UNKNOWN = "unknown"  # data that could change the verdict could not be read
    NOT_EVALUATED = "not-evaluated"  # an end that carries no traffic (no IP, finished)

    @property
    def allowed(self) -> bool | None:
        """The JSON contract's three values: true, false, or null when not known."""
        return {Status.ALLOWED: True, Status.BLOCKED: False}.get(self)


@record
class RuleRef:
    """Points at one rule (and the peer and port inside it) so the UI can highlight it in the YAML."""

    kind: str
    namespace: str | None
    name: str
    direction: Direction
    rule: int
    peer: int | None = None
    port: int | None = None
    rule_name: str | None = None
    action: str | None = None
    # The YAML path of the list the rule is in, when it is not ("spec", direction): a plugin's own
    # sections, e.g. ("spec", "ingressDeny") or ("specs", 1, "egress") for a CiliumNetworkPolicy.
    section: tuple[str | int, ...] | None = None

    def label(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        text = f"{self.kind} {where} {section_label(self.section, self.direction)}[{self.rule}]"
        if self.rule_name:
            text += f' "{self.rule_name}"'
        return text

    @property
    def yaml_path(self) -> tuple[str | int, ...]:
        """Path of the rule inside the manifest, e.g. ("spec", "ingress", 0)."""
        if self.section is not None:
            return (*self.section, self.rule)
        return ("spec", self.direction.value, self.rule)


def section_label(section: tuple[str | int, ...] | None, direction: Direction) -> str:
    """How a rule's list is named in a label: `ingress`, `ingressDeny`, `specs[1].egress`."""
    if section is None:
        return direction.value
    parts = list(section[1:] if section[:1] == ("spec",) else section)
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


class Form(StrEnum):
    """What kind of peer or port a check tested: renderers and caveats read this, never the wording."""

    EVERY_PEER = "every-peer"  # a rule that lists no peers
    PODS = "pods"  # pods by selector (in the policy's namespace, or in selected namespaces)
    NAMESPACES = "namespaces"  # every pod of the selected namespaces
    IP_BLOCK = "ipBlock"
    NETWORKS = "networks"
    NODES = "nodes"
    UNKNOWN_PEER = "unknown-peer"  # a peer form this engine does not know: the rule fails closed
    ENTITIES = "entities"  # Cilium entities (world, cluster, host, ...)
    EVERY_PORT = "every-port"  # a rule that lists no ports
    PROTOCOL = "protocol"  # every port of one protocol
    PORT = "port"
    PORT_RANGE = "port-range"
    NAMED_PORT = "named-port"


@record
class Check:
    """One peer or port of a rule, tested against the connection."""

    index: int | None  # None for the implicit "empty list matches everything"
    matched: bool
    description: str  # the peer or port as written, e.g. "podSelector role=frontend"
    reason: str  # why it matched or not, in words
    unknown: bool = False  # the data needed to decide could not be read (then matched is False)
    form: Form | None = None


@record
class RuleExplanation:
    index: int
    matched: bool
    peers: tuple[Check, ...]
    ports: tuple[Check, ...]
    reason: str
    action: str | None = None  # admin tiers: Allow/Accept, Deny, Pass
    name: str | None = None  # admin tiers name their rules
    unknown: bool = False  # it might match: data it depends on could not be read
    section: tuple[str | int, ...] | None = None  # as RuleRef.section: the rule's list, when not ("spec", direction)

    @property
    def matched_peer(self) -> int | None:
        return next((c.index for c in self.peers if c.matched), None)

    @property
    def matched_port(self) -> int | None:
        return next((c.index for c in self.ports if c.matched), None)


@record
class PolicyExplanation:
    kind: str
    namespace: str | None
    name: str
    selects: bool  # whether the policy applies to the pod in this direction
    selection_reason: str
    rules: tuple[RuleExplanation, ...] = ()
    priority: int | None = None
    # A NetworkPolicy that isolates ingress only because policyTypes was left out while it has egress
    # rules (the API then defaults to [Ingress, Egress]).
    ingress_by_default: bool = False

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    @property
    def matched(self) -> bool:
        return any(rule.matched for rule in self.rules)


@record
class TierResult:
    tier: Tier
    outcome: Outcome
    summary: str
    deciding: tuple[RuleRef, ...] = ()
    policies: tuple[PolicyExplanation, ...] = ()
    # An UNKNOWN outcome: what the tier concludes if what could not be read or evaluated does not
    # apply (absent policies, rules that do not match, subjects that do not select the pod).
    assumed: Outcome | None = None
    assumed_deciding: tuple[RuleRef, ...] = ()
    label: str = ""  # the tier's name when it is not just its kind ("Calico tier security")

    @property
    def name(self) -> str:
        return self.label or self.tier.value


@record
class DirectionVerdict:
    """Egress at the source or ingress at the destination."""

    direction: Direction
    endpoint: str  # "namespace/pod" or the IP address
    evaluated: bool  # False: an outside endpoint or a host-network pod; no pod policy applies
    allowed: bool | None
    summary: str
    isolated: bool | None = False  # None: whether NetworkPolicies isolate the pod is unknown
    isolating_policies: tuple[str, ...] = ()
    decided_by: Tier | None = None
    tiers: tuple[TierResult, ...] = ()
    # When `allowed` is None: the answer if what could not be read or evaluated does not apply (the
    # readable policies alone), the reason, and the tiers that were evaluated to reach it.
    assumed_allowed: bool | None = None
    assumed_summary: str = ""
    assumed_tiers: tuple[TierResult, ...] = ()

    @property
    def deciding_rules(self) -> tuple[RuleRef, ...]:
        for tier in self.tiers:
            if tier.outcome in (Outcome.ALLOW, Outcome.DENY) and tier.tier is self.decided_by:
                return tier.deciding
        return ()

    @property
    def policies(self) -> tuple[PolicyExplanation, ...]:
        return tuple(p for tier in self.tiers for p in tier.policies)


@record
class Suggestion:
    direction: Direction
    kind: str  # "add-port", "add-peer", "new-policy", "admin"
    summary: str
    # Where the change goes: "namespace/name" of the policy and the rule index, when editing one.
    policy: str | None = None
    rule: int | None = None
    # The YAML fragment to add, as plain data (renderers dump it); empty for "admin".
    fragment: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)


@record
class EndpointInfo:
    kind: str  # "pod" or "ip"
    name: str  # "namespace/pod" or the IP address
    ips: tuple[str, ...] = ()


@record
class Verdict:
    source: EndpointInfo
    destination: EndpointInfo
    protocol: Protocol
    port: int | None  # None: the question is about every port of the protocol
    port_name: str | None
    status: Status
    summary: str
    egress: DirectionVerdict
    ingress: DirectionVerdict
    caveats: tuple[Caveat, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    # `status` is what happens on the wire. When the network plugin does not enforce policies
    # (`enforced` False) that is ALLOWED whatever they say, and `policy_status` is what they say.
    policy_status: Status | None = None
    enforced: bool | None = True  # None: enforcement depends on the plugin's configuration
    profile: Profile = Profile.UPSTREAM  # whose reading of the policies decided
    # What the cluster will do once its staged policies (Calico's) are committed, when that differs
    # from what it does now (staged policies are never enforced); None: no difference.
    pending: Verdict | None = None

    @property
    def allowed(self) -> bool | None:
        return self.status.allowed

    @property
    def policies_say(self) -> Status:
        """What the policies decide, enforced or not."""
        return self.policy_status if self.policy_status is not None else self.status

    @property
    def assumed_status(self) -> Status | None:
        """For an UNKNOWN verdict: the answer of the readable policies alone (what could not be read or
        evaluated assumed not to apply); None when the verdict is known."""
        if self.policies_say is not Status.UNKNOWN:
            return None
        sides = [d.allowed if d.allowed is not None else d.assumed_allowed for d in (self.egress, self.ingress)]
        if False in sides:
            return Status.BLOCKED
        if None in sides:
            return None
        return Status.ALLOWED

    @property
    def deciding_rules(self) -> tuple[RuleRef, ...]:
        return self.egress.deciding_rules + self.ingress.deciding_rules

    def port_text(self) -> str:
        if self.port is None:
            return f"any {self.protocol.value} port"
        name = f" ({self.port_name})" if self.port_name else ""
        return f"{self.port}/{self.protocol.value}{name}"
