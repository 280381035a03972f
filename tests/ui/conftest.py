"""Fixtures for the explorer tests.

Determinism: the app has no clock, no animations and no blinking cursor (it turns them off itself, for
slow SSH links), so what the screen shows depends only on the data and the keys pressed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ui.fakes import GatedSource


@pytest.fixture
def gated() -> Iterator[GatedSource]:
    """A source whose load blocks until the test opens the gate; the gate opens at teardown too."""
    source = GatedSource()
    yield source
    source.gate.set()
