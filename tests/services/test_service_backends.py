"""A Service as destination (SEMANTICS.md 1): each ready backend on the Service port's targetPort,
resolved per pod; backends from EndpointSlices when there are any, else from the selector; the
aggregate is allowed only when every evaluated backend is."""

from __future__ import annotations

import pytest
from tiers.kit import STYLES as ADMIN_STYLES
from tiers.kit import Style, load, namespace, netpol, pod, rule

from kubenet_tui.engine.errors import PortError
from kubenet_tui.engine.evaluate import InputError
from kubenet_tui.engine.explain import Direction, Status, Tier

from .svckit import (
    API_NEW,
    API_NEW_IP,
    API_OLD,
    FRONTEND,
    api_only_from_frontend_on,
    backend_map,
    endpoint,
    endpoint_slice,
    service,
    shop,
    sport,
    svc_check,
)

# -- named targetPorts resolve per backend --------------------------------------------------------


def test_named_target_port_is_resolved_on_each_backend() -> None:
    # GIVEN api-new serving `https` on 8443 and api-old on 8080, and a policy allowing only 8443
    cluster = shop(api_only_from_frontend_on(8443))
    # WHEN the frontend calls the Service on its port 443
    sv = svc_check(cluster, FRONTEND, "svc/payments/api", "443")
    # THEN each backend is evaluated on its own number: only the old build is blocked
    assert backend_map(sv) == {API_NEW: (8443, True), API_OLD: (8080, False)}
    assert sv.status is Status.BLOCKED
    assert sv.allowed is False
    assert "SOME BACKENDS BLOCKED" in sv.summary and API_OLD in sv.summary
    assert sv.backends_from == "selector"
    for backend in sv.backends:
        assert backend.verdict is not None
        assert (backend.verdict.port, backend.verdict.port_name) == (backend.port, "https")
        assert backend.verdict.destination.name == backend.name
    old = next(b for b in sv.backends if b.name == API_OLD)
    assert old.verdict is not None and old.verdict.ingress.decided_by is Tier.NETWORK_POLICY


def test_named_port_policy_allows_every_backend_on_its_own_number() -> None:
    sv = svc_check(shop(api_only_from_frontend_on("https")), FRONTEND, "svc/payments/api", "443")
    assert backend_map(sv) == {API_NEW: (8443, True), API_OLD: (8080, True)}
    assert sv.status is Status.ALLOWED
    assert sv.allowed is True
    assert "ALLOWED to all 2" in sv.summary


def test_every_backend_blocked_is_plain_blocked() -> None:
    sv = svc_check(shop(api_only_from_frontend_on(9999)), FRONTEND, "svc/payments/api", "443")
    assert sv.status is Status.BLOCKED
    assert "SOME BACKENDS" not in sv.summary
    assert "BLOCKED to all 2" in sv.summary


def test_backend_without_the_named_target_port_is_listed_not_evaluated() -> None:
    odd = pod("payments", "api-odd", "10.2.0.12", {"app": "api"}, (("metrics", 9090, "TCP"),))
    sv = svc_check(shop(odd), FRONTEND, "svc/payments/api", "443")
    by_name = {b.name: b for b in sv.backends}
    assert by_name["payments/api-odd"].verdict is None
    assert "https" in by_name["payments/api-odd"].note
    assert sv.status is Status.ALLOWED
    assert len(sv.evaluated) == 2


def test_selector_backends_that_carry_no_traffic_are_not_evaluated() -> None:
    pending = pod("payments", "api-pending", [], {"app": "api"}, (("https", 8443, "TCP"),), phase="Pending")
    sv = svc_check(shop(pending), FRONTEND, "svc/payments/api", "443")
    (skipped,) = [b for b in sv.backends if b.name == "payments/api-pending"]
    assert skipped.verdict is None and skipped.allowed is None
    assert sv.status is Status.ALLOWED


@pytest.mark.parametrize("style", ADMIN_STYLES, ids=lambda s: s.name)
def test_admin_tier_decides_per_backend(style: Style) -> None:
    # an admin policy whose subject is only the old build
    quarantine = style.admin("quarantine-old", 10, {"pods": {"namespaceSelector": {"matchLabels": {"team": "payments"}},
                                                             "podSelector": {"matchLabels": {"build": "old"}}}},
                             ingress=[rule("deny", {"namespaces": {}}, name="deny-all")])
    sv = svc_check(shop(quarantine), FRONTEND, "svc/payments/api", "https")
    assert backend_map(sv) == {API_NEW: (8443, True), API_OLD: (8080, False)}
    verdict = next(b.verdict for b in sv.backends if b.name == API_OLD)
    assert verdict is not None
    assert verdict.ingress.decided_by is Tier.ADMIN
    assert verdict.ingress.deciding_rules[0].name == "quarantine-old"


