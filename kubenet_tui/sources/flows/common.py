"""What the flow-log readers share: the per-line error, the read report, times, addresses and ports."""

from __future__ import annotations

import datetime
import ipaddress
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kubenet_tui.engine.flows import Plugin
from kubenet_tui.engine.records import record

MAX_PROBLEMS = 1000  # malformed lines kept with their message; beyond, only counted


class LineError(ValueError):
    """This line cannot be read as a flow: one clear sentence, without the line number (the caller adds it)."""


class Skip(str):
    """A line that is read and is not a flow (a status event, another log line, a reply...): why, counted."""

    __slots__ = ()


@record
class LineProblem:
    line: int
    message: str

    def describe(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ReadReport:
    """Everything reading met, besides the records: skipped lines by reason, and each malformed line."""

    lines: int = 0
    records: int = 0
    blank: int = 0
    malformed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    problems: list[LineProblem] = field(default_factory=list)
    plugins: Counter[Plugin] = field(default_factory=Counter)
    interrupted: bool = False  # stopped before the end of the input (Ctrl-C)

    def merge(self, other: ReadReport, line_offset: int) -> None:
        """Add what reading another part of the input met (its lines numbered from 1)."""
        self.lines += other.lines
        self.records += other.records
        self.blank += other.blank
        self.malformed += other.malformed
        self.skipped.update(other.skipped)
        self.plugins.update(other.plugins)
        room = MAX_PROBLEMS - len(self.problems)
        self.problems.extend(LineProblem(p.line + line_offset, p.message) for p in other.problems[:max(room, 0)])
        self.interrupted = self.interrupted or other.interrupted

    def problem(self, line: int, message: str) -> None:
        self.malformed += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(LineProblem(line, message))


# -- times -----------------------------------------------------------------------------------------

_SECONDS: dict[str, float] = {}  # "YYYY-MM-DDTHH:MM:SS" -> epoch: a busy hour has 3,600 of them


def rfc3339(text: str) -> float:
    """RFC 3339 (what protojson and zap's ISO8601 encoder write) to seconds since the epoch. The whole
    second is parsed once per distinct second and cached: a million flows share a few thousand."""
    head = text[:19]
    base = _SECONDS.get(head)
    if base is None:
        try:
            stamp = datetime.datetime.strptime(head, "%Y-%m-%dT%H:%M:%S")
        except ValueError:
            try:
                stamp = datetime.datetime.strptime(head, "%Y-%m-%d %H:%M:%S")
            except ValueError:
                raise LineError(f"{text!r} is not an RFC 3339 time") from None
        base = stamp.replace(tzinfo=datetime.UTC).timestamp()
        if len(_SECONDS) > 100_000:
            _SECONDS.clear()
        _SECONDS[head] = base
    rest = text[19:]
    if rest == "Z" or not rest:
        return base
    if rest[0] == "." and rest[-1] == "Z" and rest[1:-1].isdigit():  # what protojson writes
        return base + float("0" + rest[:-1])
    fraction = 0.0
    if rest[0] in ".,":
        end = 1
        while end < len(rest) and rest[end].isdigit():
            end += 1
        if end > 1:
            fraction = float("0." + rest[1:end])
        rest = rest[end:]
    if rest in ("Z", "z", ""):
        return base + fraction
    try:
        sign = 1 if rest[0] == "+" else -1 if rest[0] == "-" else 0
        hours, _, minutes = rest[1:].partition(":")
        if not sign or not hours.isdigit() or (minutes and not minutes.isdigit()):
            raise ValueError
        offset = int(hours[:2]) * 3600 + int(minutes or hours[2:] or 0) * 60
    except (ValueError, IndexError):
        raise LineError(f"{text!r} is not an RFC 3339 time") from None
    return base + fraction - sign * offset


def timestamp(value: Any, what: str) -> float | None:
    """A time as the logs write one: RFC 3339 text, or seconds since the epoch (a number, or text)."""
    if value is None or value == "" or value == 0:
        return None
    if isinstance(value, bool):
        raise LineError(f"{what} is {value!r}, not a time")
    if isinstance(value, int | float):
        # Milliseconds or nanoseconds since the epoch are too large to be seconds before the year 5000.
        seconds = float(value)
        while seconds > 1e11:
            seconds /= 1000
        return seconds
    if isinstance(value, str):
        if value.replace(".", "", 1).isdigit():
            return timestamp(float(value), what)
        return rfc3339(value)
    raise LineError(f"{what} is {value!r}, not a time")


# -- addresses and ports -----------------------------------------------------------------------------

_GOOD_ADDRESSES: set[str] = set()  # checked once each: a busy log repeats the same few thousand


def address(value: Any, what: str) -> str | None:
    """An IP address as written (checked), or None when absent."""
    if value is None or value == "" or value == "-":
        return None
    if value in _GOOD_ADDRESSES:
        return str(value)
    if not isinstance(value, str):
        raise LineError(f"{what} is {value!r}, not an IP address")
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise LineError(f"{what} {value!r} is not an IP address") from None
    if len(_GOOD_ADDRESSES) > 1_000_000:
        _GOOD_ADDRESSES.clear()
    _GOOD_ADDRESSES.add(value)
    return value


def port(value: Any, what: str) -> int | None:
    """A port number (0 or absent: none)."""
    if value is None or value == "" or value == "-":
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 65535:
        raise LineError(f"{what} is {value!r}, not a port number (0-65535)")
    return value or None


def text(value: Any, what: str) -> str | None:
    """A string field (absent, empty or "-": None)."""
    if value is None or value == "" or value == "-":
        return None
    if type(value) is not str:
        raise LineError(f"{what} is {value!r}, not a string")
    return value


def mapping(value: Any, what: str) -> Mapping[str, Any]:
    if type(value) is dict:  # what json.loads makes: the exact type test is several times cheaper than the ABC's
        return value
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise LineError(f"{what} is {type(value).__name__}, not an object")
    return value


def strings(value: Any, what: str) -> tuple[str, ...]:
    """A list of strings (absent: empty)."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LineError(f"{what} is not a list of strings")
    return tuple(value)


# Protocol numbers and names as the logs write them, to the names FlowRecord uses.
PROTOCOL_NAMES = {"1": "ICMP", "6": "TCP", "17": "UDP", "58": "ICMPv6", "132": "SCTP", "tcp": "TCP", "udp": "UDP",
                  "sctp": "SCTP", "icmp": "ICMP", "icmp6": "ICMPv6", "icmpv6": "ICMPv6", "icmpv4": "ICMPv4"}


def protocol(value: Any, what: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise LineError(f"{what} is {value!r}, not a protocol")
    return PROTOCOL_NAMES.get(value.lower(), value.upper())
