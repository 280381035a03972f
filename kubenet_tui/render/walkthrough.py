"""One presentation structure for every answer: a tree of lines that text, the explorer's tree and its
clipboard all render, so they cannot drift apart.

`walkthrough(answer)` turns a `Verdict`, `ServiceVerdict`, `PortsVerdict` or `RouteVerdict` (from outside,
through an Ingress or a Gateway: `route_walkthrough`) into a `Walkthrough`: the
headline, the one line that says why (`check -q`), the engine's summary sentence (`check`'s second
line), one line per side at a glance (under the explorer's banner), and the body, a tree of `Node`s.
Each node says what it is (`Kind`), whether it matched (`Mark`), its words (`head`, the name of the
thing, and `tail`, what is said about it), whether it only belongs to the verbose walk, and what the
explorer needs: the policy and rule to open (`link`), whether it is on the path to the answer (`open`)
and where the cursor starts (`focus`).

Pure: no Textual, no rich. Wording lives here once; symbols and colours are the renderers' business.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from enum import StrEnum

from kubenet_tui.engine.explain import (
    Check,
    Direction,
    DirectionVerdict,
    Outcome,
    PolicyExplanation,
    RuleExplanation,
    RuleRef,
    Status,
    Tier,
    TierResult,
    Verdict,
    section_label,
)
from kubenet_tui.engine.ports import PortSegment, PortsVerdict
from kubenet_tui.engine.query import Answer as Answer
from kubenet_tui.engine.records import record
from kubenet_tui.engine.services import Backend, ServiceVerdict


class Kind(StrEnum):
    """What a line is: renderers choose style and layout by kind, never by its words."""

    HEADLINE = "headline"  # the verdict word and what was asked
    WHY = "why"  # why, in one line
    SUMMARY = "summary"  # the engine's sentence for the whole answer
    GLANCE = "glance"  # one line per side (or for the backends, or the ports)
    ENFORCEMENT = "enforcement"  # the plugin does not (or may not) enforce what the policies say
    ASSUMED = "assumed"  # an unknown answer: what the readable policies alone say
    DIRECTION = "direction"  # egress at the source, ingress at the destination
    NOTE = "note"  # a sentence about its parent (a direction's summary)
    ISOLATION = "isolation"  # whether NetworkPolicies isolate the pod in this direction
    CHAIN = "chain"  # the tiers in the order they were asked
    TIER = "tier"
    POLICY = "policy"
    RULE = "rule"
    CHECK = "check"  # one peer or port of a rule
    SUGGESTIONS = "suggestions"
    SUGGESTION = "suggestion"
    FRAGMENT = "fragment"  # one line of a suggestion's YAML
    CAVEATS = "caveats"
    CAVEAT = "caveat"
    SERVICE_PORT = "service-port"
    BACKEND = "backend"  # one backend of a Service, with its own walk beneath
    SEGMENT = "segment"  # a range of ports with one answer
    FRONTEND = "frontend"  # from outside: the controller or Gateway and its data-plane pods
    ROUTE = "route"  # from outside: the Ingress path or route rule that takes the request


class Mark(StrEnum):
    """What a line concluded; every renderer shows it as a symbol, so it reads without colour."""

    MATCHED = "matched"  # allowed, matches
    NOT = "not"  # blocked, does not match
    UNKNOWN = "unknown"  # could not be decided: data was missing
    SKIP = "skip"  # does not apply (a policy that does not select the pod, a backend not evaluated)
    NOT_EVALUATED = "not-evaluated"  # an end that carries no traffic
    NONE = "none"  # a line that concludes nothing by itself


STATUS_WORDS = {
    Status.ALLOWED: "ALLOWED",
    Status.BLOCKED: "BLOCKED",
    Status.UNKNOWN: "UNKNOWN",
    Status.NOT_EVALUATED: "NOT EVALUATED",
}


@record
class PolicyLink:
    """Which policy a node is about, and the rule to highlight when its YAML is opened."""

    kind: str
    namespace: str | None
    name: str
    rule: RuleRef | None = None
    deciding: bool = False
    # The YAML path to mark when the object is not a policy (an Ingress path, a route rule).
    path: tuple[str | int, ...] | None = None


@record
class Node:
    kind: Kind
    head: str  # the name of the thing: "ingress[0]", "NetworkPolicy shop/db (priority 3)"
    tail: str = ""  # what is said about it, punctuation included: ": no peer matches shop/frontend"
    mark: Mark = Mark.NONE
    children: tuple[Node, ...] = ()
    verbose: bool = False  # only in the verbose walk (every CLI walk is verbose; the brief one is not)
    link: PolicyLink | None = None
    decides: bool = False  # the rule that decides its direction's answer
    open: bool = False  # on the path to the answer: the explorer shows it unfolded
    focus: bool = False  # where the explorer's cursor starts: the rule that matters most

    @property
    def text(self) -> str:
        return self.head + self.tail

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()


@record
class Walkthrough:
    headline: Node
    why: Node  # `check -q` prints the headline and this
    summary: Node  # `check` prints the headline, this, and the body
    glance: tuple[Node, ...]  # the explorer prints these under its banner, then the body as a tree
    body: tuple[Node, ...]

    def nodes(self) -> Iterator[Node]:
        for node in (self.headline, self.why, self.summary, *self.glance, *self.body):
            yield from node.walk()


def walkthrough(answer: Answer) -> Walkthrough:
    if isinstance(answer, Verdict):
        return verdict_walkthrough(answer)
    if isinstance(answer, ServiceVerdict):
        return service_walkthrough(answer)
    if isinstance(answer, PortsVerdict):
        return ports_walkthrough(answer)
    # From outside: the route model is imported only now; route_walkthrough builds on this module.
    from kubenet_tui.render.route_walkthrough import route_walkthrough

    return route_walkthrough(answer)


# -- small helpers -------------------------------------------------------------------------------------


def one_focus(nodes: Iterable[Node]) -> list[Node]:
    """One cursor for the whole answer: the first node marked focus keeps it, the others lose it."""
    seen = False

    def unfocus(node: Node) -> Node:
        nonlocal seen
        keep = node.focus and not seen
        seen = seen or keep
        return replace(node, focus=keep, children=tuple(unfocus(c) for c in node.children))

    return [unfocus(n) for n in nodes]


def one_line(text: str) -> str:
    return " ".join(text.split())


def mark_of(ok: bool | None) -> Mark:
    if ok is None:
        return Mark.UNKNOWN
    return Mark.MATCHED if ok else Mark.NOT


def status_mark(status: Status) -> Mark:
    return {
        Status.ALLOWED: Mark.MATCHED,
        Status.BLOCKED: Mark.NOT,
        Status.UNKNOWN: Mark.UNKNOWN,
        Status.NOT_EVALUATED: Mark.NOT_EVALUATED,
    }[status]


def _matched_mark(matched: bool, unknown: bool) -> Mark:
    # "Did not match" is only said when it is known: a rule whose data could not be read might match.
    if matched:
        return Mark.MATCHED
    return Mark.UNKNOWN if unknown else Mark.NOT


def _side_word(allowed: bool | None) -> str:
    return {True: "allowed", False: "BLOCKED", None: "unknown"}[allowed]


def tier_label(tier: TierResult, assumed: bool = False) -> str:
    """`[Admin] Pass (AdminNetworkPolicy x ingress[0])`; in an assumed walk, an unknown tier shows the
    outcome it was assumed to have."""
    outcome, deciding, suffix = tier.outcome, tier.deciding, ""
    if assumed and tier.outcome is Outcome.UNKNOWN:
        outcome, deciding, suffix = tier.assumed or Outcome.NO_DECISION, tier.assumed_deciding, " (assumed)"
    label = f"[{tier.name}] {outcome.value}{suffix}"
    if deciding:
        label += " (" + ", ".join(ref.label() for ref in deciding) + ")"
    return label


def fragment_lines(fragment: object) -> list[str]:
    import yaml  # only a suggested fix is shown as YAML: an allowed verdict does without the module

    return yaml.safe_dump(fragment, sort_keys=False, default_flow_style=False).splitlines()


def _with_focus(nodes: tuple[Node, ...], wanted: Callable[[Node], bool]) -> tuple[tuple[Node, ...], bool]:
    """`nodes` with the first node (depth first) that `wanted` accepts focused; and whether one was."""
    out: list[Node] = []
    done = False
    for node in nodes:
        if not done and wanted(node):
            node, done = replace(node, focus=True), True
        elif not done and node.children:
            children, done = _with_focus(node.children, wanted)
            node = replace(node, children=children)
        out.append(node)
    return tuple(out), done


# -- a pod or address: Verdict -------------------------------------------------------------------------


@record
class _Side:
    """How one direction (or the assumed walk of one) is shown: whether it allows, and where it was
    decided and by which rules."""

    direction: Direction
    allowed: bool | None
    decided_by: Tier | None
    # (kind, namespace, name, section, rule): a Cilium policy's ingress[0] is not its ingressDeny[0]
    deciding: frozenset[RuleKey]

    @property
    def only_matches(self) -> bool:
        # An allowed side needs only what allows it; the rest is verbose detail.
        return self.allowed is True


RuleKey = tuple[str, str | None, str, tuple[str | int, ...] | None, int]


def _keys(refs: tuple[RuleRef, ...]) -> frozenset[RuleKey]:
    return frozenset((r.kind, r.namespace, r.name, r.section, r.rule) for r in refs)


def _check(check: Check, word: str, link: PolicyLink, verbose: bool) -> Node:
    rule = link.rule
    # Enter on a check opens the rule with this very peer or port marked.
    if rule is not None and check.index is not None:
        is_peer = word != "ports"
        rule = replace(rule, peer=check.index if is_peer else None, port=None if is_peer else check.index)
    label = f"{word}[{check.index}]" if check.index is not None else word
    return Node(Kind.CHECK, f"{label} {check.description}", f": {check.reason}",
                _matched_mark(check.matched, check.unknown), verbose=verbose, link=replace(link, rule=rule))


def _rule(policy: PolicyExplanation, rule: RuleExplanation, side: _Side, open_misses: bool) -> Node:
    direction = side.direction
    decides = (policy.kind, policy.namespace, policy.name, rule.section, rule.index) in side.deciding
    ref = RuleRef(policy.kind, policy.namespace, policy.name, direction, rule.index, rule.matched_peer,
                  rule.matched_port, rule.name, rule.action, rule.section)
    link = PolicyLink(policy.kind, policy.namespace, policy.name, ref, decides)
    peer_word = "from" if direction is Direction.INGRESS else "to"
    checks = (*(_check(c, peer_word, link, rule.matched) for c in rule.peers),
              *(_check(c, "ports", link, rule.matched) for c in rule.ports))
    name = f' "{rule.name}"' if rule.name else ""
    action = f" [{rule.action}]" if rule.action else ""
    return Node(Kind.RULE, f"{section_label(rule.section, direction)}[{rule.index}]{name}{action}", f": {rule.reason}",
                _matched_mark(rule.matched, rule.unknown), checks,
                verbose=side.only_matches and not rule.matched, link=link, decides=decides,
                open=decides or (open_misses and not rule.matched))


def _policy(policy: PolicyExplanation, side: _Side, open_misses: bool) -> Node:
    link = PolicyLink(policy.kind, policy.namespace, policy.name)
    if not policy.selects:
        return Node(Kind.POLICY, f"{policy.kind} {policy.key}", f": {policy.selection_reason}", Mark.SKIP,
                    verbose=True, link=link)
    rules = tuple(_rule(policy, r, side, open_misses) for r in policy.rules)
    deciding = next((r.link for r in rules if r.decides and r.link is not None), None)
    prio = f" (priority {policy.priority})" if policy.priority is not None and policy.kind != "NetworkPolicy" else ""
    tail = f" {policy.selection_reason}"
    if policy.ingress_by_default and side.direction is Direction.INGRESS:
        tail += "; it isolates ingress too: policyTypes was left out"
    return Node(Kind.POLICY, f"{policy.kind} {policy.key}{prio}", tail,
                _matched_mark(policy.matched, any(r.unknown for r in policy.rules)), rules,
                verbose=side.only_matches and not policy.matched, link=deciding or link,
                open=deciding is not None or open_misses)


def _tier(tier: TierResult, side: _Side) -> Node | None:
    if not tier.policies:
        return None
    decided_here = tier.tier is side.decided_by
    blocked = side.allowed is False
    policies = tuple(_policy(p, side, blocked and decided_here) for p in tier.policies)
    name = tier.name if tier.label else f"{tier.tier.value} tier"  # a label names its tier already
    return Node(Kind.TIER, f"[{name}]", f" {tier.outcome.value}", children=policies,
                verbose=all(p.verbose for p in policies),
                open=decided_here or (blocked and tier.outcome in (Outcome.DENY, Outcome.PASS)))


def _chain(tiers: tuple[TierResult, ...], assumed: bool = False) -> Node | None:
    if len(tiers) > 1 or (tiers and tiers[0].tier is not Tier.NETWORK_POLICY):
        return Node(Kind.CHAIN, "chain: ", " → ".join(tier_label(t, assumed) for t in tiers))
    return None


def _isolation(d: DirectionVerdict) -> Node:
    word = d.direction.value
    if d.isolated is None:
        return Node(Kind.ISOLATION, f"isolation for {word} unknown",
                    f": whether a NetworkPolicy selects {d.endpoint} for {word} could not be decided", Mark.UNKNOWN)
    if d.isolated:
        return Node(Kind.ISOLATION, f"isolated for {word}", f" by {', '.join(d.isolating_policies)}")
    return Node(Kind.ISOLATION, f"not isolated for {word}", f": no NetworkPolicy selects it for {word}",
                verbose=True)


def _assumed_side(d: DirectionVerdict) -> Node:
    """An unknown direction: the walk of the readable policies alone (what could not be read or evaluated
    assumed not to apply), down to the rules that decide it."""
    unknown = [t for t in d.tiers if t.outcome is Outcome.UNKNOWN]
    walk = (*d.tiers, *d.assumed_tiers)
    decided_by: Tier | None = None
    deciding: tuple[RuleRef, ...] = ()
    for t in (*unknown[:1], *d.assumed_tiers):
        outcome, refs = (t.assumed, t.assumed_deciding) if t.outcome is Outcome.UNKNOWN else (t.outcome, t.deciding)
        if outcome in (Outcome.ALLOW, Outcome.DENY):
            decided_by, deciding = t.tier, refs
            break
    side = _Side(d.direction, d.assumed_allowed, decided_by, _keys(deciding))
    children = [n for n in (_chain(walk, assumed=True), *(_tier(t, side) for t in d.assumed_tiers)) if n is not None]
    return Node(Kind.ASSUMED, f"the readable policies alone say {_side_word(d.assumed_allowed)}",
                f": {d.assumed_summary}" if d.assumed_summary else "", mark_of(d.assumed_allowed), tuple(children))


def _direction(d: DirectionVerdict, blocked_verdict: bool) -> Node:
    where = "at the source" if d.direction is Direction.EGRESS else "at the destination"
    children: list[Node | None] = [Node(Kind.NOTE, d.summary)]
    if d.evaluated:
        side = _Side(d.direction, d.allowed, d.decided_by, _keys(d.deciding_rules))
        children.append(_isolation(d) if d.tiers else None)
        children.append(_chain(d.tiers))
        children.extend(_tier(t, side) for t in d.tiers)
        if d.allowed is None:
            children.append(_assumed_side(d))
    # Unfolded when a policy decided it or it does not allow; "allowed by default" says it all. When the
    # verdict is blocked, only the side that blocks is unfolded, so it is in view at once.
    opened = d.allowed is not True or d.decided_by not in (None, Tier.DEFAULT)
    if blocked_verdict:
        opened = d.allowed is not True
    return Node(Kind.DIRECTION, f"{d.direction.value.capitalize()} {where} {d.endpoint}", f": {_side_word(d.allowed)}",
                mark_of(d.allowed), tuple(c for c in children if c is not None), open=opened)


def _caveats(messages: list[str]) -> tuple[Node, ...]:
    if not messages:
        return ()
    return (Node(Kind.CAVEATS, "Caveats:", children=tuple(Node(Kind.CAVEAT, m) for m in messages), open=True),)


def verdict_why(v: Verdict) -> str:
    """The one line that says why: the deciding rule(s) of an allowed flow, the side(s) that block it
    (which name the isolating policies, or the admin rule that denies), or why it is unknown. When the
    plugin does not enforce the policies, the engine's summary says both what happens and what they say."""
    if v.enforced is False and v.policies_say is not v.status:
        return one_line(v.summary)
    sides = [d for d in (v.egress, v.ingress) if d.evaluated]
    if v.status is Status.ALLOWED:
        chosen = [d for d in sides if d.deciding_rules] or sides
    elif v.status is Status.BLOCKED:
        chosen = [d for d in sides if d.allowed is False]
    elif v.status is Status.UNKNOWN:
        chosen = [d for d in sides if d.allowed is None]
    else:
        chosen = []
    return one_line("; ".join(d.summary for d in chosen) or v.summary)


