"""The plain overview printed instead of the explorer when there is no terminal to draw on (output piped,
no tty): what was loaded, namespace by namespace."""

from __future__ import annotations

from collections.abc import Sequence

from kubenet_tui.sources.base import DataState, Snapshot
from kubenet_tui.terminal.output import Printer


def run_overview(snapshot: Snapshot, out: Printer, namespaces: Sequence[str] = ()) -> int:
    """Print the overview; `namespaces` (-n) narrows it."""
    cluster = snapshot.cluster
    out.print(f"[bold]{snapshot.description}[/]: {snapshot.load_summary()}")
    for ns in sorted(cluster.index.namespaces):
        if namespaces and ns not in namespaces:
            continue
        pods = cluster.index.pods_by_namespace.get(ns, ())
        policies = cluster.index.policies_by_namespace.get(ns, ())
        out.print(f"\n[bold cyan]{ns}[/]  {len(pods)} pods, {len(policies)} network policies")
        for pod in pods:
            ip = ", ".join(str(i) for i in pod.ips) or "-"
            labels = ",".join(f"{k}={v}" for k, v in sorted(pod.labels.items()))
            out.print(f"  pod {pod.name:<32} {pod.phase.value:<10} {ip:<18} {labels}", markup=False, highlight=False)
        for policy in policies:
            types = "+".join(sorted(t.value for t in policy.policy_types))
            out.print(f"  netpol {policy.name:<29} {types:<15} podSelector {policy.pod_selector.describe()}",
                      markup=False, highlight=False)
    if snapshot.state is DataState.DEMO:
        out.print("\nTry: kubenet-tui check shop/frontend shop/db --port 6379 --demo", markup=False)
    else:
        out.print("\nTry: kubenet-tui check NAMESPACE/POD NAMESPACE/POD --port PORT (same source flags)", markup=False)
    return 0
