"""The bundled demo cluster as a source, read from the manifests shipped in the package."""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Callable
from threading import Event
from typing import Any

from kubenet_tui.sources.base import DataState, Snapshot
from kubenet_tui.sources.cni import detect_cni
from kubenet_tui.sources.parse import ObjectCollector

# The bundled clusters, by name: `--demo` is the first, `--demo NAME` any of them.
DEMOS: dict[str, tuple[str, ...]] = {"shop": ("cluster.yaml",), "cilium": ("cilium.yaml",),
                                    "calico": ("cluster.yaml", "calico.yaml")}
DEFAULT_DEMO = "shop"


# The package's files lie beside its modules (a wheel, the offline bundle, a checkout): read as files,
# without importlib.resources (with the zipfile and tempfile modules it brings, 5 ms of a `check --demo`).
DEMO_DIRECTORY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "demo")


def _read(file: str) -> str:
    with open(os.path.join(DEMO_DIRECTORY, file), encoding="utf-8") as stream:
        return stream.read()


def demo_texts(name: str = DEFAULT_DEMO) -> list[tuple[str, str]]:
    return [(file, _read(file)) for file in DEMOS[name]]


def text_checksum(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def parsed_name(file: str) -> str:
    """Where a bundled manifest's documents are kept already parsed (`scripts/demo-parsed` writes them)."""
    return file.removesuffix(".yaml") + ".parsed.json"


def pre_parsed(file: str, text: str) -> list[list[Any]] | None:
    """The documents of a bundled manifest as `[origin, item origins, object]`, parsed when the package
    was built: a `check --demo` then neither imports nor runs the YAML parser, a fifth of its time.
    None when they were parsed from another text than this one (the YAML wins: it is read instead)."""
    try:
        stored = json.loads(_read(parsed_name(file)))
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("checksum") != text_checksum(text):
        return None
    documents = stored.get("documents")
    if not (isinstance(documents, list) and all(isinstance(d, list) and len(d) == 3 for d in documents)):
        return None
    return documents


def parse_for_package(file: str, text: str) -> dict[str, Any]:
    """What `scripts/demo-parsed` writes for a bundled manifest (a test holds the package's copy to it)."""
    from kubenet_tui.sources.files import parse_yaml_text

    documents: list[list[Any]] = []

    class Recorder(ObjectCollector):
        def add(self, obj: Any, origin: str, item_origins: list[str] | None = None, _nested: bool = False,
                consume: bool = False, string_keys: bool = False) -> None:
            documents.append([origin, item_origins, obj])

    recorder = Recorder()
    parse_yaml_text(text, f"demo/{file}", recorder)
    if recorder.problems:
        raise ValueError(f"the bundled {file} does not read cleanly: {recorder.problems}")
    return {"file": file, "checksum": text_checksum(text), "documents": documents}


class DemoSource:
    def __init__(self, name: str = DEFAULT_DEMO) -> None:
        if name not in DEMOS:
            raise ValueError(f"no demo cluster named {name!r} (there are: {', '.join(DEMOS)})")
        self.name = name

    def load(self) -> Snapshot:
        collector = ObjectCollector()
        for file, text in demo_texts(self.name):
            documents = pre_parsed(file, text)
            if documents is None:
                from kubenet_tui.sources.files import parse_yaml_text

                parse_yaml_text(text, f"demo/{file}", collector)
                continue
            for origin, item_origins, data in documents:
                collector.add(data, origin, item_origins, consume=True, string_keys=True)
        collector.plugin = detect_cni(collector.pods.values(), nodes=collector.nodes.values()).plugin()
        label = "bundled demo cluster" if self.name == DEFAULT_DEMO else f"bundled demo cluster {self.name}"
        return Snapshot.from_collector(collector, DataState.DEMO, label, context="demo")

    def watch(self, on_snapshot: Callable[[Snapshot], None], stop: Event) -> None:
        return None
