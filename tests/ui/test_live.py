"""The explorer on the live source against the emulated API server (tests/live/apiserver.py): the data
state in the header, the verdict following a watched change, and a dead server leaving the last data
on screen, marked stale."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from kubenet_tui.engine.explain import Status
from kubenet_tui.sources.demo import demo_texts
from kubenet_tui.sources.spec import SourceSpec
from kubenet_tui.ui.app import make_app
from tests.ui.fakes import screen_text
from tests.ui.helpers import ALLOWED_6379, keys

APISERVER = Path(__file__).resolve().parent.parent / "live" / "apiserver.py"


def _apiserver() -> ModuleType:
    pytest.importorskip("trustme")
    if not APISERVER.exists():
        pytest.skip("the API server emulator is not in the tree")
    spec = importlib.util.spec_from_file_location("kubenet_ui_apiserver", APISERVER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    """An emulated API server holding the demo's objects, and a kubeconfig for it (never the user's)."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    for proxy in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    module = _apiserver()
    server = module.FakeApiServer().start()
    for _, text in demo_texts():
        for obj in yaml.safe_load_all(text):
            if obj and obj.get("kind") in module.KIND_TO_PLURAL:
                server.put(obj)
    kubeconfig = server.kubeconfig(tmp_path / "kubeconfig", context="fake-prod", namespace="shop")
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    try:
        yield server, kubeconfig
    finally:
        server.stop()


async def test_live_watch_flips_the_verdict_and_a_dead_server_goes_stale(api: tuple[Any, Path]) -> None:
    from kubenet_tui.sources.live import LiveOptions, LiveSource

    server, kubeconfig = api
    source = LiveSource(LiveOptions(kubeconfig=str(kubeconfig), request_timeout=3.0))
    app = make_app(SourceSpec(kubeconfig=str(kubeconfig), request_timeout=3.0), source=source)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(200):
            await pilot.pause(0.05)
            if app.model is not None:
                break
        text = screen_text(app)
        assert "● live" in text or "● watching" in text
        assert "ctx fake-prod" in text and "ns shop" in text  # the context's namespace
        await keys(pilot, *ALLOWED_6379)
        assert app.evaluation is not None and app.evaluation.status is Status.ALLOWED

        server.delete("NetworkPolicy", "test-network-policy", "shop")
        for _ in range(200):
            await pilot.pause(0.05)
            if app.evaluation is not None and app.evaluation.status is Status.BLOCKED:
                break
        text = screen_text(app)
        assert "✗ BLOCKED" in text
        assert "the cluster changed: the verdict is now BLOCKED (was ALLOWED)" in text

        server.stop()
        await keys(pilot, "r")
        for _ in range(200):
            await pilot.pause(0.05)
            if "◐ stale" in screen_text(app):
                break
        text = screen_text(app)
        assert "◐ stale" in text and "✗ BLOCKED" in text  # the last data stays, marked stale
