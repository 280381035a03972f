"""Command line: the TUI (default), and the headless `check` and `matrix` commands.

Exit codes (a contract scripts rely on): 0 allowed, 1 blocked, 2 unusable input, 3 unknown.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

from kubenet_tui import __version__
from kubenet_tui.commands import diff as diff_command
from kubenet_tui.commands import flows as flows_command
from kubenet_tui.commands.glance import GLANCE_COMMANDS, NAMESPACE_FORMS, add_parsers, run_glance, run_namespace_forms
from kubenet_tui.engine.ends import named_namespace, parse_port
from kubenet_tui.engine.errors import DataMissing, InputError, PortError
from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.model import LabelSelector, Protocol
from kubenet_tui.engine.outside_ends import named_namespace as outside_namespace
from kubenet_tui.engine.profiles import Profile
from kubenet_tui.engine.query import Question, ask
from kubenet_tui.engine.selector_syntax import SelectorError, parse_label_selector
from kubenet_tui.engine.selectors import selector_matches
from kubenet_tui.render.answer import answer_brief, answer_json, answer_text
from kubenet_tui.sources.base import Snapshot, Source, SourceError
from kubenet_tui.sources.demo import DEFAULT_DEMO, DEMOS
from kubenet_tui.sources.spec import SourceSpec
from kubenet_tui.sources.spec import make_source as source_for
from kubenet_tui.terminal.output import Printer, fit_streams, speaks_unicode
from kubenet_tui.terminal.progress import Progress

EXIT_ALLOWED = 0
# The matrix's streamed three-valued forms (render/matrix_forms.py, imported when asked: it needs numpy).
MATRIX_FORMS = ("pairs", "csv", "compact")
EXIT_BLOCKED = 1
EXIT_USAGE = 2
EXIT_UNKNOWN = 3


class UsageError(Exception):
    """Unusable command-line input: one clear line, exit code 2."""


def _columns() -> int:
    """shutil.get_terminal_size's columns: $COLUMNS, else the terminal's, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Formatter(argparse.HelpFormatter):
    """argparse's own, as wide as it would make it, without importing shutil (and the compression
    modules shutil brings) into every command: argparse makes a formatter for each argument added."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, _columns() - 2 if width is None else width)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> Any:
        # One line, as for every other unusable input (argparse would print the whole usage first).
        self.exit(EXIT_USAGE, f"kubenet-tui: error: {message} (see {self.prog} --help)\n")


class _Reparse(Exception):
    """The parser built for one command found something wrong: the whole parser says what."""


class _OneCommandParser(_Parser):
    def error(self, message: str) -> Any:
        raise _Reparse(message)

    def print_help(self, file: Any = None) -> None:
        # However help was asked for (-h, --hel, -Ah): the top-level help lists every command.
        raise _Reparse("help")


_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def request_timeout(text: str) -> float:
    """kubectl's --request-timeout: a bare number of seconds, or a Go duration (`5s`, `1m`, `1h30m`,
    `250ms`); 0 means no bound on the request (returned as 0.0; the live source keeps a connect bound)."""
    value = text.strip()
    seconds: float | None = None
    if re.fullmatch(r"\d+\.?\d*|\.\d+", value):
        seconds = float(value)
    elif value and _DURATION_PART.sub("", value) == "":
        seconds = sum(float(number) * _UNITS[unit] for number, unit in _DURATION_PART.findall(value))
    if seconds is None or not math.isfinite(seconds):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a timeout: give seconds (5), or a number with a unit (500ms, 5s, 1m, 1h), "
            "or 0 for no timeout")
    return seconds


def label_selector(text: str) -> LabelSelector:
    try:
        return parse_label_selector(text)
    except SelectorError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _default(value: object, sub: bool) -> object:
    # Subcommands repeat the global options; SUPPRESS keeps a subparser from resetting what was given
    # before the subcommand (`kubenet-tui --demo check ...`).
    return argparse.SUPPRESS if sub else value


def _add_source_args(parser: argparse.ArgumentParser, sub: bool = False, files: bool = True) -> None:
    """Where the data comes from. `files=False` (snapshot, which saves a live read) still accepts -f
    and --demo, to refuse them with a reason, but leaves them out of its help."""
    title = ("where the cluster comes from (default: the current kubeconfig context)" if files
             else "which cluster (default: the current kubeconfig context)")
    group = parser.add_argument_group(title)
    group.add_argument("-f", "--file", action="append", default=_default([], sub), metavar="PATH",
                       help="manifest file or directory (YAML or JSON, recursive); '-' reads stdin; repeatable"
                       if files else argparse.SUPPRESS)
    group.add_argument("--demo", nargs="?", const=DEFAULT_DEMO, default=_default(None, sub), metavar="NAME",
                       choices=tuple(DEMOS),
                       help=f"use a bundled demo cluster ({', '.join(DEMOS)}; default {DEFAULT_DEMO})"
                       if files else argparse.SUPPRESS)
    group.add_argument("--cni", type=_profile, default=_default(None, sub), metavar="|".join(p.value for p in Profile),
                       help="read the policies as this network plugin does (default: the plugin detected)"
                       if files else argparse.SUPPRESS)
    group.add_argument("--kubeconfig", metavar="PATH", default=_default(None, sub),
                       help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
    group.add_argument("--context", metavar="NAME", default=_default(None, sub),
                       help="kubeconfig context (default: the current one)")
    group.add_argument("--request-timeout", type=request_timeout, default=_default(10.0, sub), metavar="DURATION",
                       help="bound on each API request, as kubectl: 5s, 1m, a number of seconds, 0 for none "
                            "(default: 10s)")


def _add_scope_args(parser: argparse.ArgumentParser, namespace_help: str, all_help: str, sub: bool = False) -> None:
    parser.add_argument("-n", "--namespace", action="append", default=_default([], sub), metavar="NS",
                        help=namespace_help)
    parser.add_argument("-A", "--all-namespaces", action="store_true", default=_default(False, sub), help=all_help)


def _add_port_args(parser: argparse.ArgumentParser, port_help: str) -> None:
    parser.add_argument("--port", metavar="PORT", help=port_help)
    parser.add_argument("--protocol", default=None, metavar="TCP|UDP|SCTP",
                        help="default: TCP for a port; for check without a port, every protocol (53/udp works too)")


COMMANDS = ("check", "matrix", *GLANCE_COMMANDS, "snapshot", "flows", "diff")


def build_parser(prog: str = "kubenet-tui", only: str | None = None) -> argparse.ArgumentParser:
    """Every command's parser, or (`only`) that command's alone: a one-shot `check` need not build the
    seven others (argparse looks up a translation for each of their texts)."""

    def wanted(*names: str) -> bool:
        return only is None or only in names

    parser_class = _Parser if only is None else _OneCommandParser
    parser = parser_class(
        prog=prog,
        description="Why can A not reach B? Kubernetes NetworkPolicy verdicts, explained.",
        epilog="Run without a command to open the explorer. Exit codes of check: 0 allowed, 1 blocked, "
               "2 unusable input, 3 unknown. 'kubenet-tui COMMAND --help' lists the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"kubenet-tui {__version__}")
    _add_source_args(parser)
    _add_scope_args(parser, "namespace to show (default: the context's namespace)", "show all namespaces")
    sub = parser.add_subparsers(dest="command", parser_class=parser_class, metavar="COMMAND")
    if wanted("check"):
        _add_check_parser(sub)
    if wanted("matrix"):
        _add_matrix_parser(sub)
    if wanted(*GLANCE_COMMANDS):
        add_parsers(sub, _add_source_args, _add_scope_args)
    if wanted("snapshot"):
        snapshot = sub.add_parser("snapshot", help="save what was read from the cluster as one YAML file",
                                  description="Write what was read from the live cluster as one YAML file that "
                                              "-f loads back (offline replay, bug reports).")
        snapshot.add_argument("-o", "--output", default="-", metavar="FILE", help="file to write (default: stdout)")
        _add_scope_args(snapshot, "read only these namespaces (repeatable)",
                        "read every namespace (the default without -n)", sub=True)
        _add_source_args(snapshot, sub=True, files=False)
    if wanted("flows"):
        flows_command.add_parser(sub, _add_source_args, _add_scope_args)
    if wanted("diff"):
        diff_command.add_parser(sub, _add_scope_args, _profile, request_timeout)
    return parser


def _add_check_parser(sub: Any) -> None:
    check = sub.add_parser("check", help="explain whether one connection is allowed",
                           description="Explain whether SOURCE can open a connection to DESTINATION. "
                                       "Exit code: 0 allowed, 1 blocked, 2 unusable input, 3 unknown.")
    check.add_argument("source", metavar="SOURCE", help="NAMESPACE/POD, a pod name (in -n's namespace), a pod IP, "
                       "or an address outside the cluster; from outside through the controller: https://HOST/PATH, "
                       "ingress/NS/NAME, gateway/NS/NAME, route/NS/NAME")
    check.add_argument("destination", metavar="DESTINATION", nargs="?", default="",
                       help="NAMESPACE/POD, svc/NAMESPACE/NAME, NAME.NAMESPACE[.svc.cluster.local], "
                            "a ClusterIP, a pod IP, a bare name (in -n's namespace), or an address outside "
                            "the cluster (optional after a URL, ingress, gateway or route: every backend it "
                            "leads to)")
    check.add_argument("--ingress-pods", metavar="NS/SELECTOR", default=None,
                       help="the data-plane pods that carry requests from outside, when the controller is not "
                            "recognised: e.g. ingress-nginx/app.kubernetes.io/name=ingress-nginx")
    _add_port_args(check, "destination port number, or a container port name of the destination pod "
                          "(a Service: its port number or name); default: the question is about every port")
    check.add_argument("-o", "--output", choices=("text", "json"), default="text", metavar="text|json",
                       help="text (default) or json")
    check.add_argument("-q", "--brief", action="store_true",
                       help="text output in two lines: the verdict, and the rule or policies that decide it")
    _add_scope_args(check, "live cluster: read only these namespaces, besides those of SOURCE and DESTINATION "
                           "(repeatable)", "live cluster: read every namespace (the default without -n)", sub=True)
    _add_source_args(check, sub=True)


def _add_matrix_parser(sub: Any) -> None:
    matrix = sub.add_parser("matrix", help="allowed/blocked for every pair of pods",
                            description="Connectivity between every pair of pods that can carry traffic.")
    _add_port_args(matrix, "destination port number, or a container port name resolved on each destination "
                           "pod (pods without it cannot be reached on it); default: every port")
    matrix.add_argument("-l", "--selector", type=label_selector, default=None, metavar="SELECTOR",
                        help="only pods with these labels, as kubectl: app=web,tier!=db,env in (a,b),!legacy")
    matrix.add_argument("-o", "--output", choices=("text", "json", *MATRIX_FORMS, "blocked", "summary",
                                                   *NAMESPACE_FORMS),
                        default="text", metavar="text|json|pairs|csv|compact|blocked|summary|heatmap|dot|mermaid",
                        help="text grid (default, ? where unknown); json ({pods, matrix: [[bool...]...]}, false "
                             "also where unknown); pairs: one 'SOURCE -> DESTINATION' line per allowed pair "
                             "(--blocked: per blocked pair), streamed, unknown pairs counted apart; csv: a header "
                             "of destinations, then per source its 1 (allowed), 0 (blocked) or ? (unknown) cells; "
                             "compact: json whose rows are such strings; blocked: pairs --blocked; per-namespace "
                             "totals; or at namespace level: the heatmap grid, a Graphviz or a Mermaid graph")
    matrix.add_argument("--blocked", action="store_true",
                        help="with -o pairs: list the blocked pairs instead of the allowed ones")
    _add_scope_args(matrix, "only pods in these namespaces (repeatable; default: every namespace)",
                    "every namespace (the default without -n)", sub=True)
    _add_source_args(matrix, sub=True)


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
        profile=getattr(args, "cni", None),
    )


def make_source(args: argparse.Namespace) -> Source:
    return source_for(source_spec(args))


def _profile(text: str) -> Profile:
    try:
        return Profile(text.lower())
    except ValueError:
        raise argparse.ArgumentTypeError(f"unknown profile {text!r} (use {', '.join(p.value for p in Profile)})") from None


def _named_namespaces(args: argparse.Namespace) -> tuple[str, ...]:
    """Namespaces of the pods/services a command names: the live source reads them even outside -n,
    or when cluster-wide reads are forbidden."""
    names = []
    for text in (getattr(args, "source", None), getattr(args, "destination", None)):
        if isinstance(text, str) and (found := named_namespace(text) or outside_namespace(text)) is not None:
            names.append(found)
    return tuple(names)


SNAPSHOT_OF_FILES = "snapshot saves what was read from a live cluster; -f/--demo data are files already"


def run_snapshot(args: argparse.Namespace, source: Source, snapshot: Snapshot, err: Printer,
                 progress: Progress) -> int:
    from kubenet_tui.sources.export import write_snapshot
    from kubenet_tui.sources.live import LiveSource

    if not isinstance(source, LiveSource):
        raise UsageError(SNAPSHOT_OF_FILES)
    if args.output == "-":
        count = write_snapshot(source.objects(), snapshot, sys.stdout)
    else:
        try:
            with open(args.output, "w", encoding="utf-8") as out, progress.phase(f"writing {args.output}"):
                count = write_snapshot(source.objects(), snapshot, out)
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
        err.print(f"kubenet-tui: wrote {count} objects to {args.output}", markup=False, highlight=False)
    return 0


def _report_problems(snapshot: Snapshot, err: Printer) -> None:
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


def run_check(args: argparse.Namespace, snapshot: Snapshot, out: Printer) -> int:
    protocol = _protocol(args.protocol) if args.protocol else None
    namespace = args.namespace[0] if args.namespace else None
    answer = ask(snapshot.cluster, Question(args.source, args.destination, parse_port(args.port, protocol), namespace,
                                            args.ingress_pods))
    if args.output == "json":
        _print_json(out, answer_json(answer))
    elif args.brief:
        out.text(answer_brief(answer))
    else:
        out.text(answer_text(answer))
    return {Status.ALLOWED: EXIT_ALLOWED, Status.BLOCKED: EXIT_BLOCKED}.get(answer.status, EXIT_UNKNOWN)


def _print_json(out: Printer, data: Any) -> None:
    out.json(data)


def _matrix_port(text: str | None) -> tuple[int | None, str | None]:
    """A number (checked), a port name (resolved per destination pod later), or None for every port."""
    text = (text or "").strip()
    if not text:
        return None, None
    if text.isascii() and text.isdigit():
        port = int(text)
        if not 1 <= port <= 65535:
            raise UsageError(f"port {port} is out of range (1-65535)")
        return port, None
    return None, text


def run_matrix(args: argparse.Namespace, snapshot: Snapshot, progress: Progress) -> int:
    # Imported here: the matrix needs numpy, which costs `check` (a one-shot command) a third of its start.
    from kubenet_tui.engine.matrix import connectivity_matrix, destination_port, matrix_pods, named_port_matrix
    from kubenet_tui.render.matrix_text import matrix_text

    protocol = _protocol(args.protocol or "TCP")
    port, port_name = _matrix_port(args.port)
    namespaces = None if args.all_namespaces or not args.namespace else set(args.namespace)
    cluster = snapshot.cluster
    if namespaces:
        missing = sorted(ns for ns in namespaces if ns not in cluster.index.namespaces)
        if missing:
            raise UsageError(f"namespace(s) not found: {', '.join(missing)}")
    pods = matrix_pods(cluster, namespaces)
    if args.selector is not None:
        pods = tuple(p for p in pods if selector_matches(args.selector, p.labels))
    if port_name is not None and pods and not any(destination_port(p, port_name, protocol) for p in pods):
        raise UsageError(f"none of the {len(pods)} pods declares a {protocol.value} port named {port_name!r}")
    if args.output in NAMESPACE_FORMS:
        return run_namespace_forms(args.output, cluster, pods, protocol, port, port_name, progress,
                                   speaks_unicode(sys.stdout))
    if args.blocked and args.output != "pairs":
        raise UsageError("--blocked goes with -o pairs")
    if args.output in (*MATRIX_FORMS, "text", "blocked"):
        return run_matrix_forms(args.output, args.blocked, cluster, pods, protocol, port, port_name, progress)
    with progress.phase(f"computing connectivity between {len(pods):,} pods"):
        if port_name is not None:
            result = named_port_matrix(cluster, pods, protocol, port_name)
        else:
            result = connectivity_matrix(cluster, pods, protocol, port)
    write = sys.stdout.write
    if args.output == "json":
        # Streamed row by row: a large grid never sits in memory twice.
        write(f'{{"protocol": {json.dumps(protocol.value)}, "port": {json.dumps(port_name or port)}, "pods": ')
        write(json.dumps(result.pod_keys))
        if result.port_numbers is not None:
            # What the port name stands for on each destination pod; null: it declares no such port.
            write(', "ports": ' + json.dumps([int(n) or None for n in result.port_numbers]))
        write(', "matrix": [')
        for i, row in enumerate(result.rows()):
            write(("," if i else "") + "\n  " + json.dumps(row))
        write("\n]}\n")
    else:
        summary = None
        if args.output == "summary" and result.pods:
            with progress.phase("adding up allowed pairs per namespace"):
                summary = result.namespace_summary()
        # Plain writes: a grid of a million cells through rich's renderer would take minutes.
        for line in matrix_text(result, args.output, summary):
            write(line + "\n")
    sys.stdout.flush()
    return EXIT_ALLOWED


def run_matrix_forms(form: str, blocked: bool, cluster: Any, pods: tuple[Any, ...], protocol: Protocol,
                     port: int | None, port_name: str | None, progress: Progress) -> int:
    """The three-valued forms (allowed, blocked, unknown), streamed a source row at a time."""
    from kubenet_tui.engine.heatmap import PairStatus
    from kubenet_tui.engine.pair_status import status_rows
    from kubenet_tui.render import matrix_forms

    with progress.phase(f"computing connectivity between {len(pods):,} pods"):
        rows = status_rows(cluster, pods, protocol, port, port_name)
    if form == "compact":
        chunks = matrix_forms.compact_json(rows)
    elif form == "csv":
        chunks = matrix_forms.csv_lines(rows)
    elif form == "text":
        chunks = matrix_forms.grid_text(rows)
    else:  # pairs, blocked
        want = PairStatus.BLOCKED if blocked or form == "blocked" else PairStatus.ALLOWED
        chunks = matrix_forms.pair_lines(rows, want) if pods else iter(
            ["no pods that can carry traffic (pods need an IP and must not have finished)\n"])
    write = sys.stdout.write
    for chunk in chunks:
        write(chunk)
    sys.stdout.flush()
    return EXIT_ALLOWED


def _loading_phase(args: argparse.Namespace) -> str:
    if args.demo:
        return "reading the demo cluster"
    if args.file:
        return "reading " + (args.file[0] if len(args.file) == 1 else f"{len(args.file)} paths")
    return f"reading the cluster (context {args.context})" if args.context else "reading the cluster"


def _demo_argv(argv: Sequence[str]) -> list[str]:
    """`--demo` takes an optional NAME; written before a command (`--demo check a b`) the next word is
    the command, not a name: spell the flag out so the parser cannot take it for one."""
    out: list[str] = []
    for i, word in enumerate(argv):
        if word == "--demo" and (i + 1 == len(argv) or argv[i + 1] not in DEMOS):
            word = f"--demo={DEFAULT_DEMO}"
        out.append(word)
    return out


def _parse(prog: str, words: list[str]) -> argparse.Namespace:
    """With the parser of the command the words name, when exactly one of them names a command (it may
    be an option's value: `-n check` is the explorer on namespace check; the parser of the command
    named then parses that just as well); otherwise, or for help or an error, the whole one."""
    named = {word for word in words if word in COMMANDS}
    if len(named) == 1 and words.count(next(iter(named))) == 1:
        try:
            return build_parser(prog, only=next(iter(named))).parse_args(words)
        except _Reparse:
            pass
    return build_parser(prog).parse_args(words)


def plugin_main() -> int:
    """`kubectl kubenet ...`: kubectl runs `kubectl-kubenet` from PATH with the words after `kubenet`
    (its own global flags are not passed on; ours, --context, --kubeconfig, -n, work the same)."""
    return main(prog="kubectl kubenet")


def main(argv: Sequence[str] | None = None, prog: str = "kubenet-tui") -> int:
    fit_streams()
    words = _demo_argv(sys.argv[1:] if argv is None else argv)
    args = _parse(prog, words)
    # Through a pipe or into a file, lines stay whole (grep); on a terminal rich wraps them to its width.
    out = Printer(sys.stdout)
    err = Printer(sys.stderr, stderr=True)
    progress = Progress(sys.stderr)
    try:
        if args.command == "diff":  # two sources of its own (--base, --head)
            return diff_command.run(args, out, err, progress)
        if args.command is None:
            from kubenet_tui.ui.launch import run_explorer

            return int(run_explorer(source_spec(args)))
        source = make_source(args)
        if args.command == "snapshot" and (args.demo or args.file):
            raise UsageError(SNAPSHOT_OF_FILES)  # before reading them: there is nothing to save
        if args.command == "flows":
            flows_command.check_args(args)
        prepare = getattr(source, "prepare", None)
        if callable(prepare) and progress.enabled:
            # Credentials first (an exec plugin may log in interactively on stderr), then the progress line.
            prepare()
        with progress.phase(_loading_phase(args)):
            snapshot = source.load()
        _report_problems(snapshot, err)
        if args.command == "check":
            return run_check(args, snapshot, out)
        if args.command == "matrix":
            return run_matrix(args, snapshot, progress)
        if args.command == "snapshot":
            return run_snapshot(args, source, snapshot, err, progress)
        if args.command == "flows":
            return flows_command.run(args, source, snapshot, out.console, err.console, progress)
        if args.command in GLANCE_COMMANDS:
            return run_glance(args, snapshot.cluster, progress, speaks_unicode(sys.stdout))
        raise UsageError(f"unknown command {args.command}")
    except DataMissing as exc:
        err.print(f"kubenet-tui: unknown: {exc}", markup=False, highlight=False, soft_wrap=True)
        return EXIT_UNKNOWN
    except (UsageError, InputError, SourceError) as exc:
        message = exc.worded("--port") if isinstance(exc, PortError) else str(exc)
        err.print(f"kubenet-tui: error: {message}", markup=False, highlight=False, soft_wrap=True)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The JSON matrix writes to stdout directly; a closed pipe there ends the output, not the run.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        progress.close()
