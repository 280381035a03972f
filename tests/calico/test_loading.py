"""Calico objects from files: both API groups, validation with the field and column, invalid objects
reported and kept as "unknown" where they could act, and what the other profiles make of them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from engine.kit import all_reasons, check, errors_of, load, warnings_of, xyz_objects

from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.profiles import Profile

from .kit import calico, gnp, np, obj, rule, tier

DENY_FROM_X = rule("Deny", source={"namespaceSelector": 'ns == "x"'})


def read(*objects: dict[str, Any]) -> tuple[Any, Any]:
    collector = load(xyz_objects(), *objects)
    return collector, replace(collector.cluster(), profile_override=Profile.CALICO)


@pytest.mark.parametrize("api", ["projectcalico.org/v3", "crd.projectcalico.org/v1"])
def test_both_api_groups_carry_the_same_specs(api: str) -> None:
    objects = [obj("Tier", "security", {"order": 100}, api=api),
               obj("GlobalNetworkPolicy", "security.deny", {"tier": "security", "ingress": [DENY_FROM_X]}, api=api),
               obj("GlobalNetworkSet", "feed", {"nets": ["203.0.113.0/24"]}, labels={"feed": "bad"}, api=api),
               # a namespaced policy's selector sees its own namespace; global() reaches global sets
               obj("NetworkPolicy", "no-feed", {"egress": [
                   rule("Deny", destination={"selector": 'feed == "bad"', "namespaceSelector": "global()"}),
                   rule("Allow")]}, "x", api=api)]
    collector, cluster = read(*objects)
    assert not collector.problems and not collector.ignored_kinds
    assert check(cluster, "x/a", "y/a", 80).status is Status.BLOCKED
    assert check(cluster, "x/a", "203.0.113.7", 80).status is Status.BLOCKED
    # security.deny selects every pod (types default to Ingress): what it does not decide ends in
    # the tier's default action
    other = check(cluster, "y/a", "x/b", 80)
    assert other.status is Status.BLOCKED and "Calico tier security: its default action is Deny" in other.summary + \
        other.ingress.summary


def test_a_calico_networkpolicy_is_not_a_kubernetes_one() -> None:
    _collector, cluster = read(np("y", "deny", ingress=[DENY_FROM_X]))
    assert not cluster.network_policies and cluster.calico is not None and len(cluster.calico.policies) == 1
    verdict = check(cluster, "x/a", "y/a", 80)
    assert verdict.deciding_rules[0].kind == "Calico NetworkPolicy"


@pytest.mark.parametrize(("spec", "fragment"), [
    ({"selector": 'app == "web'}, "spec.selector: unterminated string at column 8"),
    ({"ingress": [rule("Allow", source={"selector": "app = 'x'"})]},
     "spec.ingress[0].source.selector: expected == (a single = is not an operator) at column 5"),
    ({"ingress": [rule("Allow", destination={"ports": [80]})]}, "ports need the rule's protocol"),
    ({"ingress": [rule("Allow", protocol="GRE")]}, "unknown protocol 'GRE'"),
    ({"ingress": [rule("Accept")]}, "action 'Accept' is not one of Allow, Deny, Log, Pass"),
    ({"ingress": [rule("Allow", protocol="TCP", destination={"ports": ["90:80"]})]}, "not a valid range"),
    ({"ingress": [rule("Allow", ipVersion=5)]}, "ipVersion must be 4 or 6"),
    ({"order": "first"}, "spec.order must be a number"),
    ({"types": ["Both"]}, "unknown type 'Both'"),
    ({"egress": [rule("Allow", source={"services": {"name": "db", "namespace": "x"}})]},
     "Services are only allowed in the destination of egress rules"),
])
def test_invalid_policies_are_reported_with_the_field(spec: dict[str, Any], fragment: str) -> None:
    collector, cluster = read(gnp("bad", **spec))
    (error,) = errors_of(collector)
    assert fragment in error.message, error.message
    assert error.kind == "GlobalNetworkPolicy" and error.name == "bad"
    # It exists in the cluster: whatever it could decide is unknown, never guessed.
    verdict = check(cluster, "x/a", "y/a", 80)
    assert verdict.status is Status.UNKNOWN
    assert "invalid" in all_reasons(verdict)


def test_an_invalid_namespaced_policy_touches_only_its_namespace() -> None:
    collector, cluster = read(np("y", "bad", selector="has(app"))
    assert len(errors_of(collector)) == 1
    assert check(cluster, "x/a", "y/a", 80).status is Status.UNKNOWN
    assert check(cluster, "y/a", "z/a", 80).status is Status.UNKNOWN  # it may govern y's egress too
    assert check(cluster, "x/a", "z/a", 80).status is Status.ALLOWED


def test_invalid_tier_and_the_policies_in_it() -> None:
    collector, cluster = read(tier("security", 100, "Allow"), gnp("security.deny", tier="security",
                                                                 ingress=[DENY_FROM_X]))
    (error,) = errors_of(collector)
    assert "defaultAction 'Allow' is not Deny or Pass" in error.message
    verdict = check(cluster, "x/a", "y/a", 80)
    assert verdict.status is Status.UNKNOWN and "Tier security could not be used (invalid" in all_reasons(verdict)


def test_an_invalid_network_set_may_hold_any_address() -> None:
    collector, cluster = read(obj("GlobalNetworkSet", "feed", {"nets": ["not-a-cidr"]}, labels={"feed": "bad"}),
                              gnp("no-feed", egress=[rule("Deny", destination={"selector": 'feed == "bad"'}),
                                                     rule("Allow")]))
    assert len(errors_of(collector)) == 1
    assert check(cluster, "x/a", "203.0.113.7", 80).status is Status.UNKNOWN
    # a selector its labels cannot match is unaffected
    _, other = read(obj("GlobalNetworkSet", "feed", {"nets": ["not-a-cidr"]}, labels={"feed": "bad"}),
                    gnp("no-other", egress=[rule("Deny", destination={"selector": 'feed == "other"'}),
                                            rule("Allow")]))
    assert check(other, "x/a", "203.0.113.7", 80).status is Status.ALLOWED


def test_unknown_rule_fields_warn_and_the_rule_might_match() -> None:
    collector, cluster = read(gnp("future", ingress=[rule("Deny", futureMatch={"x": 1}), rule("Allow")]))
    assert not errors_of(collector)
    assert any("futureMatch" in w.message for w in warnings_of(collector))
    assert check(cluster, "x/a", "y/a", 80).status is Status.UNKNOWN


def test_a_version_this_tool_does_not_read_is_not_evaluated() -> None:
    _collector, cluster = read(obj("GlobalNetworkPolicy", "old", {"ingress": [DENY_FROM_X]},
                                  api="projectcalico.org/v2"))
    verdict = check(cluster, "x/a", "y/a", 80)
    assert verdict.status is Status.UNKNOWN and "projectcalico.org/v2" in all_reasons(verdict) + verdict.ingress.summary


def test_other_profiles_list_calico_policies_without_evaluating_them() -> None:
    cluster = calico(gnp("deny", ingress=[DENY_FROM_X]))
    upstream = replace(cluster, profile_override=Profile.UPSTREAM)
    verdict = check(upstream, "x/a", "y/a", 80)
    assert verdict.status is Status.UNKNOWN
    assert "only the calico profile" in verdict.ingress.summary
    assert check(cluster, "x/a", "y/a", 80).status is Status.BLOCKED


def test_staged_objects_and_service_accounts_are_read_not_ignored() -> None:
    collector, cluster = read(obj("StagedGlobalNetworkPolicy", "s", {"ingress": [DENY_FROM_X]}),
                              obj("StagedKubernetesNetworkPolicy", "k", {"podSelector": {}}, "y"),
                              {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot",
                                                                                         "namespace": "x"}})
    assert not collector.problems and not collector.ignored_kinds
    assert cluster.calico is not None
    assert len(cluster.calico.staged) == 1 and len(cluster.calico.staged_kubernetes) == 1
    assert [sa.name for sa in cluster.calico.service_accounts] == ["robot"]


def test_a_network_set_of_an_unknown_version_may_hold_any_address() -> None:
    collector, cluster = read(obj("GlobalNetworkSet", "feed", {"nets": ["203.0.113.0/24"]}, labels={"feed": "bad"},
                                  api="projectcalico.org/v4"),
                              gnp("no-feed", egress=[rule("Deny", destination={"selector": 'feed == "bad"'}),
                                                     rule("Allow")]))
    assert any("projectcalico.org/v4" in w.message for w in warnings_of(collector))
    assert check(cluster, "x/a", "203.0.113.7", 80).status is Status.UNKNOWN


def test_a_tier_of_an_unknown_version_is_not_a_tier() -> None:
    _, cluster = read(obj("Tier", "security", {"order": 1}, api="projectcalico.org/v4"),
                      gnp("security.deny", tier="security", ingress=[DENY_FROM_X]))
    verdict = check(cluster, "x/a", "y/a", 80)
    assert verdict.status is Status.UNKNOWN and "projectcalico.org/v4" in all_reasons(verdict)
