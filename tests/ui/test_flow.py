"""The flows a person walks through, driven by real keys through Textual's pilot, asserting on what the
screen shows. The state machine behind them is tested key by key, without a terminal, in
test_state_*.py; these check that the whole app does it, at 80x24 and 120x40.

GIVEN the demo cluster scoped to namespace shop, WHEN the keys of issue 4's flow are pressed, THEN the
verdict panel says ALLOWED naming test-network-policy for 6379 and BLOCKED with the reason for 5432.
"""

from __future__ import annotations

import asyncio

import pytest
from textual.pilot import Pilot

from kubenet_tui.engine.explain import Status
from kubenet_tui.ui.app import make_app
from kubenet_tui.ui.screens import HelpScreen, ServiceScreen
from tests.ui.fakes import GatedSource, screen_text
from tests.ui.helpers import ALLOWED_6379, DEMO_SHOP, burst, keys, painted, settle, wait_for_data

SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
async def test_issue_flow_allowed_then_blocked_then_quit(size: tuple[int, int]) -> None:
    app = make_app(DEMO_SHOP)
    async with app.run_test(size=size) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, *ALLOWED_6379)
        text = screen_text(app)
        assert "✔ ALLOWED" in text
        assert "test-network-policy" in text
        assert "shop/frontend → shop/db" in text
        assert app.evaluation is not None and app.evaluation.status is Status.ALLOWED

        await keys(pilot, "p", "5432", "enter")
        text = screen_text(app)
        assert "✗ BLOCKED" in text
        assert "5432/TCP" in text
        # The reason: db is isolated for ingress and no rule matches on this port.
        assert "isolated for ingress" in text
        assert "no ingress rule" in text
        assert app.evaluation is not None and app.evaluation.status is Status.BLOCKED

        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0 or app.return_code is None


async def test_typed_ip_source_and_swap() -> None:
    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        # An outside address as source: only the destination's ingress applies.
        await keys(pilot, "S", "172.17.0.5", "enter", "/", "db", "enter", "d", "p", "6379", "enter")
        text = screen_text(app)
        assert "✔ ALLOWED" in text and "172.17.0.5" in text
        await keys(pilot, "S", "172.17.1.5", "enter")
        assert "✗ BLOCKED" in screen_text(app)  # inside the except of the ipBlock
        # x swaps: db egress to the outside address is limited to 10.0.0.0/24.
        await keys(pilot, "x")
        assert app.connection.source is not None and app.connection.source.ref == "shop/db"
        assert "✗ BLOCKED" in screen_text(app)


async def test_service_as_destination_from_its_details() -> None:
    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, "/", "frontend", "enter", "s", ":", "svc", "enter", "/", "db", "enter", "enter")
        assert isinstance(app.screen, ServiceScreen)
        await keys(pilot, "d")  # marks it from its details, and goes back
        assert not isinstance(app.screen, ServiceScreen)
        await keys(pilot, "p", "6379", "enter")
        text = screen_text(app)
        assert "✔ ALLOWED" in text and "svc/shop/db" in text
        assert "backend shop/db" in text
        # s on a Service refuses: a Service is never a source.
        await keys(pilot, "s")
        assert "cannot be a source" in screen_text(app)


async def test_first_paint_shows_loading_before_data(gated: GatedSource) -> None:
    app = make_app(DEMO_SHOP, source=gated)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "◌ loading" in text
        assert "Loading bundled demo cluster" in text
        # The UI is alive while the source blocks (a worker thread reads): help opens and closes.
        await burst(pilot, "?")
        assert isinstance(app.screen, HelpScreen)
        await burst(pilot, "escape")
        assert not isinstance(app.screen, HelpScreen)
        gated.gate.set()
        await wait_for_data(pilot)
        text = await painted(pilot)
        assert "◌ loading" not in text
        assert "frontend" in text and "● demo" in text


async def test_typed_ahead_burst_keeps_key_order() -> None:
    """Keys arriving together (fast typing, paste, a slow SSH link) act in order: the filter gets `db`,
    then `d` marks the first match, then the port prompt gets 6379."""
    from textual import events

    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        burst = "/frontend\rs/db\rdp6379\r"
        for ch in burst:
            key = {"/": "slash", "\r": "enter"}.get(ch, ch)
            app.post_message(events.Key(key, None if ch == "\r" else ch))
        await pilot.pause()
        await pilot.pause()
        assert app.connection.source is not None and app.connection.source.ref == "shop/frontend"
        assert app.connection.destination is not None and app.connection.destination.ref == "shop/db"
        assert app.evaluation is not None and app.evaluation.status is Status.ALLOWED


async def searched(pilot: Pilot[int], first: str) -> None:
    """Until the palette's search (a worker) lists `first` at the top for what was typed."""
    from textual.command import CommandList

    for _ in range(400):
        await settle(pilot)
        found = pilot.app.screen.query_one(CommandList)
        if found.option_count and first in str(found.get_option_at_index(0).prompt):
            return
        await asyncio.sleep(0.025)
    raise AssertionError("the command palette listed nothing")


async def test_command_palette_lists_actions_and_letters_type_into_it() -> None:
    from textual.command import CommandPalette

    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await burst(pilot, "ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await burst(pilot, "q?")  # q and ? type here, they do not quit or open the help
        assert app.is_running and isinstance(app.screen, CommandPalette)
        await burst(pilot, "escape")
        await burst(pilot, "ctrl+p")
        await burst(pilot, "show pol")
        await searched(pilot, "olicies")
        await burst(pilot, "enter")
        assert app.view == "policies"
