"""Verdicts that depend on data that could not be read are UNKNOWN, never guessed (issue 3's RBAC rule).

Each case: GIVEN a cluster where some list was refused (recorded as `Unreadable`), WHEN a connection is
checked, THEN the verdict is unknown exactly when the missing data could change it, and says why.
"""

from __future__ import annotations

from typing import Any

import pytest

from kubenet_tui.engine.cluster import Cluster, Unreadable
from kubenet_tui.engine.errors import DataMissing
from kubenet_tui.engine.evaluate import End, evaluate, resolve_end
from kubenet_tui.engine.explain import Status, Tier
from kubenet_tui.engine.gaps import GapKind
from kubenet_tui.engine.model import Protocol
from kubenet_tui.engine.services import evaluate_service, resolve_service
from kubenet_tui.sources.parse import ObjectCollector


def pod(ns: str, name: str, ip: str, **labels: str) -> dict[str, Any]:
    return {"kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": labels},
            "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80, "name": "http"}]}]},
            "status": {"phase": "Running", "podIP": ip}}


def namespace(name: str, **labels: str) -> dict[str, Any]:
    return {"kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def ingress_policy(ns: str, name: str, peer: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns},
            "spec": {"podSelector": {}, "ingress": [{"from": [peer], "ports": [{"port": 80}]}]}}


def build(objects: list[dict[str, Any]], *gaps: Unreadable) -> Cluster:
    collector = ObjectCollector()
    for obj in objects:
        collector.add(obj, "test")
    collector.unreadable.extend(gaps)
    assert not collector.problems, [p.describe() for p in collector.problems]
    return collector.cluster()


def check(cluster: Cluster, src: str, dst: str, port: int = 80) -> Any:
    index = cluster.index
    return evaluate(cluster, resolve_end(index, src), resolve_end(index, dst), Protocol.TCP, port)


BASE = [namespace("app", team="app"), pod("app", "api", "10.0.0.1", app="api"), pod("web", "fe", "10.0.1.1", app="fe")]
WEB_LABELS_UNREADABLE = Unreadable("namespaces", "web", "namespaces \"web\" is forbidden")


def test_networkpolicies_unreadable_make_the_destination_side_unknown() -> None:
    cluster = build([*BASE, namespace("web")], Unreadable("networkpolicies", "app", "forbidden"))
    verdict = check(cluster, "web/fe", "app/api")
    assert verdict.status is Status.UNKNOWN and verdict.allowed is None
    assert verdict.egress.allowed is True
    assert "could not be read (forbidden)" in verdict.ingress.summary


def test_a_sure_block_on_one_side_wins_over_an_unknown_other_side() -> None:
    deny_egress = {"kind": "NetworkPolicy", "metadata": {"name": "deny", "namespace": "web"},
                   "spec": {"podSelector": {}, "policyTypes": ["Egress"]}}
    cluster = build([*BASE, namespace("web"), deny_egress], Unreadable("networkpolicies", "app", "forbidden"))
    assert check(cluster, "web/fe", "app/api").status is Status.BLOCKED


@pytest.mark.parametrize(
    ("peer", "status"),
    [
        # Depends on a label of the unreadable namespace: cannot tell.
        ({"namespaceSelector": {"matchLabels": {"team": "web"}}}, Status.UNKNOWN),
        # Decided by the name label, which every namespace has: known.
        ({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "web"}}}, Status.ALLOWED),
        ({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "other"}}}, Status.BLOCKED),
        ({"namespaceSelector": {}}, Status.ALLOWED),
        # The pod selector already fails: the namespace labels do not matter.
        ({"namespaceSelector": {"matchLabels": {"team": "web"}}, "podSelector": {"matchLabels": {"app": "x"}}},
         Status.BLOCKED),
    ],
)
def test_namespace_selectors_over_a_namespace_whose_labels_are_unreadable(peer: dict[str, Any], status: Status) -> None:
    cluster = build([*BASE, ingress_policy("app", "from-web", peer)], WEB_LABELS_UNREADABLE)
    verdict = check(cluster, "web/fe", "app/api")
    assert verdict.status is status
    if status is Status.UNKNOWN:
        assert "labels of namespace web could not be read" in verdict.ingress.summary or any(
            c.unknown for p in verdict.ingress.policies for r in p.rules for c in r.peers)


