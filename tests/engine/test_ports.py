"""SEMANTICS.md section 3, ports: TCP default, protocol-only entries, endPort ranges, named ports.

From the API reference for NetworkPolicyPort: `protocol` defaults to TCP; `port` absent means every port of
that protocol; `endPort` makes an inclusive range; a named port matches when the *destination* pod has a
container port with that name and protocol and the connection goes to its number — for ingress and egress
rules alike; a named port never matches an address outside the cluster.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.kit import check, cluster, namespace, netpol, pod, policy, refs, xyz_world

NP = "NetworkPolicy"


def guarded_x_a(ports: list[dict[str, Any]]) -> Any:
    """x/a accepts ingress from everyone, on `ports` only."""
    return xyz_world(netpol("x", "p", {"podSelector": {"matchLabels": {"pod": "a"}}, "ingress": [{"ports": ports}]}))


@pytest.mark.parametrize(
    ("ports", "port", "protocol", "allowed"),
    [
        pytest.param([{"port": 80}], 80, "TCP", True, id="protocol-defaults-to-TCP"),
        pytest.param([{"port": 80}], 80, "UDP", False, id="default-TCP-is-not-UDP"),
        pytest.param([{"port": 80}], 80, "SCTP", False, id="default-TCP-is-not-SCTP"),
        pytest.param([{"port": 80, "protocol": "UDP"}], 80, "UDP", True, id="UDP-port"),
        pytest.param([{"port": 81, "protocol": "UDP"}], 81, "TCP", False, id="UDP-only-does-not-allow-TCP"),
        pytest.param([{"port": 81, "protocol": "SCTP"}], 81, "TCP", False, id="SCTP-only-does-not-allow-TCP"),
        pytest.param([{"port": 81, "protocol": "SCTP"}], 81, "SCTP", True, id="SCTP-port"),
        pytest.param([{"protocol": "TCP"}], 80, "TCP", True, id="protocol-only-any-TCP-port"),
        pytest.param([{"protocol": "TCP"}], 65535, "TCP", True, id="protocol-only-highest-port"),
        pytest.param([{"protocol": "TCP"}], 80, "UDP", False, id="protocol-only-TCP-not-UDP"),
        pytest.param([{"protocol": "UDP"}], 5353, "UDP", True, id="protocol-only-UDP"),
        pytest.param([{}], 8080, "TCP", True, id="empty-port-entry-is-every-TCP-port"),
        pytest.param([{}], 8080, "UDP", False, id="empty-port-entry-is-TCP-only"),
        pytest.param([{"port": 81, "endPort": 90}], 80, "TCP", False, id="range-below"),
        pytest.param([{"port": 81, "endPort": 90}], 81, "TCP", True, id="range-start-inclusive"),
        pytest.param([{"port": 81, "endPort": 90}], 85, "TCP", True, id="range-inside"),
        pytest.param([{"port": 81, "endPort": 90}], 90, "TCP", True, id="range-end-inclusive"),
        pytest.param([{"port": 81, "endPort": 90}], 91, "TCP", False, id="range-above"),
        pytest.param([{"port": 81, "endPort": 90}], 85, "UDP", False, id="range-other-protocol"),
        pytest.param([{"port": 81, "endPort": 81}], 81, "TCP", True, id="range-of-one"),
        pytest.param([{"port": 80}, {"port": 81, "protocol": "UDP"}], 81, "UDP", True, id="second-entry"),
        pytest.param([{"port": 80}, {"port": 81, "protocol": "UDP"}], 81, "TCP", False, id="no-entry"),
    ],
)
def test_port_table(ports: list[dict[str, Any]], port: int, protocol: str, allowed: bool) -> None:
    v = check(guarded_x_a(ports), "y/b", "x/a", port, protocol)
    assert v.allowed is allowed
    checks = policy(v.ingress, "p").rules[0].ports
    assert any(c.matched for c in checks) is allowed
    if allowed:
        matched_index = next(c.index for c in checks if c.matched)
        assert refs(v.ingress) == [(NP, "x", "p", "ingress", 0, None, matched_index)]


def test_port_mismatch_reasons_name_protocol_and_range() -> None:
    c = guarded_x_a([{"port": 80}, {"port": 81, "endPort": 90, "protocol": "UDP"}])
    wrong_protocol = policy(check(c, "y/b", "x/a", 80, "UDP").ingress, "p").rules[0].ports[0]
    assert "TCP" in wrong_protocol.reason and "UDP" in wrong_protocol.reason
    outside_range = policy(check(c, "y/b", "x/a", 91, "UDP").ingress, "p").rules[0].ports[1]
    assert "91" in outside_range.reason and "81-90" in outside_range.reason


def test_a_question_about_every_port_is_not_answered_by_a_single_port_rule() -> None:
    # "is every port allowed?" (no --port): a rule listing port 80 does not allow every port
    c = guarded_x_a([{"port": 80}])
    assert check(c, "y/b", "x/a", None).allowed is False
    assert check(guarded_x_a([{"protocol": "TCP"}]), "y/b", "x/a", None).allowed is True


# -- named ports -------------------------------------------------------------------------------------


def test_named_port_on_ingress_resolves_on_the_destination_pod() -> None:
    # upstream e2e "should allow ingress access on one named port"
    c = xyz_world(netpol("x", "named", {"podSelector": {}, "ingress": [{"ports": [{"port": "serve-81-tcp"}]}]}))
    ok = check(c, "y/a", "x/b", 81)
    assert ok.allowed is True
    assert refs(ok.ingress) == [(NP, "x", "named", "ingress", 0, None, 0)]
    assert "serve-81-tcp" in policy(ok.ingress, "named").rules[0].ports[0].reason
    blocked = check(c, "y/a", "x/b", 80)
    assert blocked.allowed is False
    reason = policy(blocked.ingress, "named").rules[0].ports[0].reason
    assert "81" in reason and "80" in reason


def web_world(*extra: dict[str, Any]) -> Any:
    """Pods of namespace web: `has` names 8080 http, `other` names 9090 http, `lacks` has no names."""
    return cluster(
        namespace("web"),
        namespace("client"),
        pod("web", "has", {"app": "web"}, ips=["10.0.0.1"], ports=[("http", 8080, "TCP")]),
        pod("web", "other", {"app": "web"}, ips=["10.0.0.2"], ports=[("http", 9090, "TCP")]),
        pod("web", "lacks", {"app": "web"}, ips=["10.0.0.3"], ports=[(None, 8080, "TCP")]),
        pod("web", "udp", {"app": "web"}, ips=["10.0.0.4"], ports=[("http", 8080, "UDP")]),
        # the source also names a port http, on another number: it must never be consulted
        pod("client", "c", {"app": "client"}, ips=["10.0.1.1"], ports=[("http", 7070, "TCP")]),
        *extra,
    )


def test_named_port_present_on_one_pod_and_not_another() -> None:
    c = web_world(netpol("web", "http-only", {"podSelector": {}, "ingress": [{"ports": [{"port": "http"}]}]}))
    assert check(c, "client/c", "web/has", 8080).allowed is True
    missing = check(c, "client/c", "web/lacks", 8080)
    assert missing.allowed is False
    reason = policy(missing.ingress, "http-only").rules[0].ports[0].reason
    assert "http" in reason and "not found" in reason and "web/lacks" in reason


def test_same_port_name_resolves_to_each_pods_own_number() -> None:
    c = web_world(netpol("web", "http-only", {"podSelector": {}, "ingress": [{"ports": [{"port": "http"}]}]}))
    assert check(c, "client/c", "web/other", 9090).allowed is True
    assert check(c, "client/c", "web/other", 8080).allowed is False
    assert check(c, "client/c", "web/has", 9090).allowed is False


def test_named_port_with_the_wrong_protocol_does_not_match() -> None:
    c = web_world(netpol("web", "http-only", {"podSelector": {}, "ingress": [{"ports": [{"port": "http"}]}]}))
    # web/udp names 8080/UDP "http"; the rule's protocol defaults to TCP
    tcp = check(c, "client/c", "web/udp", 8080, "TCP")
    assert tcp.allowed is False
    assert "not found" in policy(tcp.ingress, "http-only").rules[0].ports[0].reason
    assert check(c, "client/c", "web/udp", 8080, "UDP").allowed is False  # the rule is TCP


def test_named_udp_port_matches_a_udp_container_port() -> None:
    c = web_world(netpol("web", "http-udp", {"podSelector": {}, "ingress": [{"ports": [{"port": "http", "protocol": "UDP"}]}]}))
    assert check(c, "client/c", "web/udp", 8080, "UDP").allowed is True
    assert check(c, "client/c", "web/has", 8080, "UDP").allowed is False  # has names http on TCP only


def test_egress_named_ports_resolve_on_the_destination_pod_not_the_source() -> None:
    # GIVEN client/c may only send to port "http"; c itself names 7070 http, the web pods name 8080/9090
    c = web_world(netpol("client", "egress-http", {"podSelector": {}, "policyTypes": ["Egress"],
                                                   "egress": [{"ports": [{"port": "http"}]}]}))
    ok = check(c, "client/c", "web/has", 8080)
    assert ok.allowed is True
    assert refs(ok.egress) == [(NP, "client", "egress-http", "egress", 0, None, 0)]
    assert check(c, "client/c", "web/other", 9090).allowed is True
    assert check(c, "client/c", "web/has", 7070).allowed is False  # the source's own "http" is irrelevant
    missing = check(c, "client/c", "web/lacks", 8080)
    assert missing.allowed is False
    assert missing.egress.allowed is False
    assert "web/lacks" in policy(missing.egress, "egress-http").rules[0].ports[0].reason


def test_upstream_egress_on_one_named_port() -> None:
    # upstream e2e "should allow egress access on one named port"
    rule = {"ports": [{"port": "serve-80-tcp"}]}
    c = xyz_world(netpol("x", "allow-egress", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [rule]}))
    assert check(c, "x/a", "y/a", 80).allowed is True
    assert check(c, "x/a", "y/a", 81).allowed is False
    assert check(c, "y/a", "x/a", 81).allowed is True
    # without policyTypes the egress rule defaults the policy to [Ingress, Egress]: ingress is then denied
    defaulted = xyz_world(netpol("x", "allow-egress", {"podSelector": {}, "egress": [rule]}))
    assert check(defaulted, "x/a", "y/a", 80).allowed is True
    assert check(defaulted, "y/a", "x/a", 80).allowed is False


def test_named_port_never_matches_an_outside_destination() -> None:
    c = xyz_world(netpol("x", "egress", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": "serve-80-tcp"}]},
    ]}))
    v = check(c, "x/a", "8.8.8.8", 80)
    assert v.allowed is False
    reason = policy(v.egress, "egress").rules[0].ports[0].reason
    assert "outside" in reason
    # ... while the same rule does match a pod destination that names the port
    assert check(c, "x/a", "y/a", 80).allowed is True


def test_named_port_on_ingress_from_an_outside_source_resolves_on_the_destination() -> None:
    c = xyz_world(netpol("x", "p", {"podSelector": {}, "ingress": [
        {"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": "serve-80-udp", "protocol": "UDP"}]}]}))
    assert check(c, "8.8.8.8", "x/a", 80, "UDP").allowed is True
    assert check(c, "8.8.8.8", "x/a", 81, "UDP").allowed is False


def test_port_name_given_on_the_command_line_resolves_on_the_destination() -> None:
    c = web_world()
    assert check(c, "client/c", "web/other", "http").port == 9090
    assert check(c, "client/c", "web/has", "http").port == 8080


def two_container_world(init_ports: list[dict[str, Any]], main_ports: list[dict[str, Any]],
                        sidecar_ports: list[dict[str, Any]] | None = None, init_restart: str | None = None) -> Any:
    """web/app with an init container, a main container and optionally a second container, all
    guarded by `ports: [{port: <name>}]` rules for the names used below."""
    spec: dict[str, Any] = {
        "initContainers": [{"name": "init", "image": "busybox", "ports": init_ports}],
        "containers": [{"name": "main", "image": "nginx", "ports": main_ports}],
    }
    if init_restart is not None:
        spec["initContainers"][0]["restartPolicy"] = init_restart
    if sidecar_ports is not None:
        spec["containers"].append({"name": "sidecar", "image": "envoy", "ports": sidecar_ports})
    app = pod("web", "app", {"app": "web"}, ips=["10.0.0.1"])
    app["spec"] = spec
    return cluster(
        namespace("web"),
        namespace("client"),
        app,
        pod("client", "c", {}, ips=["10.0.1.1"]),
        netpol("web", "named", {"podSelector": {}, "ingress": [{"ports": [{"port": "http"}, {"port": "metrics"}]}]}),
    )


def test_named_port_matches_every_container_that_names_it() -> None:
    c = two_container_world([], [{"name": "metrics", "containerPort": 8080}],
                            sidecar_ports=[{"name": "metrics", "containerPort": 15090}])
    assert check(c, "client/c", "web/app", 8080).allowed is True
    assert check(c, "client/c", "web/app", 15090).allowed is True
    assert check(c, "client/c", "web/app", 9999).allowed is False


def test_an_init_container_port_name_does_not_shadow_the_main_container() -> None:
    c = two_container_world([{"name": "http", "containerPort": 9999}], [{"name": "http", "containerPort": 8080}])
    assert check(c, "client/c", "web/app", 8080).allowed is True


def test_a_named_port_declared_only_by_a_sidecar_init_container_resolves() -> None:
    # a restartable init container (native sidecar) serves for the pod's whole life
    c = two_container_world([{"name": "metrics", "containerPort": 15090}], [{"name": "http", "containerPort": 8080}],
                            init_restart="Always")
    assert check(c, "client/c", "web/app", 15090).allowed is True
    assert check(c, "client/c", "web/app", 8080).allowed is True