def _verdict_headline(v: Verdict) -> Node:
    tail = f"  {v.source.name} → {v.destination.name}  {v.port_text()}"
    said = v.policies_say
    if v.enforced is False and said is not v.status:
        tail += f"  (not enforced: the policies say {STATUS_WORDS[said]})"
    elif v.assumed_status is not None:
        tail += f"  (the readable policies alone: {STATUS_WORDS[v.assumed_status]})"
    return Node(Kind.HEADLINE, STATUS_WORDS[v.status], tail, status_mark(v.status))


def _verdict_glance(v: Verdict) -> tuple[Node, ...]:
    if v.status is Status.NOT_EVALUATED:
        return (Node(Kind.GLANCE, v.summary, mark=Mark.NOT_EVALUATED),)
    return tuple(Node(Kind.GLANCE, f"{d.direction.value}: ", d.summary, mark_of(d.allowed)) for d in (v.egress, v.ingress))


def _enforcement(v: Verdict) -> Node | None:
    said = STATUS_WORDS[v.policies_say]
    if v.enforced is False and v.policies_say is not v.status:
        return Node(Kind.ENFORCEMENT, f"the policies say {said}",
                    f": NOT ENFORCED by the network plugin, so on the wire it is {STATUS_WORDS[v.status]}",
                    status_mark(v.policies_say))
    if v.enforced is None:
        return Node(Kind.ENFORCEMENT, f"the policies say {said}",
                    ": whether the network plugin enforces them depends on its configuration",
                    status_mark(v.policies_say))
    return None


