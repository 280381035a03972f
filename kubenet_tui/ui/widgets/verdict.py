"""The verdict panel: a large ALLOWED/BLOCKED banner (colour and symbol), one line per direction on
what decided it, and the explanation as an expandable tree. Enter on a policy or rule node asks the
app to open that policy's YAML with the rule highlighted."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from kubenet_tui.engine.explain import Status
from kubenet_tui.render.text import node_label, symbol
from kubenet_tui.render.walkthrough import Walkthrough, walkthrough
from kubenet_tui.ui.connection import Evaluation
from kubenet_tui.ui.explain_tree import (
    ExplainItem,
    PolicyLink,
    comparison_items,
    comparison_text,
    items,
    panel_text,
)

STATUS_CLASS = {
    Status.ALLOWED: "-allowed",
    Status.BLOCKED: "-blocked",
    Status.UNKNOWN: "-unknown",
    Status.NOT_EVALUATED: "-unknown",
}


# A two-row block font (figlet "future" style) for the verdict word: big enough to read across the
# room at 3 a.m., and a shape, so it reads the same without colour.
BIG_GLYPHS: dict[str, tuple[str, str]] = {
    "A": ("▄▀█", "█▀█"), "B": ("█▄▄", "█▄█"), "C": ("█▀▀", "█▄▄"), "D": ("█▀▄", "█▄▀"),
    "E": ("█▀▀", "██▄"), "K": ("█▄▀", "█ █"), "L": ("█  ", "█▄▄"), "N": ("█▄ █", "█ ▀█"),
    "O": ("█▀█", "█▄█"), "U": ("█ █", "█▄█"), "W": ("█ █ █", "▀▄▀▄▀"), " ": ("  ", "  "),
}


def big_word(word: str) -> tuple[str, str] | None:
    """`word` in the block font, or None when a letter has no glyph."""
    if any(ch not in BIG_GLYPHS for ch in word):
        return None
    top = " ".join(BIG_GLYPHS[ch][0] for ch in word)
    bottom = " ".join(BIG_GLYPHS[ch][1] for ch in word)
    return top, bottom


class VerdictBanner(Widget):
    """ALLOWED / BLOCKED across the panel: in block letters when there are two rows for it (tall
    terminals), on one line otherwise; always with its symbol and the word in plain text too."""

    content: reactive[tuple[str, str, str] | None] = reactive(None, layout=False)
    """(symbol, word, what was asked), or None for an empty banner."""

    def render(self) -> Text:
        if self.content is None:
            return Text()
        symbol, word, detail = self.content
        plain = Text.assemble((f"{symbol} {word}", "bold"), f"   {detail}")
        big = big_word(word) if self.size.height >= 2 else None
        if big is None or len(big[0]) + 4 + min(len(detail), 20) > self.size.width:
            return plain
        pad = " " * 2
        return Text.assemble(
            (big[0], "bold"), pad, (f"{symbol} {word}", "bold"), "\n",
            (big[1], "bold"), pad, detail,
        )


class ExplainTree(Tree[PolicyLink | None]):
    """The explanation tree; j/k move like everywhere else, space folds, enter opens a policy."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    class OpenPolicy(Message):
        def __init__(self, link: PolicyLink) -> None:
            super().__init__()
            self.link = link

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("verdict", id=id)
        self.show_root = False
        self.auto_expand = False
        self.guide_depth = 2

    def show(self, items: list[ExplainItem]) -> None:
        self.clear()
        self.root.expand()
        self._focus_target: TreeNode[PolicyLink | None] | None = None
        for item in items:
            self._add(self.root, item)
        self.cursor_line = 0
        self.scroll_home(animate=False)
        if self.has_focus:
            self.call_after_refresh(self._to_focus_target)

    def _add(self, parent: TreeNode[PolicyLink | None], item: ExplainItem) -> None:
        if item.children:
            node = parent.add(item.label, data=item.link, expand=item.expand)
            for child in item.children:
                self._add(node, child)
        else:
            node = parent.add_leaf(item.label, data=item.link)
        if item.focus and self._focus_target is None:
            self._focus_target = node

    def on_focus(self) -> None:
        # After the next refresh: a tree just filled has not laid out its lines yet (`v` typed right
        # after the enter that produced the verdict), and the target's line is only known then.
        self.call_after_refresh(self._to_focus_target)

    def _to_focus_target(self) -> None:
        """Entering the tree puts the cursor on the rule that matters (once per verdict)."""
        target = getattr(self, "_focus_target", None)
        if target is not None:
            self._focus_target = None
            self.get_node_at_line(0)  # lays out the lines now if the tree changed since its last paint
            self.move_cursor(target)
            # Near the top, two lines of context above: its checks and the fix show below it.
            self.scroll_to(y=max(0, self.cursor_line - 2), animate=False)

    def action_select_cursor(self) -> None:
        # `v⏎` typed in one burst: the enter may come before the refresh that moves the cursor to the
        # rule that matters; it is meant for that rule, so move there first.
        if getattr(self, "_focus_target", None) is not None:
            self._to_focus_target()
        super().action_select_cursor()

    def on_tree_node_selected(self, event: Tree.NodeSelected[PolicyLink | None]) -> None:
        event.stop()
        link = event.node.data
        if link is not None:
            self.post_message(self.OpenPolicy(link))
        elif event.node.children:
            event.node.toggle()


