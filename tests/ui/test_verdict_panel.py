"""`c` copies what the verdict panel shows: its banner line, the lines under it, and every line of its
tree, in order (GIVEN a verdict on screen, WHEN c is pressed, THEN the clipboard holds exactly that)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static
from textual.widgets.tree import TreeNode

from kubenet_tui.ui.app import make_app
from kubenet_tui.ui.explain_tree import PolicyLink
from kubenet_tui.ui.widgets.verdict import ExplainTree, VerdictBanner, VerdictPanel
from tests.ui.helpers import BLOCKED_5432, DEMO_SHOP, PICK_FRONTEND_AND_DB, keys, wait_for_data


def tree_lines(node: TreeNode[PolicyLink | None]) -> list[str]:
    lines = []
    for child in node.children:
        label = child.label
        lines.append(label.plain if isinstance(label, Text) else str(label))
        lines.extend(tree_lines(child))
    return lines


def shown(panel: VerdictPanel) -> list[str]:
    banner = panel.query_one(VerdictBanner).content
    assert banner is not None
    symbol, word, detail = banner
    why = panel.query_one("#why", Static).content
    assert isinstance(why, Text)
    return [f"{symbol} {word}  {detail}", *why.plain.splitlines(), *tree_lines(panel.query_one(ExplainTree).root)]


async def copied_and_shown(*sequence: str) -> tuple[list[str], list[str]]:
    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, *sequence, "c")
        copied = [line.strip() for line in app.clipboard.splitlines() if line.strip()]
        return copied, [line.strip() for line in shown(app.query_one(VerdictPanel))]


async def test_copy_of_a_blocked_verdict_is_the_panel_line_for_line() -> None:
    copied, panel = await copied_and_shown(*BLOCKED_5432)
    assert copied == panel
    assert copied[0] == "✗ BLOCKED  shop/frontend → shop/db  5432/TCP"
    assert "✔ egress: no policy restricts egress at shop/frontend: allowed by default" in copied
    assert "ingress[0]: the peer matches but no port does" in " ".join(copied)


async def test_copy_of_a_service_verdict_is_the_panel_line_for_line() -> None:
    copied, panel = await copied_and_shown("/", "frontend", "enter", "s", ":", "svc", "enter", "/", "db", "enter",
                                           "d", "p", "6379", "enter")
    # A backend heads a section in text: the same line, between two rules.
    assert [line.removeprefix("── ").removesuffix(" ──") for line in copied] == panel
    assert copied[0].startswith("✔ ALLOWED  shop/frontend → svc/shop/db  6379/TCP")


async def test_nothing_to_copy_before_a_verdict() -> None:
    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, *PICK_FRONTEND_AND_DB[:4])
        assert app.query_one(VerdictPanel).copy_text() is None