def _focused(body: tuple[Node, ...], v: Verdict) -> tuple[Node, ...]:
    """The cursor starts on the rule that matters: for a blocked flow the rule a fix would touch (the
    engine's suggestion), else the rule that denies, else the first rule of the side that blocks; for an
    allowed one the rule that allows; for an unknown one the first rule that might match."""
    blocking = {d.direction for d in (v.egress, v.ingress) if d.allowed is False}

    def rule_of(node: Node, direction: Direction) -> RuleRef | None:
        if node.kind is not Kind.RULE or node.link is None or node.link.rule is None:
            return None
        return node.link.rule if node.link.rule.direction is direction else None

    def suggested(node: Node) -> bool:
        for s in v.suggestions:
            ref = rule_of(node, s.direction)
            if ref is not None and s.rule == ref.rule and s.policy == _policy_key(ref) and s.direction in blocking:
                return True
        return False

    candidates: list[Callable[[Node], bool]]
    if v.policies_say is Status.BLOCKED:
        candidates = [suggested,
                      lambda n: n.decides and any(rule_of(n, d) for d in blocking),
                      lambda n: bool(n.children) and any(rule_of(n, d) for d in blocking)]
    elif v.policies_say is Status.UNKNOWN:
        candidates = [lambda n: n.kind is Kind.RULE and n.mark is Mark.UNKNOWN]
    else:
        candidates = [lambda n: n.decides]
    for wanted in candidates:
        focused, done = _with_focus(body, wanted)
        if done:
            return focused
    return body


