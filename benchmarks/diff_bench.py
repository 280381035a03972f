"""The what-if benchmark: `kubenet-tui diff` end to end (load, overlay, compare, explain, print) on the
seeded clusters of `generate.py`, with a one-policy change, on one core.

    python benchmarks/diff_bench.py                  # 10k pods / 1,000 policies (target: at most 5 s)
    python benchmarks/diff_bench.py --sizes 1000,10000,50000 --repeats 3

Each run is the command line in a fresh process pinned to one CPU (`sched_setaffinity`), timed from
the outside (wall clock, median of the repeats), peak RSS from the child's rusage. The changes, each
written as a manifest file applied with `--head FILE+CHANGE`:

- port: one NetworkPolicy replaced, a port added to its first ingress rule (opens that port only);
- deny: one NetworkPolicy added, default deny for ingress in one namespace (closes every port into it);
- delete: one NetworkPolicy deleted with `--delete` (what its allow rules allowed closes).

Every change is compared on every port the policies name plus "any other port" (the default), and on
the one port it is about (`--port`).
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CHANGED_PORT = 7777
TARGET_SECONDS = 5.0


def _runner() -> Any:
    spec = importlib.util.spec_from_file_location("kubenet_bench_run", HERE / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _items(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data["items"] if isinstance(data, dict) and "items" in data else data


def changes(path: Path, out: Path) -> dict[str, tuple[list[str], str]]:
    """The change files for the cluster at `path`, each with the extra arguments and the port it is about."""
    items = _items(path)
    policies = [o for o in items if o.get("kind") == "NetworkPolicy"]
    with_ports = [p for p in policies if (p["spec"].get("ingress") or [{}])[0].get("ports")]
    chosen = copy.deepcopy(with_ports[len(with_ports) // 2])
    chosen["spec"]["ingress"][0]["ports"].append({"protocol": "TCP", "port": CHANGED_PORT})
    (out / "port.json").write_text(json.dumps(chosen), encoding="utf-8")
    # The namespace with the fewest ingress policies: a default deny there closes what they left open.
    ingress = {}
    for p in policies:
        if "Ingress" in (p["spec"].get("policyTypes") or ["Ingress"]):
            ingress[p["metadata"]["namespace"]] = ingress.get(p["metadata"]["namespace"], 0) + 1
    spaces = {o["metadata"]["name"] for o in items if o.get("kind") == "Namespace"}
    namespace = min(sorted(spaces), key=lambda ns: ingress.get(ns, 0))
    deny = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "bench-default-deny", "namespace": namespace},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}
    (out / "deny.json").write_text(json.dumps(deny), encoding="utf-8")
    allowing = [p for p in policies if p["spec"].get("ingress") and p["metadata"]["namespace"] != namespace]
    gone = allowing[len(allowing) // 3]
    (out / "delete.json").write_text(json.dumps({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                                                 "metadata": gone["metadata"]}), encoding="utf-8")
    first_port = next((p.get("port") for r in gone["spec"]["ingress"] for p in r.get("ports") or []
                       if isinstance(p.get("port"), int)), 80)
    return {
        "port": ([f"--head={path}+{out / 'port.json'}"], str(CHANGED_PORT)),
        "deny": ([f"--head={path}+{out / 'deny.json'}"], "8080"),
        "delete": ([f"--head={path}", "--delete", str(out / "delete.json")], str(first_port)),
    }


def _one_core() -> None:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def run_once(path: Path, extra: list[str]) -> tuple[float, float, dict[str, Any]]:
    """One run: wall seconds, the child's own peak RSS (MB), its JSON."""
    command = [sys.executable, "-m", "kubenet_tui", "diff", f"--base={path}", *extra, "-o", "json"]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err, preexec_fn=_one_core, cwd=HERE.parent)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode not in (0, 1):
            raise SystemExit(f"diff failed ({child.returncode}): {err.read().decode().strip()}")
        return seconds, usage.ru_maxrss / 1024, json.loads(out.read())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000", help="pods, comma-separated (policies: a tenth)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    run = _runner()
    cache = Path(tempfile.gettempdir()) / "kubenet-tui-bench"
    cache.mkdir(exist_ok=True)
    rows = ["| pods / policies | change | ports compared | flows changed | wall, one core (median) | peak RSS |",
            "| --- | --- | --- | --- | --- | --- |"]
    worst = 0.0
    for pods in (int(s) for s in args.sizes.split(",")):
        path = run.cluster_file(pods, None, args.seed, ".json", cache)
        with tempfile.TemporaryDirectory() as tmp:
            for name, (extra, port) in changes(path, Path(tmp)).items():
                for ports in ("every port", f"--port {port}"):
                    argv_extra = extra if ports == "every port" else [*extra, "--port", port]
                    times, peaks, result = [], [], {}
                    for _ in range(args.repeats):
                        seconds, peak, result = run_once(path, argv_extra)
                        times.append(seconds)
                        peaks.append(peak)
                    median = statistics.median(times)
                    worst = max(worst, median) if pods == 10000 else worst
                    asked = len(result["ports"])
                    rows.append(f"| {pods:,} / {pods // 10:,} | {name} | {ports} ({asked}) | "
                                f"{result['totals']['flows']:,} | {median:.2f} s | {max(peaks):.0f} MB |")
                    print(rows[-1], file=sys.stderr, flush=True)
    print("\n".join(rows))
    if worst:
        print(f"\nworst at 10k: {worst:.2f} s (target: at most {TARGET_SECONDS:.0f} s end to end on one core)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
