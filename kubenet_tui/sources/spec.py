"""Where the data comes from, decided in one place: a frozen `SourceSpec` and `make_source`.

The CLI builds a spec from its arguments; the explorer, the tests and the screenshots build one directly,
and the explorer derives new ones when the user re-scopes (`:ns`, `:ctx`), so no argument parser object
travels past the command line.
"""

from __future__ import annotations

from dataclasses import replace

from kubenet_tui.engine.profiles import Profile
from kubenet_tui.engine.records import record
from kubenet_tui.sources.base import ProfiledSource, Source
from kubenet_tui.sources.demo import DEFAULT_DEMO


@record
class SourceSpec:
    """The bundled demo, manifest files, or a live cluster (the default), and what of it to read."""

    demo: str | None = None  # the name of a bundled demo cluster (--demo [NAME])
    files: tuple[str, ...] = ()
    kubeconfig: str | None = None
    context: str | None = None  # None: the kubeconfig's current context
    namespaces: tuple[str, ...] = ()  # -n: a live cluster reads only these (plus `needed_namespaces`)
    all_namespaces: bool = False
    request_timeout: float = 10.0
    needed_namespaces: tuple[str, ...] = ()  # namespaces the question names: read even outside -n
    credential_timeout: float = 120.0  # bound on a kubeconfig credential plugin (a login may take a while)
    profile: Profile | None = None  # --cni: read the policies as this plugin does, not the detected one
    def __post_init__(self) -> None:
        if self.demo and self.files:
            raise ValueError("--demo and -f/--file cannot be combined")

    @property
    def live(self) -> bool:
        return not (self.demo or self.files)

    @property
    def scope(self) -> str | None:
        """The namespace to show first; None: the source's own (a context's namespace) or all."""
        return None if self.all_namespaces or not self.namespaces else self.namespaces[0]

    @property
    def loading_text(self) -> str:
        """What the first frame says is being read, before any data arrives."""
        if self.demo:
            return "bundled demo cluster" if self.demo == DEFAULT_DEMO else f"bundled demo cluster {self.demo}"
        if self.files:
            return "files " + ", ".join(self.files[:3]) + (" …" if len(self.files) > 3 else "")
        return f"context {self.context}" if self.context else "the current kubeconfig context"

    def reads_everything(self) -> bool:
        """True when every namespace is read: files and the demo hold all they have; a live cluster
        without -n (or with -A) lists cluster-wide."""
        return not self.live or self.all_namespaces or not self.namespaces

    def reads(self, namespace: str) -> bool:
        return self.reads_everything() or namespace in self.namespaces or namespace in self.needed_namespaces

    def with_context(self, name: str) -> SourceSpec:
        """Another context: its own default namespace, not the -n given for the first one (-A stays)."""
        return replace(self, context=name, namespaces=(), needed_namespaces=())

    def with_namespace(self, namespace: str | None, needed: tuple[str, ...] = ()) -> SourceSpec:
        """Read `namespace` (None: all namespaces) and the namespaces in `needed` (those the question
        being asked names), as `-n NAMESPACE` / `-A` would have."""
        if namespace is None:
            return replace(self, namespaces=(), all_namespaces=True, needed_namespaces=())
        extra = tuple(dict.fromkeys(n for n in needed if n and n != namespace))
        return replace(self, namespaces=(namespace,), all_namespaces=False, needed_namespaces=extra)


def make_source(spec: SourceSpec) -> Source:
    """The one place that turns a spec into a Source, for the explorer and the commands alike."""
    source = _source(spec)
    return source if spec.profile is None else ProfiledSource(source, spec.profile)


def _source(spec: SourceSpec) -> Source:
    if spec.demo:
        from kubenet_tui.sources.demo import DemoSource

        return DemoSource(spec.demo)
    if spec.files:
        from kubenet_tui.sources.files import FileSource

        return FileSource(list(spec.files))
    from kubenet_tui.sources.live import LiveOptions, LiveSource

    live: Source = LiveSource(LiveOptions(
        kubeconfig=spec.kubeconfig,
        context=spec.context,
        namespaces=spec.namespaces,
        all_namespaces=spec.all_namespaces,
        request_timeout=spec.request_timeout,
        needed_namespaces=spec.needed_namespaces,
        credential_timeout=spec.credential_timeout,
    ))
    return live
