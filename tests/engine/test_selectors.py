"""SEMANTICS.md section 2: label selectors (metav1.LabelSelector), as a table and through whole verdicts.

Every row is written from the API reference: matchLabels and every matchExpressions entry are ANDed;
`In` needs the key present with a listed value, `NotIn` holds when the key is absent or the value is not
listed, `Exists` / `DoesNotExist` look at the key only, and `{}` matches everything.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.kit import all_reasons, check, cluster, namespace, netpol, pod, policy
from kubenet_tui.engine.profiles import Profile
from kubenet_tui.engine.selectors import selector_matches, selector_mismatch
from kubenet_tui.sources.demo import DEMOS, DemoSource
from kubenet_tui.sources.validate import parse_selector

# (case id, selector as written in a manifest, labels of the pod, matches?, words the reason must contain)
SELECTOR_TABLE: list[tuple[str, dict[str, Any], dict[str, str], bool, tuple[str, ...]]] = [
    ("empty-matches-no-labels", {}, {}, True, ()),
    ("empty-matches-any-labels", {}, {"role": "db", "tier": "x"}, True, ()),
    ("matchLabels-subset", {"matchLabels": {"role": "db"}}, {"role": "db", "tier": "x"}, True, ()),
    ("matchLabels-other-value", {"matchLabels": {"role": "frontend"}}, {"role": "web"}, False,
     ("role", "web", "frontend")),
    ("matchLabels-missing-key", {"matchLabels": {"role": "db"}}, {"app": "db"}, False, ("role", "missing")),
    ("matchLabels-all-keys-ANDed", {"matchLabels": {"role": "db", "env": "prod"}}, {"role": "db", "env": "dev"},
     False, ("env", "dev", "prod")),
    ("matchLabels-value-is-case-sensitive", {"matchLabels": {"role": "db"}}, {"role": "DB"}, False, ("role",)),
    ("In-listed", {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "api"]}]},
     {"tier": "api"}, True, ()),
    ("In-not-listed", {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "api"]}]},
     {"tier": "db"}, False, ("tier", "db", "web", "api")),
    ("In-missing-key", {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}]},
     {}, False, ("tier", "missing")),
    ("NotIn-missing-key-matches", {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]},
     {"role": "x"}, True, ()),
    ("NotIn-other-value-matches", {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]},
     {"tier": "web"}, True, ()),
    ("NotIn-listed-value", {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db", "cache"]}]},
     {"tier": "cache"}, False, ("tier", "cache", "NotIn")),
    ("Exists-present", {"matchExpressions": [{"key": "canary", "operator": "Exists"}]}, {"canary": "true"}, True, ()),
    ("Exists-present-with-empty-value", {"matchExpressions": [{"key": "canary", "operator": "Exists"}]},
     {"canary": ""}, True, ()),
    ("Exists-missing", {"matchExpressions": [{"key": "canary", "operator": "Exists"}]}, {"app": "x"}, False,
     ("canary", "missing")),
    ("DoesNotExist-missing", {"matchExpressions": [{"key": "legacy", "operator": "DoesNotExist"}]}, {"app": "x"},
     True, ()),
    ("DoesNotExist-present-with-empty-value", {"matchExpressions": [{"key": "legacy", "operator": "DoesNotExist"}]},
     {"legacy": ""}, False, ("legacy", "DoesNotExist")),
    ("matchLabels-AND-expressions-both-hold",
     {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]},
     {"app": "web"}, True, ()),
    ("matchLabels-AND-expressions-expression-fails",
     {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]},
     {"app": "web", "tier": "db"}, False, ("tier", "db")),
    ("matchLabels-AND-expressions-labels-fail",
     {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]},
     {"app": "api"}, False, ("app", "api", "web")),
    ("two-expressions-same-key-ANDed",
     {"matchExpressions": [{"key": "t", "operator": "In", "values": ["a", "b"]},
                           {"key": "t", "operator": "NotIn", "values": ["b"]}]},
     {"t": "b"}, False, ("t", "b")),
    ("two-expressions-same-key-ANDed-holds",
     {"matchExpressions": [{"key": "t", "operator": "In", "values": ["a", "b"]},
                           {"key": "t", "operator": "NotIn", "values": ["b"]}]},
     {"t": "a"}, True, ()),
    ("Exists-AND-DoesNotExist",
     {"matchExpressions": [{"key": "a", "operator": "Exists"}, {"key": "b", "operator": "DoesNotExist"}]},
     {"a": "1", "b": "2"}, False, ("b",)),
]


@pytest.mark.parametrize(
    ("selector", "labels", "expected", "words"),
    [pytest.param(s, lab, e, w, id=i) for i, s, lab, e, w in SELECTOR_TABLE],
)
def test_selector_table(selector: dict[str, Any], labels: dict[str, str], expected: bool, words: tuple[str, ...]) -> None:
    # GIVEN a selector parsed the way the loader parses it
    parsed = parse_selector(selector, "test")
    # WHEN it is matched against the labels, by the fast path and by the explaining path
    fast = selector_matches(parsed, labels)
    reason = selector_mismatch(parsed, labels)
    # THEN both agree with the API reference, and a mismatch names the label and values involved
    assert fast is expected
    assert (reason is None) is expected
    for word in words:
        assert reason is not None and word in reason, f"{word!r} not in reason {reason!r}"


@pytest.mark.parametrize(
    ("selector", "labels", "expected", "words"),
    [pytest.param(s, lab, e, w, id=i) for i, s, lab, e, w in SELECTOR_TABLE],
)
def test_selector_table_as_ingress_peer(
    selector: dict[str, Any], labels: dict[str, str], expected: bool, words: tuple[str, ...]
) -> None:
    # GIVEN pod shop/db, isolated for ingress by a policy whose only peer is the selector under test
    c = cluster(
        namespace("shop"),
        pod("shop", "db", {"app": "db-server"}, ips=["10.0.0.2"]),
        pod("shop", "client", labels, ips=["10.0.0.1"]),
        netpol("shop", "only-selected", {"podSelector": {"matchLabels": {"app": "db-server"}},
                                          "ingress": [{"from": [{"podSelector": selector}]}]}),
    )
    # WHEN shop/client connects
    v = check(c, "shop/client", "shop/db", 80)
    # THEN the verdict follows the selector, and the explanation names the label that decided
    assert v.allowed is expected
    rule = policy(v.ingress, "only-selected").rules[0]
    assert rule.peers[0].matched is expected
    if expected:
        assert v.ingress.deciding_rules[0].peer == 0
    for word in words:
        assert word in rule.peers[0].reason


def test_pod_selector_of_policy_uses_the_same_selector_semantics() -> None:
    # GIVEN a policy selecting pods with NotIn on a key most pods do not have
    c = cluster(
        namespace("shop"),
        pod("shop", "plain", {"app": "a"}, ips=["10.0.0.1"]),
        pod("shop", "legacy", {"app": "b", "tier": "legacy"}, ips=["10.0.0.2"]),
        pod("shop", "client", {"app": "c", "tier": "legacy"}, ips=["10.0.0.3"]),
        netpol("shop", "deny-non-legacy", {"podSelector": {"matchExpressions": [
            {"key": "tier", "operator": "NotIn", "values": ["legacy"]}]}}),
    )
    # WHEN / THEN the pod without the key is selected (NotIn on a missing key holds) and isolated
    plain = check(c, "shop/client", "shop/plain", 80)
    assert plain.allowed is False
    assert plain.ingress.isolating_policies == ("shop/deny-non-legacy",)
    # ... while the pod carrying the excluded value is not selected, and says why
    legacy = check(c, "shop/client", "shop/legacy", 80)
    assert legacy.allowed is True
    assert legacy.ingress.isolated is False
    why = policy(legacy.ingress, "deny-non-legacy")
    assert why.selects is False
    assert "tier" in why.selection_reason and "legacy" in why.selection_reason


def test_namespace_selector_reason_names_the_namespace_label() -> None:
    # GIVEN a peer that wants namespaces labelled team=web
    c = cluster(
        namespace("shop", {"team": "web"}),
        namespace("batch", {"team": "data"}),
        pod("shop", "api", {"app": "api"}, ips=["10.0.0.1"]),
        pod("batch", "job", {"app": "job"}, ips=["10.0.1.1"]),
        netpol("shop", "from-web-team", {"podSelector": {}, "ingress": [
            {"from": [{"namespaceSelector": {"matchLabels": {"team": "web"}}}]}]}),
    )
    # WHEN a pod of namespace batch connects
    v = check(c, "batch/job", "shop/api", 80)
    # THEN it is blocked and the reason names the namespace and its label value
    assert v.allowed is False
    text = all_reasons(v)
    assert "batch" in text and "team" in text and "'data'" in text


@pytest.mark.parametrize("profile", list(Profile))
def test_a_subjects_quick_answer_is_its_explained_one(profile: Profile) -> None:
    """`selects` (what isolation asks, without the words) agrees with `explain` for every subject of
    every tier the demos compile, on every pod."""
    for name in DEMOS:
        cluster = DemoSource(name).load().cluster
        index = cluster.index
        for tier in cluster.program_for(profile).tiers:
            for compiled in tier.policies:
                for subject_pod in cluster.pods:
                    quick = compiled.subject.selects(subject_pod, index)
                    assert quick == compiled.subject.explain(subject_pod, index).selects, (name, compiled.key,
                                                                                           subject_pod.key)
