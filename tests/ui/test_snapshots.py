"""SVG snapshots of the explorer's main states at 80x24 and 120x40 (pytest-textual-snapshot).

Update after an intended change with `pytest tests/ui/test_snapshots.py --snapshot-update` and look at
the report. Deterministic: the app has no clock, no animation and no cursor blink, the demo data is
fixed, and states are reached by keys after the data has loaded.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from kubenet_tui.sources.spec import SourceSpec
from kubenet_tui.ui.app import make_app
from tests.ui.helpers import ALLOWED_6379, BLOCKED_5432, DEMO_SHOP, keys, wait_for_data

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


def after(*sequence: str) -> Callable[[Pilot[int]], Awaitable[None]]:
    async def run_before(pilot: Pilot[int]) -> None:
        await wait_for_data(pilot)
        await keys(pilot, *sequence)
        await refreshed(pilot)

    return run_before


async def refreshed(pilot: Pilot[int]) -> None:
    """Until what the keys set off has been drawn: a screen pushed by the last key, or the verdict tree
    entered by it, moves its cursor and scrolls after its first refresh (`call_after_refresh`), and on a
    loaded machine that refresh can come after a fixed number of pauses."""
    for _ in range(3):
        await pilot.pause()
    for _ in range(50):
        await pilot.app.workers.wait_for_complete()
        screen = pilot.app.screen
        # Textual keeps these private (pinned to 8.2): callbacks waiting for a refresh, pending layout.
        if not screen._callbacks and not screen._layout_required and not screen._dirty_widgets:
            tree_waiting = any(getattr(tree, "_focus_target", None) is not None and tree.has_focus
                               for tree in screen.query("ExplainTree"))
            if not tree_waiting:
                return
        await pilot.pause(0.02)


class TestExplorerSnapshots:
    @SIZES
    def test_overview(self, snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
        assert snap_compare(make_app(DEMO_SHOP), terminal_size=size, run_before=after())

    @SIZES
    def test_allowed(self, snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
        assert snap_compare(make_app(DEMO_SHOP), terminal_size=size, run_before=after(*ALLOWED_6379))

    @SIZES
    def test_blocked_explained(self, snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
        """The blocked verdict with the explanation tree entered (cursor on the rule to fix)."""
        assert snap_compare(make_app(DEMO_SHOP), terminal_size=size,
                            run_before=after(*BLOCKED_5432, "v"))

    @SIZES
    def test_help(self, snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
        assert snap_compare(make_app(DEMO_SHOP), terminal_size=size, run_before=after("?"))

    def test_deciding_rule_in_yaml(self, snap_compare: Callable[..., bool]) -> None:
        assert snap_compare(make_app(DEMO_SHOP), terminal_size=(80, 24),
                            run_before=after(*ALLOWED_6379, "v", "enter"))

    def test_all_namespaces_wide(self, snap_compare: Callable[..., bool]) -> None:
        assert snap_compare(make_app(SourceSpec(demo="shop", all_namespaces=True)), terminal_size=(160, 48),
                            run_before=after())

    def test_context_picker(self, snap_compare: Callable[..., bool]) -> None:
        """`:ctx` alone: the kubeconfig's contexts, the current one marked ●."""
        from kubenet_tui.sources.demo import DemoSource

        app = make_app(SourceSpec(context="prod", namespaces=("shop",)), source=DemoSource(),
                       contexts=("prod", "staging", "kind-local"))
        assert snap_compare(app, terminal_size=(80, 24), run_before=after(":", "ctx", "enter", "down"))


def after_pane(*sequence: str, ready: Callable[[Any], bool], then: tuple[str, ...] = ()
               ) -> Callable[[Pilot[int]], Awaitable[None]]:
    """Keys, then wait until the pane a worker computes is there (`ready(screen)`), then more keys."""

    async def run_before(pilot: Pilot[int]) -> None:
        await wait_for_data(pilot)
        await keys(pilot, *sequence)
        for _ in range(400):
            if ready(pilot.app.screen):
                break
            await asyncio.sleep(0.025)
        await pilot.pause()
        await keys(pilot, *then)
        await refreshed(pilot)

    return run_before


class TestGlanceSnapshots:
    """The heatmap, lint and flows panes, as the README shows them."""

    @SIZES
    def test_heatmap(self, snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
        app = make_app(SourceSpec(demo="shop", all_namespaces=True))
        assert snap_compare(app, terminal_size=size,
                            run_before=after_pane("m", ready=lambda s: s.view is not None, then=("j", "j", "j", "l")))

    def test_heatmap_drilled_into_a_cell(self, snap_compare: Callable[..., bool]) -> None:
        app = make_app(SourceSpec(demo="shop", all_namespaces=True))
        assert snap_compare(app, terminal_size=(80, 24),
                            run_before=after_pane(":", "map 6379", "enter", ready=lambda s: s.view is not None,
                                                  then=("j", "j", "j", "j", "l", "l", "l", "l", "enter")))

    def test_lint(self, snap_compare: Callable[..., bool]) -> None:
        assert snap_compare(make_app(DEMO_SHOP), terminal_size=(80, 24),
                            run_before=after_pane(":", "lint", "enter", ready=lambda s: s.pane.model is not None))

    def test_flows(self, snap_compare: Callable[..., bool]) -> None:
        # Relative, as a person types it: the title shows it, and the checkout's place must not matter.
        hubble = os.path.relpath(Path(__file__).parents[1] / "flows" / "samples" / "hubble.jsonl")
        assert snap_compare(make_app(DEMO_SHOP), terminal_size=(80, 24),
                            run_before=after_pane(":", f"flows {hubble}", "enter", then=("j", "j"),
                                                  ready=lambda s: s.model.view is not None and s.model.view.done))
