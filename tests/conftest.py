"""Suite-wide settings."""

from __future__ import annotations

import os

import pytest


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """One worker more than the cores we may run on: a good share of the suite waits rather than computes
    (Textual's pilot between keys, a real app in tmux, an emulated API server's timeouts), and a spare
    worker uses that time. With one core the suite runs in this process."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores + 1 if cores > 1 else 0
