"""Snapshot export: what a live load read, as one YAML `kind: List` that `-f` loads back.

For offline replay and bug reports. Objects are the trimmed ones (see `slim`): what the engine reads,
without environment variables, managedFields or statuses. A comment header says where and when it was
read and what could NOT be read: a file replay cannot know that, so its verdicts on those gaps would
not be "unknown" as they are live.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any, TextIO

import yaml

from kubenet_tui.sources.base import Snapshot

try:  # libyaml's emitter is several times faster on large clusters
    _Dumper: Any = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Dumper = yaml.SafeDumper


def header_lines(snapshot: Snapshot, now: datetime.datetime | None = None) -> list[str]:
    when = (now or datetime.datetime.now(datetime.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [
        "kubenet-tui snapshot: load it back with `kubenet-tui -f FILE`",
        f"read from: {snapshot.description}",
        f"read at: {when}",
        f"contents: {snapshot.load_summary()}",
    ]
    gaps = snapshot.cluster.unreadable
    if gaps:
        lines.append("NOT READ (verdicts depending on these were unknown live; a replay cannot know it):")
        lines.extend(f"  - {gap.describe()}" for gap in gaps)
    for notice in snapshot.cluster.notices:
        lines.append(f"notice: {notice}")
    return lines


def write_snapshot(objects: Iterable[dict[str, Any]], snapshot: Snapshot, out: TextIO) -> int:
    """Write the objects as one List document; returns how many were written."""
    items = list(objects)
    for line in header_lines(snapshot):
        out.write(f"# {line}\n")
    yaml.dump({"apiVersion": "v1", "kind": "List", "items": items}, out, Dumper=_Dumper,
              default_flow_style=False, sort_keys=False, allow_unicode=True, width=120)
    return len(items)
