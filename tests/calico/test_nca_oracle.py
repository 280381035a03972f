"""A differential oracle: network-config-analyzer (NCA, an independent engine that reads Calico policies)
and this engine must agree on every pod pair and port of a set of Calico scenarios.

NCA is not a dependency: it pulls a large tree of packages that need not install offline. The test runs
when it is found (`KUBENET_NCA=/path/to/nca`, or `nca` on the PATH) and is skipped otherwise. The
scenarios stay inside what NCA models (its stated limitations): no tiers, no service-account matching,
no two policies of equal order (NCA keeps file order, Calico sorts by name), integer orders (NCA reads
floats as text), selectors quoted with '...' (NCA's parser rejects "..."), and no nets over pod addresses
(NCA knows pods by labels, not by IP).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from engine.kit import check, load, namespace, netpol, pod

from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.profiles import Profile

from .kit import gnp, np, rule

NCA = os.environ.get("KUBENET_NCA") or shutil.which("nca")
pytestmark = pytest.mark.skipif(NCA is None, reason="network-config-analyzer (nca) is not installed")

PORTS = [("http", 80, "TCP"), ("alt", 8080, "TCP"), ("dns", 53, "UDP")]
WORLD = [
    namespace("x", {"ns": "x", "env": "prod"}), namespace("y", {"ns": "y", "env": "dev"}),
    pod("x", "web", {"app": "web", "tier": "front"}, ips=["10.1.0.1"], ports=PORTS),
    pod("x", "cache", {"app": "cache"}, ips=["10.1.0.2"], ports=PORTS),
    pod("y", "db", {"app": "db", "tier": "back"}, ips=["10.2.0.1"], ports=PORTS),
    pod("y", "job", {"app": "job"}, ips=["10.2.0.2"], ports=PORTS),
]
QUERIES = [("TCP", 80), ("TCP", 8080), ("TCP", 443), ("UDP", 53)]

SCENARIOS: dict[str, list[dict[str, Any]]] = {
    "deny-then-allow": [gnp("deny-web", order=10, selector="app == 'db'", types=["Ingress"], ingress=[
        rule("Deny", protocol="TCP", source={"selector": "app == 'web'"}, destination={"ports": [80]}),
        rule("Allow", source={"namespaceSelector": "ns == 'x'"})])],
    "namespaced-scope": [np("y", "from-own", order=5, selector="all()", ingress=[
        rule("Allow", protocol="TCP", source={"selector": "has(app)"})])],
    "order-decides": [gnp("b-allow", order=20, selector="tier == 'back'", ingress=[rule("Allow")]),
                      gnp("a-deny", order=10, selector="tier == 'back'", ingress=[
                          rule("Deny", source={"selector": "tier == 'front'"})])],
    "not-selector-and-ranges": [gnp("ranges", order=1, selector="app in {'db', 'job'}", ingress=[
        rule("Allow", protocol="TCP", source={"notSelector": "app == 'cache'"},
             destination={"ports": ["79:81"], "notPorts": [8080]})])],
    "egress-and-udp": [gnp("egress", order=3, selector="app == 'web'", types=["Egress"], egress=[
        rule("Allow", protocol="UDP", destination={"ports": [53]}),
        rule("Deny", destination={"selector": "app == 'db'"}),
        rule("Allow", protocol="TCP")])],
    "named-ports": [gnp("named", order=2, selector="has(app)", ingress=[
        rule("Allow", protocol="TCP", destination={"ports": ["alt"]})])],
    "not-protocol-and-log": [gnp("np", order=4, selector="app == 'job'", ingress=[
        rule("Log"), rule("Allow", notProtocol="UDP", source={"namespaceSelector": "env == 'prod'"})])],
    "with-kubernetes-policy": [
        gnp("deny-first", order=100, selector="app == 'db'", ingress=[
            rule("Deny", source={"selector": "app == 'cache'"})]),
        netpol("y", "knp", {"podSelector": {"matchLabels": {"app": "db"}},
                            "ingress": [{"from": [{"namespaceSelector": {}}], "ports": [{"port": 80}]}]})],
}

_SET = re.compile(r"\{([^}]*)\}")
_LINE = re.compile(r"^(\S+)\[Pod\] => (\S+)\[Pod\] : (.*)$")


def _covers(text: str, protocol: str, port: int) -> bool:
    """Whether NCA's connection set text (one `{protocols:..,dst_ports:..}`) includes the port."""
    protocols = re.search(r"protocols:([A-Za-z0-9,]+?)(?:,dst_ports:|$)", text)
    if protocols is not None and protocol not in protocols.group(1).split(","):
        return False
    ports = re.search(r"dst_ports:([0-9,\-]+)", text)
    if ports is None:
        return True
    for part in ports.group(1).split(","):
        low, _, high = part.partition("-")
        if int(low) <= port <= int(high or low):
            return True
    return False


def _allows(conns: list[str], protocol: str, port: int) -> bool:
    for conn in conns:
        if conn.startswith("All connections"):
            return True
        sets = _SET.findall(conn)
        if conn.startswith("All but"):
            if not any(_covers(s, protocol, port) for s in sets):
                return True
        elif any(_covers(s, protocol, port) for s in sets):
            return True
    return False


def nca_connectivity(tmp_path: Path, objects: list[dict[str, Any]]) -> dict[tuple[str, str], list[str]]:
    pods = [o for o in WORLD if o["kind"] == "Pod"]
    namespaces = [o for o in WORLD if o["kind"] == "Namespace"]
    (tmp_path / "pods.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "PodList", "items": pods}))
    (tmp_path / "ns.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "NamespaceList",
                                                      "items": namespaces}))
    (tmp_path / "policies.yaml").write_text(yaml.safe_dump_all(objects))
    assert NCA is not None
    result = subprocess.run([NCA, "--connectivity", str(tmp_path / "policies.yaml"), "--pod_list",
                             str(tmp_path / "pods.yaml"), "--ns_list", str(tmp_path / "ns.yaml"), "--output_format",
                             "txt_no_fw_rules"], capture_output=True, text=True, timeout=120, check=False)
    assert "Error" not in result.stdout + result.stderr, result.stdout + result.stderr
    found: dict[tuple[str, str], list[str]] = {}
    for line in result.stdout.splitlines():
        match = _LINE.match(line.strip())
        if match:
            found.setdefault((match.group(1), match.group(2)), []).append(match.group(3))
    return found


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_agrees_with_network_config_analyzer(tmp_path: Path, name: str) -> None:
    objects = SCENARIOS[name]
    theirs = nca_connectivity(tmp_path, objects)
    cluster = replace(load(WORLD, objects).cluster(), profile_override=Profile.CALICO)
    keys = [p.key for p in cluster.pods]
    wrong = []
    for source in keys:
        for destination in keys:
            if source == destination:
                continue
            for protocol, port in QUERIES:
                ours = check(cluster, source, destination, port, protocol).status is Status.ALLOWED
                expected = _allows(theirs.get((source, destination), []), protocol, port)
                if ours != expected:
                    wrong.append(f"{source} -> {destination} {port}/{protocol}: ours {ours}, NCA {expected}")
    assert not wrong, "\n".join(wrong)
