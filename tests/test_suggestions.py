"""The smallest change that would allow a blocked flow: what `suggestions` proposes, and that it works.

Each proposal is checked by applying it to the cluster and evaluating again: a suggestion that does
not actually allow the flow is a bug.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from kubenet_tui.engine.evaluate import End, evaluate, resolve_end
from kubenet_tui.engine.explain import Status, Verdict
from kubenet_tui.engine.model import Protocol
from kubenet_tui.sources.demo import DemoSource
from kubenet_tui.sources.parse import ObjectCollector


def demo_check(src: str, dst: str, port: int) -> Verdict:
    cluster = DemoSource().load().cluster
    return evaluate(cluster, resolve_end(cluster.index, src), resolve_end(cluster.index, dst), Protocol.TCP, port)


def test_a_rule_that_matches_the_peer_gets_the_missing_port() -> None:
    verdict = demo_check("shop/frontend", "shop/db", 5432)
    first = verdict.suggestions[0]
    assert (first.kind, first.policy, first.rule) == ("add-port", "shop/test-network-policy", 0)
    assert first.fragment == {"ports": [{"protocol": "TCP", "port": 5432}]}
    assert verdict.suggestions[-1].kind == "new-policy"


def test_an_admin_denial_names_who_can_change_it() -> None:
    verdict = demo_check("shop/frontend", "vault/vault-0", 8200)
    assert [s.kind for s in verdict.suggestions] == ["admin"]
    assert "protect-vault" in verdict.suggestions[0].summary and "cluster admin" in verdict.suggestions[0].summary


def test_an_allowed_flow_has_no_suggestions() -> None:
    assert demo_check("shop/frontend", "shop/db", 6379).suggestions == ()


def _with(objects: list[dict[str, Any]]) -> Any:
    collector = ObjectCollector()
    for obj in objects:
        collector.add(copy.deepcopy(obj), "t")
    assert not [p for p in collector.problems if p.severity == "error"]
    return collector.cluster()


POD_A = {"kind": "Pod", "metadata": {"name": "a", "namespace": "x", "labels": {"app": "a"}}, "status": {"podIP": "10.1.0.1"}}
POD_B = {"kind": "Pod", "metadata": {"name": "b", "namespace": "y", "labels": {"app": "b"}}, "status": {"podIP": "10.1.0.2"}}
DENY_ALL = [
    {"kind": "NetworkPolicy", "metadata": {"name": "deny", "namespace": ns}, "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}
    for ns in ("x", "y")
]


def test_new_policies_suggested_for_both_sides_allow_the_flow_once_applied() -> None:
    # GIVEN default deny both ways in both namespaces
    objects = [POD_A, POD_B, *DENY_ALL]
    cluster = _with(objects)
    a, b = End(pod=cluster.index.pods_by_key["x/a"]), End(pod=cluster.index.pods_by_key["y/b"])
    verdict = evaluate(cluster, a, b, Protocol.TCP, 443)
    assert verdict.status is Status.BLOCKED
    # WHEN every suggested NetworkPolicy is applied
    added = [json.loads(json.dumps(s.fragment)) for s in verdict.suggestions if s.kind == "new-policy"]
    assert {p["metadata"]["namespace"] for p in added} == {"x", "y"}
    fixed = _with(objects + added)
    # THEN the flow is allowed
    a, b = End(pod=fixed.index.pods_by_key["x/a"]), End(pod=fixed.index.pods_by_key["y/b"])
    assert evaluate(fixed, a, b, Protocol.TCP, 443).status is Status.ALLOWED


def test_pods_without_labels_are_never_selected_by_an_empty_selector() -> None:
    bare_a = {**POD_A, "metadata": {"name": "a", "namespace": "x"}}
    bare_b = {**POD_B, "metadata": {"name": "b", "namespace": "y"}}
    cluster = _with([bare_a, bare_b, *DENY_ALL])
    a, b = End(pod=cluster.index.pods_by_key["x/a"]), End(pod=cluster.index.pods_by_key["y/b"])
    verdict = evaluate(cluster, a, b, Protocol.TCP, 443)
    for suggestion in verdict.suggestions:
        spec = suggestion.fragment["spec"]
        assert spec["podSelector"] != {"matchLabels": {}}
        (rule,) = spec[suggestion.direction.value]
        peer = rule["to" if suggestion.direction.value == "egress" else "from"][0]
        assert "ipBlock" in peer  # an unlabeled peer is named by its IP, not by `{}` (every pod)
        assert "kubectl label pod" in suggestion.summary