# -- EndpointSlices ------------------------------------------------------------------------------------


def legacy_objects(ready_outside: bool = True) -> list[dict[str, object]]:
    """A Service without selector whose slice holds a pod, an outside address and a not-ready one."""
    return [
        service("payments", "legacy", None, [sport("https", 443, 8443)]),
        endpoint_slice("payments", "legacy-1", "legacy",
                       [endpoint(API_NEW_IP, True, "api-new"),
                        endpoint("203.0.113.10", ready_outside),
                        endpoint("203.0.113.11", False)],
                       [{"name": "https", "port": 8443, "protocol": "TCP"}]),
    ]


def test_service_without_selector_takes_its_backends_from_endpoint_slices() -> None:
    sv = svc_check(shop(*legacy_objects()), FRONTEND, "svc/payments/legacy", "443")
    assert sv.backends_from == "EndpointSlices"
    by_name = {b.name: b for b in sv.backends}
    assert set(by_name) == {API_NEW, "203.0.113.10", "203.0.113.11"}
    pod_backend = by_name[API_NEW]
    assert pod_backend.port == 8443 and pod_backend.allowed is True
    assert pod_backend.verdict is not None and pod_backend.verdict.ingress.evaluated is True


def test_outside_endpoint_backend_only_evaluates_egress() -> None:
    egress_to_pods_only = netpol("shop", "frontend-egress", {"matchLabels": {"app": "frontend"}}, ["Egress"],
                                 egress=[{"to": [{"namespaceSelector": {}}]}])
    sv = svc_check(shop(*legacy_objects(), egress_to_pods_only), FRONTEND, "svc/payments/legacy", "443")
    outside = next(b for b in sv.backends if b.name == "203.0.113.10")
    assert outside.verdict is not None
    assert outside.verdict.ingress.evaluated is False
    assert outside.verdict.egress.evaluated is True
    assert outside.verdict.egress.direction is Direction.EGRESS
    assert outside.allowed is False
    assert outside.verdict.destination.kind == "ip"
    assert sv.status is Status.BLOCKED
    assert "SOME BACKENDS BLOCKED" in sv.summary


def test_not_ready_endpoints_are_listed_but_not_evaluated() -> None:
    sv = svc_check(shop(*legacy_objects()), FRONTEND, "svc/payments/legacy", "443")
    not_ready = next(b for b in sv.backends if b.name == "203.0.113.11")
    assert not_ready.ready is False
    assert not_ready.verdict is None and not_ready.allowed is None
    assert "not ready" in not_ready.note
    # ...and they do not spoil the aggregate
    assert sv.status is Status.ALLOWED
    assert len(sv.evaluated) == 2


def test_endpoint_without_ready_condition_counts_as_ready() -> None:
    objs = [service("payments", "legacy", None, [sport("https", 443, 8443)]),
            endpoint_slice("payments", "legacy-1", "legacy", [endpoint("203.0.113.10", None)],
                           [{"name": "https", "port": 8443, "protocol": "TCP"}])]
    (backend,) = svc_check(shop(*objs), FRONTEND, "svc/payments/legacy", "443").backends
    assert backend.ready is True and backend.verdict is not None


def test_endpoint_slices_win_over_the_selector() -> None:
    # the selector matches both API pods, but the slices say api-old is not ready
    slice_ = endpoint_slice("payments", "api-abc", "api",
                            [endpoint(API_NEW_IP, True, "api-new"), endpoint("10.2.0.11", False, "api-old")],
                            [{"name": "https", "port": 8443, "protocol": "TCP"}])
    sv = svc_check(shop(slice_, api_only_from_frontend_on(8443)), FRONTEND, "svc/payments/api", "443")
    assert sv.backends_from == "EndpointSlices"
    assert backend_map(sv) == {API_NEW: (8443, True), API_OLD: (8443, None)}
    assert sv.status is Status.ALLOWED


