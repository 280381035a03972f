"""The benchmark's cluster generator: deterministic, loadable, and covering every feature it promises."""

from __future__ import annotations

import json

import pytest

from kubenet_tui.engine.model import Operator, Protocol
from kubenet_tui.engine.rules import ip_block_check
from kubenet_tui.sources.files import parse_json_text, parse_yaml_text
from kubenet_tui.sources.parse import ObjectCollector
from scale.genkit import generator, load


def test_same_seed_same_bytes() -> None:
    gen = generator()
    assert gen.to_json(gen.generate(400, seed=3)) == gen.to_json(gen.generate(400, seed=3))
    assert gen.to_yaml(gen.generate(200, seed=3)) == gen.to_yaml(gen.generate(200, seed=3))


def test_another_seed_another_cluster() -> None:
    gen = generator()
    assert gen.to_json(gen.generate(400, seed=3)) != gen.to_json(gen.generate(400, seed=4))


@pytest.mark.parametrize("pods", [20, 400, 1500])
def test_sizes(pods: int) -> None:
    gen = generator()
    cluster = load(gen.generate(pods, seed=1))
    assert len(cluster.pods) == pods
    assert len(cluster.network_policies) == pods // 10


def test_json_and_yaml_load_the_same_cluster() -> None:
    gen = generator()
    objects = gen.generate(300, seed=2)
    from_json, from_yaml = ObjectCollector(), ObjectCollector()
    parse_json_text(gen.to_json(objects), "c.json", from_json)
    parse_yaml_text(gen.to_yaml(objects), "c.yaml", from_yaml)
    assert not from_json.problems and not from_yaml.problems
    assert from_json.cluster().pods == from_yaml.cluster().pods
    assert from_json.cluster().network_policies == from_yaml.cluster().network_policies
    assert from_json.cluster().admin_policies == from_yaml.cluster().admin_policies


def test_the_policy_mix_covers_what_the_benchmark_claims() -> None:
    gen = generator()
    objects = gen.generate(1500, seed=1)
    cluster = load(objects)
    pods = cluster.pods
    assert any(p.host_network for p in pods)
    assert any(not p.ips for p in pods)  # Pending
    assert any(p.ips and p.finished for p in pods)
    assert any(len(p.ips) == 2 for p in pods)  # dual stack
    numbers_of_http = {c.port for p in pods for c in p.ports if c.name == "http"}
    assert len(numbers_of_http) > 1  # the same port name means different numbers on different pods

    rules = [r for np in cluster.network_policies for r in np.ingress + np.egress]
    peers = [peer for r in rules for peer in r.peers]
    ports = [port for r in rules for port in r.ports]
    blocks = [peer.ip_block for peer in peers if peer.ip_block is not None]
    assert any(b.excepts for b in blocks)
    assert any(ip_block_check(b, p.ips).matched for b in blocks for p in pods if p.ips and not p.host_network)
    assert any(peer.namespace_selector is not None and peer.pod_selector is not None for peer in peers)
    assert any(peer.namespace_selector is None and peer.pod_selector is not None for peer in peers)
    operators = {req.operator for np in cluster.network_policies for req in np.pod_selector.match_expressions}
    operators |= {
        req.operator
        for peer in peers
        for sel in (peer.pod_selector, peer.namespace_selector)
        if sel is not None
        for req in sel.match_expressions
    }
    assert operators == set(Operator)
    assert any(isinstance(p.port, str) for p in ports)
    assert any(p.end_port is not None for p in ports)
    assert {p.protocol for p in ports} == set(Protocol)
    assert any(p.port == 53 and p.protocol is Protocol.UDP for p in ports)  # DNS egress
    raw_policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    assert any("policyTypes" not in o["spec"] for o in raw_policies)  # defaulted by the loader
    kinds = {(a.kind, a.tier.value) for a in cluster.admin_policies}
    assert kinds == {
        ("AdminNetworkPolicy", "Admin"),
        ("BaselineAdminNetworkPolicy", "Baseline"),
        ("ClusterNetworkPolicy", "Admin"),
        ("ClusterNetworkPolicy", "Baseline"),
    }
    assert cluster.services and cluster.nodes


def test_cli_writes_json(capsys: pytest.CaptureFixture[str]) -> None:
    gen = generator()
    assert gen.main(["--pods", "50", "--seed", "9"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kind"] == "List"
    assert sum(1 for item in data["items"] if item["kind"] == "Pod") == 50
