"""Headless timings of the explorer on the demo (or a manifest file): first paint, data on screen, and
keystroke-to-verdict, each measured to the frame that shows it.

    python -m kubenet_tui.ui.bench                 # demo, -n shop, 80x24
    python -m kubenet_tui.ui.bench -f big.json -A --size 160x50

Keystroke-to-verdict is measured from the moment the Enter of the port prompt is handed to the app to
the moment the frame showing the verdict has been composed (`call_after_refresh`), without the test
harness's per-key waits, so it is what a user's key costs inside the app. The terminal itself (and SSH)
add their own latency on top.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

from textual import events

from kubenet_tui.sources.spec import SourceSpec


async def _until(check: Any, timeout: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout
    while not check():
        if time.perf_counter() > deadline:
            raise TimeoutError("the app never got there")
        await asyncio.sleep(0.0005)


async def measure(spec: SourceSpec, size: tuple[int, int], source_pod: str, destination_pod: str, ports: list[str],
                  rounds: int) -> dict[str, Any]:
    from kubenet_tui.ui.app import make_app

    app = make_app(spec, watch=False)
    result: dict[str, Any] = {}
    async with app.run_test(size=size) as pilot:
        await _until(lambda: "table" in app.timings)
        await pilot.pause()
        t = app.timings
        result["first_paint_ms"] = (t["first_paint"] - t["created"]) * 1e3
        result["data_ms"] = (t["data"] - t["created"]) * 1e3
        result["table_after_data_ms"] = (t["table"] - t["data"]) * 1e3
        app.run_command(f"src {source_pod}")
        app.run_command(f"dst {destination_pod}")
        await pilot.pause()
        samples: list[float] = []
        for n in range(rounds):
            port = ports[n % len(ports)]
            await pilot.press("p", *port)
            await pilot.pause()
            painted: list[float] = []
            before = t.get("verdict", 0.0)
            start = time.perf_counter()
            app.post_message(events.Key("enter", None))
            await _until(lambda before=before: t.get("verdict", 0.0) > before)
            app.call_after_refresh(lambda painted=painted: painted.append(time.perf_counter()))
            await _until(lambda painted=painted: bool(painted))
            samples.append((painted[0] - start) * 1e3)
        result["keystroke_to_verdict_ms_p50"] = statistics.median(samples)
        result["keystroke_to_verdict_ms_max"] = max(samples)
        result["rounds"] = rounds
        evaluation = app.evaluation
        result["last_status"] = evaluation.status.value if evaluation and evaluation.status else None
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-f", "--file", help="manifests instead of the demo")
    parser.add_argument("-n", "--namespace", default=None)
    parser.add_argument("-A", "--all-namespaces", action="store_true")
    parser.add_argument("--size", default="80x24")
    parser.add_argument("--src", default="shop/frontend")
    parser.add_argument("--dst", default="shop/db")
    parser.add_argument("--ports", default="6379,5432")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    namespace = args.namespace if args.namespace or args.file or args.all_namespaces else "shop"
    spec = SourceSpec(demo=None if args.file else "shop", files=(args.file,) if args.file else (),
                      namespaces=(namespace,) if namespace else (), all_namespaces=args.all_namespaces)
    width, height = (int(x) for x in args.size.split("x"))
    result = asyncio.run(measure(spec, (width, height), args.src, args.dst, args.ports.split(","), args.rounds))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
