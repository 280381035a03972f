"""Cilium's reading, construct by construct: each row restates a Cilium doc example or a scenario of
cilium-cli's connectivity suite (client, client2, echo pods; default deny, deny wins, entities, CIDR with
except, port ranges, CCNP) and the verdict Cilium gives it."""

from __future__ import annotations

import pytest

from kubenet_tui.engine.caveats import CaveatCode
from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.model import Protocol
from kubenet_tui.engine.profiles import Profile

from .kit import NODE_1, NODE_2, as_profile, ask, cluster_of, status

A = Status.ALLOWED
B = Status.BLOCKED
U = Status.UNKNOWN
C = "cilium-test"


def cnp(name: str, spec: str, namespace: str = C) -> str:
    body = "\n".join("  " + line for line in spec.strip("\n").splitlines())
    return f"""apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {{name: {name}, namespace: {namespace}}}
spec:
{body}
"""


def ccnp(name: str, spec: str) -> str:
    body = "\n".join("  " + line for line in spec.strip("\n").splitlines())
    return f"""apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {{name: {name}}}
spec:
{body}
"""


def knp(name: str, spec: str, namespace: str = C) -> str:
    body = "\n".join("  " + line for line in spec.strip("\n").splitlines())
    return f"""apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: {name}, namespace: {namespace}}}
spec:
{body}
"""


ECHO_FROM_CLIENT = cnp("echo-ingress-from-client", """
endpointSelector: {matchLabels: {kind: echo}}
ingress:
- fromEndpoints: [{matchLabels: {kind: client}}]
  toPorts: [{ports: [{port: "8080", protocol: TCP}]}]
""")

ECHO_DENY_CLIENT2 = cnp("echo-ingress-deny-other-client", """
endpointSelector: {matchLabels: {kind: echo}}
ingressDeny:
- fromEndpoints: [{matchLabels: {other: client}}]
""")

CLIENT_EGRESS_WORLD = cnp("client-egress-to-entities-world", """
endpointSelector: {matchLabels: {kind: client}}
egress:
- toEntities: [world]
  toPorts: [{ports: [{port: "443", protocol: TCP}]}]
""")

