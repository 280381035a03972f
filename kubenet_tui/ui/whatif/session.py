"""The explorer's what-if as a plain model: `:whatif PATH` overlays manifests on the current snapshot,
`:whatif off` drops them; a live snapshot that changes under the overlay is overlaid again.

Nothing here draws or runs a thread. The app:

1. routes the command line's `:whatif ...` through `parse_command` (a `Load`, `Off` or `Status`);
2. for `Load`, calls `load(paths)` in a worker (it reads files), then `WhatIf.start(overlay, snapshot)`
   (cheap: the overlay applied to the model), and shows `header()`;
3. in a worker, `compute()` (the connectivity diff, the expensive part) and `with_diff(...)` with it:
   the Changes pane (`changes_view.ChangesView`) lists it;
4. for the verdict panel, `compare(question)`: the answer now and with the change, side by side when
   they differ (`VerdictComparison.differs`);
5. on every new snapshot while active, `rebased(snapshot)`, then `compute()` again.

The minimal-fix suggestion's "try it" (`t`) is `suggestion.suggestion_overlay(...)` and then step 2.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import replace

from kubenet_tui.engine.diff import EXPLAIN_BUDGET, ChangeKind, ConnectivityDiff, PortPlan, connectivity_diff
from kubenet_tui.engine.errors import InputError
from kubenet_tui.engine.query import Answer, Question, ask
from kubenet_tui.engine.records import record
from kubenet_tui.sources.base import Snapshot
from kubenet_tui.sources.overlay import Overlaid, Overlay, load_overlay, staged_overlay
from kubenet_tui.sources.sides import STAGED

USAGE = ":whatif PATH [PATH...] (manifests to apply; 'staged' for Calico's staged policies), :whatif off"


@record
class Load:
    """`:whatif PATH...`: apply these manifests (`--delete`-style removals after `-d`)."""

    paths: tuple[str, ...]
    deletes: tuple[str, ...] = ()


@record
class Off:
    """`:whatif off`: back to the snapshot as it is."""


@record
class Status:
    """`:whatif` alone: say what is overlaid (or how to overlay something)."""


Command = Load | Off | Status


def parse_command(text: str) -> Command:
    """The argument of `:whatif` (what follows the word). Raises InputError with the usage."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise InputError(f"{exc}: {USAGE}") from None
    if not words:
        return Status()
    if words == ["off"]:
        return Off()
    paths: list[str] = []
    deletes: list[str] = []
    target = paths
    for word in words:
        if word in ("-d", "--delete"):
            target = deletes
            continue
        target.append(word)
    if not paths and not deletes:
        raise InputError(f"nothing to apply: {USAGE}")
    return Load(tuple(paths), tuple(deletes))


def load(command: Load) -> Overlay:
    """Read the overlay a `Load` names (blocking: files). Raises SourceError for a missing path."""
    if command.paths == (STAGED,) and not command.deletes:
        return staged_overlay()
    return load_overlay(command.paths, command.deletes)


@record(slots=False)
class VerdictComparison:
    """One question asked now and with the change."""

    question: Question
    now: Answer | None
    head: Answer | None
    now_error: str | None = None  # the question cannot be asked on that side (a pod it names is not there)
    head_error: str | None = None

    @property
    def differs(self) -> bool:
        """Show both, side by side: the answers differ (in status, or in what decides them)."""
        if (self.now is None) != (self.head is None):
            return True
        if self.now is None or self.head is None:
            return self.now_error != self.head_error
        return _said(self.now) != _said(self.head)

    def headline(self) -> str:
        """`now BLOCKED → with fix.yaml ALLOWED`, or the one word when they agree."""
        now = _word(self.now, self.now_error)
        head = _word(self.head, self.head_error)
        return f"now {now} → with the change {head}" if self.differs else f"{now}, with the change too"


def _said(answer: Answer) -> tuple[object, ...]:
    status = getattr(answer, "policies_say", None) or answer.status
    rules = getattr(answer, "deciding_rules", ())
    return status, tuple(rules)


def _word(answer: Answer | None, error: str | None) -> str:
    if answer is None:
        return f"cannot be asked ({error})" if error else "not asked"
    return answer.status.value.upper()


@record(slots=False)
class WhatIf:
    """An overlay applied to the explorer's snapshot, and (once computed) what it changes."""

    overlaid: Overlaid
    diff: ConnectivityDiff | None = None
    plan: PortPlan | None = None  # None: every port the policies name (the default of `diff`)
    namespaces: frozenset[str] | None = None

    @classmethod
    def start(cls, overlay: Overlay, snapshot: Snapshot, namespaces: Sequence[str] | None = None) -> WhatIf:
        """Apply `overlay` (raises SourceError when a derived view has nothing to apply)."""
        return cls(overlay.apply(snapshot), namespaces=frozenset(namespaces) if namespaces else None)

    @property
    def overlay(self) -> Overlay:
        return self.overlaid.overlay

    @property
    def base(self) -> Snapshot:
        return self.overlaid.base

    @property
    def head(self) -> Snapshot:
        return self.overlaid.snapshot

    def rebased(self, snapshot: Snapshot) -> WhatIf:
        """The same overlay on a newer snapshot (a live watch pushed one); the diff must be computed again."""
        return WhatIf(self.overlay.apply(snapshot), None, self.plan, self.namespaces)

    def compute(self, budget: int = EXPLAIN_BUDGET) -> ConnectivityDiff:
        """The connectivity diff (blocking: call it from a worker)."""
        return connectivity_diff(self.base.cluster, self.head.cluster, self.plan,
                                 set(self.namespaces) if self.namespaces else None, budget)

    def with_diff(self, diff: ConnectivityDiff) -> WhatIf:
        return replace(self, diff=diff)

    def header(self) -> str:
        """The header's note while an overlay is active."""
        text = f"what-if: {self.overlay.label} ({self.overlaid.effect.summary()})"
        if self.diff is None:
            return text + " · computing what it changes…"
        if not self.diff.changed:
            return text + " · no flow changes"
        totals = self.diff.totals()
        opened, closed = totals[ChangeKind.OPENED], totals[ChangeKind.CLOSED]
        others = self.diff.flows - opened - closed
        parts = [f"{opened:,} opened" if opened else "", f"{closed:,} closed" if closed else "",
                 f"{others:,} other changes" if others else ""]
        return f"{text} · " + ", ".join(p for p in parts if p)

    def notes(self) -> tuple[str, ...]:
        """What to tell the user once (problems of the overlay's files, what it could not do)."""
        return (*(p.describe() for p in self.overlay.problems), *self.overlaid.notes)

    def compare(self, question: Question) -> VerdictComparison:
        """`question` asked of the snapshot now and with the change."""
        answers: list[Answer | None] = []
        errors: list[str | None] = []
        for snapshot in (self.base, self.head):
            try:
                answers.append(ask(snapshot.cluster, question))
                errors.append(None)
            except InputError as exc:
                answers.append(None)
                errors.append(str(exc))
        return VerdictComparison(question, answers[0], answers[1], errors[0], errors[1])
