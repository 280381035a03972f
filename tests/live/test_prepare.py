"""The explorer resolves credentials before it owns the terminal; the next load reuses them once."""

from __future__ import annotations

from typing import Any

import pytest

from kubenet_tui.sources import live
from kubenet_tui.sources.base import Snapshot
from kubenet_tui.sources.live import LiveOptions, LiveSource


def test_prepare_runs_the_credential_step_once_and_load_reuses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    marker = object()

    def fake_connection(kubeconfig: Any, context: Any, **kw: Any) -> Any:
        calls.append("connect")
        return marker

    used: list[object] = []

    def fake_read(self: LiveSource, api: Any, connection: Any) -> Any:
        used.append(connection)
        return object()

    monkeypatch.setattr(live, "load_connection", fake_connection)
    monkeypatch.setattr(live, "KubeApi", lambda connection, timeout: type("A", (), {"close": lambda self: None})())
    monkeypatch.setattr(LiveSource, "_read", fake_read)
    monkeypatch.setattr(LiveSource, "_snapshot", lambda self, state, data_state: Snapshot.__new__(Snapshot))
    source = LiveSource(LiveOptions())
    source.prepare()
    source.load()
    assert calls == ["connect"] and used == [marker]
    source.load()  # a reload reads the kubeconfig and credentials afresh
    assert calls == ["connect", "connect"]
