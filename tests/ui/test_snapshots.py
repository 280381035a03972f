"""SVG snapshots of the explorer's main states at 80x24 and 120x40 (pytest-textual-snapshot).

Update after an intended change with `pytest tests/ui/test_snapshots.py --snapshot-update` and look at
the report. Deterministic: the app has no clock, no animation and no cursor blink, the demo data is
fixed, and states are reached by keys after the data has loaded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

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

    return run_before


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
