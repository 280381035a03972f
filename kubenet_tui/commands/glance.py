"""The glance commands' entry points for `kubenet_tui.cli`: `coverage`, `exposure`, `lint`, and the
namespace-level forms of `matrix`. Kept out of cli.py so each is one import and one branch there;
numpy and the engine's heavier modules are imported when a command runs, not when cli loads."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kubenet_tui.engine.cluster import Cluster
    from kubenet_tui.engine.model import Pod, Protocol
    from kubenet_tui.terminal.progress import Progress

NAMESPACE_FORMS = ("heatmap", "dot", "mermaid")


def run_namespace_forms(form: str, cluster: Cluster, pods: tuple[Pod, ...], protocol: Protocol, port: int | None,
                        port_name: str | None, progress: Progress, unicode: bool) -> int:
    """`matrix -o heatmap|dot|mermaid`: allowed pod pairs per namespace pair, on pod classes."""
    from kubenet_tui.commands.namespace_graph import lines
    from kubenet_tui.engine.heatmap import namespace_heatmap

    with progress.phase(f"adding up allowed pairs between {len(pods):,} pods per namespace"):
        heatmap = namespace_heatmap(cluster, pods, protocol, port, port_name)
    write = sys.stdout.write
    for line in lines(heatmap, form, unicode):
        write(line + "\n")
    sys.stdout.flush()
    return 0


GLANCE_COMMANDS = ("coverage", "exposure", "lint")


def add_parsers(sub: Any, add_source_args: Callable[..., None], add_scope_args: Callable[..., None]) -> None:
    """`coverage`, `exposure` and `lint`, with the usual source and scope flags."""
    scope = ("only these namespaces (repeatable; default: every namespace)", "every namespace (the default without -n)")
    coverage = sub.add_parser("coverage", help="which pods policies isolate, per namespace",
                              description="Pods isolated for ingress, egress, both or neither, per namespace and "
                                          "overall (NetworkPolicy, or a plugin tier's default deny).")
    coverage.add_argument("-o", "--output", choices=("text", "json"), default="text", metavar="text|json")
    exposure = sub.add_parser("exposure", help="pods reachable from outside the cluster or from every namespace",
                              description="Per pod and declared port: is it let in from outside addresses "
                                          "(0.0.0.0/0, ::/0: all, some, none), and does it admit every pod of every "
                                          "namespace? Both read the pod's ingress.")
    exposure.add_argument("-o", "--output", choices=("text", "json"), default="text", metavar="text|json")
    exposure.add_argument("--all", action="store_true", dest="all_ports",
                          help="text: list every port, not only the exposed ones")
    lint = sub.add_parser("lint", help="find broken or risky policies",
                          description="Policies that select nothing, name ports no pod declares, are shadowed, "
                                      "isolate egress without DNS, ... Exit code 1 when a finding is at least as "
                                      "severe as --fail-on (default: error), else 0.")
    lint.add_argument("-o", "--output", choices=("text", "json", "sarif"), default="text", metavar="text|json|sarif")
    lint.add_argument("--fail-on", choices=("error", "warning", "note", "never"), default="error",
                      help="exit 1 when a finding has this severity or a higher one (default: error)")
    for parser in (coverage, exposure, lint):
        add_scope_args(parser, *scope, sub=True)
        add_source_args(parser, sub=True)


def _namespaces(args: Any) -> set[str] | None:
    return None if getattr(args, "all_namespaces", False) or not getattr(args, "namespace", None) else set(
        args.namespace)


def run_glance(args: Any, cluster: Cluster, progress: Progress, unicode: bool) -> int:
    """Run one of GLANCE_COMMANDS; the exit code (lint: 1 when a finding is severe enough)."""
    namespaces = _namespaces(args)
    if namespaces:
        missing = sorted(ns for ns in namespaces if ns not in cluster.index.namespaces)
        if missing:
            from kubenet_tui.engine.errors import InputError

            raise InputError(f"namespace(s) not found: {', '.join(missing)}")
    pods = None if namespaces is None else [p for p in cluster.pods if p.namespace in namespaces]
    write = sys.stdout.write
    if args.command == "coverage":
        from kubenet_tui.engine.coverage import coverage
        from kubenet_tui.render.glance_out import coverage_json, coverage_lines

        with progress.phase("working out which pods policies isolate"):
            found = coverage(cluster, pods)
        if args.output == "json":
            write(json.dumps(coverage_json(found), indent=2, ensure_ascii=not unicode) + "\n")
        else:
            for line in coverage_lines(found, unicode):
                write(line + "\n")
        return 0
    if args.command == "exposure":
        from kubenet_tui.engine.exposure import exposure
        from kubenet_tui.render.glance_out import exposure_json, exposure_lines

        with progress.phase("working out what each pod lets in"):
            found_exposure = exposure(cluster, pods)
        if args.output == "json":
            write(json.dumps(exposure_json(found_exposure), indent=2, ensure_ascii=not unicode) + "\n")
        else:
            for line in exposure_lines(found_exposure, unicode, args.all_ports):
                write(line + "\n")
        return 0
    from kubenet_tui.commands.lint_out import lint_json, sarif, text_lines
    from kubenet_tui.engine.lint import Severity, failing, lint

    with progress.phase("linting the policies"):
        findings = lint(cluster)
    if namespaces is not None:
        findings = [f for f in findings if (f.namespace if f.kind != "Namespace" else f.name) in (None, *namespaces)]
    if args.output == "json":
        write(json.dumps(lint_json(findings), indent=2, ensure_ascii=not unicode) + "\n")
    elif args.output == "sarif":
        write(json.dumps(sarif(findings), indent=2, ensure_ascii=not unicode) + "\n")
    else:
        for line in text_lines(findings, unicode):
            write(line + "\n")
    sys.stdout.flush()
    if args.fail_on == "never":
        return 0
    return 1 if failing(findings, Severity(args.fail_on)) else 0
