"""`kubenet-tui flows FILE|-`: a network plugin's flow log against the policies of the cluster.

Every flow of the log (Cilium Hubble JSON, Calico flow logs, AWS network policy agent lines: each line
recognised on its own) is joined to the cluster the usual source flags name, flows are grouped into
classes (source, destination, protocol, port, what the plugin did), each class is evaluated once, and
the report says for each whether the policies agree with the plugin, and why, or why not.

The command's arguments are in `flows.py`, which the command line imports on every start: this
module, which imports the engine, only when the command runs.

Exit codes: 0 every class agrees, 1 some class disagrees or cannot be confirmed (unknown), 2 nothing
usable was read (or the input cannot be opened).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any

from rich.console import Console

from kubenet_tui.engine.errors import InputError
from kubenet_tui.engine.flowjudge import Agreement, Answer, FlowClass, FlowJudge, FlowReport, SnapshotTime, iso
from kubenet_tui.engine.flows import FlowAggregator, Observed
from kubenet_tui.render.flows_out import (
    PLUGIN_TITLES,
    class_json,
    class_text,
    plural,
    report_counts_json,
    shown_in_full,
)
from kubenet_tui.sources.base import Snapshot, Source
from kubenet_tui.sources.flows import Format, ReadReport, open_flows, read_flows
from kubenet_tui.sources.flows.parallel import read_parallel, workers_for
from kubenet_tui.sources.flows.pipe import pipe_workers, read_pipe
from kubenet_tui.sources.flows.when import demo_time, files_time, live_time
from kubenet_tui.terminal.output import speaks_unicode
from kubenet_tui.terminal.progress import Progress

EXIT_AGREE = 0
EXIT_DISAGREE = 1
EXIT_NOTHING = 2
SHOWN_PROBLEMS = 20  # malformed lines named on stderr; the JSON output lists up to 1,000


def snapshot_time(args: argparse.Namespace) -> SnapshotTime:
    if args.demo:
        return demo_time()
    if args.file:
        return files_time(args.file)
    return live_time()


def read_report(path: str, fmt: Format, progress: Progress) -> tuple[FlowAggregator, ReadReport]:
    """Read and aggregate the whole log; Ctrl-C stops reading and keeps what was read."""
    report = ReadReport()
    aggregator = FlowAggregator()
    try:
        stream = open_flows(path)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        with progress.phase(f"reading flows from {'stdin' if path == '-' else path}"):
            workers = workers_for(path)
            if workers > 1:
                read_parallel(path, fmt, workers, aggregator, report)
            elif path == "-":  # a pipe: blocks of lines handed out to a process per core as they come
                read_pipe(stream, fmt, pipe_workers(), aggregator, report)
            else:
                aggregator.add_all(read_flows(stream, report, fmt))
    except KeyboardInterrupt:
        report.interrupted = True
    except OSError as exc:  # a gzip file cut short, a disk error: keep what was read
        report.problem(report.lines + 1, f"reading stopped: {exc}")
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    return aggregator, report


def run(args: argparse.Namespace, source: Source, snapshot: Snapshot, out: Console, err: Console,
        progress: Progress) -> int:
    aggregator, report = read_report(args.log, Format(args.format), progress)
    _report_problems(report, err)
    if report.interrupted:
        err.print(f"kubenet-tui: interrupted after {plural(report.lines, 'line')}: the report covers what was read",
                  markup=False, highlight=False)
    if not len(aggregator):
        why = _nothing_usable(report, aggregator)
        err.print(f"kubenet-tui: error: nothing usable was read from {args.log}: {why}", markup=False,
                  highlight=False, soft_wrap=True)
        return EXIT_NOTHING
    judge = FlowJudge(snapshot.cluster, snapshot_time(args))
    with progress.phase(f"joining {len(aggregator):,} classes of flows to the cluster and evaluating them"):
        flows = judge.report(aggregator)
    shown = list(_chosen(flows.classes, args.only))

    def full(cls: FlowClass) -> Answer | None:
        """The verdict in full where it is shown: the findings, or every class with --verbose."""
        return judge.explain(cls) if args.verbose or shown_in_full(cls) else None

    try:
        if args.output == "json":
            _write_json(flows, shown, report, snapshot, args, full)
        else:
            _write_text(flows, shown, report, snapshot, args, out, full)
    except BrokenPipeError:
        # A reader that stops early (`| head`): the rest of the report goes nowhere, the exit code stays.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_AGREE if flows.all_agree else EXIT_DISAGREE


def _chosen(classes: Iterable[FlowClass], only: str | None) -> Iterable[FlowClass]:
    for cls in classes:
        if only == "dropped" and cls.observed is Observed.ALLOWED:
            continue
        if only == "disagree" and cls.agreement not in (Agreement.DISAGREES, Agreement.UNKNOWN):
            continue
        yield cls


def _nothing_usable(report: ReadReport, aggregator: FlowAggregator) -> str:
    if report.lines == 0 or report.lines == report.blank:
        return "it is empty"
    parts = []
    if aggregator.replies:
        parts.append(f"{plural(aggregator.replies, 'reply', 'replies')} (not new connections)")
    parts.extend(f"{n:,} {reason}" for reason, n in report.skipped.most_common())
    if report.malformed:
        parts.append(plural(report.malformed, "malformed line"))
    return f"{report.lines:,} lines, no flow to judge among them: " + ", ".join(parts)


def _report_problems(report: ReadReport, err: Console) -> None:
    for problem in report.problems[:SHOWN_PROBLEMS]:
        err.print(f"kubenet-tui: skipped {problem.describe()}", markup=False, highlight=False, soft_wrap=True)
    if report.malformed > SHOWN_PROBLEMS:
        err.print(f"kubenet-tui: ... and {report.malformed - SHOWN_PROBLEMS:,} more malformed lines skipped",
                  markup=False, highlight=False)


def _read_summary(report: ReadReport, aggregator_replies: int) -> str:
    plugins = ", ".join(f"{n:,} {PLUGIN_TITLES[p]}" for p, n in report.plugins.most_common()) or "no"
    parts = [f"{report.lines:,} lines read: {plugins} flow records"]
    if aggregator_replies:
        parts.append(f"{plural(aggregator_replies, 'reply', 'replies')} not counted (not new connections)")
    parts.extend(f"{n:,} skipped: {reason}" for reason, n in report.skipped.most_common())
    if report.malformed:
        parts.append(f"{plural(report.malformed, 'malformed line')} skipped (on stderr)")
    return "; ".join(parts)


def _write_text(flows: FlowReport, shown: list[FlowClass], report: ReadReport, snapshot: Snapshot,
                args: argparse.Namespace, out: Console, full: Callable[[FlowClass], Answer | None]) -> None:
    at, how = flows.snapshot
    counts = report_counts_json(flows)
    head = [
        f"Flows: {_read_summary(report, flows.replies)}",
        f"Cluster: {snapshot.description}, policies read as {flows.profile.value}; "
        f"snapshot time: {iso(at) if at is not None else 'unknown'} ({how})",
        f"Flow times: {iso(flows.first)} to {iso(flows.last)}" if flows.first is not None else
        "Flow times: not in the log",
        f"{plural(counts['total'], 'class', 'classes')}: {counts['disagrees']:,} disagree, {counts['unknown']:,} unknown, "
        f"{counts['agrees']:,} agree, {counts['notCompared']:,} not compared"
        + (f" ({len(shown):,} shown: --only {args.only})" if args.only else ""),
    ]
    terminal = out.is_terminal
    write = sys.stdout.write
    if terminal:
        out.print("\n".join(head), markup=False, highlight=False, soft_wrap=True)
    else:
        write("\n".join(head) + "\n")
    for cls in shown:
        text = class_text(cls, full(cls))
        if terminal:
            out.print()
            out.print(text, soft_wrap=True, end="")
        else:
            # Thousands of classes through rich's renderer would take a minute; a pipe wants plain text.
            write("\n" + text.plain)
    if not terminal:
        sys.stdout.flush()


def _write_json(flows: FlowReport, shown: list[FlowClass], report: ReadReport, snapshot: Snapshot,
                args: argparse.Namespace, full: Callable[[FlowClass], Answer | None]) -> None:
    ascii_only = not speaks_unicode(sys.stdout)
    at, how = flows.snapshot
    summary: dict[str, Any] = {
        "read": {
            "lines": report.lines, "records": report.records, "replies": flows.replies, "blank": report.blank,
            "malformed": report.malformed, "interrupted": report.interrupted,
            "skipped": dict(report.skipped.most_common()),
            "plugins": {p.value: n for p, n in report.plugins.most_common()},
            "problems": [{"line": p.line, "message": p.message} for p in report.problems],
        },
        "cluster": {"description": snapshot.description, "profile": flows.profile.value,
                    "snapshotTime": iso(at) if at is not None else None, "snapshotTimeFrom": how},
        "flows": {"first": iso(flows.first) if flows.first is not None else None,
                  "last": iso(flows.last) if flows.last is not None else None},
        "classes": report_counts_json(flows),
        "only": args.only,
    }
    write = sys.stdout.write
    write('{"summary": ' + json.dumps(summary, ensure_ascii=ascii_only) + ', "classes": [')
    for i, cls in enumerate(shown):
        write(("," if i else "") + "\n  " + json.dumps(class_json(cls, full(cls)), ensure_ascii=ascii_only))
    write("\n]}\n")
    sys.stdout.flush()
