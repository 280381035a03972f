"""What the explorer state asks of the app: things only the app can do (read a source in a worker, push a
screen, use the clipboard, quit). Plain values; the app carries them out."""

from __future__ import annotations

from kubenet_tui.engine.ends import PortSpec
from kubenet_tui.engine.records import record
from kubenet_tui.sources.spec import SourceSpec
from kubenet_tui.ui.explain_tree import PolicyLink
from kubenet_tui.ui.state.focus import Pane


@record
class Reload:
    """Read the current source again (`r`); `login`: a credential plugin may have the terminal first
    (the last attempt failed, so a login is the likely fix)."""

    login: bool = False


@record
class UseSource:
    """Read from a source made from `spec` instead (`:ctx`, or `:ns` beyond what a live `-n` read);
    the previous source is closed. `login`: a credential plugin may have the terminal first (another
    context; the same context's credentials are most likely still good, and `r` logs in if not)."""

    spec: SourceSpec
    login: bool = True


@record
class ComputeSelections:
    """Work out which pods each policy selects (the Policies table's PODS column), in a worker."""

    generation: int


@record
class ComputeCoverage:
    """Work out which pods policies isolate per namespace (the Namespaces pane's ISO column), in a worker."""

    generation: int


@record
class ShowDetails:
    """A pod, a policy or a Service, full screen (enter on a row)."""

    pane: Pane
    key: str


@record
class ShowPolicy:
    """A policy's YAML with the rule an explanation names marked (enter in the verdict's tree)."""

    link: PolicyLink


@record
class ShowHelp:
    pass


@record
class ShowProblems:
    pass


@record
class PickContext:
    """The context picker (`:ctx` alone): the kubeconfig's contexts, the current one marked."""

    contexts: tuple[str, ...]
    current: str | None


@record
class Copy:
    """Put `text` on the clipboard (OSC 52, so it works over SSH)."""

    text: str


@record
class ShowMap:
    """The namespace heatmap (`m`, `:map [PORT]`) on `port` (no port: any TCP port)."""

    port: PortSpec


@record
class ShowLint:
    """The lint findings of the loaded policies (`:lint`)."""


@record
class ShowReport:
    """A report on the loaded cluster: `coverage` (`:coverage`) or `exposure` (`:exposure`, `every_port`
    with `:exposure all`)."""

    kind: str
    every_port: bool = False
    namespace: str | None = None  # the explorer's scope: the report covers its pods (None: every pod)


@record
class ShowFlows:
    """A flow log read into the Flows pane (`:flows FILE`); `path` None: the pane shown last."""

    path: str | None


@record
class LoadWhatIf:
    """Read the manifests of `:whatif PATH...` (in a worker: files), then overlay them."""

    paths: tuple[str, ...]
    deletes: tuple[str, ...] = ()


@record
class ComputeWhatIf:
    """Work out every flow the active overlay changes (in a worker: the connectivity diff)."""

    generation: int


@record
class ShowChanges:
    """The Changes pane: every flow the overlay opens, closes or makes unknown (`:changes`)."""


@record
class Quit:
    code: int = 0


Effect = Reload | UseSource | ComputeSelections | ComputeCoverage | ShowDetails | ShowPolicy | ShowHelp | ShowProblems | PickContext \
    | Copy | ShowMap | ShowLint | ShowReport | ShowFlows | LoadWhatIf | ComputeWhatIf | ShowChanges | Quit
