"""`matrix -o heatmap|dot|mermaid`: the matrix at namespace level, for a terminal or for documents.

Computed as the heatmap pane computes it (`engine.heatmap`, on pod classes): each namespace pair's
allowed, unknown and blocked pod pairs. `heatmap` prints the whole grid (the pane's symbols and shades);
`dot` (Graphviz) and `mermaid` draw one node per namespace and one edge per pair of namespaces where
some pod pairs are allowed or cannot be told: solid when all are allowed, dashed when some are, dotted
when it cannot be told; pairs where nothing is allowed have no edge.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from kubenet_tui.engine.heatmap import Heatmap
from kubenet_tui.ui.panes.heatmap_view import Cell, HeatmapView, Mark, port_words

FORMS = ("heatmap", "dot", "mermaid")
_WORDS = {Mark.ALL: "all", Mark.SOME: "some", Mark.UNKNOWN: "unknown"}


def _edges(heatmap: Heatmap) -> Iterator[tuple[int, int, Cell]]:
    view = HeatmapView(heatmap)
    n = len(heatmap.namespaces)
    for a in range(n):
        for b in range(n):
            cell = view.cell_at(a, b)
            if cell.mark in _WORDS:
                yield a, b, cell


def _label(cell: Cell) -> str:
    text = f"{_WORDS[cell.mark]} {cell.allowed}/{cell.pairs}"
    if cell.unknown:
        text += f", {cell.unknown} unknown"
    return text


def dot_lines(heatmap: Heatmap) -> Iterator[str]:
    yield f"// kubenet-tui: allowed pod pairs between namespaces on {port_words(heatmap)}"
    yield "// solid: all pairs allowed, dashed: some, dotted: cannot be told (data not read); no edge: none"
    yield "digraph namespaces {"
    yield "  rankdir=LR;"
    yield "  node [shape=box];"
    for ns in heatmap.namespaces:
        yield f"  {json.dumps(ns)};"
    styles = {Mark.ALL: "solid", Mark.SOME: "dashed", Mark.UNKNOWN: "dotted"}
    for a, b, cell in _edges(heatmap):
        yield (f"  {json.dumps(heatmap.namespaces[a])} -> {json.dumps(heatmap.namespaces[b])} "
               f"[label={json.dumps(_label(cell))}, style={styles[cell.mark]}];")
    yield "}"


def mermaid_lines(heatmap: Heatmap) -> Iterator[str]:
    yield f"%% kubenet-tui: allowed pod pairs between namespaces on {port_words(heatmap)}"
    yield "%% solid: all pairs allowed, dotted: some or cannot be told; no edge: none"
    yield "flowchart LR"
    for k, ns in enumerate(heatmap.namespaces):
        yield f'  n{k}["{ns}"]'
    for a, b, cell in _edges(heatmap):
        arrow = "-->" if cell.mark is Mark.ALL else "-.->"
        yield f'  n{a} {arrow}|"{_label(cell)}"| n{b}'


def lines(heatmap: Heatmap, form: str, unicode: bool = True) -> Iterator[str]:
    if form == "dot":
        yield from dot_lines(heatmap)
    elif form == "mermaid":
        yield from mermaid_lines(heatmap)
    else:
        yield from HeatmapView(heatmap).full_text(unicode)
