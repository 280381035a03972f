"""A large flow log from stdin or a pipe read by several processes: this process reads blocks of whole
lines as they come and hands them out in turn, each worker parses and aggregates the blocks it gets, and
the aggregates are merged at the end. The result is what `read_flows` into one `FlowAggregator` gives.

A pipe has no byte ranges to split beforehand (`parallel` does that for files), so the blocks of one
worker are not contiguous: each block carries the number of its first line, the records keep the line
numbers of the input, and after the merge the classes are put back in the order the input first showed
them (`FlowAggregator.order_by_first_line`). A short input (less than one block) is read here alone, as
before, with no worker started.
"""

from __future__ import annotations

import gc
import io
import multiprocessing
import os
import select
import signal
import threading
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import IO

from kubenet_tui.engine.flows import FlowAggregator
from kubenet_tui.sources.flows import Format, read_flows
from kubenet_tui.sources.flows.common import MAX_PROBLEMS, ReadReport

BLOCK = 4 << 20  # bytes of whole lines per block: about 2,000 Hubble lines
MIN_WORKERS = 2
QUIET = 0.02  # seconds without input after which what has arrived is handed out


def pipe_workers() -> int:
    """How many processes to read a pipe with (1: read it here)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return available if available >= MIN_WORKERS else 1


def _blocks(stream: IO[bytes], size: int) -> Iterator[bytes]:
    """The input in blocks of at most about `size` bytes, each ending at a line break (the last one may
    not). A block is what has arrived, never more awaited: a slow producer (`hubble observe --follow`)
    gets its lines read as they come, and a fast one fills whole blocks."""
    read = getattr(stream, "read1", stream.read)
    rest = b""
    while True:
        chunk = read(size)
        if chunk:
            parts, have = [chunk], len(chunk)
            # More comes soon from a fast producer: one block, not many small ones (each costs its worker
            # a reader set up); a quiet pipe gets its block handed out after QUIET seconds.
            while have < size and _ready(stream, QUIET):
                more = read(size - have)
                if not more:
                    break
                parts.append(more)
                have += len(more)
            chunk = b"".join(parts) if len(parts) > 1 else chunk
        if not chunk:
            if rest:
                yield rest
            return
        data = rest + chunk if rest else chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0:  # one line longer than a block: keep reading it
            rest = data
            continue
        rest = data[cut:]
        yield data[:cut]


def _ready(stream: IO[bytes], within: float) -> bool:
    """Whether reading `stream` would not wait, now or within `within` seconds."""
    try:
        return bool(select.select([stream.fileno()], [], [], within)[0])
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return True  # not a descriptor (an in-memory stream): reading never waits


def _lines_in(block: bytes) -> int:
    return block.count(b"\n") + (0 if block.endswith(b"\n") else 1)


def _worker(connection: Connection, fmt: str) -> None:
    # Ctrl-C reaches the whole process group: the parent stops reading and collects what was read.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    aggregator, report = FlowAggregator(), ReadReport()
    try:
        while True:
            message = connection.recv_bytes()
            if not message:
                break
            first_line = int.from_bytes(message[:8], "big")
            part = ReadReport(lines=first_line)  # read_flows numbers lines from report.lines + 1
            aggregator.add_all(read_flows(io.BytesIO(message[8:]), part, Format(fmt)))
            part.lines -= first_line
            report.merge(part, 0)
        connection.send((aggregator, report))
    except BaseException as exc:  # the parent re-raises it: a worker must not fail silently
        connection.send(exc)
    finally:
        connection.close()


def read_pipe(stream: IO[bytes], fmt: Format, workers: int, aggregator: FlowAggregator, report: ReadReport,
              block: int = BLOCK) -> None:
    """Read all of `stream` into `aggregator` and `report`, with `workers` processes once it is longer
    than one block. Ctrl-C (KeyboardInterrupt) or a read error stops reading: what was read is merged,
    then the exception goes on to the caller."""
    blocks = _blocks(stream, block)
    first = next(blocks, None)
    if first is None:
        return
    try:
        second = next(blocks, None)
    except KeyboardInterrupt:  # Ctrl-C while a slow producer is quiet: what came is still counted
        aggregator.add_all(read_flows(_lines(iter((first,))), report, fmt))
        raise
    if second is None or workers < 2 or threading.current_thread() is not threading.main_thread():
        # Short (or no signal handling here): read in this process, as a single process always did.
        aggregator.add_all(read_flows(_lines(_chain(first, second, blocks)), report, fmt))
        return
    context = multiprocessing.get_context("fork")
    # Forked workers share this process's memory until they write to it; a collection writes to every
    # object it visits: frozen, the loaded cluster stays shared.
    gc.freeze()
    try:
        pipes: list[Connection] = []
        processes = []
        for _ in range(workers):
            mine, theirs = context.Pipe()
            process = context.Process(target=_worker, args=(theirs, fmt.value), daemon=True)
            process.start()
            theirs.close()
            pipes.append(mine)
            processes.append(process)
        line = 0
        stopped: BaseException | None = None
        # Ctrl-C ends the reading at once while waiting for input, and after the block being handed out
        # otherwise (a message cut short would leave its worker waiting for the rest); what was read is
        # still merged.
        sending = False
        interrupted: list[int] = []

        def on_interrupt(signum: int, frame: object) -> None:
            interrupted.append(signum)
            if not sending:
                raise KeyboardInterrupt

        previous = signal.signal(signal.SIGINT, on_interrupt)
        try:
            for n, data in enumerate(_chain(first, second, blocks)):
                if interrupted:
                    break
                sending = True
                pipes[n % workers].send_bytes(line.to_bytes(8, "big") + data)
                sending = False
                line += _lines_in(data)
        except OSError as exc:
            stopped = exc
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGINT, previous)
        if interrupted and stopped is None:
            stopped = KeyboardInterrupt()
        parts: list[tuple[FlowAggregator, ReadReport]] = []
        failure: BaseException | None = None
        for pipe in pipes:
            pipe.send_bytes(b"")  # the end: send back what you have
        for pipe in pipes:
            result = pipe.recv()
            if isinstance(result, BaseException):
                failure = failure or result
            else:
                parts.append(result)
            pipe.close()
        for process in processes:
            process.join()
    finally:
        gc.unfreeze()
    if failure is not None:
        raise failure
    problems = []
    for part, part_report in parts:
        aggregator.merge(part, 0)
        problems.extend(part_report.problems)
        part_report.problems = []
        report.merge(part_report, 0)
    # Each worker kept its own first problems; together they hold the input's first ones.
    report.problems.extend(sorted(problems, key=lambda p: p.line)[: max(0, MAX_PROBLEMS - len(report.problems))])
    aggregator.order_by_first_line()
    if stopped is not None:
        raise stopped


def _lines(blocks: Iterator[bytes]) -> Iterator[bytes]:
    for data in blocks:
        yield from io.BytesIO(data)


def _chain(first: bytes, second: bytes | None, rest: Iterator[bytes]) -> Iterator[bytes]:
    """The blocks again, as lines for `read_flows` when read here, or as blocks to hand out."""
    yield first
    if second is not None:
        yield second
        yield from rest
