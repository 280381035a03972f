"""The explorer: panes of namespaces, pods, policies and services; pick a source, a destination and a
port; the engine's verdict explained. `make_app` builds it for the CLI, the tests and the screenshots.

The app routes; `ExplorerState` (ui/state, no Textual) decides. Keys, table events and worker results
go to the state; the app then draws what it says changed and carries out what it asks (read a source
in a worker, push a screen, copy, quit). Thread workers only post messages; only handlers touch widgets.

| Key | Action |
| --- | --- |
| s / d | mark the pod (or Service, as destination) under the cursor |
| S / D | type a source / destination (pod, svc/NS/NAME, IP) |
| x | swap source and destination |
| p | port / protocol prompt (the destination's declared ports complete with tab) |
| / | filter the focused table |
| : | command line (`:ns shop`, `:ctx [NAME]`, `:pods`, `:policies`, `:svc`) |
| tab / shift+tab | next / previous pane |
| v / z | the verdict's explanation / zoom the focused pane |
| esc | back |
| r | reload |
| c | copy explanation or YAML (OSC 52) |
| ? | help |
| q / ctrl+c | quit (on every screen; in a text field q is a letter, ctrl+c still quits) |
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from types import FrameType
from typing import Any, ClassVar

from textual import events, on, work
from textual.app import App, ComposeResult, SuspendNotSupported, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.filter import LineFilter, Monochrome
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Footer, Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from kubenet_tui.engine.evaluate import InputError
from kubenet_tui.sources.base import Source, SourceError
from kubenet_tui.sources.spec import SourceSpec, make_source
from kubenet_tui.terminal.output import speaks_unicode
from kubenet_tui.ui.connection import Connection, EndKind, Evaluation
from kubenet_tui.ui.glance import FlowsScreen, LinesPane, LintScreen, MapScreen, PaneEffect, PaneScreen, ReportScreen
from kubenet_tui.ui.messages import (
    CoverageReady,
    DataLoaded,
    EndPicked,
    LoadFailed,
    SelectionsReady,
    WhatIfComputed,
    WhatIfFailed,
    WhatIfLoaded,
)
from kubenet_tui.ui.model import ExplorerModel
from kubenet_tui.ui.palette import ReadableMonochrome
from kubenet_tui.ui.screens import (
    ContextScreen,
    HelpScreen,
    PodScreen,
    PolicyScreen,
    ProblemsScreen,
    ServiceScreen,
)
from kubenet_tui.ui.state import effects
from kubenet_tui.ui.state.explorer import (
    CONNECTION,
    FLASH,
    FOCUS,
    HEADER,
    MARKS,
    NOTICE,
    PROMPT,
    TITLES,
    ZOOM,
    ExplorerState,
)
from kubenet_tui.ui.state.flash import FlashLevel
from kubenet_tui.ui.state.focus import TABLES, Pane
from kubenet_tui.ui.widgets.bars import ConnectionBar, StatusHeader
from kubenet_tui.ui.widgets.prompt import PromptBar
from kubenet_tui.ui.widgets.table import VirtualTable
from kubenet_tui.ui.widgets.verdict import ExplainTree, VerdictPanel

NARROW = 100  # below this many columns the namespaces pane collapses
SHORT = 30  # below this many rows the verdict banner is one line


class _DaemonExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs each worker in a daemon thread that nobody joins: quitting never waits for a hung API call.

    asyncio (and concurrent.futures at exit) join the default executor's threads; a `load()` stuck on
    a dead API server would keep `q` from quitting until its timeout."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)

        threading.Thread(target=run, name="kubenet-tui-io", daemon=True).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        return None


class KubenetApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "kubenet-tui"
    AUTO_FOCUS = "#pods"  # the state starts there; other screens focus their own body

    # Priority bindings: the app acts on these keys as they arrive, before the next key is routed, so
    # typing ahead (`/db⏎d` in one burst over SSH) works. `check_action` hands them to other screens.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "mark('source')", "Source", priority=True,
                tooltip="Mark the pod under the cursor as the source"),
        Binding("d", "mark('destination')", "Dest", priority=True,
                tooltip="Mark the pod or Service under the cursor as destination"),
        Binding("p", "port", "Port", priority=True, tooltip="Port and protocol: 6379, 6379/udp, http"),
        Binding("x", "swap", "Swap", show=False, priority=True),
        Binding("S", "type_end('source')", "Type source", show=False, priority=True),
        Binding("D", "type_end('destination')", "Type destination", show=False, priority=True),
        Binding("slash", "filter", "Filter", key_display="/", priority=True),
        Binding("colon", "command", "Cmd", key_display=":", priority=True),
        Binding("question_mark", "help", "Help", key_display="?", priority=True),
        Binding("r", "refresh", "Reload", show=False, priority=True),
        Binding("c", "copy", "Copy", show=False, priority=True),
        Binding("z", "zoom", "Zoom", show=False, priority=True),
        Binding("v", "verdict", "Verdict", show=False, priority=True),
        Binding("m", "map", "Map", show=False, priority=True),
        Binding("t", "try_fix", "Try fix", show=False, priority=True),
        Binding("escape", "back", "Back", show=False, priority=True),
        Binding("tab", "pane(1)", "Next pane", show=False, priority=True),
        Binding("shift+tab", "pane(-1)", "Previous pane", show=False, priority=True),
        Binding("q", "quit", "Quit", priority=True),
        # What a tired hand presses: quits from anywhere, text fields included (where q is a letter).
        Binding("ctrl+c", "quit_anywhere", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        state: ExplorerState,
        source: Source,
        source_factory: Callable[[SourceSpec], Source] = make_source,
        *,
        watch: bool = True,
    ) -> None:
        super().__init__()
        self.state = state
        self.source = source
        self.source_factory = source_factory
        self.watch_enabled = watch
        self._stop_watch = threading.Event()
        self._flash_timer: Timer | None = None
        self._shown_evaluation: Evaluation | None = None
        self.timings: dict[str, float] = {"created": time.perf_counter()}
        self.animation_level = "none"  # no animations: nothing to repaint over slow SSH
        self._readable = ReadableMonochrome()

    def get_line_filters(self) -> Sequence[LineFilter]:
        """With NO_COLOR, greys that keep every word readable instead of Textual's plain monochrome."""
        filters = list(super().get_line_filters())
        return [self._readable if isinstance(f, Monochrome) else f for f in filters]

    # --- what tests and tools read --------------------------------------------------------------------

    @property
    def model(self) -> ExplorerModel | None:
        return self.state.model

    @property
    def connection(self) -> Connection:
        return self.state.connection

    @property
    def evaluation(self) -> Evaluation | None:
        return self.state.evaluation

    @property
    def scope(self) -> str | None:
        return self.state.scope

    @property
    def view(self) -> str:
        return self.state.focus.view.value

    # --- layout ------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        loading = self.state.loading_line()
        yield StatusHeader(id="header")
        yield ConnectionBar(id="connection")
        with Vertical(id="body"):
            yield Static(id="notice")
            with Horizontal(id="browse"):
                yield VirtualTable(loading, id="namespaces")
                with ContentSwitcher(initial="pods", id="resources"):
                    yield VirtualTable(loading, id="pods")
                    yield VirtualTable(loading, id="policies")
                    yield VirtualTable(loading, id="services")
            yield VerdictPanel(id="verdict")
        yield Static(id="message")
        yield PromptBar(id="prompt")
        yield Footer(compact=True)

    def table(self, name: str) -> VirtualTable:
        return self.query_one(f"#{name}", VirtualTable)

    @property
    def prompt(self) -> PromptBar:
        return self.query_one(PromptBar)

    def on_mount(self) -> None:
        asyncio.get_running_loop().set_default_executor(_DaemonExecutor())
        self.timings["mounted"] = time.perf_counter()
        self.call_after_refresh(self._first_paint)
        self._apply_size()
        self.screen.set_focus(self.table("pods"))
        self.start_load()

    def _first_paint(self) -> None:
        self.timings.setdefault("first_paint", time.perf_counter())

    def on_resize(self) -> None:
        self._apply_size()

    def _apply_size(self) -> None:
        width, height = self.size
        self.screen.set_class(width < NARROW, "-narrow")
        self.screen.set_class(height < SHORT, "-short")

    def on_unmount(self) -> None:
        self._stop_watch.set()
        self._close(self.source)

    @staticmethod
    def _close(source: Source) -> None:
        """A source being dropped kills what it still runs (a credential plugin)."""
        close = getattr(source, "close", None)
        if callable(close):
            close()

    # --- drawing what the state says changed ---------------------------------------------------------

    def _apply(self) -> None:
        if not self.is_running or not self.screen_stack:
            return
        update = self.state.take()
        state = self.state
        for pane in update.rows:
            self.table(pane).set_rows(state.rows[pane], keep=state.cursor[pane], empty_text=state.empty_text(pane))
        for pane, key in update.cursors.items():
            if pane not in update.rows:
                table = self.table(pane)
                if key is None or not table.select_key(key):
                    table.action_first()
        dirty = update.dirty
        if MARKS in dirty:
            for pane in (Pane.PODS, Pane.SERVICES):
                self.table(pane).set_marks(state.marks(pane))
        if TITLES in dirty:
            for pane in TABLES:
                self.table(pane).border_title = state.title(pane)
        if HEADER in dirty:
            self.query_one(StatusHeader).info = state.header_info()
        if NOTICE in dirty:
            self._draw_notice()
        if CONNECTION in dirty:
            self._draw_connection()
        if PROMPT in dirty:
            self.prompt.show(state.prompt)
        if FOCUS in dirty or PROMPT in dirty:
            self._draw_focus()
        if ZOOM in dirty:
            self._draw_zoom()
        if FLASH in dirty:
            self._draw_flash()
        for effect in update.effects:
            self._carry_out(effect)

    def _draw_notice(self) -> None:
        notice = self.query_one("#notice", Static)
        body = self.query_one("#body")
        text = self.state.notice()
        if text is None:
            body.remove_class("-notice")
            return
        notice.update(text)
        notice.set_class(self.state.load_error is not None, "-error")
        body.add_class("-notice")

    def _draw_connection(self) -> None:
        state = self.state
        evaluation = state.evaluation
        bar = self.query_one(ConnectionBar)
        bar.connection = state.connection
        bar.evaluation = evaluation
        note = state.verdict_stale_note()
        bar.stale = note is not None
        panel = self.query_one(VerdictPanel)
        if evaluation is not self._shown_evaluation:
            self._shown_evaluation = evaluation
            panel.evaluation = evaluation
            if evaluation is not None:
                self.timings["verdict"] = time.perf_counter()
        panel.border_title = note
        panel.set_class(note is not None, "-stale")
        self.query_one("#body").set_class(evaluation is not None, "-verdict")

    def _pane_widget(self, pane: Pane) -> Widget:
        return self.query_one(ExplainTree) if pane is Pane.VERDICT else self.table(pane)

    def _draw_focus(self) -> None:
        focus = self.state.focus
        main = self.screen_stack[0]
        self.query_one(ContentSwitcher).current = focus.view.value
        main.set_class(focus.namespaces_open, "-ns-open")
        main.query("#body").set_class(focus.current is Pane.VERDICT, "-explaining")
        if focus.current is not None and self.screen is main:
            widget = self._pane_widget(focus.current)
            if main.focused is not widget:
                # Focus now, not after pending events: a key typed right after this one must land here.
                main.set_focus(widget)

    def _draw_zoom(self) -> None:
        screen = self.screen_stack[0]
        zoomed = self.state.focus.zoomed
        if zoomed is None:
            if screen.maximized is not None:
                screen.minimize()
        else:
            target = self.query_one(VerdictPanel) if zoomed is Pane.VERDICT else self.table(zoomed)
            screen.maximize(target, container=False)

    def _draw_flash(self) -> None:
        message = self.query_one("#message", Static)
        flash = self.state.flash
        if self._flash_timer is not None:
            self._flash_timer.stop()
            self._flash_timer = None
        shown = flash.message
        message.set_class(shown is not None, "-shown")
        if shown is None:
            return
        message.update(shown.line)
        message.set_class(shown.level is FlashLevel.ERROR, "-error")
        delay = flash.expires_in()
        if delay is not None:
            self._flash_timer = self.set_timer(max(delay, 0.01), self._expire_flash)

    def _expire_flash(self) -> None:
        self.state.expire_flash()
        self._apply()

    # --- effects -------------------------------------------------------------------------------------

    def _carry_out(self, effect: effects.Effect) -> None:
        model = self.state.model
        if isinstance(effect, effects.ComputeSelections):
            if model is not None:
                self.compute_selections(model, effect.generation)
        elif isinstance(effect, effects.ComputeCoverage):
            if model is not None:
                self.compute_coverage(model, effect.generation)
        elif isinstance(effect, effects.Reload):
            if effect.login and not self._login(self.source):
                return
            self.start_load()
        elif isinstance(effect, effects.UseSource):
            self._stop_watch.set()
            self._close(self.source)
            self.source = self.source_factory(effect.spec)
            if not effect.login or self._login(self.source):
                self.start_load()
        elif isinstance(effect, effects.ShowDetails) and model is not None:
            self._show_details(model, effect.pane, effect.key)
        elif isinstance(effect, effects.ShowPolicy) and model is not None:
            link = effect.link
            item = model.policy_for(link.kind, link.namespace, link.name)
            if item is not None:
                path = link.path if link.rule is None else None  # an Ingress path, a route rule
                self.push_screen(PolicyScreen(item, model.selected_pods(item), link, path=path))
        elif isinstance(effect, effects.ShowHelp):
            if isinstance(self.screen, HelpScreen):
                self.pop_screen()
            else:
                self.push_screen(HelpScreen())
        elif isinstance(effect, effects.ShowProblems) and model is not None:
            self.push_screen(ProblemsScreen(model.snapshot))
        elif isinstance(effect, effects.PickContext):
            self.push_screen(ContextScreen(effect.contexts, effect.current), self._context_picked)
        elif isinstance(effect, effects.ShowMap) and model is not None:
            connection = self.state.connection
            place = None
            if connection.source is not None and connection.destination is not None:
                ends = [e.ref.partition("/")[0] for e in (connection.source, connection.destination)
                        if e.kind in (EndKind.POD, EndKind.SERVICE)]
                place = (ends[0], ends[1]) if len(ends) == 2 else None
            self.push_screen(MapScreen(model.cluster, effect.port, place, self.unicode))
        elif isinstance(effect, effects.ShowLint) and model is not None:
            self.push_screen(LintScreen(model.cluster, self.unicode))
        elif isinstance(effect, effects.ShowReport) and model is not None:
            self.push_screen(ReportScreen(model.cluster, effect.kind, effect.every_port, effect.namespace, self.unicode,
                                          model.coverage_found))
        elif isinstance(effect, effects.ShowFlows) and model is not None:
            self._show_flows(model, effect.path)
        elif isinstance(effect, effects.LoadWhatIf):
            self.load_whatif(effect, self.state.generation)
        elif isinstance(effect, effects.ComputeWhatIf):
            if self.state.whatif is not None:
                self.compute_whatif(self.state.whatif, effect.generation)
        elif isinstance(effect, effects.ShowChanges) and self.state.whatif is not None:
            self._show_changes()
        elif isinstance(effect, effects.Copy):
            self.copy_to_clipboard(effect.text)
        elif isinstance(effect, effects.Quit):
            self.exit(effect.code)

    def _show_details(self, model: ExplorerModel, pane: Pane, key: str) -> None:
        if pane is Pane.PODS:
            pod = model.pod(key)
            if pod is not None:
                self.push_screen(PodScreen(pod, model.pod_policies(pod), model.services_of(pod)))
        elif pane is Pane.POLICIES:
            item = model.policy(key)
            if item is not None:
                self.push_screen(PolicyScreen(item, model.selected_pods(item)))
        elif pane is Pane.SERVICES:
            svc = model.service(key)
            if svc is not None:
                slices = len(model.index.slices_by_service.get(svc.key, ()))
                self.push_screen(ServiceScreen(svc, model.service_pods(svc), slices))

    def _show_flows(self, model: ExplorerModel, path: str | None) -> None:
        """A new log replaces the one shown before (its reading stops); `path` None shows that one again,
        still reading if its writer still writes."""
        if path is None:
            if self.is_screen_installed("flows"):
                self.push_screen("flows")
            return
        if not os.path.exists(path):
            self.state.input_error(f"no such file, cannot read the flow log {path}")
            self.call_later(self._apply)
            return
        from kubenet_tui.ui.panes.flows_view import FlowsSession

        if self.is_screen_installed("flows"):
            self.uninstall_screen("flows")
        from kubenet_tui.sources.flows.when import demo_time, files_time, live_time

        spec = self.state.spec
        when = demo_time() if spec.demo else files_time(spec.files) if spec.files else live_time()
        screen = FlowsScreen(FlowsSession(model.cluster, when), path, self.unicode)
        self.install_screen(screen, "flows")
        self.push_screen("flows")

    @work(thread=True, exclusive=True, group="whatif-load", exit_on_error=False)
    def load_whatif(self, command: effects.LoadWhatIf, generation: int) -> None:
        """Read the overlay's files off the UI thread."""
        from kubenet_tui.ui.whatif.session import Load, load

        try:
            overlay = load(Load(command.paths, command.deletes))
        except (SourceError, InputError, OSError) as exc:
            self.post_message(WhatIfFailed(generation, str(exc)))
            return
        self.post_message(WhatIfLoaded(generation, overlay))

    @work(thread=True, exclusive=True, group="whatif", exit_on_error=False)
    def compute_whatif(self, whatif: Any, generation: int) -> None:
        """Every flow the overlay changes: the connectivity diff, on pod classes (seconds at 10k pods)."""
        diff = whatif.compute()
        if not get_current_worker().is_cancelled:
            self.post_message(WhatIfComputed(generation, whatif.overlay, diff))

    def on_what_if_loaded(self, message: WhatIfLoaded) -> None:
        self._route(self.state.whatif_loaded, message.generation, message.overlay)

    def on_what_if_failed(self, message: WhatIfFailed) -> None:
        self._route(self.state.whatif_failed, message.generation, message.error)

    def on_what_if_computed(self, message: WhatIfComputed) -> None:
        self._route(self.state.whatif_computed, message.generation, message.overlay, message.diff)

    def _show_changes(self) -> None:
        from kubenet_tui.ui.whatif.changes_view import ChangesView

        whatif = self.state.whatif
        assert whatif is not None and whatif.diff is not None
        view = ChangesView(whatif.diff)
        keys = frozenset({"up", "down", "j", "k", "pageup", "pagedown", "home", "end", "g", "G", "o", "c", "u", "a",
                          "enter"})
        pane = LinesPane(view, lambda name: name in keys or (name == "escape" and view.group is not None),
                         unicode=self.unicode, id="glance-body")
        self.push_screen(PaneScreen(f"Changes · what-if {whatif.overlay.label}", pane))

    def on_pane_effect(self, message: PaneEffect) -> None:
        """What a pane's model asked for: explain a pair (the heatmap's grid, a flow), open a policy."""
        # The panes' modules import numpy and the flow judge: not before the first paint.
        from kubenet_tui.ui.panes.flows_view import ChooseFlow
        from kubenet_tui.ui.panes.heatmap_view import ChoosePair
        from kubenet_tui.ui.panes.lint_view import OpenObject
        from kubenet_tui.ui.panes.report_view import AskQuestion, ScopeNamespace
        from kubenet_tui.ui.whatif.changes_view import ExplainFlow

        effect = message.effect
        if isinstance(effect, ChoosePair):
            port = f"{effect.port}/{effect.protocol.lower()}" if effect.port is not None else effect.protocol.lower()
            self.pop_screen()
            self._route(self.state.choose_pair, effect.source.key, effect.destination.key, port)
        elif isinstance(effect, ChooseFlow):
            chosen = effect.selection
            self.pop_screen()
            self._route(self.state.choose_flow, chosen.source, chosen.destination, chosen.port, chosen.why_not)
        elif isinstance(effect, ExplainFlow):
            question = effect.question
            self.pop_screen()
            self._route(self.state.choose_question, question.source, question.destination, question.port)
        elif isinstance(effect, AskQuestion):
            self.pop_screen()
            self._route(self.state.choose_question, effect.source, effect.destination, effect.port)
        elif isinstance(effect, ScopeNamespace):
            self.pop_screen()
            self._route(self.state.show_namespace, effect.namespace)
        elif isinstance(effect, OpenObject):
            model = self.state.model
            item = model.policy_for(effect.kind, effect.namespace, effect.name) if model is not None else None
            if model is None or item is None:
                where = f"{effect.namespace}/" if effect.namespace else ""
                self.notify(f"{effect.kind} {where}{effect.name} is not a policy this explorer lists",
                            severity="warning", timeout=4)
                return
            self.push_screen(PolicyScreen(item, model.selected_pods(item), path=effect.path,
                                          why=f"the finding is at {'.'.join(str(p) for p in effect.path)}"))

    @property
    def unicode(self) -> bool:
        # The terminal's own stream: while the app runs, sys.stdout is Textual's capture.
        return speaks_unicode(sys.__stdout__)

    def _context_picked(self, name: str | None) -> None:
        if name is not None:
            self._route(self.state.switch_context, name)

    def _login(self, source: Source) -> bool:
        """Before reading a context whose credential plugin may want the user (a login, a device code),
        hand the terminal to the plugin, as at start-up: the app is suspended meanwhile, the plugin is
        bounded in time, and ctrl+c stops it. False when the login failed (the error is shown)."""
        uses = getattr(source, "uses_credential_plugin", None)
        prepare = getattr(source, "prepare", None)
        if not (callable(uses) and callable(prepare) and uses()):
            return True
        cancel = getattr(source, "cancel", lambda: None)
        error: str | None = None
        interrupted = False

        def on_interrupt(signum: int, frame: FrameType | None) -> None:
            nonlocal interrupted
            interrupted = True
            cancel()

        # Our handler first: once suspended the terminal sends ctrl+c as SIGINT, which asyncio would
        # turn into cancelling the whole app. (While the app has the terminal, ctrl+c is a key.)
        previous = signal.signal(signal.SIGINT, on_interrupt)
        try:
            with self.suspend():
                # Everything here is caught: an exception leaving the block would skip the resume.
                timeout = getattr(getattr(source, "options", None), "credential_timeout", None)
                bound = f"; stopped after {timeout:g} s" if timeout else ""
                print(f"kubenet-tui: {self.state.loading_text}: running its credential plugin\n"
                      f"(ctrl+c cancels{bound})", file=sys.__stderr__, flush=True)
                try:
                    prepare(interactive=True)
                except SourceError as exc:
                    error = "the login was cancelled (ctrl+c)" if interrupted else str(exc)
                except Exception as exc:
                    error = f"{type(exc).__name__}: {exc}"
        except SuspendNotSupported:
            return True  # no terminal to hand over (headless): the load runs the plugin detached, bounded
        finally:
            signal.signal(signal.SIGINT, previous)
        if error is None:
            return True
        self.state.load_failed(self.state.begin_load(), error)
        self._apply()
        return False

    # --- loading (thread workers post messages; handlers update widgets) ----------------------------

    def start_load(self) -> None:
        self._stop_watch.set()
        self._stop_watch = threading.Event()
        generation = self.state.begin_load()
        self._apply()
        self.load_source(self.source, generation, self._stop_watch)

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load_source(self, source: Source, generation: int, stop: threading.Event) -> None:
        try:
            snapshot = source.load()
            model = ExplorerModel(snapshot)  # builds the index here, off the UI thread
        except SourceError as exc:
            self.post_message(LoadFailed(str(exc), generation))
            return
        # The first full collection over a big fresh heap takes a quarter of a second at 50k pods: have
        # it here, before the data is shown, rather than in the middle of the user's first keystrokes.
        gc.collect()
        self.post_message(DataLoaded(model, generation))
        if not self.watch_enabled or stop.is_set():
            return

        def pushed(fresh: Any) -> None:
            if stop.is_set():
                return
            model = ExplorerModel(fresh)
            gc.collect()
            if not stop.is_set():
                self.post_message(DataLoaded(model, generation, pushed=True))

        source.watch(pushed, stop)

    @work(thread=True, exclusive=True, group="selections", exit_on_error=False)
    def compute_selections(self, model: ExplorerModel, generation: int) -> None:
        """Which pods each policy selects, for the PODS column: off the UI thread (a second at 50k pods)."""
        worker = get_current_worker()
        model.compute_selections(lambda: worker.is_cancelled or generation != self.state.generation)
        if not worker.is_cancelled:
            self.post_message(SelectionsReady(generation))

    @work(thread=True, exclusive=True, group="coverage", exit_on_error=False)
    def compute_coverage(self, model: ExplorerModel, generation: int) -> None:
        """Which pods policies isolate, per namespace, for the ISO column: off the UI thread."""
        model.compute_coverage()
        if not get_current_worker().is_cancelled:
            self.post_message(CoverageReady(generation))

    def on_coverage_ready(self, message: CoverageReady) -> None:
        if message.generation == self.state.generation and self.is_running:
            self.table("namespaces").refresh()

    def on_selections_ready(self, message: SelectionsReady) -> None:
        if self.state.selections_ready(message.generation) and self.is_running:
            self.table("policies").refresh()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """One place for unexpected worker failures: show them as the error state."""
        if event.state is WorkerState.ERROR and event.worker.group == "load":
            error = event.worker.error
            self.post_message(LoadFailed(f"{type(error).__name__}: {error}", self.state.generation))

    def on_data_loaded(self, message: DataLoaded) -> None:
        if not self.is_running:
            return  # arriving while the app shuts down
        if message.generation == self.state.generation:
            self.timings.setdefault("data", time.perf_counter())
        self.state.data_loaded(message.generation, message.model, message.pushed)
        self._apply()
        if message.generation == self.state.generation:
            self.timings.setdefault("table", time.perf_counter())

    def on_load_failed(self, message: LoadFailed) -> None:
        if self.is_running:
            self.state.load_failed(message.generation, message.error)
            self._apply()

    # --- routing ---------------------------------------------------------------------------------------

    def _route(self, handler: Callable[..., None], *args: Any) -> None:
        """Hand an input to the state; input errors become a flash message. Then draw."""
        try:
            handler(*args)
        except InputError as exc:
            self.state.input_error(str(exc))
        self._apply()

    def run_command(self, text: str) -> None:
        self._route(self.state.run_command, text)

    async def on_event(self, event: events.Event) -> None:
        """While the prompt is open, keys edit it here, in arrival order, instead of being queued for
        whichever widget had focus when they arrived (a burst like `/db⏎d` over SSH keeps its order)."""
        if (
            isinstance(event, events.Key)
            and not event.is_forwarded
            and len(self.screen_stack) == 1
            and self.state.prompt.is_open
        ):
            character = event.character if event.is_printable else None
            handled = self.state.key(event.key, character)
            if handled:
                self._apply()
                return
        await super().on_event(event)

    @on(PromptBar.Changed)
    def _prompt_changed(self, event: PromptBar.Changed) -> None:
        self._route(self.state.prompt_edited, event.value)

    @on(VirtualTable.Highlighted)
    def _highlighted(self, event: VirtualTable.Highlighted) -> None:
        # A move the table has made since (the state put its cursor on a filter's best match) makes this
        # one stale: applied late, under load, it would put the cursor back where a typed-ahead s or d
        # then marks the wrong pod.
        if event.table.id in TABLES and event.key == event.table.cursor_key:
            self._route(self.state.highlighted, Pane(event.table.id), event.key)

    @on(VirtualTable.Chosen)
    def _chosen(self, event: VirtualTable.Chosen) -> None:
        if event.table.id in TABLES:
            self._route(self.state.chosen, Pane(event.table.id), event.key)

    def on_explain_tree_open_policy(self, message: ExplainTree.OpenPolicy) -> None:
        self._route(self.state.open_policy, message.link)

    def on_end_picked(self, message: EndPicked) -> None:
        self._route(self.state.set_end, message.role, message.end)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # Focus also moves by the mouse and when a screen closes: the state follows. Events of a focus
        # that has moved on since (a burst of tabs) are old news, not a request to go back.
        widget = event.widget
        if widget is not self.screen.focused:
            return
        if isinstance(widget, ExplainTree):
            self._route(self.state.focused, Pane.VERDICT)
        elif isinstance(widget, VirtualTable) and widget.id in TABLES:
            self._route(self.state.focused, Pane(widget.id))

    MAIN_SCREEN_ACTIONS: ClassVar[frozenset[str]] = frozenset(
        {"mark", "type_end", "swap", "port", "filter", "command", "copy", "zoom", "verdict", "back", "refresh",
         "pane", "map", "try_fix"}
    )
    TYPED_ACTIONS: ClassVar[frozenset[str]] = frozenset({"help", "quit"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The explorer's keys belong to the explorer: inactive (and hidden) while another screen is up;
        letter keys never fire while a text field (the command palette's) has focus. ctrl+c always quits."""
        if action in self.MAIN_SCREEN_ACTIONS and len(self.screen_stack) > 1:
            return False
        typing = isinstance(self.focused, Input) or getattr(self.focused, "typing", False)
        return not (action in self.TYPED_ACTIONS and typing)

    # --- actions (bindings) -----------------------------------------------------------------------------

    def action_mark(self, role: str) -> None:
        self._route(self.state.mark, role)

    def action_type_end(self, role: str) -> None:
        self._route(self.state.open_end, role)

    def action_swap(self) -> None:
        self._route(self.state.swap)

    def action_port(self) -> None:
        self._route(self.state.open_port)

    def action_filter(self) -> None:
        self._route(self.state.open_filter)

    def action_command(self) -> None:
        self._route(self.state.open_command)

    def action_pane(self, step: int) -> None:
        self._route(self.state.pane, step)

    def action_verdict(self) -> None:
        self._route(self.state.verdict)

    async def action_back(self) -> None:
        self._route(self.state.back)

    def action_map(self) -> None:
        self._route(self.state.show_map)

    def action_try_fix(self) -> None:
        self._route(self.state.try_suggestion)

    def action_zoom(self) -> None:
        self._route(self.state.zoom)

    def action_refresh(self) -> None:
        self._route(self.state.refresh)

    def action_copy(self) -> None:
        self._route(self.state.copy)

    def action_help(self) -> None:
        self._route(self.state.help)

    async def action_quit_anywhere(self) -> None:
        await self.action_quit()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        state = self.state
        yield SystemCommand("Mark source", "Mark the pod under the cursor as the source (s)",
                            lambda: self.action_mark("source"))
        yield SystemCommand("Mark destination", "Mark the pod or Service under the cursor as destination (d)",
                            lambda: self.action_mark("destination"))
        yield SystemCommand("Type source", "Type a pod or an IP address as the source (S)",
                            lambda: self.action_type_end("source"))
        yield SystemCommand("Type destination", "Type a pod, svc/NS/NAME or an IP address as destination (D)",
                            lambda: self.action_type_end("destination"))
        yield SystemCommand("Swap", "Swap source and destination (x)", self.action_swap)
        yield SystemCommand("Port", "Set the port and protocol (p)", self.action_port)
        yield SystemCommand("Show pods", "The pods table (:pods)", lambda: self.run_command("pods"))
        yield SystemCommand("Show policies", "NetworkPolicies and cluster policies (:policies)",
                            lambda: self.run_command("policies"))
        yield SystemCommand("Show services", "The services table (:svc)", lambda: self.run_command("svc"))
        yield SystemCommand("All namespaces", "Show every namespace (:ns all)", lambda: self.run_command("ns all"))
        if state.model is not None:
            for ns in state.model.namespace_names[:200]:
                yield SystemCommand(f"Namespace {ns}", f"Show namespace {ns} (:ns {ns})",
                                    lambda ns=ns: self.run_command(f"ns {ns}"))
        if state.spec.live:
            yield SystemCommand("Switch context", "Pick another kubeconfig context (:ctx)",
                                lambda: self.run_command("ctx"))
        yield SystemCommand("Filter", "Filter the focused table (/)", self.action_filter)
        yield SystemCommand("Reload", "Read the cluster again (r)", self.action_refresh)
        yield SystemCommand("Copy", "Copy the explanation or the selected YAML (c)", self.action_copy)
        yield SystemCommand("Clear connection", "Forget source, destination and port (:clear)",
                            lambda: self.run_command("clear"))
        yield SystemCommand("Help", "Every key and command (?)", self.action_help)
        yield from super().get_system_commands(screen)


def make_app(
    spec: SourceSpec,
    *,
    source: Source | None = None,
    source_factory: Callable[[SourceSpec], Source] = make_source,
    contexts: Sequence[str] | None = None,
    watch: bool = True,
    wall_clock: Callable[[], float] = time.time,
) -> KubenetApp:
    """The one factory for the explorer, used by the CLI (`ui.launch`), the tests, the screenshots and
    the benchmarks. `spec` says where the data comes from; `source` injects one instead of making it
    (a fake in tests, or a live source already prepared); `source_factory` makes the sources `:ctx` and
    `:ns` switch to; `contexts` are the kubeconfig's (read from it when None and the spec is live)."""
    current = spec.context
    if contexts is None:
        contexts = ()
        if spec.live:
            from kubenet_tui.sources.kubeconfig import kubeconfig_contexts

            try:  # names only, for :ctx; a broken kubeconfig is reported by the load itself
                contexts, found = kubeconfig_contexts(spec.kubeconfig)
                current = current or found
            except SourceError:
                contexts = ()
    state = ExplorerState(spec, contexts=tuple(contexts), context=current, wall_clock=wall_clock)
    return KubenetApp(state, source if source is not None else source_factory(spec), source_factory, watch=watch)

