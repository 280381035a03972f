"""The loader never raises: whatever the documents hold, bad input becomes a reported problem.

Property tests (hypothesis) drive `ObjectCollector.add` with arbitrary nested data shaped like manifests
and `parse_yaml_text` with arbitrary text; regression tests pin down inputs that once escaped as
exceptions. The full-domain properties run derandomized, so their outcome is the same on every run.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kubenet_tui.sources.files import parse_text, parse_yaml_text
from kubenet_tui.sources.parse import ObjectCollector

FIELDS = [
    "apiVersion", "kind", "metadata", "name", "namespace", "labels", "annotations", "spec", "status", "items",
    "podSelector", "namespaceSelector", "policyTypes", "ingress", "egress", "from", "to", "ports", "port",
    "endPort", "protocol", "ipBlock", "cidr", "except", "matchLabels", "matchExpressions", "key", "operator",
    "values", "containers", "initContainers", "containerPort", "hostNetwork", "podIP", "podIPs", "ip", "phase",
    "selector", "targetPort", "clusterIP", "clusterIPs", "endpoints", "addresses", "conditions", "ready",
    "targetRef", "subject", "namespaces", "pods", "networks", "nodes", "action", "priority", "tier",
    "portNumber", "portRange", "namedPort", "protocols", "destinationPort", "destinationNamedPort", "start", "end",
]
KINDS = ["Namespace", "Pod", "Service", "EndpointSlice", "NetworkPolicy", "Node", "AdminNetworkPolicy",
         "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy", "List", "PodList", "NetworkPolicyList", "Secret"]
VALUES = ["In", "NotIn", "Exists", "DoesNotExist", "TCP", "UDP", "SCTP", "Ingress", "Egress", "Allow", "Deny",
          "Pass", "Accept", "Admin", "Baseline", "10.0.0.0/8", "10.0.0.1", "fd00::/64", "fd00::1", "0.0.0.0/0",
          "http", "serve-80-tcp", "80", "²", "Running", "Pending", "", "x", "policy.networking.k8s.io/v1alpha1",
          "networking.k8s.io/v1"]

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**40), max_value=2**40), st.floats(allow_nan=True),
    st.text(max_size=12), st.sampled_from(VALUES), st.integers(min_value=-2, max_value=70000),
)
json_keys = st.one_of(st.sampled_from(FIELDS), st.text(max_size=8))


def json_like(keys: st.SearchStrategy[Any], scalars: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
        max_leaves=25,
    )


def manifests(keys: st.SearchStrategy[Any], scalars: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly manifest-shaped objects (a known kind, some metadata), sometimes anything at all."""
    body = json_like(keys, scalars)
    mapping = st.dictionaries(keys, body, max_size=5)
    shaped = st.fixed_dictionaries(
        {"kind": st.sampled_from(KINDS),
         "metadata": st.fixed_dictionaries({"name": st.sampled_from(["a", "b"]) | scalars},
                                           optional={"namespace": st.sampled_from(["x", "y"]) | scalars,
                                                     "labels": mapping, "annotations": mapping}),
         },
        optional={"spec": mapping | body, "status": mapping, "items": st.lists(body, max_size=3),
                  "apiVersion": scalars},
    )
    return shaped | body


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(manifests(json_keys, json_scalars))
def test_collector_never_raises_on_json_shaped_input(obj: Any) -> None:
    collector = ObjectCollector()
    collector.add(obj, "fuzz")
    collector.cluster()  # and the result can be built


yaml_keys = st.one_of(json_keys, st.integers(-5, 5), st.booleans(), st.none(), st.dates())
yaml_scalars = st.one_of(json_scalars, st.dates())


# Which generated examples run can differ between sessions (derandomized or not), so the inputs that once
# crashed the loader (non-string keys: AttributeError/TypeError; a date key: TypeError) are pinned here.
@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(manifests(yaml_keys, yaml_scalars))
@example({"kind": "NetworkPolicy", "metadata": {"name": "p"}, "spec": {80: "x"}})
@example({"kind": "NetworkPolicy", "metadata": {"name": "p", "annotations": {datetime.date(2024, 1, 1): "x"}}})
@example({"kind": "AdminNetworkPolicy", "metadata": {"name": "p"},
          "spec": {"priority": 1, "subject": {"namespaces": {}}, 1: "", "x": 1}})
def test_collector_never_raises_on_yaml_shaped_input(obj: Any) -> None:
    collector = ObjectCollector()
    collector.add(obj, "fuzz")
    collector.cluster()


