"""The explorer's state machine: what is loaded and how fresh, the scope and view, each table's rows,
filter and cursor, the connection asked about and its verdict, the prompt, the focus ring and the flash.

Keys, commands and data arrive as method calls (the app routes them here); the state changes, records
what needs redrawing (`dirty`, `dirty_rows`, `cursor_moves`) and what only the app can do (`effects`),
and the app takes both with `take()`. The commands are one table (`COMMAND_HANDLERS`, as k9s'
`command.go`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from rich.text import Text

from kubenet_tui.engine.cluster import Enforcement
from kubenet_tui.engine.ends import PortSpec
from kubenet_tui.engine.evaluate import InputError
from kubenet_tui.engine.model import Protocol
from kubenet_tui.engine.profiles import Profile
from kubenet_tui.render.walkthrough import walkthrough
from kubenet_tui.render.yaml_locate import manifest_yaml
from kubenet_tui.sources.base import DataState, SourceError
from kubenet_tui.sources.spec import SourceSpec
from kubenet_tui.ui.connection import (
    Connection,
    EndKind,
    EndSpec,
    Evaluation,
    evaluate_connection,
    parse_end,
    parse_port,
    question_for,
)
from kubenet_tui.ui.explain_tree import PolicyLink, comparison_text, panel_text
from kubenet_tui.ui.keys import COMMAND_SUGGESTIONS, parse_command
from kubenet_tui.ui.lines import HeaderInfo
from kubenet_tui.ui.model import ExplorerModel, Filter, problem_count
from kubenet_tui.ui.state.effects import (
    ComputeCoverage,
    ComputeSelections,
    ComputeWhatIf,
    Copy,
    Effect,
    LoadWhatIf,
    PickContext,
    Quit,
    Reload,
    ShowChanges,
    ShowDetails,
    ShowFlows,
    ShowHelp,
    ShowLint,
    ShowMap,
    ShowPolicy,
    ShowProblems,
    ShowReport,
    UseSource,
)
from kubenet_tui.ui.state.flash import Flash
from kubenet_tui.ui.state.focus import TABLES, VIEW_TITLES, VIEWS, FocusRing, Pane
from kubenet_tui.ui.state.prompt import PromptBuffer, PromptMode, PromptOutcome
from kubenet_tui.ui.tables import EmptyRows, NamespaceRows, PodRows, PolicyRows, Rows, ServiceRows

if TYPE_CHECKING:
    from kubenet_tui.engine.diff import ConnectivityDiff
    from kubenet_tui.sources.overlay import Overlay
    from kubenet_tui.ui.whatif.session import WhatIf

# What the app redraws after a change (besides rows and cursors, tracked per table).
HEADER, TITLES, NOTICE, CONNECTION, MARKS, FOCUS, ZOOM, PROMPT, FLASH = (
    "header", "titles", "notice", "connection", "marks", "focus", "zoom", "prompt", "flash")


@dataclass
class Update:
    """What changed since the app last drew, and what it must do."""

    dirty: set[str] = field(default_factory=set)
    rows: set[Pane] = field(default_factory=set)
    cursors: dict[Pane, str | None] = field(default_factory=dict)
    effects: list[Effect] = field(default_factory=list)


def clock_text(at: float) -> str:
    """A wall-clock time as the header shows it (local time, to the second)."""
    return time.strftime("%H:%M:%S", time.localtime(at))


def _best_match(rows: Rows, flt: Filter) -> str | None:
    """The row enter on a filter should land on: an exact name first, then a name starting with the
    term, then a name containing it, then the first row (a label or IP match), in table order."""
    if not len(rows):
        return None
    if not flt.substrings:
        return rows.key(0)
    term = flt.substrings[0]
    best: tuple[int, int] | None = None
    for i in range(len(rows)):
        key = rows.key(i).lower()
        name = key.rpartition("/")[2]
        rank = 0 if term in (name, key) else 1 if name.startswith(term) else 2 if term in name else 3
        if best is None or rank < best[0]:
            best = (rank, i)
            if rank == 0:
                break
    assert best is not None
    return rows.key(best[1])


class ExplorerState:
    def __init__(
        self,
        spec: SourceSpec,
        *,
        contexts: tuple[str, ...] = (),
        context: str | None = None,
        wall_clock: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.spec = spec
        self.contexts = contexts
        self.context = context or spec.context
        self.loading_text = spec.loading_text if context is None or spec.context else f"context {context}"
        self.wall_clock = wall_clock
        self.model: ExplorerModel | None = None
        self.data_state = DataState.LOADING
        self.load_error: str | None = None
        self.stale_since: float | None = None  # wall clock: when the data stopped being current
        self.generation = 0
        # The scope to show when data arrives: -n (or :ns before any data), -A (None), else the source's
        # own namespace (a context's) on its first load; after that, the scope the user is in.
        self._requested: tuple[str | None] | None = (spec.scope,) if spec.scope or spec.all_namespaces else None
        self._scope_from_source = self._requested is None
        self.scope: str | None = None
        self.filters: dict[Pane, str] = {pane: "" for pane in TABLES}
        self.filter_target = Pane.PODS
        self.base_rows: dict[Pane, Rows] = {}
        self.rows: dict[Pane, Rows] = {pane: EmptyRows() for pane in TABLES}
        self.cursor: dict[Pane, str | None] = {pane: None for pane in TABLES}
        self.connection = Connection()
        self.evaluation: Evaluation | None = None
        self.focus = FocusRing()
        self.prompt = PromptBuffer()
        self.flash = Flash(clock)
        self._selections_started = False
        self.flows_path: str | None = None  # the flow log `:flows` read last
        self.ingress_pods: str | None = None  # `:ingress-pods NS/SELECTOR`: who carries requests from outside
        self.whatif: WhatIf | None = None  # an overlay on the snapshot (`:whatif`), and what it changes
        self._update = Update({HEADER, TITLES, NOTICE})

    # --- drawing bookkeeping ----------------------------------------------------------------------

    def take(self) -> Update:
        update, self._update = self._update, Update()
        return update

    def _dirty(self, *what: str) -> None:
        self._update.dirty.update(what)

    def _effect(self, effect: Effect) -> None:
        self._update.effects.append(effect)

    def _info(self, text: str) -> None:
        self.flash.info(text)
        self._dirty(FLASH)

    def _error(self, text: str) -> None:
        self.flash.error(text)
        self._dirty(FLASH)

    def input_error(self, text: str) -> None:
        """What the user typed cannot be used: say why, as an error flash."""
        self._error(text)

    def clear_flash(self) -> None:
        if self.flash.shown:
            self.flash.clear()
            self._dirty(FLASH)

    def expire_flash(self) -> None:
        if self.flash.expire():
            self._dirty(FLASH)

    # --- loading ------------------------------------------------------------------------------------

    def begin_load(self) -> int:
        """A (re)load starts; returns its generation (messages of older ones are dropped)."""
        if self.model is None:
            self.load_error = None
        self.generation += 1
        self._set_data_state(DataState.LOADING)
        self._dirty(NOTICE, HEADER)
        return self.generation

    def _set_data_state(self, state: DataState) -> None:
        # Stale from the first failure (or dropped watch) until fresh data arrives; retries in between
        # do not reset the clock.
        if state is DataState.STALE and self.stale_since is None:
            self.stale_since = self.wall_clock()
        elif state not in (DataState.STALE, DataState.LOADING):
            self.stale_since = None
        self.data_state = state
        self._dirty(HEADER, CONNECTION)

    def data_loaded(self, generation: int, model: ExplorerModel, pushed: bool = False) -> None:
        if generation != self.generation:
            return
        self.model = model
        self.load_error = None
        snapshot = model.snapshot
        if not pushed:
            scope = self.scope
            if self._requested is not None:
                scope = self._requested[0]
            elif self._scope_from_source:
                scope = snapshot.namespace
            self._requested, self._scope_from_source = None, False
            if scope is not None and scope not in model.index.namespaces:
                self._error(f"namespace {scope} has nothing loaded; showing all namespaces")
                scope = None
            self.scope = scope
        self._set_data_state(snapshot.state)
        before = self.evaluation.status if self.evaluation is not None else None
        self._rebuild_rows()
        self._selections_started = False
        if self.focus.view is Pane.POLICIES:
            self._start_selections()
        if model.coverage is None:
            self._effect(ComputeCoverage(generation))
        if self.whatif is not None:
            # The same overlay on the new snapshot (a watch pushed one, or a reload): worked out again.
            self.whatif = self.whatif.rebased(snapshot)
            self._effect(ComputeWhatIf(generation))
        self._reevaluate()
        after = self.evaluation.status if self.evaluation is not None else None
        if pushed and before is not None and after is not None and before is not after:
            # The cluster changed under the question being asked: say so, it is easy to miss.
            self._error(f"the cluster changed: the verdict is now {after.value.upper()} (was {before.value.upper()})")
        self._dirty(NOTICE, HEADER)

    def load_failed(self, generation: int, error: str) -> None:
        if generation != self.generation:
            return
        self.load_error = error
        self._set_data_state(DataState.ERROR if self.model is None else DataState.STALE)
        if self.model is not None:
            self._error(f"could not reload, showing the last data: {error} (r retries)")
        self._dirty(NOTICE, HEADER)

    def selections_ready(self, generation: int) -> bool:
        """True when the Policies table should be redrawn (the PODS column is known now)."""
        return generation == self.generation

    def _start_selections(self) -> None:
        """Only when the Policies view is shown: at 50k pods it is a second of CPU that would otherwise
        compete (GIL) with the first filter keystrokes in the pods table."""
        if self.model is not None and not self._selections_started:
            self._selections_started = True
            self._effect(ComputeSelections(self.generation))

    # --- what the panes show -------------------------------------------------------------------------

    @property
    def stale_reason(self) -> str | None:
        if self.data_state is not DataState.STALE:
            return None
        if self.load_error:
            return self.load_error
        return self.model.snapshot.stale_reason if self.model is not None else None

    def notice(self) -> Text | None:
        """Before any data: what is being read, or why nothing could be, in full (None once data is shown)."""
        if self.model is not None:
            return None
        if self.load_error is None:
            return Text.assemble(("◌ Loading ", "bold"), (self.loading_text, "bold"), "…\n\n",
                                 ("The screen stays responsive while data arrives: ? shows the keys, q quits.",
                                  "dim"))
        return Text.assemble(("✗ Could not load ", "bold"), (self.loading_text, "bold"), "\n\n",
                             self.load_error, "\n\n",
                             ("r retries · :ctx NAME switches context · ? shows the keys · q quits", "dim"))

    def loading_line(self) -> str:
        return f"◌ Loading: {self.loading_text}…"

    def header_info(self) -> HeaderInfo:
        model = self.model
        snapshot = model.snapshot if model else None
        counts = ""
        problems = 0
        if model is not None:
            pods = len(model.pods(self.scope))
            listed = model.policies(self.scope)
            netpols = sum(1 for p in listed if p.netpol is not None)
            plugin = sum(1 for p in listed if p.netpol is None and p.admin is None)
            services = len(model.services(self.scope))
            counts = f"{pods} pods {netpols} netpol {services} svc"
            admin = sum(1 for p in model.cluster_policies if p.admin is not None)
            if admin:
                counts += f" {admin} cluster-pol"
            if plugin:
                counts += f" {plugin} plugin-pol"
            problems = problem_count(model.snapshot)
        detail = ""
        if self.data_state is DataState.LOADING:
            detail = self.loading_text
        elif self.stale_reason:
            detail = self.stale_reason
        elif self.load_error:
            detail = self.load_error
        elif snapshot is not None:
            detail = snapshot.description
        return HeaderInfo(
            self.data_state,
            (snapshot.context if snapshot else None) or self.context,
            snapshot.server if snapshot else None,
            snapshot.user if snapshot else None,
            self.scope,
            counts,
            detail,
            problems=problems,
            cni=self.cni_text(),
            whatif=self._whatif_text(),
            since=clock_text(self.stale_since) if self.stale_since is not None else None,
        )

    def title(self, pane: Pane) -> Text:
        if pane is Pane.NAMESPACES:
            title = Text("Namespaces")
            if self.filters[pane]:
                title.append(f" /{self.filters[pane]}", style="bold")
            return title
        title = Text()
        for view in VIEWS:
            title.append(f" {VIEW_TITLES[view]} ", style="reverse bold" if view is pane else "dim")
        title.append(f" {self.scope or 'all namespaces'}")
        if self.filters[pane]:
            title.append(f"  /{self.filters[pane]}", style="bold")
        return title

    def empty_text(self, pane: Pane) -> str:
        base = self.base_rows.get(pane)
        if base is None:
            return self.loading_line() if self.model is None else ""
        flt = Filter(self.filters[pane])
        where = f"in {self.scope}" if self.scope and pane is not Pane.NAMESPACES else ""
        return f"No {base.noun} match /{flt.text}" if flt else f"No {base.noun} {where}".rstrip()

    def verdict_stale_note(self) -> str | None:
        """Said over the verdict while the data behind it is stale: since when, and why."""
        if self.evaluation is None or self.data_state is not DataState.STALE:
            return None
        since = f" since {clock_text(self.stale_since)}" if self.stale_since is not None else ""
        reason = self.stale_reason
        return f"◐ stale{since}: this verdict is on the last data read" + (f" — {reason}" if reason else "") + \
            " (r retries)"

    def marks(self, pane: Pane) -> dict[str, str]:
        marks: dict[str, str] = {}
        if pane is Pane.PODS:
            for spec, letter in ((self.connection.source, "S"), (self.connection.destination, "D")):
                if spec is not None and spec.kind is EndKind.POD:
                    marks[spec.ref] = marks.get(spec.ref, "") + letter
        elif pane is Pane.SERVICES:
            destination = self.connection.destination
            if destination is not None and destination.kind is EndKind.SERVICE:
                marks[destination.ref] = "D"
        return marks

    # --- scope and rows ------------------------------------------------------------------------------

    def _rebuild_rows(self) -> None:
        model = self.model
        if model is None:
            return
        scope = self.scope
        show_ns = scope is None
        self.base_rows = {
            Pane.NAMESPACES: NamespaceRows(model.namespace_summaries(), model),
            Pane.PODS: PodRows(model, model.pods(scope), show_ns),
            Pane.POLICIES: PolicyRows(model, model.policies(scope), show_ns),
            Pane.SERVICES: ServiceRows(model, model.services(scope), show_ns),
        }
        self.rows = {pane: EmptyRows() for pane in TABLES}
        for pane in TABLES:
            self._filter_rows(pane)
            keep = (scope or "") if pane is Pane.NAMESPACES else self.cursor[pane]
            self._move_cursor(pane, keep)
        self._dirty(MARKS, HEADER, TITLES)

    def _clear_rows(self) -> None:
        self.base_rows = {}
        self.rows = {pane: EmptyRows() for pane in TABLES}
        self._update.rows.update(TABLES)

    def _filter_rows(self, pane: Pane) -> None:
        base = self.base_rows.get(pane)
        if base is None:
            return
        self.rows[pane] = base.filtered(Filter(self.filters[pane]), self.rows[pane])
        self._update.rows.add(pane)

    def _move_cursor(self, pane: Pane, key: str | None) -> None:
        """Put the table's cursor on `key` (the first row when it is not shown)."""
        rows = self.rows[pane]
        if key is None or rows.position(key) is None:
            key = rows.key(0) if len(rows) else None
        self.cursor[pane] = key
        self._update.cursors[pane] = key

    def set_scope(self, scope: str | None) -> None:
        if scope == self.scope:
            return
        self.scope = scope
        self._rebuild_rows()

    def highlighted(self, pane: Pane, key: str | None) -> None:
        """A table's cursor moved (arrows, a click, new rows). In the namespaces pane it scopes the rest."""
        self.cursor[pane] = key
        if pane is Pane.NAMESPACES and self.focus.current is Pane.NAMESPACES and self.model is not None \
                and key is not None:
            self.set_scope(key or None)

    def chosen(self, pane: Pane, key: str) -> None:
        """Enter on a row: a namespace scopes the tables; anything else opens its details."""
        if self.model is None:
            return
        if pane is Pane.NAMESPACES:
            self.set_scope(key or None)
            self.focus_pane(self.focus.view)
        else:
            self._effect(ShowDetails(pane, key))

    def set_filter(self, pane: Pane, text: str) -> None:
        self.filters[pane] = text
        self._filter_rows(pane)
        self._move_cursor(pane, self.cursor[pane])
        self._dirty(TITLES)

    # --- focus --------------------------------------------------------------------------------------

    def focus_pane(self, pane: Pane) -> None:
        if pane is Pane.VERDICT and self.evaluation is None:
            return
        view = self.focus.view
        self.focus.focus(pane)
        if self.focus.view is not view:
            self._view_changed()
        self._dirty(FOCUS)

    def focused(self, pane: Pane | None) -> None:
        """The app reports where the keyboard went (a click, a screen closing)."""
        if pane is not None and pane is not self.focus.current:
            self.focus_pane(pane)

    def _view_changed(self) -> None:
        if self.focus.view is Pane.POLICIES:
            self._start_selections()
        self._dirty(FOCUS)

    def show_view(self, view: Pane) -> None:
        self.focus_pane(view)

    def pane(self, step: int) -> None:
        """tab / shift+tab: the next / previous pane (the verdict only once there is one)."""
        if self.focus.zoomed is not None:
            self.focus.zoomed = None
            self._dirty(ZOOM)
        self.focus_pane(self.focus.step(step, self.evaluation is not None))

    def verdict(self) -> None:
        if self.evaluation is None:
            self._error("no verdict yet: mark a source (s) and a destination (d)")
            return
        self.focus_pane(Pane.VERDICT)

    def zoom(self) -> None:
        if self.focus.zoomed is not None:
            self.focus.zoomed = None
        elif self.focus.current is not None:
            self.focus.zoomed = self.focus.current
        self._dirty(ZOOM)

    def back(self) -> None:
        """esc: leave the zoom, else clear the focused table's filter, else the message, else go back to
        the resource table."""
        if self.focus.zoomed is not None:
            self.focus.zoomed = None
            self._dirty(ZOOM)
            return
        pane = self.focus.current
        if pane in TABLES and pane is not None and self.filters[pane]:
            self.set_filter(pane, "")
            return
        if self.flash.shown:
            self.clear_flash()
            return
        if pane in (Pane.VERDICT, Pane.NAMESPACES):
            self.focus_pane(self.focus.view)

    # --- the connection and its verdict ----------------------------------------------------------------

    def _reevaluate(self) -> None:
        evaluation = None
        if self.connection.complete and self.model is not None:
            evaluation = evaluate_connection(self.model.cluster, self.connection, self.scope, self.ingress_pods)
            if self.whatif is not None:
                evaluation = self._compared(evaluation)
        self.evaluation = evaluation
        if evaluation is None and self.focus.current is Pane.VERDICT:
            self.focus_pane(self.focus.view)
        self._dirty(CONNECTION, MARKS)

    def _compared(self, evaluation: Evaluation) -> Evaluation:
        """The question asked now and with the overlay too (a pod the overlay adds can be asked about)."""
        assert self.whatif is not None
        try:
            question = question_for(self.connection, self.scope, self.ingress_pods)
        except InputError:
            return evaluation
        comparison = self.whatif.compare(question)
        if evaluation.answer is None and comparison.head is not None:
            evaluation = replace(evaluation, error=None)  # it exists with the change: not an error to show
        return replace(evaluation, comparison=comparison, change_label=self.whatif.overlay.label)

    # --- what-if: an overlay on the snapshot ------------------------------------------------------------

    def _cmd_whatif(self, arg: str) -> None:
        """`:whatif PATH...` overlays manifests (`-d PATH` deletes what they name; `staged` commits Calico's
        staged policies), `:whatif off` drops the overlay, `:whatif` alone says what is overlaid."""
        from kubenet_tui.ui.whatif.session import USAGE, Load, Off, parse_command

        command = parse_command(arg)
        if isinstance(command, Off):
            if self.whatif is None:
                raise InputError("no what-if is active")
            self.whatif = None
            self._info("what-if off: the snapshot as it is")
            self._reevaluate()
            self._dirty(HEADER)
        elif isinstance(command, Load):
            self._needs_data("a what-if")
            self._info(f"reading {' '.join(command.paths + command.deletes)}…")
            self._effect(LoadWhatIf(command.paths, command.deletes))
        elif self.whatif is not None:
            self._info(self.whatif.header() + " (:changes lists them; :whatif off)")
        else:
            self._info(f"no what-if is active: {USAGE}")

    def whatif_loaded(self, generation: int, overlay: Overlay) -> None:
        """The overlay's files were read: apply it to the snapshot shown, and work out what it changes."""
        from kubenet_tui.ui.whatif.session import WhatIf

        if generation != self.generation or self.model is None:
            return
        try:
            self.whatif = WhatIf.start(overlay, self.model.snapshot)
        except SourceError as exc:
            self._error(str(exc))
            return
        notes = self.whatif.notes()
        self._info(self.whatif.header() + (f" — {notes[0]}" if notes else ""))
        self._effect(ComputeWhatIf(self.generation))
        self._reevaluate()
        self._dirty(HEADER)

    def whatif_failed(self, generation: int, error: str) -> None:
        if generation == self.generation:
            self._error(f"what-if: {error}")

    def whatif_computed(self, generation: int, overlay: Overlay, diff: ConnectivityDiff) -> None:
        if generation != self.generation or self.whatif is None or self.whatif.overlay is not overlay:
            return  # a newer snapshot or another overlay since
        self.whatif = self.whatif.with_diff(diff)
        self._info(self.whatif.header() + (" (:changes lists them)" if diff.changed else ""))
        self._dirty(HEADER)

    def _cmd_changes(self, arg: str) -> None:
        if self.whatif is None:
            raise InputError("no what-if is active: :whatif PATH first (manifests to try), or t on a suggestion")
        if self.whatif.diff is None:
            raise InputError("still working out what the change does: a moment")
        self._effect(ShowChanges())

    def try_suggestion(self) -> None:
        """t: overlay the verdict's first suggested change, to see everything else it would change too."""
        from kubenet_tui.ui.whatif.suggestion import CannotTry, suggestion_overlay

        evaluation = self.evaluation
        answer = evaluation.answer if evaluation is not None else None
        suggestions = getattr(answer, "suggestions", ())
        if self.model is None or not suggestions:
            raise InputError("nothing to try: t tries the fix a blocked verdict suggests")
        for suggestion in suggestions:
            try:
                overlay = suggestion_overlay(suggestion, self.model.cluster)
            except CannotTry as exc:
                last = str(exc)
                continue
            self.whatif_loaded(self.generation, overlay)
            return
        raise InputError(last)

    def choose_question(self, source: str, destination: str, port: PortSpec) -> None:
        """Enter on a changed flow: ask it (now and with the change). Pods the overlay adds exist only
        with the change, so the ends are taken as written, not looked up now."""
        self.set_connection(Connection(parse_end(source), parse_end(destination), port))
        if self.evaluation is not None:
            self.focus_pane(Pane.VERDICT)

    def set_connection(self, connection: Connection) -> None:
        self.connection = connection
        self._reevaluate()

    def set_end(self, role: str, spec: EndSpec) -> None:
        if role == "source" and spec.kind is EndKind.SERVICE:
            self._error(f"{spec.label} cannot be a source: traffic comes from its pods (mark one of them)")
            return
        if role == "destination" and spec.kind is EndKind.OUTSIDE:
            self._error(f"{spec.label} is where requests come in from outside: give it as the source (S)")
            return
        if role == "source":
            self.set_connection(replace(self.connection, source=spec))
        else:
            self.set_connection(replace(self.connection, destination=spec))
        if not self.connection.complete:
            other = "destination (d)" if role == "source" else "source (s)"
            self._info(f"{role} {spec.label}; now mark a {other}")
        else:
            self.clear_flash()

    def mark(self, role: str) -> None:
        """s / d: the pod (or, as destination, the Service) under the cursor."""
        pane = self.focus.current
        key = self.cursor.get(pane) if pane in (Pane.PODS, Pane.SERVICES) else None
        if pane is Pane.PODS and key:
            self.set_end(role, EndSpec.pod(key))
        elif pane is Pane.SERVICES and key:
            self.set_end(role, EndSpec.service(key))
        else:
            letter = "s" if role == "source" else "d"
            self._error(f"{letter} marks the pod (or Service) under the cursor: go to the Pods pane (tab), "
                        f"or type one with {letter.upper()}")

    def swap(self) -> None:
        if self.connection.source is None and self.connection.destination is None:
            self._error("nothing to swap yet: mark a source (s) and a destination (d)")
            return
        if self.connection.destination is not None and self.connection.destination.kind is EndKind.SERVICE:
            self._error("a Service cannot be a source: swap needs a pod or an IP as destination")
            return
        if self.connection.from_outside:
            self._error("a request from outside cannot be a destination: nothing to swap")
            return
        self.set_connection(self.connection.swapped())

    def _declared_ports(self) -> list[tuple[int, str | None, str]] | None:
        """(number, name, protocol) of the destination's declared ports, sorted: a pod's container ports or
        the Service's ports; None when the destination is neither."""
        model, destination = self.model, self.connection.destination
        if model is None or destination is None:
            return None
        if destination.kind is EndKind.POD:
            pod = model.pod(destination.ref)
            items = [(c.port, c.name, c.protocol.value) for c in pod.ports] if pod else []
        elif destination.kind is EndKind.SERVICE:
            svc = model.service(destination.ref)
            items = [(s.port, s.name, s.protocol.value) for s in svc.ports] if svc else []
        else:
            return None
        return sorted(set(items), key=lambda d: (d[0], d[2]))

    def port_suggestions(self) -> list[str]:
        """The destination's declared ports as `number` and `name` (with `/udp` or `/sctp` when not TCP)."""
        out: list[str] = []
        for number, name, protocol in self._declared_ports() or []:
            suffix = "" if protocol == "TCP" else f"/{protocol.lower()}"
            for text in (f"{number}{suffix}", f"{name}{suffix}" if name else None):
                if text and text not in out:
                    out.append(text)
        return out

    def port_hint(self) -> str | None:
        """The port prompt's placeholder when the destination declares ports: them, then the forms."""
        items = self._declared_ports()
        destination = self.connection.destination
        if not items or destination is None:
            return None
        shown = ", ".join(f"{n}" + ("" if p == "TCP" else f"/{p.lower()}") + (f" ({name})" if name else "")
                          for n, name, p in items)
        return f"{destination.label} declares {shown} (tab picks); or a number, 53/udp, empty: every port"

    # --- prompt ------------------------------------------------------------------------------------

    def _open_prompt(self, mode: PromptMode, value: str = "", suggestions: list[str] | None = None,
                     select: bool = False, placeholder: str | None = None) -> None:
        self.focus.leave_for_prompt()
        self.prompt.open(mode, value, suggestions or [], select, placeholder)
        self._dirty(PROMPT, FOCUS)

    def open_filter(self) -> None:
        pane = self.focus.current
        self.filter_target = pane if pane in TABLES and pane is not None else self.focus.view
        # A fresh filter each time, as in k9s: `/db` after `/frontend` looks for db.
        self._open_prompt(PromptMode.FILTER, "")

    def open_command(self) -> None:
        suggestions = list(COMMAND_SUGGESTIONS)
        if self.model is not None:
            suggestions = [f"ns {ns}" for ns in self.model.namespace_names] + suggestions
        suggestions += [f"ctx {name}" for name in self.contexts]
        self._open_prompt(PromptMode.COMMAND, "", suggestions)

    def open_port(self) -> None:
        current = self.connection.port
        value = "" if current.text is None else current.text
        if current.protocol is not None and (current.protocol.value != "TCP" or current.text is None):
            value = f"{value}/{current.protocol.value.lower()}" if value else current.protocol.value.lower()
        self._open_prompt(PromptMode.PORT, value, self.port_suggestions(), select=True, placeholder=self.port_hint())

    def open_end(self, role: str) -> None:
        mode = PromptMode.SOURCE if role == "source" else PromptMode.DESTINATION
        current = self.connection.source if role == "source" else self.connection.destination
        suggestions: list[str] = []
        if self.model is not None:
            suggestions = [p.key for p in self.model.pods(self.scope)][:5000]
            if role == "destination":
                suggestions += [f"svc/{s.key}" for s in self.model.services(self.scope)][:2000]
            else:  # requests from outside: the URLs the routes serve, the Ingresses, Gateways and routes
                from kubenet_tui.engine.outside import outside_ends

                suggestions = [*outside_ends(self.model.cluster)[:500], *suggestions]
        self._open_prompt(mode, current.label if current else "", suggestions, select=True)

    def key(self, key: str, character: str | None = None) -> bool:
        """A key while the prompt is open; False when the prompt does not use it."""
        if not self.prompt.is_open:
            return False
        outcome = self.prompt.feed(key, character)
        if outcome is None:
            return False
        self._dirty(PROMPT)
        if outcome.submitted:
            self.submit_prompt(outcome)
        elif outcome.cancelled:
            self.cancel_prompt(outcome.mode)
        elif outcome.mode is PromptMode.FILTER:
            self.set_filter(self.filter_target, outcome.value)
        return True

    def prompt_edited(self, value: str) -> None:
        """The field changed by other means than a key (a paste, the mouse)."""
        if not self.prompt.is_open or value == self.prompt.text:
            return
        self.prompt.text, self.prompt.cursor, self.prompt.selected = value, len(value), False
        if self.prompt.mode is PromptMode.FILTER and self.filters[self.filter_target] != value:
            self.set_filter(self.filter_target, value)

    def _close_prompt(self, pane: Pane | None) -> None:
        view = self.focus.view
        self.focus.back_from_prompt(pane, self.evaluation is not None)
        if self.focus.view is not view:
            self._view_changed()
        self._dirty(FOCUS, PROMPT)

    def cancel_prompt(self, mode: PromptMode) -> None:
        if mode is PromptMode.FILTER:
            self.set_filter(self.filter_target, "")
        self._close_prompt(None)

    def submit_prompt(self, outcome: PromptOutcome) -> None:
        mode, value = outcome.mode, outcome.value
        self._close_prompt(self.filter_target if mode is PromptMode.FILTER else None)
        try:
            if mode is PromptMode.FILTER:
                self.set_filter(self.filter_target, value)
                rows = self.rows[self.filter_target]
                self._move_cursor(self.filter_target, _best_match(rows, Filter(value)))
                if value and not len(rows):
                    self._error(f"nothing matches /{value} (esc clears the filter)")
            elif mode is PromptMode.PORT:
                self.set_connection(replace(self.connection, port=parse_port(value)))
            elif mode is PromptMode.SOURCE:
                self.set_end("source", self._parse_end(value, "source"))
            elif mode is PromptMode.DESTINATION:
                self.set_end("destination", self._parse_end(value, "destination"))
            elif mode is PromptMode.COMMAND:
                self.run_command(value)
        except InputError as exc:
            self._error(str(exc))

    # --- commands (k9s command.go: one table) ------------------------------------------------------------

    def run_command(self, text: str) -> None:
        """`:ns shop`, `:pods`, ... Raises InputError with what to type instead."""
        command = parse_command(text)
        COMMAND_HANDLERS[command.name](self, command.arg)

    def _cmd_ns(self, arg: str) -> None:
        if not arg:
            self.focus_pane(Pane.NAMESPACES)
        else:
            self.show_namespace(None if arg in ("all", "-A", "*") else arg)

    def _cmd_view(self, view: Pane, arg: str) -> None:
        if arg:
            self.show_namespace(None if arg in ("all", "-A") else arg)
        self.show_view(view)

    def _cmd_end(self, role: str, arg: str) -> None:
        self.set_end(role, self._parse_end(arg, role))

    def _parse_end(self, text: str, role: str) -> EndSpec:
        """Typed ends read like the command line's: with data loaded, DNS names, ClusterIPs, pod IPs
        and bare names (in the namespace in view) too."""
        index = self.model.cluster.index if self.model is not None else None
        try:
            return parse_end(text, index, self.scope)
        except InputError as exc:
            raise InputError(f"{role}: {exc}") from None

    def _cmd_port(self, arg: str) -> None:
        self.set_connection(replace(self.connection, port=parse_port(arg)))

    def _cmd_clear(self, arg: str) -> None:
        self.set_connection(Connection())
        self._info("cleared source, destination and port")

    def _cmd_problems(self, arg: str) -> None:
        if self.model is None:
            raise InputError("nothing loaded yet")
        self._effect(ShowProblems())

    def show_namespace(self, namespace: str | None) -> None:
        """`:ns NAME` / `:ns all`. A live cluster read with -n reads the namespace asked for (and those
        of the question's ends) instead of showing an empty table, as k9s does."""
        model = self.model
        if model is None:
            self._requested = (namespace,)
            return
        if not self._reads(namespace):
            needed = tuple(e.ref.partition("/")[0] for e in (self.connection.source, self.connection.destination)
                           if e is not None and e.kind in (EndKind.POD, EndKind.SERVICE))
            self._requested = (namespace,)
            self._use_source(self.spec.with_namespace(namespace, needed),
                             f"namespace {namespace}" if namespace else "all namespaces", login=False)
            return
        if namespace is not None and namespace not in model.index.namespaces:
            near = [n for n in model.namespace_names if namespace in n][:5]
            hint = f" (did you mean {', '.join(near)}?)" if near else ""
            raise InputError(f"no namespace {namespace} in the loaded data{hint}")
        self.set_scope(namespace)

    def _reads(self, namespace: str | None) -> bool:
        if namespace is None:
            return self.spec.reads_everything()
        return self.spec.reads(namespace)

    def switch_context(self, name: str) -> None:
        """`:ctx NAME`: read another context, in its own default namespace."""
        if not self.spec.live:
            raise InputError("contexts can only be switched on a live cluster (this data is not from a kubeconfig)")
        if self.contexts and name not in self.contexts:
            raise InputError(f"no context {name} in the kubeconfig (contexts: {', '.join(self.contexts[:12])})")
        self.context = name
        self._requested = (None,) if self.spec.all_namespaces else None
        self._scope_from_source = self._requested is None
        self.scope = None
        self.set_connection(Connection())
        self._use_source(self.spec.with_context(name), f"context {name}")

    def _use_source(self, spec: SourceSpec, what: str, login: bool = True) -> None:
        self.spec = spec
        self.model = None
        self.load_error = None
        self.loading_text = what
        self.clear_flash()  # what was said about the old data no longer holds
        self._clear_rows()
        self._dirty(NOTICE, HEADER, TITLES)
        self._effect(UseSource(spec, login))

    def _cmd_ctx(self, arg: str) -> None:
        if not arg:
            if not self.spec.live:
                raise InputError("contexts can only be switched on a live cluster (this data is not from a kubeconfig)")
            current = self.context or (self.model.snapshot.context if self.model else None)
            self._effect(PickContext(self.contexts, current))
            return
        self.switch_context(arg)

    # --- the cluster at a glance, flow logs, the plugin --------------------------------------------------

    def _needs_data(self, what: str) -> None:
        if self.model is None:
            raise InputError(f"{what} needs data: nothing is loaded yet")

    def _cmd_map(self, arg: str) -> None:
        """`:map [PORT]` (and m): namespaces x namespaces, on any TCP port unless a port is given."""
        self._needs_data("the heatmap")
        port = parse_port(arg) if arg else PortSpec(None, Protocol.TCP)
        self._effect(ShowMap(port))

    def show_map(self) -> None:
        """m: the heatmap on the connection's port when it names one (a number), else any TCP port."""
        port = self.connection.port
        self._cmd_map(f"{port.text}/{port.proto.value}" if port.text is not None and port.text.isdigit() else "")

    def _cmd_lint(self, arg: str) -> None:
        self._needs_data("lint")
        self._effect(ShowLint())

    def _cmd_coverage(self, arg: str) -> None:
        self._needs_data("coverage")
        self._effect(ShowReport("coverage", namespace=self.scope))

    def _cmd_exposure(self, arg: str) -> None:
        """`:exposure` lists the pod ports open from outside or to every namespace; `:exposure all` every
        declared port."""
        self._needs_data("exposure")
        if arg not in ("", "all"):
            raise InputError(f":exposure takes no argument but all (every declared port), not {arg!r}")
        self._effect(ShowReport("exposure", every_port=arg == "all", namespace=self.scope))

    def _cmd_flows(self, arg: str) -> None:
        """`:flows FILE` reads a flow log into the Flows pane; `:flows` alone shows it again."""
        self._needs_data("the Flows pane")
        if arg == "-":
            raise InputError("the explorer's stdin is the terminal: give a file, or a named pipe (mkfifo /tmp/flows; "
                             "hubble observe -o json --follow > /tmp/flows; then :flows /tmp/flows)")
        if not arg and self.flows_path is None:
            raise InputError("no flow log read yet: :flows FILE (hubble observe -o json, Calico flow logs, the AWS "
                             "network policy agent's log; gzip too)")
        self.flows_path = arg or self.flows_path
        self._effect(ShowFlows(arg or None))

    def _cmd_cni(self, arg: str) -> None:
        """`:cni`: which plugin was detected and how the policies are read; `:cni NAME` reads them as
        that plugin does (as --cni), `:cni auto` as the detected one."""
        if not arg:
            self._info(self.cni_text(long=True) + " (:cni upstream|cilium|calico|auto changes the reading)")
            return
        choice = arg.strip().lower()
        if choice in ("auto", "detected"):
            profile = None
        else:
            try:
                profile = Profile(choice)
            except ValueError:
                raise InputError(f"unknown reading {arg!r}: :cni upstream, :cni cilium, :cni calico or :cni auto"
                                 ) from None
        self._use_source(replace(self.spec, profile=profile), f"the policies read as {choice}", login=False)

    def _cmd_ingress_pods(self, arg: str) -> None:
        """`:ingress-pods NS/SELECTOR` names the pods that carry requests from outside when the controller is
        not recognised (as check's --ingress-pods); alone, it forgets them."""
        if arg:
            from kubenet_tui.engine.controllers import parse_pods_override

            parse_pods_override(arg)  # says what is wrong with it now, not at the next question
        self.ingress_pods = arg or None
        self._info(f"requests from outside are carried by {arg}" if arg else "the controller's pods are found again")
        self._reevaluate()

    def _whatif_text(self) -> str:
        whatif = self.whatif
        if whatif is None:
            return ""
        if whatif.diff is None:
            return f"what-if {whatif.overlay.label} · computing…"
        return f"what-if {whatif.overlay.label} · {whatif.diff.flows:,} flows change"

    def cni_text(self, long: bool = False) -> str:
        """The plugin and the reading of the policies, for the header (short) and :cni (long)."""
        model = self.model
        if model is None:
            return ""
        cluster = model.cluster
        plugin = cluster.plugin
        reading = cluster.profile.value
        chosen = cluster.profile_override is not None
        names = "/".join(plugin.names) if plugin is not None and plugin.names else ""
        if not long:
            text = f"cni {reading}" + (" (chosen)" if chosen else "")
            if plugin is not None and plugin.enforcement is Enforcement.NOT_ENFORCED:
                text += f" · {names or 'plugin'} enforces nothing"
            return text
        found = f"network plugin: {names}" if names else "network plugin: not identified"
        if plugin is not None and plugin.note:
            found += f" ({plugin.note})"
        how = f"policies read as {reading}" + (" (chosen with --cni or :cni)" if chosen else "")
        return f"{found}; {how}"

    def choose_pair(self, source: str, destination: str, port: str | None) -> None:
        """The heatmap's grid chose a pod pair (enter): ask about it, on the heatmap's port."""
        spec = parse_port(port) if port else self.connection.port
        self.set_connection(Connection(EndSpec.pod(source), EndSpec.pod(destination), spec))
        if self.evaluation is not None:
            self.focus_pane(Pane.VERDICT)

    def choose_flow(self, source: str | None, destination: str | None, port: str | None, why_not: str) -> None:
        """Enter on a flow: its ends and port, as typed ends are read; what cannot be set is said."""
        connection = self.connection
        if source is not None:
            connection = replace(connection, source=self._parse_end(source, "source"))
        if destination is not None:
            connection = replace(connection, destination=self._parse_end(destination, "destination"))
        if port is not None:
            connection = replace(connection, port=parse_port(port))
        self.set_connection(connection)
        if why_not:
            self._error(f"{why_not}: kept what was set before")
        elif self.evaluation is not None:
            self.focus_pane(Pane.VERDICT)

    # --- other actions -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """r: read again; after a failure a credential plugin may get the terminal for a login."""
        self._info(f"reloading: {self.loading_text}")
        self._effect(Reload(login=self.load_error is not None))

    def copy(self) -> None:
        pane = self.focus.current
        if pane is Pane.POLICIES and self.model is not None:
            key = self.cursor[Pane.POLICIES]
            item = self.model.policy(key) if key else None
            if item is not None:
                self._effect(Copy(manifest_yaml(item.manifest)))
                self._info(f"copied the YAML of {item.title} to the clipboard (OSC 52)")
                return
        evaluation = self.evaluation
        if evaluation is None or evaluation.status is None:
            self._error("nothing to copy yet: mark a source (s) and a destination (d)")
            return
        text = self._panel_text(evaluation)  # exactly what the verdict panel shows
        self._effect(Copy(text))
        self._info(f"copied the explanation ({len(text.splitlines())} lines) to the clipboard (OSC 52)")

    @staticmethod
    def _panel_text(evaluation: Evaluation) -> str:
        """Exactly what the verdict panel shows, as text: one answer, or both sides of a what-if."""
        comparison = evaluation.comparison
        if comparison is not None and evaluation.compared:
            now = walkthrough(comparison.now) if comparison.now is not None else None
            head = walkthrough(comparison.head) if comparison.head is not None else None
            return comparison_text(now, head, comparison.now_error, comparison.head_error, evaluation.change_label,
                                   comparison.headline())
        assert evaluation.answer is not None
        return panel_text(walkthrough(evaluation.answer))

    def open_policy(self, link: PolicyLink) -> None:
        if self.model is None:
            return
        if self.model.policy_for(link.kind, link.namespace, link.name) is None:
            self._error(f"{link.kind} {link.name} is not in the loaded data any more")
            return
        self._effect(ShowPolicy(link))

    def help(self) -> None:
        self._effect(ShowHelp())

    def quit(self) -> None:
        self._effect(Quit(0))