CASES: list[tuple[str, str, str, str, str | None, Protocol, Status]] = [
    # -- no policy: everything is allowed
    ("no-policy", "", "cilium-test/client", "cilium-test/echo-same-node", "8080", Protocol.TCP, A),
    # -- allow + default deny (connectivity: client-ingress... / echo-ingress-from-other-client)
    ("allow-matching-peer", ECHO_FROM_CLIENT, "cilium-test/client", "cilium-test/echo-same-node", "8080",
     Protocol.TCP, A),
    ("allow-other-node", ECHO_FROM_CLIENT, "cilium-test/client2", "cilium-test/echo-other-node", "8080",
     Protocol.TCP, A),
    ("default-deny-other-port", ECHO_FROM_CLIENT, "cilium-test/client", "cilium-test/echo-same-node", "9090",
     Protocol.TCP, B),
    ("default-deny-other-protocol", ECHO_FROM_CLIENT, "cilium-test/client", "cilium-test/echo-same-node", "8080",
     Protocol.UDP, B),
    ("cnp-peer-scoped-to-own-namespace", ECHO_FROM_CLIENT, "other/stranger", "cilium-test/echo-same-node", "8080",
     Protocol.TCP, B),
    ("default-deny-world", ECHO_FROM_CLIENT, "1.1.1.1", "cilium-test/echo-same-node", "8080", Protocol.TCP, B),
    ("named-port-on-destination", ECHO_FROM_CLIENT, "cilium-test/client", "cilium-test/echo-same-node", "http",
     Protocol.TCP, A),
    # -- deny wins (connectivity: echo-ingress-from-other-client-deny)
    ("deny-wins-over-allow", ECHO_FROM_CLIENT + "---\n" + ECHO_DENY_CLIENT2, "cilium-test/client2",
     "cilium-test/echo-same-node", "8080", Protocol.TCP, B),
    ("deny-leaves-others", ECHO_FROM_CLIENT + "---\n" + ECHO_DENY_CLIENT2, "cilium-test/client",
     "cilium-test/echo-same-node", "8080", Protocol.TCP, A),
    ("deny-section-switches-default-deny-on", ECHO_DENY_CLIENT2, "cilium-test/client", "cilium-test/echo-same-node",
     "8080", Protocol.TCP, B),
    ("deny-without-default-deny", cnp("deny-only", """
endpointSelector: {matchLabels: {kind: echo}}
enableDefaultDeny: {ingress: false}
ingressDeny:
- fromEndpoints: [{matchLabels: {other: client}}]
"""), "cilium-test/client", "cilium-test/echo-same-node", "8080", Protocol.TCP, A),
    ("deny-without-default-deny-still-denies", cnp("deny-only", """
endpointSelector: {matchLabels: {kind: echo}}
enableDefaultDeny: {ingress: false}
ingressDeny:
- fromEndpoints: [{matchLabels: {other: client}}]
"""), "cilium-test/client2", "cilium-test/echo-same-node", "8080", Protocol.TCP, B),
    ("deny-beats-knp-allow", knp("allow-all", "podSelector: {}\ningress: [{}]") + "---\n" + ECHO_DENY_CLIENT2,
     "cilium-test/client2", "cilium-test/echo-same-node", "8080", Protocol.TCP, B),
    ("egress-deny-port", cnp("client-egress-to-echo-deny", """
endpointSelector: {matchLabels: {kind: client}}
enableDefaultDeny: {egress: false}
egressDeny:
- toEndpoints: [{matchLabels: {kind: echo}}]
  toPorts: [{ports: [{port: "8080", protocol: TCP}]}]
"""), "cilium-test/client", "cilium-test/echo-other-node", "8080", Protocol.TCP, B),
    ("egress-deny-other-port", cnp("client-egress-to-echo-deny", """
endpointSelector: {matchLabels: {kind: client}}
enableDefaultDeny: {egress: false}
egressDeny:
- toEndpoints: [{matchLabels: {kind: echo}}]
  toPorts: [{ports: [{port: "8080", protocol: TCP}]}]
"""), "cilium-test/client", "cilium-test/echo-other-node", "9090", Protocol.TCP, A),
    # -- enableDefaultDeny false: allows decide nothing alone
    ("allow-without-default-deny", cnp("dns-only", """
endpointSelector: {matchLabels: {kind: client}}
enableDefaultDeny: {egress: false}
egress:
- toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, k8s-app: kube-dns}}]
"""), "cilium-test/client", "cilium-test/echo-other-node", "8080", Protocol.TCP, A),
    # -- entities (connectivity: client-egress-to-entities-world, all-entities)
    ("world-outside", CLIENT_EGRESS_WORLD, "cilium-test/client", "1.1.1.1", "443", Protocol.TCP, A),
    ("world-not-a-pod", CLIENT_EGRESS_WORLD, "cilium-test/client", "cilium-test/echo-same-node", "443",
     Protocol.TCP, B),
    ("world-other-port", CLIENT_EGRESS_WORLD, "cilium-test/client", "1.1.1.1", "80", Protocol.TCP, B),
    ("cluster-is-every-pod", cnp("from-cluster", """
endpointSelector: {matchLabels: {kind: echo}}
ingress: [{fromEntities: [cluster]}]
"""), "other/stranger", "cilium-test/echo-same-node", "8080", Protocol.TCP, A),
    ("cluster-is-not-world", cnp("from-cluster", """
endpointSelector: {matchLabels: {kind: echo}}
ingress: [{fromEntities: [cluster]}]
"""), "1.1.1.1", "cilium-test/echo-same-node", "8080", Protocol.TCP, B),
    ("all-entity", cnp("from-all", """
endpointSelector: {matchLabels: {kind: echo}}
ingress: [{fromEntities: [all]}]
"""), "8.8.8.8", "cilium-test/echo-same-node", "8080", Protocol.TCP, A),
    ("host-entity-node-is-unknown", cnp("to-host", """
endpointSelector: {matchLabels: {kind: client}}
egress: [{toEntities: [host]}]
"""), "cilium-test/client", NODE_1, "10250", Protocol.TCP, U),
    ("host-and-remote-node", cnp("to-nodes", """
endpointSelector: {matchLabels: {kind: client}}
egress: [{toEntities: [host, remote-node]}]
"""), "cilium-test/client", NODE_1, "10250", Protocol.TCP, A),
    ("allow-localhost-is-unknown", ECHO_FROM_CLIENT, NODE_1, "cilium-test/echo-same-node", "8080", Protocol.TCP, U),
    # -- CIDR rules: outside addresses only (connectivity: client-egress-to-cidr, with except)
    ("cidr-outside", cnp("to-cidr", """
endpointSelector: {matchLabels: {kind: client}}
egress:
- toCIDRSet: [{cidr: 1.0.0.0/8, except: [1.1.1.1/32]}]
"""), "cilium-test/client", "1.0.0.1", "443", Protocol.TCP, A),
    ("cidr-except", cnp("to-cidr", """
endpointSelector: {matchLabels: {kind: client}}
egress:
- toCIDRSet: [{cidr: 1.0.0.0/8, except: [1.1.1.1/32]}]
"""), "cilium-test/client", "1.1.1.1", "443", Protocol.TCP, B),
    ("cidr-never-a-pod", cnp("to-cidr", """
endpointSelector: {matchLabels: {kind: client}}
egress: [{toCIDR: [10.0.0.0/8]}]
"""), "cilium-test/client", "cilium-test/echo-other-node", "8080", Protocol.TCP, B),
    ("cidr-never-a-node", cnp("to-cidr", """
endpointSelector: {matchLabels: {kind: client}}
egress: [{toCIDR: [192.168.0.0/16]}]
"""), "cilium-test/client", NODE_2, "10250", Protocol.TCP, B),
    ("cidr-group", cnp("to-group", """
endpointSelector: {matchLabels: {kind: client}}
egress: [{toCIDRSet: [{cidrGroupRef: dns-servers}]}]
""") + """---
apiVersion: cilium.io/v2alpha1
kind: CiliumCIDRGroup
metadata: {name: dns-servers}
spec: {externalCIDRs: [8.8.8.0/24]}
""", "cilium-test/client", "8.8.8.8", "53", Protocol.UDP, A),
    ("cidr-group-missing", cnp("to-group", """
endpointSelector: {matchLabels: {kind: client}}
egress: [{toCIDRSet: [{cidrGroupRef: nowhere}]}]
"""), "cilium-test/client", "8.8.8.8", "53", Protocol.UDP, B),
    # -- ports: ranges, ANY, port 0
    ("port-range", cnp("range", """
endpointSelector: {matchLabels: {kind: echo}}
ingress: [{toPorts: [{ports: [{port: "8000", endPort: 8999, protocol: TCP}]}]}]
"""), "cilium-test/client", "cilium-test/echo-same-node", "8080", Protocol.TCP, A),
    ("port-range-outside", cnp("range", """
endpointSelector: {matchLabels: {kind: echo}}
ingress: [{toPorts: [{ports: [{port: "8000", endPort: 8999, protocol: TCP}]}]}]
"""), "cilium-test/client", "cilium-test/echo-same-node", "9000", Protocol.TCP, B),
    ("port-any-protocol", cnp("any", """
endpointSelector: {matchLabels: {kind: echo}}
ingress: [{toPorts: [{ports: [{port: "53"}]}]}]
"""), "1.1.1.1", "cilium-test/echo-same-node", "53", Protocol.SCTP, A),
    ("port-zero-every-port", cnp("zero", """
endpointSelector: {matchLabels: {kind: echo}}
ingress:
- fromEndpoints: [{}]
  toPorts: [{ports: [{port: "0", protocol: UDP}]}]
"""), "cilium-test/client", "cilium-test/echo-same-node", "5353", Protocol.UDP, A),
    ("icmp-only-rule", cnp("icmp", """
endpointSelector: {matchLabels: {kind: echo}}
ingress:
- fromEndpoints: [{}]
  icmps: [{fields: [{type: 8, family: IPv4}]}]
"""), "cilium-test/client", "cilium-test/echo-same-node", "8080", Protocol.TCP, B),
    ("empty-rule-selects-nothing", cnp("isolate", """
endpointSelector: {matchLabels: {kind: echo}}
ingress: [{}]
"""), "cilium-test/client", "cilium-test/echo-same-node", "8080", Protocol.TCP, B),
    # -- identity labels
    ("namespace-key-reaches-other-namespace", cnp("from-other", """
endpointSelector: {matchLabels: {kind: echo}}
ingress: [{fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: other}}]}]
"""), "other/stranger", "cilium-test/echo-same-node", "8080", Protocol.TCP, A),
    ("namespace-labels-key-is-not-scoped", cnp("from-team", """
endpointSelector: {matchLabels: {kind: echo}}
ingress: [{fromEndpoints: [{matchLabels: {io.cilium.k8s.namespace.labels.team: other}}]}]
"""), "other/stranger", "cilium-test/echo-same-node", "8080", Protocol.TCP, A),
    ("service-account", ccnp("echo-from-client-sa", """
endpointSelector: {matchLabels: {kind: echo}}
ingress: [{fromEndpoints: [{matchLabels: {io.cilium.k8s.policy.serviceaccount: client}}]}]
"""), "cilium-test/client", "cilium-test/echo-same-node", "8080", Protocol.TCP, A),
    ("service-account-other", ccnp("echo-from-client-sa", """
endpointSelector: {matchLabels: {kind: echo}}
ingress: [{fromEndpoints: [{matchLabels: {io.cilium.k8s.policy.serviceaccount: client}}]}]
"""), "cilium-test/client2", "cilium-test/echo-same-node", "8080", Protocol.TCP, B),
    ("filtered-label-never-matches", knp("by-pod-name", """
podSelector: {matchLabels: {kind: echo}}
ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {statefulset.kubernetes.io/pod-name: stranger}}}]}]
"""), "other/stranger", "cilium-test/echo-same-node", "8080", Protocol.TCP, B),
    ("namespace-labels-unknown-deny-might-match", cnp("deny-team", """
endpointSelector: {matchLabels: {kind: echo}}
ingress: [{fromEntities: [cluster]}]
ingressDeny: [{fromEndpoints: [{matchLabels: {io.cilium.k8s.namespace.labels.team: bad}}]}]
"""), "unlisted/ghost", "cilium-test/echo-same-node", "8080", Protocol.TCP, U),
    ("namespace-name-known-deny-does-not-match", cnp("deny-team", """
endpointSelector: {matchLabels: {kind: echo}}
ingress: [{fromEntities: [cluster]}]
ingressDeny: [{fromEndpoints: [{matchLabels: {io.kubernetes.pod.namespace: other}}]}]
"""), "unlisted/ghost", "cilium-test/echo-same-node", "8080", Protocol.TCP, A),
    ("namespace-labels-unknown-subject", ccnp("team-isolation", """
endpointSelector: {matchLabels: {io.cilium.k8s.namespace.labels.team: conn}}
ingress: [{fromEntities: [world]}]
"""), "cilium-test/client", "unlisted/ghost", "8080", Protocol.TCP, U),
    # -- CCNP: peers of every namespace, pods only
    ("ccnp-empty-peer-is-every-pod", ccnp("echo-from-pods", """
endpointSelector: {matchLabels: {kind: echo}}
ingress: [{fromEndpoints: [{}]}]
"""), "other/stranger", "cilium-test/echo-same-node", "8080", Protocol.TCP, A),
    ("ccnp-empty-peer-is-not-world", ccnp("echo-from-pods", """
endpointSelector: {matchLabels: {kind: echo}}
ingress: [{fromEndpoints: [{}]}]
"""), "1.1.1.1", "cilium-test/echo-same-node", "8080", Protocol.TCP, B),
    ("ccnp-selects-every-namespace", ccnp("deny-stranger", """
endpointSelector: {}
egressDeny: [{toEndpoints: [{matchLabels: {kind: echo}}]}]
enableDefaultDeny: {egress: false}
"""), "other/stranger", "cilium-test/echo-same-node", "8080", Protocol.TCP, B),
    # -- Kubernetes NetworkPolicy read the Cilium way
    ("knp-isolation-is-default-deny", knp("echo-from-client", """
podSelector: {matchLabels: {kind: echo}}
ingress: [{from: [{podSelector: {matchLabels: {kind: client}}}]}]
"""), "other/stranger", "cilium-test/echo-same-node", "8080", Protocol.TCP, B),
    ("knp-ipblock-never-a-pod", knp("echo-from-cidr", """
podSelector: {matchLabels: {kind: echo}}
ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}}]}]
"""), "cilium-test/client", "cilium-test/echo-same-node", "8080", Protocol.TCP, B),
    ("knp-ipblock-outside", knp("echo-from-cidr", """
podSelector: {matchLabels: {kind: echo}}
ingress: [{from: [{ipBlock: {cidr: 1.0.0.0/8, except: [1.1.1.0/24]}}]}]
"""), "1.0.0.1", "cilium-test/echo-same-node", "8080", Protocol.TCP, A),
    ("knp-ipblock-except", knp("echo-from-cidr", """
podSelector: {matchLabels: {kind: echo}}
ingress: [{from: [{ipBlock: {cidr: 1.0.0.0/8, except: [1.1.1.0/24]}}]}]
"""), "1.1.1.1", "cilium-test/echo-same-node", "8080", Protocol.TCP, B),
    ("knp-and-cnp-union", knp("echo-from-client", """
podSelector: {matchLabels: {kind: echo}}
ingress: [{from: [{podSelector: {matchLabels: {name: client}}}]}]
""") + "---\n" + cnp("echo-from-stranger", """
endpointSelector: {matchLabels: {kind: echo}}
ingress: [{fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: other}}]}]
"""), "other/stranger", "cilium-test/echo-same-node", "8080", Protocol.TCP, A),
    ("knp-rules-outside-policy-types", knp("odd", """
podSelector: {matchLabels: {kind: echo}}
policyTypes: [Egress]
ingress: [{from: [{podSelector: {}}]}]
"""), "cilium-test/client", "cilium-test/echo-same-node", "8080", Protocol.TCP, U),
    # -- what cannot be told offline
    ("fqdn-outside-unknown", cnp("to-fqdn", """
endpointSelector: {matchLabels: {kind: client}}
egress: [{toFQDNs: [{matchName: one.one.one.one}]}]
"""), "cilium-test/client", "1.1.1.1", "443", Protocol.TCP, U),
    ("fqdn-never-a-pod", cnp("to-fqdn", """
endpointSelector: {matchLabels: {kind: client}}
egress: [{toFQDNs: [{matchName: one.one.one.one}]}]
"""), "cilium-test/client", "cilium-test/echo-same-node", "8080", Protocol.TCP, B),
    ("services-unknown", cnp("to-svc", """
endpointSelector: {matchLabels: {kind: client}}
egress: [{toServices: [{k8sService: {serviceName: echo, namespace: cilium-test}}]}]
"""), "cilium-test/client", "cilium-test/echo-same-node", "8080", Protocol.TCP, U),
    ("nodes-unknown", cnp("to-nodes", """
endpointSelector: {matchLabels: {kind: client}}
egress: [{toNodes: [{matchLabels: {zone: a}}]}]
"""), "cilium-test/client", NODE_1, "10250", Protocol.TCP, U),
    ("nodes-never-a-pod", cnp("to-nodes", """
endpointSelector: {matchLabels: {kind: client}}
egress: [{toNodes: [{matchLabels: {zone: a}}]}]
"""), "cilium-test/client", "cilium-test/echo-same-node", "8080", Protocol.TCP, B),
    ("host-firewall-unknown", ccnp("host-fw", """
nodeSelector: {matchLabels: {zone: a}}
ingress: [{fromEntities: [cluster]}]
"""), "cilium-test/client", NODE_1, "10250", Protocol.TCP, U),
    ("host-firewall-leaves-pods", ccnp("host-fw", """
nodeSelector: {matchLabels: {zone: a}}
ingress: [{fromEntities: [cluster]}]
"""), "cilium-test/client", "cilium-test/echo-same-node", "8080", Protocol.TCP, A),
    ("explicitly-empty-list-unknown", cnp("empty", """
endpointSelector: {matchLabels: {kind: echo}}
ingressDeny:
- fromEndpoints: []
  toPorts: [{ports: [{port: "8080"}]}]
ingress: [{fromEntities: [all]}]
"""), "cilium-test/client", "cilium-test/echo-same-node", "8080", Protocol.TCP, U),
    ("requires-not-evaluated", cnp("requires", """
endpointSelector: {matchLabels: {kind: echo}}
ingress: [{fromRequires: [{matchLabels: {kind: client}}], fromEndpoints: [{}]}]
"""), "cilium-test/client", "cilium-test/echo-same-node", "8080", Protocol.TCP, U),
    # -- specs: a list of rules, each with its own selector
    ("specs-second-rule", """apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: two, namespace: cilium-test}
specs:
- endpointSelector: {matchLabels: {kind: client}}
  egress: [{toEntities: [world]}]
- endpointSelector: {matchLabels: {kind: echo}}
  ingress: [{fromEndpoints: [{matchLabels: {name: client}}]}]
""", "cilium-test/client2", "cilium-test/echo-same-node", "8080", Protocol.TCP, B),
]


