"""Driving the explorer like a user: keys in, text out."""

from __future__ import annotations

from textual.pilot import Pilot

from kubenet_tui.sources.spec import SourceSpec
from kubenet_tui.ui.app import KubenetApp

DEMO_SHOP = SourceSpec(demo=True, namespaces=("shop",))  # `kubenet-tui --demo -n shop`

KEY_NAMES = {"/": "slash", ":": "colon", "?": "question_mark", " ": "space", ".": "full_stop"}


async def wait_for_data(pilot: Pilot[int]) -> None:
    app = pilot.app
    assert isinstance(app, KubenetApp)
    # The load worker posts the data; handling it starts the selections worker: wait for both.
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def type_text(pilot: Pilot[int], text: str) -> None:
    await pilot.press(*[KEY_NAMES.get(ch, ch) for ch in text])


async def keys(pilot: Pilot[int], *sequence: str) -> None:
    """Each item is a key name (`enter`, `escape`, `tab`) or, when longer and not a key, text to type."""
    for item in sequence:
        named = item in ("enter", "escape", "tab", "backspace", "up", "down", "left", "right", "space", "home", "end")
        if named or len(item) == 1 or ("+" in item and " " not in item):
            await pilot.press(KEY_NAMES.get(item, item))
        else:
            await type_text(pilot, item)
    await pilot.pause()


# The flow of issue 4: frontend as source, db as destination, 6379 (allowed) then 5432 (blocked).
PICK_FRONTEND_AND_DB = ("/", "frontend", "enter", "s", "/", "db", "enter", "d")
ALLOWED_6379 = (*PICK_FRONTEND_AND_DB, "p", "6379", "enter")
BLOCKED_5432 = (*ALLOWED_6379, "p", "5432", "enter")
