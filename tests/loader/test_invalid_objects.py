"""Bad objects never crash the load and never vanish silently.

Each invalid NetworkPolicy below is one the API server rejects (networking/v1 validation: label selector
requirements, IPBlock cidr/except, NetworkPolicyPort, NetworkPolicyPeer). It must be reported as an error
by kind, namespace and name with the reason, skipped, and everything valid next to it must still load and
be evaluated. Unknown kinds are counted, unknown spec fields warned about, Secrets never kept.
"""

from __future__ import annotations

from typing import Any

import pytest
from engine.kit import check, errors_of, load, netpol, warnings_of, xyz_objects

from kubenet_tui.engine.explain import Status
from kubenet_tui.sources.files import parse_yaml_text
from kubenet_tui.sources.parse import ObjectCollector

ANY_POD = {"podSelector": {}}


def ingress_from(peer: dict[str, Any]) -> dict[str, Any]:
    return {"podSelector": {}, "ingress": [{"from": [peer]}]}


def ingress_ports(*ports: dict[str, Any]) -> dict[str, Any]:
    return {"podSelector": {}, "ingress": [{"ports": list(ports)}]}


def expressions(*exprs: dict[str, Any]) -> dict[str, Any]:
    return {"podSelector": {"matchExpressions": list(exprs)}}


