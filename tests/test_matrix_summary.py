"""`matrix -o summary` (issue 9, item 6): the per-namespace totals are those of the pod grid, and cost one
pass over the class matrix: at 50k pods the old product with a classes x namespaces matrix for every
row took 386 s (`benchmarks/generate.py --pods 50000`), for 12,301 classes in 503 namespaces."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest

from kubenet_tui.engine.matrix import MatrixResult, connectivity_matrix, matrix_pods
from kubenet_tui.engine.model import Pod, Protocol
from kubenet_tui.sources.demo import DemoSource
from tests.scale.genkit import generator, load


def from_grid(result: MatrixResult) -> list[tuple[str, str, int, int]]:
    """The totals counted pair by pair from the expanded grid: the definition."""
    grid = result.array()
    allowed: Counter[tuple[str, str]] = Counter()
    total: Counter[tuple[str, str]] = Counter()
    for i, source in enumerate(result.pods):
        for j, destination in enumerate(result.pods):
            pair = (source.namespace, destination.namespace)
            total[pair] += 1
            allowed[pair] += int(grid[i, j])
    return [(s, d, allowed[(s, d)], total[(s, d)]) for s, d in sorted(total)]


@pytest.mark.parametrize("port", [None, 80, 8080, 9100, 53])
def test_generated_cluster_totals_match_the_grid(port: int | None) -> None:
    cluster = load(generator().generate(600, seed=4))
    result = connectivity_matrix(cluster, matrix_pods(cluster), Protocol.TCP, port)
    assert result.class_allowed.shape[0] > 50 and len({p.namespace for p in result.pods}) > 5
    assert result.namespace_summary() == from_grid(result)


def test_any_pod_order_and_the_same_pod_twice() -> None:
    """Classes are not grouped by namespace when the pods are not sorted, and a pod listed twice is a
    loopback pair off the diagonal: both still count as the grid says."""
    cluster = load(generator().generate(300, seed=2))
    pods = list(matrix_pods(cluster))
    random.Random(1).shuffle(pods)
    pods += pods[:7]
    result = connectivity_matrix(cluster, tuple(pods), Protocol.TCP, 80)
    assert result.twins
    assert result.namespace_summary() == from_grid(result)


def test_demo_with_an_admin_hairpin_deny() -> None:
    cluster = DemoSource().load().cluster
    result = connectivity_matrix(cluster, matrix_pods(cluster), Protocol.TCP, 8200)
    assert not all(result.self_allowed)  # vault's own traffic is denied by the admin tier
    assert result.namespace_summary() == from_grid(result)


def test_many_classes_in_many_namespaces_sum_per_namespace_pair() -> None:
    """Hundreds of namespaces of a few classes each (the shape that once took minutes at 50k pods: its
    speed is measured by benchmarks/run.py, never timed here)."""
    n_classes, per_namespace = 600, 2
    pods = tuple(Pod(f"ns{c // per_namespace:05}", f"p{c}") for c in range(n_classes))
    rng = np.random.default_rng(3)
    class_allowed = rng.random((n_classes, n_classes)) < 0.3
    result = MatrixResult(pods, Protocol.TCP, 80, np.arange(n_classes, dtype=np.intp), class_allowed,
                          np.ones(n_classes, dtype=np.bool_))
    summary = result.namespace_summary()
    assert len(summary) == (n_classes // per_namespace) ** 2
    # spot checks against the definition
    for a, b in [(0, 0), (5, 17), (299, 1)]:
        src, dst, ok, of = summary[a * (n_classes // per_namespace) + b]
        rows = slice(a * per_namespace, (a + 1) * per_namespace)
        cols = slice(b * per_namespace, (b + 1) * per_namespace)
        block = class_allowed[rows, cols].copy()
        if a == b:
            np.fill_diagonal(block, True)
        assert (src, dst, ok, of) == (f"ns{a:05}", f"ns{b:05}", int(block.sum()), per_namespace**2)
