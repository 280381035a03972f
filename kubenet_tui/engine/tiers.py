"""Tiers as data, and the one fold over them that every verdict and every matrix row runs.

A direction is evaluated at the pod whose side it is by walking the program's tiers in order; the
first tier that allows or denies decides, Pass and "no decision" go on, and after the last tier the
default allows. How a tier combines its policies' rules is its *mode*:

- FIRST_MATCH (admin and baseline tiers): the policies selecting the pod in precedence order, rules
  in written order; the first rule whose peers and ports match decides (Allow, Deny, or Pass on).
- ISOLATION_UNION (NetworkPolicy): if a policy selects the pod for this direction it is isolated, and
  the union of those policies' rules decides; otherwise no decision.

Each mode has two faces side by side: `explain` (one connection, every reason kept) and `row` (one
pod class against every peer class, as vectors over `ClassSpace`). What cannot be known (a tier's
policies could not be read, a policy was not evaluated, a subject or rule depends on labels that
could not be read) makes a tier UNKNOWN, and the fold then also works out what the readable
policies alone say (`assumed`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from kubenet_tui.engine import caveats
from kubenet_tui.engine.caveats import Caveat
from kubenet_tui.engine.explain import (
    Direction,
    DirectionVerdict,
    Outcome,
    PolicyExplanation,
    RuleExplanation,
    RuleRef,
    Tier,
    TierResult,
)
from kubenet_tui.engine.gaps import UnevaluatedPolicy
from kubenet_tui.engine.model import Pod
from kubenet_tui.engine.profiles import Profile
from kubenet_tui.engine.records import record
from kubenet_tui.engine.rules import Action, CompiledPolicy, CompiledRule, PeerView, PortQuery

if TYPE_CHECKING:
    from kubenet_tui.engine.classes import BoolArray, ClassSpace
    from kubenet_tui.engine.cluster import ClusterIndex


class Mode(StrEnum):
    FIRST_MATCH = "first-match"
    ISOLATION_UNION = "isolation-union"
    DENY_WINS = "deny-wins"  # Cilium: any deny, else any allow, else default deny if switched on


@record(eq=False, slots=False)
class CompiledTier:
    tier: Tier
    mode: Mode
    policies: tuple[CompiledPolicy, ...]  # in precedence order
    by_namespace: Mapping[str, tuple[CompiledPolicy, ...]]  # policies confined to one namespace
    cluster_wide: tuple[CompiledPolicy, ...]  # policies that may select pods of any namespace
    unreadable: Mapping[str | None, str]  # namespace (None: all) -> why its policies could not be read
    unevaluated: tuple[UnevaluatedPolicy, ...] = ()
    governs_loopback: bool = False  # its denials also apply to a pod's traffic to itself
    # FIRST_MATCH: what happens when policies of the tier select the pod and none of their rules
    # decides (admin tiers: nothing, the next tier decides; a Calico tier: its defaultAction).
    end: Outcome = Outcome.NO_DECISION
    label: str = ""  # how the tier is named in a chain when it is not just its kind ("Calico tier security")
    _candidates: dict[str, tuple[CompiledPolicy, ...]] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.label or self.tier.value

    @property
    def may_isolate(self) -> bool:
        """Whether a policy of this tier selecting a pod can isolate it (deny what no rule allows): every
        mode but first-match, which does when its end action denies (a Calico tier)."""
        return self.mode is not Mode.FIRST_MATCH or self.end is Outcome.DENY

    def candidates(self, namespace: str) -> tuple[CompiledPolicy, ...]:
        """The policies that may select a pod of `namespace`, in precedence order."""
        found = self._candidates.get(namespace)
        if found is None:
            local = self.by_namespace.get(namespace, ())
            if not self.cluster_wide:
                found = local
            elif not local:
                found = self.cluster_wide
            else:
                found = tuple(sorted((*local, *self.cluster_wide), key=lambda p: p.order))
            self._candidates[namespace] = found
        return found

    def unreadable_for(self, namespace: str) -> str | None:
        return self.unreadable.get(None) or self.unreadable.get(namespace)

    def unevaluated_for(self, namespace: str, direction: Direction) -> tuple[UnevaluatedPolicy, ...]:
        """Policies not evaluated that may act on pods of `namespace` in `direction`."""
        if not self.unevaluated:
            return ()
        return tuple(u for u in self.unevaluated if u.namespace in (None, namespace) and direction in u.directions)


@record(eq=False, slots=False)
class Program:
    """Every dialect's policies compiled, as the tiers a direction walks in order."""

    tiers: tuple[CompiledTier, ...]
    profile: Profile = Profile.UPSTREAM  # whose reading compiled it
    # Why host-network pods may be governed by policies that are not evaluated (Calico host
    # endpoints); None: pod policies never govern them.
    host_network_gap: str | None = None
    _by_name: dict[tuple[str, str | None, str], CompiledPolicy] = field(default_factory=dict, repr=False)

    def tier(self, which: Tier) -> CompiledTier | None:
        return next((t for t in self.tiers if t.tier is which), None)

    def policy(self, kind: str, namespace: str | None, name: str) -> CompiledPolicy | None:
        """A compiled policy by what names it (kind, namespace or None, name)."""
        if not self._by_name:
            self._by_name.update({(p.kind, p.namespace, p.name): p for t in self.tiers for p in t.policies})
        return self._by_name.get((kind, namespace, name))