INVALID_SPECS: list[Any] = [
    pytest.param(expressions({"key": "a", "operator": "Equals", "values": ["x"]}), ("operator", "Equals"),
                 id="unknown-operator"),
    pytest.param(expressions({"key": "a", "operator": "in", "values": ["x"]}), ("operator",), id="operator-case"),
    pytest.param(expressions({"key": "a", "operator": "In"}), ("In", "value"), id="In-without-values"),
    pytest.param(expressions({"key": "a", "operator": "In", "values": []}), ("In", "value"), id="In-empty-values"),
    pytest.param(expressions({"key": "a", "operator": "NotIn"}), ("NotIn", "value"), id="NotIn-without-values"),
    pytest.param(expressions({"key": "a", "operator": "Exists", "values": ["x"]}), ("Exists", "value"),
                 id="Exists-with-values"),
    pytest.param(expressions({"key": "a", "operator": "DoesNotExist", "values": ["x"]}), ("DoesNotExist",),
                 id="DoesNotExist-with-values"),
    pytest.param(expressions({"operator": "Exists"}), ("key",), id="expression-without-key"),
    pytest.param(ingress_from({"namespaceSelector": {"matchExpressions": [{"key": "a", "operator": "Nope"}]}}),
                 ("operator",), id="bad-operator-in-peer-selector"),
    pytest.param(ingress_from({"ipBlock": {"cidr": "10.0.0.0/33"}}), ("cidr", "10.0.0.0/33"), id="cidr-prefix-too-long"),
    pytest.param(ingress_from({"ipBlock": {"cidr": "not-a-cidr/8"}}), ("cidr",), id="cidr-garbage"),
    pytest.param(ingress_from({"ipBlock": {"cidr": "10.0.0.1"}}), ("cidr",), id="cidr-without-prefix"),
    pytest.param(ingress_from({"ipBlock": {}}), ("cidr",), id="cidr-missing"),
    pytest.param(ingress_from({"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.1.0.0/24"]}}), ("except", "10.1.0.0/24"),
                 id="except-outside-cidr"),
    pytest.param(ingress_from({"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.0.0/16"]}}), ("except",),
                 id="except-equal-to-cidr"),
    pytest.param(ingress_from({"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.0.0/8"]}}), ("except",),
                 id="except-wider-than-cidr"),
    pytest.param(ingress_from({"ipBlock": {"cidr": "10.0.0.0/16", "except": ["fd00::/64"]}}), ("except",),
                 id="except-other-family"),
    pytest.param(ingress_from({"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.0.0/40"]}}), ("except",),
                 id="except-bad-cidr"),
    pytest.param(ingress_from({"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}), ("ipBlock",),
                 id="ipBlock-with-podSelector"),
    pytest.param(ingress_from({"ipBlock": {"cidr": "10.0.0.0/8"}, "namespaceSelector": {}}), ("ipBlock",),
                 id="ipBlock-with-namespaceSelector"),
    pytest.param(ingress_from({}), ("peer",), id="empty-peer"),
    pytest.param({"podSelector": {}, "egress": [{"to": [{}]}]}, ("peer",), id="empty-egress-peer"),
    pytest.param(ingress_ports({"port": "http", "endPort": 90}), ("endPort",), id="endPort-with-named-port"),
    pytest.param(ingress_ports({"endPort": 90}), ("endPort",), id="endPort-without-port"),
    pytest.param(ingress_ports({"port": 90, "endPort": 80}), ("endPort", "80", "90"), id="endPort-below-port"),
    pytest.param(ingress_ports({"port": 80, "endPort": 70000}), ("70000",), id="endPort-out-of-range"),
    pytest.param(ingress_ports({"port": 0}), ("0", "range"), id="port-zero"),
    pytest.param(ingress_ports({"port": 65536}), ("65536", "range"), id="port-65536"),
    pytest.param(ingress_ports({"port": -1}), ("-1",), id="port-negative"),
    pytest.param(ingress_ports({"port": "80"}), ("80",), id="port-quoted-number"),
    pytest.param(ingress_ports({"port": "Http"}), ("Http",), id="port-name-uppercase"),
    pytest.param(ingress_ports({"port": "-web"}), ("-web",), id="port-name-leading-hyphen"),
    pytest.param(ingress_ports({"port": "web-"}), ("web-",), id="port-name-trailing-hyphen"),
    pytest.param(ingress_ports({"port": "a-very-long-name"}), ("a-very-long-name",), id="port-name-16-chars"),
    pytest.param(ingress_ports({"port": "web--alt"}), ("web--alt",), id="port-name-consecutive-hyphens"),
    pytest.param(ingress_ports({"port": 80, "protocol": "ICMP"}), ("ICMP",), id="protocol-ICMP"),
    pytest.param(ingress_ports({"port": 80, "protocol": "tcp"}), ("tcp",), id="protocol-lowercase"),
    pytest.param({"podSelector": {}, "policyTypes": ["Both"]}, ("Both",), id="unknown-policy-type"),
    pytest.param({"podSelector": {}, "policyTypes": ["Ingress", "Egress", "Ingress"]}, ("policyTypes",),
                 id="more-than-two-policy-types"),
    pytest.param({"podSelector": {"matchLabels": {"app": ["web"]}}}, ("app",), id="label-value-not-a-string"),
    pytest.param({"podSelector": {}, "ingress": {"from": []}}, ("ingress",), id="ingress-not-a-list"),
]


@pytest.mark.parametrize(("spec", "words"), INVALID_SPECS)
def test_invalid_policy_is_reported_skipped_and_the_rest_is_evaluated(spec: dict[str, Any], words: tuple[str, ...]) -> None:
    # GIVEN the e2e world, a valid deny-all policy on x/a and the invalid policy "broken" in namespace y
    collector = load(
        xyz_objects(),
        netpol("x", "valid-deny", {"podSelector": {"matchLabels": {"pod": "a"}}}),
        netpol("y", "broken", spec),
    )
    # THEN exactly one error names kind, namespace and name, with the reason
    (error,) = errors_of(collector)
    assert (error.kind, error.namespace, error.name) == ("NetworkPolicy", "y", "broken")
    assert "skipped" in error.message
    for word in words:
        assert word in error.message, error.message
    assert "NetworkPolicy y/broken" in error.describe()
    # AND the invalid policy is not evaluated, while everything valid loaded and is evaluated
    c = collector.cluster()
    assert [p.key for p in c.network_policies] == ["x/valid-deny"]
    assert len(c.pods) == 9 and len(c.namespaces) == 3
    assert check(c, "y/b", "x/a", 80).allowed is False  # x/a's own policy blocks it, whatever y/broken says
    # AND what the broken policy could decide is unknown, never guessed: it may isolate y/b
    unknown = check(c, "x/a", "y/b", 80)
    assert unknown.allowed is None and "y/broken" in unknown.ingress.summary
    assert unknown.assumed_status is Status.ALLOWED  # what the readable policies alone say


@pytest.mark.parametrize(
    ("obj", "kind"),
    [
        ({"kind": "Pod", "metadata": {"name": "p", "namespace": "x"},
          "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 70000}]}]}}, "Pod"),
        ({"kind": "Pod", "metadata": {"name": "p", "namespace": "x"},
          "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80, "name": "Not_Valid"}]}]}}, "Pod"),
        ({"kind": "Pod", "metadata": {"name": "p", "namespace": "x"},
          "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80, "protocol": "ICMP"}]}]}}, "Pod"),
        ({"kind": "Pod", "metadata": {"namespace": "x"}}, "Pod"),
        ({"kind": "Namespace", "metadata": {"labels": {"a": "b"}}}, "Namespace"),
        ({"kind": "NetworkPolicy", "metadata": {"name": "p", "namespace": "x"}, "spec": "everything"}, "NetworkPolicy"),
    ],
    ids=["container-port-out-of-range", "container-port-bad-name", "container-protocol", "pod-without-name",
         "namespace-without-name", "spec-not-a-mapping"],
)
def test_other_invalid_objects_are_reported_with_their_kind(obj: dict[str, Any], kind: str) -> None:
    collector = load(xyz_objects(), obj)
    (error,) = errors_of(collector)
    assert error.kind == kind
    assert len(collector.cluster().pods) == 9


def test_unknown_kinds_are_counted_and_ignored() -> None:
    collector = load(
        xyz_objects(),
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "x"}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "e", "namespace": "x"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "x"}, "data": {"k": "v"}},
    )
    assert dict(collector.ignored_kinds) == {"Deployment": 2, "ConfigMap": 1}
    assert collector.problems == []
    assert len(collector.cluster().pods) == 9


def test_object_without_kind_or_not_a_mapping_is_a_problem() -> None:
    collector = ObjectCollector()
    collector.add({"metadata": {"name": "anon", "namespace": "x"}}, "f.yaml:1")
    collector.add(["a", "list"], "f.yaml:5")
    collector.add("just text", "f.yaml:9")
    collector.add(None, "f.yaml:12")  # an empty document: nothing to say
    assert [(p.origin, p.severity) for p in collector.problems] == [
        ("f.yaml:1", "error"), ("f.yaml:5", "error"), ("f.yaml:9", "error")]
    assert "kind" in collector.problems[0].message


@pytest.mark.parametrize(
    ("extra", "hint"),
    [({"podselector": {"matchLabels": {"pod": "a"}}}, "podSelector"), ({"ingres": [{}]}, "ingress"),
     ({"egres": []}, "egress"), ({"somethingElse": 1}, None)],
)
def test_unknown_spec_fields_are_warned_and_the_policy_still_loads(extra: dict[str, Any], hint: str | None) -> None:
    collector = load(xyz_objects(), netpol("x", "typo", {"policyTypes": ["Ingress"], **extra}))
    assert errors_of(collector) == []
    (warning,) = warnings_of(collector)
    assert (warning.kind, warning.namespace, warning.name) == ("NetworkPolicy", "x", "typo")
    (field,) = extra
    assert field in warning.message
    if hint:
        assert hint in warning.message
    assert [p.key for p in collector.cluster().network_policies] == ["x/typo"]


SECRET_VALUE = "c3VwZXItc2VjcmV0LXBhc3N3b3Jk"
SECRET_TEXT = "super-secret-password"


def test_secrets_are_never_kept() -> None:
    # GIVEN Secrets as single objects, inside a List, and as a SecretList
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "x"},
              "data": {"password": SECRET_VALUE}, "stringData": {"plain": SECRET_TEXT}}
    collector = load(xyz_objects(), secret)
    collector.add({"kind": "List", "items": [secret]}, "list")
    collector.add({"kind": "SecretList", "items": [{k: v for k, v in secret.items() if k != "kind"}]}, "typed")
    text = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: x}\ndata: {password: " + SECRET_VALUE + "}\n"
    parse_yaml_text(text, "secret.yaml", collector)
    # THEN they are counted and nothing of them is kept anywhere in the cluster or the problems
    assert collector.ignored_kinds["Secret"] == 4
    everything = repr(collector.cluster()) + repr(collector.problems)
    assert SECRET_VALUE not in everything and SECRET_TEXT not in everything


def test_a_bad_secret_is_not_echoed_in_problems_either() -> None:
    collector = load({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "weird", "namespace": ["x"]},
                      "data": {"password": SECRET_VALUE}})
    assert SECRET_VALUE not in repr(collector.problems) + repr(collector.cluster())