def test_per_backend_target_ports_from_several_slices() -> None:
    # the EndpointSlice controller puts endpoints with different resolved ports into different slices
    slices = [
        endpoint_slice("payments", "api-8443", "api", [endpoint(API_NEW_IP, True, "api-new")],
                       [{"name": "https", "port": 8443, "protocol": "TCP"}]),
        endpoint_slice("payments", "api-8080", "api", [endpoint("10.2.0.11", True, "api-old")],
                       [{"name": "https", "port": 8080, "protocol": "TCP"}]),
    ]
    sv = svc_check(shop(*slices, api_only_from_frontend_on(8443)), FRONTEND, "svc/payments/api", "443")
    assert backend_map(sv) == {API_NEW: (8443, True), API_OLD: (8080, False)}
    assert "SOME BACKENDS BLOCKED" in sv.summary


def test_slice_endpoint_without_target_ref_is_matched_to_its_pod_by_ip() -> None:
    objs = [service("payments", "by-ip", None, [sport("https", 443, 8443)]),
            endpoint_slice("payments", "by-ip-1", "by-ip", [endpoint(API_NEW_IP)],
                           [{"name": "https", "port": 8443, "protocol": "TCP"}])]
    (backend,) = svc_check(shop(*objs), FRONTEND, "svc/payments/by-ip", "443").backends
    assert backend.name == API_NEW
    assert backend.verdict is not None and backend.verdict.ingress.evaluated is True


def test_service_without_selector_or_slices_is_unknown() -> None:
    sv = svc_check(shop(service("payments", "ghost", None, [sport("https", 443, 8443)])), FRONTEND,
                   "svc/payments/ghost", "443")
    assert sv.status is Status.UNKNOWN
    assert sv.allowed is None
    assert "EndpointSlices" in sv.summary


# -- which Service port: the port name, the only port, and the targetPort trap ------------------------

MULTI = service("payments", "multi", {"app": "api"},
                [sport("https", 443, "https"), sport("metrics", 9100, "metrics"),
                 sport("dns", 53, 53, "UDP"), sport("dns-tcp", 53, 53, "TCP")])


def test_port_given_as_service_port_name() -> None:
    sv = svc_check(shop(MULTI), FRONTEND, "svc/payments/multi", "metrics")
    assert (sv.service_port.port, sv.service_port.name) == (9100, "metrics")
    assert backend_map(sv) == {API_NEW: (9090, True), API_OLD: (9090, True)}


def test_port_given_as_service_port_number() -> None:
    assert svc_check(shop(MULTI), FRONTEND, "svc/payments/multi", "443").service_port.name == "https"


def test_protocol_selects_among_ports_of_the_same_number() -> None:
    sv = svc_check(shop(MULTI), FRONTEND, "svc/payments/multi", "53", "UDP")
    assert sv.service_port.name == "dns"
    assert sv.protocol.value == "UDP"
    assert all(b.verdict is not None and b.verdict.protocol.value == "UDP" for b in sv.backends)


def test_single_port_service_needs_no_port() -> None:
    sv = svc_check(shop(), FRONTEND, "svc/payments/api")
    assert sv.service_port.port == 443


def test_several_ports_and_no_port_is_an_input_error() -> None:
    with pytest.raises(InputError) as err:
        svc_check(shop(MULTI), FRONTEND, "svc/payments/multi")
    message = str(err.value)
    assert isinstance(err.value, PortError) and err.value.choose
    assert "choose one with --port" in err.value.worded("--port")
    assert "443" in message and "9100" in message


@pytest.mark.parametrize("target", ["8443", "8080"])
def test_named_target_port_given_by_mistake_explains_the_trap(target: str) -> None:
    with pytest.raises(InputError) as err:
        svc_check(shop(), FRONTEND, "svc/payments/api", target)
    message = str(err.value)
    assert "targetPort" in message
    assert isinstance(err.value, PortError) and err.value.suggestion == "443"
    assert "--port 443" in err.value.worded("--port")


def test_numeric_target_port_given_by_mistake_explains_the_trap() -> None:
    with pytest.raises(InputError) as err:
        svc_check(shop(*legacy_objects()), FRONTEND, "svc/payments/legacy", "8443")
    assert isinstance(err.value, PortError)
    assert "targetPort" in str(err.value) and "--port 443" in err.value.worded("--port")


@pytest.mark.parametrize("port", ["444", "grpc"])
def test_port_the_service_does_not_expose(port: str) -> None:
    with pytest.raises(InputError) as err:
        svc_check(shop(), FRONTEND, "svc/payments/api", port)
    message = str(err.value)
    assert "does not expose" in message
    assert "443/TCP (https)" in message


def test_service_port_of_another_protocol_is_not_exposed() -> None:
    with pytest.raises(InputError):
        svc_check(shop(), FRONTEND, "svc/payments/api", "443", "UDP")


