"""The explorer on the live source against the emulated API server (tests/live/apiserver.py): the data
state in the header, the verdict following a watched change, and a dead server leaving the last data
on screen, marked stale."""

from __future__ import annotations

import asyncio
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
from kubenet_tui.ui.screens import ContextScreen, HelpScreen
from tests.processes import alive
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
        await until(pilot, lambda: app.model is not None)
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
        await pilot.pause()  # the handler has run; let the frame that shows it be drawn
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
        # ... with since when and why, over the verdict too (issue 9, item 13).
        assert "◐ stale since" in text and "this verdict is on the last data read" in text


def multi_kubeconfig(server: Any, path: Path, contexts: dict[str, dict[str, Any]]) -> Path:
    """One kubeconfig with several contexts on the emulator: name → {"namespace": ..., "user": {...}}."""
    import base64

    ca = base64.b64encode(server.ca.cert_pem.bytes()).decode()
    config: dict[str, Any] = {
        "apiVersion": "v1", "kind": "Config", "current-context": next(iter(contexts)),
        "clusters": [{"name": "emulator", "cluster": {"server": server.url, "certificate-authority-data": ca}}],
        "users": [], "contexts": [],
    }
    for name, options in contexts.items():
        config["users"].append({"name": f"{name}-user", "user": options.get("user") or {"token": server.token}})
        context = {"cluster": "emulator", "user": f"{name}-user"}
        if options.get("namespace"):
            context["namespace"] = options["namespace"]
        config["contexts"].append({"name": name, "context": context})
    path.write_text(yaml.safe_dump(config))
    return path


async def until(pilot: Any, check: Any, seconds: float = 10.0) -> None:
    """Until `check()` holds, then until the frame showing it is drawn."""
    for _ in range(int(seconds / 0.05)):
        if check():
            await pilot.pause()
            return
        await pilot.pause(0.05)
    raise AssertionError("the app never got there; the screen shows:\n" + screen_text(pilot.app))


async def test_ns_and_ctx_re_scope_a_live_cluster_read_with_n(api: tuple[Any, Path], tmp_path: Path) -> None:
    """Issue 9, item 12: with -n shop, `:ns payments` showed "No pods" and `:ctx` kept shop."""
    server, _ = api
    kubeconfig = multi_kubeconfig(server, tmp_path / "kc", {"fake-prod": {"namespace": "kube-system"},
                                                            "fake-staging": {"namespace": "payments"}})
    spec = SourceSpec(kubeconfig=str(kubeconfig), namespaces=("shop",), request_timeout=3.0)
    app = make_app(spec, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.model is not None)
        assert "ns shop" in screen_text(app) and "frontend" in screen_text(app)
        await keys(pilot, ":", "ns payments", "enter")
        await until(pilot, lambda: app.model is not None and app.scope == "payments")
        text = screen_text(app)
        assert "ledger-0" in text and "No pods" not in text

        await keys(pilot, ":", "ctx", "enter")  # alone: the picker
        assert isinstance(app.screen, ContextScreen)
        assert "fake-prod" in screen_text(app) and "fake-staging" in screen_text(app)
        await keys(pilot, "escape")  # cancels
        assert not isinstance(app.screen, ContextScreen) and app.scope == "payments"
        await keys(pilot, ":", "ctx", "enter", "down", "enter")
        await until(pilot, lambda: app.model is not None and app.state.context == "fake-staging")
        text = screen_text(app)
        assert "ctx fake-staging" in text and "ns payments" in text  # its own namespace, not -n shop


LOGIN_PLUGIN = """#!{python}
import os, sys, time
open({pid!r}, "w").write(str(os.getpid()))
print("To sign in, open https://login.example/device and enter code WXYZ-1234", file=sys.stderr, flush=True)
time.sleep(60)
"""


def login_kubeconfig(server: Any, tmp_path: Path) -> tuple[Path, Path]:
    pid = tmp_path / "plugin.pid"
    plugin = tmp_path / "cloud-login"
    plugin.write_text(LOGIN_PLUGIN.format(python=sys.executable, pid=str(pid)))
    plugin.chmod(0o755)
    kubeconfig = multi_kubeconfig(server, tmp_path / "kc", {
        "fake-prod": {"namespace": "shop"},
        "login": {"user": {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": str(plugin)}}},
    })
    return kubeconfig, pid


async def test_ctx_to_a_context_whose_plugin_waits_for_a_login_is_bounded(api: tuple[Any, Path],
                                                                         tmp_path: Path) -> None:
    """Issue 9, item 5: `:ctx` to a context whose exec plugin needs the user hung forever. Without a
    terminal to hand over (headless here), the plugin runs detached: the keys stay the explorer's, and
    at the bound it is stopped, its message shown."""
    server, _ = api
    kubeconfig, pid = login_kubeconfig(server, tmp_path)
    spec = SourceSpec(kubeconfig=str(kubeconfig), request_timeout=3.0, credential_timeout=2.0)
    app = make_app(spec, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.model is not None)
        await keys(pilot, ":", "ctx login", "enter")
        await until(pilot, lambda: alive(pid))
        await keys(pilot, "?")  # the explorer still has the keyboard
        assert isinstance(app.screen, HelpScreen)
        await keys(pilot, "escape")
        await until(pilot, lambda: app.state.load_error is not None)
        text = " ".join(screen_text(app).replace("│", " ").split())  # the notice wraps in its box
        assert "did not finish within 2 s" in text and "enter code WXYZ-1234" in text
        assert not alive(pid)


async def test_quitting_while_a_plugin_runs_leaves_no_child(api: tuple[Any, Path], tmp_path: Path) -> None:
    server, _ = api
    kubeconfig, pid = login_kubeconfig(server, tmp_path)
    app = make_app(SourceSpec(kubeconfig=str(kubeconfig), context="login", credential_timeout=60), watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: alive(pid))
        await keys(pilot, "q")
    # SIGKILL is at once, but on a loaded machine the app's exit can take a while to get to it.
    deadline = asyncio.get_running_loop().time() + 10
    while alive(pid) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.02)
    assert not alive(pid)
