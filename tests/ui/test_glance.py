"""The heatmap (`m`, `:map`), lint (`:lint`), flows (`:flows FILE`) and plugin (`:cni`) in the explorer.

The commands as a state machine first (no terminal, milliseconds), the Flows pane's model alone, then
the walks a person makes under Textual's pilot: a heatmap cell down to one explained pair, a lint
finding opened at its YAML, a flow chosen by filter and explained.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from kubenet_tui.engine.ends import PortSpec
from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.model import Protocol
from kubenet_tui.engine.profiles import Profile
from kubenet_tui.sources.demo import DemoSource
from kubenet_tui.sources.flows import open_flows
from kubenet_tui.ui.app import make_app
from kubenet_tui.ui.glance import FlowsScreen, LintScreen, MapScreen, ReportScreen
from kubenet_tui.ui.panes.flows_view import ChooseFlow, FlowsPane, FlowsSession, batches
from kubenet_tui.ui.panes.report_view import AskQuestion, ScopeNamespace, coverage_report, exposure_report
from kubenet_tui.ui.screens import PolicyScreen
from kubenet_tui.ui.state.effects import ShowFlows, ShowLint, ShowMap, ShowReport, UseSource
from kubenet_tui.ui.state.focus import Pane
from tests.ui.fakes import screen_text
from tests.ui.helpers import ALLOWED_6379, DEMO_SHOP, keys, wait_for_data
from tests.ui.statekit import loaded, press

HUBBLE = Path(__file__).parents[1] / "flows" / "samples" / "hubble.jsonl"


# --- the commands, as a state machine -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "port"),
    [
        ("map", PortSpec(None, Protocol.TCP)),
        ("map 8080", PortSpec("8080", None)),
        ("heatmap 53/udp", PortSpec("53", Protocol.UDP)),
        ("map http", PortSpec("http", None)),
    ],
)
def test_map_asks_for_the_heatmap_on_a_port(typed: str, port: PortSpec) -> None:
    state = loaded()
    effects = press(state, ":", typed, "enter")
    assert effects == [ShowMap(port)]


def test_m_takes_the_port_being_asked_about() -> None:
    state = loaded()
    press(state, *ALLOWED_6379)
    assert press(state, "m") == [ShowMap(PortSpec("6379", Protocol.TCP))]


def test_lint_and_flows_commands() -> None:
    state = loaded()
    assert press(state, ":", "lint", "enter") == [ShowLint()]
    press(state, ":", "flows", "enter")
    assert state.flash.message is not None and "no flow log read yet" in state.flash.message.line
    press(state, ":", "flows -", "enter")
    assert state.flash.message is not None and "named pipe" in state.flash.message.line
    assert press(state, ":", "flows /tmp/x.jsonl", "enter") == [ShowFlows("/tmp/x.jsonl")]
    assert press(state, ":", "flows", "enter") == [ShowFlows(None)]  # the one read last, again


def test_coverage_and_exposure_commands_cover_the_scope() -> None:
    state = loaded()
    assert press(state, ":", "coverage", "enter") == [ShowReport("coverage", namespace=state.scope)]
    assert press(state, ":", "exposure", "enter") == [ShowReport("exposure", namespace=state.scope)]
    assert press(state, ":", "exposure all", "enter") == [ShowReport("exposure", True, state.scope)]
    assert press(state, ":", "exposure everything", "enter") == []
    assert state.flash.message is not None and "no argument but all" in state.flash.message.line


def test_the_exposure_report_explains_a_row_from_an_address_it_lets_in() -> None:
    from kubenet_tui.engine.exposure import exposure

    cluster = DemoSource().load().cluster
    view = exposure_report(exposure(cluster, [p for p in cluster.pods if p.namespace == "shop"]))
    lines = view.lines(80, 10)
    assert all(len(line) <= 80 for line in lines)
    # Prose wraps (nothing of it lost at 80 columns); the table's rows are cut, never wrapped.
    assert lines[0].startswith("  Exposure") and lines[1].startswith("    ") and "::/0" in lines[1]
    # The table narrowed for a pane: verdicts first, then the port and the pod; the row in full at the foot.
    assert lines[2].split() == ["outside", "every", "ns", "port", "pod"]
    assert lines[3].split() == [">", "◐", "some", "◐", "some", "6379/TCP", "(redis)", "shop/db"]
    assert lines[-3].startswith("shop/db 6379/TCP (redis): from outside ◐ some: 172.17.0.0/24")
    assert lines[-1].startswith("↑↓ move · enter explains it from outside")
    # 172.17.0.0/24 is the first range the db's policy lets in: its first address asks it.
    assert view.key("enter") == AskQuestion("172.17.0.1", "shop/db", PortSpec("6379", Protocol.TCP))
    assert view.key("down") is None and view.cursor == 2  # the only row that leads anywhere


def test_a_namespaces_coverage_is_the_same_picked_from_the_whole_clusters() -> None:
    """`:coverage` reuses the coverage the ISO column was worked out from, narrowed to the namespace in view."""
    from kubenet_tui.engine.coverage import Coverage, coverage

    cluster = DemoSource().load().cluster
    whole = coverage(cluster)
    for ns in whole.namespaces:
        alone = coverage(cluster, [p for p in cluster.pods if p.namespace == ns.namespace])
        assert alone == Coverage((ns,))


def test_the_coverage_report_moves_between_namespaces_only() -> None:
    from kubenet_tui.engine.coverage import coverage

    view = coverage_report(coverage(DemoSource().load().cluster))
    assert view.key("enter") == ScopeNamespace("ingress-nginx")
    view.key("G")
    assert view.key("enter") == ScopeNamespace("vault")  # not the overall line after it
    view.key("up")
    assert view.key("enter") == ScopeNamespace("shop")
    assert any(line.startswith("> shop ") for line in view.lines(120, 30))


def test_cni_says_what_was_found_and_changes_the_reading() -> None:
    state = loaded()
    assert "cni calico" in state.header_info().cni
    press(state, ":", "cni", "enter")
    assert state.flash.message is not None and "policies read as calico" in state.flash.message.line
    effects = press(state, ":", "cni cilium", "enter")
    assert len(effects) == 1 and isinstance(effects[0], UseSource)
    assert effects[0].spec.profile is Profile.CILIUM and not effects[0].login
    press(state, ":", "cni bogus", "enter")
    assert state.flash.message is not None and "unknown reading 'bogus'" in state.flash.message.line


def test_a_chosen_pair_is_asked_and_shown() -> None:
    state = loaded()
    state.choose_pair("shop/frontend", "shop/db", "6379/tcp")
    assert state.evaluation is not None and state.evaluation.status is Status.ALLOWED
    assert state.focus.current is Pane.VERDICT
    state.choose_pair("shop/frontend", "shop/db", "tcp")  # the heatmap's any TCP port: which ports
    assert state.connection.port == PortSpec(None, Protocol.TCP)


def test_a_chosen_flow_that_names_a_pod_not_in_the_snapshot_keeps_what_was_set() -> None:
    state = loaded()
    state.choose_flow(None, "shop/db", "6379/tcp", "the source shop/gone is not in the snapshot")
    assert state.connection.source is None and state.connection.destination is not None
    assert state.flash.message is not None and "shop/gone is not in the snapshot" in state.flash.message.line


# --- the Flows pane's model -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def flows_pane() -> Callable[[], FlowsPane]:
    cluster = DemoSource().load().cluster
    session = FlowsSession(cluster)
    with open_flows(str(HUBBLE)) as stream:
        for batch in batches(stream):
            session.feed(batch)
    session.finish()
    view = session.view()
    return lambda: FlowsPane(view)


def test_the_flows_pane_moves_filters_and_chooses(flows_pane: Callable[[], FlowsPane]) -> None:
    pane = flows_pane()
    assert len(pane.rows) == 13 and pane.rows[0].mark == "✗"
    pane.key("j")
    pane.key("G")
    assert pane.row == 12
    pane.key("slash")
    assert pane.typing and pane.handles("q")  # letters are the filter's now
    for ch in "grafana":
        pane.key(ch, ch)
    pane.key("enter")
    assert not pane.typing and pane.filter == "grafana"
    assert all("grafana" in row.source for row in pane.rows) and pane.row == 0
    chosen = pane.key("enter")
    assert isinstance(chosen, ChooseFlow)
    assert chosen.selection.source == "monitoring/grafana-5b7c9-x2x8d" and chosen.selection.port is not None
    pane.key("slash")
    pane.key("escape")
    assert pane.filter == "" and len(pane.rows) == 13


def test_the_flows_pane_fits_80_columns_and_says_what_is_under_the_cursor(
        flows_pane: Callable[[], FlowsPane]) -> None:
    pane = flows_pane()
    lines = pane.lines(80, 24)
    assert len(lines) == 24 and all(len(line) <= 80 for line in lines)
    assert lines[0].startswith("Flows: 23 lines, 13 classes")
    assert "SOURCE" in lines[1] and "TIME" not in lines[1]  # below 100 columns the names get the room
    assert lines[-2].startswith("✗ disagrees: shop/cart → shop/db 6379/TCP")
    assert "TIME" in pane.lines(120, 24)[1]
    ascii_lines = pane.lines(80, 24, unicode=False)
    assert all(line.isascii() for line in ascii_lines)


def test_a_newer_view_keeps_the_cursor_on_its_flow(flows_pane: Callable[[], FlowsPane]) -> None:
    pane = flows_pane()
    pane.key("j")
    pane.key("j")
    chosen = pane.current()
    assert chosen is not None and pane.view is not None
    pane.update(pane.view)
    assert pane.current() is chosen


# --- the walks, under the pilot -------------------------------------------------------------------------


async def until(pilot: Pilot[int], done: Callable[[], bool], what: str) -> None:
    """Wait (in real time: a worker thread computes) until `done()`; at most ten seconds."""
    for _ in range(400):
        if done():
            return
        await asyncio.sleep(0.025)
        await pilot.pause()
    raise AssertionError(f"timed out waiting for {what}")


async def test_heatmap_down_to_one_explained_pair() -> None:
    """GIVEN the demo WHEN m, then enter on shop→shop, then enter on a pod pair THEN the verdict of that
    pair is shown, on the heatmap's port."""
    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, *ALLOWED_6379)
        await keys(pilot, "m")
        screen = app.screen
        assert isinstance(screen, MapScreen)
        await until(pilot, lambda: screen.view is not None, "the heatmap")
        text = screen_text(app)
        assert "Namespaces on 6379/TCP" in text and "✔ all  ◐ some  ✗ none  ? unknown" in text
        assert "shop -> shop:" in text  # the cursor starts on the question's namespaces
        await keys(pilot, "enter")
        assert "shop → shop on 6379/TCP" in screen_text(app)
        await keys(pilot, "escape")  # back to the namespaces, not out
        assert isinstance(app.screen, MapScreen) and "Namespaces on" in screen_text(app)
        await keys(pilot, "enter", "j", "enter")
        assert not isinstance(app.screen, MapScreen)
        assert app.connection.port.label == "6379/TCP"
        assert app.evaluation is not None and app.evaluation.status is not None
        source, destination = app.connection.source, app.connection.destination
        assert source is not None and destination is not None
        assert f"{source.ref} → {destination.ref}" in screen_text(app)


