"""The explorer driven by real keys, as an on-call engineer would, asserting on what the screen shows.

GIVEN the demo cluster scoped to namespace shop, WHEN the keys of issue 4's flow are pressed, THEN the
verdict panel says ALLOWED naming test-network-policy for 6379 and BLOCKED with the reason for 5432.
"""

from __future__ import annotations

import pytest

from kubenet_tui.engine.explain import Status
from kubenet_tui.sources.demo import DemoSource
from kubenet_tui.sources.spec import SourceSpec
from kubenet_tui.ui.app import make_app
from kubenet_tui.ui.screens import HelpScreen, PodScreen, PolicyScreen, ServiceScreen
from kubenet_tui.ui.widgets.prompt import PromptBar
from tests.ui.fakes import FlakySource, GatedSource, PushingSource, screen_text
from tests.ui.helpers import ALLOWED_6379, BLOCKED_5432, DEMO_SHOP, PICK_FRONTEND_AND_DB, keys, wait_for_data

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


async def test_first_paint_shows_loading_before_data(gated: GatedSource) -> None:
    app = make_app(DEMO_SHOP, source=gated)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "◌ loading" in text
        assert "Loading bundled demo cluster" in text
        # The UI is alive while the source blocks: help opens and closes.
        await keys(pilot, "?")
        assert isinstance(app.screen, HelpScreen)
        await keys(pilot, "escape")
        gated.gate.set()
        await wait_for_data(pilot)
        text = screen_text(app)
        assert "◌ loading" not in text
        assert "frontend" in text and "● demo" in text


async def test_error_state_then_r_retries() -> None:
    source = FlakySource(failures=1)
    app = make_app(DEMO_SHOP, source=source)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        text = screen_text(app)
        assert "✗ error" in text
        assert "connection refused" in text
        assert "r retries" in text
        await keys(pilot, "r")
        await wait_for_data(pilot)
        text = screen_text(app)
        assert "✗ error" not in text and "frontend" in text
        assert source.loads == 2


async def test_watch_pushes_new_snapshot_and_verdict_follows() -> None:
    """A snapshot pushed from the watch thread re-evaluates the verdict at once, keeping the picks."""
    from dataclasses import replace

    source = PushingSource()
    cluster = source.snapshot.cluster
    # The pushed cluster lost test-network-policy: db is still isolated (allow-metrics-scrape), so 6379 blocks.
    pruned = replace(cluster, network_policies=tuple(p for p in cluster.network_policies
                                                     if p.name != "test-network-policy"))
    source.next = replace(source.snapshot, cluster=pruned)
    app = make_app(DEMO_SHOP, source=source)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        await keys(pilot, *ALLOWED_6379)
        assert app.evaluation is not None and app.evaluation.status is Status.ALLOWED
        source.push.set()
        for _ in range(50):
            await pilot.pause(0.05)
            if app.evaluation is not None and app.evaluation.status is Status.BLOCKED:
                break
        assert app.evaluation is not None and app.evaluation.status is Status.BLOCKED
        assert "✗ BLOCKED" in screen_text(app)


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


async def test_service_as_destination() -> None:
    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, "/", "frontend", "enter", "s", ":", "svc", "enter", "/", "db", "enter", "d")
        await keys(pilot, "p", "6379", "enter")
        text = screen_text(app)
        assert "✔ ALLOWED" in text and "svc/shop/db" in text
        assert "backend shop/db" in text
        # s on a Service refuses: a Service is never a source.
        await keys(pilot, "s")
        assert "cannot be a source" in screen_text(app)


async def test_port_errors_are_explained_without_leaving_the_flow() -> None:
    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, *PICK_FRONTEND_AND_DB, "p", "99999", "enter")
        assert "out of range" in screen_text(app)
        await keys(pilot, "p", "nosuch", "enter")
        text = screen_text(app)
        assert "no TCP port named 'nosuch'" in text
        await keys(pilot, "p", "redis", "enter")
        assert "✔ ALLOWED" in screen_text(app)


