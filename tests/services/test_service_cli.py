"""`check SOURCE svc/NAMESPACE/NAME` as scripts use it: exit codes (0 only when every backend is
allowed), the JSON contract (`allowed`, `backends: [{pod, port, allowed, ...}]`), the text headline
that makes "some backends blocked" stand out, and the input errors (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tiers.kit import Obj

from kubenet_tui.cli import main

from .svckit import (
    API_NEW,
    API_NEW_IP,
    API_OLD,
    FRONTEND,
    api_only_from_frontend_on,
    endpoint,
    endpoint_slice,
    service,
    shop_objects,
    sport,
    write_cluster,
)

SVC = "svc/payments/api"


@pytest.fixture
def run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    """run(objects, *args) -> (exit code, stdout, stderr) of `check` on a file holding the shop plus objects."""

    def _run(extra: list[Obj], *args: str) -> tuple[int, str, str]:
        path = write_cluster(tmp_path, [*shop_objects(), *extra])
        code = main(["check", *args, "-f", path])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def test_some_backends_blocked_json(run: Any) -> None:
    code, out, _ = run([api_only_from_frontend_on(8443)], FRONTEND, SVC, "--port", "443", "-o", "json")
    assert code == 1
    data = json.loads(out)
    assert data["allowed"] is False
    assert data["status"] == "blocked"
    assert data["destination"] == {"kind": "service", "name": "payments/api"}
    assert data["servicePort"] == {"name": "https", "port": 443, "targetPort": "https", "protocol": "TCP"}
    backends = {b["pod"]: b for b in data["backends"]}
    assert set(backends) == {API_NEW, API_OLD}
    assert (backends[API_NEW]["port"], backends[API_NEW]["allowed"]) == (8443, True)
    assert (backends[API_OLD]["port"], backends[API_OLD]["allowed"]) == (8080, False)
    # each backend carries its own explanation
    old = backends[API_OLD]["verdict"]
    assert old["allowed"] is False
    assert old["port"] == 8080 and old["portName"] == "https"
    assert old["ingress"]["decidedBy"] == "NetworkPolicy"
    assert old["ingress"]["isolatingPolicies"] == ["payments/api-from-frontend"]
    assert backends[API_NEW]["verdict"]["ingress"]["decidingRules"][0]["name"] == "api-from-frontend"


def test_some_backends_blocked_text_stands_out(run: Any) -> None:
    code, out, _ = run([api_only_from_frontend_on(8443)], FRONTEND, SVC, "--port", "443")
    assert code == 1
    headline = out.splitlines()[0]
    assert "SOME BACKENDS BLOCKED" in headline
    assert "1 of 2 backends allowed" in headline
    assert f"backend {API_OLD} on port 8080" in out
    assert f"backend {API_NEW} on port 8443" in out


def test_all_backends_allowed(run: Any) -> None:
    code, out, _ = run([api_only_from_frontend_on("https")], FRONTEND, SVC, "--port", "https", "-o", "json")
    assert code == 0
    data = json.loads(out)
    assert data["allowed"] is True
    assert [b["allowed"] for b in data["backends"]] == [True, True]
    code, out, _ = run([api_only_from_frontend_on("https")], FRONTEND, SVC, "--port", "https")
    assert code == 0
    assert out.splitlines()[0].startswith("✔ ALLOWED")
    assert "2 of 2 backends allowed" in out.splitlines()[0]


def test_all_backends_blocked(run: Any) -> None:
    code, out, _ = run([api_only_from_frontend_on(9999)], FRONTEND, SVC, "--port", "443")
    assert code == 1
    headline = out.splitlines()[0]
    assert headline.startswith("✗ BLOCKED")
    assert "SOME BACKENDS" not in headline
    code, out, _ = run([api_only_from_frontend_on(9999)], FRONTEND, SVC, "--port", "443", "-o", "json")
    assert json.loads(out)["allowed"] is False


def test_not_ready_endpoint_does_not_block_and_is_listed(run: Any) -> None:
    objs = [service("payments", "legacy", None, [sport("https", 443, 8443)]),
            endpoint_slice("payments", "legacy-1", "legacy",
                           [endpoint(API_NEW_IP, True, "api-new"), endpoint("203.0.113.11", False)],
                           [{"name": "https", "port": 8443, "protocol": "TCP"}])]
    code, out, _ = run(objs, FRONTEND, "svc/payments/legacy", "--port", "443", "-o", "json")
    assert code == 0
    data = json.loads(out)
    assert data["allowed"] is True
    assert data["backendsFrom"] == "EndpointSlices"
    not_ready = next(b for b in data["backends"] if b["pod"] == "203.0.113.11")
    assert (not_ready["ready"], not_ready["allowed"]) == (False, None)
    assert "not ready" in not_ready["note"]
    assert "verdict" not in not_ready


def test_unknown_backends_exit_3(run: Any) -> None:
    code, out, _ = run([service("payments", "ghost", None, [sport("https", 443, 8443)])],
                       FRONTEND, "svc/payments/ghost", "--port", "443", "-o", "json")
    assert code == 3
    assert json.loads(out)["allowed"] is None


def test_service_as_source_is_an_error(run: Any) -> None:
    code, out, err = run([], SVC, API_NEW, "--port", "8443")
    assert code == 2
    assert out == ""
    assert "a Service cannot be a source" in err


@pytest.mark.parametrize(("args", "words"), [
    (("--port", "8443"), ["targetPort", "--port 443"]),
    (("--port", "444"), ["does not expose", "443/TCP (https)"]),
])
def test_port_mistakes_are_explained(run: Any, args: tuple[str, ...], words: list[str]) -> None:
    code, out, err = run([], FRONTEND, SVC, *args)
    assert code == 2
    assert out == ""
    for word in words:
        assert word in err


def test_several_ports_without_port_is_an_error(run: Any) -> None:
    multi = service("payments", "multi", {"app": "api"}, [sport("https", 443, "https"), sport("metrics", 9100, "metrics")])
    code, _, err = run([multi], FRONTEND, "svc/payments/multi")
    assert code == 2
    assert "choose one with --port" in err


def test_node_port_caveat_in_json(run: Any) -> None:
    public = service("payments", "public", {"app": "api"}, [sport("https", 443, "https", node_port=30443)], "NodePort")
    code, out, _ = run([public], FRONTEND, "svc/payments/public", "-o", "json")
    assert code == 0
    assert "service-external-source" in [c["code"] for c in json.loads(out)["caveats"]]
