"""The heatmap pane's model: what it shows at 80x24 and 120x40 (golden text, with and without Unicode),
how the cursor moves and scrolls over 500 namespaces, the drill-down and choosing a pair.

Regenerate the golden files with `UPDATE_GOLDEN=1 python -m pytest tests/glance/test_heatmap_view.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from engine.kit import cluster, namespace, netpol, pod

from kubenet_tui.engine.heatmap import Heatmap, namespace_heatmap
from kubenet_tui.engine.matrix import matrix_pods
from kubenet_tui.engine.model import Protocol
from kubenet_tui.sources.demo import DemoSource
from kubenet_tui.ui.panes.heatmap_view import (
    Back,
    ChoosePair,
    DrillDown,
    HeatmapView,
    Mark,
    mark,
    shade_level,
)

GOLDEN = Path(__file__).parent / "golden"


def demo_heatmap(port: int | None = None) -> Heatmap:
    c = DemoSource("shop").load().cluster
    return namespace_heatmap(c, matrix_pods(c), Protocol.TCP, port)


def assert_golden(name: str, lines: list[str]) -> None:
    path = GOLDEN / name
    text = "\n".join(lines) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs (UPDATE_GOLDEN=1 regenerates it)"


def assert_fits(lines: list[str], width: int, height: int, unicode: bool = True) -> None:
    assert len(lines) <= height
    assert all(len(line) <= width for line in lines), max(lines, key=len)
    if not unicode:
        assert all(line.isascii() for line in lines)


@pytest.mark.parametrize(("width", "height"), [(80, 24), (120, 40)])
def test_demo_heatmap_at_size(width: int, height: int) -> None:
    view = HeatmapView(demo_heatmap())
    for key in "jjl":
        view.key(key)
    lines = view.lines(width, height)
    assert_fits(lines, width, height)
    assert_golden(f"heatmap-{width}x{height}.txt", lines)


def test_demo_heatmap_without_unicode() -> None:
    view = HeatmapView(demo_heatmap(80))
    lines = view.lines(80, 24, unicode=False)
    assert_fits(lines, 80, 24, unicode=False)
    assert_golden("heatmap-ascii-80x24.txt", lines)


def test_demo_drill_down_and_choose_a_pair() -> None:
    view = HeatmapView(demo_heatmap(80))
    view.place("shop", "shop")
    effect = view.key("enter")
    assert effect == DrillDown("shop", "shop")
    lines = view.lines(80, 24)
    assert_fits(lines, 80, 24)
    assert_golden("grid-80x24.txt", lines)
    view.key("j")
    chosen = view.key("enter")
    assert isinstance(chosen, ChoosePair)
    assert (chosen.source.key, chosen.destination.key, chosen.protocol, chosen.port) == (
        "shop/db", "shop/cart", "TCP", 80)
    assert isinstance(view.key("escape"), Back) and view.grid is None
    assert view.lines(80, 24)[0].startswith("Namespaces on 80/TCP")


def many_namespaces(count: int) -> Heatmap:
    objects = []
    for k in range(count):
        ns = f"ns-{k:03d}"
        objects += [namespace(ns, {"tier": "even" if k % 2 == 0 else "odd"}),
                    pod(ns, "p", {"app": "x"}, ips=[f"10.{k // 250}.{k % 250}.1"])]
        if k % 2:  # odd namespaces admit only even ones
            objects.append(netpol(ns, "from-even", {"podSelector": {}, "ingress": [
                {"from": [{"namespaceSelector": {"matchLabels": {"tier": "even"}}}]}]}))
    c = cluster(objects)
    return namespace_heatmap(c, matrix_pods(c), Protocol.TCP, None)


def test_five_hundred_namespaces_scroll() -> None:
    heatmap = many_namespaces(500)
    view = HeatmapView(heatmap)
    lines = view.lines(80, 24)
    assert_fits(lines, 80, 24)
    assert lines[1].split()[:3] == ["1", "2", "3"]  # column numbers
    assert lines[2].startswith("  1 ns-000")
    for _ in range(30):
        view.key("down")
    for _ in range(40):
        view.key("l")
    lines = view.lines(80, 24)
    assert view.cursor.row == 30 and view.cursor.column == 40
    assert any(line.startswith(" 31 ns-030") for line in lines)  # the cursor's row is in view
    assert f"{41:>4}" in lines[1]  # and its column
    view.key("G")
    lines = view.lines(80, 24)
    assert (view.cursor.row, view.cursor.column) == (499, 499)
    assert any(line.startswith("500 ns-499") for line in lines) and lines[1].rstrip().endswith("500")
    assert "ns-499 -> ns-499" in lines[-3]
    view.key("g")
    view.key("pagedown")
    assert view.cursor.row == view.cursor.visible_rows - 1
    view.key("k")
    view.key("h")  # at the left edge: stays
    assert view.cursor.column == 0
    assert_fits(view.lines(80, 24), 80, 24)


def test_cells_and_marks() -> None:
    heatmap = many_namespaces(4)
    view = HeatmapView(heatmap)
    # Odd namespaces admit only even ones; even ones admit everyone.
    assert view.cell_at(0, 1).mark is Mark.ALL  # ns-000 (even) -> ns-001 (odd)
    assert view.cell_at(1, 3).mark is Mark.NONE  # odd -> odd
    assert view.cell_at(1, 0).mark is Mark.ALL
    total = view.totals()
    assert (total.allowed, total.pairs) == (14, 16)  # ns-001 <-> ns-003 blocked; a pod to itself is allowed


@pytest.mark.parametrize(("allowed", "unknown", "pairs", "expected"), [
    (0, 0, 0, Mark.EMPTY), (4, 0, 4, Mark.ALL), (0, 0, 4, Mark.NONE), (2, 0, 4, Mark.SOME),
    (2, 1, 4, Mark.SOME),  # some allowed, some blocked: true whatever the unknown one is
    (3, 1, 4, Mark.UNKNOWN),  # all or some: cannot tell
    (0, 1, 4, Mark.UNKNOWN),  # none or some
    (0, 4, 4, Mark.UNKNOWN),
])
def test_mark_is_never_a_confident_wrong_answer(allowed: int, unknown: int, pairs: int, expected: Mark) -> None:
    assert mark(allowed, unknown, pairs) is expected


def test_shades() -> None:
    assert [shade_level(a, 9) for a in (0, 1, 3, 4, 6, 8, 9)] == [0, 1, 2, 2, 3, 3, 4]
    assert shade_level(0, 0) == 0


def test_empty_heatmap() -> None:
    c = cluster([namespace("a")])
    view = HeatmapView(namespace_heatmap(c, matrix_pods(c), Protocol.TCP, None))
    assert view.lines(80, 24)[1] == "no pods that carry traffic"
    assert view.key("enter") is None and view.current() is None


def test_another_port_keeps_the_cursor() -> None:
    first = demo_heatmap()
    view = HeatmapView(first)
    view.place("shop", "vault")
    view.key("enter")
    c = DemoSource("shop").load().cluster
    view.replace(namespace_heatmap(c, matrix_pods(c), Protocol.TCP, 80))
    assert view.grid is None and view.lines(80, 24)[0].startswith("Namespaces on 80/TCP")
    current = view.current()
    assert current is not None and (current.source, current.destination) == ("shop", "vault")
