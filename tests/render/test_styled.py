"""Styled text: `check` writes its styles as terminal escapes itself (no rich), the explorer gets rich Text."""

from __future__ import annotations

import io
import re

import pytest

from kubenet_tui.engine.ends import parse_port
from kubenet_tui.engine.query import Question, ask
from kubenet_tui.render.answer import answer_text
from kubenet_tui.render.styled import Styled
from kubenet_tui.sources.demo import DemoSource
from kubenet_tui.terminal.output import Printer


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def sample() -> Styled:
    return Styled("✔ ", "bold green").append("ALLOWED", "bold").append(" plain\nnext ").append("two\nlines", "dim red")


def test_escapes_follow_the_style_words_and_end_at_each_line() -> None:
    assert sample().to_ansi() == ("\x1b[1;32m✔ \x1b[0m\x1b[1mALLOWED\x1b[0m plain\nnext "
                                  "\x1b[2;31mtwo\x1b[0m\n\x1b[2;31mlines\x1b[0m")


def test_without_colour_bold_dim_and_reverse_stay() -> None:
    assert sample().to_ansi(colour=False) == "\x1b[1m✔ \x1b[0m\x1b[1mALLOWED\x1b[0m plain\nnext \x1b[2mtwo\x1b[0m\n\x1b[2mlines\x1b[0m"


def test_rich_text_has_the_same_text_and_styles() -> None:
    rich = sample().to_rich()
    assert rich.plain == sample().plain == "✔ ALLOWED plain\nnext two\nlines"
    assert [(rich.plain[s.start:s.end], str(s.style)) for s in rich.spans] == [
        ("✔ ", "bold green"), ("ALLOWED", "bold"), ("two\nlines", "dim red")]


@pytest.mark.parametrize(("stream", "env", "escapes", "colours"), [
    (Terminal(), {"TERM": "xterm-256color"}, True, True),
    (Terminal(), {"TERM": "xterm-256color", "NO_COLOR": "1"}, True, False),
    (Terminal(), {"TERM": "xterm-256color", "NO_COLOR": ""}, True, True),  # set but empty: not asked
    (Terminal(), {"TERM": "dumb"}, False, False),
    (io.StringIO(), {"TERM": "xterm-256color"}, False, False),  # a pipe or a file
])
def test_the_printer_writes_styles_only_where_they_are_wanted(
        stream: io.StringIO, env: dict[str, str], escapes: bool, colours: bool,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    Printer(stream).text(sample())
    written = stream.getvalue()
    assert ("\x1b[" in written) is escapes
    assert ("\x1b[1;32m" in written) is colours
    assert written.replace("\x1b[0m", "").replace("\x1b[1;32m", "").replace("\x1b[1m", "").replace(
        "\x1b[2;31m", "").replace("\x1b[2m", "") == sample().plain + "\n"


def test_a_verdict_on_a_terminal_reads_as_rich_would_print_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    cluster = DemoSource().load().cluster
    text = answer_text(ask(cluster, Question("shop/frontend", "shop/db", parse_port("5432"))))
    ours = Terminal()
    Printer(ours).text(text)
    theirs = io.StringIO()
    Console(file=theirs, force_terminal=True, color_system="standard", soft_wrap=True).print(text.to_rich())
    strip = re.compile(r"\x1b\[[0-9;]*m").sub
    assert strip("", ours.getvalue()) == strip("", theirs.getvalue())
    assert "\x1b[1;31m" in ours.getvalue()  # BLOCKED in bold red


def test_control_characters_from_a_manifest_never_reach_the_terminal() -> None:
    # A policy named so that a carriage return would rewrite the line as a verdict, an escape sequence.
    text = Styled("isolated by a/deny\r✔ ALLOWED ", "bold").append("x\x1b[2Jy\x07\x08\x0b\x0c\x7f\x9b", "red")
    assert text.plain == "isolated by a/deny✔ ALLOWED x[2Jy"
    assert text.to_ansi() == "\x1b[1misolated by a/deny✔ ALLOWED \x1b[0m\x1b[31mx[2Jy\x1b[0m"
    assert Styled("tabs\tand\nlines").plain == "tabs\tand\nlines"  # the renderers' own
