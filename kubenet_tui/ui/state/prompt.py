"""The bottom prompt's buffer (k9s `cmd_buff.go` / `fish_buff.go`): the `/` filter, the `:` command line,
and the port and typed-end prompts. What is typed, where the cursor is, what completes it; keys in,
outcomes out. The PromptBar widget only draws it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

from kubenet_tui.engine.records import record


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
    PromptMode.FILTER: "name, label or IP (role=db, tier!=web); enter: back to the table, esc: clear",
    PromptMode.COMMAND: "ns NAME | ns all | ctx [NAME] | pods | policies | svc | src/dst END | port P | clear | help | q",
    PromptMode.PORT: "6379, 6379/udp, a port name like http, or empty for every port",
    PromptMode.SOURCE: "NAMESPACE/POD or an IP address (outside the cluster)",
    PromptMode.DESTINATION: "NAMESPACE/POD, svc/NAMESPACE/NAME or an IP address",
}


@record
class PromptOutcome:
    """What a key did to the open prompt: `submitted` with the value, `cancelled`, or just edited."""

    mode: PromptMode
    submitted: bool = False
    cancelled: bool = False
    value: str = ""


_WORD_LEFT = re.compile(r"\S*\s*$")


class PromptBuffer:
    """One line of text being typed. `selected`: the whole text is selected (a prompt opened on the
    current value), so the first character typed replaces it and enter keeps it."""

    def __init__(self) -> None:
        self.mode = PromptMode.FILTER
        self.text = ""
        self.cursor = 0
        self.selected = False
        self.suggestions: tuple[str, ...] = ()
        self.placeholder = PLACEHOLDER[PromptMode.FILTER]
        self.is_open = False
        self._cycle: tuple[str, int] | None = None  # tab completion: the prefix typed, the candidate shown

    def open(self, mode: PromptMode, value: str = "", suggestions: Sequence[str] = (), select: bool = False,
             placeholder: str | None = None) -> None:
        self.mode = mode
        self.text = value
        self.cursor = len(value)
        self.selected = select and bool(value)
        self.suggestions = tuple(suggestions)
        self.placeholder = placeholder or PLACEHOLDER[mode]
        self.is_open = True
        self._cycle = None

    def close(self) -> None:
        self.is_open = False
        self._cycle = None

    @property
    def label(self) -> str:
        return PROMPT_LABEL[self.mode]

    def candidates(self, prefix: str) -> list[str]:
        """Suggestions that complete `prefix` (case-insensitive); all of them for an empty prefix."""
        folded = prefix.casefold()
        return [s for s in self.suggestions if s.casefold().startswith(folded) and len(s) > len(prefix)]

    @property
    def suggestion(self) -> str | None:
        """The completion shown after the typed text (→ or tab takes it)."""
        if not self.text:
            return None
        found = self.candidates(self.text)
        return found[0] if found else None

    def complete(self) -> None:
        """Tab: the first completion of what was typed; tab again: the next one (every suggestion when
        nothing is typed, e.g. the destination's declared ports)."""
        if self._cycle is None:
            prefix, index = ("" if self.selected else self.text), 0
        else:
            prefix, index = self._cycle[0], self._cycle[1] + 1
        found = self.candidates(prefix)
        if not found:
            return
        self._set(found[index % len(found)])
        self._cycle = (prefix, index)

    def _set(self, text: str, cursor: int | None = None) -> None:
        self.text = text
        self.cursor = len(text) if cursor is None else cursor
        self.selected = False

    def feed(self, key: str, character: str | None = None) -> PromptOutcome | None:
        """Apply one key; None for keys the prompt does not use (they go on to the app)."""
        if key == "enter":
            self.close()
            return PromptOutcome(self.mode, submitted=True, value=self.text)
        if key == "escape":
            self.close()
            return PromptOutcome(self.mode, cancelled=True)
        if key == "tab":
            self.complete()
            return PromptOutcome(self.mode, value=self.text)
        self._cycle = None
        if self._edit(key):
            return PromptOutcome(self.mode, value=self.text)
        if character and character.isprintable() and len(character) == 1:
            if self.selected:
                self._set(character)
            else:
                self._set(self.text[: self.cursor] + character + self.text[self.cursor:], self.cursor + 1)
            return PromptOutcome(self.mode, value=self.text)
        return None

    def _edit(self, key: str) -> bool:
        text, cursor = self.text, self.cursor
        if self.selected and key in ("backspace", "delete", "ctrl+u", "ctrl+k", "ctrl+w"):
            self._set("")
            return True
        if key == "backspace":
            if cursor:
                self._set(text[: cursor - 1] + text[cursor:], cursor - 1)
        elif key == "delete":
            self._set(text[:cursor] + text[cursor + 1:], cursor)
        elif key == "left":
            self._set(text, max(0, cursor - 1) if not self.selected else 0)
        elif key == "right":
            suggestion = self.suggestion
            if cursor == len(text) and suggestion is not None and not self.selected:
                self._set(suggestion)
            else:
                self._set(text, min(len(text), cursor + 1) if not self.selected else len(text))
        elif key in ("home", "ctrl+a"):
            self._set(text, 0)
        elif key in ("end", "ctrl+e"):
            self._set(text, len(text))
        elif key == "ctrl+u":
            self._set(text[cursor:], 0)
        elif key == "ctrl+k":
            self._set(text[:cursor], cursor)
        elif key == "ctrl+w":
            left = _WORD_LEFT.sub("", text[:cursor])
            self._set(left + text[cursor:], len(left))
        else:
            return False
        return True