def _policy_key(ref: RuleRef) -> str:
    return f"{ref.namespace}/{ref.name}" if ref.namespace else ref.name


def _verdict_body(v: Verdict) -> tuple[Node, ...]:
    blocked = v.policies_say is Status.BLOCKED
    nodes: list[Node | None] = [_enforcement(v)]
    if v.assumed_status is not None:
        nodes.append(Node(Kind.ASSUMED, f"the readable policies alone say {STATUS_WORDS[v.assumed_status]}",
                          ", if what could not be read or evaluated does not apply",
                          status_mark(v.assumed_status)))
    nodes += [_direction(v.egress, blocked), _direction(v.ingress, blocked)]
    if v.suggestions:
        nodes.append(Node(Kind.SUGGESTIONS, "To allow it:", open=True, children=tuple(
            Node(Kind.SUGGESTION, s.summary,
                 children=tuple(Node(Kind.FRAGMENT, line) for line in fragment_lines(dict(s.fragment)))
                 if s.fragment else ())
            for s in v.suggestions)))
    nodes.extend(_caveats([c.message for c in v.caveats]))
    return _focused(tuple(n for n in nodes if n is not None), v)


# For walkthroughs of other answers that hold verdicts (route_walkthrough).
side_word = _side_word
caveat_nodes = _caveats
verdict_body = _verdict_body


