"""Command line: the TUI (default), and the headless `check` and `matrix` commands.

Exit codes (a contract scripts rely on): 0 allowed, 1 blocked, 2 unusable input, 3 unknown.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console

from kubenet_tui import __version__
from kubenet_tui.engine.evaluate import DataMissing, End, InputError, evaluate, resolve_end, resolve_port
from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.matrix import connectivity_matrix, matrix_pods
from kubenet_tui.engine.model import Protocol
from kubenet_tui.render.json_out import verdict_json
from kubenet_tui.render.matrix_text import matrix_text
from kubenet_tui.render.text import verdict_text
from kubenet_tui.sources.base import Snapshot, Source, SourceError
from kubenet_tui.sources.spec import SourceSpec
from kubenet_tui.sources.spec import make_source as source_for

EXIT_ALLOWED = 0
EXIT_BLOCKED = 1
EXIT_USAGE = 2
EXIT_UNKNOWN = 3


class PipeSafeConsole(Console):
    """A reader that stops early (`| head`) must not turn the verdict's exit code into rich's
    SystemExit(1), which would read as "blocked": drop the rest of the output and carry on."""

    def on_broken_pipe(self) -> None:
        if self.quiet:
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        self.quiet = True


class UsageError(Exception):
    """Unusable command-line input: one clear line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        # One line, as for every other unusable input (argparse would print the whole usage first).
        self.exit(EXIT_USAGE, f"kubenet-tui: error: {message} (see {self.prog} --help)\n")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a timeout must be a positive number of seconds")
    return value


def _default(value: object, sub: bool) -> object:
    # Subcommands repeat the global options; SUPPRESS keeps a subparser from resetting what was given
    # before the subcommand (`kubenet-tui --demo check ...`).
    return argparse.SUPPRESS if sub else value


def _add_source_args(parser: argparse.ArgumentParser, sub: bool = False) -> None:
    group = parser.add_argument_group("where the cluster comes from (default: the current kubeconfig context)")
    group.add_argument("-f", "--file", action="append", default=_default([], sub), metavar="PATH",
                       help="manifest file or directory (YAML or JSON, recursive); '-' reads stdin; repeatable")
    group.add_argument("--demo", action="store_true", default=_default(False, sub), help="use the bundled demo cluster")
    group.add_argument("--kubeconfig", metavar="PATH", default=_default(None, sub),
                       help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
    group.add_argument("--context", metavar="NAME", default=_default(None, sub),
                       help="kubeconfig context (default: the current one)")
    group.add_argument("--request-timeout", type=_seconds, default=_default(10.0, sub), metavar="SECONDS",
                       help="bound on each API request (default: 10)")


def _add_scope_args(parser: argparse.ArgumentParser, help_text: str, sub: bool = False) -> None:
    parser.add_argument("-n", "--namespace", action="append", default=_default([], sub), metavar="NS", help=help_text)
    parser.add_argument("-A", "--all-namespaces", action="store_true", default=_default(False, sub),
                        help="all namespaces")


SHOW_NAMESPACE = "namespace to read / show (default: the context's namespace)"
ONLY_NAMESPACES = "only these namespaces (repeatable)"


def _add_port_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", metavar="PORT",
                        help="destination port number, or a container port name of the destination pod "
                             "(default: the question is about every port)")
    parser.add_argument("--protocol", default="TCP", metavar="TCP|UDP|SCTP", help="default: TCP")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kubenet-tui",
        description="Why can A not reach B? Kubernetes NetworkPolicy verdicts, explained.",
        epilog="Run without a command to open the explorer. Exit codes of check: 0 allowed, 1 blocked, "
               "2 unusable input, 3 unknown.",
    )
    parser.add_argument("--version", action="version", version=f"kubenet-tui {__version__}")
    _add_source_args(parser)
    _add_scope_args(parser, SHOW_NAMESPACE)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    check = sub.add_parser("check", help="explain whether one connection is allowed",
                           description="Explain whether SOURCE can open a connection to DESTINATION.")
    check.add_argument("source", metavar="SOURCE", help="NAMESPACE/POD, or an IP address outside the cluster")
    check.add_argument("destination", metavar="DESTINATION",
                       help="NAMESPACE/POD, svc/NAMESPACE/NAME, or an IP address outside the cluster")
    _add_port_args(check)
    _add_source_args(check, sub=True)
    _add_scope_args(check, SHOW_NAMESPACE, sub=True)
    check.add_argument("-o", "--output", choices=("text", "json"), default="text")
    check.add_argument("-q", "--brief", action="store_true", help="text output: only matching rules, no misses")

    matrix = sub.add_parser("matrix", help="allowed/blocked for every pair of pods",
                            description="Connectivity between every pair of pods that can carry traffic.")
    _add_port_args(matrix)
    _add_source_args(matrix, sub=True)
    _add_scope_args(matrix, ONLY_NAMESPACES, sub=True)
    matrix.add_argument("-o", "--output", choices=("text", "json", "blocked", "summary"), default="text",
                        help="text grid, json, only the blocked pairs, or per-namespace summary")

    snapshot = sub.add_parser("snapshot", help="save what was read from the cluster as one YAML file",
                              description="Write what was read from the live cluster as one YAML file that "
                                          "-f loads back (offline replay, bug reports).")
    _add_source_args(snapshot, sub=True)
    _add_scope_args(snapshot, ONLY_NAMESPACES, sub=True)
    snapshot.add_argument("-o", "--output", default="-", metavar="FILE", help="file to write (default: stdout)")
    return parser


