"""Starts the explorer for a source; prints a plain overview when there is no terminal to draw on."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from kubenet_tui.sources.base import Source


def run_explorer(source: Source, args: argparse.Namespace) -> int:
    from kubenet_tui.cli import run_overview

    snapshot = source.load()
    return run_overview(snapshot, Console(file=sys.stdout, highlight=False))
