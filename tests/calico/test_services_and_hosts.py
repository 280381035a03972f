"""Rules that name Kubernetes Services (`services`: a Service's endpoints, and for a destination their
ports), and host endpoints: what this tool does not evaluate (host policies, host-network pods once
host endpoints exist) is unknown, never allowed."""

from __future__ import annotations

from typing import Any

from engine.kit import all_reasons, check, pod

from kubenet_tui.engine.explain import Status

from .kit import calico, gnp, np, obj, rule


def service(ns: str, name: str, selector: dict[str, str], port: int, target: int | str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": selector, "ports": [{"port": port, "targetPort": target}]}}


def endpoint_slice(ns: str, name: str, ips: list[str], port: int) -> dict[str, Any]:
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": f"{name}-x1", "namespace": ns, "labels": {"kubernetes.io/service-name": name}},
            "addressType": "IPv4", "ports": [{"port": port, "protocol": "TCP"}],
            "endpoints": [{"addresses": [ip]} for ip in ips]}


EGRESS_TO_SVC = np("x", "to-svc", types=["Egress"],
                   egress=[rule("Allow", destination={"services": {"name": "web", "namespace": "y"}})])
WEB = (service("y", "web", {"pod": "a"}, 8080, 80), endpoint_slice("y", "web", ["10.2.0.1"], 80))


def test_destination_service_matches_its_endpoints_on_their_ports() -> None:
    cluster = calico(EGRESS_TO_SVC, *WEB)
    assert check(cluster, "x/a", "y/a", 80).status is Status.ALLOWED
    assert check(cluster, "x/a", "y/a", 81).status is Status.BLOCKED  # not an endpoint port
    verdict = check(cluster, "x/a", "y/b", 80)  # not an endpoint
    assert verdict.status is Status.BLOCKED and "not an endpoint of Service y/web" in all_reasons(verdict)


def test_service_endpoints_from_the_selector_when_no_slice_was_loaded() -> None:
    cluster = calico(EGRESS_TO_SVC, service("y", "web", {"pod": "a"}, 8080, "serve-80-tcp"))
    assert check(cluster, "x/a", "y/a", 80).status is Status.ALLOWED
    assert check(cluster, "x/a", "y/b", 80).status is Status.BLOCKED


def test_a_service_that_does_not_exist_matches_nothing() -> None:
    cluster = calico(EGRESS_TO_SVC)
    assert check(cluster, "x/a", "y/a", 80).status is Status.BLOCKED


def test_source_service_in_an_ingress_rule() -> None:
    cluster = calico(*WEB, np("z", "from-web", ingress=[rule("Allow", source={"services": {"name": "web",
                                                                                           "namespace": "y"}})]))
    assert check(cluster, "y/a", "z/a", 9999).status is Status.ALLOWED
    assert check(cluster, "y/b", "z/a", 80).status is Status.BLOCKED


HEP = obj("HostEndpoint", "node-1-eth0", {"node": "node-1", "interfaceName": "eth0", "expectedIPs": ["192.168.0.5"]},
          labels={"role": "node"})
HOSTNET = pod("x", "agent", {"pod": "agent"}, ips=["192.168.0.5"], host_network=True)


def test_host_network_pods_are_unknown_once_host_endpoints_exist() -> None:
    assert check(calico(HOSTNET), "x/agent", "y/a", 80).status is Status.ALLOWED
    verdict = check(calico(HOSTNET, HEP), "x/agent", "y/a", 80)
    assert verdict.status is Status.UNKNOWN
    assert "host endpoints" in verdict.egress.summary


def test_host_endpoint_addresses_are_selectable() -> None:
    """A host endpoint's expected IPs belong to it: selectors over its labels match them."""
    cluster = calico(HEP, gnp("from-nodes", ingress=[rule("Deny", source={"selector": 'role == "node"'}),
                                                       rule("Allow")]))
    verdict = check(cluster, "192.168.0.5", "y/a", 80)
    assert verdict.status is Status.BLOCKED and "HostEndpoint node-1-eth0" in all_reasons(verdict)


def test_apply_on_forward_policy_selecting_a_host_endpoint_is_unknown() -> None:
    forward = gnp("forward", applyOnForward=True, selector='role == "node"', ingress=[rule("Deny")])
    assert check(calico(HEP, forward), "x/a", "y/a", 80).status is Status.UNKNOWN
    # one that selects no host endpoint applies to the pods it selects like any other policy
    pods_only = gnp("forward", applyOnForward=True, selector='pod == "b"', ingress=[rule("Deny")])
    assert check(calico(HEP, pods_only), "x/a", "y/a", 80).status is Status.ALLOWED
    assert check(calico(HEP, pods_only), "x/a", "y/b", 80).status is Status.BLOCKED
