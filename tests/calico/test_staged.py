"""Staged policies are never enforced: every verdict is what the cluster does now, and, when the staged
objects change it, `pending` is what it will do once they are committed (stagedAction Set creates or
replaces the policy of the same name, Delete deletes it), naming the staged rule that changes it."""

from __future__ import annotations

from engine.kit import check, netpol

from kubenet_tui.engine.caveats import CaveatCode
from kubenet_tui.engine.explain import Status
from kubenet_tui.render.json_out import verdict_json

from .kit import calico, gnp, np, obj, rule, staged_gnp, staged_np

DENY_FROM_X = rule("Deny", source={"namespaceSelector": 'ns == "x"'})


def pending_caveat(verdict: object) -> str:
    found = [c.message for c in verdict.caveats if c.code is CaveatCode.STAGED_PENDING]  # type: ignore[attr-defined]
    assert len(found) == 1, found
    return found[0]


def test_staged_set_creates_a_policy_only_in_the_pending_verdict() -> None:
    cluster = calico(staged_gnp("lockdown", stagedAction="Set", order=10, ingress=[DENY_FROM_X]))
    verdict = check(cluster, "x/a", "y/b", 80)
    assert verdict.status is Status.ALLOWED  # enforced: the staged policy does nothing
    assert verdict.pending is not None and verdict.pending.status is Status.BLOCKED
    (ref,) = verdict.pending.deciding_rules
    assert (ref.kind, ref.name, ref.rule, ref.action) == ("StagedGlobalNetworkPolicy", "lockdown", 0, "Deny")
    message = pending_caveat(verdict)
    assert "ALLOWED" in message and "BLOCKED" in message and "StagedGlobalNetworkPolicy lockdown ingress[0]" in message


def test_staged_action_defaults_to_set() -> None:
    cluster = calico(staged_gnp("lockdown", order=10, ingress=[DENY_FROM_X]))
    pending = check(cluster, "x/a", "y/b", 80).pending
    assert pending is not None and pending.status is Status.BLOCKED


def test_staged_set_replaces_the_policy_of_the_same_name() -> None:
    cluster = calico(np("y", "gate", order=10, ingress=[DENY_FROM_X]),
                     staged_np("y", "gate", order=10, ingress=[rule("Allow")]))
    verdict = check(cluster, "x/a", "y/b", 80)
    assert verdict.status is Status.BLOCKED
    assert verdict.pending is not None and verdict.pending.status is Status.ALLOWED
    assert "StagedNetworkPolicy y/gate ingress[0]" in pending_caveat(verdict)


def test_staged_delete_removes_the_policy() -> None:
    cluster = calico(np("y", "gate", order=10, ingress=[DENY_FROM_X]),
                     staged_np("y", "gate", stagedAction="Delete"))
    verdict = check(cluster, "x/a", "y/b", 80)
    assert verdict.status is Status.BLOCKED
    assert verdict.pending is not None and verdict.pending.status is Status.ALLOWED
    assert "stagedAction Delete" in pending_caveat(verdict)


def test_staged_kubernetes_policy_isolates_once_committed() -> None:
    staged = obj("StagedKubernetesNetworkPolicy", "only-z", {
        "stagedAction": "Set", "podSelector": {}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "z"}}}]}]}, "y")
    verdict = check(calico(staged), "x/a", "y/b", 80)
    assert verdict.status is Status.ALLOWED
    assert verdict.pending is not None and verdict.pending.status is Status.BLOCKED
    message = pending_caveat(verdict)
    assert "StagedKubernetesNetworkPolicy y/only-z" in message and "default action" in message
    assert check(calico(staged), "z/a", "y/b", 80).pending is None  # z is still let in: nothing changes


def test_staged_kubernetes_delete() -> None:
    isolate = netpol("y", "isolate", {"podSelector": {}, "policyTypes": ["Ingress"]})
    staged = obj("StagedKubernetesNetworkPolicy", "isolate", {"stagedAction": "Delete", "podSelector": {}}, "y")
    verdict = check(calico(isolate, staged), "x/a", "y/b", 80)
    assert verdict.status is Status.BLOCKED
    assert verdict.pending is not None and verdict.pending.status is Status.ALLOWED


def test_learn_and_ignore_change_nothing() -> None:
    for action in ("Learn", "Ignore"):
        cluster = calico(staged_gnp("lockdown", stagedAction=action, order=10, ingress=[DENY_FROM_X]))
        verdict = check(cluster, "x/a", "y/b", 80)
        assert verdict.status is Status.ALLOWED and verdict.pending is None


def test_no_pending_when_the_staged_policy_does_not_change_the_verdict() -> None:
    cluster = calico(gnp("deny", order=5, ingress=[DENY_FROM_X]),
                     staged_gnp("also-deny", order=10, ingress=[DENY_FROM_X]))
    verdict = check(cluster, "x/a", "y/b", 80)
    assert verdict.status is Status.BLOCKED and verdict.pending is None
    assert not [c for c in verdict.caveats if c.code is CaveatCode.STAGED_PENDING]


def test_pending_in_json() -> None:
    cluster = calico(staged_gnp("lockdown", order=10, ingress=[DENY_FROM_X]))
    data = verdict_json(check(cluster, "x/a", "y/b", 80))
    assert data["status"] == "allowed" and data["pending"]["status"] == "blocked"
    assert data["pending"]["decidingRules"][0]["kind"] == "StagedGlobalNetworkPolicy"
    assert data["pending"]["ingress"]["chain"][-1] == "[Calico tier default] Deny"
    assert verdict_json(check(calico(), "x/a", "y/b", 80))["pending"] is None
