"""The scale benchmark: one command, one table.

    python benchmarks/run.py                      # 1k, 10k and 50k pods (a few minutes)
    python benchmarks/run.py --quick              # 1k and 10k, fewer samples
    python benchmarks/run.py --sizes 1000,10000,50000 --no-tui
    python benchmarks/run.py --only glance         # heatmap, lint, coverage, exposure alone

Clusters come from `benchmarks/generate.py` (seeded; policies = a tenth of the pods) and are
cached as JSON and YAML under the system temp directory. Every size is measured in fresh
subprocesses, so peak RSS (`resource.getrusage`) belongs to that size alone:

- load: `FileSource([file]).load()`, JSON and YAML (median of the repeats);
- index: `ClusterIndex(cluster)`;
- verdict: `evaluate()` (the full explained verdict) for random pairs of running pods on common
  ports, p50 and p99;
- matrix: `connectivity_matrix` for every pod that carries traffic, TCP 8080, plus counting the
  allowed pairs (and, separately, streaming every row as Python lists, as `matrix -o json` does);
  above `--full-matrix-max` pods one matrix per namespace instead, and the table says so;
- `matrix -A -o summary`: the full class matrix of every pod (no per-namespace split), the totals
  per namespace pair and their text, in a process of its own;
- glance: after loading, the program compile, the namespace heatmap (any TCP port, and TCP 8080),
  lint, coverage and exposure, in a process of their own;
- the comparison point: 2,000 pods / 400 policies, full matrix (network-config-analyzer: 114 s),
  and the old per-pair approach extrapolated from a sample;
- TUI (headless `run_test`, if `kubenet_tui.ui.app.make_app` exists): first paint, data loaded,
  pod table populated after the data arrived, and `/`-filter keystroke latency.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

MATRIX_PORT = 8080
SAMPLE_PODS = 10000  # above --full-matrix-max: also one matrix of this many pods drawn from all namespaces
VERDICT_PORTS = ((80, "TCP"), (443, "TCP"), (8080, "TCP"), (5432, "TCP"), (6379, "TCP"), (9100, "TCP"), (53, "UDP"))
COMPARISON = (2000, 400)  # pods, policies: network-config-analyzer takes 114 s on a 2-core machine
NCA_SECONDS = 114.0
NCA_CLUSTER = (500, 100)  # pods, policies: nca counts 502 endpoints in it (--compare-nca, measured live)
BIG = 50000  # above this many pods: load, verdicts, per-namespace matrices and the TUI only


def cluster_file(pods: int, policies: int | None, seed: int, suffix: str, cache: Path) -> Path:
    """The generated cluster as a file, generated once per (generator version, size, seed), in a
    subprocess: a child's peak RSS starts from its parent's at fork time (Linux keeps the
    high-water mark across exec), so this process must stay small."""
    version = hashlib.sha1((HERE / "generate.py").read_bytes()).hexdigest()[:10]
    path = cache / f"cluster-{pods}-{policies or 'x'}-s{seed}-{version}{suffix}"
    if not path.exists():
        tmp = path.with_name(path.stem + ".tmp" + suffix)
        command = [sys.executable, str(HERE / "generate.py"), "--pods", str(pods), "--seed", str(seed), "-o", str(tmp)]
        if policies is not None:
            command += ["--policies", str(policies)]
        subprocess.run(command, check=True)
        tmp.replace(path)
    return path


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _timed(fn: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- child measurements (each in its own process) --------------------------------------------------


def measure_load(path: str, repeats: int) -> dict[str, Any]:
    from kubenet_tui.sources.files import FileSource

    times = []
    snapshot = None
    for _ in range(repeats):
        snapshot = None  # the previous cluster must not inflate this load's peak
        snapshot, seconds = _timed(FileSource([path]).load)
        times.append(seconds)
    assert snapshot is not None
    errors = [p for p in snapshot.problems if p.severity == "error"]
    return {"load_s": statistics.median(times), "load_runs": times, "pods": len(snapshot.cluster.pods),
            "policies": len(snapshot.cluster.network_policies), "errors": len(errors), "peak_mb": _peak_mb()}


def measure_engine(path: str, samples: int, full_matrix_max: int, repeats: int) -> dict[str, Any]:
    from kubenet_tui.engine.cluster import ClusterIndex
    from kubenet_tui.engine.evaluate import End, evaluate
    from kubenet_tui.engine.matrix import connectivity_matrix, matrix_pods
    from kubenet_tui.engine.model import Protocol
    from kubenet_tui.sources.files import FileSource

    out: dict[str, Any] = {}
    load_times = []
    snapshot = None
    load_cpu = []
    for _ in range(repeats):
        snapshot = None
        cpu = time.process_time()
        snapshot, seconds = _timed(FileSource([path]).load)
        load_cpu.append(time.process_time() - cpu)
        load_times.append(seconds)
    assert snapshot is not None
    out["load_s"] = statistics.median(load_times)
    # CPU time beside wall time: on a machine shared with other work the wall time also counts waiting.
    out["load_cpu"] = statistics.median(load_cpu)
    out["load_runs"] = load_times
    cluster = snapshot.cluster
    out["pods"] = len(cluster.pods)
    out["policies"] = len(cluster.network_policies)
    out["admin_policies"] = len(cluster.admin_policies)
    out["namespaces"] = len(cluster.namespaces)
    index_times = [_timed(lambda: ClusterIndex(cluster))[1] for _ in range(max(repeats, 1))]
    out["index_s"] = statistics.median(index_times)
    cluster.index  # noqa: B018 - build the cached index the verdicts use

    rng = random.Random(7)
    running = [p for p in cluster.pods if p.carries_traffic]
    for _ in range(50):  # warm-up
        evaluate(cluster, End(pod=rng.choice(running)), End(pod=rng.choice(running)), Protocol.TCP, 80)
    latencies = []
    for _ in range(samples):
        src, dst = rng.choice(running), rng.choice(running)
        port, proto = rng.choice(VERDICT_PORTS)
        start = time.perf_counter()
        evaluate(cluster, End(pod=src), End(pod=dst), Protocol(proto), port)
        latencies.append(time.perf_counter() - start)
    out["verdict_p50_ms"] = _percentile(latencies, 0.50) * 1e3
    out["verdict_p99_ms"] = _percentile(latencies, 0.99) * 1e3
    out["verdict_samples"] = samples
    out["peak_mb_verdicts"] = _peak_mb()

    pods = matrix_pods(cluster)
    if len(pods) <= full_matrix_max:
        result, seconds = _timed(lambda: connectivity_matrix(cluster, pods, Protocol.TCP, MATRIX_PORT))
        allowed, count_s = _timed(result.count_allowed)
        _, rows_s = _timed(lambda: sum(1 for _ in result.rows()))
        out["matrix"] = {"mode": "full", "pods": len(pods), "classes": int(result.class_allowed.shape[0]),
                         "seconds": seconds + count_s, "rows_s": rows_s, "allowed": allowed,
                         "pairs": len(pods) ** 2}
    else:
        total = 0.0
        largest = 0
        classes = 0
        pairs = 0
        namespaces = sorted({p.namespace for p in pods})
        for ns in namespaces:
            ns_pods = matrix_pods(cluster, {ns})
            result, seconds = _timed(lambda ns_pods=ns_pods: connectivity_matrix(cluster, ns_pods, Protocol.TCP, MATRIX_PORT))
            _, count_s = _timed(result.count_allowed)
            total += seconds + count_s
            largest = max(largest, len(ns_pods))
            classes += int(result.class_allowed.shape[0])
            pairs += len(ns_pods) ** 2
        sample = tuple(sorted(random.Random(3).sample(pods, min(len(pods), SAMPLE_PODS)), key=lambda p: p.key))
        result, seconds = _timed(lambda: connectivity_matrix(cluster, sample, Protocol.TCP, MATRIX_PORT))
        _, count_s = _timed(result.count_allowed)
        out["matrix"] = {"mode": "per-namespace", "pods": len(pods), "namespaces": len(namespaces),
                         "seconds": total, "largest": largest, "classes": classes, "pairs": pairs,
                         "sample_pods": len(sample), "sample_s": seconds + count_s,
                         "sample_classes": int(result.class_allowed.shape[0])}
    out["peak_mb"] = _peak_mb()
    return out


def measure_summary(path: str) -> dict[str, Any]:
    """`matrix -A -o summary`: every pod, the full class matrix, totals per namespace pair, and the
    text lines, in one process of its own (its peak RSS is the command's)."""
    from kubenet_tui.engine.matrix import connectivity_matrix, matrix_pods
    from kubenet_tui.engine.model import Protocol
    from kubenet_tui.render.matrix_text import matrix_text
    from kubenet_tui.sources.files import FileSource

    snapshot, load_s = _timed(FileSource([path]).load)
    cluster = snapshot.cluster
    pods = matrix_pods(cluster)
    result, matrix_s = _timed(lambda: connectivity_matrix(cluster, pods, Protocol.TCP, MATRIX_PORT))
    summary, summary_s = _timed(result.namespace_summary)
    lines, text_s = _timed(lambda: sum(1 for _ in matrix_text(result, "summary", summary)))
    return {"pods": len(pods), "classes": int(result.class_allowed.shape[0]), "pairs": len(summary),
            "load_s": load_s, "matrix_s": matrix_s, "summary_s": summary_s, "text_s": text_s, "lines": lines,
            "peak_mb": _peak_mb()}


def measure_profiles(path: str) -> dict[str, Any]:
    """The full matrix of every pod (TCP 8080) read as upstream and as Cilium reads the same objects
    (NetworkPolicy through identities, the deny-wins tier), in one process."""
    from dataclasses import replace

    from kubenet_tui.engine.matrix import connectivity_matrix, matrix_pods
    from kubenet_tui.engine.model import Protocol
    from kubenet_tui.engine.profiles import Profile
    from kubenet_tui.sources.files import FileSource

    cluster = FileSource([path]).load().cluster
    pods = matrix_pods(cluster)
    out: dict[str, Any] = {"pods": len(pods)}
    for profile in (Profile.UPSTREAM, Profile.CILIUM):
        read = replace(cluster, profile_override=profile)
        result, seconds = _timed(lambda read=read: connectivity_matrix(read, pods, Protocol.TCP, MATRIX_PORT))
        out[profile.value] = {"seconds": seconds, "classes": int(result.class_allowed.shape[0]),
                              "allowed": result.count_allowed()}
    return out


def measure_glance(path: str) -> dict[str, Any]:
    """The cluster at a glance, in a process of its own, after the data is loaded: compiling the
    program (shared by every verdict), the namespace heatmap on any TCP port and on TCP 8080 (pod
    classes), lint, coverage and exposure."""
    import gc

    from kubenet_tui.engine.coverage import coverage
    from kubenet_tui.engine.exposure import exposure
    from kubenet_tui.engine.heatmap import namespace_heatmap
    from kubenet_tui.engine.lint import lint
    from kubenet_tui.engine.matrix import matrix_pods
    from kubenet_tui.engine.model import Protocol
    from kubenet_tui.sources.files import FileSource

    snapshot, load_s = _timed(FileSource([path]).load)
    cluster = snapshot.cluster
    gc.collect()
    out: dict[str, Any] = {"load_s": load_s}

    def timed(name: str, fn: Any) -> Any:
        # Wall time and this process's CPU time: the wall time also counts other processes on a shared
        # machine, the CPU time only this one's work.
        cpu = time.process_time()
        result, out[f"{name}_s"] = _timed(fn)
        out[f"{name}_cpu"] = time.process_time() - cpu
        return result

    timed("index", lambda: cluster.index)
    timed("program", lambda: cluster.program)
    pods = matrix_pods(cluster)
    heatmap = timed("heatmap_any", lambda: namespace_heatmap(cluster, pods, Protocol.TCP, None))
    # Another port, as the pane asks when the port changes: the pod classes are kept.
    timed("heatmap_port", lambda: namespace_heatmap(cluster, pods, Protocol.TCP, MATRIX_PORT, reuse=heatmap))
    out["namespaces"] = len(heatmap.namespaces)
    out["findings"] = len(timed("lint", lambda: lint(cluster)))
    timed("coverage", lambda: coverage(cluster))
    out["exposure_ports"] = len(timed("exposure", lambda: exposure(cluster)).ports)
    out.update(pods=len(pods), peak_mb=_peak_mb())
    return out


def measure_comparison(path: str, sample_pairs: int) -> dict[str, Any]:
    from kubenet_tui.engine.evaluate import End, evaluate
    from kubenet_tui.engine.matrix import connectivity_matrix, matrix_pods
    from kubenet_tui.engine.model import Protocol
    from kubenet_tui.sources.files import FileSource

    cluster = FileSource([path]).load().cluster
    cluster.index  # noqa: B018
    pods = matrix_pods(cluster)
    runs = []
    for _ in range(3):
        result, seconds = _timed(lambda: connectivity_matrix(cluster, pods, Protocol.TCP, MATRIX_PORT))
        runs.append(seconds + _timed(result.count_allowed)[1])
    rng = random.Random(5)
    pairs = [(rng.choice(pods), rng.choice(pods)) for _ in range(sample_pairs)]
    start = time.perf_counter()
    for src, dst in pairs:
        evaluate(cluster, End(pod=src), End(pod=dst), Protocol.TCP, MATRIX_PORT)
    per_pair = (time.perf_counter() - start) / sample_pairs
    return {"pods": len(pods), "policies": len(cluster.network_policies), "seconds": statistics.median(runs),
            "classes": int(result.class_allowed.shape[0]), "per_pair_estimate_s": per_pair * len(pods) ** 2,
            "peak_mb": _peak_mb()}


def measure_forms(path: str) -> dict[str, Any]:
    """`matrix -o compact|csv|pairs` and `-o json` for every pod that carries traffic (TCP 8080): the
    three-valued rows' evaluation, then the time to write each form to /dev/null once evaluated."""
    from kubenet_tui.engine.heatmap import PairStatus
    from kubenet_tui.engine.matrix import connectivity_matrix, matrix_pods
    from kubenet_tui.engine.model import Protocol
    from kubenet_tui.engine.pair_status import status_rows
    from kubenet_tui.render import matrix_forms
    from kubenet_tui.sources.files import FileSource

    cluster = FileSource([path]).load().cluster
    pods = matrix_pods(cluster)
    rows, eval_s = _timed(lambda: status_rows(cluster, pods, Protocol.TCP, MATRIX_PORT))
    out: dict[str, Any] = {"pods": len(pods), "eval_s": eval_s}
    forms = {"compact": lambda: matrix_forms.compact_json(rows), "csv": lambda: matrix_forms.csv_lines(rows),
             "pairs": lambda: matrix_forms.pair_lines(rows, PairStatus.ALLOWED)}
    with open(os.devnull, "w", encoding="utf-8") as sink:
        for name, chunks in forms.items():
            start = time.perf_counter()
            written = 0
            for chunk in chunks():
                sink.write(chunk)
                written += len(chunk)
            out[f"{name}_s"] = time.perf_counter() - start
            out[f"{name}_mb"] = written / 1e6
        result, out["json_eval_s"] = _timed(lambda: connectivity_matrix(cluster, pods, Protocol.TCP, MATRIX_PORT))
        start = time.perf_counter()
        written = 0
        for row in result.rows():  # as `matrix -o json` writes it
            line = json.dumps(row)
            sink.write(line)
            written += len(line)
        out["json_s"] = time.perf_counter() - start
        out["json_mb"] = written / 1e6
    out["peak_mb"] = _peak_mb()
    return out


def compare_nca(path: Path, nca: str, repeats: int) -> dict[str, Any]:
    """network-config-analyzer's connectivity map and our matrix, each a whole command from a fresh
    process reading the same file, wall time (median of `repeats`; nca once, it takes minutes)."""
    def wall(command: list[str]) -> float:
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        return time.perf_counter() - start

    ours = [sys.executable, "-m", "kubenet_tui", "matrix", "-A", "-f", str(path)]
    out: dict[str, Any] = {
        "nca_s": wall([nca, "--connectivity", str(path), "--pod_list", str(path), "--ns_list", str(path),
                       "--output_format", "txt"]),
        "port_s": statistics.median(wall([*ours, "--port", str(MATRIX_PORT), "-o", "json"]) for _ in range(repeats)),
        "any_s": statistics.median(wall([*ours, "-o", "json"]) for _ in range(repeats)),
        "compact_s": statistics.median(wall([*ours, "--port", str(MATRIX_PORT), "-o", "compact"])
                                       for _ in range(repeats)),
    }
    with open(path, encoding="utf-8") as handle:
        out["pods"] = sum(1 for item in json.load(handle)["items"] if item.get("kind") == "Pod")
    return out


def measure_tui(path: str, keystrokes: str) -> dict[str, Any]:
    try:
        from kubenet_tui.ui.app import make_app
    except ImportError as exc:
        return {"skipped": f"ui not present ({exc})"}
    from kubenet_tui.sources.spec import SourceSpec

    async def scenario() -> dict[str, Any]:
        created = time.perf_counter()
        app = make_app(SourceSpec(files=(path,), all_namespaces=True), watch=False)
        timings: dict[str, float] = getattr(app, "timings", {})
        created = timings.get("created", created)
        out: dict[str, Any] = {}
        async with app.run_test(size=(160, 50)) as pilot:
            entered = time.perf_counter()
            pods_table = app.query_one("#pods")

            def populated() -> bool:
                return len(getattr(pods_table, "rows", ())) > 0

            deadline = time.perf_counter() + 120
            while not populated() and time.perf_counter() < deadline:
                await pilot.pause(0.005)
            seen = time.perf_counter()
            if not populated():
                return {"skipped": "the pod table never filled (120 s)"}
            await pilot.pause()
            out["first_paint_s"] = timings.get("first_paint", entered) - created
            out["data_s"] = timings["data"] - created if "data" in timings else None
            table_at = timings.get("table", seen)
            out["table_after_data_s"] = table_at - timings["data"] if "data" in timings else None
            out["table_s"] = table_at - created
            out["rows"] = len(pods_table.rows)  # type: ignore[attr-defined]
            await pilot.press("slash")
            await pilot.pause()
            # The harness's own floor: a key that changes nothing (cursor right at the end of the
            # empty filter) still costs pilot.press + pause; the table shows both.
            floor = []
            for _ in range(5):
                start = time.perf_counter()
                await pilot.press("right")
                await pilot.pause()
                floor.append(time.perf_counter() - start)
            out["noop_key_ms"] = statistics.median(floor) * 1e3
            latencies = []
            for key in keystrokes:
                start = time.perf_counter()
                await pilot.press(key)
                await pilot.pause()
                latencies.append(time.perf_counter() - start)
            out["filtered_rows"] = len(pods_table.rows)  # type: ignore[attr-defined]
            out["filter_each_ms"] = [round(x * 1e3, 1) for x in latencies]
            out["filter_p50_ms"] = statistics.median(latencies) * 1e3
            out["filter_max_ms"] = max(latencies) * 1e3
            out["keystrokes"] = len(latencies)
            await pilot.press("escape")
        out["peak_mb"] = _peak_mb()
        return out

    try:
        return asyncio.run(scenario())
    except Exception as exc:  # the UI is being written concurrently: report, never fake
        return {"skipped": f"ui failed: {type(exc).__name__}: {exc}"}


def child_main(args: argparse.Namespace) -> int:
    if args.child == "load":
        result = measure_load(args.file, args.repeats)
    elif args.child == "engine":
        result = measure_engine(args.file, args.samples, args.full_matrix_max, args.repeats)
    elif args.child == "comparison":
        result = measure_comparison(args.file, args.samples)
    elif args.child == "summary":
        result = measure_summary(args.file)
    elif args.child == "profiles":
        result = measure_profiles(args.file)
    elif args.child == "glance":
        result = measure_glance(args.file)
    elif args.child == "forms":
        result = measure_forms(args.file)
    else:
        result = measure_tui(args.file, args.keys)
    print(json.dumps(result))
    return 0


# -- parent: run the children, print the table -----------------------------------------------------


def run_child(kind: str, path: Path, *extra: str, timeout: float = 1800) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--file", str(path), *extra]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"skipped": f"timed out after {timeout:.0f} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"skipped": f"failed: {tail}"}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _label(pods: int) -> str:
    return f"{pods // 1000}k pods" if pods % 1000 == 0 else f"{pods} pods"