async def test_filter_by_label_and_escape_clears() -> None:
    app = make_app(SourceSpec(demo=True, all_namespaces=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, "/", "tier=api")
        pods = app.table("pods")
        shown = {pods.rows.key(i) for i in range(len(pods.rows))}
        assert shown == {"payments/api-6c5f7b-2xkqp", "payments/api-6c5f7b-9wzrt", "shop/cart"}
        await keys(pilot, "enter")
        assert pods.has_focus and pods.cursor == 0
        assert "/tier=api" in screen_text(app)
        await keys(pilot, "escape")
        assert len(pods.rows) == 17 - 2 or len(pods.rows) > 3
        assert "/tier=api" not in screen_text(app)


async def test_command_line_switches_views_and_namespaces() -> None:
    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, ":", "policies", "enter")
        assert app.view == "policies" and app.table("policies").has_focus
        assert "test-network-policy" in screen_text(app)
        await keys(pilot, ":", "ns payments", "enter")
        assert app.scope == "payments"
        assert "default-deny-all" in screen_text(app)
        await keys(pilot, ":", "svc", "enter")
        assert app.view == "services" and "ledger" in screen_text(app)
        await keys(pilot, ":", "pods", "enter")
        assert app.view == "pods" and "ledger-0" in screen_text(app)
        await keys(pilot, ":", "ns nope", "enter")
        assert "no namespace nope" in screen_text(app)
        await keys(pilot, ":", "ctx prod", "enter")
        assert "only be switched on a live cluster" in screen_text(app)
        await keys(pilot, ":", "ns all", "enter")
        assert app.scope is None


async def test_ctx_switches_source_when_live() -> None:
    switched: list[str] = []

    def switch(spec: SourceSpec) -> DemoSource:
        switched.append(spec.context or "")
        return DemoSource()

    app = make_app(SourceSpec(context="prod", namespaces=("shop",)), source=DemoSource(), source_factory=switch, contexts=("prod", "staging"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, ":", "ctx staging", "enter")
        await wait_for_data(pilot)
        assert switched == ["staging"]
        assert "ctx staging" in screen_text(app) or "ctx demo" in screen_text(app)


async def test_tab_cycles_panes_and_narrow_namespaces_pane_opens() -> None:
    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        assert app.table("pods").has_focus
        await keys(pilot, "tab")
        assert app.view == "policies" and app.table("policies").has_focus
        await keys(pilot, "tab")
        assert app.view == "services"
        await keys(pilot, "tab")  # no verdict yet: on to namespaces
        await pilot.pause()
        assert app.table("namespaces").has_focus
        assert "NAMESPACE" in screen_text(app)
        await keys(pilot, "down")  # the cursor scopes the other panes
        assert app.scope == "vault"
        await keys(pilot, "enter")
        assert app.table("services").has_focus
        assert "NAMESPACE" not in screen_text(app)  # the narrow pane steps aside again


async def test_enter_opens_details_and_escape_returns() -> None:
    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, "/", "db", "enter", "enter")
        assert isinstance(app.screen, PodScreen)
        text = screen_text(app)
        assert "isolated by shop/allow-metrics-scrape" in text and "egress            isolated by shop/test-network-policy" in text
        await keys(pilot, "escape")
        await keys(pilot, ":", "policies", "enter", "/", "test", "enter", "enter")
        assert isinstance(app.screen, PolicyScreen)
        text = screen_text(app)
        assert "podSelector:" in text and "selects 1 pod: db" in text
        await keys(pilot, "c")
        assert "name: test-network-policy" in app.clipboard
        await keys(pilot, "escape", ":", "svc", "enter", "/", "db", "enter", "enter")
        assert isinstance(app.screen, ServiceScreen)
        await keys(pilot, "d")
        assert app.connection.destination is not None and app.connection.destination.label == "svc/shop/db"


async def test_verdict_tree_enter_opens_yaml_with_deciding_rule_highlighted() -> None:
    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, *ALLOWED_6379, "v", "enter")
        assert isinstance(app.screen, PolicyScreen)
        text = screen_text(app)
        assert "deciding rule ingress[0]" in text
        # The rule is marked │ and the matching peer and port ▶, readable without colour.
        assert "▶     - namespaceSelector:" in text
        assert "│   - from:" in text


