"""The read-only source interface shared by the live cluster, manifest files and the bundled demo."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import field, replace
from enum import StrEnum
from threading import Event
from typing import Protocol

from kubenet_tui.engine.cluster import Cluster, Profile
from kubenet_tui.engine.records import record
from kubenet_tui.sources.parse import ObjectCollector, Problem


class DataState(StrEnum):
    LOADING = "loading"
    LIVE = "live"
    WATCHING = "watching"
    STALE = "stale"
    ERROR = "error"
    OFFLINE = "offline file"
    DEMO = "demo"


class SourceError(Exception):
    """Nothing could be loaded at all; the message is one clear line for the user."""


@record(slots=False)
class Snapshot:
    """Everything one load produced: the cluster, and every problem met on the way."""

    cluster: Cluster
    state: DataState
    description: str  # one line: "demo cluster", "3 files", "context prod at https://..."
    problems: tuple[Problem, ...] = ()
    ignored_kinds: Mapping[str, int] = field(default_factory=dict)
    context: str | None = None
    server: str | None = None
    user: str | None = None
    namespace: str | None = None  # the default namespace to show, if the source has one
    stale_reason: str | None = None  # state STALE: why the data may no longer be current

    @classmethod
    def from_collector(cls, collector: ObjectCollector, state: DataState, description: str, **kw: str | None) -> Snapshot:
        return cls(
            collector.cluster(),
            state,
            description,
            tuple(collector.problems),
            dict(collector.ignored_kinds),
            **kw,
        )

    def with_profile(self, profile: Profile | None) -> Snapshot:
        """The same data read as `profile` says (None: the detected plugin's)."""
        if profile is None or profile is self.cluster.profile_override:
            return self
        return replace(self, cluster=replace(self.cluster, profile_override=profile))

    def load_summary(self) -> str:
        c = self.cluster
        parts = [
            f"{len(c.namespaces)} namespaces",
            f"{len(c.pods)} pods",
            f"{len(c.services)} services",
            f"{len(c.network_policies)} network policies",
        ]
        if c.admin_policies:
            parts.append(f"{len(c.admin_policies)} admin/baseline policies")
        if c.cilium_policies:
            parts.append(f"{len(c.cilium_policies)} Cilium policies")
        if c.calico is not None and (c.calico.policies or c.calico.staged):
            staged = f" (+{len(c.calico.staged)} staged)" if c.calico.staged else ""
            parts.append(f"{len(c.calico.policies)} Calico policies{staged}")
        text = ", ".join(parts)
        errors = sum(1 for p in self.problems if p.severity == "error")
        warnings = len(self.problems) - errors
        if errors or warnings:
            text += f"; {errors} errors, {warnings} warnings"
        if self.ignored_kinds:
            ignored = sum(self.ignored_kinds.values())
            text += f"; {ignored} objects of other kinds ignored"
        return text


class Source(Protocol):
    """A read-only view of a cluster. `load` blocks: call it from a worker thread."""

    def load(self) -> Snapshot: ...

    def watch(self, on_snapshot: Callable[[Snapshot], None], stop: Event) -> None:
        """Push fresh snapshots until `stop` is set. Sources that never change return at once."""
        ...


class ProfiledSource:
    """Any source, its snapshots read with a chosen profile (`--cni`) instead of the detected one."""

    def __init__(self, source: Source, profile: Profile) -> None:
        self.source = source
        self.profile = profile

    def __getattr__(self, name: str) -> object:
        # prepare(), objects() and whatever else the wrapped source offers.
        return getattr(self.source, name)

    def load(self) -> Snapshot:
        return self.source.load().with_profile(self.profile)

    def watch(self, on_snapshot: Callable[[Snapshot], None], stop: Event) -> None:
        self.source.watch(lambda snapshot: on_snapshot(snapshot.with_profile(self.profile)), stop)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while decoding. A load allocates millions of small dicts,
    lists and model objects that all stay alive; every allocation burst triggers a collection that
    walks everything decoded so far, which was over half of the time to load 50,000 pods from a file
    (and of the CPU time of a live list). Reference counting still frees at once; only cyclic garbage
    waits until the collector resumes (if it was running) at the end of the load."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