def verdict_walkthrough(v: Verdict) -> Walkthrough:
    return Walkthrough(_verdict_headline(v), Node(Kind.WHY, verdict_why(v)), Node(Kind.SUMMARY, v.summary),
                       _verdict_glance(v), _verdict_body(v))


# -- a Service: ServiceVerdict -------------------------------------------------------------------------


def _backend(b: Backend) -> Node:
    if b.verdict is None:
        return Node(Kind.BACKEND, f"backend {b.name}", f": not evaluated: {b.note}", Mark.SKIP)
    v = b.verdict
    body = _verdict_body(v)
    if b.allowed is True:
        # An allowed backend stays folded below its line, whatever its own walk would unfold.
        body = tuple(replace(n, open=False) for n in body)
    return Node(Kind.BACKEND, f"backend {b.name} on port {v.port_text()}", f": {_side_word(b.allowed)}",
                mark_of(b.allowed), (Node(Kind.SUMMARY, v.summary), *body), open=b.allowed is not True)


def service_why(sv: ServiceVerdict) -> str:
    """Why, for the backends that decide it: the first, and a count."""
    wanted = {Status.ALLOWED: True, Status.BLOCKED: False}.get(sv.status)
    deciding = [b for b in sv.evaluated if b.allowed is wanted]
    if not deciding or deciding[0].verdict is None:
        return one_line(sv.summary)
    why = f"backend {deciding[0].name}: {verdict_why(deciding[0].verdict)}"
    if len(deciding) > 1:
        why += f"; and {len(deciding) - 1} more backend{'s' if len(deciding) > 2 else ''} {sv.status.value}"
    return why


