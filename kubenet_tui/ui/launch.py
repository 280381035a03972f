"""Starts the explorer for a `SourceSpec`; prints a plain overview when there is no terminal to draw on."""

from __future__ import annotations

import contextlib
import sys

from kubenet_tui.sources.base import SourceError
from kubenet_tui.sources.spec import SourceSpec, make_source
from kubenet_tui.terminal.output import Printer


def run_explorer(spec: SourceSpec) -> int:
    source = make_source(spec)
    if not (sys.stdout.isatty() and sys.stdin.isatty()):
        from kubenet_tui.ui.overview import run_overview

        return run_overview(source.load(), Printer(sys.stdout), () if spec.all_namespaces else spec.namespaces)

    prepare = getattr(source, "prepare", None)
    if callable(prepare):
        # Credentials first, while the terminal is still a terminal: an exec plugin that wants a login
        # (a URL and a code, a password) talks to the user, bounded in time; ctrl+c ends the program as
        # in kubectl. A failure here is reported by the explorer's own load, with a retry.
        with contextlib.suppress(SourceError):
            prepare()

    from kubenet_tui.ui.app import make_app

    app = make_app(spec, source=source)
    result = app.run()
    return int(result or 0)