def test_duplicate_objects_warn_and_the_later_copy_wins() -> None:
    collector = load(
        xyz_objects(),
        netpol("x", "p", {"podSelector": {}, "ingress": [{}]}),
        netpol("x", "p", {"podSelector": {}}),
    )
    assert any("more than once" in w.message for w in warnings_of(collector))
    assert check(collector.cluster(), "y/a", "x/a", 80).allowed is False


def test_unknown_field_in_a_rule_fails_closed_and_keeps_the_policy() -> None:
    # GIVEN an ingress rule with a field NetworkPolicy rules do not have (here `to`, an egress word)
    from kubenet_tui.engine.evaluate import End, evaluate
    from kubenet_tui.engine.explain import Status
    from kubenet_tui.engine.model import Protocol
    from kubenet_tui.sources.parse import ObjectCollector

    collector = ObjectCollector()
    for obj in (
        {"kind": "Pod", "metadata": {"name": "a", "namespace": "x"}, "status": {"podIP": "10.0.0.1"}},
        {"kind": "Pod", "metadata": {"name": "b", "namespace": "x"}, "status": {"podIP": "10.0.0.2"}},
        {"kind": "NetworkPolicy", "metadata": {"name": "p", "namespace": "x"},
         "spec": {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}], "to": []}]}},
    ):
        collector.add(obj, "t")
    # THEN it is a warning naming the field, the policy still isolates, and the rule allows nothing
    assert [(p.severity, "spec.ingress[0].to" in p.message) for p in collector.problems] == [("warning", True)]
    cluster = collector.cluster()
    pods = cluster.index.pods_by_key
    verdict = evaluate(cluster, End(pod=pods["x/a"]), End(pod=pods["x/b"]), Protocol.TCP, 80)
    assert verdict.status is Status.BLOCKED
    assert "fail closed" in verdict.ingress.policies[0].rules[0].reason
