"""The engine's explanation objects as a tree of labelled items, ready for a Textual Tree.

No Textual and no policy logic: each label is built from what the engine said (outcomes, summaries,
reasons); `PolicyLink` points a node at a policy (and the rule to highlight) so Enter can open its
YAML. What is expanded by default is the path to the answer: the blocking direction down to every
check, the deciding rule of an allowed direction, caveats and suggestions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from rich.text import Text

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
)
from kubenet_tui.engine.services import ServiceVerdict
from kubenet_tui.render.text import mark, suggestion_yaml

OK, NO, SKIP = "✔", "✗", "·"


@dataclass(frozen=True, slots=True)
class PolicyLink:
    """Which policy a node is about, and the rule to highlight when its YAML is opened."""

    kind: str
    namespace: str | None
    name: str
    rule: RuleRef | None = None
    deciding: bool = False


@dataclass(slots=True)
class ExplainItem:
    label: Text
    link: PolicyLink | None = None
    expand: bool = False
    children: list[ExplainItem] = field(default_factory=list)
    focus: bool = False  # where the cursor goes when the tree is entered: the rule that matters most

    def add(self, label: Text | str, link: PolicyLink | None = None, expand: bool = False) -> ExplainItem:
        item = ExplainItem(label if isinstance(label, Text) else Text(label), link, expand)
        self.children.append(item)
        return item

    def walk(self) -> list[ExplainItem]:
        found = [self]
        for child in self.children:
            found.extend(child.walk())
        return found

    def plain(self, depth: int = 0) -> str:
        """Indented plain text of the whole tree (tests and the clipboard)."""
        lines = [("  " * depth) + self.label.plain] if depth >= 0 else []
        for child in self.children:
            lines.append(child.plain(depth + 1))
        return "\n".join(lines)


def _check(parent: ExplainItem, check: Check, word: str, link: PolicyLink) -> None:
    symbol, style = mark(check.matched)
    label = f"{word}[{check.index}]" if check.index is not None else word
    text = Text.assemble((f"{symbol} ", style), (f"{label} ", "bold" if check.matched else ""), check.description)
    text.append(f": {check.reason}", style="" if check.matched else "dim")
    # Enter on a check opens the rule with this very peer or port marked.
    rule = link.rule
    if rule is not None and check.index is not None:
        is_peer = word != "ports"
        rule = replace(rule, peer=check.index if is_peer else None, port=None if is_peer else check.index)
    parent.add(text, replace(link, rule=rule))


def _ref(policy: PolicyExplanation, direction: Direction, rule: RuleExplanation) -> RuleRef:
    return RuleRef(policy.kind, policy.namespace, policy.name, direction, rule.index,
                   rule.matched_peer, rule.matched_port, rule.name, rule.action)


def _rule(
    parent: ExplainItem, policy: PolicyExplanation, rule: RuleExplanation, direction: Direction,
    deciding: set[tuple[str, str | None, str, int]], open_misses: bool,
) -> None:
    is_deciding = (policy.kind, policy.namespace, policy.name, rule.index) in deciding
    symbol, style = mark(rule.matched)
    name = f' "{rule.name}"' if rule.name else ""
    action = f" [{rule.action}]" if rule.action else ""
    text = Text.assemble((f"{symbol} ", style), (f"{direction.value}[{rule.index}]{name}{action}", "bold"))
    text.append(f": {rule.reason}")
    if is_deciding:
        text.append("  ◀ decides", style="bold reverse")
    link = PolicyLink(policy.kind, policy.namespace, policy.name, _ref(policy, direction, rule), is_deciding)
    node = parent.add(text, link, expand=is_deciding or open_misses)
    node.focus = is_deciding
    peer_word = "from" if direction is Direction.INGRESS else "to"
    for check in rule.peers:
        _check(node, check, peer_word, link)
    for check in rule.ports:
        _check(node, check, "ports", link)


def _policy(
    parent: ExplainItem, policy: PolicyExplanation, direction: Direction,
    deciding: set[tuple[str, str | None, str, int]], open_misses: bool,
) -> None:
    link = PolicyLink(policy.kind, policy.namespace, policy.name)
    if not policy.selects:
        parent.add(Text(f"{SKIP} {policy.kind} {policy.key}: {policy.selection_reason}", style="dim"), link)
        return
    has_deciding = any((policy.kind, policy.namespace, policy.name, r.index) in deciding for r in policy.rules)
    symbol, style = mark(policy.matched)
    prio = f" (priority {policy.priority})" if policy.priority is not None and policy.kind != "NetworkPolicy" else ""
    text = Text.assemble((f"{symbol} ", style), (f"{policy.kind} {policy.key}{prio}", "bold"))
    text.append(f" {policy.selection_reason}")
    if has_deciding:
        link = PolicyLink(policy.kind, policy.namespace, policy.name,
                          next(ref for ref in _deciding_refs(policy, direction, deciding)), True)
    node = parent.add(text, link, expand=has_deciding or open_misses)
    for rule in policy.rules:
        _rule(node, policy, rule, direction, deciding, open_misses and not rule.matched)


def _deciding_refs(
    policy: PolicyExplanation, direction: Direction, deciding: set[tuple[str, str | None, str, int]]
) -> list[RuleRef]:
    return [_ref(policy, direction, r) for r in policy.rules
            if (policy.kind, policy.namespace, policy.name, r.index) in deciding]


def _key(link: PolicyLink) -> str:
    return f"{link.namespace}/{link.name}" if link.namespace else link.name


def _tier_label(tier: TierResult) -> str:
    label = f"[{tier.tier.value}] {tier.outcome.value}"
    if tier.deciding:
        label += " (" + ", ".join(ref.label() for ref in tier.deciding) + ")"
    return label


def direction_item(d: DirectionVerdict) -> ExplainItem:
    where = "at the source" if d.direction is Direction.EGRESS else "at the destination"
    symbol, style = mark(d.allowed)
    word = {True: "allowed", False: "BLOCKED", None: "unknown"}[d.allowed]
    label = Text.assemble((f"{symbol} ", style), (f"{d.direction.value.capitalize()} {where} {d.endpoint}: ", "bold"),
                          (word, f"bold {style}"))
    # Open by default when a policy tier decided or it is not allowed; "allowed by default" says it all.
    item = ExplainItem(label, expand=d.allowed is not True or d.decided_by not in (None, Tier.DEFAULT))
    item.add(Text(d.summary, style="italic"))
    if not d.evaluated:
        return item
    if "isolated" in d.summary:
        pass  # the summary already says it
    elif d.isolated:
        item.add(Text(f"isolated for {d.direction.value} by {', '.join(d.isolating_policies)}"))
    elif d.tiers:
        item.add(Text(f"not isolated for {d.direction.value}: no NetworkPolicy selects it for {d.direction.value}",
                      style="dim"))
    if len(d.tiers) > 1 or (d.tiers and d.tiers[0].tier.value != "NetworkPolicy"):
        item.add(Text("chain: " + " → ".join(_tier_label(t) for t in d.tiers), style="cyan"))
    deciding = {(r.kind, r.namespace, r.name, r.rule) for r in d.deciding_rules}
    blocked = d.allowed is False
    for tier in d.tiers:
        if not tier.policies:
            continue
        decided_here = tier.tier is d.decided_by
        tier_node = item.add(
            Text.assemble((f"[{tier.tier.value} tier] ", "bold cyan"), tier.outcome.value),
            expand=decided_here or (blocked and tier.outcome in (Outcome.DENY, Outcome.PASS)),
        )
        for policy in tier.policies:
            _policy(tier_node, policy, d.direction, deciding, open_misses=blocked and decided_here)
    return item


def _rule_nodes(item: ExplainItem) -> list[ExplainItem]:
    return [n for n in item.walk() if n.link is not None and n.link.rule is not None and n.children]


def verdict_items(v: Verdict) -> list[ExplainItem]:
    items = [direction_item(v.egress), direction_item(v.ingress)]
    if v.status is Status.BLOCKED:
        # Fold the direction that allows, so the one that blocks is in view at once.
        for item, d in zip(items, (v.egress, v.ingress), strict=True):
            item.expand = d.allowed is not True
        # The cursor goes to the rule a fix would touch (the engine's suggestion), else the first
        # rule of the blocking direction.
        for item, d in zip(items, (v.egress, v.ingress), strict=True):
            if d.allowed is not False:
                continue
            rules = [n for n in _rule_nodes(item) if n.link is not None and n.link.rule is not None
                     and n.link.rule.direction is d.direction]
            wanted = [n for n in rules for s in v.suggestions
                      if s.direction is d.direction and s.rule is not None and n.link is not None
                      and n.link.rule is not None and s.policy == _key(n.link) and s.rule == n.link.rule.rule]
            candidates = wanted or rules
            if candidates:
                candidates[0].focus = True
                break
    if v.caveats:
        caveats = ExplainItem(Text(f"⚠ Caveats ({len(v.caveats)})", style="bold yellow"), expand=True)
        for caveat in v.caveats:
            caveats.add(Text(f"! {caveat.message}", style="yellow"))
        items.append(caveats)
    if v.suggestions:
        fixes = ExplainItem(Text(f"➜ To allow it ({len(v.suggestions)})", style="bold magenta"), expand=True)
        for suggestion in v.suggestions:
            node = fixes.add(Text(f"→ {suggestion.summary}", style="magenta"))
            if suggestion.fragment:
                for line in suggestion_yaml(suggestion.fragment).splitlines():
                    node.add(Text(line, style="dim"))
        items.append(fixes)
    return items


def service_items(sv: ServiceVerdict) -> list[ExplainItem]:
    sp = sv.service_port
    items = [ExplainItem(Text(
        f"Service port {sp.port}/{sp.protocol.value}{' (' + sp.name + ')' if sp.name else ''} → targetPort "
        f"{sp.target_port}; backends from {sv.backends_from}", style="italic"))]
    # Blocked backends first: they are what the engineer is looking for.
    order = sorted(sv.backends, key=lambda b: {False: 0, None: 1, True: 2}[b.allowed])
    for backend in order:
        if backend.verdict is None:
            items.append(ExplainItem(Text(f"· backend {backend.name}: not evaluated: {backend.note}", style="yellow")))
            continue
        symbol, style = mark(backend.allowed)
        word = {True: "allowed", False: "BLOCKED", None: "unknown"}[backend.allowed]
        label = Text.assemble((f"{symbol} ", style), (f"backend {backend.name} on port {backend.port}: ", "bold"),
                              (word, f"bold {style}"))
        node = ExplainItem(label, expand=backend.allowed is not True)
        node.children.extend(verdict_items(backend.verdict))
        for child in node.children:
            child.expand = child.expand and backend.allowed is not True
        items.append(node)
    if sv.caveats:
        caveats = ExplainItem(Text(f"⚠ Caveats ({len(sv.caveats)})", style="bold yellow"), expand=True)
        for caveat in sv.caveats:
            caveats.add(Text(f"! {caveat.message}", style="yellow"))
        items.append(caveats)
    return items


def why_lines(v: Verdict) -> list[Text]:
    """One line per direction saying what decided it, for the top of the verdict panel."""
    if v.status is Status.NOT_EVALUATED:
        return [Text.assemble(("- ", "bold yellow"), v.summary)]
    lines = []
    for d in (v.egress, v.ingress):
        symbol, style = mark(d.allowed)
        lines.append(Text.assemble((f"{symbol} {d.direction.value}: ", f"bold {style}"), d.summary))
    return lines


def service_why_lines(sv: ServiceVerdict) -> list[Text]:
    evaluated = sv.evaluated
    allowed = sum(1 for b in evaluated if b.allowed is True)
    symbol, style = mark(sv.allowed)
    line = Text.assemble((f"{symbol} {allowed} of {len(evaluated)} backends allowed: ", f"bold {style}"), sv.summary)
    return [line]


def status_words(status: Status) -> tuple[str, str]:
    return {
        Status.ALLOWED: (OK, "ALLOWED"),
        Status.BLOCKED: (NO, "BLOCKED"),
        Status.UNKNOWN: ("?", "UNKNOWN"),
        Status.NOT_EVALUATED: ("-", "NOT EVALUATED"),
    }[status]