def test_a_surely_matching_rule_allows_even_if_another_rule_is_unknown() -> None:
    policy = {"kind": "NetworkPolicy", "metadata": {"name": "two", "namespace": "app"},
              "spec": {"podSelector": {}, "ingress": [
                  {"from": [{"namespaceSelector": {"matchLabels": {"team": "web"}}}]},
                  {"from": [{"ipBlock": {"cidr": "10.0.1.0/24"}}]}]}}
    verdict = check(build([*BASE, policy], WEB_LABELS_UNREADABLE), "web/fe", "app/api")
    assert verdict.status is Status.ALLOWED


ADMIN_DENY_WEB = {
    "apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy", "metadata": {"name": "deny-web"},
    "spec": {"priority": 5, "subject": {"namespaces": {"matchLabels": {"team": "web"}}},
             "egress": [{"name": "deny", "action": "Deny", "to": [{"namespaces": {}}]}]},
}


def test_admin_subject_over_an_unreadable_namespace_is_unknown() -> None:
    verdict = check(build([*BASE, ADMIN_DENY_WEB], WEB_LABELS_UNREADABLE), "web/fe", "app/api")
    assert verdict.status is Status.UNKNOWN
    assert verdict.egress.decided_by is Tier.ADMIN
    assert "could not be read" in verdict.egress.summary


@pytest.mark.parametrize("plural", ["adminnetworkpolicies", "clusternetworkpolicies"])
def test_unreadable_admin_tier_makes_every_direction_unknown(plural: str) -> None:
    cluster = build([*BASE, namespace("web")], Unreadable(plural, None, "forbidden"))
    verdict = check(cluster, "web/fe", "app/api")
    assert verdict.status is Status.UNKNOWN
    assert verdict.egress.decided_by is Tier.ADMIN and verdict.ingress.decided_by is Tier.ADMIN


def test_unreadable_baseline_matters_only_for_pods_no_networkpolicy_isolates() -> None:
    gap = Unreadable("baselineadminnetworkpolicies", None, "forbidden")
    isolated = build([*BASE, namespace("web"), ingress_policy("app", "all", {"podSelector": {}})], gap)
    verdict = check(isolated, "web/fe", "app/api")
    # Ingress is decided by the NetworkPolicy tier (blocked); egress at fe reaches the baseline tier.
    assert verdict.ingress.allowed is False and verdict.egress.allowed is None
    assert verdict.status is Status.BLOCKED


def test_a_crd_that_is_not_served_is_not_a_gap() -> None:
    cluster = build([*BASE, namespace("web")], Unreadable("adminnetworkpolicies", None, "not served by this cluster", GapKind.NOT_SERVED))
    assert check(cluster, "web/fe", "app/api").status is Status.ALLOWED


def test_an_ip_end_mentions_pods_that_could_not_be_read() -> None:
    cluster = build([*BASE, namespace("web")], Unreadable("pods", "secret-ns", "forbidden"))
    verdict = check(cluster, "10.9.9.9", "app/api")
    assert any(c.code == "pods-unreadable" and "secret-ns" in c.message for c in verdict.caveats)


SELECTORLESS = {"kind": "Service", "metadata": {"name": "ext", "namespace": "app"},
                "spec": {"ports": [{"port": 443, "targetPort": 8443, "name": "https"}]}}
WITH_SELECTOR = {"kind": "Service", "metadata": {"name": "api", "namespace": "app"},
                 "spec": {"selector": {"app": "api"}, "ports": [{"port": 80, "name": "http"}]}}


def test_selectorless_service_with_unreadable_endpointslices_is_unknown() -> None:
    cluster = build([*BASE, namespace("web"), SELECTORLESS], Unreadable("endpointslices", "app", "forbidden"))
    result = evaluate_service(cluster, End(pod=cluster.index.pods_by_key["web/fe"]),
                              resolve_service(cluster.index, "svc/app/ext"), Protocol.TCP, "443")
    assert result.status is Status.UNKNOWN and "could not be read" in result.summary


