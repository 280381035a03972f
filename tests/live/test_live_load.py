"""Loading a cluster through the official client from the emulated API server: what is read, how, and
that verdicts match the same objects loaded from files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from apiserver import FakeApiServer, Rbac, namespace, network_policy, pod
from conftest import shop_cluster

from kubenet_tui.cli import main
from kubenet_tui.engine.evaluate import evaluate, resolve_end
from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.profiles import Profile
from kubenet_tui.sources.base import DataState
from kubenet_tui.sources.live import LiveOptions, LiveSource

ANP = {
    "apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
    "metadata": {"name": "deny-payments"},
    "spec": {"priority": 10, "subject": {"namespaces": {"matchLabels": {"team": "pay"}}},
             "ingress": [{"name": "deny-all", "action": "Deny", "from": [{"namespaces": {}}]}]},
}


def live(kubeconfig: Path, **kw: object) -> LiveSource:
    return LiveSource(LiveOptions(kubeconfig=str(kubeconfig), request_timeout=3, **kw))  # type: ignore[arg-type]


def verdict(snapshot_cluster: object, src: str, dst: str, port: int | None = None) -> Status:
    index = snapshot_cluster.index  # type: ignore[attr-defined]
    return evaluate(snapshot_cluster, resolve_end(index, src), resolve_end(index, dst), port=port).status  # type: ignore[arg-type]


def test_load_reads_every_kind_the_engine_needs(server: FakeApiServer, kubeconfig: Path) -> None:
    # GIVEN a cluster with namespaces, pods, a service with its slice, policies, a node and a secret
    server.put_many(shop_cluster())
    # WHEN it is loaded live
    snapshot = live(kubeconfig).load()
    # THEN everything but the Secret is there, labelled with where it came from
    cluster = snapshot.cluster
    assert {ns.name for ns in cluster.namespaces} == {"shop", "payments", "kube-system"}
    assert {p.key for p in cluster.pods} == {"shop/frontend", "shop/db", "payments/api",
                                             "kube-system/calico-node-x7k2p"}
    assert [s.key for s in cluster.services] == ["shop/db"]
    assert [e.service_name for e in cluster.endpoint_slices] == ["db"]
    assert {p.key for p in cluster.network_policies} == {"shop/default-deny", "shop/db-from-frontend",
                                                         "payments/api-from-web"}
    assert [n.name for n in cluster.nodes] == ["node-1"]
    assert snapshot.state is DataState.LIVE
    assert snapshot.context == "test" and snapshot.server == server.url and snapshot.namespace == "shop"
    assert "Calico" in snapshot.description
    assert not snapshot.problems


def test_only_get_requests_and_never_secrets(server: FakeApiServer, kubeconfig: Path) -> None:
    server.put_many(shop_cluster())
    live(kubeconfig).load()
    assert server.methods() == {"GET"}
    assert not [r for r in server.requests if "secrets" in r.path]
    # and every request was authenticated as the kubeconfig's user
    assert {r.user for r in server.requests} == {"alice"}


def test_large_lists_are_paginated(server: FakeApiServer, kubeconfig: Path) -> None:
    server.put_many([namespace("big")] + [pod("big", f"p{i:03d}", {"i": str(i)}, f"10.1.0.{i + 1}")
                                          for i in range(23)])
    snapshot = live(kubeconfig, page_size=5).load()
    assert len([p for p in snapshot.cluster.pods if p.namespace == "big"]) == 23
    pod_pages = [r for r in server.requests if r.path == "/api/v1/pods"]
    assert len(pod_pages) == 5  # 23 pods, 5 per page
    assert all(r.query["limit"] == "5" for r in pod_pages)
    assert "continue" not in pod_pages[0].query and all("continue" in r.query for r in pod_pages[1:])


def test_expired_continue_token_restarts_the_list(server: FakeApiServer, kubeconfig: Path) -> None:
    server.put_many([namespace("big")] + [pod("big", f"p{i}", {}, f"10.1.0.{i + 1}") for i in range(6)])
    from apiserver import Fault

    # The second page of pods answers 410 once (the server no longer has the list's snapshot).
    server.faults.append(Fault("pods", 410, "The provided continue parameter is too old", times=1,
                               query_key="continue"))
    snapshot = live(kubeconfig, page_size=4).load()
    assert len(snapshot.cluster.pods) == 6
    pod_lists = [r for r in server.requests if r.path == "/api/v1/pods"]
    # first page, the refused second page, then the whole list again: two pages
    assert ["continue" in r.query for r in pod_lists] == [False, True, False, True]


def test_check_verdict_matches_the_same_objects_from_files(server: FakeApiServer, kubeconfig: Path,
                                                            tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the same objects served live and written to a manifest file
    server.put_many(shop_cluster())
    manifest = tmp_path / "cluster.yaml"
    manifest.write_text(yaml.safe_dump_all(
        [{**o, "apiVersion": _api_version(str(o["kind"]))} for o in shop_cluster()]))
    cases = [("shop/frontend", "shop/db", "6379"), ("payments/api", "shop/db", "6379"),
             ("shop/frontend", "payments/api", "8443"), ("payments/api", "shop/frontend", "80")]
    for src, dst, port in cases:
        # WHEN check runs on both
        live_code = main(["check", src, dst, "--port", port, "--kubeconfig", str(kubeconfig), "-o", "json"])
        live_json = json.loads(capsys.readouterr().out)
        file_code = main(["check", src, dst, "--port", port, "-f", str(manifest), "-o", "json"])
        file_json = json.loads(capsys.readouterr().out)
        # THEN the verdicts and their reasons are the same
        assert live_code == file_code, (src, dst)
        assert live_json["allowed"] == file_json["allowed"]
        assert live_json["ingress"] == file_json["ingress"]
    assert main(["check", "shop/frontend", "shop/db", "--port", "6379", "--kubeconfig", str(kubeconfig)]) == 0
    assert main(["check", "payments/api", "shop/db", "--port", "6379", "--kubeconfig", str(kubeconfig)]) == 1


def _api_version(kind: str) -> str:
    return {"EndpointSlice": "discovery.k8s.io/v1", "NetworkPolicy": "networking.k8s.io/v1"}.get(kind, "v1")


def test_forbidden_network_policies_give_unknown_verdicts(server: FakeApiServer, kubeconfig: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a user who may read everything except the NetworkPolicies of payments
    server.put_many(shop_cluster())
    server.rbac["alice"] = Rbac(denied={("networkpolicies", None), ("networkpolicies", "payments")})
    # WHEN a connection into payments is checked
    code = main(["check", "shop/frontend", "payments/api", "--port", "8443", "--kubeconfig", str(kubeconfig),
                 "-o", "json"])
    data = json.loads(capsys.readouterr().out)
    # THEN it is unknown (exit 3, allowed: null) and says what could not be read, and why
    assert code == 3
    assert data["allowed"] is None
    assert "payments" in json.dumps(data["ingress"]) and "forbidden" in json.dumps(data["ingress"])
    # while shop's policies were read in the per-namespace fallback and still decide shop's verdicts
    assert main(["check", "shop/frontend", "shop/db", "--port", "6379", "--kubeconfig", str(kubeconfig)]) == 0
    assert main(["check", "payments/api", "shop/db", "--port", "6379", "--kubeconfig", str(kubeconfig)]) == 1


def test_namespace_confined_user_falls_back_to_per_namespace_reads(server: FakeApiServer, kubeconfig: Path) -> None:
    # GIVEN a user confined to shop and payments (no cluster-wide list, no namespaces, no nodes)
    server.put_many(shop_cluster())
    server.rbac["alice"] = Rbac(only_namespaces={"shop", "payments"})
    # WHEN check names a pod of each
    snapshot = live(kubeconfig, needed_namespaces=("shop", "payments")).load()
    # THEN both namespaces were read one by one, and the gaps are explained rather than fatal
    assert {p.key for p in snapshot.cluster.pods} == {"shop/frontend", "shop/db", "payments/api"}
    assert {p.key for p in snapshot.cluster.network_policies} == {"shop/default-deny", "shop/db-from-frontend",
                                                                  "payments/api-from-web"}
    assert any("namespaces cannot be listed" in p.message for p in snapshot.problems)
    assert verdict(snapshot.cluster, "shop/frontend", "shop/db", 6379) is Status.ALLOWED
    # the network plugin could not be looked for, and that is said on every verdict
    plugin = snapshot.cluster.plugin
    assert plugin is not None and "network plugin not identified" in plugin.note and "kube-system" in plugin.note
    per_namespace = {(r.path, r.query.get("limit")) for r in server.requests}
    assert ("/api/v1/namespaces/shop/pods", "500") in per_namespace
    assert ("/api/v1/namespaces/payments/pods", "500") in per_namespace
    assert server.methods() == {"GET"}


def test_cluster_wide_denial_marks_unread_namespaces_unknown(server: FakeApiServer, kubeconfig: Path) -> None:
    # GIVEN pods are readable everywhere but NetworkPolicies only namespace by namespace, in shop
    server.put_many(shop_cluster())
    server.rbac["alice"] = Rbac(denied={("networkpolicies", None), ("networkpolicies", "payments"),
                                        ("networkpolicies", "kube-system")})
    snapshot = live(kubeconfig).load()  # context namespace: shop
    # THEN payments' policies (never read) are unknown, and verdicts into payments are unknown
    gaps = {(g.resource, g.namespace) for g in snapshot.cluster.unreadable}
    assert ("networkpolicies", "payments") in gaps and ("networkpolicies", "shop") not in gaps
    assert verdict(snapshot.cluster, "shop/frontend", "payments/api", 8443) is Status.UNKNOWN
    assert verdict(snapshot.cluster, "payments/api", "shop/db", 6379) is Status.BLOCKED


def test_admin_policies_are_read_when_the_api_group_is_served(server: FakeApiServer, kubeconfig: Path) -> None:
    server.put_many(shop_cluster())
    # Absent: a normal cluster, nothing asked beyond discovery, no problem reported.
    snapshot = live(kubeconfig).load()
    assert not snapshot.cluster.admin_policies and not snapshot.problems
    assert not [r for r in server.requests if "policy.networking.k8s.io" in r.path]
    # Served: discovered and listed, and the admin tier decides.
    server.policy_versions = {"v1alpha1"}
    server.put(ANP)
    snapshot = live(kubeconfig).load()
    assert [p.name for p in snapshot.cluster.admin_policies] == ["deny-payments"]
    assert verdict(snapshot.cluster, "shop/frontend", "payments/api", 8443) is Status.BLOCKED


def test_cluster_network_policy_prefers_v1beta1(server: FakeApiServer, kubeconfig: Path) -> None:
    server.policy_versions = {"v1alpha2", "v1beta1"}
    server.put_many(shop_cluster())
    server.put({"apiVersion": "policy.networking.k8s.io/v1beta1", "kind": "ClusterNetworkPolicy",
                "metadata": {"name": "protect-pay"},
                "spec": {"tier": "Admin", "priority": 5, "subject": {"namespaces": {"matchLabels": {"team": "pay"}}},
                         "ingress": [{"name": "deny", "action": "Deny", "from": [{"namespaces": {}}]}]}})
    snapshot = live(kubeconfig).load()
    assert [(p.kind, p.api_version) for p in snapshot.cluster.admin_policies] == \
        [("ClusterNetworkPolicy", "policy.networking.k8s.io/v1beta1")]
    assert not [r for r in server.requests if "v1alpha2/clusternetworkpolicies" in r.path]


def test_forbidden_admin_policies_are_said_on_every_verdict(server: FakeApiServer, kubeconfig: Path) -> None:
    server.policy_versions = {"v1alpha1"}
    server.put_many(shop_cluster())
    server.rbac["alice"] = Rbac(denied={("adminnetworkpolicies", None)})
    snapshot = live(kubeconfig).load()
    assert ("adminnetworkpolicies", None) in {(g.resource, g.namespace) for g in snapshot.cluster.unreadable}
    # Every verdict is unknown and says why, and what the readable policies alone would say.
    index = snapshot.cluster.index
    verdict = evaluate(snapshot.cluster, resolve_end(index, "shop/frontend"), resolve_end(index, "shop/db"),
                       port=6379)
    assert verdict.status is Status.UNKNOWN
    assert "admin-tier policies could not be read" in verdict.ingress.summary
    assert verdict.assumed_status is Status.ALLOWED


def test_forbidden_nodes_are_silent_unless_an_admin_policy_needs_them(server: FakeApiServer,
                                                                      kubeconfig: Path) -> None:
    server.put_many(shop_cluster())
    server.rbac["alice"] = Rbac(denied={("nodes", None)})
    snapshot = live(kubeconfig).load()
    assert not snapshot.problems and not snapshot.cluster.notices and not snapshot.cluster.unreadable
    server.policy_versions = {"v1alpha1"}
    server.put({**ANP, "metadata": {"name": "egress-to-nodes"},
                "spec": {"priority": 20, "subject": {"namespaces": {}},
                         "egress": [{"name": "nodes", "action": "Allow",
                                     "to": [{"nodes": {"matchLabels": {"kubernetes.io/hostname": "node-1"}}}]}]}})
    snapshot = live(kubeconfig).load()
    assert ("nodes", None) in {(g.resource, g.namespace) for g in snapshot.cluster.unreadable}
    # A verdict the nodes peer could decide says so: is 203.0.113.9 a node? It cannot be told (read
    # as upstream: this cluster runs Calico, whose conversion drops an Allow rule with a nodes peer).
    cluster = snapshot.with_profile(Profile.UPSTREAM).cluster
    index = cluster.index
    verdict = evaluate(cluster, resolve_end(index, "shop/frontend"), resolve_end(index, "203.0.113.9"), port=443)
    assert verdict.status is Status.UNKNOWN
    (admin,) = [p for p in verdict.egress.policies if p.name == "egress-to-nodes"]
    assert "Nodes could not be read" in admin.rules[0].peers[0].reason
    calico = evaluate(snapshot.cluster, resolve_end(index, "shop/frontend"), resolve_end(index, "203.0.113.9"),
                      port=443)
    assert calico.status is Status.ALLOWED
    (admin,) = [p for p in calico.egress.policies if p.name == "egress-to-nodes"]
    assert "fail closed" in admin.rules[0].reason and "matches nothing" in admin.rules[0].reason


def test_namespace_scope_reads_only_those_namespaces(server: FakeApiServer, kubeconfig: Path) -> None:
    server.put_many(shop_cluster())
    snapshot = live(kubeconfig, namespaces=("payments",)).load()
    assert {p.key for p in snapshot.cluster.pods} == {"payments/api"}
    assert snapshot.namespace == "payments"
    # the network plugin is still recognised, from kube-system read on the side
    assert "Calico" in snapshot.description and not snapshot.cluster.notices
    assert "/api/v1/pods" not in {r.path for r in server.requests}


def test_snapshot_export_loads_back_with_the_same_verdicts(server: FakeApiServer, kubeconfig: Path,
                                                           tmp_path: Path) -> None:
    server.put_many(shop_cluster())
    out = tmp_path / "snap.yaml"
    assert main(["snapshot", "--kubeconfig", str(kubeconfig), "-o", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("# kubenet-tui snapshot")
    assert "Secret" not in text and "db-password" not in text
    from kubenet_tui.sources.files import FileSource

    replay = FileSource([str(out)]).load()
    original = live(kubeconfig).load()
    assert replay.cluster.pods == original.cluster.pods
    assert replay.cluster.network_policies == original.cluster.network_policies
    assert replay.cluster.services == original.cluster.services
    assert not replay.problems
    for src, dst, port in [("shop/frontend", "shop/db", 6379), ("payments/api", "shop/db", 6379)]:
        assert verdict(replay.cluster, src, dst, port) is verdict(original.cluster, src, dst, port)


def test_snapshot_header_lists_what_could_not_be_read(server: FakeApiServer, kubeconfig: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    server.put_many(shop_cluster())
    server.rbac["alice"] = Rbac(denied={("networkpolicies", None), ("networkpolicies", "payments")})
    assert main(["snapshot", "--kubeconfig", str(kubeconfig)]) == 0
    text = capsys.readouterr().out
    assert "# NOT READ" in text and "#   - networkpolicies in namespace payments: not read" in text


def test_a_snapshot_replay_is_unknown_where_live_was(server: FakeApiServer, kubeconfig: Path,
                                                      tmp_path: Path) -> None:
    # GIVEN an RBAC-restricted user who cannot read the NetworkPolicies of payments
    server.put_many(shop_cluster())
    server.rbac["alice"] = Rbac(denied={("networkpolicies", None), ("networkpolicies", "payments")})
    out = tmp_path / "snap.yaml"
    assert main(["snapshot", "--kubeconfig", str(kubeconfig), "-o", str(out)]) == 0
    from kubenet_tui.sources.files import FileSource

    # WHEN the snapshot is replayed from the file
    replay = FileSource([str(out)]).load()
    original = live(kubeconfig).load()
    # THEN it carries what was not read as data (the issue: it said ALLOWED where live said UNKNOWN)
    assert set(replay.cluster.unreadable) == set(original.cluster.unreadable)
    assert not replay.problems
    assert verdict(original.cluster, "shop/frontend", "payments/api", 8443) is Status.UNKNOWN
    assert verdict(replay.cluster, "shop/frontend", "payments/api", 8443) is Status.UNKNOWN


def test_snapshot_of_files_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snapshot", "--demo"]) == 2
    assert "live cluster" in capsys.readouterr().err


def test_trimmed_objects_keep_no_environment(server: FakeApiServer, kubeconfig: Path) -> None:
    server.put(pod("shop", "web-1", {"app": "web"}, "10.0.0.9", realistic=True))
    source = live(kubeconfig)
    source.load()
    (kept,) = [o for o in source.objects() if o["kind"] == "Pod"]
    assert "env" not in json.dumps(kept) and "managedFields" not in json.dumps(kept)
    assert kept["status"]["podIP"] == "10.0.0.9"


def test_unknown_namespace_scope_is_empty_not_an_error(server: FakeApiServer, kubeconfig: Path) -> None:
    server.put_many(shop_cluster())
    snapshot = live(kubeconfig, namespaces=("nosuch",)).load()
    assert not [p for p in snapshot.cluster.pods if p.namespace == "nosuch"]


def test_network_policy_read_live_keeps_its_manifest(server: FakeApiServer, kubeconfig: Path) -> None:
    server.put(network_policy("shop", "np", {"podSelector": {}, "policyTypes": ["Ingress"]}))
    (policy,) = live(kubeconfig).load().cluster.network_policies
    manifest = json.loads(policy.manifest)
    assert manifest["kind"] == "NetworkPolicy" and manifest["spec"]["podSelector"] == {}


def test_one_parser_per_list_keeps_each_objects_problems_its_own() -> None:
    """A list's objects go through one collector, emptied after each: a problem, a duplicate or a
    kind of one object never shows on the next, and replicas share their label map."""
    from kubenet_tui.sources.live import _Parser

    parse = _Parser()
    bad = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x", "namespace": "a", "labels": {"k": 1}}}
    good = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"web-{i}", "namespace": "a",
                                                            "labels": {"app": "web"}},
             "status": {"podIP": f"10.0.0.{i}"}} for i in (1, 2)]
    first = parse(bad)
    assert first.attr is None and len(first.problems) == 1 and "must be a string" in first.problems[0].message
    one, two = parse(good[0]), parse(good[0] | {"kind": "Pod"})
    assert (one.attr, one.key, one.problems) == ("pods", "a/web-1", ())
    assert two.problems == (), "the same object again is not a duplicate within a list's parser"
    other = parse(good[1])
    assert other.value.labels is one.value.labels
    secret = parse({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "a"}})
    assert (secret.attr, secret.problems) == (None, ())
    assert parse(good[1]).attr == "pods"
