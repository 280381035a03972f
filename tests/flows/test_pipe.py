"""A pipe read by worker processes, a block of lines each in turn, reads as it does in one process: the
same classes in the same order, counts, times, line numbers, problems and skipped lines."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kubenet_tui.engine.flows import FlowAggregator
from kubenet_tui.sources.flows import Format, ReadReport, read_flows
from kubenet_tui.sources.flows.common import MAX_PROBLEMS
from kubenet_tui.sources.flows.pipe import _blocks, pipe_workers, read_pipe

SAMPLES = Path(__file__).parent / "samples"


def mixed_log(copies: int) -> bytes:
    """Every sample format, blank and broken lines among them, the last line without its line break."""
    parts = [(SAMPLES / name).read_bytes() for name in ("hubble.jsonl", "calico-flowlogs.jsonl", "goldmane.jsonl",
                                                        "aws-agent.log")]
    body = b"".join(part if part.endswith(b"\n") else part + b"\n" for part in parts)
    return (body + b"\n{not json\n") * copies + b'{"flow": {"verdict": "FORWARDED"}}'


def read(data: bytes, workers: int, block: int) -> tuple[FlowAggregator, ReadReport]:
    aggregator, report = FlowAggregator(), ReadReport()
    read_pipe(io.BufferedReader(io.BytesIO(data)), Format.AUTO, workers, aggregator, report, block=block)  # type: ignore[arg-type]
    return aggregator, report


def state(aggregator: FlowAggregator) -> list[tuple[object, ...]]:
    return [(c.plugin, c.source, c.destination, c.protocol, c.port, c.observed, c.count, c.records, c.first, c.last,
             c.first_line, c.side_bits, c.nodes, c.reasons, c.policies, c.l7, c.dns_names)
            for c in aggregator.classes()]


@pytest.mark.parametrize(("workers", "block"), [(2, 700), (3, 4096), (2, 1 << 20), (1, 700)])
def test_a_pipe_in_blocks_reads_as_in_one_process(workers: int, block: int) -> None:
    data = mixed_log(40)
    whole, whole_report = FlowAggregator(), ReadReport()
    whole.add_all(read_flows(io.BytesIO(data), whole_report))
    parted, parted_report = read(data, workers, block)
    assert parted_report == whole_report
    assert (parted.records, parted.replies, parted.first, parted.last) == (whole.records, whole.replies,
                                                                          whole.first, whole.last)
    assert state(parted) == state(whole)


def test_the_first_problems_are_kept_whichever_worker_met_them() -> None:
    data = b"{broken\n" * (MAX_PROBLEMS + 300)
    _, report = read(data, 2, 100)
    assert report.malformed == MAX_PROBLEMS + 300
    assert [p.line for p in report.problems] == list(range(1, MAX_PROBLEMS + 1))


def test_blocks_end_at_line_breaks_and_keep_every_byte() -> None:
    data = b"a\nbb\n" + b"x" * 50 + b"\nlast"
    blocks = list(_blocks(io.BufferedReader(io.BytesIO(data)), 4))  # type: ignore[arg-type]
    assert b"".join(blocks) == data
    assert all(b.endswith(b"\n") for b in blocks[:-1])


def test_empty_and_short_inputs_need_no_worker() -> None:
    assert read(b"", 2, 100)[1] == ReadReport()
    aggregator, report = read(mixed_log(1), 2, 1 << 20)
    assert report.lines > 0 and report.records == aggregator.records > 0
    assert pipe_workers() >= 1


def test_a_slow_producers_lines_are_read_as_they_come() -> None:
    """`hubble observe --follow | kubenet-tui flows -`: a block is what has arrived, not 4 MB awaited."""
    read_end, write_end = os.pipe()
    lines = (SAMPLES / "hubble.jsonl").read_bytes().splitlines(keepends=True)[:3]
    os.write(write_end, b"".join(lines))
    got: list[bytes] = []
    with os.fdopen(read_end, "rb") as stream:
        reader = threading.Thread(target=lambda: got.append(next(_blocks(stream, 4 << 20))), daemon=True)
        reader.start()
        reader.join(30)
        os.close(write_end)
    assert got == [b"".join(lines)]


def drained(write_end: int) -> None:
    """Until the reader has taken everything written to the pipe (a loaded machine starts it late)."""
    import array
    import fcntl
    import termios

    deadline = time.monotonic() + 60
    unread = array.array("i", [1])
    while unread[0] and time.monotonic() < deadline:
        time.sleep(0.05)
        fcntl.ioctl(write_end, termios.FIONREAD, unread)


def test_ctrl_c_on_a_quiet_pipe_stops_at_once_and_keeps_what_came() -> None:
    lines = (SAMPLES / "hubble.jsonl").read_bytes()
    process = subprocess.Popen([sys.executable, "-m", "kubenet_tui", "flows", "-", "--demo", "-o", "json"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert process.stdin is not None
    process.stdin.write(lines * 3)
    process.stdin.flush()
    drained(process.stdin.fileno())
    time.sleep(0.5)  # what it read is handled, and it waits for more that does not come
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=20)
    assert time.monotonic() - started < 10
    assert b"interrupted after" in err, err
    summary = json.loads(out)["summary"]["read"]
    assert summary["interrupted"] is True and summary["lines"] == 3 * lines.count(b"\n")
