"""Messages the explorer's workers and screens post to the app (workers never touch widgets)."""

from __future__ import annotations

from textual.message import Message

from kubenet_tui.ui.connection import EndSpec
from kubenet_tui.ui.model import ExplorerModel


class DataLoaded(Message):
    """A load or a watch produced a snapshot, already grouped for the panes (built in the worker)."""

    def __init__(self, model: ExplorerModel, generation: int, pushed: bool = False) -> None:
        super().__init__()
        self.model = model
        self.generation = generation
        self.pushed = pushed  # True: from `watch`, not from `load`


class LoadFailed(Message):
    """Nothing could be loaded; `error` is one line for the user."""

    def __init__(self, error: str, generation: int) -> None:
        super().__init__()
        self.error = error
        self.generation = generation


class SelectionsReady(Message):
    """The worker has worked out which pods every policy selects (the Policies table's PODS column)."""

    def __init__(self, generation: int) -> None:
        super().__init__()
        self.generation = generation


class CoverageReady(Message):
    """The worker has worked out which pods policies isolate (the Namespaces pane's ISO column)."""

    def __init__(self, generation: int) -> None:
        super().__init__()
        self.generation = generation


class EndPicked(Message):
    """A details screen marked a source or destination (`role` is "source" or "destination")."""

    def __init__(self, role: str, end: EndSpec) -> None:
        super().__init__()
        self.role = role
        self.end = end


class WhatIfLoaded(Message):
    """The `:whatif` files were read into an overlay."""

    def __init__(self, generation: int, overlay: object) -> None:
        super().__init__()
        self.generation = generation
        self.overlay = overlay


class WhatIfFailed(Message):
    def __init__(self, generation: int, error: str) -> None:
        super().__init__()
        self.generation = generation
        self.error = error


class WhatIfComputed(Message):
    """What the active overlay changes (the connectivity diff) is worked out."""

    def __init__(self, generation: int, overlay: object, diff: object) -> None:
        super().__init__()
        self.generation = generation
        self.overlay = overlay
        self.diff = diff