async def test_a_lint_finding_opens_its_policy_at_the_finding() -> None:
    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, ":", "lint", "enter")
        screen = app.screen
        assert isinstance(screen, LintScreen)
        await until(pilot, lambda: screen.pane.model is not None, "the findings")
        assert "egress-deny-without-dns" in screen_text(app)
        await keys(pilot, "enter")
        policy = app.screen
        assert isinstance(policy, PolicyScreen) and policy.rule_lines is not None
        assert "test-network-policy" in screen_text(app) and "the finding is at spec.egress" in screen_text(app)


async def test_an_exposed_port_explained_from_outside() -> None:
    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, ":", "exposure", "enter")
        screen = app.screen
        assert isinstance(screen, ReportScreen)
        await until(pilot, lambda: screen.pane.model is not None, "the report")
        assert "Exposure · pod ports open from outside" in screen_text(app)
        assert "> ◐ some     ◐ some     6379/TCP (redis)  shop/db" in screen_text(app)
        await keys(pilot, "enter")
        assert not isinstance(app.screen, ReportScreen)
        assert app.connection.source is not None and app.connection.source.ref == "172.17.0.1"
        await until(pilot, lambda: "ALLOWED" in screen_text(app), "the verdict")
        assert "172.17.0.1 → shop/db" in screen_text(app)


async def test_a_flow_log_filtered_and_one_flow_explained(tmp_path: Path) -> None:
    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, ":", f"flows {tmp_path / 'missing.jsonl'}", "enter")
        assert "no such file, cannot read the flow log" in screen_text(app)
        await keys(pilot, ":", f"flows {HUBBLE}", "enter")
        screen = app.screen
        assert isinstance(screen, FlowsScreen)
        await until(pilot, lambda: screen.model.view is not None and screen.model.view.done, "the flows")
        assert "13 classes" in screen_text(app)
        await keys(pilot, "/", "grafana", "enter")  # q and ? would quit and help outside the filter
        assert "/grafana ·" in screen_text(app)
        await keys(pilot, "enter")
        assert not isinstance(app.screen, FlowsScreen)
        assert app.connection.source is not None and app.connection.source.ref == "monitoring/grafana-5b7c9-x2x8d"
        assert app.evaluation is not None and app.evaluation.status is Status.BLOCKED
        await keys(pilot, ":", "flows", "enter")  # the same pane again, filter kept
        assert isinstance(app.screen, FlowsScreen) and "/grafana ·" in screen_text(app)
