"""The connectivity matrix for humans: a numbered grid, only the blocked pairs, or per-namespace totals."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence

from kubenet_tui.engine.matrix import MatrixResult
from kubenet_tui.engine.model import Protocol

LISTED = 10  # pods named in a note before "and N more"


def port_words(port_name: str | None, port: int | None, protocol: Protocol) -> str:
    """The port a matrix was asked on, as its text forms say it."""
    if port_name is not None:
        return f"port {port_name}/{protocol.value}"
    return "every port" if port is None else f"{port}/{protocol.value}"


def port_text(result: MatrixResult) -> str:
    return port_words(result.port_name, result.port, result.protocol)


def names_listed(keys: Sequence[str]) -> str:
    """The first LISTED pod keys, and how many more."""
    shown = ", ".join(keys[:LISTED])
    return shown + (f" and {len(keys) - LISTED} more" if len(keys) > LISTED else "")


def named_port_notes(result: MatrixResult) -> list[str]:
    """What a port name stood for on each destination, and which pods cannot be reached on it."""
    if result.port_name is None or result.port_numbers is None:
        return []
    numbers = Counter(int(n) for n in result.port_numbers if n)
    where = ", ".join(f"{n} on {count} pod{'s' if count > 1 else ''}" for n, count in sorted(numbers.items()))
    notes = [f"{result.port_name} is {where}: each destination is asked on its own number"]
    missing = [key for key, n in zip(result.pod_keys, result.port_numbers, strict=True) if not n]
    if missing:
        notes.append(f"{len(missing)} pod{'s declare' if len(missing) > 1 else ' declares'} no "
                     f"{result.protocol.value} port named {result.port_name}, so nothing can connect to "
                     f"{'them' if len(missing) > 1 else 'it'} on it (not allowed): {names_listed(missing)}")
    return notes


def matrix_text(
    result: MatrixResult, form: str = "text", summary: list[tuple[str, str, int, int]] | None = None
) -> Iterator[str]:
    """The lines of one form; `summary` is `result.namespace_summary()` when the caller already has it."""
    port = port_text(result)
    keys = result.pod_keys
    if not keys:
        yield "no pods that can carry traffic (pods need an IP and must not have finished)"
        return
    notes = named_port_notes(result)
    if form == "blocked":
        yield f"# blocked pairs on {port} (source -> destination)"
        yield from (f"# {note}" for note in notes)
        for i, j in result.blocked_pairs():
            yield f"{keys[i]} -> {keys[j]}"
        return
    if form == "summary":
        yield f"# allowed pairs per namespace pair on {port}"
        yield from (f"# {note}" for note in notes)
        yield f"{'source ns':<24} {'destination ns':<24} {'allowed':>9} {'of':>9}"
        for source_ns, destination_ns, allowed, total in (summary if summary is not None else result.namespace_summary()):
            yield f"{source_ns:<24} {destination_ns:<24} {allowed:>9} {total:>9}"
        return
    width = len(str(len(keys)))
    yield f"Connectivity on {port}: row = source, column = destination; ✔ allowed, ✗ blocked"
    yield from (f"  {note}" for note in notes)
    for i, key in enumerate(keys, 1):
        yield f"  {i:>{width}}  {key}"
    yield ""
    yield " " * (width + 2) + " ".join(f"{j:>{width}}" for j in range(1, len(keys) + 1))
    for i, row in enumerate(result.rows(), 1):
        cells = " ".join(f"{'✔' if ok else '✗':>{width}}" for ok in row)
        yield f"{i:>{width}}  {cells}"
