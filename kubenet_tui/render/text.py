"""The verdict as a walkthrough for humans (rich Text): verdict first, then why, naming policy and rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml
from rich.text import Text

from kubenet_tui.engine.explain import (
    Check,
    DirectionVerdict,
    Outcome,
    PolicyExplanation,
    RuleExplanation,
    RuleRef,
    Status,
    Verdict,
)

OK = "✔"
NO = "✗"
SKIP = "·"

STATUS_STYLE = {
    Status.ALLOWED: ("ALLOWED", OK, "bold green"),
    Status.BLOCKED: ("BLOCKED", NO, "bold red"),
    Status.UNKNOWN: ("UNKNOWN", "?", "bold yellow"),
    Status.NOT_EVALUATED: ("NOT EVALUATED", "-", "bold yellow"),
}


def headline(v: Verdict) -> Text:
    word, symbol, style = STATUS_STYLE[v.status]
    text = Text()
    text.append(f"{symbol} {word}", style=style)
    text.append(f"  {v.source.name} → {v.destination.name}  {v.port_text()}")
    return text


def mark(ok: bool | None) -> tuple[str, str]:
    """Symbol and colour for matched / not / unknown: the symbol alone must carry the meaning (NO_COLOR)."""
    if ok is None:
        return "?", "yellow"
    return (OK, "green") if ok else (NO, "red")


def _check_line(text: Text, check: Check, kind: str, indent: str) -> None:
    symbol, style = mark(check.matched)
    label = f"{kind}[{check.index}]" if check.index is not None else kind
    text.append(f"{indent}{symbol} ", style=style)
    text.append(f"{label} {check.description}: ", style="bold" if check.matched else "")
    text.append(f"{check.reason}\n", style="dim" if not check.matched else "")


def _rule_lines(text: Text, rule: RuleExplanation, direction: str, indent: str, verbose: bool) -> None:
    symbol, style = mark(rule.matched)
    name = f' "{rule.name}"' if rule.name else ""
    action = f" [{rule.action}]" if rule.action else ""
    text.append(f"{indent}{symbol} {direction}[{rule.index}]{name}{action}: ", style=style)
    text.append(f"{rule.reason}\n")
    if not verbose and rule.matched:
        return
    peer_word = "from" if direction == "ingress" else "to"
    for check in rule.peers:
        _check_line(text, check, peer_word, indent + "    ")
    for check in rule.ports:
        _check_line(text, check, "ports", indent + "    ")


def _policy_lines(
    text: Text, policy: PolicyExplanation, direction: str, verbose: bool, only_matches: bool = False
) -> None:
    if not policy.selects:
        if verbose:
            text.append(f"    {SKIP} {policy.kind} {policy.key}: {policy.selection_reason}\n", style="dim")
        return
    symbol, style = mark(policy.matched)
    prio = f" (priority {policy.priority})" if policy.priority is not None and policy.kind != "NetworkPolicy" else ""
    text.append(f"    {symbol} ", style=style)
    text.append(f"{policy.kind} {policy.key}{prio}", style="bold")
    text.append(f" {policy.selection_reason}\n")
    for rule in policy.rules:
        if only_matches and not rule.matched:
            continue
        _rule_lines(text, rule, direction, "        ", verbose)


def direction_text(d: DirectionVerdict, verbose: bool = True) -> Text:
    text = Text()
    where = "at the source" if d.direction.value == "egress" else "at the destination"
    symbol, style = mark(d.allowed)
    word = {True: "allowed", False: "BLOCKED", None: "unknown"}[d.allowed]
    text.append(f"{symbol} {d.direction.value.capitalize()} {where} {d.endpoint}: {word}\n", style=style)
    text.append(f"  {d.summary}\n")
    if not d.evaluated:
        return text
    if len(d.tiers) > 1 or (d.tiers and d.tiers[0].tier.value != "NetworkPolicy"):
        chain = " → ".join(_tier_label(t.name, t.outcome, t.deciding) for t in d.tiers)
        text.append(f"  chain: {chain}\n", style="cyan")
    for tier in d.tiers:
        shown = [p for p in tier.policies if p.selects or verbose]
        if not verbose and d.allowed is True:
            shown = [p for p in shown if p.matched]
        if not shown:
            continue
        text.append(f"  [{tier.name if tier.label else tier.tier.value + ' tier'}] {tier.outcome.value}\n",
                    style="bold cyan")
        # Brief output of an allowed direction: just the rules that allow it.
        only_matches = not verbose and d.allowed is True
        for policy in tier.policies:
            if only_matches and not policy.matched:
                continue
            _policy_lines(text, policy, d.direction.value, verbose, only_matches)
    return text


def _tier_label(tier: str, outcome: Outcome, deciding: tuple[RuleRef, ...]) -> str:
    label = f"[{tier}] {outcome.value}"
    if deciding:
        label += " (" + ", ".join(ref.label() for ref in deciding) + ")"
    return label


def verdict_text(v: Verdict, verbose: bool = True) -> Text:
    text = headline(v)
    text.append("\n")
    text.append(f"{v.summary}\n\n")
    for d in (v.egress, v.ingress):
        text.append_text(direction_text(d, verbose))
        text.append("\n")
    if v.suggestions:
        text.append("To allow it:\n", style="bold magenta")
        for suggestion in v.suggestions:
            text.append(f"  → {suggestion.summary}\n", style="magenta")
            if suggestion.fragment:
                text.append(_indent(suggestion_yaml(suggestion.fragment), "      "), style="dim")
    if v.caveats:
        text.append("Caveats:\n", style="bold yellow")
        for caveat in v.caveats:
            text.append(f"  ! {caveat.message}\n", style="yellow")
    return text


def suggestion_yaml(fragment: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(fragment), sort_keys=False, default_flow_style=False)


def _indent(block: str, prefix: str) -> str:
    return "".join(prefix + line + "\n" for line in block.splitlines())


def one_line(text: str) -> str:
    return " ".join(text.split())


def why_line(v: Verdict) -> str:
    """The one line that says why: the deciding rule(s) of an allowed flow, the side(s) that block it
    (which name the isolating policies, or the admin rule that denies), or why it is unknown."""
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


def brief_text(v: Verdict) -> Text:
    """`check -q`: exactly two lines, the headline and `why_line`."""
    text = headline(v)
    text.append(f"\n{why_line(v)}")
    return text