def service_walkthrough(sv: ServiceVerdict) -> Walkthrough:
    evaluated = sv.evaluated
    allowed = sum(1 for b in evaluated if b.allowed is True)
    word = STATUS_WORDS[sv.status]
    if sv.status is Status.BLOCKED and 0 < allowed < len(evaluated):
        word = "SOME BACKENDS BLOCKED"
    sp = sv.service_port
    count = f"{allowed} of {len(evaluated)} backends allowed"
    headline = Node(Kind.HEADLINE, word, f"  {sv.source.name} → svc/{sv.service}  {sp.port}/{sp.protocol.value}"
                                         f"  ({count})", status_mark(sv.status))
    via = f"; named as {sv.via}" if sv.via else ""
    port = Node(Kind.SERVICE_PORT, f"Service port {sp.port}/{sp.protocol.value}{' (' + sp.name + ')' if sp.name else ''}",
                f" → targetPort {sp.target_port}; backends from {sv.backends_from}{via}")
    # Blocked backends first: they are what the engineer is looking for.
    order = sorted(sv.backends, key=lambda b: {False: 0, None: 1, True: 2}[b.allowed])
    body: tuple[Node, ...] = (port, *(_backend(b) for b in order),
                              *_caveats([c.message for c in sv.caveats]))
    body = tuple(one_focus(body))  # the first backend's (blocked ones come first)
    glance = (Node(Kind.GLANCE, f"{count}: ", sv.summary, mark_of(sv.allowed)),)
    return Walkthrough(headline, Node(Kind.WHY, service_why(sv)), Node(Kind.SUMMARY, sv.summary), glance, body)