COMMAND_HANDLERS: dict[str, Callable[[ExplorerState, str], None]] = {
    "ns": ExplorerState._cmd_ns,
    "ctx": ExplorerState._cmd_ctx,
    "pods": lambda s, arg: s._cmd_view(Pane.PODS, arg),
    "policies": lambda s, arg: s._cmd_view(Pane.POLICIES, arg),
    "svc": lambda s, arg: s._cmd_view(Pane.SERVICES, arg),
    "src": lambda s, arg: s._cmd_end("source", arg),
    "dst": lambda s, arg: s._cmd_end("destination", arg),
    "port": ExplorerState._cmd_port,
    "clear": ExplorerState._cmd_clear,
    "problems": ExplorerState._cmd_problems,
    "map": ExplorerState._cmd_map,
    "lint": ExplorerState._cmd_lint,
    "coverage": ExplorerState._cmd_coverage,
    "exposure": ExplorerState._cmd_exposure,
    "flows": ExplorerState._cmd_flows,
    "cni": ExplorerState._cmd_cni,
    "ingress-pods": ExplorerState._cmd_ingress_pods,
    "whatif": ExplorerState._cmd_whatif,
    "changes": ExplorerState._cmd_changes,
    "help": lambda s, arg: s.help(),
    "quit": lambda s, arg: s.quit(),
}
