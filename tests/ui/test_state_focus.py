"""The focus ring: tab order, the verdict only once there is one, and where focus returns after a prompt."""

from __future__ import annotations

from kubenet_tui.ui.state.focus import FocusRing, Pane


def test_tab_walks_the_ring_and_shows_the_resource_tables() -> None:
    ring = FocusRing()
    seen = []
    for _ in range(5):
        ring.focus(ring.step(1, has_verdict=False))
        seen.append(ring.current)
    assert seen == [Pane.POLICIES, Pane.SERVICES, Pane.NAMESPACES, Pane.PODS, Pane.POLICIES]
    assert ring.view is Pane.POLICIES
    ring.focus(Pane.SERVICES)
    assert ring.step(1, has_verdict=True) is Pane.VERDICT
    assert ring.step(-1, has_verdict=False) is Pane.POLICIES


def test_the_namespaces_pane_is_open_while_used_and_the_prompt_returns_focus() -> None:
    ring = FocusRing()
    ring.focus(Pane.NAMESPACES)
    assert ring.namespaces_open and ring.view is Pane.PODS
    ring.leave_for_prompt()  # `/` on the namespaces pane: it stays open while its filter is typed
    assert ring.current is None and ring.namespaces_open
    assert ring.back_from_prompt(None, has_verdict=False) is Pane.NAMESPACES
    ring.focus(Pane.VERDICT)
    ring.leave_for_prompt()
    # The verdict went away meanwhile (:clear): back to the table shown.
    assert ring.back_from_prompt(None, has_verdict=False) is Pane.PODS
    assert not ring.namespaces_open
