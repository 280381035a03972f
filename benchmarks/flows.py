"""The flows benchmark: a busy hour of Hubble output (1,000,000 lines) read, joined to a 10,000-pod cluster,
judged and summarised by `kubenet-tui flows`. Target: at most 30 s and 1 GB.

    python benchmarks/flows.py                           # 1,000,000 lines, 10,000 pods
    python benchmarks/flows.py --lines 100000 --pods 1000 --pairs 2000

The cluster comes from generate.py, cached as run.py caches it. The flow log is generated once per
parameters into the same cache: each line a `hubble observe -o json` GetFlowsResponse (about 1.8 KB,
fields as in tests/flows/samples/hubble.jsonl) with the pods' real names, addresses and labels. Traffic
is between workloads, as in a cluster: --pairs talking (source workload, destination workload, port)
triples, drawn with a Zipf-like popularity, each line between random replicas of the two (5 % of the
destinations are outside services of one to three addresses). A plugin enforces the policies, and workloads talk mostly to what
they may: 95 % of the triples are ones the policies allow (forwarded), 5 % ones they deny (dropped by
policy), and 1 % of all get the other verdict: the disagreements to explain. Lines alternate egress and ingress observation
points, and 5 % are replies. Each row runs in a process of its own, and the peak RSS is that process's
own:

- `flows FILE -f CLUSTER -o json`: the command end to end, every class with its full verdict, to /dev/null;
- the same from a pipe (`cat FILE | kubenet-tui flows - ...`), read by a process per core in blocks of lines;
- the phases through the API the command calls: load the cluster, read and aggregate, join and judge.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from run import cluster_file  # noqa: E402 - benchmarks/ is not a package

from kubenet_tui.sources.flows.parallel import read_parallel, workers_for  # noqa: E402
from kubenet_tui.sources.flows.pipe import pipe_workers  # noqa: E402

START = 1_715_677_200.0  # 2024-05-14T09:00:00Z: the hour the log covers
TARGET_S, TARGET_MB = 30.0, 1024.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _children_peak_mb() -> float:
    """The largest peak RSS of the processes this one started and waited for (the reading workers)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _cpu() -> float:
    """CPU seconds of this process so far: on a machine shared with other work, wall time is not ours."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):  # the reading workers' too
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def _iso(t: float) -> str:
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))
    return f"{whole}.{int((t % 1) * 1e9):09d}Z"


# -- the flow log ----------------------------------------------------------------------------------


def generate(cluster_path: str, out_path: str, lines: int, pairs: int, seed: int) -> None:
    rng = random.Random(seed)
    items = json.loads(Path(cluster_path).read_text(encoding="utf-8"))["items"]
    namespaces = {i["metadata"]["name"]: i["metadata"].get("labels", {}) for i in items if i["kind"] == "Namespace"}
    pods = [i for i in items if i["kind"] == "Pod" and i.get("status", {}).get("podIP")
            and i["status"].get("phase") == "Running" and not i["spec"].get("hostNetwork")]
    with_ports = [p for p in pods if any(c.get("ports") for c in p["spec"]["containers"])]

    def endpoint(pod: dict[str, Any], identity: int) -> dict[str, Any]:
        meta = pod["metadata"]
        ns = meta["namespace"]
        labels = [f"k8s:{k}={v}" for k, v in sorted(meta.get("labels", {}).items())]
        labels += [f"k8s:io.cilium.k8s.namespace.labels.{k}={v}" for k, v in sorted(namespaces.get(ns, {}).items())]
        labels += ["k8s:io.cilium.k8s.policy.cluster=default",
                   f"k8s:io.cilium.k8s.policy.serviceaccount={pod['spec'].get('serviceAccountName', 'default')}",
                   f"k8s:io.kubernetes.pod.namespace={ns}"]
        return {"ID": identity % 4000 + 1, "identity": identity, "cluster_name": "default", "namespace": ns,
                "labels": labels, "pod_name": meta["name"]}

    # Workloads: the replicas of one deployment share namespace and labels (and a Cilium identity).
    groups: dict[tuple[str, str], list[tuple[str, dict[str, Any], str]]] = {}
    identities: dict[tuple[str, str], int] = {}
    for pod in pods:
        meta = pod["metadata"]
        key = (meta["namespace"], json.dumps(meta.get("labels", {}), sort_keys=True))
        identity = identities.setdefault(key, 10000 + len(identities))
        groups.setdefault(key, []).append((pod["status"]["podIP"], endpoint(pod, identity),
                                           pod["spec"].get("nodeName", "node-0001")))
    workloads = list(groups.values())
    serving = [(groups[(p["metadata"]["namespace"], json.dumps(p["metadata"].get("labels", {}), sort_keys=True))],
                [c["containerPort"] for c in p["spec"]["containers"] for c in c.get("ports", [])
                 if c.get("protocol", "TCP") == "TCP"]) for p in with_ports]
    serving = [(members, ports) for members, ports in serving if ports]
    world = [(f"203.0.113.{i}", {"identity": 2, "labels": ["reserved:world"]}, "") for i in range(1, 255)]
    # Workloads talk mostly to what the policies let them talk to (the plugin forwards 95 % of the
    # triples, drops 5 %), and 1 % of the triples get the other verdict: the disagreements to explain.
    policies = _Policies(cluster_path)
    by_namespace: dict[str, list[tuple[list[Any], list[int]]]] = {}
    for members, ports in serving:
        by_namespace.setdefault(members[0][1]["namespace"], []).append((members, ports))
    talks: list[tuple[Any, ...]] = []
    blocked = 0
    while len(talks) < pairs:
        sources = rng.choice(workloads)
        if rng.random() < 0.05:
            first = rng.randrange(len(world) - 2)  # an outside service: one to three addresses
            destinations, port = world[first:first + rng.randint(1, 3)], 443
        else:
            near = by_namespace.get(sources[0][1]["namespace"])
            destinations, ports = rng.choice(near if near and rng.random() < 0.7 else serving)
            port = rng.choice(ports)
        allowed, at_egress = policies.allow(sources[0][0], destinations[0][0], port)
        if not allowed:
            if blocked >= pairs * 0.05:
                continue
            blocked += 1
        talks.append((sources, destinations, port, allowed if rng.random() >= 0.01 else not allowed, at_egress))
    weights = [1 / (rank + 1) ** 1.1 for rank in range(pairs)]
    chosen = rng.choices(range(pairs), weights=weights, k=lines)
    step = 3600.0 / lines
    with open(out_path, "w", encoding="utf-8") as out:
        for n, index in enumerate(chosen):
            sources, destinations, port, forwarded, at_egress = talks[index]
            src_ip, src_end, node = rng.choice(sources)
            dst_ip, dst_end, _ = rng.choice(destinations)
            when = _iso(START + n * step)
            reply = rng.random() < 0.05
            sport = 32768 + (n * 7919) % 28000
            flow: dict[str, Any] = {"time": when, "uuid": f"{n:08x}-4f1a-4c1e-9b2d-{index:012x}",
                                    "verdict": "FORWARDED" if forwarded or reply else "DROPPED"}
            if flow["verdict"] != "FORWARDED":
                flow["drop_reason"] = 133
            flow["ethernet"] = {"source": "ce:2f:4a:10:aa:01", "destination": "ce:2f:4a:10:aa:02"}
            if reply:
                flow["IP"] = {"source": dst_ip, "destination": src_ip, "ipVersion": "IPv4"}
                flow["l4"] = {"TCP": {"source_port": port, "destination_port": sport, "flags": {"SYN": True, "ACK": True}}}
                flow["source"], flow["destination"] = dst_end, src_end
            else:
                flow["IP"] = {"source": src_ip, "destination": dst_ip, "ipVersion": "IPv4"}
                flow["l4"] = {"TCP": {"source_port": sport, "destination_port": port, "flags": {"SYN": True}}}
                flow["source"], flow["destination"] = src_end, dst_end
            ingress = n % 2 == 1 if forwarded else not at_egress
            flow["Type"] = "L3_L4"
            flow["node_name"] = node
            flow["event_type"] = {"type": 4 if forwarded else 1, "sub_type": 0 if forwarded else 133}
            flow["traffic_direction"] = "INGRESS" if ingress else "EGRESS"
            if forwarded:
                flow["trace_observation_point"] = "TO_ENDPOINT" if ingress else "TO_STACK"
            else:
                flow["drop_reason_desc"] = "POLICY_DENIED"
            flow["is_reply"] = reply
            flow["Summary"] = "TCP Flags: SYN"
            out.write(json.dumps({"flow": flow, "node_name": node, "time": when}, separators=(",", ":")) + "\n")


class _Policies:
    """What the policies say of a (source pod, destination pod, port), from the class rows the matrix uses
    (the engine's own reading): whether it is allowed, and whether the source's egress blocks it."""

    def __init__(self, cluster_path: str) -> None:
        from kubenet_tui.engine.classes import partition
        from kubenet_tui.sources.files import FileSource

        self.cluster = FileSource([cluster_path]).load().cluster
        self.classes = partition(self.cluster.program, self.cluster.index, self.cluster.pods)
        self.class_of = {p.key: int(c) for p, c in zip(self.classes.pods, self.classes.class_of, strict=True)}
        self.by_ip = {str(ip): p.key for p in self.cluster.pods for ip in p.ips}
        self.evaluators: dict[int, Any] = {}

    def allow(self, source: str, destination: str, port: int) -> tuple[bool, bool]:
        from kubenet_tui.engine.explain import Direction
        from kubenet_tui.engine.fast import ClassEvaluator
        from kubenet_tui.engine.model import Protocol

        evaluator = self.evaluators.get(port)
        if evaluator is None:
            evaluator = self.evaluators[port] = ClassEvaluator(self.cluster, self.classes, Protocol.TCP, port)
        s = self.class_of[self.by_ip[source]]
        if destination not in self.by_ip:  # outside: egress alone decides
            out = bool(_egress_to_world(self.cluster, self.by_ip[source], destination, port))
            return out, not out
        d = self.class_of[self.by_ip[destination]]
        egress = bool(evaluator.row(s, Direction.EGRESS)[d])
        return egress and bool(evaluator.row(d, Direction.INGRESS)[s]), not egress


def _egress_to_world(cluster: Any, source: str, address: str, port: int) -> bool:
    from kubenet_tui.engine.ends import resolve_target
    from kubenet_tui.engine.evaluate import End, evaluate
    from kubenet_tui.engine.model import Protocol

    src, dst = resolve_target(cluster.index, source), resolve_target(cluster.index, address)
    assert isinstance(src, End) and isinstance(dst, End)
    return evaluate(cluster, src, dst, Protocol.TCP, port).status.value == "allowed"


def flow_file(cluster_path: Path, lines: int, pairs: int, seed: int, cache: Path) -> Path:
    version = hashlib.sha1(Path(__file__).read_bytes()).hexdigest()[:10]
    path = cache / f"flows-{cluster_path.stem}-{lines}-{pairs}-s{seed}-{version}.jsonl"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        subprocess.run([sys.executable, __file__, "--child", "generate", "--cluster", str(cluster_path), "--log",
                        str(tmp), "--lines", str(lines), "--pairs", str(pairs), "--seed", str(seed)], check=True)
        tmp.replace(path)
    return path


# -- measurements, each in its own process ----------------------------------------------------------


def measure_cli(cluster_path: str, log: str, pipe: bool) -> dict[str, Any]:
    """`kubenet-tui flows LOG -f CLUSTER -o json`, stdout to /dev/null; stdin is the log when `pipe`."""
    from kubenet_tui.cli import main

    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(1)
    os.dup2(devnull, 1)
    start, cpu = time.perf_counter(), _cpu()
    try:
        code = main(["flows", "-" if pipe else log, "-f", cluster_path, "-o", "json"])
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
    return {"seconds": time.perf_counter() - start, "cpu": _cpu() - cpu, "code": code, "peak_mb": _peak_mb(),
            "workers": pipe_workers() if pipe else workers_for(log), "worker_peak_mb": _children_peak_mb()}


def measure_phases(cluster_path: str, log: str) -> dict[str, Any]:
    from kubenet_tui.engine.flowjudge import Agreement, FlowJudge
    from kubenet_tui.engine.flows import FlowAggregator
    from kubenet_tui.sources.files import FileSource
    from kubenet_tui.sources.flows import Format, ReadReport, open_flows, read_flows
    from kubenet_tui.sources.flows.when import files_time

    out: dict[str, Any] = {}
    start, cpu = time.perf_counter(), _cpu()
    snapshot = FileSource([cluster_path]).load()
    out["load_s"], out["load_cpu"] = time.perf_counter() - start, _cpu() - cpu
    out["pods"] = len(snapshot.cluster.pods)
    start, cpu = time.perf_counter(), _cpu()
    report, aggregator = ReadReport(), FlowAggregator()
    workers = workers_for(log)
    if workers > 1:
        read_parallel(log, Format.AUTO, workers, aggregator, report)
    else:
        with open_flows(log) as stream:
            aggregator.add_all(read_flows(stream, report))
    out["workers"] = workers
    out["read_s"], out["read_cpu"] = time.perf_counter() - start, _cpu() - cpu
    out.update(lines=report.lines, records=report.records, replies=aggregator.replies, raw_classes=len(aggregator),
               malformed=report.malformed, peak_mb_read=_peak_mb())
    start, cpu = time.perf_counter(), _cpu()
    flows = FlowJudge(snapshot.cluster, files_time([cluster_path])).report(aggregator)
    out["judge_s"], out["judge_cpu"] = time.perf_counter() - start, _cpu() - cpu
    out["classes"] = len(flows.classes)
    out["by_agreement"] = {a.value: flows.count(a) for a in Agreement}
    out["peak_mb"] = _peak_mb()
    return out


def run_child(kind: str, cluster_path: Path, log: Path, stdin: Path | None = None) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("r", suffix=".json") as result:
        command = [sys.executable, __file__, "--child", kind, "--cluster", str(cluster_path), "--log", str(log),
                   "--result", result.name]
        if stdin is not None:
            with open(stdin, "rb") as source:
                cat = subprocess.Popen(["cat"], stdin=source, stdout=subprocess.PIPE)
                subprocess.run(command, stdin=cat.stdout, check=True)
                cat.wait()
        else:
            subprocess.run(command, check=True)
        return json.loads(Path(result.name).read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="kubenet-tui flows benchmark")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--pairs", type=int, default=20_000,
                        help="talking (source workload, destination workload, port) triples")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "kubenet-tui-bench"))
    parser.add_argument("--child", choices=("generate", "cli", "pipe", "phases"), help=argparse.SUPPRESS)
    parser.add_argument("--cluster", help=argparse.SUPPRESS)
    parser.add_argument("--log", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "generate":
        generate(args.cluster, args.log, args.lines, args.pairs, args.seed)
        return 0
    if args.child:
        found = (measure_phases(args.cluster, args.log) if args.child == "phases"
                 else measure_cli(args.cluster, args.log, args.child == "pipe"))
        Path(args.result).write_text(json.dumps(found))
        return 0

    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    cluster = cluster_file(args.pods, None, args.seed, ".json", cache)
    print(f"  generating {args.lines:,} lines over {args.pairs:,} pairs (cached) ...", file=sys.stderr, flush=True)
    log = flow_file(cluster, args.lines, args.pairs, args.seed, cache)
    size_mb = log.stat().st_size / 1e6
    print("  phases ...", file=sys.stderr, flush=True)
    phases = run_child("phases", cluster, log)
    print("  flows FILE ...", file=sys.stderr, flush=True)
    cli = run_child("cli", cluster, log)
    print("  cat FILE | flows - ...", file=sys.stderr, flush=True)
    pipe = run_child("pipe", cluster, log, stdin=log)
    # The target is the file's. The command and its reading workers, all at their peak at once, counting
    # the pages the workers share with it (the loaded cluster) in each: an upper bound.
    wall, cpu = cli["seconds"], cli["cpu"]
    memory = cli["peak_mb"] + cli["workers"] * cli["worker_peak_mb"] * (cli["workers"] > 1)
    verdict = ("met" if wall <= TARGET_S and memory <= TARGET_MB else
               "met in CPU time (the wall time includes waiting for the other work on this machine)"
               if cpu <= TARGET_S and memory <= TARGET_MB else "NOT met")
    verdict += f" for `flows FILE`: {wall:.1f} s, ≤ {memory:,.0f} MB"
    agreement = ", ".join(f"{n:,} {a}" for a, n in phases["by_agreement"].items() if n)
    load = os.getloadavg()[0]
    rows = [
        ("flow log", f"{phases['lines']:,} Hubble lines ({size_mb:,.0f} MB), {phases['replies']:,} replies; "
                     f"{args.pairs:,} talking workload pairs over {phases['pods']:,} pods"),
        ("classes", f"{phases['raw_classes']:,} as logged, {phases['classes']:,} rows ({agreement})"),
        ("`flows FILE -f CLUSTER -o json`", f"{cli['seconds']:.1f} s ({cli['cpu']:.1f} s CPU), peak RSS "
                                            f"{cli['peak_mb']:,.0f} MB"
                                            + (f" + {cli['workers']} reading workers of ≤ {cli['worker_peak_mb']:,.0f} MB"
                                               if cli["workers"] > 1 else "")),
        ("`cat FILE | flows - -f CLUSTER -o json`",
         f"{pipe['seconds']:.1f} s ({pipe['cpu']:.1f} s CPU), peak RSS {pipe['peak_mb']:,.0f} MB"
         + (f" + {pipe['workers']} reading workers of ≤ {pipe['worker_peak_mb']:,.0f} MB" if pipe["workers"] > 1
            else "")),
        ("  load the cluster (JSON)", f"{phases['load_s']:.1f} s ({phases['load_cpu']:.1f} s CPU)"),
        (f"  read + aggregate ({phases['workers']} processes)", f"{phases['read_s']:.1f} s "
                                                               f"({phases['read_cpu']:.1f} s CPU, "
                               f"{phases['read_cpu'] / phases['lines'] * 1e6:.1f} µs a line), "
                               f"peak RSS {phases['peak_mb_read']:,.0f} MB"),
        ("  join + judge (one verdict per class)", f"{phases['judge_s']:.1f} s ({phases['judge_cpu']:.1f} s CPU), "
                                                   f"peak RSS {phases['peak_mb']:,.0f} MB"),
        ("target", f"≤ {TARGET_S:.0f} s and ≤ {TARGET_MB:,.0f} MB: {verdict} (load average {load:.1f} on "
                   f"{os.cpu_count()} cores at the end)"),
    ]
    print()
    print("| flows benchmark | measured |")
    print("| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
