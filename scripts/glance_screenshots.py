"""Export what the heatmap and lint panes show, from their plain models on the bundled demo, as SVG
into screenshots/ (`glance-heatmap.svg`, `glance-heatmap-grid.svg`, `glance-lint.svg`, each at 120x40
and `*-80x24.svg` at 80x24). The text is exactly the models' `lines(width, height)`: the panes in the
explorer draw these lines (colour is the pane's, added on top of the symbols).

    python scripts/glance_screenshots.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.text import Text  # noqa: E402

from kubenet_tui.engine.heatmap import namespace_heatmap  # noqa: E402
from kubenet_tui.engine.lint import lint  # noqa: E402
from kubenet_tui.engine.matrix import matrix_pods  # noqa: E402
from kubenet_tui.engine.model import Protocol  # noqa: E402
from kubenet_tui.sources.demo import DemoSource  # noqa: E402
from kubenet_tui.ui.panes.heatmap_view import HeatmapView  # noqa: E402
from kubenet_tui.ui.panes.lint_view import LintView  # noqa: E402

SIZES = [(80, 24), (120, 40)]
STYLES = {"✔": "green", "✗": "red", "◐": "yellow", "?": "magenta", "⚠": "yellow", ">": "bold reverse"}


def save(lines: list[str], width: int, height: int, title: str, path: Path) -> None:
    console = Console(record=True, width=width, height=height, file=open("/dev/null", "w"), color_system="truecolor")  # noqa: SIM115
    for line in (lines + [""] * height)[:height]:
        text = Text(line)
        for k, ch in enumerate(line):
            if ch in STYLES:
                text.stylize(STYLES[ch], k, k + 1)
        console.print(text, no_wrap=True, overflow="crop")
    path.write_text(console.export_svg(title=title), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "screenshots"))
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    cluster = DemoSource().load().cluster
    for width, height in SIZES:
        suffix = "" if (width, height) == (120, 40) else f"-{width}x{height}"
        view = HeatmapView(namespace_heatmap(cluster, matrix_pods(cluster), Protocol.TCP, 80))
        view.place("shop", "kube-system")
        save(view.lines(width, height), width, height, "kubenet-tui: heatmap (:map 80)", out / f"glance-heatmap{suffix}.svg")
        view.place("shop", "shop")
        view.key("enter")
        save(view.lines(width, height), width, height, "kubenet-tui: heatmap, the pods of shop -> shop",
             out / f"glance-heatmap-grid{suffix}.svg")
        save(LintView(lint(cluster)).lines(width, height), width, height, "kubenet-tui: lint",
             out / f"glance-lint{suffix}.svg")
    print(f"wrote {len(SIZES) * 3} SVG files to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