async def test_blocked_tree_starts_on_the_rule_to_fix() -> None:
    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, *BLOCKED_5432, "v")
        text = screen_text(app)
        assert "ingress[0]: the peer matches but no port does" in text
        await keys(pilot, "enter")
        assert isinstance(app.screen, PolicyScreen)
        assert app.screen.item.name == "test-network-policy"


async def test_copy_puts_the_explanation_on_the_clipboard() -> None:
    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, "c")
        assert "nothing to copy" in screen_text(app)
        await keys(pilot, *BLOCKED_5432, "c")
        assert app.clipboard.startswith("✗ BLOCKED")
        assert "test-network-policy" in app.clipboard
        assert "copied the explanation" in screen_text(app)


async def test_help_lists_every_binding() -> None:
    from kubenet_tui.ui.keys import HELP

    documented = " ".join(doc.keys for _, docs in HELP for doc in docs)
    for binding in app_bindings():
        for key in binding.split(","):
            shown = {"slash": "/", "colon": ":", "question_mark": "?", "escape": "esc"}.get(key, key)
            assert shown in documented.split() or shown in documented, f"{key} missing from help"
    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, "?")
        assert isinstance(app.screen, HelpScreen)
        assert "mark the pod under the cursor as the source" in screen_text(app)
        await keys(pilot, "escape")
        assert not isinstance(app.screen, HelpScreen)


def app_bindings() -> list[str]:
    from textual.binding import Binding

    from kubenet_tui.ui.app import KubenetApp

    return [b.key for b in KubenetApp.BINDINGS if isinstance(b, Binding)]


async def test_zoom_and_escape() -> None:
    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, *BLOCKED_5432, "v", "z")
        assert app.screen.maximized is not None
        await keys(pilot, "escape")
        assert app.screen.maximized is None


async def test_prompt_escape_cancels_and_keys_do_not_leak() -> None:
    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, ":", "q")  # q typed in the prompt must not quit
        assert app.is_running and app.query_one(PromptBar).is_open
        await keys(pilot, "escape")
        assert not app.query_one(PromptBar).is_open and app.table("pods").has_focus


async def test_no_color_still_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(DEMO_SHOP)
    assert app.no_color
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, *BLOCKED_5432)
        text = screen_text(app)
        assert "✗ BLOCKED" in text and "✔ egress" in text


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


async def test_command_palette_lists_actions_and_letters_type_into_it() -> None:
    from textual.command import CommandPalette

    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await keys(pilot, "quit", "?", "show policies")  # q and ? type here, they do not quit or help
        assert app.is_running and isinstance(app.screen, CommandPalette)
        await keys(pilot, "escape", "ctrl+p", "show policies")
        await pilot.pause(0.3)
        await keys(pilot, "enter")
        assert app.view == "policies"


async def test_problems_are_counted_and_listed(tmp_path: object) -> None:
    from pathlib import Path

    from kubenet_tui.ui.screens import ProblemsScreen

    manifest = Path(str(tmp_path)) / "bad.yaml"
    manifest.write_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad, namespace: x}\n"
        "spec:\n  podSelector: {matchExpressions: [{key: a, operator: Foo}]}\n"
    )
    app = make_app(SourceSpec(files=(str(manifest),)))
    async with app.run_test(size=(100, 24)) as pilot:
        await wait_for_data(pilot)
        assert "⚠ 1 problem" in screen_text(app)
        await keys(pilot, ":", "problems", "enter")
        assert isinstance(app.screen, ProblemsScreen)
        assert "unknown operator 'Foo'" in screen_text(app)


async def test_pending_destination_is_not_evaluated() -> None:
    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, "/", "frontend", "enter", "s", "/", "pending", "enter", "d")
        text = screen_text(app)
        assert "- NOT EVALUATED" in text and "has no IP address yet" in text