def test_service_with_selector_falls_back_to_the_selector_with_a_caveat() -> None:
    cluster = build([*BASE, namespace("web"), WITH_SELECTOR], Unreadable("endpointslices", "app", "forbidden"))
    result = evaluate_service(cluster, End(pod=cluster.index.pods_by_key["web/fe"]),
                              resolve_service(cluster.index, "svc/app/api"), Protocol.TCP, "80")
    assert result.status is Status.ALLOWED
    assert any(c.code == "endpointslices-unreadable" for c in result.caveats)


def test_unreadable_services_make_a_missing_service_unknown_not_a_typo() -> None:
    cluster = build(BASE, Unreadable("services", "app", "forbidden"))
    with pytest.raises(DataMissing, match="could not be read"):
        resolve_service(cluster.index, "svc/app/api")


def test_a_sure_admin_decision_before_an_uncertain_policy_stands() -> None:
    # GIVEN a priority-1 Deny that surely selects app/api, and a priority-900 policy whose subject
    # depends on labels of web (unreadable) — irrelevant to app/api's ingress
    early = {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
             "metadata": {"name": "deny-api"},
             "spec": {"priority": 1, "subject": {"namespaces": {"matchLabels": {"team": "app"}}},
                      "ingress": [{"name": "deny", "action": "Deny", "from": [{"namespaces": {}}]}]}}
    late = {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
            "metadata": {"name": "maybe-web"},
            "spec": {"priority": 900, "subject": {"namespaces": {"matchLabels": {"team": "web"}}},
                     "egress": [{"name": "allow", "action": "Allow", "to": [{"namespaces": {}}]}]}}
    cluster = build([*BASE, early, late], WEB_LABELS_UNREADABLE)
    verdict = check(cluster, "web/fe", "app/api")
    # THEN ingress is surely denied, so the connection is BLOCKED although web/fe's egress is unknown
    assert verdict.ingress.allowed is False and verdict.egress.allowed is None
    assert verdict.status is Status.BLOCKED
    from kubenet_tui.engine.matrix import connectivity_matrix, matrix_pods

    pods = matrix_pods(cluster)
    grid = connectivity_matrix(cluster, pods, Protocol.TCP, 80)
    keys = [p.key for p in pods]
    assert grid.allowed(keys.index("web/fe"), keys.index("app/api")) is False


def test_a_pod_in_a_namespace_whose_pods_could_not_be_read_is_unknown_not_a_typo() -> None:
    from kubenet_tui.engine.evaluate import DataMissing, InputError

    cluster = build(BASE, Unreadable("pods", "secret", "forbidden"))
    with pytest.raises(DataMissing, match="could not be read"):
        resolve_end(cluster.index, "secret/x")
    with pytest.raises(InputError) as typo:  # a namespace that was read: a plain "not found"
        resolve_end(cluster.index, "app/nope")
    assert not isinstance(typo.value, DataMissing)


@pytest.mark.parametrize("plural", ["adminnetworkpolicies", "clusternetworkpolicies"])
def test_a_pod_to_itself_is_unknown_when_the_admin_tier_could_not_be_read(plural: str) -> None:
    cluster = build([*BASE, namespace("web")], Unreadable(plural, None, "forbidden"))
    api = End(pod=cluster.index.pods_by_key["app/api"])
    assert evaluate(cluster, api, api, Protocol.TCP, 80).status is Status.UNKNOWN


def test_a_pod_to_itself_is_unknown_when_an_admin_subject_cannot_be_told() -> None:
    cluster = build([*BASE, ADMIN_DENY_WEB], WEB_LABELS_UNREADABLE)
    fe = End(pod=cluster.index.pods_by_key["web/fe"])
    assert evaluate(cluster, fe, fe, Protocol.TCP, 80).status is Status.UNKNOWN
    from kubenet_tui.engine.matrix import connectivity_matrix, matrix_pods

    pods = matrix_pods(cluster)
    grid = connectivity_matrix(cluster, pods, Protocol.TCP, 80)
    i = [p.key for p in pods].index("web/fe")
    assert grid.allowed(i, i) is False
