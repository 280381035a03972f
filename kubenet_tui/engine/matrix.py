"""Connectivity between every pair of pods: the same verdicts as `evaluate`, for many pairs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.evaluate import End, evaluate
from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.model import Pod, Protocol


def matrix_pods(cluster: Cluster, namespaces: set[str] | None = None) -> tuple[Pod, ...]:
    """Pods that can carry traffic, sorted by namespace then name (the matrix's row order)."""
    return tuple(
        sorted(
            (p for p in cluster.pods if p.carries_traffic and (namespaces is None or p.namespace in namespaces)),
            key=lambda p: (p.namespace, p.name),
        )
    )


@dataclass(frozen=True)
class MatrixResult:
    pods: tuple[Pod, ...]
    protocol: Protocol
    port: int | None
    allowed: tuple[tuple[bool, ...], ...]

    @property
    def pod_keys(self) -> list[str]:
        return [p.key for p in self.pods]

    def rows(self) -> Iterator[list[bool]]:
        for row in self.allowed:
            yield list(row)


def connectivity_matrix(cluster: Cluster, pods: tuple[Pod, ...], protocol: Protocol, port: int | None) -> MatrixResult:
    rows = []
    for src in pods:
        rows.append(
            tuple(
                evaluate(cluster, End(pod=src), End(pod=dst), protocol, port).status is Status.ALLOWED
                for dst in pods
            )
        )
    return MatrixResult(pods, protocol, port, tuple(rows))
