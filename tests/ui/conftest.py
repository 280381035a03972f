"""Fixtures for the explorer tests.

Determinism: the app has no clock, no animations and no blinking cursor (it turns them off itself, for
slow SSH links), so what the screen shows depends only on the data and the keys pressed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.ui.fakes import GatedSource


@pytest.fixture
def gated() -> Iterator[GatedSource]:
    """A source whose load blocks until the test opens the gate; the gate opens at teardown too."""
    source = GatedSource()
    yield source
    source.gate.set()


def svg_lines(svg: str) -> list[str]:
    """The text of a Textual SVG screenshot, row by row (each `<text>` run placed by its y)."""
    import html
    import re

    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, text in re.findall(r'<text[^>]* x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg):
        rows.setdefault(float(y), []).append((float(x), html.unescape(text).replace("\xa0", " ")))
    return ["".join(run for _, run in sorted(runs)).rstrip() for _, runs in sorted(rows.items())]


@pytest.fixture
def snap_compare(snap_compare: Callable[..., bool], request: pytest.FixtureRequest) -> Callable[..., bool]:
    """The plugin's comparison, and on a mismatch the differing rows in the failure itself: a CI log
    carries no HTML report, and a snapshot that differs only on a loaded machine must say how."""
    import difflib
    import pickle

    from pytest_textual_snapshot import node_to_report_path

    def compare(*args: Any, **kwargs: Any) -> bool:
        if snap_compare(*args, **kwargs):
            return True
        data = pickle.loads(node_to_report_path(request.node).read_bytes())
        expected, actual = svg_lines(data[1]), svg_lines(data[2])
        diff = "\n".join(difflib.unified_diff(expected, actual, "snapshot", "now", lineterm="", n=1))
        print(diff or "the text is the same: only colours or styles differ")
        return False

    return compare