def source_spec(args: argparse.Namespace) -> SourceSpec:
    """Where the arguments say the data comes from; the explorer gets this, never `args`."""
    if args.demo and args.file:
        raise UsageError("--demo and -f/--file cannot be combined")
    return SourceSpec(
        demo=args.demo,
        files=tuple(args.file),
        kubeconfig=args.kubeconfig,
        context=args.context,
        namespaces=tuple(args.namespace),
        all_namespaces=args.all_namespaces,
        request_timeout=args.request_timeout,
        needed_namespaces=_named_namespaces(args),
    )


def make_source(args: argparse.Namespace) -> Source:
    return source_for(source_spec(args))


def _named_namespaces(args: argparse.Namespace) -> tuple[str, ...]:
    """Namespaces of the pods/services a command names: the live source reads them even outside -n,
    or when cluster-wide reads are forbidden."""
    names = []
    for text in (getattr(args, "source", None), getattr(args, "destination", None)):
        if isinstance(text, str):
            parts = text.removeprefix("svc/").split("/")
            if len(parts) == 2 and parts[0]:
                names.append(parts[0])
    return tuple(names)


def run_snapshot(args: argparse.Namespace, source: Source, snapshot: Snapshot, err: Console) -> int:
    from kubenet_tui.sources.export import write_snapshot
    from kubenet_tui.sources.live import LiveSource

    if not isinstance(source, LiveSource):
        raise UsageError("snapshot saves what was read from a live cluster; -f/--demo data are files already")
    if args.output == "-":
        count = write_snapshot(source.objects(), snapshot, sys.stdout)
    else:
        try:
            with open(args.output, "w", encoding="utf-8") as out:
                count = write_snapshot(source.objects(), snapshot, out)
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
        err.print(f"kubenet-tui: wrote {count} objects to {args.output}", markup=False, highlight=False)
    return 0


def _report_problems(snapshot: Snapshot, err: Console) -> None:
    limit = 20
    for problem in snapshot.problems[:limit]:
        err.print(f"kubenet-tui: {problem.severity}: {problem.describe()}", markup=False, soft_wrap=True)
    if len(snapshot.problems) > limit:
        err.print(f"kubenet-tui: ... and {len(snapshot.problems) - limit} more problems", markup=False)
    if snapshot.ignored_kinds:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(snapshot.ignored_kinds.items()))
        err.print(f"kubenet-tui: note: ignored objects of kinds the engine does not use: {kinds}",
                  markup=False, soft_wrap=True)


