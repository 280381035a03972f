"""What-if in the explorer (issue 14): `:whatif PATH` and `t` overlay a change on the snapshot, the header
says so, the verdict shows the answer now and with the change, `:changes` lists every flow it changes and
Enter explains one; `:whatif off` drops it. The state machine first, then the walk under the pilot."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.pilot import Pilot

from kubenet_tui.engine.explain import Status
from kubenet_tui.ui.app import make_app
from kubenet_tui.ui.glance import PaneScreen
from kubenet_tui.ui.state.effects import ComputeWhatIf, LoadWhatIf, ShowChanges
from kubenet_tui.ui.whatif.session import Load, load
from tests.ui.fakes import screen_text
from tests.ui.helpers import BLOCKED_5432, DEMO_SHOP, keys, wait_for_data
from tests.ui.statekit import loaded, press

FIX = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-frontend-postgres, namespace: shop}
spec:
  podSelector: {matchLabels: {role: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {role: frontend}}}]
    ports: [{port: 5432}]
"""


@pytest.fixture
def fix(tmp_path: Path) -> Path:
    path = tmp_path / "fix.yaml"
    path.write_text(FIX)
    return path


def test_whatif_commands_without_an_overlay() -> None:
    state = loaded()
    press(state, ":", "whatif", "enter")
    assert state.flash.message is not None and "no what-if is active" in state.flash.message.line
    press(state, ":", "whatif off", "enter")
    assert state.flash.message is not None and "no what-if is active" in state.flash.message.line
    press(state, ":", "changes", "enter")
    assert state.flash.message is not None and ":whatif PATH first" in state.flash.message.line
    press(state, "t")
    assert state.flash.message is not None and "nothing to try" in state.flash.message.line


def test_an_overlay_compares_the_question_and_is_worked_out_in_the_background(fix: Path) -> None:
    """GIVEN frontend → db on 5432 (blocked) WHEN fix.yaml is overlaid THEN the verdict is compared (now
    BLOCKED, with the change ALLOWED), the header says what-if, and what it changes is computed."""
    state = loaded()
    press(state, *BLOCKED_5432)
    effects = press(state, ":", f"whatif {fix}", "enter")
    assert effects == [LoadWhatIf((str(fix),), ())]
    state.whatif_loaded(state.generation, load(Load((str(fix),))))
    assert state.take().effects == [ComputeWhatIf(state.generation)]
    evaluation = state.evaluation
    assert evaluation is not None and evaluation.compared and evaluation.status is Status.ALLOWED
    assert evaluation.comparison is not None and evaluation.comparison.headline() == \
        "now BLOCKED → with the change ALLOWED"
    assert "fix.yaml · computing" in state.header_info().whatif
    press(state, ":", "changes", "enter")
    assert state.flash.message is not None and "still working out" in state.flash.message.line
    assert state.whatif is not None
    overlay = state.whatif.overlay
    state.whatif_computed(state.generation, overlay, state.whatif.compute())
    assert "flows change" in state.header_info().whatif
    assert press(state, ":", "changes", "enter") == [ShowChanges()]
    state.choose_question("shop/cart", "shop/db", evaluation.connection.port)
    # fix.yaml lets frontend in, not cart: the same answer both ways is shown once
    assert state.evaluation is not None and not state.evaluation.compared
    assert state.evaluation.status is Status.BLOCKED
    press(state, ":", "whatif off", "enter")
    assert state.whatif is None and state.header_info().whatif == ""
    assert state.evaluation is not None and not state.evaluation.compared


def test_t_tries_the_suggested_fix() -> None:
    state = loaded()
    press(state, *BLOCKED_5432)
    press(state, "t")
    assert state.whatif is not None and "suggested change to shop/test-network-policy" in state.whatif.overlay.label
    assert state.evaluation is not None and state.evaluation.status is Status.ALLOWED


async def _until(pilot: Pilot[int], done: object, what: str) -> None:
    for _ in range(400):
        if callable(done) and done():
            return
        await asyncio.sleep(0.025)
        await pilot.pause()
    raise AssertionError(f"timed out waiting for {what}")


async def test_try_the_fix_then_list_what_else_it_opens() -> None:
    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(100, 36)) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, *BLOCKED_5432, "t")
        await _until(pilot, lambda: app.state.whatif is not None and app.state.whatif.diff is not None, "the diff")
        await pilot.pause()
        text = screen_text(app)
        assert "⚑ what-if the suggested change" in text and "now BLOCKED → with the change ALLOWED" in text
        assert "✔ ALLOWED ⚑ with the change" in text
        await keys(pilot, ":", "changes", "enter")
        assert isinstance(app.screen, PaneScreen)
        assert "✗ blocked → ✔ allowed  shop → shop  5432/TCP  2" in screen_text(app)
        await keys(pilot, "enter")  # the group's flows
        assert "shop/cart → shop/db" in screen_text(app)
        await keys(pilot, "enter")  # explain the first
        assert not isinstance(app.screen, PaneScreen)
        assert app.connection.source is not None and app.connection.source.ref == "shop/cart"
        assert "now BLOCKED → with the change ALLOWED" in screen_text(app)
        await keys(pilot, ":", "whatif off", "enter")
        assert "⚑ what-if" not in screen_text(app) and "✗ BLOCKED" in screen_text(app)