@record
class Side:
    """What the fold needs to explain one direction at one pod."""

    pod: Pod
    direction: Direction
    other: PeerView
    query: PortQuery
    destination: Pod | None  # whose named ports apply: the pod itself for ingress, the peer for egress
    index: ClusterIndex


def _unevaluated_summary(found: Sequence[UnevaluatedPolicy], pod: Pod) -> str:
    first = found[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return f"{first.describe()}{more}: it could decide this at {pod.key}"


# -- FIRST_MATCH ---------------------------------------------------------------------------------------


def _own_view(side: Side) -> PeerView:
    """The pod whose side it is, as a rule's condition on it (`CompiledRule.local`) sees it."""
    pod, index = side.pod, side.index
    gap = index.namespace_labels_unreadable(pod.namespace)
    return PeerView(pod, index.namespace_labels(pod.namespace), pod.ips, gap.reason if gap is not None else None)


def explain_rule(rule: CompiledRule, side: Side) -> RuleExplanation:
    """A rule against the connection, its condition on the pod itself included."""
    explanation = rule.explain(side.other, side.query, side.destination, side.index)
    if rule.local is None:
        return explanation
    own = rule.local.explain(_own_view(side), side.index)
    if own.matched:
        return explanation
    end = "source" if side.direction is Direction.EGRESS else "destination"
    if own.unknown:
        if not (explanation.matched or explanation.unknown):
            return explanation
        return replace(explanation, matched=False, unknown=True,
                       reason=f"might match: whether the {end} {side.pod.key} matches {rule.local.description} "
                              f"cannot be told ({own.reason})")
    return replace(explanation, matched=False, unknown=False,
                   reason=f"the {end} {side.pod.key} itself does not match {rule.local.description}: {own.reason}")


def _first_match(policy: CompiledPolicy, side: Side) -> tuple[list[RuleExplanation], RuleExplanation | None]:
    """Rules in written order up to the first that surely matches and decides (the rest are never
    reached; a Log rule logs and goes on). Rules that might match on the way are kept (marked unknown)."""
    rules: list[RuleExplanation] = []
    for rule in policy.rules(side.direction):
        explanation = explain_rule(rule, side)
        rules.append(explanation)
        if explanation.matched and rule.action is not Action.LOG:
            return rules, explanation
    return rules, None


_VERB = {Outcome.ALLOW: "allowed", Outcome.DENY: "denied", Outcome.PASS: "passed on"}
_OUTCOME = {Action.ALLOW: Outcome.ALLOW, Action.DENY: Outcome.DENY, Action.PASS: Outcome.PASS}


class FirstMatch:
    @staticmethod
    def isolating(tier: CompiledTier, policy: CompiledPolicy, direction: Direction) -> bool:
        """Whether `policy` selecting a pod isolates it: in a tier whose end action denies (Calico's)."""
        return tier.end is Outcome.DENY

    @staticmethod
    def explain(tier: CompiledTier, side: Side) -> tuple[TierResult, tuple[Caveat, ...]]:
        pod, direction = side.pod, side.direction
        gap = tier.unreadable_for(pod.namespace)
        if gap is not None:
            where = f" ({tier.label})" if tier.label else ""
            return TierResult(tier.tier, Outcome.UNKNOWN, f"{tier.tier.value.lower()}-tier policies could not be "
                              f"read ({gap}): one of them could decide this{where}", assumed=Outcome.NO_DECISION,
                              label=tier.label), ()
        unevaluated = tier.unevaluated_for(pod.namespace, direction)
        # Policies not evaluated that can only allow (Kubernetes NetworkPolicies) cannot undo an
        # allow: they make the tier unknown only when it would not allow.
        allowing = [u for u in unevaluated if u.allows_only]
        deciding = [u for u in unevaluated if not u.allows_only]
        # The first thing met that could have decided but cannot be told: the tier is then unknown,
        # and the walk goes on as if it did not apply, for what the readable policies alone say.
        unknown = _unevaluated_summary(deciding, pod) if deciding else None
        explanations: list[PolicyExplanation] = []
        candidates = tier.candidates(pod.namespace)
        selected: list[CompiledPolicy] = []
        for policy in candidates:
            if direction not in policy.directions:
                continue
            selection = policy.subject.explain(pod, side.index)
            if selection.selects is None:
                # A policy without rules here matters only through the tier's end action.
                if not policy.rules(direction) and tier.end is not Outcome.DENY:
                    continue
                explanations.append(PolicyExplanation(policy.kind, policy.namespace, policy.name, False,
                                                      selection.reason, (), policy.priority))
                unknown = unknown or f"{tier.tier.value} policy {policy.name} {selection.reason}"
                continue
            if not selection.selects:
                explanations.append(PolicyExplanation(policy.kind, policy.namespace, policy.name, False,
                                                      selection.reason, (), policy.priority))
                continue
            selected.append(policy)
            rules, decided = _first_match(policy, side)
            explanations.append(PolicyExplanation(policy.kind, policy.namespace, policy.name, True, selection.reason,
                                                  tuple(rules), policy.priority))
            maybe = next((r for r, rule in zip(rules, policy.rules(direction), strict=False)
                          if r.unknown and rule.action is not Action.LOG), None)
            if maybe is not None:
                unknown = unknown or (f"{policy.name} {direction.value}[{maybe.index}] might match, depending on data "
                                      "that could not be read")
            if decided is None:
                continue
            rule = policy.rules(direction)[decided.index]
            ref = RuleRef(policy.kind, policy.namespace, policy.name, direction, decided.index, decided.matched_peer,
                          decided.matched_port, rule.name, decided.action)
            outcome = _OUTCOME[rule.action]
            if unknown is not None:
                return (TierResult(tier.tier, Outcome.UNKNOWN, unknown, (), tuple(explanations), outcome, (ref,),
                                   label=tier.label), ())
            if allowing and outcome is not Outcome.ALLOW:
                return (TierResult(tier.tier, Outcome.UNKNOWN, _unevaluated_summary(allowing, pod), (),
                                   tuple(explanations), outcome, (ref,), label=tier.label), ())
            rivals = [p for p in candidates if p is not policy and p.priority == policy.priority
                      and p.subject.explain(pod, side.index).selects is True]
            action = f" ({decided.action})" if decided.action else ""
            summary = f"{_VERB[outcome]} by {ref.label()}{action}"
            return (TierResult(tier.tier, outcome, summary, (ref,), tuple(explanations), label=tier.label),
                    _ambiguity(tier, policy, rivals, side))
        end = tier.end if selected else Outcome.NO_DECISION
        unknown = unknown or (_unevaluated_summary(allowing, pod) if allowing else None)
        if unknown is not None:
            return TierResult(tier.tier, Outcome.UNKNOWN, unknown, (), tuple(explanations), end, label=tier.label), ()
        found: tuple[Caveat, ...] = ()
        if not selected and tier.tier is Tier.NETWORK_POLICY:
            summary = (f"{pod.key} is not isolated for {direction.value}: no {tier.name} policy with "
                       f"{direction.policy_type.value} in its types selects it")
        elif not selected:
            summary = f"no {tier.name} policy selects {pod.key}"
        elif end is Outcome.DENY:
            keys = ", ".join(p.key for p in selected)
            summary = (f"{pod.key} is isolated for {direction.value} by {keys}, and no {direction.value} rule of "
                       f"{'it' if len(selected) == 1 else 'them'} matches {side.other.name} on this port "
                       f"({tier.name}: its default action is Deny)")
            if direction is Direction.INGRESS:
                found = tuple(caveats.policy_types_defaulted(p.key) for p in selected if p.ingress_by_default)
        else:
            summary = f"no {direction.value} rule of the {tier.name} policies selecting {pod.key} matches"
            if end is not Outcome.NO_DECISION:
                summary += f": the tier's default action is {end.value}"
        return TierResult(tier.tier, end, summary, (), tuple(explanations), label=tier.label), found

    @staticmethod
    def row(tier: CompiledTier, state: RowState, space: ClassSpace, cls: int, direction: Direction) -> None:
        namespace = space.namespace_of(cls)
        unevaluated = tier.unevaluated_for(namespace, direction)
        if tier.unreadable_for(namespace) is not None or any(not u.allows_only for u in unevaluated):
            state.undecidable(state.open)  # unknown for every peer still undecided
            return
        selected, cut = space.selection(tier, cls, direction)
        passed = space.nothing
        for policy in selected:
            for rule in policy.rules(direction):
                if rule.action is Action.LOG:
                    continue
                sure, maybe, ports = space.rule_masks(rule)
                if rule.local is not None:
                    own_sure, own_maybe = space.peer_masks(rule.local)
                    if not own_sure[cls]:
                        if own_maybe[cls]:  # it might apply: whatever it would match is unknown
                            state.undecidable(space.matched(sure | maybe, ports, direction, cls))
                        continue
                taken = space.matched(sure, ports, direction, cls) & state.open
                if rule.action is Action.ALLOW:
                    state.allowed = state.allowed | taken
                elif rule.action is Action.PASS:
                    passed = passed | taken
                elif tier.governs_loopback:
                    state.denied = state.denied | taken
                state.open = state.open & ~taken
                if space.any(maybe):
                    state.undecidable(space.matched(maybe, ports, direction, cls))
        # A later policy may select the class (cut): what is still open is unknown. Or the tier's
        # default action denies what no rule of the policies selecting the class decided.
        if cut:
            state.undecidable(state.open)
        elif selected and tier.end is Outcome.DENY:
            state.open = space.nothing
        state.open = state.open | passed
        if unevaluated:  # policies that can only allow were not evaluated: what is not allowed is unknown
            state.undecidable(state.open)


def _ambiguity(tier: CompiledTier, decider: CompiledPolicy, rivals: list[CompiledPolicy],
               side: Side) -> tuple[Caveat, ...]:
    """Equal priorities are ambiguous only when another policy could match this same connection."""
    if decider.priority is None:
        return ()
    matching = [p.name for p in rivals if _first_match(p, side)[1] is not None]
    if not matching:
        return ()
    return (caveats.ambiguous_priority(tier.tier.value, decider.name, ", ".join(matching), decider.priority,
                                       side.direction.value, side.pod.key),)


# -- ISOLATION_UNION ------------------------------------------------------------------------------------


class IsolationUnion:
    @staticmethod
    def isolating(tier: CompiledTier, policy: CompiledPolicy, direction: Direction) -> bool:
        return direction in policy.directions

    @staticmethod
    def explain(tier: CompiledTier, side: Side) -> tuple[TierResult, tuple[Caveat, ...]]:
        """SEMANTICS.md 3: is the pod isolated in this direction, and if so does some rule allow the peer?"""
        pod, direction = side.pod, side.direction
        gap = tier.unreadable_for(pod.namespace)
        if gap is not None:
            return TierResult(tier.tier, Outcome.UNKNOWN, f"NetworkPolicies of namespace {pod.namespace} could not be "
                              f"read ({gap}): whether they isolate the pod is unknown",
                              assumed=Outcome.NO_DECISION), ()
        explanations: list[PolicyExplanation] = []
        deciding: list[RuleRef] = []
        isolating: list[CompiledPolicy] = []
        for policy in tier.candidates(pod.namespace):
            if direction not in policy.directions:
                continue
            selection = policy.subject.explain(pod, side.index)
            if not selection.selects:
                explanations.append(PolicyExplanation(policy.kind, policy.namespace, policy.name, False,
                                                      selection.reason))
                continue
            isolating.append(policy)
            rules = tuple(r.explain(side.other, side.query, side.destination, side.index)
                          for r in policy.rules(direction))
            deciding.extend(RuleRef(policy.kind, policy.namespace, policy.name, direction, r.index, r.matched_peer,
                                    r.matched_port) for r in rules if r.matched)
            reason = selection.reason
            if not rules:
                reason += f"; it has no {direction.value} rules, so it allows nothing"
            explanations.append(PolicyExplanation(policy.kind, policy.namespace, policy.name, True, reason, rules,
                                                  ingress_by_default=policy.ingress_by_default
                                                  and direction is Direction.INGRESS))
        policies = tuple(explanations)
        if deciding:
            names = ", ".join(ref.label() for ref in deciding)
            return TierResult(tier.tier, Outcome.ALLOW, f"allowed by {names}", tuple(deciding), policies), ()
        unevaluated = tier.unevaluated_for(pod.namespace, direction)
        assumed = Outcome.DENY if isolating else Outcome.NO_DECISION
        if unevaluated:
            return TierResult(tier.tier, Outcome.UNKNOWN, _unevaluated_summary(unevaluated, pod), (), policies,
                              assumed), ()
        if not isolating:
            return TierResult(tier.tier, Outcome.NO_DECISION, f"{pod.key} is not isolated for {direction.value}: no "
                              f"NetworkPolicy with {direction.policy_type.value} in its policyTypes selects it",
                              (), policies), ()
        undecided = [f"{p.key} {direction.value}[{r.index}]" for p in explanations if p.selects
                     for r in p.rules if r.unknown]
        if undecided:
            return TierResult(tier.tier, Outcome.UNKNOWN, f"{pod.key} is isolated for {direction.value}; no rule "
                              f"surely matches, and {', '.join(undecided)} might, depending on data that could not be "
                              "read", (), policies, Outcome.DENY), ()
        keys = ", ".join(p.key for p in isolating)
        summary = (f"{pod.key} is isolated for {direction.value} by {keys}, and no {direction.value} rule of "
                   f"{'it' if len(isolating) == 1 else 'them'} matches {side.other.name} on this port")
        found: tuple[Caveat, ...] = ()
        if direction is Direction.INGRESS:
            found = tuple(caveats.policy_types_defaulted(p.key) for p in isolating if p.ingress_by_default)
        return TierResult(tier.tier, Outcome.DENY, summary, (), policies), found

    @staticmethod
    def row(tier: CompiledTier, state: RowState, space: ClassSpace, cls: int, direction: Direction) -> None:
        namespace = space.namespace_of(cls)
        if tier.unreadable_for(namespace) is not None:
            state.undecidable(state.open)
            return
        isolating, _ = space.selection(tier, cls, direction)
        unevaluated = bool(tier.unevaluated_for(namespace, direction))
        if not isolating and not unevaluated:
            return
        union = might = space.nothing
        for policy in isolating:
            for rule in policy.rules(direction):
                sure, maybe, ports = space.rule_masks(rule)
                union = union | space.matched(sure, ports, direction, cls)
                if space.any(maybe):
                    might = might | space.matched(maybe, ports, direction, cls)
        # Isolated: the union allows; the rest is denied, or unknown where a policy was not evaluated
        # or a rule might match (the explained face's "no rule surely matches, and ... might").
        state.allowed = state.allowed | (state.open & union)
        state.undecidable(state.open & ~union if unevaluated else might & ~union)
        state.open = space.nothing


class TierMode(Protocol):
    """A mode's two faces (a class with these as static methods), and whether a policy selecting a pod
    isolates it (denies what no rule allows) in a direction."""

    def isolating(self, tier: CompiledTier, policy: CompiledPolicy, direction: Direction) -> bool: ...

    def explain(self, tier: CompiledTier, side: Side) -> tuple[TierResult, tuple[Caveat, ...]]: ...

    def row(self, tier: CompiledTier, state: RowState, space: ClassSpace, cls: int, direction: Direction) -> None: ...


class _Modes(dict[Mode, TierMode]):
    """Each mode's fold. A plugin dialect's mode lives with its dialect (it imports this module) and is
    loaded when a tier of it is first folded: a cluster read as upstream never imports it."""

    def __missing__(self, mode: Mode) -> TierMode:
        if mode is Mode.DENY_WINS:
            from kubenet_tui.engine.dialects.cilium_mode import DenyWins

            self[mode] = DenyWins
            return DenyWins
        raise KeyError(mode)


MODES: dict[Mode, TierMode] = _Modes({
    Mode.FIRST_MATCH: FirstMatch,
    Mode.ISOLATION_UNION: IsolationUnion,
})


# -- the fold, explained ------------------------------------------------------------------------------


def isolation(program: Program, pod: Pod, direction: Direction, index: ClusterIndex) -> tuple[bool | None, tuple[str, ...]]:
    """Whether NetworkPolicies isolate `pod` in `direction` (None: cannot tell) and which do. Where a
    plugin reads them into its own tier (Cilium's, where any policy may switch default deny on), that
    tier's mode says which policies isolate."""
    tier = program.tier(Tier.NETWORK_POLICY) or next((t for t in program.tiers if t.mode is Mode.DENY_WINS), None)
    if tier is None:
        return False, ()
    if tier.unreadable_for(pod.namespace) is not None:
        return None, ()
    mode = MODES[tier.mode]
    keys = tuple(p.key for p in tier.candidates(pod.namespace)
                 if direction in p.directions and mode.isolating(tier, p, direction)
                 and p.subject.selects(pod, index))
    if not keys and tier.unevaluated_for(pod.namespace, direction):
        return None, ()
    return bool(keys), keys


def explain_direction(program: Program, side: Side,
                      tiers: Callable[[CompiledTier], bool] = lambda t: True) -> tuple[DirectionVerdict, list[Caveat]]:
    """Walk the tiers at `side.pod`; the first that allows or denies decides, else the default allows.
    `tiers` limits the walk (a pod's traffic to itself only meets the tiers that govern loopback)."""
    pod, direction = side.pod, side.direction
    walked: list[TierResult] = []
    assumed_walk: list[TierResult] = []
    found: list[Caveat] = []
    unknown: TierResult | None = None
    isolated, isolating = isolation(program, pod, direction, side.index)

    def verdict(allowed: bool | None, summary: str, decided_by: Tier | None, assumed: bool | None = None,
                assumed_summary: str = "") -> tuple[DirectionVerdict, list[Caveat]]:
        return DirectionVerdict(direction, pod.key, True, allowed, summary, isolated, isolating, decided_by,
                                tuple(walked), assumed, assumed_summary, tuple(assumed_walk)), found

    for tier in program.tiers:
        if not tiers(tier):
            continue
        result, tier_caveats = MODES[tier.mode].explain(tier, side)
        if unknown is None:
            walked.append(result)
            found.extend(tier_caveats)
            if result.outcome in (Outcome.ALLOW, Outcome.DENY):
                return verdict(result.outcome is Outcome.ALLOW, result.summary, tier.tier)
            if result.outcome is not Outcome.UNKNOWN:
                continue
            unknown = result
            outcome, summary = result.assumed, _assumed_summary(result)
        else:
            assumed_walk.append(result)
            outcome = result.outcome if result.outcome is not Outcome.UNKNOWN else result.assumed
            summary = result.summary if result.outcome is not Outcome.UNKNOWN else _assumed_summary(result)
        if outcome in (Outcome.ALLOW, Outcome.DENY):
            return verdict(None, unknown.summary, unknown.tier, outcome is Outcome.ALLOW, summary)
    default = f"no policy restricts {direction.value} at {pod.key}: allowed by default"
    if unknown is None:
        walked.append(TierResult(Tier.DEFAULT, Outcome.ALLOW, default))
        return verdict(True, default, Tier.DEFAULT)
    assumed_walk.append(TierResult(Tier.DEFAULT, Outcome.ALLOW, default))
    return verdict(None, unknown.summary, unknown.tier, True, f"no readable policy restricts {direction.value} at "
                                                             f"{pod.key}: allowed by default")


def _assumed_summary(result: TierResult) -> str:
    if result.assumed_deciding:
        verb = _VERB.get(result.assumed or Outcome.NO_DECISION, "decided")
        return f"{verb} by {', '.join(ref.label() for ref in result.assumed_deciding)}"
    if result.assumed is Outcome.DENY and result.tier is Tier.NETWORK_POLICY:
        return f"{result.tier.value} tier: isolated, and no readable rule matches"
    return f"{result.tier.value} tier: no decision from the readable policies"


# -- the fold, as vectors ------------------------------------------------------------------------------


@dataclass(slots=True)
class RowState:
    """One class's row while the tiers are walked: peers not yet decided, allowed, denied by a tier
    that also governs a pod's traffic to itself (the diagonal needs those), and unknown (what the
    explained face calls allowed None). A peer is in at most one of open, allowed and unknown; a
    peer in none of them is denied. Every mode's row face keeps `unknown` (through `undecidable`)."""

    open: BoolArray
    allowed: BoolArray
    denied: BoolArray
    unknown: BoolArray

    def undecidable(self, peers: BoolArray) -> None:
        """`peers` still open cannot be decided: data that could change it was not read or evaluated.
        The explained face's walk stays unknown for them whatever later tiers say."""
        self.unknown = self.unknown | (self.open & peers)
        self.open = self.open & ~peers


def fold_row(program: Program, space: ClassSpace, cls: int, direction: Direction,
             tiers: Callable[[CompiledTier], bool] | None = None) -> RowState:
    """`explain_direction(...).allowed` for class `cls` against every peer class at once: True in
    `allowed`, None in `unknown`, False elsewhere (`tiers` limits the walk, as for `explain_direction`)."""
    state = RowState(space.everything, space.nothing, space.nothing, space.nothing)
    for tier in program.tiers:
        if tiers is not None and not tiers(tier):
            continue
        MODES[tier.mode].row(tier, state, space, cls, direction)
        if not space.any(state.open):
            return state
    state.allowed = state.allowed | state.open  # the default: allowed
    return state


