"""Network plugins' flow logs, read line by line into `FlowRecord`s: Cilium Hubble, Calico, and the AWS
VPC CNI network policy agent, each recognised on its own line (README.md beside this file lists every
field read and where its meaning comes from).

Lines are read one at a time, from a file, a gzip file, stdin or a pipe, and each is dropped once it
is a record: a million lines are never held. A line that cannot be read is reported by its number
and skipped; the rest is read. A line that is read and is no flow (a status event, another log line)
is counted under its reason.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
from collections.abc import Iterable, Iterator
from enum import StrEnum
from typing import IO, Any

from kubenet_tui.engine.flows import FlowRecord, Plugin
from kubenet_tui.sources.flows import aws, calico, hubble
from kubenet_tui.sources.flows.common import LineError, LineProblem, ReadReport, Skip

__all__ = ["Format", "LineProblem", "ReadReport", "open_flows", "parse_line", "read_flows"]


class Format(StrEnum):
    AUTO = "auto"
    HUBBLE = "hubble"
    CALICO = "calico"
    AWS = "aws"


_JSON_FORMATS = (Format.HUBBLE, Format.CALICO)
_OPENING = frozenset(b"{[")


def parse_line(raw: bytes | str, number: int, fmt: Format = Format.AUTO) -> FlowRecord | Skip:
    """One line: a record, or why it is skipped. Raises LineError when it cannot be read."""
    line = raw.strip()
    if not line:
        return Skip("blank")
    if isinstance(line, bytes):
        if line[0] in _OPENING:
            return _json(line, number, fmt)
        if line.startswith(b"data:"):  # a server-sent event (Whisker's watch stream)
            return _json(line[5:].strip(), number, fmt)
        if line.startswith((b"event:", b"id:", b"retry:", b":")):
            return Skip("server-sent event framing")
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise LineError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    elif line[:1] in ("{", "["):
        return _json(line, number, fmt)
    elif line.startswith("data:"):
        return _json(line[5:].strip(), number, fmt)
    return _text(line, number, fmt)


def _json(line: bytes | str, number: int, fmt: Format) -> FlowRecord | Skip:
    lifted: hubble.Lifted = []
    original = line
    if isinstance(line, bytes) and fmt in (Format.AUTO, Format.HUBBLE) and b'"verdict":' in line:
        line, lifted = hubble.lift_endpoints(line)
    try:
        obj: Any = json.loads(line)
    except ValueError as exc:
        raise LineError(f"not valid JSON ({_json_error(original) if lifted else exc})") from None
    if isinstance(obj, list):
        raise LineError("a JSON array: give one flow per line (for example `jq -c '.[]'`)")
    if not isinstance(obj, dict):
        raise LineError(f"a JSON {type(obj).__name__}, not a flow object")
    if fmt is Format.HUBBLE or (fmt is Format.AUTO and hubble.is_hubble(obj)):
        return hubble.parse(obj, number, lifted)
    if fmt is Format.CALICO or (fmt is Format.AUTO and calico.is_calico(obj)):
        return calico.parse(obj, number)
    if fmt is Format.AWS or (fmt is Format.AUTO and ("msg" in obj or "message" in obj)):
        return aws.parse_json(obj, number)
    keys = ", ".join(sorted(obj)[:6]) or "none"
    raise LineError(f"a JSON object of no flow format this tool reads (its keys: {keys})")


def _json_error(line: bytes | str) -> str:
    """Why `line`, as it was written, is no JSON (where, in its own columns)."""
    try:
        json.loads(line)
    except ValueError as exc:
        return str(exc)
    return "unreadable"


def _text(line: str, number: int, fmt: Format) -> FlowRecord | Skip:
    if aws.is_aws_text(line):
        if fmt in _JSON_FORMATS:
            raise LineError(f"an AWS network policy agent line, not {fmt.value} JSON")
        return aws.parse_text(line, number)
    if fmt is Format.AWS:
        return Skip("other log lines")
    if " -> " in line and any(word in line for word in ("FORWARDED", "DROPPED", "AUDIT", "REDIRECTED")):
        raise LineError("Hubble's text output: run `hubble observe -o json` for flows this tool can read")
    raise LineError("neither JSON nor an AWS network policy agent 'Flow Info' line")


def read_flows(lines: Iterable[bytes | str], report: ReadReport, fmt: Format = Format.AUTO) -> Iterator[FlowRecord]:
    """Every record of `lines`, lazily: each line is parsed when it arrives (a pipe from a producer that
    is still running yields its records as they come). What is not a record goes into `report`."""
    number = 0
    skipped = report.skipped
    by_plugin: dict[Plugin, int] = {}  # counted here and added to the report at the end: a million lines
    try:
        for number, raw in enumerate(lines, report.lines + 1):
            try:
                found = parse_line(raw, number, fmt)
            except LineError as exc:
                report.problem(number, str(exc))
                continue
            except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
                # A field of an unexpected shape that no check above foresaw: the line is bad, not the run.
                report.problem(number, f"a field has an unexpected value ({type(exc).__name__}: {exc})")
                continue
            if found.__class__ is Skip:
                if found == "blank":
                    report.blank += 1
                else:
                    skipped[found] += 1
                continue
            plugin = found.plugin  # type: ignore[union-attr]
            by_plugin[plugin] = by_plugin.get(plugin, 0) + 1
            yield found  # type: ignore[misc]
    finally:
        report.lines = max(report.lines, number)
        for plugin, count in by_plugin.items():
            report.plugins[plugin] += count
            report.records += count


def open_flows(path: str) -> IO[bytes]:
    """The flow log at `path` ('-': stdin) as binary lines; a gzip file is decompressed as it is read."""
    if path == "-":
        return sys.stdin.buffer
    stream: IO[bytes] = open(path, "rb")  # noqa: SIM115 - the caller closes it
    try:
        # Looked at without reading: nothing is buffered yet (the pane's `batches` reads the descriptor).
        magic = os.pread(stream.fileno(), 2, 0)
    except OSError:  # not a seekable file (a named pipe): no gzip there
        magic = b""
    if magic == b"\x1f\x8b":
        return gzip.open(stream)  # type: ignore[return-value]
    return stream


def plugin_names(report: ReadReport) -> tuple[Plugin, ...]:
    return tuple(p for p, _ in report.plugins.most_common())
