"""Every gap is an honest UNKNOWN: regressions written from the reproductions of the trust issue.

Each test names the situation a new user met, what the tool answered (wrongly, confidently), and
checks what it answers now, through the same `check` command the user ran.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from engine.kit import check, cluster, load, namespace, netpol, pod

from kubenet_tui.cli import main
from kubenet_tui.engine.explain import Status
from kubenet_tui.sources.demo import demo_texts

GRAFANA = "monitoring/grafana-5b7c9-x2x8d"
API = "payments/api-6c5f7b-2xkqp"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any], str]:
    code = main(["check", *argv, "-o", "json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out.strip() else {}, captured.err


def demo_docs() -> list[dict[str, Any]]:
    ((_, text),) = demo_texts()
    return [d for d in yaml.safe_load_all(text) if d]


def write(tmp_path: Path, docs: list[dict[str, Any]], name: str = "cluster.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump_all(docs), encoding="utf-8")
    return str(path)


# -- 1. a Service's ClusterIP (and DNS names) as the destination --------------------------------------------


def test_a_cluster_ip_is_the_service_not_an_outside_address(capsys: pytest.CaptureFixture[str]) -> None:
    # Before: check grafana 10.96.10.20 --port 6379 said ALLOWED (exit 0) while svc/shop/db said BLOCKED.
    by_ip = run(capsys, GRAFANA, "10.96.10.20", "--port", "6379", "--demo")
    by_name = run(capsys, GRAFANA, "svc/shop/db", "--port", "6379", "--demo")
    assert by_ip[0] == by_name[0] == 1
    assert by_ip[1]["destination"] == {"kind": "service", "name": "shop/db"}
    assert by_ip[1]["status"] == by_name[1]["status"] == "blocked"


@pytest.mark.parametrize("name", ["db.shop", "db.shop.svc", "db.shop.svc.cluster.local", "db.shop.svc.corp.example"])
def test_service_dns_names_resolve_to_the_service(capsys: pytest.CaptureFixture[str], name: str) -> None:
    code, data, _ = run(capsys, "shop/frontend", name, "--port", "6379", "--demo")
    assert code == 0 and data["destination"]["name"] == "shop/db"


def test_an_address_in_the_service_range_that_nothing_owns_is_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    code, data, _ = run(capsys, "shop/frontend", "10.96.99.99", "--port", "80", "--demo")
    assert code == 3 and data["allowed"] is None
    assert "no pod or Service that was read has it" in data["summary"]
    assert "in-cluster-range" in {c["code"] for c in data["caveats"]}


def test_a_service_cannot_be_a_source_even_by_cluster_ip(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "10.96.10.20", "shop/db", "--port", "6379", "--demo")
    assert code == 2 and "cannot be a source" in err


# -- 2. namespaces that were not loaded -------------------------------------------------------------------


def test_files_without_namespaces_give_unknown_not_a_guess(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `kubectl get netpol,pods -A -o yaml | kubenet-tui check ... -f -`: no Namespace documents.
    docs = [d for d in demo_docs() if d["kind"] != "Namespace"]
    path = write(tmp_path, docs)
    # Before: BLOCKED (the demo says ALLOWED); api-from-shop selects namespaces by `team: web`.
    code, data, _ = run(capsys, "shop/frontend", API, "--port", "8443", "-f", path)
    assert code == 3 and data["allowed"] is None
    assert "kubectl get ns" in json.dumps(data["ingress"])  # how to include them
    # Before: ALLOWED (the demo says BLOCKED); the admin tier guards namespaces by label.
    code, data, _ = run(capsys, "shop/frontend", "vault/vault-0", "--port", "8200", "-f", path)
    assert code == 3 and data["allowed"] is None
    # (Selectors on the name label alone still decide: tests/engine, namespaces that were not loaded.)


# -- 4. policies that were seen but not evaluated ----------------------------------------------------------


OLD_ANP = {
    "apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
    "metadata": {"name": "deny-from-y"},
    "spec": {"priority": 10, "subject": {"namespaces": {"matchLabels": {"ns": "x"}}},
             "ingress": [{"name": "deny", "action": "Deny",
                          "from": [{"namespaces": {"namespaceSelector": {"matchLabels": {"ns": "y"}}}}]}]},
}


def xy() -> list[dict[str, Any]]:
    return [namespace("x", {"ns": "x"}), namespace("y", {"ns": "y"}),
            pod("x", "a", {"app": "a"}, ips=["10.1.0.1"]), pod("y", "b", {"app": "b"}, ips=["10.2.0.2"])]


def test_the_v0_1_admin_network_policy_shape_is_read() -> None:
    # policy-assistant's walkthrough still writes `namespaces: {namespaceSelector: ...}`.
    loaded = load(*xy(), OLD_ANP)
    assert not [p for p in loaded.problems if p.severity == "error"]
    verdict = check(loaded.cluster(), "y/b", "x/a", 80)
    assert verdict.status is Status.BLOCKED
    assert verdict.ingress.deciding_rules[0].name == "deny-from-y"


def test_an_admin_policy_that_cannot_be_read_makes_its_verdicts_unknown() -> None:
    relative = json.loads(json.dumps(OLD_ANP))
    relative["spec"]["ingress"][0]["from"] = [{"namespaces": {"sameLabels": ["team"]}}]
    c = load(*xy(), relative).cluster()
    verdict = check(c, "y/b", "x/a", 80)
    # Before: ALLOWED with no caveat; the policy was dropped with a stderr line.
    assert verdict.status is Status.UNKNOWN
    assert "deny-from-y" in verdict.ingress.summary and "sameLabels" in verdict.ingress.summary
    assert verdict.assumed_status is Status.ALLOWED


def test_a_calico_network_policy_is_not_read_as_a_kubernetes_one() -> None:
    calico = {"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
              "metadata": {"name": "deny-db", "namespace": "x"},
              "spec": {"selector": "app == 'a'", "types": ["Ingress"], "ingress": [{"action": "Deny"}]}}
    c = load(*xy(), calico).cluster()
    # Before: parsed as a Kubernetes NetworkPolicy with no podSelector: it isolated all of x, BLOCKED.
    assert c.network_policies == ()
    verdict = check(c, "y/b", "x/a", 80)
    assert verdict.status is Status.UNKNOWN and "Calico" in verdict.ingress.summary
    # Pods of other namespaces are not its subjects: their verdicts stay known.
    c = load(*xy(), pod("y", "c", {"app": "c"}, ips=["10.2.0.3"]), calico).cluster()
    assert check(c, "y/b", "y/c", 80).status is Status.ALLOWED


def test_a_cilium_policy_is_evaluated_as_cilium_and_unknown_to_the_upstream_reading() -> None:
    from dataclasses import replace

    from kubenet_tui.engine.profiles import Profile

    cnp = {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": "deny", "namespace": "x"},
           "spec": {"endpointSelector": {}, "ingressDeny": [{"fromEndpoints": [{}]}]}}
    c = load(*xy(), cnp).cluster()
    # Before: ALLOWED, exit 0, with only a stderr note about an ignored kind. Cilium's own objects make
    # the files a Cilium cluster: its deny section switches default deny on for x's pods.
    assert check(c, "y/b", "x/a", 80).status is Status.BLOCKED
    assert check(replace(c, profile_override=Profile.UPSTREAM), "y/b", "x/a", 80).status is Status.UNKNOWN
    ccnp = {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": "deny"},
            "spec": {"endpointSelector": {}, "egressDeny": [{"toEntities": ["world"]}]}}
    c = load(*xy(), ccnp).cluster()
    assert check(c, "x/a", "y/b", 80).status is Status.BLOCKED
    assert check(replace(c, profile_override=Profile.UPSTREAM), "x/a", "y/b", 80).status is Status.UNKNOWN


def test_staged_calico_policies_are_never_enforced_and_change_nothing() -> None:
    staged = {"apiVersion": "projectcalico.org/v3", "kind": "StagedNetworkPolicy",
              "metadata": {"name": "try", "namespace": "x"}, "spec": {"selector": "all()", "types": ["Ingress"]}}
    assert check(load(*xy(), staged).cluster(), "y/b", "x/a", 80).status is Status.ALLOWED


def test_a_network_policy_of_an_unknown_version_is_unknown() -> None:
    future = netpol("x", "next", {"podSelector": {}})
    future["apiVersion"] = "networking.k8s.io/v2"
    c = load(*xy(), future).cluster()
    assert check(c, "y/b", "x/a", 80).status is Status.UNKNOWN


# -- 8. no port: which ports are allowed -------------------------------------------------------------------


def test_without_a_port_the_answer_is_which_ports(capsys: pytest.CaptureFixture[str]) -> None:
    # Before: "is every port allowed?" - nearly always BLOCKED, and the fix opened every TCP port.
    code, data, _ = run(capsys, "shop/frontend", "shop/db", "--demo")
    assert code == 1  # not every port is allowed
    allowed = [(p["protocol"], p["from"], p["to"]) for p in data["ports"] if p["allowed"]]
    assert allowed == [("TCP", 6379, 6379)]
    (redis,) = [p for p in data["ports"] if p["from"] == 6379 and p["protocol"] == "TCP"]
    assert redis["names"] == ["redis"] and redis["decidingRules"][0]["name"] == "test-network-policy"
    # The destination's declared ports each get a line, allowed or not.
    declared = {(p["protocol"], p["from"]) for p in data["ports"] if p["declared"]}
    assert declared == {("TCP", 6379), ("TCP", 9121)}
    assert {p["protocol"] for p in data["ports"]} == {"TCP", "UDP", "SCTP"}


def test_a_protocol_alone_asks_about_its_ports(capsys: pytest.CaptureFixture[str]) -> None:
    code, data, _ = run(capsys, API, "kube-system/coredns-7db6d8ff4d-4n2xz", "--port", "udp", "--demo")
    assert {p["protocol"] for p in data["ports"]} == {"UDP"}
    assert [(p["from"], p["allowed"]) for p in data["ports"] if p["declared"]] == [(53, True)]
    assert code == 1


def test_every_port_allowed_is_exit_zero(capsys: pytest.CaptureFixture[str]) -> None:
    code, data, _ = run(capsys, GRAFANA, "monitoring/prometheus-0", "--demo")
    assert code == 0 and data["status"] == "allowed"


# -- 10. a Service with no endpoints ----------------------------------------------------------------------


def test_a_service_without_backends_carries_no_traffic(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    orphan = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "orphan", "namespace": "shop"},
              "spec": {"selector": {"app": "gone"}, "clusterIP": "10.96.10.99", "ports": [{"port": 80}]}}
    path = write(tmp_path, [*demo_docs(), orphan])
    # Before: BLOCKED, exit 1, which sends the reader to the policies.
    code, data, _ = run(capsys, "shop/frontend", "svc/shop/orphan", "--port", "80", "-f", path)
    assert code == 3 and data["status"] == "not-evaluated"
    assert "selector app=gone matches no pod" in data["summary"]


# -- P2: how ends and ports are typed ----------------------------------------------------------------------


@pytest.mark.parametrize(("argv", "source", "destination"), [
    (("frontend", "db", "-n", "shop"), "shop/frontend", "shop/db"),
    (("pod/shop/frontend", "pod/shop/db"), "shop/frontend", "shop/db"),
    (("frontend", "ledger-0"), "shop/frontend", "payments/ledger-0"),  # unique in the cluster
    (("worker", "ledger", "-n", "payments"), "payments/worker-58d4c-hq7vn", "payments/ledger"),
])
def test_ends_can_be_written_as_people_write_them(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...],
                                                   source: str, destination: str) -> None:
    code, data, err = run(capsys, *argv, "--port", "5432", "--demo")
    assert code in (0, 1), err
    assert data["source"]["name"] == source
    assert data["destination"]["name"] == destination


def test_one_port_syntax_with_the_protocol(capsys: pytest.CaptureFixture[str]) -> None:
    code, data, _ = run(capsys, API, "kube-system/coredns-7db6d8ff4d-4n2xz", "--port", "53/udp", "--demo")
    assert code == 0 and (data["protocol"], data["port"]) == ("UDP", 53)
    code, _, err = run(capsys, API, "kube-system/coredns-7db6d8ff4d-4n2xz", "--port", "53/udp", "--protocol", "tcp",
                       "--demo")
    assert code == 2 and "UDP" in err and "TCP" in err


def test_a_cidr_is_not_an_end(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "10.0.0.0/8", "shop/db", "--port", "6379", "--demo")
    assert code == 2 and "an end is one address" in err


def test_the_policy_types_trap_is_named_with_its_fix() -> None:
    # An egress-only policy written without policyTypes also isolates ingress (API defaulting).
    c = cluster(*xy(), netpol("x", "egress-only", {"podSelector": {}, "egress": [{"to": [{"ipBlock": {
        "cidr": "0.0.0.0/0"}}]}]}))
    verdict = check(c, "y/b", "x/a", 80)
    assert verdict.status is Status.BLOCKED
    assert "policy-types-defaulted" in {c.code for c in verdict.caveats}
    (fix, *_) = verdict.suggestions
    assert fix.kind == "policy-types" and fix.fragment == {"spec": {"policyTypes": ["Egress"]}}


# -- gaps the closing review found in the regressions above -------------------------------------------------


def test_every_cluster_ip_of_a_dual_stack_service_is_the_service(capsys: pytest.CaptureFixture[str],
                                                                  tmp_path: Path) -> None:
    docs = demo_docs()
    for doc in docs:
        if doc.get("kind") == "Service" and doc["metadata"] == {**doc["metadata"], "name": "db", "namespace": "shop"}:
            doc["spec"]["ipFamilies"] = ["IPv4", "IPv6"]
            doc["spec"]["clusterIPs"] = [doc["spec"]["clusterIP"], "fd00:10:96::a14"]
    path = write(tmp_path, docs)
    by_v4 = run(capsys, "shop/frontend", "10.96.10.20", "--port", "6379", "-f", path)
    by_v6 = run(capsys, "shop/frontend", "fd00:10:96::a14", "--port", "6379", "-f", path)
    assert by_v4[1]["destination"] == by_v6[1]["destination"] == {"kind": "service", "name": "shop/db"}
    assert by_v4[0] == by_v6[0] == 0


def test_a_service_whose_endpoints_are_not_ready_carries_no_traffic(capsys: pytest.CaptureFixture[str],
                                                                    tmp_path: Path) -> None:
    slice_ = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
              "metadata": {"name": "db-abcde", "namespace": "shop", "labels": {"kubernetes.io/service-name": "db"}},
              "addressType": "IPv4", "ports": [{"name": "redis", "port": 6379, "protocol": "TCP"}],
              "endpoints": [{"addresses": ["10.244.2.20"], "conditions": {"ready": False},
                             "targetRef": {"kind": "Pod", "namespace": "shop", "name": "db"}}]}
    docs = [d for d in demo_docs() if not (d.get("kind") == "EndpointSlice" and d["metadata"]["namespace"] == "shop"
                                           and d["metadata"].get("labels", {}).get("kubernetes.io/service-name") == "db")]
    path = write(tmp_path, [*docs, slice_])
    # Before: BLOCKED or ALLOWED by the policies, as if a backend that is not ready received the traffic.
    code, data, _ = run(capsys, "shop/frontend", "svc/shop/db", "--port", "6379", "-f", path)
    assert code == 3 and data["status"] == "not-evaluated"
    assert "none of its 1 endpoints can receive it (endpoint not ready" in data["summary"]


def test_isolation_that_cannot_be_told_is_null_in_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    info = {"apiVersion": "kubenet-tui.dev/v1", "kind": "SnapshotInfo", "metadata": {"name": "snapshot"},
            "unreadable": [{"resource": "networkpolicies", "namespace": "shop", "reason": "forbidden",
                            "kind": "forbidden"}], "notices": []}
    docs = [d for d in demo_docs() if not (d.get("kind") == "NetworkPolicy" and d["metadata"]["namespace"] == "shop")]
    path = write(tmp_path, [info, *docs])
    code, data, _ = run(capsys, GRAFANA, "shop/db", "--port", "6379", "-f", path)
    assert code == 3 and data["allowed"] is None
    assert data["ingress"]["isolated"] is None  # not false: whether policies select shop/db is not known
    assert data["egress"]["isolated"] is False  # monitoring's policies were read: none selects grafana


def test_the_overview_suggests_the_demo_only_for_the_demo(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # Output that is not a terminal gets the plain overview: its last line is a command to try next.
    assert main(["--demo"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("--port 6379 --demo")
    assert main(["-f", write(tmp_path, demo_docs())]) == 0
    last = capsys.readouterr().out.rstrip().splitlines()[-1]
    assert "--demo" not in last and last.startswith("Try: kubenet-tui check NAMESPACE/POD")
