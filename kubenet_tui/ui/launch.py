"""Starts the explorer for a source; prints a plain overview when there is no terminal to draw on."""

from __future__ import annotations

import argparse
import contextlib
import sys

from kubenet_tui.output import Printer
from kubenet_tui.sources.base import Source


def loading_text(args: argparse.Namespace) -> str:
    """What the first frame says is being read, before any data arrives."""
    if getattr(args, "demo", False):
        return "bundled demo cluster"
    files = getattr(args, "file", None) or []
    if files:
        return "files " + ", ".join(files[:3]) + (" …" if len(files) > 3 else "")
    context = getattr(args, "context", None)
    return f"context {context}" if context else "the current kubeconfig context"


def run_explorer(source: Source, args: argparse.Namespace) -> int:
    if not (sys.stdout.isatty() and sys.stdin.isatty()):
        from kubenet_tui.cli import run_overview

        return run_overview(source.load(), Printer(sys.stdout),
                            () if args.all_namespaces else args.namespace)

    from kubenet_tui.ui.app import make_app

    live = not (getattr(args, "demo", False) or getattr(args, "file", None))

    def switch_context(name: str) -> Source:
        from kubenet_tui.cli import make_source

        return make_source(argparse.Namespace(**{**vars(args), "context": name}))

    namespaces = list(getattr(args, "namespace", None) or [])
    contexts: list[str] = []
    context = getattr(args, "context", None)
    loading = loading_text(args)
    if live:
        from kubenet_tui.sources.base import SourceError
        from kubenet_tui.sources.kubeconfig import kubeconfig_paths, merge_kubeconfigs

        try:  # names only, for :ctx completion; a broken kubeconfig is reported by the load itself
            merged = merge_kubeconfigs(kubeconfig_paths(getattr(args, "kubeconfig", None)))
            contexts = [c["name"] for c in merged["contexts"]]
            if context is None and merged.get("current-context"):
                context = str(merged["current-context"])
                loading = f"context {context}"
        except SourceError:
            contexts = []
        prepare = getattr(source, "prepare", None)
        if callable(prepare):
            # A failure here is reported by the explorer's own load, with a retry.
            with contextlib.suppress(SourceError):
                prepare()
    app = make_app(
        source,
        namespaces[0] if namespaces else None,
        all_namespaces=bool(getattr(args, "all_namespaces", False)),
        loading_text=loading,
        context=context,
        switch_context=switch_context if live else None,
        contexts=contexts,
    )
    result = app.run()
    return int(result or 0)