class VerdictPanel(Vertical):
    ALLOW_MAXIMIZE = True  # z zooms the whole panel, banner included
    evaluation: reactive[Evaluation | None] = reactive(None)
    """The evaluation shown; None hides the panel's content."""
    _walkthrough: Walkthrough | None = None  # what is shown, for `copy_text`
    _copy: str | None = None  # a what-if's text, for `copy_text`

    def compose(self) -> ComposeResult:
        yield VerdictBanner(id="banner")
        yield Static(id="why")
        yield ExplainTree(id="explain")
        yield Static(id="node-detail")

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[PolicyLink | None]) -> None:
        """Tree labels do not wrap: the highlighted one is repeated in full below the tree."""
        label = Text(event.node.label) if isinstance(event.node.label, str) else event.node.label.copy()
        if event.node.data is not None:
            label.append("   (enter: YAML)", style="dim")
        self.query_one("#node-detail", Static).update(label)

    def watch_evaluation(self, evaluation: Evaluation | None) -> None:
        banner = self.query_one(VerdictBanner)
        why = self.query_one("#why", Static)
        tree = self.query_one(ExplainTree)
        self._walkthrough = None
        self._copy = None
        for cls in ("-allowed", "-blocked", "-unknown", "-error"):
            banner.remove_class(cls)
        if evaluation is None:
            banner.content = None
            why.update("")
            tree.clear()
            return
        connection = evaluation.connection
        assert connection.source is not None
        if evaluation.compared:
            self._show_comparison(evaluation)
            return
        if evaluation.error is not None:
            banner.add_class("-error")
            to = connection.destination.label if connection.destination is not None else "every backend"
            banner.content = ("!", "NO VERDICT", f"{connection.source.label} → {to}")
            why.update(Text(evaluation.error))
            tree.clear()
            return
        status = evaluation.status
        answer = evaluation.answer
        assert status is not None and answer is not None
        banner.add_class(STATUS_CLASS[status])
        # Banner, lines under it and tree are one walkthrough: `c` copies the same (`copy_text`).
        w = self._walkthrough = walkthrough(answer)
        headline = w.headline
        banner.content = (symbol(headline)[0], headline.head, headline.tail.strip())
        why.update(Text("\n").join(node_label(node).to_rich() for node in w.glance))
        tree.show(items(w))

    def _show_comparison(self, evaluation: Evaluation) -> None:
        """A what-if: the answer with the change and the answer now, each in full, under one headline."""
        comparison = evaluation.comparison
        assert comparison is not None
        banner = self.query_one(VerdictBanner)
        status = evaluation.status
        banner.add_class(STATUS_CLASS[status] if status is not None else "-unknown")
        now = walkthrough(comparison.now) if comparison.now is not None else None
        head = walkthrough(comparison.head) if comparison.head is not None else None
        word = head.headline.head if head is not None else "NO VERDICT"
        mark = symbol(head.headline)[0] if head is not None else "!"
        banner.content = (mark, word, f"with {evaluation.change_label} · {comparison.headline()}")
        self.query_one("#why", Static).update(Text.assemble(
            ("what-if: ", "bold magenta"), comparison.headline(), ("   (both below; :whatif off drops it)", "dim")))
        self.query_one(ExplainTree).show(comparison_items(now, head, comparison.now_error, comparison.head_error,
                                                          evaluation.change_label))
        self._copy = comparison_text(now, head, comparison.now_error, comparison.head_error, evaluation.change_label,
                                     comparison.headline())

    def copy_text(self) -> str | None:
        """What the panel shows as plain text, or None when it shows no verdict."""
        if self._copy is not None:
            return self._copy
        return panel_text(self._walkthrough) if self._walkthrough is not None else None
