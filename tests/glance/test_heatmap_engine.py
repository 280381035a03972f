"""The heatmap's counts are the pod matrix summed, and its unknown counts are `evaluate`'s UNKNOWN.

The heatmap never builds the class matrix: it sums over distinct verdict rows (`engine/heatmap.py`).
The references here are the slow, obvious ones: `evaluate` for every ordered pair of pods (status
ALLOWED, UNKNOWN, the rest), and the class matrix of `connectivity_matrix` summed per namespace pair.
Small clusters come from the same hypothesis strategy as the matrix agreement tests (admin tiers,
Pass chains, unreadable data, named ports, host-network and finished pods), plus a generated one.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scale.genkit import generator, load
from scale.test_matrix_agrees import PORTS, clusters

from kubenet_tui.engine import heatmap as heatmap_module
from kubenet_tui.engine.classes import partition
from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.evaluate import End, evaluate
from kubenet_tui.engine.explain import Direction, Status
from kubenet_tui.engine.fast import ClassEvaluator
from kubenet_tui.engine.heatmap import PairStatus, heatmap_pods, namespace_heatmap
from kubenet_tui.engine.matrix import connectivity_matrix, matrix_pods, named_port_matrix
from kubenet_tui.engine.model import Pod, Protocol

STATUS = {Status.ALLOWED: PairStatus.ALLOWED, Status.UNKNOWN: PairStatus.UNKNOWN}


def pair_status(cluster: Cluster, s: Pod, d: Pod, protocol: Protocol, port: int | None,
                port_name: str | None) -> PairStatus:
    if port_name is not None:
        found = d.named_port(port_name, protocol)
        if found is None:  # cannot be reached on a name it does not declare
            return PairStatus.BLOCKED
        port = found.port
    return STATUS.get(evaluate(cluster, End(pod=s), End(pod=d), protocol, port).status, PairStatus.BLOCKED)


def assert_heatmap(cluster: Cluster, pods: tuple[Pod, ...], protocol: Protocol, port: int | None,
                   port_name: str | None = None) -> None:
    pods = heatmap_pods(pods)
    result = namespace_heatmap(cluster, pods, protocol, port, port_name)
    expected = {(s.key, d.key): pair_status(cluster, s, d, protocol, port, port_name) for s in pods for d in pods}
    assert result.namespaces == tuple(sorted({p.namespace for p in pods}))
    for a, source in enumerate(result.namespaces):
        for b, destination in enumerate(result.namespaces):
            want = Counter(expected[(s.key, d.key)] for s in pods for d in pods
                           if s.namespace == source and d.namespace == destination)
            got = (int(result.allowed[a, b]), int(result.unknown[a, b]), int(result.pairs[a, b]))
            assert got == (want[PairStatus.ALLOWED], want[PairStatus.UNKNOWN], sum(want.values())), (
                f"{source} -> {destination} on {port_name or port}/{protocol.value}")
            # The drill-down grid says the same, pod by pod.
            rows, cols, grid = result.grid(a, b)
            assert [[PairStatus(v) for v in row] for row in grid.tolist()] == [
                [expected[(s.key, d.key)] for d in cols] for s in rows], f"{source} -> {destination}"


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(clusters(), st.sampled_from(Protocol), st.sampled_from(PORTS))
def test_counts_are_evaluate_summed(case: tuple[Cluster, tuple[Pod, ...]], protocol: Protocol,
                                    port: int | None) -> None:
    cluster, pods = case
    assert_heatmap(cluster, pods, protocol, port)


@settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(clusters(), st.sampled_from(["http", "dns", "metrics"]))
def test_port_names_resolved_per_destination(case: tuple[Cluster, tuple[Pod, ...]], name: str) -> None:
    cluster, pods = case
    assert_heatmap(cluster, pods, Protocol.TCP, None, name)


@pytest.mark.parametrize(("seed", "protocol", "port"), [(1, Protocol.TCP, 8080), (2, Protocol.TCP, None),
                                                        (3, Protocol.UDP, 53)])
def test_generated_cluster_equals_the_matrix_summed(seed: int, protocol: Protocol, port: int | None) -> None:
    cluster = load(generator().generate(600, seed=seed))
    pods = matrix_pods(cluster)
    result = namespace_heatmap(cluster, pods, protocol, port)
    summary = connectivity_matrix(cluster, pods, protocol, port).namespace_summary()
    position = {ns: k for k, ns in enumerate(result.namespaces)}
    assert [(a, b, int(result.allowed[position[a], position[b]]), int(result.pairs[position[a], position[b]]))
            for a, b, _, _ in summary] == summary
    assert not result.unknown.any()  # nothing hidden in a generated cluster


def test_named_port_equals_the_named_port_matrix() -> None:
    cluster = load(generator().generate(400, seed=4))
    pods = matrix_pods(cluster)
    name = next(p.name for pod in pods for p in pod.ports if p.name)
    result = namespace_heatmap(cluster, pods, Protocol.TCP, None, name)
    summary = named_port_matrix(cluster, pods, Protocol.TCP, name).namespace_summary()
    position = {ns: k for k, ns in enumerate(result.namespaces)}
    assert [(a, b, int(result.allowed[position[a], position[b]]), n) for a, b, _, n in summary] == summary


def test_both_ways_of_summing_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    """The factorised sum and the block-by-block sum over class pairs are the same numbers."""
    cluster = load(generator().generate(500, seed=5))
    pods = matrix_pods(cluster)
    factorised = namespace_heatmap(cluster, pods, Protocol.TCP, 8080)
    calls: list[str] = []
    real_direct = heatmap_module._direct

    def direct_only(*args: object, **kw: object) -> object:
        calls.append("direct")
        return real_direct(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(heatmap_module, "_factorised", lambda *a, **k: heatmap_module._direct(*a[:8]))
    monkeypatch.setattr(heatmap_module, "_direct", direct_only)
    direct = namespace_heatmap(cluster, pods, Protocol.TCP, 8080)
    assert calls
    assert np.array_equal(factorised.allowed, direct.allowed)
    assert np.array_equal(factorised.pairs, direct.pairs)


def test_row_tables_agree_with_the_matrix_rows() -> None:
    cluster = load(generator().generate(300, seed=7))
    pods = matrix_pods(cluster)
    classes = partition(cluster.program, cluster.index, pods)
    evaluator = ClassEvaluator(cluster, classes, Protocol.TCP, 9100)
    for direction in Direction:
        table = evaluator.row_table(direction)
        for c in range(classes.count):
            assert np.array_equal(table.allowed[table.which[c]], evaluator.row(c, direction))
    egress, ingress = evaluator.row_table(Direction.EGRESS), evaluator.row_table(Direction.INGRESS)
    allowed, unknown = evaluator.self_states(egress, ingress)
    assert np.array_equal(allowed, evaluator.self_allowed()) and not unknown.any()


def test_no_pods() -> None:
    result = namespace_heatmap(Cluster(), (), Protocol.TCP, None)
    assert result.namespaces == () and result.allowed.shape == (0, 0)


def test_a_pod_given_twice_counts_once() -> None:
    cluster = load(generator().generate(200, seed=8))
    pods = matrix_pods(cluster)
    twice = namespace_heatmap(cluster, (*pods, pods[0]), Protocol.TCP, 80)
    once = namespace_heatmap(cluster, pods, Protocol.TCP, 80)
    assert np.array_equal(twice.pairs, once.pairs) and np.array_equal(twice.allowed, once.allowed)


def test_another_port_keeps_the_classes() -> None:
    cluster = load(generator().generate(300, seed=9))
    pods = matrix_pods(cluster)
    first = namespace_heatmap(cluster, pods, Protocol.TCP, None)
    again = namespace_heatmap(cluster, pods, Protocol.TCP, 8080, reuse=first)
    fresh = namespace_heatmap(cluster, pods, Protocol.TCP, 8080)
    assert again.classes is first.classes
    assert np.array_equal(again.allowed, fresh.allowed) and np.array_equal(again.unknown, fresh.unknown)
    other = namespace_heatmap(cluster, pods[:50], Protocol.TCP, 8080, reuse=first)
    assert other.classes is not first.classes  # other pods: classes of their own