# -- every port: PortsVerdict ----------------------------------------------------------------------------


def segment_why(segment: PortSegment) -> str:
    verdict = segment.verdict
    if verdict.enforced is False and verdict.policies_say is not verdict.status:
        return one_line(verdict.summary)  # allowed on the wire, and what the policies would do
    if segment.status is Status.ALLOWED:
        refs = verdict.deciding_rules
        return "allowed by " + ", ".join(r.label() for r in refs) if refs else "allowed: no policy restricts it"
    sides = [d for d in (verdict.egress, verdict.ingress) if d.allowed is not True]
    return "; ".join(d.summary for d in sides) or verdict.summary


def _segment(segment: PortSegment) -> Node:
    refs = segment.verdict.deciding_rules
    link = PolicyLink(refs[0].kind, refs[0].namespace, refs[0].name, refs[0], True) if refs else None
    return Node(Kind.SEGMENT, segment.label(), f" {segment_why(segment)}", mark_of(segment.verdict.allowed),
                verbose=not segment.declared and segment.status is not Status.ALLOWED, link=link)


def ports_why(pv: PortsVerdict) -> str:
    """The allowed ports with what allows them, or why none are."""
    allowed = pv.allowed_segments()
    if allowed and pv.status is not Status.ALLOWED:
        return ("allowed: " + "; ".join(f"{s.label()} ({segment_why(s)})" for s in allowed)
                + "; every other port is not")
    return one_line(pv.summary)


def ports_walkthrough(pv: PortsVerdict) -> Walkthrough:
    word = STATUS_WORDS[pv.status]
    if pv.status is Status.BLOCKED and pv.allowed_segments():
        word = "SOME PORTS ALLOWED"
    headline = Node(Kind.HEADLINE, word, f"  {pv.source.name} → {pv.destination.name}  which ports?",
                    status_mark(pv.status))
    glance = (Node(Kind.GLANCE, pv.summary, mark=status_mark(pv.status)),)
    return Walkthrough(headline, Node(Kind.WHY, ports_why(pv)), Node(Kind.SUMMARY, pv.summary), glance,
                       tuple(_segment(s) for s in pv.segments))
