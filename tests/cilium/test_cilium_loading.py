"""Loading cilium.io objects: what Cilium's rule_validation.go rejects is reported by kind/namespace/name and
skipped (verdicts it could touch are unknown), what this tool does not evaluate is said so, the rest loads;
the demo, snapshots and --cni behave."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.profiles import Profile
from kubenet_tui.sources.demo import DemoSource

from .kit import load, status

BAD_RULES = [
    ("two-l3-kinds", "ingress: [{fromEndpoints: [{}], fromEntities: [world]}]", "Combining"),
    ("icmps-and-ports", "ingress: [{icmps: [{fields: [{type: 8}]}], toPorts: [{ports: [{port: '80'}]}]}]",
     "ICMPs block"),
    ("unknown-entity", "ingress: [{fromEntities: [galaxy]}]", "unsupported entity"),
    ("except-outside-cidr", "egress: [{toCIDRSet: [{cidr: 10.0.0.0/8, except: [11.0.0.0/8]}]}]", "does not contain"),
    ("bad-cidr", "egress: [{toCIDR: [not-a-cidr]}]", "unable to parse CIDR"),
    ("l7-on-udp", "ingress: [{toPorts: [{ports: [{port: '53', protocol: UDP}], rules: {http: [{}]}}]}]",
     "L7 rules can only apply to TCP"),
    ("dns-on-ingress", "ingress: [{toPorts: [{ports: [{port: '53'}], rules: {dns: [{matchName: x}]}}]}]",
     "DNS rules are not allowed on ingress"),
    ("services-with-ports", "egress: [{toServices: [{k8sService: {serviceName: a}}], toPorts: [{ports: [{port: '80'}]}]}]",
     "ToServices and ToPorts"),
    ("bad-protocol", "ingress: [{toPorts: [{ports: [{port: '80', protocol: GRE}]}]}]", "invalid protocol"),
    ("bad-port", "ingress: [{toPorts: [{ports: [{port: '99999'}]}]}]", "unable to parse port"),
    ("l7-port-zero", "ingress: [{toPorts: [{ports: [{port: '0', protocol: TCP}], rules: {http: [{}]}}]}]",
     "port is 0"),
]


def _cnp(body: str, name: str = "bad", selector: str = "endpointSelector: {matchLabels: {kind: echo}}") -> str:
    return (f"apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {{name: {name}, namespace: cilium-test}}\n"
            f"spec:\n  {selector}\n  {body}\n")


@pytest.mark.parametrize(("body", "message"), [c[1:] for c in BAD_RULES], ids=[c[0] for c in BAD_RULES])
def test_invalid_rules_are_reported_and_make_touched_verdicts_unknown(body: str, message: str) -> None:
    good = _cnp("ingress: [{fromEndpoints: [{matchLabels: {kind: client}}]}]", name="good")
    cluster, problems = load(good + "---\n" + _cnp(body))
    errors = [p for p in problems if p.severity == "error"]
    assert len(errors) == 1, [p.describe() for p in problems]
    assert (errors[0].kind, errors[0].namespace, errors[0].name) == ("CiliumNetworkPolicy", "cilium-test", "bad")
    assert message in errors[0].message
    assert [p.name for p in cluster.cilium_policies] == ["good"]
    direction = "egress" if body.startswith("egress") else "ingress"
    if direction == "ingress":
        assert status(cluster, "cilium-test/client", "cilium-test/echo-same-node") is Status.UNKNOWN
    else:  # an egress-only object: ingress at its pods is still decided
        assert status(cluster, "1.1.1.1", "cilium-test/client") is Status.ALLOWED
        assert status(cluster, "cilium-test/echo-same-node", "1.1.1.1") is Status.UNKNOWN


@pytest.mark.parametrize(("text", "message"), [
    ("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: bad, namespace: cilium-test}\n",
     "empty policy"),
    (_cnp("ingress: []", selector="nodeSelector: {}"), "only a CiliumClusterwideNetworkPolicy may select nodes"),
    ("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: bad, namespace: cilium-test}\n"
     "spec: {ingress: [{}]}\n", "one of EndpointSelector or NodeSelector"),
    ("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: bad, namespace: cilium-test}\n"
     "spec: {endpointSelector: {}, nodeSelector: {}}\n", "both EndpointSelector and NodeSelector"),
])
def test_invalid_objects(text: str, message: str) -> None:
    cluster, problems = load(text)
    (error,) = [p for p in problems if p.severity == "error"]
    assert message in error.message and error.name == "bad"
    assert status(cluster, "cilium-test/client", "cilium-test/echo-same-node") is Status.UNKNOWN


def test_unsupported_is_a_warning_with_the_reason() -> None:
    cluster, problems = load(_cnp("ingress: [{fromRequires: [{}]}]"))
    assert not [p for p in problems if p.severity == "error"]
    assert any("fromRequires" in p.message and p.name == "bad" for p in problems)
    verdict_status = status(cluster, "cilium-test/client", "cilium-test/echo-same-node")
    assert verdict_status is Status.UNKNOWN


def test_ports_normalised_like_cilium() -> None:
    # Names are IANA service names, lowercased; "0x1F90" is one too (pkg/policy/api: it has a letter).
    cluster, problems = load(_cnp("ingress: [{toPorts: [{ports: [{port: HTTP, protocol: tcp}, {port: '0x1F90'}, "
                                  "{port: 8080}]}]}]"))
    assert not problems
    (policy,) = cluster.cilium_policies
    ports = policy.rules[0].ingress[0].ports
    assert ports is not None
    assert [(p.port, p.protocol.value) for p in ports[0].ports] == [("http", "TCP"), ("0x1f90", "ANY"), (8080, "ANY")]


def test_rule_without_section_loads_with_a_warning() -> None:
    cluster, problems = load(_cnp("description: nothing"))
    assert [p.severity for p in problems] == ["warning"]
    assert status(cluster, "other/stranger", "cilium-test/echo-same-node") is Status.ALLOWED


def test_demo_cilium_is_a_cilium_cluster() -> None:
    snapshot = DemoSource("cilium").load()
    assert not [p for p in snapshot.problems if p.severity == "error"], snapshot.problems
    cluster = snapshot.cluster
    assert cluster.profile is Profile.CILIUM
    assert {p.kind for p in cluster.cilium_policies} == {"CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"}


DEMO_ANSWERS = [
    ("shop/frontend shop/api --port 8080", 0, "HTTP rules decide each request"),
    ("shop/api shop/db-0 --port 5432", 0, "shop/db-ingress ingress[0]"),
    ("shop/debug shop/db-0 --port 5432", 1, "ingressDeny[0]"),
    ("shop/frontend shop/db-0 --port 5432", 1, "switched on by"),
    ("shop/frontend 1.1.1.1 --port 443", 0, "specs[1].egress[0]"),
    ("payments/worker 8.8.8.8 --port 443", 3, "toFQDNs"),
    ("203.0.113.7 shop/api --port 8080", 1, "no-world-into-shop ingressDeny[0]"),
    ("shop/api payments/worker --port 8443", 1, "ipBlock"),
]


@pytest.mark.parametrize(("args", "code", "text"), DEMO_ANSWERS, ids=[a[0] for a in DEMO_ANSWERS])
def test_demo_answers(args: str, code: int, text: str) -> None:
    import contextlib
    import io

    from kubenet_tui.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = main(["check", *args.split(), "--demo", "cilium"])
    assert result == code, out.getvalue()
    assert text in out.getvalue()


def test_cni_upstream_overrides_and_json_names_the_profile() -> None:
    command = [sys.executable, "-m", "kubenet_tui", "check", "shop/api", "payments/worker", "--port", "8443",
               "--demo", "cilium", "-o", "json"]
    cilium = json.loads(subprocess.run(command, capture_output=True, text=True, check=False).stdout)
    assert cilium["profile"] == "cilium" and cilium["allowed"] is False
    assert cilium["ingress"]["chain"] == ["[Cilium] Deny"]
    upstream = json.loads(subprocess.run([*command, "--cni", "upstream"], capture_output=True, text=True,
                                         check=False).stdout)
    assert upstream["profile"] == "upstream" and upstream["allowed"] is None


def test_snapshot_of_cilium_objects_loads_back() -> None:
    from kubenet_tui.sources.demo import demo_texts

    objects = [d for _, text in demo_texts("cilium") for d in yaml.safe_load_all(text) if d]
    dumped = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": objects})
    cluster, problems = load(dumped, base="")
    assert not [p for p in problems if p.severity == "error"]
    assert len(cluster.cilium_policies) == 6
