"""Live-source list benchmark: time and memory to load 5,000 and 50,000 pods through the emulated API server.

    python benchmarks/live_list.py            # 5,000 and 50,000 pods
    python benchmarks/live_list.py 20000      # other sizes

The emulator runs in a subprocess (tests/live/apiserver.py) so its own encoding work and memory are not
counted here. Pods are realistic in size (managedFields, env, statuses: ~3.5 KB of JSON each). Columns:
  raw list   - HTTP + json.loads of every page (limit 500), what any client must pay
  full load  - LiveSource.load(): discovery, every kind, trimming, parsing into the model, snapshot
  models     - the same pod list through the official client's model classes (CoreV1Api), for contrast
  peak MB    - tracemalloc peak during a full load (a separate run: tracing slows Python down)
  RSS MB     - resident set size of this process after the full load
"""

from __future__ import annotations

import gc
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "live"))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(pods: int) -> dict[str, float]:
    from kubenet_tui.sources.kubeapi import KubeApi
    from kubenet_tui.sources.kubeconfig import load_connection
    from kubenet_tui.sources.live import LiveOptions, LiveSource

    server = subprocess.Popen([sys.executable, str(ROOT / "tests" / "live" / "apiserver.py"), "--pods", str(pods)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        kubeconfig = server.stdout.readline().strip()
        options = LiveOptions(kubeconfig=kubeconfig, request_timeout=60)
        result: dict[str, float] = {"pods": pods}

        api = KubeApi(load_connection(kubeconfig), 60)
        start = time.perf_counter()
        count = 0

        def take(items: list[dict[str, object]]) -> None:
            nonlocal count
            count += len(items)

        api.list("/api/v1/pods", take)
        result["raw list"] = time.perf_counter() - start
        assert count == pods, count
        api.close()

        gc.collect()
        start = time.perf_counter()
        snapshot = LiveSource(options).load()
        result["full load"] = time.perf_counter() - start
        assert len(snapshot.cluster.pods) == pods
        result["RSS MB"] = rss_mb()
        del snapshot
        gc.collect()

        if pods <= 5000:
            from kubernetes import client

            core = client.CoreV1Api(client.ApiClient(load_connection(kubeconfig).configuration))
            start = time.perf_counter()
            token, total = None, 0
            while True:
                page = core.list_pod_for_all_namespaces(limit=500, _continue=token, _request_timeout=60)
                total += len(page.items)
                token = page.metadata._continue
                if not token:
                    break
            result["models"] = time.perf_counter() - start
            assert total == pods

        tracemalloc.start()
        snapshot = LiveSource(options).load()
        result["peak MB"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        del snapshot
        return result
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(30)


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [5000, 50000]
    columns = ["pods", "raw list", "full load", "models", "peak MB", "RSS MB"]
    print("  ".join(f"{c:>10}" for c in columns))
    for size in sizes:
        row = run(size)
        cells = []
        for c in columns:
            value = row.get(c)
            if value is None:
                cells.append(f"{'-':>10}")
            elif c == "pods":
                cells.append(f"{int(value):>10,}")
            elif c.endswith("MB"):
                cells.append(f"{value:>10.0f}")
            else:
                cells.append(f"{value:>9.2f}s")
        print("  ".join(cells), flush=True)


if __name__ == "__main__":
    main()
