"""The bundled demo cluster as a source, read from the manifests shipped in the package."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from threading import Event

from kubenet_tui.sources.base import DataState, Snapshot
from kubenet_tui.sources.cni import detect_cni
from kubenet_tui.sources.files import parse_yaml_text
from kubenet_tui.sources.parse import ObjectCollector

DEMO_FILES = ("cluster.yaml",)


def demo_texts() -> list[tuple[str, str]]:
    package = resources.files("kubenet_tui.demo")
    return [(name, package.joinpath(name).read_text(encoding="utf-8")) for name in DEMO_FILES]


class DemoSource:
    def load(self) -> Snapshot:
        collector = ObjectCollector()
        for name, text in demo_texts():
            parse_yaml_text(text, f"demo/{name}", collector)
        collector.plugin = detect_cni(collector.pods.values()).plugin()
        return Snapshot.from_collector(collector, DataState.DEMO, "bundled demo cluster", context="demo")

    def watch(self, on_snapshot: Callable[[Snapshot], None], stop: Event) -> None:
        return None
