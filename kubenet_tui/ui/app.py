"""The explorer: panes of namespaces, pods, policies and services; pick a source, a destination and a
port; the engine's verdict explained. `make_app` builds it for the CLI and the tests alike.

Data flow: a thread worker calls the injected `Source` (load, then watch) and posts `DataLoaded` /
`LoadFailed`; only message handlers touch widgets. The app owns the state (scope, view, filters,
connection) and hands it down to widgets as attributes; widgets report up with messages.

| Key | Action |
| --- | --- |
| s / d | mark the pod (or Service, as destination) under the cursor |
| S / D | type a source / destination (pod, svc/NS/NAME, IP) |
| x | swap source and destination |
| p | port / protocol prompt |
| / | filter the focused table |
| : | command line (`:ns shop`, `:ctx NAME`, `:pods`, `:policies`, `:svc`) |
| tab / shift+tab | next / previous pane |
| z | zoom the focused pane |
| esc | back |
| r | reload |
| c | copy explanation or YAML (OSC 52) |
| ? | help |
| q | quit |
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Footer, Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from kubenet_tui.engine.evaluate import InputError
from kubenet_tui.sources.base import DataState, Source, SourceError
from kubenet_tui.ui.connection import (
    Connection,
    EndKind,
    EndSpec,
    Evaluation,
    evaluate_connection,
    parse_end,
    parse_port,
)
from kubenet_tui.ui.keys import COMMAND_SUGGESTIONS, parse_command
from kubenet_tui.ui.messages import DataLoaded, EndPicked, LoadFailed, SelectionsReady
from kubenet_tui.ui.model import ExplorerModel, Filter
from kubenet_tui.ui.screens import (
    HelpScreen,
    PodScreen,
    PolicyScreen,
    ProblemsScreen,
    ServiceScreen,
    problem_count,
)
from kubenet_tui.ui.tables import EmptyRows, NamespaceRows, PodRows, PolicyRows, Rows, ServiceRows
from kubenet_tui.ui.widgets.bars import ConnectionBar, HeaderInfo, StatusHeader
from kubenet_tui.ui.widgets.prompt import PromptBar, PromptMode
from kubenet_tui.ui.widgets.table import VirtualTable
from kubenet_tui.ui.widgets.verdict import ExplainTree, VerdictPanel

VIEWS = ("pods", "policies", "services")
VIEW_TITLES = {"pods": "Pods", "policies": "Policies", "services": "Services"}
PANES = ("namespaces", *VIEWS, "verdict")
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
        Binding("escape", "back", "Back", show=False, priority=True),
        Binding("tab", "pane(1)", "Next pane", show=False, priority=True),
        Binding("shift+tab", "pane(-1)", "Previous pane", show=False, priority=True),
        Binding("q", "quit", "Quit", priority=True),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),  # what a tired hand presses
    ]

    scope: reactive[str | None] = reactive(None, init=False)
    """The namespace the panes show; None: all namespaces."""
    view: reactive[str] = reactive("pods", init=False)
    """Which resource table is shown: pods, policies or services."""
    connection: reactive[Connection] = reactive(Connection, init=False)
    """Source, destination and port being asked about."""
    evaluation: reactive[Evaluation | None] = reactive(None, init=False)
    """The engine's answer for a complete connection."""
    data_state: reactive[DataState] = reactive(DataState.LOADING, init=False)
    """Where the data stands: loading, live, watching, stale, error, offline file, demo."""

    def __init__(
        self,
        source: Source,
        *,
        namespace: str | None = None,
        all_namespaces: bool = False,
        loading_text: str = "",
        context: str | None = None,
        switch_context: Callable[[str], Source] | None = None,
        contexts: Sequence[str] = (),
        watch: bool = True,
    ) -> None:
        super().__init__()
        self.contexts = tuple(contexts)
        self.source = source
        self.requested_namespace = namespace
        self.all_namespaces = all_namespaces
        self.loading_text = loading_text or "reading the cluster"
        self.context_name = context
        self.switch_context = switch_context
        self.watch_enabled = watch
        self.model: ExplorerModel | None = None
        self.load_error: str | None = None
        self.filters: dict[str, str] = {name: "" for name in ("namespaces", *VIEWS)}
        self._base_rows: dict[str, Rows] = {}
        self._generation = 0
        self._stop_watch = threading.Event()
        self._message_timer: Timer | None = None
        self._filter_target = "pods"
        self._selections_started = False
        self._restore_focus: str | None = None
        self.timings: dict[str, float] = {"created": time.perf_counter()}
        self.animation_level = "none"  # no animations: nothing to repaint over slow SSH

    # --- layout ------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusHeader(id="header")
        yield ConnectionBar(id="connection")
        with Vertical(id="body"):
            yield Static(id="notice")
            with Horizontal(id="browse"):
                yield VirtualTable(self._loading_line(), id="namespaces")
                with ContentSwitcher(initial="pods", id="resources"):
                    yield VirtualTable(self._loading_line(), id="pods")
                    yield VirtualTable(self._loading_line(), id="policies")
                    yield VirtualTable(self._loading_line(), id="services")
            yield VerdictPanel(id="verdict")
        yield Static(id="message")
        yield PromptBar(id="prompt")
        yield Footer(compact=True)

    def _loading_line(self) -> str:
        return f"◌ Loading: {self.loading_text}…"

    def table(self, name: str) -> VirtualTable:
        return self.query_one(f"#{name}", VirtualTable)

    def on_mount(self) -> None:
        asyncio.get_running_loop().set_default_executor(_DaemonExecutor())
        self.timings["mounted"] = time.perf_counter()
        self.call_after_refresh(self._first_paint)
        self._apply_size()
        self._update_header()
        self._update_titles()
        self.table("pods").focus()
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

    # --- loading (thread workers post messages; handlers update widgets) ----------------------------

    def start_load(self) -> None:
        if self.model is None:
            self.load_error = None
        self._stop_watch.set()
        self._stop_watch = threading.Event()
        self._generation += 1
        self.data_state = DataState.LOADING
        self._update_notice()
        self.load_source(self.source, self._generation, self._stop_watch)

    def _update_notice(self) -> None:
        """Before any data: what is being read, or why nothing could be, in full (it wraps)."""
        notice = self.query_one("#notice", Static)
        body = self.query_one("#body")
        if self.model is not None:
            body.remove_class("-notice")
            return
        if self.load_error is None:
            text = Text.assemble(("◌ Loading ", "bold"), (self.loading_text, "bold"), "…\n\n",
                                 ("The screen stays responsive while data arrives: ? shows the keys, q quits.",
                                  "dim"))
        else:
            text = Text.assemble(("✗ Could not load ", "bold"), (self.loading_text, "bold"), "\n\n",
                                 self.load_error, "\n\n",
                                 ("r retries · :ctx NAME switches context · ? shows the keys · q quits", "dim"))
        notice.update(text)
        notice.set_class(self.load_error is not None, "-error")
        body.add_class("-notice")

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
        model.compute_selections(lambda: worker.is_cancelled or generation != self._generation)
        if not worker.is_cancelled:
            self.post_message(SelectionsReady(generation))

    def _start_selections(self) -> None:
        """Only when the Policies view is shown: at 50k pods it is a second of CPU that would otherwise
        compete (GIL) with the first filter keystrokes in the pods table."""
        if self.model is not None and not self._selections_started:
            self._selections_started = True
            self.compute_selections(self.model, self._generation)

    def on_selections_ready(self, message: SelectionsReady) -> None:
        if message.generation == self._generation and self.is_running:
            self.table("policies").refresh()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """One place for unexpected worker failures: show them as the error state."""
        if event.state is WorkerState.ERROR and event.worker.group == "load":
            error = event.worker.error
            self.post_message(LoadFailed(f"{type(error).__name__}: {error}", self._generation))

    def on_data_loaded(self, message: DataLoaded) -> None:
        if message.generation != self._generation or not self.is_running:
            return  # stale, or arriving while the app shuts down
        self.timings.setdefault("data", time.perf_counter())
        self.model = message.model
        self.load_error = None
        snapshot = message.model.snapshot
        if not message.pushed:
            if self.requested_namespace is not None:
                scope = self.requested_namespace
            elif self.all_namespaces:
                scope = None
            elif self.scope is None and snapshot.namespace:
                scope = snapshot.namespace
            else:
                scope = self.scope
            self.requested_namespace = None
            if scope is not None and scope not in message.model.index.namespaces:
                self.flash(f"namespace {scope} has nothing loaded; showing all namespaces", error=True)
                scope = None
            self.set_reactive(KubenetApp.scope, scope)
        self.data_state = snapshot.state
        self._update_notice()
        before = self.evaluation.status if self.evaluation is not None else None
        self._rebuild_rows()
        self._selections_started = False
        if self.view == "policies":
            self._start_selections()
        self._reevaluate()
        after = self.evaluation.status if self.evaluation is not None else None
        if message.pushed and before is not None and after is not None and before is not after:
            # The cluster changed under the question being asked: say so, it is easy to miss.
            self.flash(f"the cluster changed: the verdict is now {after.value.upper()} (was {before.value.upper()})",
                       error=True)
        self.timings.setdefault("table", time.perf_counter())

    def on_load_failed(self, message: LoadFailed) -> None:
        if message.generation != self._generation or not self.is_running:
            return
        self.load_error = message.error
        self.data_state = DataState.ERROR if self.model is None else DataState.STALE
        if self.model is None:
            self._update_notice()
        else:
            self.flash(f"could not reload, showing the last data: {message.error} (r retries)", error=True)

    def watch_data_state(self) -> None:
        self._update_header()

    # --- rows ----------------------------------------------------------------------------------------

    def _rebuild_rows(self) -> None:
        model = self.model
        if model is None:
            return
        scope = self.scope
        show_ns = scope is None
        self._base_rows = {
            "namespaces": NamespaceRows(model.namespace_summaries()),
            "pods": PodRows(model, model.pods(scope), show_ns),
            "policies": PolicyRows(model, model.policies(scope), show_ns),
            "services": ServiceRows(model, model.services(scope), show_ns),
        }
        for name in ("namespaces", *VIEWS):
            table = self.table(name)
            keep = (scope or "") if name == "namespaces" else table.cursor_key
            self._show_rows(name, keep=keep)
        self._update_marks()
        self._update_header()
        self._update_titles()

    def _show_rows(self, name: str, keep: str | None = None) -> None:
        base = self._base_rows.get(name)
        if base is None:
            return
        flt = Filter(self.filters[name])
        rows = base.filtered(flt, self.table(name).rows)
        where = f"in {self.scope}" if self.scope and name != "namespaces" else ""
        empty = f"No {base.noun} match /{flt.text}" if flt else f"No {base.noun} {where}".rstrip()
        self.table(name).set_rows(rows, keep=keep, empty_text=empty)

    def _update_titles(self) -> None:
        scope = self.scope or "all namespaces"
        for name in VIEWS:
            title = Text()
            for view in VIEWS:
                word = VIEW_TITLES[view]
                title.append(f" {word} ", style="reverse bold" if view == name else "dim")
            title.append(f" {scope}")
            if self.filters[name]:
                title.append(f"  /{self.filters[name]}", style="bold")
            self.table(name).border_title = title
        ns_title = Text("Namespaces")
        if self.filters["namespaces"]:
            ns_title.append(f" /{self.filters['namespaces']}", style="bold")
        self.table("namespaces").border_title = ns_title

    def _update_header(self) -> None:
        model = self.model
        snapshot = model.snapshot if model else None
        counts = ""
        if model is not None:
            pods = len(model.pods(self.scope))
            netpols = sum(1 for p in model.policies(self.scope) if p.netpol is not None)
            services = len(model.services(self.scope))
            counts = f"{pods} pods {netpols} netpol {services} svc"
            if model.cluster_policies:
                counts += f" {len(model.cluster_policies)} cluster-pol"
            problems = problem_count(model.snapshot)
            if problems:
                counts = f"⚠ {problems} problem{'s' if problems != 1 else ''} (:problems)  " + counts
        detail = ""
        if self.data_state is DataState.LOADING:
            detail = self.loading_text
        elif self.load_error:
            detail = self.load_error
        elif snapshot is not None:
            detail = snapshot.description
        self.query_one(StatusHeader).info = HeaderInfo(
            self.data_state,
            (snapshot.context if snapshot else None) or self.context_name,
            snapshot.server if snapshot else None,
            snapshot.user if snapshot else None,
            self.scope,
            counts,
            detail,
        )

    def watch_scope(self) -> None:
        self._rebuild_rows()

    def watch_view(self, view: str) -> None:
        self.query_one(ContentSwitcher).current = view
        if view == "policies":
            self._start_selections()

    # --- the connection and its verdict ---------------------------------------------------------------

    def watch_connection(self) -> None:
        self._reevaluate()
        self._update_marks()

    def _reevaluate(self) -> None:
        connection = self.connection
        evaluation = None
        if connection.complete and self.model is not None:
            evaluation = evaluate_connection(self.model.cluster, connection)
        self.evaluation = evaluation
        bar = self.query_one(ConnectionBar)
        bar.connection = connection
        bar.evaluation = evaluation

    def watch_evaluation(self, evaluation: Evaluation | None) -> None:
        self.query_one(VerdictPanel).evaluation = evaluation
        self.query_one("#body").set_class(evaluation is not None, "-verdict")
        if evaluation is not None:
            self.timings["verdict"] = time.perf_counter()

    def _update_marks(self) -> None:
        marks: dict[str, str] = {}
        for spec, letter in ((self.connection.source, "S"), (self.connection.destination, "D")):
            if spec is not None and spec.kind is EndKind.POD:
                marks[spec.ref] = marks.get(spec.ref, "") + letter
        self.table("pods").set_marks(marks)
        destination = self.connection.destination
        svc = {destination.ref: "D"} if destination is not None and destination.kind is EndKind.SERVICE else {}
        self.table("services").set_marks(svc)

    def set_end(self, role: str, spec: EndSpec) -> None:
        if role == "source" and spec.kind is EndKind.SERVICE:
            self.flash(f"{spec.label} cannot be a source: traffic comes from its pods (mark one of them)", error=True)
            return
        if role == "source":
            self.connection = replace(self.connection, source=spec)
        else:
            self.connection = replace(self.connection, destination=spec)
        if not self.connection.complete:
            other = "destination (d)" if role == "source" else "source (s)"
            self.flash(f"{role} {spec.label}; now mark a {other}")
        else:
            self._clear_message()

    def on_end_picked(self, message: EndPicked) -> None:
        self.set_end(message.role, message.end)

    def _focused_pane(self) -> str | None:
        focused = self.focused
        if focused is None:
            return None
        if isinstance(focused, VirtualTable):
            return focused.id
        if isinstance(focused, ExplainTree):
            return "verdict"
        return None

    def action_mark(self, role: str) -> None:
        pane = self._focused_pane()
        key = self.table(pane).cursor_key if pane in ("pods", "services") else None
        if pane == "pods" and key:
            self.set_end(role, EndSpec.pod(key))
        elif pane == "services" and key:
            self.set_end(role, EndSpec.service(key))
        else:
            letter = "s" if role == "source" else "d"
            self.flash(f"{letter} marks the pod (or Service) under the cursor: go to the Pods pane (tab), "
                       f"or type one with {letter.upper()}", error=True)

    def action_swap(self) -> None:
        if self.connection.source is None and self.connection.destination is None:
            self.flash("nothing to swap yet: mark a source (s) and a destination (d)", error=True)
            return
        if self.connection.destination is not None and self.connection.destination.kind is EndKind.SERVICE:
            self.flash("a Service cannot be a source: swap needs a pod or an IP as destination", error=True)
            return
        self.connection = self.connection.swapped()

    def action_port(self) -> None:
        current = self.connection.port
        value = "" if current.text is None else current.text
        if current.protocol.value != "TCP":
            value = f"{value}/{current.protocol.value.lower()}" if value else current.protocol.value.lower()
        self._open_prompt(PromptMode.PORT, value, self._port_suggestions(), select=True)

    def _port_suggestions(self) -> list[str]:
        model, destination = self.model, self.connection.destination
        if model is None or destination is None:
            return []
        if destination.kind is EndKind.POD:
            pod = model.pod(destination.ref)
            return sorted({c.name for c in pod.ports if c.name} | {str(c.port) for c in pod.ports}) if pod else []
        if destination.kind is EndKind.SERVICE:
            svc = model.service(destination.ref)
            return sorted({s.name for s in svc.ports if s.name} | {str(s.port) for s in svc.ports}) if svc else []
        return []

    def action_type_end(self, role: str) -> None:
        mode = PromptMode.SOURCE if role == "source" else PromptMode.DESTINATION
        current = self.connection.source if role == "source" else self.connection.destination
        suggestions: list[str] = []
        if self.model is not None:
            suggestions = [p.key for p in self.model.pods(self.scope)][:5000]
            if role == "destination":
                suggestions += [f"svc/{s.key}" for s in self.model.services(self.scope)][:2000]
        self._open_prompt(mode, current.label if current else "", suggestions, select=True)

    # --- prompt: filter, command, port, typed ends ---------------------------------------------------

    def _open_prompt(
        self, mode: PromptMode, value: str = "", suggestions: list[str] | None = None, select: bool = False
    ) -> None:
        self._restore_focus = self._focused_pane()
        self.query_one(PromptBar).open(mode, value, suggestions or [], select)

    def action_filter(self) -> None:
        pane = self._focused_pane()
        if pane is None or pane == "verdict":
            pane = self.view
        self._filter_target = pane
        # A fresh filter each time, as in k9s: `/db` after `/frontend` looks for db.
        self._open_prompt(PromptMode.FILTER, "")

    def action_command(self) -> None:
        suggestions = list(COMMAND_SUGGESTIONS)
        if self.model is not None:
            suggestions = [f"ns {ns}" for ns in self.model.namespace_names] + suggestions
        suggestions += [f"ctx {name}" for name in self.contexts]
        self._open_prompt(PromptMode.COMMAND, "", suggestions)

    async def on_event(self, event: events.Event) -> None:
        """While the prompt is open, keys edit it here, in arrival order, instead of being queued for
        whichever widget had focus when they arrived (see `PromptBar.feed`)."""
        if (
            isinstance(event, events.Key)
            and not event.is_forwarded
            and len(self.screen_stack) == 1
            and self.prompt.is_open
        ):
            outcome = self.prompt.feed(event)
            if outcome is not None:
                if outcome.submitted:
                    self.submit_prompt(outcome.mode, outcome.value)
                elif outcome.cancelled:
                    self.cancel_prompt(outcome.mode)
                elif outcome.mode is PromptMode.FILTER:
                    self._set_filter(self._filter_target, outcome.value)
                return
        await super().on_event(event)

    @property
    def prompt(self) -> PromptBar:
        return self.query_one(PromptBar)

    @on(PromptBar.Changed)
    def _prompt_changed(self, event: PromptBar.Changed) -> None:
        """Edits made with the mouse or a paste; keys are applied in `on_event` already."""
        prompt = self.prompt
        if (
            event.mode is PromptMode.FILTER
            and prompt.is_open
            and event.value == prompt.input.value
            and self.filters[self._filter_target] != event.value
        ):
            self._set_filter(self._filter_target, event.value)

    def _set_filter(self, pane: str, text: str) -> None:
        self.filters[pane] = text
        self._show_rows(pane)
        self._update_titles()

    def cancel_prompt(self, mode: PromptMode) -> None:
        if mode is PromptMode.FILTER:
            self._set_filter(self._filter_target, "")
        self._focus_back()

    def submit_prompt(self, mode: PromptMode, value: str) -> None:
        self._focus_back(self._filter_target if mode is PromptMode.FILTER else None)
        try:
            if mode is PromptMode.FILTER:
                self._set_filter(self._filter_target, value)
                table = self.table(self._filter_target)
                table.action_first()
                if value and not len(table.rows):
                    self.flash(f"nothing matches /{value} (esc clears the filter)", error=True)
            elif mode is PromptMode.PORT:
                self.connection = replace(self.connection, port=parse_port(value))
            elif mode is PromptMode.SOURCE:
                self.set_end("source", parse_end(value))
            elif mode is PromptMode.DESTINATION:
                self.set_end("destination", parse_end(value))
            elif mode is PromptMode.COMMAND:
                self.run_command(value)
        except InputError as exc:
            self.flash(str(exc), error=True)

    def _focus_back(self, pane: str | None = None) -> None:
        target = pane or self._restore_focus or self.view
        if target in VIEWS:
            self.view = target
        if target == "verdict" and self.evaluation is not None:
            self._focus(self.query_one(ExplainTree))
        elif target == "namespaces":
            self.focus_namespaces()
        elif target in VIEWS:
            self._focus(self.table(target))
        else:
            self._focus(self.table(self.view))

    def run_command(self, text: str) -> None:
        command = parse_command(text)
        name, arg = command.name, command.arg
        if name == "ns":
            if not arg:
                self.focus_namespaces()
            else:
                self.show_namespace(None if arg in ("all", "-A", "*") else arg)
        elif name in VIEWS or name == "svc":
            view = "services" if name == "svc" else name
            if arg:
                self.show_namespace(None if arg in ("all", "-A") else arg)
            self.view = view
            self._focus(self.table(view))
        elif name == "ctx":
            self.change_context(arg)
        elif name in ("src", "dst"):
            self.set_end("source" if name == "src" else "destination", parse_end(arg))
        elif name == "port":
            self.connection = replace(self.connection, port=parse_port(arg))
        elif name == "clear":
            self.connection = Connection()
            self.flash("cleared source, destination and port")
        elif name == "help":
            self.action_help()
        elif name == "problems":
            if self.model is None:
                raise InputError("nothing loaded yet")
            self.push_screen(ProblemsScreen(self.model.snapshot))
        elif name == "quit":
            self.exit(0)

    def show_namespace(self, namespace: str | None) -> None:
        model = self.model
        if model is None:
            self.requested_namespace = namespace
            return
        if namespace is not None and namespace not in model.index.namespaces:
            near = [n for n in model.namespace_names if namespace in n][:5]
            hint = f" (did you mean {', '.join(near)}?)" if near else ""
            raise InputError(f"no namespace {namespace} in the loaded data{hint}")
        self.scope = namespace

    def change_context(self, name: str) -> None:
        if not name:
            current = self.context_name or (self.model.snapshot.context if self.model else None)
            known = f" (contexts: {', '.join(self.contexts[:12])})" if self.contexts else ""
            raise InputError(f"current context: {current or 'none'}; :ctx NAME switches{known}")
        if self.switch_context is None:
            raise InputError("contexts can only be switched on a live cluster (this data is not from a kubeconfig)")
        try:
            source = self.switch_context(name)
        except (SourceError, ValueError) as exc:
            raise InputError(str(exc)) from None
        self.source = source
        self.context_name = name
        self.model = None
        self.load_error = None
        self._base_rows = {}
        self.loading_text = f"context {name}"
        for table in ("namespaces", *VIEWS):
            self.table(table).set_rows(EmptyRows(), empty_text=self._loading_line())
        self.connection = Connection()
        self.start_load()

    # --- tables and tree ---------------------------------------------------------------------------

    @on(VirtualTable.Highlighted, "#namespaces")
    def _namespace_highlighted(self, event: VirtualTable.Highlighted) -> None:
        if self.model is not None and event.key is not None and self.table("namespaces").has_focus:
            self.scope = event.key or None

    @on(VirtualTable.Chosen)
    def _row_chosen(self, event: VirtualTable.Chosen) -> None:
        model = self.model
        if model is None:
            return
        pane = event.table.id
        if pane == "namespaces":
            self.scope = event.key or None
            self._focus(self.table(self.view))
        elif pane == "pods":
            pod = model.pod(event.key)
            if pod is not None:
                self.push_screen(PodScreen(pod, model.pod_policies(pod), model.services_of(pod)))
        elif pane == "policies":
            item = model.policy(event.key)
            if item is not None:
                self.push_screen(PolicyScreen(item, model.selected_pods(item)))
        elif pane == "services":
            svc = model.service(event.key)
            if svc is not None:
                slices = len(model.index.slices_by_service.get(svc.key, ()))
                self.push_screen(ServiceScreen(svc, model.service_pods(svc), slices))

    def on_explain_tree_open_policy(self, message: ExplainTree.OpenPolicy) -> None:
        model = self.model
        if model is None:
            return
        link = message.link
        item = model.policy_for(link.kind, link.namespace, link.name)
        if item is None:
            self.flash(f"{link.kind} {link.name} is not in the loaded data any more", error=True)
            return
        self.push_screen(PolicyScreen(item, model.selected_pods(item), link))

    MAIN_SCREEN_ACTIONS: ClassVar[frozenset[str]] = frozenset(
        {"mark", "type_end", "swap", "port", "filter", "command", "copy", "zoom", "verdict", "back", "refresh",
         "pane"}
    )
    TYPED_ACTIONS: ClassVar[frozenset[str]] = frozenset({"help", "quit"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The explorer's keys belong to the explorer: inactive (and hidden) while another screen is up,
        and letter keys never fire while a text field (the command palette's) has focus."""
        if action in self.MAIN_SCREEN_ACTIONS and len(self.screen_stack) > 1:
            return False
        if action == "quit" and isinstance(self.screen, HelpScreen):
            return False  # q closes the help, as in a pager
        return not (action in self.TYPED_ACTIONS and isinstance(self.focused, Input))

    # --- other actions -------------------------------------------------------------------------------

    def action_pane(self, step: int) -> None:
        panes = [p for p in PANES if p != "verdict" or self.evaluation is not None]
        if self.screen.maximized is not None:
            self.screen.minimize()
        current = self._focused_pane() or self.view
        position = panes.index(current) if current in panes else 0
        target = panes[(position + step) % len(panes)]
        if target in VIEWS:
            self.view = target
        if target == "verdict":
            self._focus(self.query_one(ExplainTree))
        elif target == "namespaces":
            self.focus_namespaces()
        else:
            self._focus(self.table(target))

    def action_verdict(self) -> None:
        if self.evaluation is None:
            self.flash("no verdict yet: mark a source (s) and a destination (d)", error=True)
            return
        self._focus(self.query_one(ExplainTree))

    def _focus(self, widget: Widget) -> None:
        """Focus now, not after pending events: a key typed right after this one must land here."""
        self.screen.set_focus(widget)

    def focus_namespaces(self) -> None:
        """Narrow terminals hide the namespaces pane until it is wanted: open it, then focus it."""
        self.screen.add_class("-ns-open")
        self._focus(self.table("namespaces"))

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        # Reached through the widget itself: blurs also happen on other screens and at shutdown.
        if not self.screen_stack:
            return
        main = self.screen_stack[0]
        if isinstance(event.widget, VirtualTable) and event.widget.id == "namespaces":
            main.remove_class("-ns-open")
        if isinstance(event.widget, ExplainTree):
            main.query("#body").remove_class("-explaining")

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if isinstance(event.widget, ExplainTree) and self.screen_stack:
            self.screen_stack[0].query("#body").add_class("-explaining")

    async def action_back(self) -> None:
        if self.screen.maximized is not None:
            self.screen.minimize()
            return
        pane = self._focused_pane()
        if pane is not None and self.filters.get(pane):
            self._set_filter(pane, "")
            return
        if self.query_one("#message").has_class("-shown"):
            self._clear_message()
            return
        if pane == "verdict" or pane == "namespaces":
            self._focus(self.table(self.view))

    def action_zoom(self) -> None:
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
            return
        pane = self._focused_pane()
        target: Widget | None = None
        if pane == "verdict":
            target = self.query_one(VerdictPanel)
        elif pane is not None:
            target = self.table(pane)
        if target is not None:
            screen.maximize(target, container=False)

    def action_refresh(self) -> None:
        self.flash(f"reloading: {self.loading_text}")
        self.start_load()

    def action_copy(self) -> None:
        pane = self._focused_pane()
        if pane == "policies" and self.model is not None:
            key = self.table("policies").cursor_key
            item = self.model.policy(key) if key else None
            if item is not None:
                from kubenet_tui.render.yaml_locate import manifest_yaml

                text = manifest_yaml(item.manifest)
                self.copy_to_clipboard(text)
                self.flash(f"copied the YAML of {item.title} to the clipboard (OSC 52)")
                return
        evaluation = self.evaluation
        if evaluation is None or evaluation.status is None:
            self.flash("nothing to copy yet: mark a source (s) and a destination (d)", error=True)
            return
        text = self.query_one(VerdictPanel).copy_text() or ""
        self.copy_to_clipboard(text)
        self.flash(f"copied the explanation ({len(text.splitlines())} lines) to the clipboard (OSC 52)")

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
        else:
            self.push_screen(HelpScreen())

    def flash(self, text: str, error: bool = False) -> None:
        """A one-line message above the footer; errors stay longer."""
        message = self.query_one("#message", Static)
        message.update(Text(("! " if error else "") + text))
        message.set_class(True, "-shown")
        message.set_class(error, "-error")
        if self._message_timer is not None:
            self._message_timer.stop()
        self._message_timer = self.set_timer(8 if error else 4, self._clear_message)

    def _clear_message(self) -> None:
        self.query_one("#message").set_class(False, "-shown")

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
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
        yield SystemCommand("All namespaces", "Show every namespace (:ns all)", lambda: self.show_namespace(None))
        if self.model is not None:
            for ns in self.model.namespace_names[:200]:
                yield SystemCommand(f"Namespace {ns}", f"Show namespace {ns} (:ns {ns})",
                                    lambda ns=ns: self.show_namespace(ns))
        yield SystemCommand("Filter", "Filter the focused table (/)", self.action_filter)
        yield SystemCommand("Reload", "Read the cluster again (r)", self.action_refresh)
        yield SystemCommand("Copy", "Copy the explanation or the selected YAML (c)", self.action_copy)
        yield SystemCommand("Clear connection", "Forget source, destination and port (:clear)",
                            lambda: self.run_command("clear"))
        yield SystemCommand("Help", "Every key and command (?)", self.action_help)
        yield from super().get_system_commands(screen)


def make_app(
    source: Source,
    namespace: str | None = None,
    *,
    all_namespaces: bool = False,
    loading_text: str = "",
    context: str | None = None,
    switch_context: Callable[[str], Source] | None = None,
    contexts: Sequence[str] = (),
    watch: bool = True,
) -> KubenetApp:
    """The one factory for the explorer, used by the CLI and the tests: the source is injected."""
    return KubenetApp(
        source,
        namespace=namespace,
        all_namespaces=all_namespaces,
        loading_text=loading_text,
        context=context,
        switch_context=switch_context,
        contexts=contexts,
        watch=watch,
    )
