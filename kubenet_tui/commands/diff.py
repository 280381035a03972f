"""`kubenet-tui diff --base SOURCE --head SOURCE`: the command's arguments. The work is in
`diff_run.py`, imported only when the command runs (the command line builds every parser on each start)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kubenet_tui.engine.profiles import Profile

if TYPE_CHECKING:
    from kubenet_tui.terminal.output import Printer
    from kubenet_tui.terminal.progress import Progress

EXPLAIN_BUDGET = 600  # engine.diff's (a test keeps them equal): importing it here would import numpy
SOURCE_HELP = ("live (the current context), demo, demo:NAME, a manifest file or directory ('-': stdin), or "
               "SOURCE+PATH: that source with PATH applied on top (objects with the same kind, namespace and "
               "name replace), SOURCE+staged: with its staged policies committed")


def add_parser(subparsers: Any, add_scope_args: Callable[..., None], profile: Callable[[str], Profile],
               request_timeout: Callable[[str], float]) -> None:
    parser = subparsers.add_parser(
        "diff", help="which flows a change opens, closes or leaves unknown (what-if)",
        description="Every flow (pod to pod, per port) whose verdict differs between two sources, grouped by "
                    "namespace pair and port, with the rule responsible on each side. Exit code: 0 no change, "
                    "1 changes, 2 unusable input.")
    parser.add_argument("--base", default="live", metavar="SOURCE", help=f"before: {SOURCE_HELP} (default: live)")
    parser.add_argument("--head", required=True, metavar="SOURCE", help="after, e.g. live+fix.yaml")
    parser.add_argument("--delete", action="append", default=[], metavar="PATH",
                        help="on the head side: delete the objects PATH names, as kubectl delete -f (repeatable)")
    parser.add_argument("--port", metavar="PORT",
                        help="compare this port only (a number); default: every port any policy of either side "
                             "names, and any other port")
    parser.add_argument("--protocol", metavar="TCP|UDP|SCTP", help="only this protocol (default: all three; "
                                                                   "TCP with --port)")
    parser.add_argument("-o", "--output", choices=("text", "json", "markdown"), default="text",
                        metavar="text|json|markdown", help="text (default), json, or markdown (a pull-request comment)")
    parser.add_argument("--explain", type=_count, default=EXPLAIN_BUDGET, metavar="N",
                        help=f"class pairs of changed flows explained on both sides, at most (default {EXPLAIN_BUDGET})")
    add_scope_args(parser, "only flows between pods of these namespaces (repeatable); live: read only these",
                        "every namespace (the default without -n)", sub=True)
    group = parser.add_argument_group("the live cluster, and how policies are read")
    group.add_argument("--cni", type=profile, default=argparse.SUPPRESS,
                       metavar="|".join(p.value for p in Profile),
                       help="read both sides' policies as this network plugin does (default: the plugin detected)")
    group.add_argument("--kubeconfig", metavar="PATH", default=argparse.SUPPRESS, help="kubeconfig file")
    group.add_argument("--context", metavar="NAME", default=argparse.SUPPRESS, help="kubeconfig context")
    group.add_argument("--request-timeout", type=request_timeout, default=argparse.SUPPRESS,
                       metavar="DURATION", help="bound on each API request (default 10s)")


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a count (0 or more)")
    return int(text)


def run(args: argparse.Namespace, out: Printer, err: Printer, progress: Progress) -> int:
    from kubenet_tui.commands.diff_run import run as run_diff

    return run_diff(args, out, err, progress)
