"""The one way a pane's cursor moves through a list of rows, for every pane model."""

from __future__ import annotations

MOVES = frozenset({"down", "j", "up", "k", "pagedown", "pageup", "home", "g", "end", "G"})


def moved(name: str, row: int, count: int, visible: int) -> int | None:
    """Where key `name` takes the cursor from `row`, in `count` rows of which `visible` show at once;
    None when the key does not move it."""
    last = max(0, count - 1)
    page = max(1, visible - 1)
    if name in ("down", "j"):
        return min(row + 1, last)
    if name in ("up", "k"):
        return max(0, row - 1)
    if name == "pagedown":
        return min(row + page, last)
    if name == "pageup":
        return max(0, row - page)
    if name in ("home", "g"):
        return 0
    if name in ("end", "G"):
        return last
    return None
