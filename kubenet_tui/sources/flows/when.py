"""When the snapshot the flows are joined to was taken: a flow newer than the snapshot may meet pods and
policies the snapshot does not have, and a verdict then says both times."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from kubenet_tui.engine.flowjudge import SnapshotTime
from kubenet_tui.sources.flows.common import LineError, rfc3339

_HEADER = "# read at: "  # written by `kubenet-tui snapshot` (sources/export.py)
_SUFFIXES = (".yaml", ".yml", ".json")


def live_time() -> SnapshotTime:
    return SnapshotTime(time.time(), "read from the live cluster just now")


def demo_time() -> SnapshotTime:
    return SnapshotTime(None, "the bundled demo cluster has no time")


def files_time(paths: Sequence[str]) -> SnapshotTime:
    """The time a `kubenet-tui snapshot` file says it was read; else the newest modification time of the
    files read (the manifests cannot be newer than that, the cluster may well be)."""
    if "-" in paths:
        return SnapshotTime(None, "read from stdin: its time is not known")
    newest: float | None = None
    for path in _files(paths):
        said = _header_time(path)
        if said is not None:
            return SnapshotTime(said, f"`kubenet-tui snapshot` read the cluster then ({os.path.basename(path)})")
        try:
            modified = os.stat(path).st_mtime
        except OSError:
            continue
        newest = modified if newest is None else max(newest, modified)
    if newest is None:
        return SnapshotTime(None, "the files' time is not known")
    return SnapshotTime(newest, "the newest modification time of the manifest files")


def _files(paths: Sequence[str]) -> list[str]:
    found: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            for root, _, names in os.walk(path):
                found.extend(os.path.join(root, n) for n in sorted(names) if n.endswith(_SUFFIXES))
        else:
            found.append(path)
    return found


def _header_time(path: str) -> float | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            for _, line in zip(range(8), stream, strict=False):
                if line.startswith(_HEADER):
                    return rfc3339(line[len(_HEADER):].strip())
    except (OSError, LineError):
        return None
    return None
