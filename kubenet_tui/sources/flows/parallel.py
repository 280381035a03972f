"""A large flow-log file read by several processes: byte ranges that start and end at line breaks, each
parsed and aggregated by a worker, the aggregates merged in the order of the file.

A million lines of JSON are mostly parsing, one core's work; the aggregates are small (one entry per
class, the ends shared and pickled once each), so the work divides by the cores. Only regular files:
stdin and pipes are read line by line as they arrive, and gzip files have no ranges to seek to. The
result is what `read_flows` into one `FlowAggregator` gives, with the same line numbers.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Iterator

from kubenet_tui.engine.flows import FlowAggregator
from kubenet_tui.sources.flows import Format, read_flows
from kubenet_tui.sources.flows.common import ReadReport

MIN_BYTES = 64 << 20  # smaller files are read in one process: starting workers costs more than it saves
MAX_WORKERS = 8


def workers_for(path: str, min_bytes: int = MIN_BYTES) -> int:
    """How many processes to read `path` with (1: read it here)."""
    if path == "-" or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    try:
        if not os.path.isfile(path) or os.path.getsize(path) < min_bytes:
            return 1
        with open(path, "rb") as stream:
            if stream.read(2) == b"\x1f\x8b":  # gzip
                return 1
    except OSError:
        return 1
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(available, MAX_WORKERS))


def ranges(path: str, parts: int) -> list[tuple[int, int]]:
    """`parts` byte ranges of the file, each starting at the beginning of a line."""
    size = os.path.getsize(path)
    starts = [0]
    with open(path, "rb") as stream:
        for i in range(1, parts):
            stream.seek(max(size * i // parts - 1, starts[-1]))
            stream.readline()  # to the start of the next line
            starts.append(max(stream.tell(), starts[-1]))
    ends = [*starts[1:], size]
    return [(start, end) for start, end in zip(starts, ends, strict=True) if end > start]


def _lines(path: str, start: int, end: int) -> Iterator[bytes]:
    with open(path, "rb") as stream:
        stream.seek(start)
        position = start
        while position < end:
            line = stream.readline()
            if not line:
                return
            position += len(line)
            yield line


def _read_range(job: tuple[str, int, int, str]) -> tuple[FlowAggregator, ReadReport]:
    path, start, end, fmt = job
    aggregator, report = FlowAggregator(), ReadReport()
    aggregator.add_all(read_flows(_lines(path, start, end), report, Format(fmt)))
    return aggregator, report


def read_parallel(path: str, fmt: Format, workers: int, aggregator: FlowAggregator, report: ReadReport) -> None:
    """Read the whole file with `workers` processes into `aggregator` and `report` (interrupted: what the
    parts done so far read is in them)."""
    jobs = [(path, start, end, fmt.value) for start, end in ranges(path, workers)]
    context = multiprocessing.get_context("fork")
    # Forked workers share this process's memory until they write to it, and a garbage collection writes
    # to every object it visits: frozen, the snapshot stays shared.
    gc.freeze()
    try:
        with context.Pool(len(jobs)) as pool:
            # In the file's order: each part's line numbers continue from the lines before it.
            for part, part_report in pool.imap(_read_range, jobs):
                aggregator.merge(part, report.lines)
                report.merge(part_report, report.lines)
    finally:
        gc.unfreeze()
