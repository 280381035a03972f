"""From-outside answers at scale: a generated cluster (benchmarks/generate.py) with an ingress-nginx
controller in front of it (three replicas behind a LoadBalancer) and one Ingress per namespace whose
host routes one path per Service. Times `check https://HOST/PATH` (the URL matched, the controller found,
its own ingress from outside, every backend from every controller pod, explained) and `ingress/NS/NAME`.

    python benchmarks/outside.py                 # 1k and 10k pods
    python benchmarks/outside.py --pods 50000 --samples 20
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate

from kubenet_tui.engine.outside import RouteVerdict
from kubenet_tui.engine.query import Question, ask
from kubenet_tui.sources.parse import ObjectCollector

NGINX = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}


def front_door(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The controller, its Service and class, and an Ingress per namespace routing to its Services."""
    extra: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ingress-nginx"}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "nginx"},
         "spec": {"controller": "k8s.io/ingress-nginx"}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ingress-nginx-controller",
                                                             "namespace": "ingress-nginx"},
         "spec": {"type": "LoadBalancer", "externalTrafficPolicy": "Local", "selector": NGINX,
                  "ports": [{"name": "https", "port": 443, "targetPort": "https"}]}},
    ]
    for i in range(3):
        extra.append({"apiVersion": "v1", "kind": "Pod",
                      "metadata": {"name": f"ingress-nginx-controller-{i}", "namespace": "ingress-nginx",
                                   "labels": NGINX},
                      "spec": {"containers": [{"name": "c", "ports": [{"name": "https", "containerPort": 443}]}]},
                      "status": {"phase": "Running", "podIP": f"10.255.0.{i + 1}"}})
    services: dict[str, list[dict[str, Any]]] = {}
    for obj in objects:
        if obj["kind"] == "Service":
            services.setdefault(obj["metadata"]["namespace"], []).append(obj)
    for namespace, found in sorted(services.items()):
        paths = [{"path": f"/{s['metadata']['name']}", "pathType": "Prefix",
                  "backend": {"service": {"name": s["metadata"]["name"],
                                          "port": {"number": s["spec"]["ports"][0]["port"]}}}}
                 for s in found if s["spec"]["ports"]]
        extra.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                      "metadata": {"name": "site", "namespace": namespace},
                      "spec": {"ingressClassName": "nginx",
                               "rules": [{"host": f"{namespace}.example.com", "http": {"paths": paths}}]}})
    return extra


def measure(pods: int, samples: int) -> dict[str, Any]:
    objects = generate(pods)
    objects += front_door(objects)
    collector = ObjectCollector()
    for obj in objects:
        collector.add(obj, "bench")
    cluster = collector.cluster()
    assert cluster.routes is not None
    ingresses = cluster.routes.ingresses[:samples]
    cluster.program  # noqa: B018 - compiled once per load, as every command does, not counted here
    urls = [f"https://{i.namespace}.example.com{i.paths[0].path}/x" for i in ingresses if i.paths]
    times, legs = [], 0
    for url in urls:
        start = time.perf_counter()
        answer = ask(cluster, Question(url))
        times.append(time.perf_counter() - start)
        assert isinstance(answer, RouteVerdict)
        legs += sum(len(sv.backends) for _, _, sv in answer.legs())
    start = time.perf_counter()
    whole = ask(cluster, Question(f"ingress/{ingresses[0].namespace}/site"))
    ingress_time = time.perf_counter() - start
    assert isinstance(whole, RouteVerdict)
    times.sort()
    return {"pods": len(cluster.pods), "ingresses": len(cluster.routes.ingresses), "asked": len(urls),
            "legs": legs / max(len(urls), 1), "p50": times[len(times) // 2], "max": times[-1],
            "ingress": ingress_time, "ingress_paths": len(whole.paths),
            "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pods", type=int, action="append", help="cluster size (repeatable; default 1000, 10000)")
    parser.add_argument("--samples", type=int, default=30, help="URLs asked per size")
    args = parser.parse_args(argv)
    print("| pods / Ingresses | URL answer p50 / max | backends per URL | ingress/NS/NAME (paths) | peak RSS |")
    print("| --- | --- | --- | --- | --- |")
    for pods in args.pods or [1000, 10000]:
        r = measure(pods, args.samples)
        print(f"| {r['pods']:,} / {r['ingresses']:,} | {r['p50'] * 1000:.1f} / {r['max'] * 1000:.1f} ms "
              f"({r['asked']} URLs) | {r['legs']:.1f} | {r['ingress'] * 1000:.1f} ms ({r['ingress_paths']}) "
              f"| {r['rss']:.0f} MB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
