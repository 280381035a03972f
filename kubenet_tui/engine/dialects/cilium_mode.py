"""The Cilium tier's way of combining rules (`Mode.DENY_WINS`), both faces side by side.

Per direction, at the pod whose side it is, over every rule of every policy selecting it
(CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy, and Kubernetes NetworkPolicy as Cilium reads it):

1. any matching deny rule denies (deny rules win over every allow);
2. else, if some selecting policy switched default deny on for the direction (a section for it, unless
   `enableDefaultDeny` says false; a NetworkPolicy by isolating), any matching allow rule allows and
   nothing else does;
3. else the tier does not decide (the Baseline tier and then the default go on).

What cannot be told (a policy not evaluated, a selection or rule depending on data not read, a peer
that is a node when only the pod's own node would be let in by allow-localhost, a host-firewall
policy that may drop it at the node) makes the tier UNKNOWN unless a deny rule surely matches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubenet_tui.engine.caveats import Caveat, CaveatCode
from kubenet_tui.engine.dialects.cilium_match import CIDRPeer, IdentityPeer, IdentitySubject, is_node, port_condition
from kubenet_tui.engine.explain import Direction, Outcome, PolicyExplanation, RuleExplanation, RuleRef, TierResult
from kubenet_tui.engine.model import LabelSelector
from kubenet_tui.engine.records import record
from kubenet_tui.engine.rules import Action, CompiledPolicy, CompiledRule
from kubenet_tui.engine.tiers import CompiledTier, RowState, Side

if TYPE_CHECKING:
    from kubenet_tui.engine.classes import BoolArray, ClassSpace



@record(eq=False)
class CiliumCompiledRule(CompiledRule):
    """`condition`: what else the allowed connection must pass (mutual authentication)."""

    condition: str | None = None


@record(eq=False)
class CiliumCompiledPolicy(CompiledPolicy):
    """One rule of a Cilium policy object (or a NetworkPolicy as Cilium reads it): its allow and deny
    rules per direction, and the directions in which it switches default deny on."""

    default_deny: frozenset[Direction] = frozenset()
    spec: int | None = None  # its index in `specs`


@record
class HostPolicy:
    """A CiliumClusterwideNetworkPolicy rule with a nodeSelector: a host firewall, not evaluated. It may
    drop traffic of the nodes it selects in `directions` (the node's own ingress/egress)."""

    key: str
    node_selector: LabelSelector
    directions: frozenset[Direction]


@record(eq=False, slots=False)
class CiliumTier(CompiledTier):
    host_policies: tuple[HostPolicy, ...] = ()

    def host_policies_for(self, direction: Direction) -> tuple[HostPolicy, ...]:
        """Host policies that may drop, at the node, traffic this pod side sees in `direction` (the
        node is the source for the pod's ingress, the destination for its egress)."""
        at_node = Direction.EGRESS if direction is Direction.INGRESS else Direction.INGRESS
        return tuple(h for h in self.host_policies if at_node in h.directions)


def _ref(policy: CompiledPolicy, rule: CompiledRule, found: RuleExplanation, direction: Direction) -> RuleRef:
    return RuleRef(policy.kind, policy.namespace, policy.name, direction, found.index, found.matched_peer,
                   found.matched_port, None, rule.action.value, rule.section)


def _conditions(rule: CompiledRule, found: RuleExplanation) -> tuple[str, ...]:
    """What the allowed connection still has to pass: the L7 rules of the matching port entries (none
    if a port entry without them matches too), the rule's own condition."""
    found_conditions: list[str] = []
    if rule.ports is not None:
        matched = [rule.ports[c.index] for c in found.ports if c.matched and c.index is not None]
        l7 = [port_condition(p) for p in matched]
        if matched and all(l7):
            found_conditions.extend(sorted({c for c in l7 if c}))
    if isinstance(rule, CiliumCompiledRule) and rule.condition is not None:
        found_conditions.append(rule.condition)
    return tuple(found_conditions)


def _reading_caveats(policy: CompiledPolicy, side: Side) -> list[Caveat]:
    """Where Cilium reads this policy otherwise than upstream, for this connection: an ipBlock over
    the peer pod's address, a selector on a label Cilium leaves out of identities."""
    found: list[Caveat] = []
    other = side.other
    for rule in policy.rules(side.direction):
        for peer in rule.peers or ():
            if policy.kind == "NetworkPolicy" and isinstance(peer, CIDRPeer) and peer.would_match(other):
                found.append(Caveat(CaveatCode.CILIUM_READING,
                                    f"{policy.key}: {peer.description} contains the address of pod {other.name}, but "
                                    "on Cilium ipBlocks (CIDR rules) match only addresses outside the cluster"))
            if isinstance(peer, IdentityPeer) and other.pod is not None:
                hidden = [k for k in peer.selector.hidden if k in other.pod.labels]
                if hidden:
                    found.append(_hidden_labels(policy.key, hidden))
    return found


def _hidden_labels(key: str, labels: list[str]) -> Caveat:
    return Caveat(CaveatCode.CILIUM_READING,
                  f"{key} selects on label(s) {', '.join(labels)}, which Cilium's default identity-label filter "
                  "leaves out of identities: on Cilium no selector matches them (unless the agent's --labels "
                  "setting says otherwise)")


class DenyWins:
    @staticmethod
    def isolating(tier: CompiledTier, policy: CompiledPolicy, direction: Direction) -> bool:
        """A policy that switches default deny on for the direction."""
        return isinstance(policy, CiliumCompiledPolicy) and direction in policy.default_deny

    @staticmethod
    def explain(tier: CompiledTier, side: Side) -> tuple[TierResult, tuple[Caveat, ...]]:
        pod, direction, index = side.pod, side.direction, side.index
        label = tier.label
        gap = tier.unreadable_for(pod.namespace)
        if gap is not None:
            return TierResult(tier.tier, Outcome.UNKNOWN, f"Cilium and Kubernetes policies of namespace {pod.namespace} "
                              f"could not be read ({gap}): one of them could decide this",
                              assumed=Outcome.NO_DECISION, label=label), ()
        could_deny: list[str] = []
        could_allow: list[str] = []
        unevaluated = tier.unevaluated_for(pod.namespace, direction)
        if unevaluated:
            first = unevaluated[0]
            more = f" (and {len(unevaluated) - 1} more)" if len(unevaluated) > 1 else ""
            text = f"{first.describe()}{more}: it could decide this at {pod.key}"
            could_deny.append(text)
            could_allow.append(text)
        explanations: list[PolicyExplanation] = []
        denies: list[RuleRef] = []
        allows: list[tuple[RuleRef, tuple[str, ...]]] = []
        switched_on: list[str] = []
        found: list[Caveat] = []
        for policy in tier.candidates(pod.namespace):
            if direction not in policy.directions:
                continue
            selection = policy.subject.explain(pod, index)
            if isinstance(policy.subject, IdentitySubject) and policy.subject.selector.hidden and not selection.selects:
                hidden = [k for k in policy.subject.selector.hidden if k in pod.labels]
                if hidden:
                    found.append(_hidden_labels(policy.key, hidden))
            if not selection.selects:
                explanations.append(PolicyExplanation(policy.kind, policy.namespace, policy.name, False,
                                                      selection.reason))
                if selection.selects is None:
                    text = f"{policy.kind} {policy.key} {selection.reason}"
                    could_deny.append(text)
                    could_allow.append(text)
                continue
            rules: list[RuleExplanation] = []
            for rule in policy.rules(direction):
                result = rule.explain(side.other, side.query, side.destination, index)
                rules.append(result)
                ref = _ref(policy, rule, result, direction)
                doubt = next((c.reason for c in result.peers if c.unknown), "")
                if rule.action is Action.DENY:
                    if result.matched:
                        denies.append(ref)
                    elif result.unknown:
                        could_deny.append(f"{ref.label()} might match: {doubt}")
                elif result.matched:
                    allows.append((ref, _conditions(rule, result)))
                elif result.unknown:
                    could_allow.append(f"{ref.label()} might match: {doubt}")
            reason = selection.reason
            if isinstance(policy, CiliumCompiledPolicy) and direction in policy.default_deny:
                spec = f" specs[{policy.spec}]" if policy.spec is not None else ""
                switched_on.append(f"{policy.kind} {policy.key}{spec}")
                reason += f"; it switches default deny on for {direction.value}"
            elif isinstance(policy, CiliumCompiledPolicy) and policy.spec is not None:
                reason += f" (specs[{policy.spec}]; enableDefaultDeny.{direction.value}: false)"
            explanations.append(PolicyExplanation(policy.kind, policy.namespace, policy.name, True, reason,
                                                  tuple(rules)))
            found.extend(c for c in _reading_caveats(policy, side) if c not in found)
        policies = tuple(explanations)
        if denies:
            names = ", ".join(ref.label() for ref in denies)
            return TierResult(tier.tier, Outcome.DENY, f"denied by {names} (a deny rule wins over every allow)",
                              tuple(denies), policies, label=label), tuple(found)
        if isinstance(tier, CiliumTier) and is_node(side.other, index):
            for host in tier.host_policies_for(direction):
                could_deny.append(f"host firewall policy {host.key} (nodeSelector {host.node_selector.describe()}) may "
                                  f"drop this at node {side.other.name}: host policies are not evaluated")
        deciding = tuple(ref for ref, _ in allows)
        if switched_on:
            on = ", ".join(switched_on)
            if allows:
                outcome = Outcome.ALLOW
                summary = f"allowed by {', '.join(ref.label() for ref in deciding)}"
                conditional = [conditions for _, conditions in allows]
                if all(conditional):
                    what = sorted({c for conditions in conditional for c in conditions})
                    found.append(Caveat(CaveatCode.L7_RULES, f"allowed at L4 only: {', '.join(what)} of "
                                        f"{', '.join(ref.label() for ref in deciding)} decide each request "
                                        "(through Cilium's proxy), which this tool cannot evaluate offline"))
                    summary += f" at L4; {', '.join(what)} decide each request"
                uncertain = could_deny
            else:
                outcome = Outcome.DENY
                summary = (f"default deny for {direction.value} at {pod.key}, switched on by {on}; no allow rule "
                           f"matches {side.other.name} on this port")
                if direction is Direction.INGRESS and is_node(side.other, index):
                    could_allow.append(f"{side.other.name} is a node: if it is the node {pod.key} runs on, Cilium's "
                                       "allow-localhost lets it in")
                uncertain = could_allow
        else:
            outcome = Outcome.NO_DECISION
            summary = f"no Cilium or Kubernetes policy switches default deny on for {direction.value} at {pod.key}"
            if deciding:
                summary += f" (allow rules {', '.join(ref.label() for ref in deciding)} match, but decide nothing alone)"
                deciding = ()
            uncertain = could_deny
        if uncertain:
            return TierResult(tier.tier, Outcome.UNKNOWN, uncertain[0], (), policies, outcome, deciding,
                              label=label), tuple(found)
        return TierResult(tier.tier, outcome, summary, deciding, policies, label=label), tuple(found)

    @staticmethod
    def row(tier: CompiledTier, state: RowState, space: ClassSpace, cls: int, direction: Direction) -> None:
        """`explain` for every peer class at once: a sure deny denies; otherwise what a policy not
        evaluated, a policy that may select the class, or a rule that may match could change is unknown."""
        namespace = space.namespace_of(cls)
        if tier.unreadable_for(namespace) is not None:
            state.undecidable(space.everything)
            return
        # Could deny and could allow anything: a policy not evaluated, or one that may select the class.
        anything = bool(tier.unevaluated_for(namespace, direction))
        selected: list[CompiledPolicy] = []
        for policy in tier.candidates(namespace):
            if direction not in policy.directions:
                continue
            sure, maybe = space.subject_masks(policy)
            if sure[cls]:
                selected.append(policy)
            elif maybe[cls]:
                anything = True
        denied = space.nothing
        may_deny: BoolArray = space.nothing
        allowed = space.nothing
        may_allow: BoolArray = space.nothing
        switched_on = False
        for policy in selected:
            if isinstance(policy, CiliumCompiledPolicy) and direction in policy.default_deny:
                switched_on = True
            for rule in policy.rules(direction):
                sure, maybe, ports = space.rule_masks(rule)
                if rule.action is Action.DENY:
                    denied = denied | space.matched(sure, ports, direction, cls)
                    if space.any(maybe):
                        may_deny = may_deny | space.matched(maybe, ports, direction, cls)
                else:
                    allowed = allowed | space.matched(sure, ports, direction, cls)
                    if space.any(maybe):
                        may_allow = may_allow | space.matched(maybe, ports, direction, cls)
        if isinstance(tier, CiliumTier) and tier.host_policies_for(direction):
            may_deny = may_deny | space.host_network  # a host firewall may drop a node's traffic
        if anything:
            may_deny, may_allow = space.everything, space.everything
        state.open = state.open & ~denied  # a sure deny wins over everything
        if not switched_on:
            state.undecidable(may_deny)  # the rest stays open: the tier does not decide it
            return
        if direction is Direction.INGRESS:
            may_allow = may_allow | space.host_network  # allow-localhost: the pod's own node gets in
        allowed = allowed & state.open
        state.undecidable(allowed & may_deny)
        state.allowed = state.allowed | (allowed & state.open)
        state.open = state.open & ~allowed
        state.undecidable(may_allow)
        state.open = space.nothing  # default deny for the rest
