"""Where one side of a comparison comes from, as the user writes it:

    live                  the current kubeconfig context (--context, --kubeconfig... choose another)
    demo | demo:NAME      a bundled demo cluster
    PATH                  manifests: a file or a directory (recursive); '-' is stdin
    SOURCE+PATH[+PATH]    that source with these manifests applied on top (as `kubectl apply`)
    SOURCE+staged         that source with its staged policies committed (Calico's pending view)

A path that exists is a path, even with a '+' in its name; otherwise the text is split at a '+' where
what comes before is a source and what comes after is a list of overlays that exist.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kubenet_tui.engine.records import record
from kubenet_tui.sources.demo import DEFAULT_DEMO, DEMOS

STAGED = "staged"


class SideError(ValueError):
    """The text names no source: one line saying why."""


@record
class SideSpec:
    kind: str  # "live", "demo" or "files"
    value: str | None  # the demo's name, or the path ('-': stdin)
    overlays: tuple[str, ...] = ()  # paths ('-': stdin) or STAGED, applied in order
    text: str = ""

    @property
    def key(self) -> tuple[str, str | None]:
        """What to load (sides with the same key are read once)."""
        return self.kind, self.value


def _exists(path: str) -> bool:
    return Path(path).exists()


def _base(text: str, exists: Callable[[str], bool]) -> tuple[str, str | None] | None:
    if text == "live":
        return "live", None
    if text == "demo":
        return "demo", DEFAULT_DEMO
    if text.startswith("demo:"):
        name = text[len("demo:"):]
        return ("demo", name) if name in DEMOS else None
    if text == "-" or (text and exists(text)):
        return "files", text
    return None


def _overlays(text: str, exists: Callable[[str], bool]) -> tuple[str, ...] | None:
    if text in (STAGED, "-") or (text and exists(text)):
        return (text,)
    for i, ch in enumerate(text):
        if ch != "+":
            continue
        first = _overlays(text[:i], exists)
        rest = _overlays(text[i + 1:], exists) if first is not None else None
        if first is not None and rest is not None:
            return first + rest
    return None


def parse_side(text: str, exists: Callable[[str], bool] = _exists) -> SideSpec:
    text = text.strip()
    if not text:
        raise SideError("an empty source: give live, demo, demo:NAME, a path, or SOURCE+PATH")
    found = _base(text, exists)
    if found is not None:
        return SideSpec(*found, (), text)
    for i, ch in enumerate(text):
        if ch != "+":
            continue
        base = _base(text[:i], exists)
        if base is None:
            continue
        overlays = _overlays(text[i + 1:], exists)
        if overlays is not None:
            return SideSpec(*base, overlays, text)
        missing = [p for p in text[i + 1:].split("+") if p not in (STAGED, "-") and not exists(p)]
        what = ", ".join(missing) or text[i + 1:] or "(nothing after '+')"
        raise SideError(f"{text}: overlay {what}: no such file or directory")
    first = text.split("+", 1)[0]
    if first.startswith("demo:"):
        raise SideError(f"no demo cluster named {first[len('demo:'):]!r} (there are: {', '.join(DEMOS)})")
    raise SideError(f"{first}: no such file or directory, and not a source (live, demo, demo:NAME)")
