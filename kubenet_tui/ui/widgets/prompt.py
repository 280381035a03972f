"""The bottom prompt line, k9s style: `/` filter, `:` command, and the port and typed-end prompts.

It owns one Input. The app feeds it keys while it is open (`feed`, so typed-ahead keys keep their
order) and gets back what happened; `Changed` is posted as the text changes (live filtering).
Enter submits, escape cancels. Suggestions (commands, namespaces, ports) complete with → or tab.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label


class PromptMode(StrEnum):
    FILTER = "filter"
    COMMAND = "command"
    PORT = "port"
    SOURCE = "source"
    DESTINATION = "destination"


PROMPT_LABEL = {
    PromptMode.FILTER: "/",
    PromptMode.COMMAND: ":",
    PromptMode.PORT: "port ›",
    PromptMode.SOURCE: "source ›",
    PromptMode.DESTINATION: "destination ›",
}

PLACEHOLDER = {
    PromptMode.FILTER: "name or label (role=db, tier!=web); enter: back to the table, esc: clear",
    PromptMode.COMMAND: "ns NAME | ns all | ctx NAME | pods | policies | svc | src/dst END | port P | clear | help | q",
    PromptMode.PORT: "6379, 6379/udp, a port name like http, or empty for every port",
    PromptMode.SOURCE: "NAMESPACE/POD or an IP address (outside the cluster)",
    PromptMode.DESTINATION: "NAMESPACE/POD, svc/NAMESPACE/NAME or an IP address",
}


@dataclass(frozen=True, slots=True)
class PromptOutcome:
    """What a key did to the open prompt: `submitted` with the value, `cancelled`, or just edited."""

    mode: PromptMode
    submitted: bool = False
    cancelled: bool = False
    value: str = ""


_EDIT_ACTIONS = {
    "backspace": "action_delete_left",
    "delete": "action_delete_right",
    "left": "action_cursor_left",
    "right": "action_cursor_right",
    "home": "action_home",
    "end": "action_end",
    "ctrl+a": "action_home",
    "ctrl+e": "action_end",
    "ctrl+u": "action_delete_left_all",
    "ctrl+w": "action_delete_left_word",
    "ctrl+k": "action_delete_right_all",
}


class PromptBar(Horizontal):
    class Changed(Message):
        def __init__(self, mode: PromptMode, value: str) -> None:
            super().__init__()
            self.mode = mode
            self.value = value

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mode = PromptMode.FILTER

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

    def open(self, mode: PromptMode, value: str = "", suggestions: Sequence[str] = (), select: bool = False) -> None:
        """Show the prompt with `value`; `select` selects it so typing replaces it and enter keeps it."""
        self.mode = mode
        self.query_one("#prompt-label", Label).update(PROMPT_LABEL[mode])
        field = self.input
        field.suggester = SuggestFromList(suggestions, case_sensitive=False) if suggestions else None
        field.placeholder = PLACEHOLDER[mode]
        with field.prevent(Input.Changed):
            field.value = value
        field.cursor_position = len(value)
        self.add_class("-open")
        # Focus at once (not after pending events): keys typed right after `/` or `p` belong here.
        self.screen.set_focus(field)
        if select and value:
            field.select_all()

    def close(self) -> None:
        self.remove_class("-open")

    def feed(self, event: events.Key) -> PromptOutcome | None:
        """Apply one key to the open prompt at once, in the order keys were typed.

        The app calls this for every key while the prompt is open, before Textual forwards the key to
        a widget's queue: a burst like `/db⏎d` (a fast typist, a paste, a slow SSH link delivering
        keys together) then edits, submits and lets `d` act on the table, in that order. Returns None
        for keys the prompt does not use."""
        field = self.input
        key = event.key
        if key == "enter":
            self.close()
            return PromptOutcome(self.mode, submitted=True, value=field.value)
        if key == "escape":
            self.close()
            return PromptOutcome(self.mode, cancelled=True)
        if key == "tab":
            self.accept_suggestion()
            return PromptOutcome(self.mode, value=field.value)
        action = _EDIT_ACTIONS.get(key)
        if action is not None:
            getattr(field, action)()
            return PromptOutcome(self.mode, value=field.value)
        if event.is_printable and event.character:
            selection = field.selection
            if selection.is_empty:
                field.insert_text_at_cursor(event.character)
            else:
                field.replace(event.character, *selection)
            return PromptOutcome(self.mode, value=field.value)
        return None

    def accept_suggestion(self) -> None:
        field = self.input
        if field.cursor_position == len(field.value):
            field.action_cursor_right()  # at the end of the text this takes the suggestion

    @on(Input.Changed, "#prompt-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self.mode, event.value))
