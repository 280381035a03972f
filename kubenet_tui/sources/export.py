"""Snapshot export: what a live load read, as one YAML `kind: List` that `-f` loads back.

For offline replay and bug reports. Objects are the trimmed ones (see `slim`): what the engine reads,
without environment variables, managedFields or statuses. What could NOT be read is data too, in a
`kubenet-tui.dev/v1 SnapshotInfo` item that the loader restores: a replay is unknown where live was.
A comment header says the same for people.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any, TextIO

import yaml

from kubenet_tui.sources.base import Snapshot
from kubenet_tui.sources.kinds import SNAPSHOT_GROUP

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
        lines.append("NOT READ (verdicts depending on these are unknown, live and in a replay of this file):")
        lines.extend(f"  - {gap.describe()}" for gap in gaps)
    for notice in snapshot.cluster.notices:
        lines.append(f"notice: {notice}")
    return lines


def snapshot_info(snapshot: Snapshot) -> dict[str, Any]:
    """What the cluster's objects cannot say about the read: the gaps and notices, as data."""
    cluster = snapshot.cluster
    return {
        "apiVersion": f"{SNAPSHOT_GROUP}/v1",
        "kind": "SnapshotInfo",
        "metadata": {"name": "snapshot"},
        "readFrom": snapshot.description,
        "unreadable": [{"resource": g.resource.value, "namespace": g.namespace, "reason": g.reason,
                        "kind": g.kind.value} for g in cluster.unreadable],
        "notices": list(cluster.notices),
    }


def write_snapshot(objects: Iterable[dict[str, Any]], snapshot: Snapshot, out: TextIO) -> int:
    """Write the objects as one List document; returns how many were written."""
    items = list(objects)
    for line in header_lines(snapshot):
        out.write(f"# {line}\n")
    yaml.dump({"apiVersion": "v1", "kind": "List", "items": [snapshot_info(snapshot), *items]}, out, Dumper=_Dumper,
              default_flow_style=False, sort_keys=False, allow_unicode=True, width=120)
    return len(items)
