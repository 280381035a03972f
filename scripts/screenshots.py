"""Export SVG screenshots of the explorer's main states into screenshots/, by driving the real app on the
bundled demo with real keys (the same factory the CLI uses).

    python scripts/screenshots.py            # NAME.svg at 120x40, NAME-80x24.svg at 80x24
    python scripts/screenshots.py --out DIR

States: the overview, a verdict allowed, a verdict blocked with its explanation entered, the deciding
rule highlighted in the policy's YAML, and the help.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kubenet_tui.sources.spec import SourceSpec  # noqa: E402
from kubenet_tui.ui.app import make_app  # noqa: E402

PICK = ["slash", *"frontend", "enter", "s", "slash", *"db", "enter", "d"]
ALLOWED = [*PICK, "p", *"6379", "enter"]
BLOCKED = [*ALLOWED, "p", *"5432", "enter"]

STATES: dict[str, list[str]] = {
    "overview": [],
    "allowed": ALLOWED,
    "blocked": [*BLOCKED, "v"],
    "rule-yaml": [*ALLOWED, "v", "enter"],
    "help": ["question_mark"],
}
SIZES = [(80, 24), (120, 40)]


async def shoot(name: str, keys: list[str], size: tuple[int, int], out: Path) -> Path:
    app = make_app(SourceSpec(demo="shop", namespaces=("shop",)))
    async with app.run_test(size=size) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
        await pilot.pause()
        suffix = "" if size == SIZES[-1] else f"-{size[0]}x{size[1]}"
        path = out / f"{name}{suffix}.svg"
        path.write_text(app.export_screenshot(title=f"kubenet-tui --demo -n shop ({name})"), encoding="utf-8")
        return path


async def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        for name, keys in STATES.items():
            print(await shoot(name, keys, size, out))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    asyncio.run(main(parser.parse_args().out))
