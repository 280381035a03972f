"""The prompt's buffer: typing, editing, completing, submitting and cancelling, without a terminal."""

from __future__ import annotations

from kubenet_tui.ui.state.prompt import PromptBuffer, PromptMode, PromptOutcome


def typed(buffer: PromptBuffer, text: str) -> None:
    for ch in text:
        buffer.feed(ch, ch)


def test_typing_editing_and_enter_submit_the_text() -> None:
    buffer = PromptBuffer()
    buffer.open(PromptMode.FILTER)
    typed(buffer, "frontnd")
    for key in ("left", "left"):
        buffer.feed(key)
    typed(buffer, "e")
    assert (buffer.text, buffer.cursor) == ("frontend", 6)
    buffer.feed("ctrl+a")
    typed(buffer, "x")
    buffer.feed("backspace")
    buffer.feed("end")
    buffer.feed("backspace")
    assert buffer.text == "fronten"
    buffer.feed("ctrl+w")
    assert buffer.text == ""
    typed(buffer, "role=db tier")
    buffer.feed("ctrl+w")
    assert buffer.text == "role=db "
    assert buffer.feed("enter") == PromptOutcome(PromptMode.FILTER, submitted=True, value="role=db ")
    assert not buffer.is_open


def test_escape_cancels_and_unused_keys_are_left_to_the_app() -> None:
    buffer = PromptBuffer()
    buffer.open(PromptMode.COMMAND)
    typed(buffer, "q")  # a letter here, not quit
    assert buffer.text == "q" and buffer.is_open
    assert buffer.feed("ctrl+c") is None  # the app's: quit from anywhere
    assert buffer.feed("up") is None
    assert buffer.feed("escape") == PromptOutcome(PromptMode.COMMAND, cancelled=True)
    assert not buffer.is_open


def test_a_prompt_opened_on_the_current_value_is_replaced_by_typing_and_kept_by_enter() -> None:
    buffer = PromptBuffer()
    buffer.open(PromptMode.PORT, "6379", select=True)
    assert buffer.selected
    typed(buffer, "5432")
    assert buffer.text == "5432" and not buffer.selected
    buffer.open(PromptMode.PORT, "6379", select=True)
    assert buffer.feed("enter") == PromptOutcome(PromptMode.PORT, submitted=True, value="6379")
    buffer.open(PromptMode.PORT, "6379", select=True)
    buffer.feed("backspace")
    assert buffer.text == ""


def test_suggestion_right_arrow_and_tab_cycling() -> None:
    buffer = PromptBuffer()
    buffer.open(PromptMode.COMMAND, suggestions=["ns kube-system", "ns payments", "ns shop", "pods"])
    typed(buffer, "ns p")
    assert buffer.suggestion == "ns payments"
    buffer.feed("right")
    assert buffer.text == "ns payments"
    buffer.open(PromptMode.COMMAND, suggestions=["ns kube-system", "ns payments", "ns shop", "pods"])
    typed(buffer, "NS ")  # case-insensitive
    seen = []
    for _ in range(4):
        buffer.feed("tab")
        seen.append(buffer.text)
    assert seen == ["ns kube-system", "ns payments", "ns shop", "ns kube-system"]
    typed(buffer, "x")  # typing ends the cycle
    buffer.feed("tab")
    assert buffer.text == "ns kube-systemx"


def test_tab_on_an_empty_prompt_offers_every_suggestion() -> None:
    buffer = PromptBuffer()
    buffer.open(PromptMode.PORT, suggestions=["6379", "redis", "9121", "metrics"])
    assert buffer.suggestion is None  # nothing ghosted before anything is typed
    buffer.feed("tab")
    assert buffer.text == "6379"
    buffer.feed("tab")
    assert buffer.text == "redis"
