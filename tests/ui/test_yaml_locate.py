"""The YAML locator finds rules, peers and ports by line, in the YAML dumped from a policy manifest."""

from __future__ import annotations

import json

from kubenet_tui.engine.explain import Direction, RuleRef
from kubenet_tui.render.yaml_locate import LineSpan, locate, locate_rule, manifest_yaml

POLICY = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "test-network-policy", "namespace": "shop"},
    "spec": {
        "podSelector": {"matchLabels": {"role": "db"}},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [
            {
                "from": [
                    {"ipBlock": {"cidr": "172.17.0.0/16", "except": ["172.17.1.0/24"]}},
                    {"namespaceSelector": {"matchLabels": {"project": "myproject"}}},
                    {"podSelector": {"matchLabels": {"role": "frontend"}}},
                ],
                "ports": [{"protocol": "TCP", "port": 6379}],
            }
        ],
        "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}], "ports": [{"protocol": "TCP", "port": 5978}]}],
    },
}


def _lines(span: LineSpan | None, text: str) -> list[str]:
    assert span is not None
    return text.splitlines()[span.first : span.last + 1]


def test_manifest_yaml_keeps_written_order() -> None:
    text = manifest_yaml(json.dumps(POLICY))
    assert text.splitlines()[:2] == ["apiVersion: networking.k8s.io/v1", "kind: NetworkPolicy"]
    assert manifest_yaml("") == ""


def test_locate_a_whole_rule_stops_before_the_next_key() -> None:
    text = manifest_yaml(json.dumps(POLICY))
    lines = _lines(locate(text, ("spec", "ingress", 0)), text)
    assert lines[0].strip() == "- from:"
    assert lines[-1].strip() == "port: 6379"
    assert not any("egress" in line for line in lines)


def test_locate_the_last_rule_of_the_document() -> None:
    text = manifest_yaml(json.dumps(POLICY))
    lines = _lines(locate(text, ("spec", "egress", 0)), text)
    assert lines[0].strip() == "- to:"
    assert lines[-1].strip() == "port: 5978"


def test_locate_peer_and_port_inside_a_rule() -> None:
    text = manifest_yaml(json.dumps(POLICY))
    ref = RuleRef("NetworkPolicy", "shop", "test-network-policy", Direction.INGRESS, 0, peer=2, port=0)
    found = locate_rule(text, ref)
    assert found is not None
    assert [line.strip() for line in _lines(found.peer, text)] == ["- podSelector:", "matchLabels:", "role: frontend"]
    assert [line.strip() for line in _lines(found.port, text)] == ["- protocol: TCP", "port: 6379"]
    assert found.peer is not None and found.peer.first in found.rule and found.peer.last in found.rule


def test_locate_rule_without_peer_or_port_index() -> None:
    text = manifest_yaml(json.dumps(POLICY))
    found = locate_rule(text, RuleRef("NetworkPolicy", "shop", "x", Direction.EGRESS, 0))
    assert found is not None and found.peer is None and found.port is None


def test_cluster_network_policy_ports_are_protocols() -> None:
    cnp = {
        "kind": "ClusterNetworkPolicy",
        "spec": {"ingress": [{"name": "r", "action": "Accept", "from": [{"namespaces": {}}],
                              "protocols": [{"tcp": {"destinationPort": {"number": 80}}}]}]},
    }
    text = manifest_yaml(json.dumps(cnp))
    found = locate_rule(text, RuleRef("ClusterNetworkPolicy", None, "c", Direction.INGRESS, 0, peer=0, port=0))
    assert found is not None and found.port is not None
    assert "tcp:" in _lines(found.port, text)[0]
    assert [line.strip() for line in _lines(found.peer, text)] == ["- namespaces: {}"]


def test_missing_paths_and_broken_yaml_give_none() -> None:
    text = manifest_yaml(json.dumps(POLICY))
    assert locate(text, ("spec", "ingress", 5)) is None
    assert locate(text, ("spec", "nope")) is None
    assert locate(text, ("kind", 0)) is None
    assert locate("a: [", ("a",)) is None
    assert locate_rule("", RuleRef("NetworkPolicy", "a", "b", Direction.INGRESS, 0)) is None


def test_block_scalar_ends_on_its_last_text_line() -> None:
    text = "a:\n  b: |\n    one\n    two\nc: 1\n"
    assert locate(text, ("a", "b")) == LineSpan(1, 3)
