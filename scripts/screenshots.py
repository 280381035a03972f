"""Export SVG screenshots of the explorer into screenshots/, by driving the real app on the bundled demos
with real keys (the same factory the CLI uses).

    python scripts/screenshots.py            # NAME.svg at 120x40, NAME-80x24.svg at 80x24
    python scripts/screenshots.py --out DIR
    python scripts/screenshots.py --only heatmap,flows

States: the overview, a verdict allowed, a verdict blocked with its explanation entered, the deciding
rule highlighted in the policy's YAML, the help, the namespace heatmap and one cell's pods, lint, a
flow log, and a Cilium cluster's verdict.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kubenet_tui.sources.spec import SourceSpec  # noqa: E402
from kubenet_tui.ui.app import make_app  # noqa: E402

SHOP = SourceSpec(demo="shop", namespaces=("shop",))
EVERYTHING = SourceSpec(demo="shop", all_namespaces=True)
CILIUM = SourceSpec(demo="cilium", namespaces=("shop",))
PICK = ["slash", *"frontend", "enter", "s", "slash", *"db", "enter", "d"]
ALLOWED = [*PICK, "p", *"6379", "enter"]
BLOCKED = [*ALLOWED, "p", *"5432", "enter"]
HUBBLE = "tests/flows/samples/hubble.jsonl"  # relative: the title shows it as typed


@dataclass(frozen=True)
class State:
    spec: SourceSpec
    keys: list[str]
    then: tuple[str, ...] = ()  # pressed once the workers the first keys started are done
    title: str = "kubenet-tui --demo -n shop"


def typed(text: str) -> list[str]:
    names = {"/": "slash", ":": "colon", " ": "space", ".": "full_stop", "-": "minus"}
    return [names.get(ch, ch) for ch in text]


STATES: dict[str, State] = {
    "overview": State(SHOP, []),
    "allowed": State(SHOP, ALLOWED),
    "blocked": State(SHOP, [*BLOCKED, "v"]),
    "rule-yaml": State(SHOP, [*ALLOWED, "v", "enter"]),
    "help": State(SHOP, ["question_mark"]),
    "heatmap": State(EVERYTHING, ["m"], ("j", "j", "j", "j", "l", "l", "l", "l"), "kubenet-tui --demo -A, then m"),
    "heatmap-grid": State(EVERYTHING, [*typed(":map 6379"), "enter"], ("j", "j", "j", "j", "l", "l", "l", "l", "enter"),
                          "kubenet-tui --demo -A, then :map 6379 and enter on shop → shop"),
    "lint": State(SHOP, [*typed(":lint"), "enter"], title="kubenet-tui --demo -n shop, then :lint"),
    "flows": State(SHOP, [*typed(f":flows {HUBBLE}"), "enter"], ("j", "j"),
                   f"kubenet-tui --demo -n shop, then :flows {HUBBLE}"),
    "whatif": State(SHOP, [*BLOCKED, "t"], title="kubenet-tui --demo -n shop, a blocked verdict, then t"),
    "cilium": State(CILIUM, ["slash", *"debug", "enter", "s", "slash", *"db", "enter", "d", "p", *"5432", "enter",
                             "v"], title="kubenet-tui --demo cilium -n shop"),
}
SIZES = [(80, 24), (120, 40)]


async def shoot(name: str, state: State, size: tuple[int, int], out: Path) -> Path:
    app = make_app(state.spec)
    async with app.run_test(size=size) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        for key in state.keys:
            await pilot.press(key)
        await app.workers.wait_for_complete()  # the panes' workers (heatmap, lint, the flow log)
        await pilot.pause()
        for key in state.then:
            await pilot.press(key)
        for _ in range(3):
            await pilot.pause()
        suffix = "" if size == SIZES[-1] else f"-{size[0]}x{size[1]}"
        path = out / f"{name}{suffix}.svg"
        path.write_text(app.export_screenshot(title=f"{state.title} ({name})"), encoding="utf-8")
        return path


async def main(out: Path, only: set[str] | None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    os.chdir(ROOT)
    for size in SIZES:
        for name, state in STATES.items():
            if only is None or name in only:
                print(await shoot(name, state, size, out))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--only", type=lambda text: set(text.split(",")), default=None)
    args = parser.parse_args()
    asyncio.run(main(args.out, args.only))