def _s(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f} s"


def table(sizes: list[int], results: dict[int, dict[str, dict[str, Any]]], comparison: dict[str, Any] | None,
          nca: dict[str, Any] | None = None) -> list[str]:
    rows: list[tuple[str, list[str], str]] = []

    def cell(size: int, kind: str, render: Any) -> str:
        data = results[size].get(kind)
        if data is None:
            return "not run"
        if "skipped" in data:
            return "n/a"
        try:
            return str(render(data))
        except (KeyError, TypeError):
            return "-"

    def add(name: str, kind: str, render: Any, target: str = "") -> None:
        rows.append((name, [cell(s, kind, render) for s in sizes], target))

    add("pods / policies / namespaces", "engine", lambda d: f"{d['pods']:,} / {d['policies']:,} / {d['namespaces']}")
    add("load JSON (FileSource)", "engine", lambda d: f"{d['load_s']:.2f} s (cpu {d['load_cpu']:.2f} s)",
        "≤ 3 s at 50k, ≤ 6 s at 150k")
    add("load YAML (FileSource, libyaml)", "yaml", lambda d: _s(d["load_s"]))
    add("index build (ClusterIndex)", "engine", lambda d: _s(d["index_s"], 3))
    add("verdict p50 (explained)", "engine", lambda d: f"{d['verdict_p50_ms']:.2f} ms", "≤ 1 ms at 50k")
    add("verdict p99 (explained)", "engine", lambda d: f"{d['verdict_p99_ms']:.2f} ms", "≤ 10 ms at 50k")

    def matrix_cell(d: dict[str, Any]) -> str:
        m = d["matrix"]
        if m["mode"] == "full":
            return f"{m['seconds']:.2f} s (full, {m['pods']:,}², {m['classes']:,} classes)"
        return (f"{m['seconds']:.2f} s (per namespace: {m['namespaces']} matrices, largest {m['largest']} pods); "
                f"{m['sample_s']:.2f} s for {m['sample_pods']:,} sampled pods²")

    add("matrix, one port (TCP 8080)", "engine", matrix_cell, "≤ 5 s at 10k")
    add("  + stream every row as lists", "engine",
        lambda d: _s(d["matrix"]["rows_s"]) if d["matrix"]["mode"] == "full" else "not run (per namespace)")
    add("`matrix -A -o summary` (full grid, TCP 8080)", "summary",
        lambda d: f"{d['load_s'] + d['matrix_s'] + d['summary_s'] + d['text_s']:.2f} s (matrix {d['matrix_s']:.2f} s, "
                  f"{d['classes']:,} classes; totals {d['summary_s']:.2f} s for {d['pairs']:,} namespace pairs)")
    add("full matrix, upstream vs --cni cilium (TCP 8080)", "profiles",
        lambda d: f"{d['upstream']['seconds']:.2f} s vs {d['cilium']['seconds']:.2f} s "
                  f"({d['cilium']['classes']:,} classes)", "same speed class")
    def wall_cpu(d: dict[str, Any], name: str) -> str:
        return f"{d[name + '_s']:.2f} s (cpu {d[name + '_cpu']:.2f} s)"

    add("program compile (every policy into rules, once per load)", "glance", lambda d: wall_cpu(d, "program"))
    add("heatmap, namespaces × namespaces, any TCP port", "glance",
        lambda d: f"{wall_cpu(d, 'heatmap_any')}, {d['namespaces']} namespaces", "≤ 2 s at 50k")
    add("  then TCP 8080 (pod classes kept)", "glance", lambda d: wall_cpu(d, "heatmap_port"), "≤ 2 s at 50k")
    add("lint (every rule)", "glance", lambda d: f"{wall_cpu(d, 'lint')}, {d['findings']:,} findings", "≤ 5 s at 50k")
    add("coverage", "glance", lambda d: wall_cpu(d, "coverage"))
    add("exposure (every pod, every declared port)", "glance",
        lambda d: f"{wall_cpu(d, 'exposure')}, {d['exposure_ports']:,} pod ports")
    add("peak RSS (glance process: load + all of the above)", "glance", lambda d: f"{d['peak_mb']:.0f} MB")
    add("peak RSS: load JSON alone", "load", lambda d: f"{d['peak_mb']:.0f} MB")
    add("peak RSS: load JSON + index + verdicts", "engine", lambda d: f"{d['peak_mb_verdicts']:.0f} MB",
        "≤ 300 MB at 50k, ≤ 800 MB at 150k")
    add("peak RSS: ... + the matrices above", "engine", lambda d: f"{d['peak_mb']:.0f} MB")
    add("peak RSS (`matrix -A -o summary`)", "summary", lambda d: f"{d['peak_mb']:.0f} MB")
    add("peak RSS (load YAML)", "yaml", lambda d: f"{d['peak_mb']:.0f} MB")
    add("matrix rows, three-valued (TCP 8080; pairs, csv, compact)", "forms",
        lambda d: f"{d['eval_s']:.2f} s ({d['pods']:,} pods)")
    add("  then write `-o compact`", "forms", lambda d: f"{d['compact_s']:.2f} s ({d['compact_mb']:,.0f} MB)",
        "≤ 2 s at 10k")
    add("  then write `-o csv`", "forms", lambda d: f"{d['csv_s']:.2f} s ({d['csv_mb']:,.0f} MB)", "≤ 2 s at 10k")
    add("  then write `-o pairs` (allowed)", "forms", lambda d: f"{d['pairs_s']:.2f} s ({d['pairs_mb']:,.0f} MB)",
        "≤ 2 s at 10k")
    add("  `-o json` (true/false lists): matrix, then write", "forms",
        lambda d: f"{d['json_eval_s']:.2f} s, then {d['json_s']:.2f} s ({d['json_mb']:,.0f} MB)")
    add("TUI first paint", "tui", lambda d: _s(d["first_paint_s"]), "≤ 0.5 s")
    add("TUI data loaded (load + model, in a worker)", "tui", lambda d: _s(d["data_s"]))
    add("TUI pod table populated after data", "tui", lambda d: _s(d["table_after_data_s"], 3), "≤ 2 s")
    add("TUI `/` filter keystroke, press→idle p50 / max", "tui",
        lambda d: f"{d['filter_p50_ms']:.0f} / {d['filter_max_ms']:.0f} ms ({d['rows']:,}→{d['filtered_rows']:,} rows)",
        "≤ 100 ms")
    add("  harness floor (a no-op key) / net p50", "tui",
        lambda d: f"{d['noop_key_ms']:.0f} ms / {max(0.0, d['filter_p50_ms'] - d['noop_key_ms']):.0f} ms")
    add("peak RSS (TUI process)", "tui", lambda d: f"{d['peak_mb']:.0f} MB")

    rows = [r for r in rows if any(c != "not run" for c in r[1])]  # parts left out (--only)
    header = ["metric", *(_label(s) for s in sizes), "target"]
    body = [[name, *cells, target] for name, cells, target in rows]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    if comparison is not None:
        lines.append("")
        if "skipped" in comparison:
            lines.append(f"2,000 pods / 400 policies: {comparison['skipped']}")
        else:
            speedup = NCA_SECONDS / comparison["seconds"]
            lines.append(
                f"2,000 pods / 400 policies (comparison point): full matrix of {comparison['pods']:,} running pods "
                f"({comparison['classes']:,} classes) in {comparison['seconds']:.3f} s = {speedup:,.0f}x faster than "
                f"network-config-analyzer's 114 s (target ≥ 100x); the old per-pair `evaluate` loop would take "
                f"≈ {comparison['per_pair_estimate_s']:,.0f} s (extrapolated from a sample)."
            )
    if nca is not None:
        lines.append("")
        if "skipped" in nca:
            lines.append(f"network-config-analyzer side by side: {nca['skipped']}")
        else:
            lines.append(
                f"Side by side with network-config-analyzer on {nca['pods']:,} pods / 100 policies, each a whole "
                f"command reading the same JSON file (wall time): `nca --connectivity` {nca['nca_s']:.1f} s; "
                f"`kubenet-tui matrix -A --port {MATRIX_PORT} -o json` {nca['port_s']:.2f} s = "
                f"{nca['nca_s'] / nca['port_s']:.0f}x faster (target ≥ 20x); every port (`-o json`, no --port) "
                f"{nca['any_s']:.2f} s = {nca['nca_s'] / nca['any_s']:.0f}x; `-o compact` {nca['compact_s']:.2f} s = "
                f"{nca['nca_s'] / nca['compact_s']:.0f}x. nca works out every pair's full connection set in one "
                f"run; the matrix answers one port (or every port) per run.")
    skipped = {
        f"{kind} at {_label(size)}: {data['skipped']}"
        for size in sizes for kind, data in results[size].items() if "skipped" in data
    }
    if any(results[s].get("tui", {}).get("skipped", "").startswith("ui not present") for s in sizes):
        lines.append("TUI: not measured (ui not present)")
    for note in sorted(skipped):
        lines.append(f"note: {note}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="kubenet-tui scale benchmark")
    parser.add_argument("--sizes", default=None,
                        help="comma-separated pod counts, each optionally :POLICIES (default 1000,10000,50000; "
                             "policies default to a tenth of the pods), e.g. 150000:10000 for the Kubernetes limit")
    parser.add_argument("--quick", action="store_true", help="1k and 10k only, fewer samples")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-tui", action="store_true")
    parser.add_argument("--no-yaml", action="store_true")
    parser.add_argument("--samples", type=int, default=None, help="verdicts per size (default 2000, quick 500)")
    parser.add_argument("--full-matrix-max", type=int, default=20000,
                        help="above this many pods, one matrix per namespace (default 20000)")
    parser.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "kubenet-tui-bench"))
    parser.add_argument("--child", choices=("load", "engine", "comparison", "summary", "profiles", "glance", "forms",
                                            "tui"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--compare-nca", action="store_true",
                        help="also run network-config-analyzer (nca on PATH, or $KUBENET_NCA) and `kubenet-tui "
                             "matrix` side by side on the 500-pod / 100-policy cluster, end to end")
    parser.add_argument("--compare-kubectl", nargs="?", const="5000,50000", default=None, metavar="SIZES",
                        help="also list pods, policies, namespaces and services through the API emulator as a process "
                             "of ours and with `kubectl get ... -A -o json`, side by side (benchmarks/live_list.py; "
                             "default sizes 5000,50000)")
    parser.add_argument("--only", choices=("glance",), default=None,
                        help="measure only this part (glance: heatmap, lint, coverage, exposure)")
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=3, help=argparse.SUPPRESS)
    parser.add_argument("--keys", default="paymen", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.samples is None:
        args.samples = 500 if args.quick else 2000
    if args.child:
        return child_main(args)

    specs = [s.split(":") for s in args.sizes.split(",")] if args.sizes else (
        [["1000"], ["10000"]] if args.quick else [["1000"], ["10000"], ["50000"]])
    policies_of = {int(s[0]): int(s[1]) if len(s) > 1 else None for s in specs}
    sizes = list(policies_of)
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    print(f"# kubenet-tui benchmark: {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"numpy {metadata.version('numpy')}, textual {metadata.version('textual')}, seed {args.seed}; "
          f"this process {_peak_mb():.0f} MB", flush=True)
    results: dict[int, dict[str, dict[str, Any]]] = {}
    for size in sizes:
        results[size] = {}
        repeats = "1" if args.quick or size >= 50000 else "3"
        json_file = cluster_file(size, policies_of[size], args.seed, ".json", cache)
        if args.only == "glance":
            print(f"  {_label(size)}: heatmap, lint, coverage, exposure ...", file=sys.stderr, flush=True)
            results[size]["glance"] = run_child("glance", json_file)
            continue
        print(f"  {_label(size)}: load ...", file=sys.stderr, flush=True)
        results[size]["load"] = run_child("load", json_file, "--repeats", "1")
        print(f"  {_label(size)}: engine ...", file=sys.stderr, flush=True)
        results[size]["engine"] = run_child("engine", json_file, "--samples", str(args.samples), "--repeats", repeats,
                                            "--full-matrix-max", str(args.full_matrix_max))
        big = size > BIG
        if not big:  # past 50k: the full class grid alone would be gigabytes; load, verdicts and the TUI
            print(f"  {_label(size)}: matrix -A -o summary ...", file=sys.stderr, flush=True)
            results[size]["summary"] = run_child("summary", json_file)
        if size <= args.full_matrix_max:
            print(f"  {_label(size)}: upstream vs cilium profile ...", file=sys.stderr, flush=True)
            results[size]["profiles"] = run_child("profiles", json_file)
            print(f"  {_label(size)}: matrix output forms ...", file=sys.stderr, flush=True)
            results[size]["forms"] = run_child("forms", json_file)
        if not big:
            print(f"  {_label(size)}: heatmap, lint, coverage, exposure ...", file=sys.stderr, flush=True)
            results[size]["glance"] = run_child("glance", json_file)
        if not args.no_yaml and not big:
            print(f"  {_label(size)}: yaml ...", file=sys.stderr, flush=True)
            yaml_file = cluster_file(size, policies_of[size], args.seed, ".yaml", cache)
            results[size]["yaml"] = run_child("load", yaml_file, "--repeats", "1")
        if not args.no_tui:
            print(f"  {_label(size)}: tui ...", file=sys.stderr, flush=True)
            results[size]["tui"] = run_child("tui", json_file)
    comparison = None
    if args.only is None:
        print("  2,000 / 400 comparison ...", file=sys.stderr, flush=True)
        comparison = run_child("comparison", cluster_file(*COMPARISON, args.seed, ".json", cache),
                               "--samples", "2000" if args.quick else "20000")
    nca_result = None
    if args.compare_nca:
        nca = os.environ.get("KUBENET_NCA") or shutil.which("nca")
        if nca is None:
            nca_result = {"skipped": "nca not found (pip install network-config-analyzer, or set KUBENET_NCA)"}
        else:
            print("  network-config-analyzer side by side ...", file=sys.stderr, flush=True)
            nca_result = compare_nca(cluster_file(*NCA_CLUSTER, args.seed, ".json", cache), nca, 3)
    kubectl_rows = []
    if args.compare_kubectl:
        import live_list  # benchmarks/, beside this file

        for size in (int(s) for s in args.compare_kubectl.split(",")):
            print(f"  live lists, {size:,} pods, kubectl side by side ...", file=sys.stderr, flush=True)
            kubectl_rows.append(live_list.run(size))
    print()
    print(f"# load average while measuring: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)")
    for line in table(sizes, results, comparison, nca_result):
        print(line)
    for row in kubectl_rows:
        if "kubectl" not in row:
            print(f"\nLive lists, {int(row['pods']):,} pods: ours {row['process']:.2f} s as a process (kubectl not found)")
            continue
        print(f"\nLive lists, {int(row['pods']):,} pods (`kubectl get pods,networkpolicies,namespaces,services -A -o "
              f"json` against the same emulated server): kubectl {row['kubectl']:.2f} s; kubenet-tui's load as a "
              f"process {row['process']:.2f} s = {row['ratio']:.1f}x faster (target ≥ 1x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