@pytest.mark.parametrize(("policies", "source", "destination", "port", "protocol", "expected"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_cilium_verdicts(policies: str, source: str, destination: str, port: str | None, protocol: Protocol,
                         expected: Status) -> None:
    cluster = cluster_of(policies)
    assert cluster.profile is Profile.CILIUM
    assert status(cluster, source, destination, port, protocol) is expected


def test_deny_chain_names_the_deny_rule_and_its_yaml_path() -> None:
    cluster = cluster_of(ECHO_FROM_CLIENT + "---\n" + ECHO_DENY_CLIENT2)
    verdict = ask(cluster, "cilium-test/client2", "cilium-test/echo-same-node")
    (ref,) = verdict.ingress.deciding_rules
    assert ref.label() == "CiliumNetworkPolicy cilium-test/echo-ingress-deny-other-client ingressDeny[0]"
    assert ref.yaml_path == ("spec", "ingressDeny", 0)
    assert verdict.ingress.tiers[-1].label == "Cilium"
    # No allow is proposed against a deny rule: it would still be overridden.
    assert [s.kind for s in verdict.suggestions] == ["deny-wins"]


def test_specs_rules_point_into_specs() -> None:
    cluster = cluster_of(CASES[-1][1])
    verdict = ask(cluster, "cilium-test/client", "cilium-test/echo-same-node")
    (ref,) = verdict.ingress.deciding_rules
    assert ref.yaml_path == ("specs", 1, "ingress", 0)
    assert "specs[1].ingress[0]" in ref.label()


def test_default_deny_names_what_switched_it_on_and_suggests_a_cnp_rule() -> None:
    cluster = cluster_of(ECHO_FROM_CLIENT)
    verdict = ask(cluster, "other/stranger", "cilium-test/echo-same-node")
    assert "switched on by CiliumNetworkPolicy cilium-test/echo-ingress-from-client" in verdict.ingress.summary
    (suggestion,) = verdict.suggestions
    assert suggestion.fragment["kind"] == "CiliumNetworkPolicy"
    rule = suggestion.fragment["spec"]["ingress"][0]
    assert rule["fromEndpoints"] == [{"matchLabels": {"kind": "client", "k8s:io.kubernetes.pod.namespace": "other"}}]
    assert rule["toPorts"] == [{"ports": [{"port": "8080", "protocol": "TCP"}]}]
    # The proposed rule does open the flow.
    import yaml

    fixed = cluster_of(ECHO_FROM_CLIENT + "---\n" + yaml.safe_dump(dict(suggestion.fragment)))
    assert status(fixed, "other/stranger", "cilium-test/echo-same-node") is A


def test_l7_rules_allow_at_l4_with_a_caveat() -> None:
    from kubenet_tui.render.json_out import verdict_json

    cluster = cluster_of(cnp("l7", """
endpointSelector: {matchLabels: {kind: echo}}
ingress:
- fromEndpoints: [{matchLabels: {kind: client}}]
  toPorts:
  - ports: [{port: "8080", protocol: TCP}]
    rules: {http: [{method: GET, path: /}]}
"""))
    verdict = ask(cluster, "cilium-test/client", "cilium-test/echo-same-node")
    assert verdict.status is A
    assert any(c.code is CaveatCode.L7_RULES for c in verdict.caveats)
    assert verdict_json(verdict)["status"] == "allowed-with-conditions"
    # A plain L3/L4 allow for the same peer makes the L7 rules moot (Cilium wildcards them).
    plain = cluster_of(cnp("l7", """
endpointSelector: {matchLabels: {kind: echo}}
ingress:
- fromEndpoints: [{matchLabels: {kind: client}}]
  toPorts:
  - ports: [{port: "8080", protocol: TCP}]
    rules: {http: [{method: GET, path: /}]}
- fromEndpoints: [{matchLabels: {kind: client}}]
"""))
    verdict = ask(plain, "cilium-test/client", "cilium-test/echo-same-node")
    assert not any(c.code is CaveatCode.L7_RULES for c in verdict.caveats)


def test_ipblock_over_a_pod_says_why_cilium_differs() -> None:
    cluster = cluster_of(knp("echo-from-cidr", """
podSelector: {matchLabels: {kind: echo}}
ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}}]}]
"""))
    verdict = ask(cluster, "cilium-test/client", "cilium-test/echo-same-node")
    assert verdict.status is B
    codes = {c.code for c in verdict.caveats}
    assert CaveatCode.CILIUM_READING in codes and CaveatCode.PROFILE_DIFFERS in codes
    upstream = ask(as_profile(cluster, Profile.UPSTREAM), "cilium-test/client", "cilium-test/echo-same-node")
    assert upstream.status is A


def test_files_with_cilium_policies_read_as_cilium_and_upstream_does_not_guess() -> None:
    cluster = cluster_of(ECHO_DENY_CLIENT2, detect=False)
    assert cluster.plugin is None and cluster.profile is Profile.CILIUM
    assert status(cluster, "cilium-test/client2", "cilium-test/echo-same-node") is B
    upstream = as_profile(cluster, Profile.UPSTREAM)
    assert status(upstream, "cilium-test/client2", "cilium-test/echo-same-node") is U


def test_fqdn_unknown_says_why() -> None:
    cluster = cluster_of(cnp("to-fqdn", """
endpointSelector: {matchLabels: {kind: client}}
egress: [{toFQDNs: [{matchName: one.one.one.one}]}]
"""))
    verdict = ask(cluster, "cilium-test/client", "1.1.1.1", "443")
    assert "toFQDNs one.one.one.one" in verdict.egress.summary
    assert verdict.assumed_status is B
