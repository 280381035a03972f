"""A field written as null (`namespaces:` with no value) is unset, as in the API, never `{}` (everything)."""

from __future__ import annotations

from kubenet_tui.engine.evaluate import evaluate, resolve_end
from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.model import Protocol
from kubenet_tui.sources.files import parse_yaml_text
from kubenet_tui.sources.parse import ObjectCollector

PODS = """
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x}
status: {podIP: 10.1.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x}
status: {podIP: 10.1.0.2}
"""


def load(text: str) -> ObjectCollector:
    collector = ObjectCollector()
    parse_yaml_text(PODS + "---\n" + text, "t.yaml", collector)
    return collector


def test_a_null_peer_fails_closed_instead_of_matching_every_namespace() -> None:
    collector = load("""
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: p}
spec:
  priority: 1
  subject: {namespaces: {}}
  ingress:
  - {name: allow-null, action: Allow, from: [{namespaces: }]}
  - {name: deny-rest, action: Deny, from: [{namespaces: {}}]}
""")
    cluster = collector.cluster()
    verdict = evaluate(cluster, resolve_end(cluster.index, "x/a"), resolve_end(cluster.index, "x/b"), Protocol.TCP, 80)
    assert verdict.status is Status.BLOCKED
    assert verdict.ingress.deciding_rules[0].rule_name == "deny-rest"


def test_a_null_subject_is_invalid_not_all_namespaces() -> None:
    collector = load("""
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: p}
spec:
  priority: 1
  subject: {namespaces: }
  ingress:
  - {name: deny, action: Deny, from: [{namespaces: {}}]}
""")
    assert [(p.severity, p.name) for p in collector.problems] == [("error", "p")]
    assert "subject" in collector.problems[0].message
    assert not collector.admin_policies


def test_unnamed_admin_rules_are_labelled_by_position_only() -> None:
    collector = load("""
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: p}
spec:
  priority: 1
  subject: {namespaces: {}}
  ingress:
  - {action: Deny, from: [{namespaces: {}}]}
""")
    cluster = collector.cluster()
    verdict = evaluate(cluster, resolve_end(cluster.index, "x/a"), resolve_end(cluster.index, "x/b"), Protocol.TCP, 80)
    (ref,) = verdict.ingress.deciding_rules
    assert ref.rule_name is None and ref.label() == "AdminNetworkPolicy p ingress[0]"
