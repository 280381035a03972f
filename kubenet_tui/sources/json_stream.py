"""A JSON file whose top level is an object with an `items` array (`kubectl get ... -o json`, a
`kind: List`), read one item at a time.

`json.load` builds the whole tree first: at 50,000 pods that is about 250 MB of short-lived dicts and
lists, interleaved in memory with the model being built from them, so the process keeps most of it
after they are freed. Reading a chunk at a time and decoding each item on its own (with the C
decoder) keeps the peak at the model plus one item. Anything else (an array at the top level, a
single object without `items`) is decoded whole, as before.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

CHUNK = 1 << 20
_DECODER = json.JSONDecoder()
_SCAN = _DECODER.scan_once  # type: ignore[attr-defined]  # the C scanner behind raw_decode, without its wrapper
_SPACE = re.compile(r"[ \t\n\r]*")
_SEPARATOR = re.compile(r"[ \t\n\r]*([,\]])[ \t\n\r]*")


class NotAList(Exception):
    """The document is not an object with an `items` array. `document` is the whole object when it
    was read to its end that way; None when the shape showed at once (decode it whole instead)."""

    def __init__(self, document: dict[str, Any] | None = None) -> None:
        super().__init__("not a list")
        self.document = document


@dataclass
class ListHeader:
    """The top-level keys other than `items` (kind, apiVersion, metadata), as they were met."""

    fields: dict[str, Any] = field(default_factory=dict)


class _Reader:
    """A growing window over the text: `pos` advances, consumed text is dropped in big steps. Line
    numbers are counted only up to where one is asked for (`line_at`)."""

    def __init__(self, handle: TextIO) -> None:
        self.handle = handle
        self.buffer = ""
        self.pos = 0
        self.line = 1  # the line number at `line_pos`
        self.line_pos = 0
        self.eof = False

    def line_at(self, offset: int) -> int:
        """The line number of `offset` (never before the last offset asked about)."""
        self.line += self.buffer.count("\n", self.line_pos, offset)
        self.line_pos = offset
        return self.line

    def more(self) -> bool:
        if self.eof:
            return False
        chunk = self.handle.read(CHUNK)
        if not chunk:
            self.eof = True
            return False
        if self.pos > CHUNK:  # drop what was consumed, keeping the string from growing without end
            self.line_at(self.pos)
            self.buffer = self.buffer[self.pos :]
            self.pos = self.line_pos = 0
        self.buffer += chunk
        return True

    def skip_space(self) -> str:
        """The next non-space character (without consuming it); "" at the end."""
        while True:
            self.pos = _SPACE.match(self.buffer, self.pos).end()  # type: ignore[union-attr]  # \s* always matches
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self.more():
                return ""

    def expect(self, char: str) -> None:
        found = self.skip_space()
        if found != char:
            raise json.JSONDecodeError(f"Expecting {char!r}", self.buffer, self.pos)
        self.pos += 1

    def value(self) -> Any:
        """Decode the next value, reading more text while it is incomplete."""
        self.skip_space()
        while True:
            # Only the message and position leave the except clauses: an exception kept in a local
            # would hold this frame and, through its `doc`, a whole buffer, in a cycle that waits for
            # the garbage collector (paused while loading): 90 MB at 50,000 pods.
            try:
                value, end = _SCAN(self.buffer, self.pos)
            except StopIteration as stop:  # what JSONDecoder.raw_decode says for it
                message, at = "Expecting value", stop.value
            except json.JSONDecodeError as error:
                message, at = error.msg, error.pos
            else:
                self.pos = end
                return value
            # A value cut off by the end of what was read so far fails at that end, or, for a
            # string, at its start: read on. Anything else is a real error.
            cut = at >= len(self.buffer) - 6 or message.startswith("Unterminated string")
            if not (cut and self.more()):
                raise json.JSONDecodeError(message, self.buffer, at)

    def array(self) -> Iterator[tuple[int, Any]]:
        """(line, element) for each element of the array whose `[` was just consumed, through its `]`.
        The separator and the space around it are one match: this loop runs once per pod."""
        if self.skip_space() == "]":
            self.pos += 1
            return
        while True:
            line = self.line_at(self.pos)
            yield line, self.value()
            while True:
                found = _SEPARATOR.match(self.buffer, self.pos)
                if found is not None and found.end() < len(self.buffer):
                    break
                if found is None and _SPACE.match(self.buffer, self.pos).end() < len(self.buffer):  # type: ignore[union-attr]
                    break  # something else follows: an error
                if not self.more():
                    break
            if found is None:
                self.skip_space()
                raise json.JSONDecodeError("Expecting ',' delimiter", self.buffer, self.pos)
            self.pos = found.end()
            if found.group(1) == "]":
                return
            if self.pos >= len(self.buffer) and not self.more():
                raise json.JSONDecodeError("Expecting value", self.buffer, self.pos)

    def error_line(self, exc: json.JSONDecodeError) -> int:
        if exc.pos < self.line_pos:
            return self.line - self.buffer.count("\n", exc.pos, self.line_pos)
        return self.line + self.buffer.count("\n", self.line_pos, exc.pos)


def read_items(handle: TextIO, header: ListHeader) -> Iterator[tuple[int, Any]]:
    """(line, item) for each element of the top-level `items` array, while `header` collects the other
    top-level fields. Raises NotAList before yielding anything when the document has another shape,
    and json.JSONDecodeError (with the line in its `lineno`) on a syntax error."""
    reader = _Reader(handle)
    first = reader.skip_space()
    if first == "\ufeff":  # a BOM some editors write
        reader.pos += 1
        first = reader.skip_space()
    if first != "{":
        raise NotAList
    reader.pos += 1
    seen_items = False
    try:
        while True:
            if reader.skip_space() == "}":
                reader.pos += 1
                break
            key = reader.value()
            if not isinstance(key, str):
                raise json.JSONDecodeError("Expecting property name", reader.buffer, reader.pos)
            reader.expect(":")
            if key == "items" and reader.skip_space() == "[" and not seen_items:
                seen_items = True
                reader.pos += 1
                yield from reader.array()
            else:
                header.fields[key] = reader.value()
            separator = reader.skip_space()
            reader.pos += 1
            if separator == "}":
                break
            if separator != ",":
                raise json.JSONDecodeError("Expecting ',' delimiter", reader.buffer, reader.pos - 1)
        if reader.skip_space():
            raise json.JSONDecodeError("Extra data", reader.buffer, reader.pos)
    except json.JSONDecodeError as exc:
        error = json.JSONDecodeError(exc.msg, exc.doc, exc.pos)
        error.lineno = reader.error_line(exc)
        raise error from None
    if not seen_items:
        raise NotAList(header.fields)
