"""Walkthroughs as styled text (render/styled.py), for `check` and for the explorer: verdict first, then
why, naming policy and rule. `node_label` is the one place a node becomes a styled line; the explorer's
tree uses it too.
"""

from __future__ import annotations

from collections.abc import Iterable

from kubenet_tui.engine.explain import Verdict
from kubenet_tui.render.styled import Styled
from kubenet_tui.render.walkthrough import (
    Kind,
    Mark,
    Node,
    Walkthrough,
    verdict_walkthrough,
)

SYMBOLS = {
    Mark.MATCHED: "✔",
    Mark.NOT: "✗",
    Mark.UNKNOWN: "?",
    Mark.SKIP: "·",
    Mark.NOT_EVALUATED: "-",
    Mark.NONE: "",
}
# Lines that conclude nothing themselves still get a bullet, so the kind of line reads without colour.
BULLETS = {Kind.SUGGESTION: ("→", "magenta"), Kind.CAVEAT: ("!", "yellow")}
COLOURS = {
    Mark.MATCHED: "green",
    Mark.NOT: "red",
    Mark.UNKNOWN: "yellow",
    Mark.SKIP: "dim",
    Mark.NOT_EVALUATED: "yellow",
    Mark.NONE: "",
}
DECIDES = "  ◀ decides"
SEGMENT_WIDTH = 22  # port ranges line up: "6379/TCP (redis)" and "1-6378/TCP" start their reasons together

# A suggestion's YAML stands off from its sentence, so it reads as a block to paste; port ranges stand
# under the summary like a table.
EXTRA_INDENT = {Kind.FRAGMENT: "  ", Kind.SEGMENT: "  "}
# Top-level kinds that open a walk: a blank line separates them from what follows.
HEADER = frozenset({Kind.HEADLINE, Kind.WHY, Kind.SUMMARY, Kind.GLANCE, Kind.ENFORCEMENT, Kind.ASSUMED,
                    Kind.SERVICE_PORT})
# Top-level kinds that are followed by a blank line.
BLOCKS = frozenset({Kind.DIRECTION, Kind.BACKEND})


def symbol(node: Node) -> tuple[str, str]:
    """The leading symbol of a node's line and its style ("" when it has none)."""
    if node.mark is not Mark.NONE:
        colour = COLOURS[node.mark]
        return SYMBOLS[node.mark], f"bold {colour}" if node.kind is Kind.HEADLINE else colour
    return BULLETS.get(node.kind, ("", ""))


def _styles(node: Node) -> tuple[str, str]:
    colour = COLOURS[node.mark]
    kind, matched = node.kind, node.mark is Mark.MATCHED
    if kind in (Kind.HEADLINE, Kind.GLANCE, Kind.ENFORCEMENT, Kind.ASSUMED):
        return f"bold {colour}".strip(), ""
    if kind is Kind.DIRECTION:
        return "bold", f"bold {colour}".strip()
    if kind is Kind.BACKEND:
        return ("yellow", "yellow") if node.mark is Mark.SKIP else ("bold", f"bold {colour}".strip())
    if kind is Kind.POLICY:
        return ("dim", "dim") if node.mark is Mark.SKIP else ("bold", "")
    if kind is Kind.CHECK:
        return ("bold" if matched else "", "" if matched else "dim")
    if kind is Kind.SEGMENT:
        return "", "" if matched else "dim"
    return {
        Kind.RULE: ("bold", ""),
        Kind.CHAIN: ("cyan", "cyan"),
        Kind.TIER: ("bold cyan", ""),
        Kind.SUGGESTIONS: ("bold magenta", ""),
        Kind.SUGGESTION: ("magenta", "magenta"),
        Kind.FRAGMENT: ("dim", "dim"),
        Kind.CAVEATS: ("bold yellow", ""),
        Kind.CAVEAT: ("yellow", "yellow"),
        Kind.ISOLATION: ("", "dim" if node.verbose else ""),
        Kind.FRONTEND: ("bold", ""),
        Kind.ROUTE: ("bold", ""),
    }.get(kind, ("", ""))


def node_label(node: Node) -> Styled:
    """One node as one styled line, without indentation."""
    text = Styled()
    sym, sym_style = symbol(node)
    if sym:
        text.append(f"{sym} ", style=sym_style)
    head_style, tail_style = _styles(node)
    head = node.head.ljust(SEGMENT_WIDTH) if node.kind is Kind.SEGMENT else node.head
    text.append(head, style=head_style)
    text.append(node.tail, style=tail_style)
    if node.decides:
        text.append(DECIDES, style="bold reverse")
    return text


def _indent(depth: int) -> str:
    # Two spaces per level near the top, four deeper down, where rules and their checks need to stand out.
    return " " * (2 * depth if depth <= 2 else 4 * depth - 4)


def _line(out: Styled, node: Node, depth: int) -> None:
    out.append(_indent(depth) + EXTRA_INDENT.get(node.kind, ""))
    if node.kind is Kind.BACKEND and node.children:
        # A backend heads a section holding its own walk: a rule across, not an indent.
        out.append("── ", style="bold")
        out.append_text(node_label(node))
        out.append(" ──", style="bold")
    else:
        out.append_text(node_label(node))
    out.append("\n")


def _tree(out: Styled, nodes: Iterable[Node], verbose: bool, depth: int) -> None:
    for node in nodes:
        if node.verbose and not verbose:
            continue
        _line(out, node, depth)
        _tree(out, node.children, verbose, depth + 1)


def _section(out: Styled, nodes: Iterable[Node], verbose: bool, depth: int = 0) -> None:
    opened = False
    for node in nodes:
        if node.verbose and not verbose:
            continue
        if not opened and node.kind not in HEADER:
            out.append("\n")
            opened = True
        _line(out, node, depth)
        if node.kind is Kind.BACKEND:
            if node.children:
                _section(out, node.children, verbose, depth)
                if not out.plain.endswith("\n\n"):
                    out.append("\n")  # a section ends with a blank line, whatever its walk ends with
            else:
                out.append("\n")
            continue
        _tree(out, node.children, verbose, depth + 1)
        if node.kind in BLOCKS:
            out.append("\n")


def nodes_text(nodes: Iterable[Node], verbose: bool = True) -> Styled:
    """Top-level nodes and everything beneath them, indented by depth."""
    out = Styled()
    _section(out, nodes, verbose)
    return out


def walkthrough_text(w: Walkthrough, verbose: bool = True) -> Styled:
    """What `check` prints: the headline, the summary, then the whole walk."""
    return nodes_text((w.headline, w.summary, *w.body), verbose)


def walkthrough_brief(w: Walkthrough) -> Styled:
    """What `check -q` prints: exactly two lines, the headline and why."""
    text = node_label(w.headline)
    text.append("\n")
    text.append_text(node_label(w.why))
    return text


def verdict_text(v: Verdict, verbose: bool = True) -> Styled:
    return walkthrough_text(verdict_walkthrough(v), verbose)


def brief_text(v: Verdict) -> Styled:
    return walkthrough_brief(verdict_walkthrough(v))

