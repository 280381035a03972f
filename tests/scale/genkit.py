"""Access to `benchmarks/generate.py` (a script, not a package) and a helper to load its output."""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.sources.parse import ObjectCollector

GENERATOR = Path(__file__).resolve().parents[2] / "benchmarks" / "generate.py"


@cache
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kubenet_bench_generate", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def load(objects: list[dict[str, Any]]) -> Cluster:
    """Objects through the real loader; the generator must never produce an invalid object."""
    collector = ObjectCollector()
    collector.add_many(objects, "generated")
    errors = [p.describe() for p in collector.problems if p.severity == "error"]
    assert not errors, errors
    return collector.cluster()
