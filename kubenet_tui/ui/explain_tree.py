"""The walkthrough (render/walkthrough.py) as labelled items, ready for a Textual Tree.

No Textual and no policy logic: every item is a walkthrough node with its label from the same
`node_label` that `check` prints, its `PolicyLink` (Enter opens the policy's YAML with the rule
highlighted), whether it starts unfolded (the path to the answer) and whether the cursor starts there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text

from kubenet_tui.engine.explain import Verdict
from kubenet_tui.engine.services import ServiceVerdict
from kubenet_tui.render.text import node_label, nodes_text
from kubenet_tui.render.walkthrough import Node, PolicyLink, Walkthrough, walkthrough

__all__ = ["ExplainItem", "PolicyLink", "comparison_items", "comparison_text", "items", "panel_text", "service_items",
           "verdict_items"]


@dataclass(slots=True)
class ExplainItem:
    label: Text
    link: PolicyLink | None = None
    expand: bool = False
    children: list[ExplainItem] = field(default_factory=list)
    focus: bool = False  # where the cursor goes when the tree is entered: the rule that matters most

    def walk(self) -> list[ExplainItem]:
        found = [self]
        for child in self.children:
            found.extend(child.walk())
        return found


def item(node: Node) -> ExplainItem:
    return ExplainItem(node_label(node).to_rich(), node.link, node.open, [item(c) for c in node.children], node.focus)


def items(w: Walkthrough) -> list[ExplainItem]:
    """The tree below the banner and the glance lines: the body of the walkthrough, verbose."""
    return [item(node) for node in w.body]


def panel_text(w: Walkthrough) -> str:
    """What the verdict panel shows, as plain text: the banner's line, the lines under it, the tree
    (every node, folded or not)."""
    return nodes_text((w.headline, *w.glance, *w.body)).plain


def comparison_items(now: Walkthrough | None, head: Walkthrough | None, now_error: str | None,
                     head_error: str | None, label: str) -> list[ExplainItem]:
    """A question answered now and with a change (what-if): the answer with the change first, open, with
    the cursor's target; the answer now below it, folded. Each section is that answer's whole tree."""
    found: list[ExplainItem] = []
    for title, w, error, first in ((f"with {label}", head, head_error, True), ("now", now, now_error, False)):
        if w is None:
            found.append(ExplainItem(Text.assemble((f"{title}: ", "bold"), f"cannot be asked: {error}")))
            continue
        heading = Text.assemble((f"{title}: ", "bold"), node_label(w.headline).to_rich())
        children = [*(item(n) for n in w.glance), *items(w)]
        if not first:
            for child in (c for top in children for c in top.walk()):
                child.focus = False
        found.append(ExplainItem(heading, None, first, children))
    return found


def comparison_text(now: Walkthrough | None, head: Walkthrough | None, now_error: str | None,
                    head_error: str | None, label: str, headline: str) -> str:
    """What `c` copies while a what-if is compared: the headline, then each side's panel text."""
    parts = [headline]
    for title, w, error in ((f"with {label}", head, head_error), ("now", now, now_error)):
        parts.append(f"--- {title} ---")
        parts.append(panel_text(w) if w is not None else f"cannot be asked: {error}")
    return "\n".join(parts)


def verdict_items(v: Verdict) -> list[ExplainItem]:
    return items(walkthrough(v))


def service_items(sv: ServiceVerdict) -> list[ExplainItem]:
    return items(walkthrough(sv))