YAML_ALPHABET = st.sampled_from(list("abkx:-{}[],#&*!|>'\"\n\t ?%@`0123456789./") + FIELDS[:12] + KINDS[:5])


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(YAML_ALPHABET, max_size=60).map("".join) | st.text(max_size=80))
def test_parse_yaml_text_never_raises_on_arbitrary_text(text: str) -> None:
    collector = ObjectCollector()
    parse_yaml_text(text, "fuzz.yaml", collector)
    parse_text(text, "fuzz", collector)
    for problem in collector.problems:
        assert problem.origin.startswith("fuzz")


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(manifests(json_keys, json_scalars), min_size=1, max_size=3))
def test_parse_yaml_text_never_raises_on_dumped_manifests(objects: list[Any]) -> None:
    text = yaml.safe_dump_all(objects)
    collector = ObjectCollector()
    parse_yaml_text(text, "fuzz.yaml", collector)
    collector.cluster()


# -- regressions: inputs that escaped as exceptions ---------------------------------------------------

POLICY_HEAD = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: x}\n"
ADMIN_HEAD = "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: a}\n"
# (YAML, whether the object is rejected (True) or loads (False)). kubectl turns non-string keys into
# strings, which the API then rejects as unknown fields; annotation keys and aliases are harmless.
YAML_THAT_ONCE_CRASHED = [
    pytest.param(POLICY_HEAD + "spec: {podSelector: {}, 80: x}\n", True, id="int-key-in-spec"),
    pytest.param(POLICY_HEAD + "spec: {podSelector: {1: a}}\n", True, id="int-key-in-selector"),
    pytest.param(ADMIN_HEAD + "spec: {priority: 1, subject: {namespaces: {}}, 1: x, y: z}\n", True,
                 id="int-key-in-admin-spec"),
    pytest.param(POLICY_HEAD.replace("namespace: x}", "namespace: x, annotations: {2024-01-01: release}}")
                 + "spec: {podSelector: {}}\n", False, id="date-key-in-annotations"),
    pytest.param(POLICY_HEAD.replace("namespace: x}", "namespace: x, annotations: &a {self: *a}}")
                 + "spec: {podSelector: {}}\n", False, id="recursive-alias-in-policy"),
    pytest.param("&list {kind: List, items: [*list]}\n", True, id="list-containing-itself"),
]


@pytest.mark.parametrize(("text", "rejected"), YAML_THAT_ONCE_CRASHED)
def test_yaml_that_once_crashed_the_loader_is_reported_or_loaded(text: str, rejected: bool) -> None:
    collector = ObjectCollector()
    escaped = None
    try:
        parse_yaml_text(text, "bad.yaml", collector)
    except Exception as exc:
        escaped = f"the loader raised {type(exc).__name__}: {str(exc)[:200]}"
    if escaped:  # failed outside the handler: a thousand-frame RecursionError chain is slow to report
        pytest.fail(escaped)
    if rejected:
        assert [p.severity for p in collector.problems] == ["error"]
        assert collector.problems[0].origin == "bad.yaml:1"
        assert collector.loaded == 0
    else:
        assert collector.problems == []
        assert [p.key for p in collector.cluster().network_policies] == ["x/p"]


def test_date_values_are_reported_not_raised() -> None:
    collector = ObjectCollector()
    collector.add({"kind": "Pod", "metadata": {"name": datetime.date(2024, 1, 1), "namespace": "x"}}, "o")
    collector.add({"kind": "Pod", "metadata": {"name": "p", "namespace": "x", "labels": {"since": datetime.date(2024, 1, 1)}}}, "o")
    assert [p.severity for p in collector.problems] == ["error", "error"]


def test_superscript_digits_are_not_a_port_number() -> None:
    # "²".isdigit() is True but int("²") raises: the loader must report, not crash
    collector = ObjectCollector()
    collector.add({"kind": "NetworkPolicy", "metadata": {"name": "p", "namespace": "x"},
                   "spec": {"podSelector": {}, "ingress": [{"ports": [{"port": "²"}]}]}}, "o")
    collector.add({"kind": "Service", "metadata": {"name": "s", "namespace": "x"},
                   "spec": {"ports": [{"port": 80, "targetPort": "²"}]}}, "o")
    assert [(p.severity, p.kind) for p in collector.problems] == [("error", "NetworkPolicy"), ("error", "Service")]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(POLICY_HEAD + "spec: {podSelector: {}, ingress: [{from: [{1: a, b: c}]}]}\n", id="mixed-keys-in-peer"),
        pytest.param(POLICY_HEAD + "spec: {podSelector: {}, ingress: [{ports: [{port: 80, 1: x}]}]}\n",
                     id="int-key-in-port"),
    ],
)
def test_odd_keys_inside_a_rule_make_that_rule_fail_closed(text: str) -> None:
    # GIVEN a rule whose peer or port carries keys the API does not know
    collector = ObjectCollector()
    parse_yaml_text(text, "bad.yaml", collector)
    # THEN the policy still loads (it keeps isolating its pods), with a warning naming the field,
    # and the rule matches nothing rather than everything
    assert [p.severity for p in collector.problems] == ["warning"]
    assert "fail closed" in collector.problems[0].message
    (policy,) = collector.cluster().network_policies
    assert policy.ingress[0].unknown is not None
