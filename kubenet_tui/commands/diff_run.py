"""`kubenet-tui diff --base SOURCE --head SOURCE`: every flow whose verdict changes between two sources,
e.g. the live cluster and the live cluster with a fix applied (`--head live+fix.yaml`).

Exit codes: 0 no flow changes, 1 some do, 2 unusable input (one line on stderr).

The arguments are in `diff.py`, which the command line imports on every start; this module (the engine's
diff, numpy) only when the command runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from kubenet_tui.engine.diff import connectivity_diff, port_plan
from kubenet_tui.engine.errors import InputError
from kubenet_tui.engine.matrix import matrix_pods
from kubenet_tui.engine.model import Protocol
from kubenet_tui.render.diff_out import DiffReport, Side, diff_json, diff_markdown, diff_text
from kubenet_tui.sources.base import Snapshot, Source
from kubenet_tui.sources.overlay import Overlay, load_overlay, staged_overlay
from kubenet_tui.sources.parse import Problem
from kubenet_tui.sources.sides import STAGED, SideError, SideSpec, parse_side
from kubenet_tui.terminal.output import Printer
from kubenet_tui.terminal.progress import Progress

EXIT_SAME = 0
EXIT_CHANGED = 1


def _port(text: str | None) -> int | None:
    if text is None or not text.strip():
        return None
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        raise InputError(f"diff --port takes a number, not {text!r} (a port name can stand for other numbers on "
                         "each pod: without --port every port the policies name is compared)")
    port = int(text)
    if not 1 <= port <= 65535:
        raise InputError(f"port {port} is out of range (1-65535)")
    return port


@dataclass
class _Loader:
    """Loads each source once (the same live cluster on both sides is read once), overlays on top."""

    args: argparse.Namespace
    progress: Progress
    report: Callable[[str, Problem], None]
    loaded: dict[tuple[str, str | None], Snapshot] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    _stdin: str | None = None

    def stdin(self) -> str:
        import sys

        if self._stdin is None:
            self._stdin = sys.stdin.read()
        return self._stdin

    def source(self, spec: SideSpec) -> Source:
        args = self.args
        if spec.kind == "demo":
            from kubenet_tui.sources.demo import DemoSource

            return DemoSource(spec.value or "shop")
        if spec.kind == "files":
            from kubenet_tui.sources.files import FileSource

            return FileSource([spec.value or "-"], self.stdin)
        from kubenet_tui.sources.live import LiveOptions, LiveSource

        return LiveSource(LiveOptions(
            kubeconfig=args.kubeconfig, context=args.context, namespaces=tuple(args.namespace),
            all_namespaces=args.all_namespaces, request_timeout=args.request_timeout))

    def side(self, word: str, spec: SideSpec, deletes: Sequence[str] = ()) -> tuple[Snapshot, tuple[str, ...]]:
        snapshot = self.loaded.get(spec.key)
        if snapshot is None:
            what = {"live": "reading the cluster", "demo": "reading the demo cluster"}.get(spec.kind,
                                                                                        f"reading {spec.value}")
            with self.progress.phase(what):
                snapshot = self.source(spec).load()
            profile = getattr(self.args, "cni", None)
            snapshot = snapshot.with_profile(profile)
            self.loaded[spec.key] = snapshot
            for problem in snapshot.problems:
                self.report(word, problem)
        changes: list[str] = []
        overlays: list[Overlay] = []
        for path in spec.overlays:
            overlays.append(staged_overlay() if path == STAGED else load_overlay([path], stdin_text=self.stdin))
        if deletes:
            overlays.append(load_overlay([], deletes, stdin_text=self.stdin))
        for overlay in overlays:
            for problem in overlay.problems:
                self.report(overlay.label, problem)
            if overlay.ignored_kinds:
                kinds = ", ".join(f"{n} {k}" for k, n in sorted(overlay.ignored_kinds.items()))
                self.notes.append(f"{overlay.label}: ignored {kinds}: kinds the engine does not use (no controller "
                                  "runs here, so pods they would create are not added)")
            overlaid = overlay.apply(snapshot)
            snapshot = overlaid.snapshot
            changes.append(f"{overlay.label}: {overlaid.effect.summary()}")
            self.notes.extend(overlaid.notes)
        return snapshot, tuple(changes)


def run(args: argparse.Namespace, out: Printer, err: Printer, progress: Progress) -> int:
    if args.demo or args.file:
        raise InputError("diff reads its two sides from --base and --head (e.g. --base demo --head demo+fix.yaml); "
                         "-f and --demo do not apply to it")
    try:
        base_spec, head_spec = parse_side(args.base), parse_side(args.head)
    except SideError as exc:
        raise InputError(str(exc)) from None
    port = _port(args.port)
    try:
        protocols = (Protocol.parse(args.protocol),) if args.protocol else (
            (Protocol.TCP,) if port is not None else tuple(Protocol))
    except ValueError as exc:
        raise InputError(str(exc)) from None
    shown: set[tuple[str, str]] = set()

    def report(word: str, problem: Problem) -> None:
        line = f"kubenet-tui: {word}: {problem.severity}: {problem.describe()}"
        if (word, line) not in shown and len(shown) < 40:
            shown.add((word, line))
            err.print(line, markup=False, soft_wrap=True, highlight=False)

    loader = _Loader(args, progress, report)
    base, base_changes = loader.side("base", base_spec)
    head, head_changes = loader.side("head", head_spec, args.delete)
    namespaces = None if args.all_namespaces or not args.namespace else set(args.namespace)
    if namespaces:
        known = set(base.cluster.index.namespaces) | set(head.cluster.index.namespaces)
        missing = sorted(namespaces - known)
        if missing:
            raise InputError(f"namespace(s) not found on either side: {', '.join(missing)}")
    notes = list(dict.fromkeys(loader.notes))
    if base.cluster.profile is not head.cluster.profile:
        notes.append(f"the base is read as {base.cluster.profile.value} and the head as {head.cluster.profile.value}: "
                     "verdicts may differ for that reason alone (--cni reads both alike)")
    for snapshot, word in ((base, "base"), (head, "head")):
        plugin = snapshot.cluster.plugin
        if plugin is not None and plugin.enforcement.value == "not-enforced":
            notes.append(f"the {word}'s network plugin does not enforce policies: this compares what they say, "
                         "not what happens on the wire")
    base_pods, head_pods = matrix_pods(base.cluster, namespaces), matrix_pods(head.cluster, namespaces)
    plan = port_plan((base.cluster, head.cluster), (*base_pods, *head_pods), protocols, port)
    if plan.unsplit:
        notes.append(f"port forms {', '.join(plan.unsplit)} cannot be split into ranges here: ports other than those "
                     "compared may change too (give --port to compare one)")
    pods = len({p.key for p in (*base_pods, *head_pods)})
    with progress.phase(f"comparing the flows of {pods:,} pods on {len(plan.questions)} port sets"):
        diff = connectivity_diff(base.cluster, head.cluster, plan, namespaces, budget=args.explain)
    result = DiffReport(
        Side(args.base, base.description, diff.base_pods, base.cluster.profile.value, base_changes),
        Side(args.head, head.description, diff.head_pods, head.cluster.profile.value, head_changes),
        diff, tuple(notes), tuple(sorted(namespaces or ())))
    if args.output == "json":
        out.json(diff_json(result))
    elif args.output == "markdown":
        for line in diff_markdown(result):
            out.write(line + "\n")
    else:
        for line in diff_text(result):
            out.text(line)
    return EXIT_CHANGED if diff.changed else EXIT_SAME
