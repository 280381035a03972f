"""The glance commands' entry points for `kubenet_tui.cli`: `coverage`, `exposure`, `lint`, and the
namespace-level forms of `matrix`. Kept out of cli.py so each is one import and one branch there;
numpy and the engine's heavier modules are imported when a command runs, not when cli loads."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubenet_tui.engine.cluster import Cluster
    from kubenet_tui.engine.model import Pod, Protocol
    from kubenet_tui.progress import Progress

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
