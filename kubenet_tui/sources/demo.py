"""The bundled demo cluster as a source, read from the manifests shipped in the package."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from threading import Event

from kubenet_tui.sources.base import DataState, Snapshot
from kubenet_tui.sources.cni import detect_cni
from kubenet_tui.sources.files import parse_yaml_text
from kubenet_tui.sources.parse import ObjectCollector

# The bundled clusters, by name: `--demo` is the first, `--demo NAME` any of them.
DEMOS: dict[str, tuple[str, ...]] = {"shop": ("cluster.yaml",), "cilium": ("cilium.yaml",),
                                    "calico": ("cluster.yaml", "calico.yaml")}
DEFAULT_DEMO = "shop"


def demo_texts(name: str = DEFAULT_DEMO) -> list[tuple[str, str]]:
    package = resources.files("kubenet_tui.demo")
    return [(file, package.joinpath(file).read_text(encoding="utf-8")) for file in DEMOS[name]]


class DemoSource:
    def __init__(self, name: str = DEFAULT_DEMO) -> None:
        if name not in DEMOS:
            raise ValueError(f"no demo cluster named {name!r} (there are: {', '.join(DEMOS)})")
        self.name = name

    def load(self) -> Snapshot:
        collector = ObjectCollector()
        for file, text in demo_texts(self.name):
            parse_yaml_text(text, f"demo/{file}", collector)
        collector.plugin = detect_cni(collector.pods.values(), nodes=collector.nodes.values()).plugin()
        label = "bundled demo cluster" if self.name == DEFAULT_DEMO else f"bundled demo cluster {self.name}"
        return Snapshot.from_collector(collector, DataState.DEMO, label, context="demo")

    def watch(self, on_snapshot: Callable[[Snapshot], None], stop: Event) -> None:
        return None
