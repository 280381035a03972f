"""`--request-timeout` as kubectl takes it (issue 9, P2): `5s`, `1m`, `1500ms`, a bare number of seconds,
and `0` for no timeout. The default stays 10 s; 0 lifts the bound on waiting for an answer, while
connecting stays bounded (as client-go's dialer is) and the watch keeps its dead-link bound."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from apiserver import FakeApiServer
from conftest import shop_cluster

from kubenet_tui.cli import main
from kubenet_tui.sources.kubeapi import CONNECT_BOUND, KubeApi
from kubenet_tui.sources.kubeconfig import load_connection


def test_zero_means_no_read_bound_and_a_bounded_connect(server: FakeApiServer, kubeconfig: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    server.put_many(shop_cluster())
    seen: list[Any] = []
    for timeout, expected in ((0.0, (CONNECT_BOUND, None)), (5.0, (5.0, 5.0))):
        api = KubeApi(load_connection(str(kubeconfig), None), timeout)
        real = api.client.call_api

        def spy(*args: Any, _real: Any = real, **kwargs: Any) -> Any:
            seen.append(kwargs["_request_timeout"])
            return _real(*args, **kwargs)

        monkeypatch.setattr(api.client, "call_api", spy)
        api.get_json("/api/v1/namespaces")
        assert seen[-1] == expected
        watch = api.watch("/api/v1/pods", "1", 60)
        watch.close()
        assert seen[-1] == (expected[0], 60 + expected[0])
        api.close()


def test_check_with_request_timeout_zero_reads_the_cluster(server: FakeApiServer, kubeconfig: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    server.put_many(shop_cluster())
    code = main(["check", "shop/frontend", "shop/db", "--port", "6379", "--kubeconfig", str(kubeconfig),
                 "--request-timeout", "0", "-q"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out.startswith("✔ ALLOWED")


def test_a_duration_with_a_unit_bounds_a_silent_server(server: FakeApiServer, kubeconfig: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    server.silent = True
    start = time.monotonic()
    code = main(["check", "shop/frontend", "shop/db", "--kubeconfig", str(kubeconfig), "--request-timeout", "1500ms"])
    took = time.monotonic() - start
    err = capsys.readouterr().err
    assert code == 2
    assert "sent no answer within 1.5 s" in err
    assert took < 10


def test_zero_keeps_waiting_for_a_slow_answer(server: FakeApiServer, kubeconfig: Path) -> None:
    """With 0 the client waits past any bound a number would set; it ends here only because the
    server hangs up."""
    server.silent = True
    done: list[int] = []
    thread = threading.Thread(target=lambda: done.append(main(
        ["check", "shop/frontend", "shop/db", "--kubeconfig", str(kubeconfig), "--request-timeout", "0"])),
        daemon=True)
    thread.start()
    thread.join(2.5)
    assert thread.is_alive() and not done  # 1 s or 2 s would have given up by now
    server.closing.set()  # the silent handler hangs up
    thread.join(30)
    assert done == [2]
