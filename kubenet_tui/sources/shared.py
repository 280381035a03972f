"""Values that a load parses over and over, kept once: at 50,000 pods most label maps, port lists and
namespace names are repeats (a Deployment's replicas carry identical ones), and each repeat would be
its own set of Python objects."""

from __future__ import annotations

import sys
from collections.abc import Mapping

from kubenet_tui.engine.model import ContainerPort, frozen_labels


class Shared:
    """One per load (an ObjectCollector's): equal values handed out as the same object."""

    def __init__(self) -> None:
        self._labels: dict[frozenset[tuple[str, str]], Mapping[str, str]] = {}
        self._ports: dict[tuple[ContainerPort, ...], tuple[ContainerPort, ...]] = {}
        # A pod's container ports as written ((containerPort, protocol, name), exact types) -> as parsed.
        self.raw_ports: dict[tuple[tuple[int, str | None, str | None], ...], tuple[ContainerPort, ...]] = {}

    def labels(self, labels: dict[str, str]) -> Mapping[str, str]:
        key = frozenset(labels.items())
        found = self._labels.get(key)
        if found is None:
            found = self._labels[key] = frozen_labels({sys.intern(k): sys.intern(v) for k, v in labels.items()})
        return found

    def ports(self, ports: tuple[ContainerPort, ...]) -> tuple[ContainerPort, ...]:
        if not ports:
            return ()
        return self._ports.setdefault(ports, ports)

    @staticmethod
    def text(value: str) -> str:
        return sys.intern(value)
