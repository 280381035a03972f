"""The bottom prompt line, k9s style: draws a `PromptBuffer` (`/` filter, `:` command, the port and
typed-end prompts) in one Input. Keys are applied to the buffer by the app, in the order they arrive;
this widget only shows the result, and posts `Changed` for edits that do not come from keys (a paste,
the mouse)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label
from textual.widgets.input import Selection

from kubenet_tui.ui.state.prompt import PromptBuffer


class PromptBar(Horizontal):
    class Changed(Message):
        """The field's text changed by other means than the keys the app applied."""

        def __init__(self, value: str) -> None:
            super().__init__()
            self.value = value

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._suggestions: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        yield Label("", id="prompt-label")
        # No cursor blink: nothing repaints on a timer, which matters over slow SSH and for snapshots.
        field = Input(id="prompt-input", compact=True, select_on_focus=False)
        field.cursor_blink = False
        yield field

    @property
    def input(self) -> Input:
        return self.query_one("#prompt-input", Input)

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def show(self, buffer: PromptBuffer) -> None:
        """Draw `buffer`: open with its text, cursor and suggestions, or closed."""
        if not buffer.is_open:
            self.remove_class("-open")
            return
        self.query_one("#prompt-label", Label).update(buffer.label)
        field = self.input
        if buffer.suggestions != self._suggestions:
            self._suggestions = buffer.suggestions
            field.suggester = SuggestFromList(buffer.suggestions, case_sensitive=False) if buffer.suggestions else None
        field.placeholder = buffer.placeholder
        with field.prevent(Input.Changed):
            field.value = buffer.text
        field.selection = Selection(0, len(buffer.text)) if buffer.selected else Selection.cursor(buffer.cursor)
        self.add_class("-open")
        if self.screen.focused is not field:
            # Focus at once (not after pending events): keys typed right after `/` or `p` belong here.
            self.screen.set_focus(field)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.is_open:
            self.post_message(self.Changed(event.value))
