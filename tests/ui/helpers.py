"""Driving the explorer like a user: keys in, text out."""

from __future__ import annotations

import asyncio

from textual.pilot import Pilot

from kubenet_tui.sources.spec import SourceSpec
from kubenet_tui.ui.app import KubenetApp

DEMO_SHOP = SourceSpec(demo="shop", namespaces=("shop",))  # `kubenet-tui --demo -n shop`

KEY_NAMES = {"/": "slash", ":": "colon", "?": "question_mark", " ": "space", ".": "full_stop"}


async def wait_for_data(pilot: Pilot[int]) -> None:
    app = pilot.app
    assert isinstance(app, KubenetApp)
    # The load worker posts the data; handling it starts the selections worker: wait for both. (What the
    # screen shows is drawn after that: `painted` waits for the frame.)
    await app.workers.wait_for_complete()
    await settle(pilot)
    await app.workers.wait_for_complete()
    await settle(pilot)


async def settle(pilot: Pilot[int], rounds: int = 8) -> None:
    """Until the app and every widget of the current screen have handled what was queued, round after
    round (a message bubbles one queue per hop: a table's event reaches the app in about five), until
    no queue has anything left or after `rounds`. Textual's own `pilot.press` waits for CPU idleness in
    20 ms sleeps instead (60-100 ms a key on this machine)."""
    app = pilot.app
    loop = asyncio.get_running_loop()
    for done_rounds in range(rounds):
        if not app.is_running or not app.screen_stack:
            return
        nodes = [app, *app.screen.walk_children(with_self=True)]
        # Peeks at each node's queue (Textual keeps it private; pinned to 8.2): nothing left, done.
        queues = [getattr(node, "_message_queue", None) for node in nodes]
        if done_rounds and all(q is not None and q.empty() for q in queues):
            return
        waits: list[asyncio.Future[None]] = []
        for node in nodes:
            future: asyncio.Future[None] = loop.create_future()
            if node.call_later(lambda future=future: future.done() or future.set_result(None)):
                waits.append(future)
        if waits:
            await asyncio.wait_for(asyncio.gather(*waits), timeout=30)


async def keys(pilot: Pilot[int], *sequence: str) -> None:
    """Each item is a key name (`enter`, `escape`, `tab`) or, when longer and not a key, text to type.
    Pressed one at a time, as a person types: each key is delivered as the terminal driver delivers it,
    and handled, with everything it set off, before the next one."""
    app = pilot.app
    from textual import events

    for key, character in _key_events(*sequence):
        event = events.Key(key, character)
        event.set_sender(app)
        assert app._driver is not None
        app._driver.send_message(event)
        await settle(pilot)
    await pilot.pause()


# The flow of issue 4: frontend as source, db as destination, 6379 (allowed) then 5432 (blocked).
PICK_FRONTEND_AND_DB = ("/", "frontend", "enter", "s", "/", "db", "enter", "d")
ALLOWED_6379 = (*PICK_FRONTEND_AND_DB, "p", "6379", "enter")
BLOCKED_5432 = (*ALLOWED_6379, "p", "5432", "enter")


def _key_events(*sequence: str) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for item in sequence:
        named = item in ("enter", "escape", "tab", "backspace", "up", "down", "left", "right", "space", "home", "end")
        if named or len(item) == 1 or ("+" in item and " " not in item):
            key = KEY_NAMES.get(item, item)
            out.append((key, item if len(item) == 1 else (" " if item == "space" else None)))
        else:
            out.extend((KEY_NAMES.get(ch, ch), ch) for ch in item)
    return out


async def burst(pilot: Pilot[int], *sequence: str) -> None:
    """Keys as a terminal hands over a fast typist's burst (or a paste, or a slow SSH link): all at once,
    then the app settles. Same items as `keys`; a fraction of the pilot's ~60 ms per key."""
    app = pilot.app
    from textual import events

    for key, character in _key_events(*sequence):
        app.post_message(events.Key(key, character))
    await settle(pilot)


async def painted(pilot: Pilot[int]) -> str:
    """The screen as text once the frame showing everything handled so far is drawn."""
    from tests.ui.fakes import screen_text

    await pilot.pause()
    return screen_text(pilot.app)
