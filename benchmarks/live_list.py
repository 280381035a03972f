"""Live-source list benchmark: time and memory to load 5,000 and 50,000 pods through the emulated API server.

    python benchmarks/live_list.py            # 5,000 and 50,000 pods
    python benchmarks/live_list.py 20000      # other sizes
    python benchmarks/live_list.py --no-kubectl 5000

The emulator runs in a subprocess (tests/live/apiserver.py) so its own encoding work and memory are not
counted here. Pods are realistic in size (managedFields, env, statuses: ~3.5 KB of JSON each). Columns:
  raw list   - HTTP + json.loads of every page (limit 500), what any client must pay
  full load  - LiveSource.load(): discovery, every kind, trimming, parsing into the model, snapshot
  models     - the same pod list through the official client's model classes (CoreV1Api), for contrast
  peak MB    - tracemalloc peak during a full load (a separate run: tracing slows Python down)
  RSS MB     - resident set size of this process after the full load
  kubectl    - side by side, when kubectl is on PATH: `kubectl get pods,networkpolicies,namespaces,services
               -A -o json` against the same server (its discovery cache warmed by a first run), wall time
  process    - the same read as a command of ours: a fresh Python process that imports kubenet-tui and
               runs LiveSource.load(), wall time (what to compare with kubectl's)
  ratio      - kubectl / process: above 1, we list faster than kubectl
"""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
import tempfile
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


def side_by_side(kubeconfig: str, pods: int) -> dict[str, float]:
    """kubectl's list of the four kinds, and ours as a whole process, against the same server."""
    out: dict[str, float] = {}
    kubectl = shutil.which("kubectl")
    if kubectl is not None:
        home = tempfile.mkdtemp(prefix="kubenet-bench-home-")  # its own discovery cache, warmed below
        command = [kubectl, "--kubeconfig", kubeconfig, "get", "pods,networkpolicies,namespaces,services", "-A",
                   "-o", "json"]
        times = []
        for _ in range(2):
            start = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                           env=dict(os.environ, HOME=home))
            times.append(time.perf_counter() - start)
        out["kubectl"] = times[-1]
        shutil.rmtree(home, ignore_errors=True)
    code = ("from kubenet_tui.sources.live import LiveOptions, LiveSource\n"
            f"s = LiveSource(LiveOptions(kubeconfig={kubeconfig!r}, request_timeout=60)).load()\n"
            f"assert len(s.cluster.pods) == {pods}\n")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    out["process"] = time.perf_counter() - start
    if "kubectl" in out:
        out["ratio"] = out["kubectl"] / out["process"]
    return out


def run(pods: int, kubectl: bool = True) -> dict[str, float]:
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
        if kubectl:
            result.update(side_by_side(kubeconfig, pods))
        return result
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(30)


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--no-kubectl"]
    sizes = [int(a) for a in args] or [5000, 50000]
    columns = ["pods", "raw list", "full load", "models", "peak MB", "RSS MB", "kubectl", "process", "ratio"]
    print("  ".join(f"{c:>10}" for c in columns))
    for size in sizes:
        row = run(size, kubectl="--no-kubectl" not in sys.argv)
        cells = []
        for c in columns:
            value = row.get(c)
            if value is None:
                cells.append(f"{'-':>10}")
            elif c == "pods":
                cells.append(f"{int(value):>10,}")
            elif c.endswith("MB"):
                cells.append(f"{value:>10.0f}")
            elif c == "ratio":
                cells.append(f"{value:>9.2f}x")
            else:
                cells.append(f"{value:>9.2f}s")
        print("  ".join(cells), flush=True)


if __name__ == "__main__":
    main()
