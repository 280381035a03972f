"""One-line bars: the status header and the connection bar, drawn from `ui.lines` at the widget's width."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from kubenet_tui.ui.connection import Connection, Evaluation
from kubenet_tui.ui.lines import HeaderInfo, connection_text, header_text


class StatusHeader(Widget):
    """Context, server, user, namespace, data state and counts, on one line."""

    info: reactive[HeaderInfo] = reactive(HeaderInfo, layout=False)
    """What the header shows; set by the app."""

    def render(self) -> Text:
        return header_text(self.info, self.size.width)


class ConnectionBar(Widget):
    """Source → destination, port, and the verdict word once there is one."""

    connection: reactive[Connection] = reactive(Connection, layout=False)
    """The connection being asked about."""
    evaluation: reactive[Evaluation | None] = reactive(None, layout=False)
    """Its evaluation, None until both ends are set."""
    stale: reactive[bool] = reactive(False, layout=False)
    """The data behind the evaluation may no longer be current."""

    def render(self) -> Text:
        return connection_text(self.connection, self.evaluation, self.size.width, self.stale)
