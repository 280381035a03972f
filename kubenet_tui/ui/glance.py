"""Full-screen panes drawn from the Textual-free pane models (`ui/panes`): the namespace heatmap
(`:map`), the lint findings (`:lint`) and a flow log (`:flows FILE`).

Each model draws itself as lines at a size (`lines(width, height, unicode)`) and takes key names
(`key(name)`), returning an effect when the explorer must act (explain a pair, open a policy). Here
only what Textual must do: draw the lines with colour for their symbols, pass keys, compute in a
worker what may take a while, and post the effects to the app.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.ends import PortSpec
from kubenet_tui.engine.model import Protocol as IPProtocol
from kubenet_tui.ui.panes.cursor import MOVES

if TYPE_CHECKING:
    from kubenet_tui.engine.coverage import Coverage
    from kubenet_tui.engine.heatmap import Heatmap
    from kubenet_tui.ui.panes.flows_view import FlowsPane, FlowsSession

# Colour for the symbols the models draw: the symbols carry the meaning, colour only helps.
SYMBOL_STYLES = (
    (re.compile(r"[✔+](?=[ ░▒▓█.:#@]|$)"), "green"),
    (re.compile(r"[✗x](?=[ ░▒▓█.:#@]|$)"), "red"),
    (re.compile(r"[◐~](?=[ ░▒▓█.:#@]|$)"), "yellow"),
    (re.compile(r"\?(?=[ ░▒▓█.:#@]|$)"), "magenta"),
    (re.compile(r"[░▒▓█]"), "green"),
    (re.compile(r"⚠"), "yellow"),
)
CURSOR = re.compile(r">+")


class PaneModel(Protocol):
    def lines(self, width: int, height: int, unicode: bool = True) -> list[str]: ...


class PaneEffect(Message):
    """A pane model asked the explorer to act (an effect of the model's own kind)."""

    def __init__(self, effect: object) -> None:
        super().__init__()
        self.effect = effect


class LinesPane(Widget, can_focus=True):
    """Draws a pane model's lines and hands it the keys it takes (`takes(name)`); the others go on to
    the screen and the app (esc back, q quit, ? help)."""

    DEFAULT_CSS = """
    LinesPane { height: 1fr; width: 1fr; }
    """

    def __init__(self, model: PaneModel | None, takes: Callable[[str], bool], *, unicode: bool = True,
                 waiting: str = "", id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = model
        self.takes = takes
        self.unicode = unicode
        self.waiting = waiting  # shown while there is no model yet (it is being computed)

    @property
    def typing(self) -> bool:
        """Letters are text (a filter being typed): q and ? must not act."""
        return bool(getattr(self.model, "typing", False))

    def show(self, model: PaneModel) -> None:
        self.model = model
        self.refresh()

    def render(self) -> Text:
        if self.model is None:
            return Text(self.waiting, style="dim")
        width, height = self.size.width, self.size.height
        text = Text(no_wrap=True, overflow="crop")
        for k, line in enumerate(self.model.lines(width, height, self.unicode)):
            row = Text(line)
            for pattern, style in SYMBOL_STYLES:
                row.highlight_regex(pattern, style)
            row.highlight_regex(CURSOR, "bold reverse")
            if k:
                text.append("\n")
            text.append_text(row)
        return text

    def on_key(self, event: events.Key) -> None:
        model = self.model
        if model is None or not self.takes(event.key):
            return
        event.stop()
        event.prevent_default()
        key: Callable[..., object] = model.key  # type: ignore[attr-defined]
        # A pane with a text filter takes the typed character too.
        effect = key(event.key, event.character) if getattr(model, "wants_characters", False) else key(event.key)
        self.refresh()
        if effect is not None:
            self.post_message(PaneEffect(effect))


class PaneScreen(Screen[None]):
    """A title line, one pane, the footer; esc goes back unless the pane takes it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back", show=True)]

    def __init__(self, title: str, pane: LinesPane) -> None:
        super().__init__()
        self.title_text = title
        self.pane = pane

    def compose(self) -> ComposeResult:
        yield Static(Text(self.title_text, style="bold"), id="detail-title")
        yield self.pane
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.pane.focus()

    def set_title(self, title: str) -> None:
        self.title_text = title
        if self.is_mounted:
            self.query_one("#detail-title", Static).update(Text(title, style="bold"))


# -- the heatmap ------------------------------------------------------------------------------------------

_MOVE_KEYS = frozenset({"up", "down", "left", "right", "h", "j", "k", "l", "pageup", "pagedown", "home", "end",
                        "g", "G", "enter"})


class MapScreen(PaneScreen):
    """`:map`: computed in a worker (pod classes: a second or two at 50k pods), then the heatmap."""

    def __init__(self, cluster: Cluster, port: PortSpec, place: tuple[str, str] | None, unicode: bool) -> None:
        self.cluster = cluster
        self.port = port
        self.place = place
        self.view: Any = None  # a HeatmapView once computed
        pane = LinesPane(None, self._takes, unicode=unicode, id="glance-body",
                         waiting=f"adding up the allowed pod pairs per namespace pair on {port.label}…")
        super().__init__(f"Namespace heatmap · {port.label}", pane)

    def _takes(self, name: str) -> bool:
        view = self.view
        return view is not None and (name in _MOVE_KEYS or (name == "escape" and view.grid is not None))

    def on_mount(self) -> None:
        super().on_mount()
        self.compute()

    @work(thread=True, exclusive=True, group="heatmap", exit_on_error=False)
    def compute(self) -> None:
        from kubenet_tui.engine.heatmap import namespace_heatmap  # numpy: imported when first needed
        from kubenet_tui.engine.matrix import matrix_pods

        port = self.port
        number, name = (None, None)
        if port.text is not None:
            number, name = (int(port.text), None) if port.text.isdigit() else (None, port.text)
        pods = matrix_pods(self.cluster)
        started = time.perf_counter()
        heatmap = namespace_heatmap(self.cluster, pods, port.protocol or IPProtocol.TCP, number, name)
        elapsed = time.perf_counter() - started
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._ready, heatmap, len(pods), elapsed)

    def _ready(self, heatmap: Heatmap, pods: int, elapsed: float) -> None:
        from kubenet_tui.ui.panes.heatmap_view import HeatmapView

        self.view = HeatmapView(heatmap)
        if self.place is not None:
            self.view.place(*self.place)
        took = f" ({elapsed:.1f} s)" if elapsed >= 1 else ""  # worth saying only when it was felt
        self.set_title(f"Namespace heatmap · {self.port.label} · {len(heatmap.namespaces):,} namespaces, "
                       f"{pods:,} pods{took}")
        self.pane.show(self.view)


# -- lint --------------------------------------------------------------------------------------------------

_LINT_KEYS = MOVES | {"e", "w", "a", "enter"}


class LintScreen(PaneScreen):
    def __init__(self, cluster: Cluster, unicode: bool) -> None:
        self.cluster = cluster
        pane = LinesPane(None, lambda name: name in _LINT_KEYS and self.pane.model is not None, unicode=unicode,
                         id="glance-body", waiting="reading the policies for findings…")
        super().__init__("Lint · findings in the policies", pane)

    def on_mount(self) -> None:
        super().on_mount()
        self.compute()

    @work(thread=True, exclusive=True, group="lint", exit_on_error=False)
    def compute(self) -> None:
        from kubenet_tui.engine.lint import lint
        from kubenet_tui.ui.panes.lint_view import LintView

        found = lint(self.cluster)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.pane.show, LintView(found))


# -- coverage and exposure --------------------------------------------------------------------------------

_REPORT_KEYS = MOVES | {"enter"}
_REPORT_TITLES = {
    "coverage": ("Coverage · which pods policies isolate", "working out which pods policies isolate…"),
    "exposure": ("Exposure · pod ports open from outside or to every namespace",
                 "working out what each pod lets in (a pod port at a time: seconds on a large cluster)…"),
}


class ReportScreen(PaneScreen):
    """`:coverage` and `:exposure`: the commands' reports, computed in a worker, enter on a row acts."""

    def __init__(self, cluster: Cluster, kind: str, every_port: bool, namespace: str | None, unicode: bool,
                 found: Coverage | None = None) -> None:
        self.cluster = cluster
        self.found = found  # the coverage the Namespaces pane's ISO column was worked out from, when it was
        self.kind = kind
        self.every_port = every_port
        self.namespace = namespace
        title, waiting = _REPORT_TITLES[kind]
        pane = LinesPane(None, lambda name: name in _REPORT_KEYS and self.pane.model is not None, unicode=unicode,
                         id="glance-body", waiting=waiting)
        super().__init__(f"{title} · {namespace or 'all namespaces'}", pane)

    def on_mount(self) -> None:
        super().on_mount()
        self.compute()

    @work(thread=True, exclusive=True, group="report", exit_on_error=False)
    def compute(self) -> None:
        from kubenet_tui.ui.panes.report_view import ReportView, coverage_report, exposure_report

        pods = None if self.namespace is None else [p for p in self.cluster.pods if p.namespace == self.namespace]
        view: ReportView
        if self.kind == "coverage":
            from kubenet_tui.engine.coverage import Coverage, coverage

            if self.found is None:
                found = coverage(self.cluster, pods)
            else:  # a pod's isolation does not depend on which other pods are asked about
                found = Coverage(tuple(ns for ns in self.found.namespaces
                                       if self.namespace is None or ns.namespace == self.namespace))
            view = coverage_report(found, self.pane.unicode)
        else:
            from kubenet_tui.engine.exposure import exposure

            view = exposure_report(exposure(self.cluster, pods), self.pane.unicode, self.every_port)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.pane.show, view)


# -- flows -------------------------------------------------------------------------------------------------


class FlowsScreen(PaneScreen):
    """`:flows FILE`: the log read in a worker, batch by batch, the pane updated as classes arrive (a
    slow pipe shows its flows as they come; the explorer never waits for the end)."""

    REDRAW_EVERY = 0.3  # seconds between views while lines keep coming

    def __init__(self, session: FlowsSession, path: str, unicode: bool) -> None:
        from kubenet_tui.ui.panes.flows_view import FlowsPane

        self.session = session
        self.path = path
        self.model: FlowsPane = FlowsPane()
        self.stop = threading.Event()
        pane = LinesPane(self.model, self._takes, unicode=unicode, id="glance-body")
        super().__init__(f"Flows · {path}", pane)

    def _takes(self, name: str) -> bool:
        return self.model.handles(name) or (name == "escape" and self.model.typing)

    def on_mount(self) -> None:
        super().on_mount()
        self.read()

    def on_unmount(self) -> None:
        self.stop.set()

    @work(thread=True, exclusive=True, group="flows", exit_on_error=False)
    def read(self) -> None:
        from kubenet_tui.sources.flows import open_flows
        from kubenet_tui.ui.panes.flows_view import batches

        worker = get_current_worker()
        shown = 0.0
        try:
            # Here, not on the UI thread: opening a named pipe waits for its writer.
            stream = open_flows(self.path)
        except OSError as exc:
            self.session.finish()
            self.app.call_from_thread(self._show, self.session.view(), f"cannot read {self.path}: "
                                      f"{exc.strerror or exc}")
            return
        try:
            for batch in batches(stream):
                if worker.is_cancelled or self.stop.is_set():
                    return
                self.session.feed(batch)
                if time.monotonic() - shown >= self.REDRAW_EVERY:
                    shown = time.monotonic()
                    self.app.call_from_thread(self._show, self.session.view(), None)
        except OSError as exc:  # a gzip file cut short, a disk error: keep what was read
            self.session.finish()
            self.app.call_from_thread(self._show, self.session.view(), f"reading stopped: {exc}")
            return
        finally:
            stream.close()
        self.session.finish()
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show, self.session.view(), None)

    def _show(self, view: Any, error: str | None) -> None:
        self.model.update(view)
        if error is not None:
            self.model.error = error
        self.pane.refresh()


__all__ = ["FlowsScreen", "LintScreen", "MapScreen", "PaneEffect", "ReportScreen"]
