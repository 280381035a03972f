"""The focus ring: which pane has the keyboard, which resource table is shown, which pane is zoomed, and
where focus goes back to when a prompt closes. Tab walks the ring; the verdict is in it only once there
is one."""

from __future__ import annotations

from enum import StrEnum


class Pane(StrEnum):
    NAMESPACES = "namespaces"
    PODS = "pods"
    POLICIES = "policies"
    SERVICES = "services"
    VERDICT = "verdict"


VIEWS = (Pane.PODS, Pane.POLICIES, Pane.SERVICES)
TABLES = (Pane.NAMESPACES, *VIEWS)
RING = (Pane.NAMESPACES, *VIEWS, Pane.VERDICT)
VIEW_TITLES = {Pane.PODS: "Pods", Pane.POLICIES: "Policies", Pane.SERVICES: "Services"}


class FocusRing:
    def __init__(self) -> None:
        self.current: Pane | None = Pane.PODS  # None: the keyboard is elsewhere (the prompt, a field)
        self.view: Pane = Pane.PODS  # the resource table shown beside the namespaces
        self.zoomed: Pane | None = None
        self.restore: Pane | None = None  # where focus returns when the prompt closes

    def panes(self, has_verdict: bool) -> list[Pane]:
        return [p for p in RING if p is not Pane.VERDICT or has_verdict]

    def focus(self, pane: Pane) -> None:
        """Put the keyboard on `pane`; a resource table is also shown."""
        if pane in VIEWS:
            self.view = pane
        self.current = pane

    def step(self, step: int, has_verdict: bool) -> Pane:
        """The pane `step` places along the ring from the focused one (or the shown table)."""
        panes = self.panes(has_verdict)
        here = self.current or self.view
        position = panes.index(here) if here in panes else 0
        return panes[(position + step) % len(panes)]

    def leave_for_prompt(self) -> None:
        self.restore = self.current
        self.current = None

    def back_from_prompt(self, pane: Pane | None, has_verdict: bool) -> Pane:
        """Where focus goes when the prompt closes: `pane` if given, else where it was, else the table."""
        target = pane or self.restore or self.view
        if target is Pane.VERDICT and not has_verdict:
            target = self.view
        self.restore = None
        self.focus(target)
        return target

    @property
    def namespaces_open(self) -> bool:
        """Narrow terminals show the namespaces pane only while it is being used."""
        return Pane.NAMESPACES in (self.current, self.restore)
