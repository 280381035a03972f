"""Outside endpoints as either end (SEMANTICS.md 1): an IP address has no policies of its own, so
only the pod side is evaluated; IPv4 and IPv6; --port applies as usual; named ports never match
an outside endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tiers.kit import Obj, netpol

from kubenet_tui.cli import main

from .svckit import API_NEW, FRONTEND, FRONTEND_IP, service, shop_objects, sport, write_cluster

API_FROM_DOC_V6 = netpol("payments", "api-from-doc-v6", {"matchLabels": {"app": "api"}}, ["Ingress"],
                         ingress=[{"from": [{"ipBlock": {"cidr": "2001:db8::/32"}}], "ports": [{"port": "https"}]}])
FRONTEND_EGRESS_V6_ONLY = netpol("shop", "frontend-egress", {"matchLabels": {"app": "frontend"}}, ["Egress"],
                                 egress=[{"to": [{"ipBlock": {"cidr": "::/0"}}], "ports": [{"port": 443}]}])
FRONTEND_EGRESS_NAMED = netpol("shop", "frontend-egress", {"matchLabels": {"app": "frontend"}}, ["Egress"],
                               egress=[{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": "http"}]}])


@pytest.fixture
def check_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    def _run(extra: list[Obj], *args: str) -> tuple[int, Any, str]:
        path = write_cluster(tmp_path, [*shop_objects(), *extra])
        code = main(["check", *args, "-f", path, "-o", "json"])
        out, err = capsys.readouterr()
        return code, (json.loads(out) if out else None), err

    return _run


def test_ipv6_source_only_ingress_is_evaluated(check_json: Any) -> None:
    code, data, _ = check_json([API_FROM_DOC_V6], "2001:db8::1", API_NEW, "--port", "8443")
    assert code == 0
    assert data["source"] == {"kind": "ip", "name": "2001:db8::1", "ips": ["2001:db8::1"]}
    assert data["egress"]["evaluated"] is False
    assert data["egress"]["allowed"] is True
    assert "outside the cluster" in data["egress"]["summary"]
    assert data["ingress"]["evaluated"] is True
    assert data["ingress"]["decidedBy"] == "NetworkPolicy"
    assert data["ingress"]["decidingRules"][0]["name"] == "api-from-doc-v6"


def test_ipv4_source_outside_an_ipv6_block_is_blocked(check_json: Any) -> None:
    code, data, _ = check_json([API_FROM_DOC_V6], "203.0.113.5", API_NEW, "--port", "8443")
    assert code == 1
    assert data["ingress"]["allowed"] is False
    assert data["egress"]["evaluated"] is False


def test_ipv6_source_on_another_port_is_blocked(check_json: Any) -> None:
    code, _, _ = check_json([API_FROM_DOC_V6], "2001:db8::1", API_NEW, "--port", "9090")
    assert code == 1


@pytest.mark.parametrize(("destination", "code"), [("2001:db8::443", 0), ("198.51.100.1", 1)])
def test_outside_destination_only_egress_is_evaluated(check_json: Any, destination: str, code: int) -> None:
    result, data, _ = check_json([FRONTEND_EGRESS_V6_ONLY], FRONTEND, destination, "--port", "443")
    assert result == code
    assert data["destination"]["kind"] == "ip"
    assert data["ingress"]["evaluated"] is False
    assert data["egress"]["evaluated"] is True
    assert data["egress"]["decidedBy"] == "NetworkPolicy"


def test_named_port_cannot_be_resolved_on_an_outside_destination(check_json: Any) -> None:
    code, data, err = check_json([], FRONTEND, "203.0.113.5", "--port", "https")
    assert code == 2
    assert data is None
    assert "not a pod" in err


def test_named_port_rule_never_matches_an_outside_destination(check_json: Any) -> None:
    # the frontend's own container port `http` is 8080; an outside address has no named ports at all
    code, data, _ = check_json([FRONTEND_EGRESS_NAMED], FRONTEND, "203.0.113.5", "--port", "8080")
    assert code == 1
    (policy,) = [p for t in data["egress"]["tiers"] for p in t["policies"] if p["name"] == "frontend-egress"]
    (port_check,) = policy["rules"][0]["ports"]
    assert port_check["matched"] is False
    assert "outside" in port_check["reason"]


def test_both_ends_outside_is_an_input_error(check_json: Any) -> None:
    code, data, err = check_json([], "203.0.113.5", "2001:db8::1", "--port", "443")
    assert code == 2
    assert data is None
    assert "at least one end must be a pod" in err


def test_pod_ip_stands_for_the_pod(check_json: Any) -> None:
    code, data, _ = check_json([], FRONTEND_IP, API_NEW, "--port", "8443")
    assert code == 0
    assert data["source"]["kind"] == "pod"
    assert data["source"]["name"] == FRONTEND
    assert data["egress"]["evaluated"] is True


def test_outside_source_to_a_service(check_json: Any) -> None:
    public = service("payments", "public", {"app": "api"}, [sport("https", 443, "https")], "LoadBalancer")
    code, data, _ = check_json([API_FROM_DOC_V6, public], "2001:db8::1", "svc/payments/public", "--port", "443")
    assert code == 0
    assert data["source"]["kind"] == "ip"
    for backend in data["backends"]:
        assert backend["verdict"]["egress"]["evaluated"] is False
        assert backend["verdict"]["ingress"]["evaluated"] is True
    assert "service-external-source" in [c["code"] for c in data["caveats"]]


def test_outside_source_to_a_cluster_ip_service_is_flagged(check_json: Any) -> None:
    code, data, _ = check_json([API_FROM_DOC_V6], "2001:db8::1", "svc/payments/api", "--port", "443")
    assert code == 0
    assert "cluster-ip-from-outside" in [c["code"] for c in data["caveats"]]
