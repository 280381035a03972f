"""`kubenet-tui flows FILE|-`: the command's arguments. The work is in `flows_run.py`, imported only
when the command runs (the command line builds every parser on each start, and the judge's imports
would cost `check` a tenth of a second)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kubenet_tui.engine.errors import InputError

if TYPE_CHECKING:
    from rich.console import Console

    from kubenet_tui.sources.base import Snapshot, Source
    from kubenet_tui.terminal.progress import Progress

# The values of sources.flows.Format (a test keeps them equal): importing it here would import the readers.
FORMATS = ("auto", "hubble", "calico", "aws")


def add_parser(sub: Any, add_source_args: Callable[..., None], add_scope_args: Callable[..., None]) -> None:
    parser = sub.add_parser(
        "flows", help="compare a network plugin's flow log with the policies: why was this dropped?",
        description="Read a flow log (Cilium `hubble observe -o json`, Calico flow logs, AWS network policy agent "
                    "lines; '-' reads stdin), join each flow to the cluster, and say for each class of flows "
                    "whether the policies agree with what the plugin did: the deciding rule or default deny, or "
                    "the likely causes of a disagreement. Exit code: 0 all agree, 1 some disagree or are "
                    "unknown, 2 nothing usable was read.")
    parser.add_argument("log", metavar="FILE|-", help="the flow log: a file (gzip too), or '-' for stdin or a pipe")
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text", metavar="text|json",
                        help="text (default) or json")
    parser.add_argument("--only", choices=("dropped", "disagree"), default=None, metavar="dropped|disagree",
                        help="only the classes the plugin dropped, or only those that disagree or are unknown")
    parser.add_argument("--format", choices=FORMATS, default="auto", metavar="|".join(FORMATS),
                        help="the log's format (default: recognised on each line)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="every verdict in full, text and JSON (default: in full for disagreements and unknowns; "
                             "agreements say what decided them)")
    add_scope_args(parser, "live cluster: read only these namespaces (repeatable)",
                    "live cluster: read every namespace (the default without -n)", sub=True)
    add_source_args(parser, sub=True)


def check_args(args: argparse.Namespace) -> None:
    """What can be refused before the cluster is read (which may itself read stdin)."""
    if args.log == "-" and "-" in (args.file or ()):
        raise InputError("the flow log and -f cannot both be read from stdin: give one of them as a file")


def run(args: argparse.Namespace, source: Source, snapshot: Snapshot, out: Console, err: Console,
        progress: Progress) -> int:
    from kubenet_tui.commands.flows_run import run as run_flows

    return run_flows(args, source, snapshot, out, err, progress)