@pytest.mark.parametrize("text", ["svc/payments/nope", "svc/payments", "svc/a/b/c"])
def test_unknown_or_malformed_service_is_an_input_error(text: str) -> None:
    with pytest.raises(InputError):
        svc_check(shop(), FRONTEND, text, "443")


# -- external paths: NodePort / LoadBalancer -----------------------------------------------------------


@pytest.mark.parametrize("type_", ["NodePort", "LoadBalancer"])
def test_node_port_and_load_balancer_note_the_source_may_be_a_node(type_: str) -> None:
    svc = service("payments", "public", {"app": "api"}, [sport("https", 443, "https", node_port=30443)], type_)
    sv = svc_check(shop(svc), FRONTEND, "svc/payments/public", "443")
    (caveat,) = [c for c in sv.caveats if c.code == "service-external-source"]
    assert type_ in caveat.message
    assert "node IP" in caveat.message and "externalTrafficPolicy" in caveat.message


def test_external_traffic_policy_local_keeps_the_client_ip() -> None:
    svc = service("payments", "public", {"app": "api"}, [sport("https", 443, "https")], "LoadBalancer", "Local")
    sv = svc_check(shop(svc), FRONTEND, "svc/payments/public", "443")
    (caveat,) = [c for c in sv.caveats if c.code == "service-external-source"]
    assert "client IP" in caveat.message
    assert "may reach the pods with a node IP" not in caveat.message


def test_cluster_ip_service_has_no_external_caveat() -> None:
    sv = svc_check(shop(), FRONTEND, "svc/payments/api", "443")
    assert "service-external-source" not in [c.code for c in sv.caveats]


# -- hairpin: a backend calling its own Service -------------------------------------------------------


@pytest.mark.parametrize("style", [s for s in ADMIN_STYLES if s.is_cnp], ids=lambda s: s.name)
def test_conformance_hairpin_through_the_service_is_subject_to_admin_deny(style: Style) -> None:
    objs = [namespace("gryffindor", **{"conformance-house": "gryffindor"})]
    objs += [pod("gryffindor", f"harry-{i}", f"10.0.1.1{i}", {"conformance-house": "gryffindor"}, (("web", 80, "TCP"),))
             for i in (0, 1)]
    objs += [service("gryffindor", "harry-potter-hairpin-service", {"conformance-house": "gryffindor"},
                     [sport("web", 80, 80)]),
             style.admin("hairpin-ingress-deny", 15, {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "gryffindor"}}},
                         ingress=[rule("deny", {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "gryffindor"}}},
                                       name="deny-gryffindor-ingress")])]
    cluster = load(*objs, base=False).cluster
    sv = svc_check(cluster, "gryffindor/harry-0", "svc/gryffindor/harry-potter-hairpin-service", "80")
    assert {b.name: b.allowed for b in sv.backends} == {"gryffindor/harry-0": False, "gryffindor/harry-1": False}
    assert "SOME BACKENDS" not in sv.summary


def test_dual_stack_slices_list_each_backend_once() -> None:
    # a dual-stack Service has one EndpointSlice per address family, naming the same pods
    slices = [
        endpoint_slice("payments", "api-v4", "api", [endpoint(API_NEW_IP, True, "api-new")],
                       [{"name": "https", "port": 8443, "protocol": "TCP"}]),
        endpoint_slice("payments", "api-v6", "api", [endpoint("fd00:2::10", True, "api-new")],
                       [{"name": "https", "port": 8443, "protocol": "TCP"}], address_type="IPv6"),
    ]
    sv = svc_check(shop(*slices), FRONTEND, "svc/payments/api", "443")
    assert [b.name for b in sv.backends] == [API_NEW]


def test_unnamed_single_port_matches_the_unnamed_slice_port() -> None:
    objs = [service("payments", "plain", None, [sport(None, 80, 8443)]),
            endpoint_slice("payments", "plain-1", "plain", [endpoint(API_NEW_IP, True, "api-new")],
                           [{"name": "", "port": 8443, "protocol": "TCP"}])]
    (backend,) = svc_check(shop(*objs), FRONTEND, "svc/payments/plain").backends
    assert (backend.name, backend.port, backend.allowed) == (API_NEW, 8443, True)


def test_target_port_name_given_instead_of_the_service_port_name() -> None:
    renamed = service("payments", "renamed", {"app": "api"}, [sport("web", 443, "https")])
    with pytest.raises(InputError) as err:
        svc_check(shop(renamed), FRONTEND, "svc/payments/renamed", "https")
    message = str(err.value)
    assert "targetPort" in message and "443" in message and "web" in message
