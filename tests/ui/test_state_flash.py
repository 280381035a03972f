"""Flash messages expire on an injected clock: errors stay twice as long as news."""

from __future__ import annotations

from kubenet_tui.ui.state.flash import Flash, FlashLevel


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_info_and_error_lifetimes() -> None:
    clock = Clock()
    flash = Flash(clock)
    flash.info("source shop/frontend; now mark a destination (d)")
    assert flash.shown and flash.expires_in() == 4.0
    clock.now += 3.9
    assert not flash.expire() and flash.shown
    clock.now += 0.2
    assert flash.expire() and not flash.shown
    flash.error("nothing matches /zz")
    assert flash.message is not None and flash.message.level is FlashLevel.ERROR
    assert flash.message.line == "! nothing matches /zz"  # an error reads as one without colour
    clock.now += 7.9
    assert not flash.expire()
    clock.now += 0.2
    assert flash.expire()


def test_a_new_message_replaces_the_old_and_restarts_the_clock() -> None:
    clock = Clock()
    flash = Flash(clock)
    flash.error("could not reload")
    clock.now += 7
    flash.info("reloading")
    assert flash.message is not None and flash.message.text == "reloading" and flash.expires_in() == 4.0
    flash.clear()
    assert flash.expires_in() is None and not flash.expire()