def _protocol(text: str) -> Protocol:
    try:
        return Protocol.parse(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def run_check(args: argparse.Namespace, snapshot: Snapshot, out: Console) -> int:
    protocol = _protocol(args.protocol)
    index = snapshot.cluster.index
    if args.source.startswith(("svc/", "service/")):
        raise UsageError(f"{args.source}: a Service cannot be a source (traffic comes from its pods; "
                         "give one of them as NAMESPACE/POD)")
    source = resolve_end(index, args.source)
    if args.destination.startswith(("svc/", "service/")):
        from kubenet_tui.engine.services import evaluate_service, resolve_service

        service = resolve_service(index, args.destination)
        result = evaluate_service(snapshot.cluster, source, service, protocol, args.port)
        if args.output == "json":
            from kubenet_tui.render.services_out import service_verdict_json

            out.print_json(json.dumps(service_verdict_json(result)))
        else:
            from kubenet_tui.render.services_out import service_verdict_text

            out.print(service_verdict_text(result, verbose=not args.brief), soft_wrap=True)
        return {Status.ALLOWED: EXIT_ALLOWED, Status.BLOCKED: EXIT_BLOCKED}.get(result.status, EXIT_UNKNOWN)
    destination: End = resolve_end(index, args.destination)
    port, port_name = resolve_port(args.port, protocol, destination)
    verdict = evaluate(snapshot.cluster, source, destination, protocol, port, port_name)
    if args.output == "json":
        out.print_json(json.dumps(verdict_json(verdict)))
    else:
        out.print(verdict_text(verdict, verbose=not args.brief), soft_wrap=True)
    return {Status.ALLOWED: EXIT_ALLOWED, Status.BLOCKED: EXIT_BLOCKED}.get(verdict.status, EXIT_UNKNOWN)


def run_matrix(args: argparse.Namespace, snapshot: Snapshot, out: Console) -> int:
    protocol = _protocol(args.protocol)
    port: int | None = None
    if args.port is not None:
        if not (args.port.isascii() and args.port.isdigit()):
            raise UsageError(f"matrix needs a numeric --port (got {args.port!r}): a port name resolves per pod")
        port = int(args.port)
        if not 1 <= port <= 65535:
            raise UsageError(f"port {port} is out of range (1-65535)")
    namespaces = None if args.all_namespaces or not args.namespace else set(args.namespace)
    cluster = snapshot.cluster
    if namespaces:
        missing = sorted(ns for ns in namespaces if ns not in cluster.index.namespaces)
        if missing:
            raise UsageError(f"namespace(s) not found: {', '.join(missing)}")
    pods = matrix_pods(cluster, namespaces)
    result = connectivity_matrix(cluster, pods, protocol, port)
    if args.output == "json":
        # Streamed row by row: a large grid never sits in memory twice.
        write = sys.stdout.write
        write(f'{{"protocol": {json.dumps(protocol.value)}, "port": {json.dumps(port)}, "pods": ')
        write(json.dumps(result.pod_keys))
        write(', "matrix": [')
        for i, row in enumerate(result.rows()):
            write(("," if i else "") + "\n  " + json.dumps(row))
        write("\n]}\n")
        sys.stdout.flush()
    else:
        # Plain writes: a grid of a million cells through rich's renderer would take minutes.
        write = sys.stdout.write
        for line in matrix_text(result, args.output):
            write(line + "\n")
        sys.stdout.flush()
    return EXIT_ALLOWED


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    out = PipeSafeConsole(highlight=False)
    err = Console(stderr=True, highlight=False)
    try:
        if args.command is None:
            from kubenet_tui.ui.launch import run_explorer

            return int(run_explorer(source_spec(args)))
        source = make_source(args)
        snapshot = source.load()
        _report_problems(snapshot, err)
        if args.command == "check":
            return run_check(args, snapshot, out)
        if args.command == "matrix":
            return run_matrix(args, snapshot, out)
        if args.command == "snapshot":
            return run_snapshot(args, source, snapshot, err)
        raise UsageError(f"unknown command {args.command}")
    except DataMissing as exc:
        err.print(f"kubenet-tui: unknown: {exc}", markup=False, highlight=False, soft_wrap=True)
        return EXIT_UNKNOWN
    except (UsageError, InputError, SourceError) as exc:
        err.print(f"kubenet-tui: error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The JSON matrix writes to stdout directly; a closed pipe there ends the output, not the run.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
