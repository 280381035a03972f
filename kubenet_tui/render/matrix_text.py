"""The connectivity matrix for humans: a numbered grid, only the blocked pairs, or per-namespace totals."""

from __future__ import annotations

from collections.abc import Iterator

from kubenet_tui.engine.matrix import MatrixResult


def matrix_text(result: MatrixResult, form: str = "text") -> Iterator[str]:
    port = "every port" if result.port is None else f"{result.port}/{result.protocol.value}"
    keys = result.pod_keys
    if not keys:
        yield "no pods that can carry traffic (pods need an IP and must not have finished)"
        return
    if form == "blocked":
        yield f"# blocked pairs on {port} (source -> destination)"
        for i, j in result.blocked_pairs():
            yield f"{keys[i]} -> {keys[j]}"
        return
    if form == "summary":
        yield f"# allowed pairs per namespace pair on {port}"
        yield f"{'source ns':<24} {'destination ns':<24} {'allowed':>9} {'of':>9}"
        for source_ns, destination_ns, allowed, total in result.namespace_summary():
            yield f"{source_ns:<24} {destination_ns:<24} {allowed:>9} {total:>9}"
        return
    width = len(str(len(keys)))
    yield f"Connectivity on {port}: row = source, column = destination; ✔ allowed, ✗ blocked"
    for i, key in enumerate(keys, 1):
        yield f"  {i:>{width}}  {key}"
    yield ""
    yield " " * (width + 2) + " ".join(f"{j:>{width}}" for j in range(1, len(keys) + 1))
    for i, row in enumerate(result.rows(), 1):
        cells = " ".join(f"{'✔' if ok else '✗':>{width}}" for ok in row)
        yield f"{i:>{width}}  {cells}"
