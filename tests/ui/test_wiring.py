"""The app carries out what the state asks: screens, clipboard, zoom, the narrow namespaces pane, quitting.
The state's decisions are tested without Textual (test_state_explorer.py); here each effect is checked
once against the real app, with keys sent in bursts (a fraction of the pilot's per-key cost)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubenet_tui.sources.spec import SourceSpec
from kubenet_tui.ui.app import KubenetApp, make_app
from kubenet_tui.ui.screens import HelpScreen, PodScreen, PolicyScreen, ProblemsScreen, ServiceScreen
from kubenet_tui.ui.widgets.prompt import PromptBar
from tests.ui.helpers import BLOCKED_5432, DEMO_SHOP, burst, painted, wait_for_data


async def test_screens_clipboard_zoom_and_the_narrow_namespaces_pane() -> None:
    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        # 80 columns: the namespaces pane shows only while it is used.
        assert "NAMESPACE" not in await painted(pilot)
        await burst(pilot, "shift+tab")
        assert app.focused is app.table("namespaces") and "NAMESPACE" in await painted(pilot)
        await burst(pilot, "tab")
        assert app.focused is app.table("pods") and "NAMESPACE" not in await painted(pilot)

        # enter on a row: its details; esc: back where we were.
        await burst(pilot, "/db", "enter", "enter")
        assert isinstance(app.screen, PodScreen)
        text = await painted(pilot)
        assert "isolated by shop/allow-metrics-scrape" in text
        assert "egress            isolated by shop/test-network-policy" in text
        await burst(pilot, "escape")
        assert not isinstance(app.screen, PodScreen) and app.focused is app.table("pods")
        await burst(pilot, ":policies", "enter", "/test", "enter", "enter")
        assert isinstance(app.screen, PolicyScreen)
        text = await painted(pilot)
        assert "podSelector:" in text and "selects 1 pod: db" in text
        await burst(pilot, "c")
        assert "name: test-network-policy" in app.clipboard
        await burst(pilot, "escape")
        await burst(pilot, ":svc", "enter", "/db", "enter", "enter")
        assert isinstance(app.screen, ServiceScreen)
        await burst(pilot, "escape")
        await burst(pilot, ":pods", "enter", "escape")

        # The verdict: copy, zoom, and enter on the rule to fix opens its policy's YAML.
        await burst(pilot, *BLOCKED_5432, "c")
        assert app.clipboard.startswith("✗ BLOCKED") and "test-network-policy" in app.clipboard
        assert "copied the explanation" in await painted(pilot)
        await burst(pilot, "v", "z")
        assert app.screen.maximized is not None
        await burst(pilot, "escape")
        assert app.screen.maximized is None
        await burst(pilot, "enter")
        assert isinstance(app.screen, PolicyScreen) and app.screen.item.name == "test-network-policy"
        assert app.screen.link is not None and app.screen.link.rule is not None
        await burst(pilot, "escape")
        # Allowed: enter on the deciding rule marks it │ and its matching peer and port ▶ (no colour needed).
        await burst(pilot, "p", "6379", "enter", "v")
        await burst(pilot, "enter")
        assert isinstance(app.screen, PolicyScreen)
        text = await painted(pilot)
        assert "deciding rule ingress[0]" in text
        assert "▶     - namespaceSelector:" in text and "│   - from:" in text
        await burst(pilot, "escape")
        await burst(pilot, "?")
        assert isinstance(app.screen, HelpScreen)
        assert "mark the pod under the cursor as the source" in await painted(pilot)
        await burst(pilot, "escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_prompt_keys_stay_in_the_prompt_and_escape_returns() -> None:
    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await burst(pilot, ":", "q")  # q typed in the prompt must not quit: it is a letter there
        assert app.is_running and app.query_one(PromptBar).is_open
        assert app.query_one(PromptBar).input.value == "q"
        await burst(pilot, "escape")
        assert not app.query_one(PromptBar).is_open and app.focused is app.table("pods")


async def test_problems_are_counted_and_listed(tmp_path: Path) -> None:
    manifest = tmp_path / "bad.yaml"
    manifest.write_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad, namespace: x}\n"
        "spec:\n  podSelector: {matchExpressions: [{key: a, operator: Foo}]}\n"
    )
    app = make_app(SourceSpec(files=(str(manifest),)))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        assert "⚠ 1 problem" in await painted(pilot)  # at 80 columns too
        await burst(pilot, ":problems", "enter")
        assert isinstance(app.screen, ProblemsScreen)
        assert "unknown operator 'Foo'" in await painted(pilot)


QUIT_FROM = {
    "help": ("?",),
    "details": ("enter",),
    "prompt": ("/", "fr"),
    "palette": ("ctrl+p",),
}


@pytest.mark.parametrize(("where", "key"), [("help", "q"), ("details", "q"), ("prompt", "ctrl+c"),
                                            ("palette", "ctrl+c")])
async def test_q_and_ctrl_c_quit_from_every_screen(where: str, key: str) -> None:
    """Issue 9: q and ctrl+c behave the same on every screen (q used to close the help, ctrl+c did nothing
    there nor in a prompt). In a text field q is a letter, typed; ctrl+c still quits."""
    app = make_app(DEMO_SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await burst(pilot, *QUIT_FROM[where])
        await burst(pilot, key)
        assert not app.is_running
    assert app.return_code == 0


def test_the_app_class_keeps_its_key_table_in_the_help() -> None:
    from textual.binding import Binding

    from kubenet_tui.ui.keys import HELP

    documented = " ".join(doc.keys for _, docs in HELP for doc in docs)
    for binding in KubenetApp.BINDINGS:
        assert isinstance(binding, Binding)
        for key in binding.key.split(","):
            shown = {"slash": "/", "colon": ":", "question_mark": "?", "escape": "esc"}.get(key, key)
            assert shown in documented.split() or shown in documented, f"{key} missing from help"
