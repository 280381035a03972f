"""The matrix's three-valued forms, streamed a source row at a time: `-o pairs` (only allowed, or with
`--blocked` only blocked pairs), `-o csv` and `-o compact` (JSON with each row a string), and the text
grid and `-o blocked` with unknown kept apart.

Each form yields text chunks as rows are produced, so the first lines go out before the last row is
worked out and a 10,000-pod grid is never held whole. A cell is `1` allowed, `0` blocked, `?` unknown
(data that decides it was not read): unknown is never written as allowed or blocked. Rows are turned
into text by table lookups over numpy vectors, not cell by cell.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import numpy as np

from kubenet_tui.engine.heatmap import PairStatus, StatusArray
from kubenet_tui.engine.pair_status import StatusRows
from kubenet_tui.render.matrix_text import names_listed, port_words

# Indexed by PairStatus (0 blocked, 1 allowed, 2 unknown).
CELL = np.frombuffer(b"01?", dtype=np.uint8)
LEGEND = {"1": "allowed", "0": "blocked", "?": "unknown: data that decides it was not read"}


def port_text(rows: StatusRows) -> str:
    return port_words(rows.port_name, rows.port, rows.protocol)


def notes(rows: StatusRows) -> list[str]:
    """What a port name stood for on each destination, and which pods cannot be reached on it."""
    if rows.port_name is None or rows.port_numbers is None:
        return []
    numbers = Counter(int(n) for n in rows.port_numbers.tolist() if n)
    where = ", ".join(f"{n} on {count} pod{'s' if count > 1 else ''}" for n, count in sorted(numbers.items()))
    out = [f"{rows.port_name} is {where}: each destination is asked on its own number"]
    missing = [p.key for p, n in zip(rows.pods, rows.port_numbers.tolist(), strict=True) if not n]
    if missing:
        out.append(f"{len(missing)} pod{'s declare' if len(missing) > 1 else ' declares'} no "
                   f"{rows.protocol.value} port named {rows.port_name}, so nothing can connect to "
                   f"{'them' if len(missing) > 1 else 'it'} on it (not allowed): {names_listed(missing)}")
    return out


def cells(row: StatusArray) -> str:
    """A row as a string of `1`, `0` and `?`."""
    text: str = CELL[row].tobytes().decode("ascii")
    return text


def compact_json(rows: StatusRows) -> Iterator[str]:
    """`{"protocol", "port", "pods", ["ports",] "legend", "matrix": ["10?...", ...]}`: the JSON grid with
    each row one string, about a seventh of the size of `true`/`false` lists, and unknown kept apart."""
    head: dict[str, Any] = {"protocol": rows.protocol.value, "port": rows.port_name or rows.port,
                            "pods": rows.pod_keys}
    if rows.port_numbers is not None:
        head["ports"] = [int(n) or None for n in rows.port_numbers.tolist()]
    head["legend"] = LEGEND
    yield json.dumps(head)[:-1] + ', "matrix": ['
    for i, row in enumerate(rows.rows()):
        yield ("," if i else "") + '\n  "' + cells(row) + '"'
    yield "\n]}\n"


def csv_lines(rows: StatusRows) -> Iterator[str]:
    """A header (`source`, then each destination) and one line per source: its key, then `1`, `0` or `?`
    per destination. Keys are `namespace/name` (DNS names: no comma or quote to escape)."""
    yield ",".join(["source", *rows.pod_keys]) + "\n"
    n = len(rows.pods)
    line = np.empty((n, 2), dtype=np.uint8)
    line[:, 1] = ord(",")
    for key, row in zip(rows.pod_keys, rows.rows(), strict=True):
        line[:, 0] = CELL[row]
        yield key + "," + line.tobytes()[:-1].decode("ascii") + "\n"


def pair_lines(rows: StatusRows, want: PairStatus) -> Iterator[str]:
    """`SOURCE -> DESTINATION` for each allowed (or blocked) pair, a source row at a time, after a `#`
    header; unknown pairs are never listed as either: a last `#` line counts them, when there are any."""
    what = "allowed" if want is PairStatus.ALLOWED else "blocked"
    yield f"# {what} pairs on {port_text(rows)} (source -> destination)\n"
    for note in notes(rows):
        yield f"# {note}\n"
    keys = rows.pod_keys
    unknown = 0
    for key, row in zip(keys, rows.rows(), strict=True):
        found = np.flatnonzero(row == want).tolist()
        unknown += int(np.count_nonzero(row == PairStatus.UNKNOWN))
        if found:
            prefix = key + " -> "
            yield prefix + ("\n" + prefix).join([keys[j] for j in found]) + "\n"
    if unknown:  # only then: the listing's shape (a header, then pairs) stays what scripts read
        yield (f"# and {unknown:,} pair{' is' if unknown == 1 else 's are'} unknown (data that decides "
               f"{'it' if unknown == 1 else 'them'} was not read): not listed\n")


def grid_text(rows: StatusRows, symbols: str = "✔✗?") -> Iterator[str]:
    """The numbered grid: row = source, column = destination; `symbols` are allowed, blocked, unknown."""
    keys = rows.pod_keys
    if not keys:
        yield "no pods that can carry traffic (pods need an IP and must not have finished)\n"
        return
    allowed, blocked, unknown = symbols[0], symbols[1], symbols[2]
    width = len(str(len(keys)))
    yield (f"Connectivity on {port_text(rows)}: row = source, column = destination; {allowed} allowed, "
           f"{blocked} blocked, {unknown} unknown (data that decides it was not read)\n")
    for note in notes(rows):
        yield f"  {note}\n"
    for i, key in enumerate(keys, 1):
        yield f"  {i:>{width}}  {key}\n"
    yield "\n"
    yield " " * (width + 2) + " ".join(f"{j:>{width}}" for j in range(1, len(keys) + 1)) + "\n"
    table = [f"{s:>{width}}" for s in (blocked, allowed, unknown)]  # by PairStatus
    for i, row in enumerate(rows.rows(), 1):
        yield f"{i:>{width}}  " + " ".join([table[s] for s in row.tolist()]) + "\n"
