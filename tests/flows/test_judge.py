"""Flows joined to a snapshot and judged: agreement on the side the plugin observed, every likely cause of a
disagreement, each class evaluated once, and the classes' verdicts equal to pairwise `evaluate`."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubenet_tui.engine import flowjudge
from kubenet_tui.engine.cluster import Enforcement, NetworkPlugin
from kubenet_tui.engine.evaluate import End, evaluate
from kubenet_tui.engine.explain import Direction, Status
from kubenet_tui.engine.flowjudge import Agreement, Cause, FlowJudge, FlowReport, SnapshotTime
from kubenet_tui.engine.flows import EndHint, FlowAggregator, FlowEnd, FlowRecord, Observed, Plugin, PluginPolicy
from kubenet_tui.engine.gaps import Resource, UnevaluatedPolicy, Unreadable
from kubenet_tui.engine.model import Protocol
from kubenet_tui.engine.profiles import Profile
from tests.engine import kit

T0 = 1_715_677_964.0  # 2024-05-14T09:12:44Z

# y/b takes x/a on TCP 80 only; everything else into y is denied. Egress is open everywhere.
POLICIES = [
    kit.netpol("y", "deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]}),
    kit.netpol("y", "b-from-xa", {
        "podSelector": {"matchLabels": {"pod": "b"}},
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "x"}},
                               "podSelector": {"matchLabels": {"pod": "a"}}}],
                     "ports": [{"port": 80}]}],
    }),
]
# Replicas: x/a2 is a pod like x/a, y/b2 like y/b (same labels and ports, other addresses): each pair of
# them is one pair of pod classes.
REPLICAS = [kit.pod("x", "a2", {"pod": "a"}, ips=["10.1.0.11"], ports=kit.E2E_PORTS),
            kit.pod("y", "b2", {"pod": "b"}, ips=["10.2.0.12"], ports=kit.E2E_PORTS)]
WORLD = kit.cluster(kit.xyz_objects(), POLICIES, REPLICAS)
HOSTY = kit.cluster(kit.xyz_objects(), POLICIES, kit.pod("x", "agent", {"app": "agent"}, ips=["192.168.1.5"],
                                                         host_network=True))


REPLICA_IPS = {"x/a2": "10.1.0.11", "y/b2": "10.2.0.12"}


def pod_end(key: str, **kw: Any) -> FlowEnd:
    ns, name = key.split("/")
    ip = REPLICA_IPS.get(key) or kit.xyz_ip(ns, name)
    return FlowEnd(ip, ns, name, None, kw.pop("labels", ()), EndHint.POD, **kw)


def flow(source: FlowEnd, destination: FlowEnd, port: int | None, observed: Observed, side: Direction | None = None,
         plugin: Plugin = Plugin.CALICO, protocol: str = "TCP", time: float | None = T0, **kw: Any) -> FlowRecord:
    return FlowRecord(plugin, kw.pop("line", 1), time, source, destination, protocol, port, observed,
                      kw.pop("reason", ""), side, **kw)


SNAPSHOT = SnapshotTime(T0 - 60, "test")


def judge(*records: FlowRecord, cluster: Any = WORLD, snapshot: SnapshotTime = SNAPSHOT) -> FlowReport:
    aggregator = FlowAggregator()
    aggregator.add_all(records)
    return FlowJudge(cluster, snapshot).report(aggregator)


def only(report: FlowReport) -> flowjudge.FlowClass:
    assert len(report.classes) == 1, [c.source.label for c in report.classes]
    return report.classes[0]


def causes(cls: flowjudge.FlowClass) -> list[Cause]:
    return [c.cause for c in cls.causes]


XA, XB, YA, YB = pod_end("x/a"), pod_end("x/b"), pod_end("y/a"), pod_end("y/b")


# -- agreement, side by side -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "destination", "port", "observed", "side", "agreement"),
    [
        (XA, YB, 80, Observed.ALLOWED, None, Agreement.AGREES),
        (XA, YB, 80, Observed.ALLOWED, Direction.INGRESS, Agreement.AGREES),
        (XA, YB, 81, Observed.DENIED, Direction.INGRESS, Agreement.AGREES),
        (XA, YB, 81, Observed.AUDIT, Direction.INGRESS, Agreement.AGREES),
        (XA, YB, 81, Observed.ALLOWED, Direction.INGRESS, Agreement.DISAGREES),
        (XA, YB, 80, Observed.DENIED, None, Agreement.DISAGREES),
        # The source's egress let it out: only that is claimed, and it is true (ingress is another record).
        (XA, YB, 81, Observed.ALLOWED, Direction.EGRESS, Agreement.AGREES),
        # Denied at egress, but nothing restricts egress here.
        (XA, YB, 80, Observed.DENIED, Direction.EGRESS, Agreement.DISAGREES),
        (XB, YB, 80, Observed.DENIED, Direction.INGRESS, Agreement.AGREES),
        (XB, XA, 80, Observed.ALLOWED, Direction.INGRESS, Agreement.AGREES),
    ],
)
def test_agreement_is_judged_on_the_side_the_plugin_saw(source: FlowEnd, destination: FlowEnd, port: int,
                                                        observed: Observed, side: Direction | None,
                                                        agreement: Agreement) -> None:
    assert only(judge(flow(source, destination, port, observed, side))).agreement is agreement


def test_an_ingress_observation_says_egress_let_it_out() -> None:
    egress_denied = kit.xyz_world(kit.netpol("x", "no-egress", {"podSelector": {}, "policyTypes": ["Egress"]}))
    cls = only(judge(flow(XA, XB, 80, Observed.DENIED, Direction.INGRESS), cluster=egress_denied))
    # Ingress at x/b allows it (nothing isolates it), and egress at x/a would have stopped it first.
    assert cls.agreement is Agreement.DISAGREES
    implied = [c for c in cls.checks if c.implied]
    assert implied and implied[0].side is Direction.EGRESS and implied[0].ours is False


def test_an_agreed_drop_names_the_default_deny_its_switch_the_nearest_miss_and_the_fix() -> None:
    cls = only(judge(flow(XA, YB, 81, Observed.DENIED, Direction.INGRESS)))
    ingress = next(d for d in cls.decisions if d.side is Direction.INGRESS)
    assert ingress.allowed is False and not ingress.rules
    assert ingress.isolating == ("y/b-from-xa", "y/deny-ingress")
    assert ingress.nearest is not None and ingress.nearest.kind == "add-port" and ingress.nearest.policy == "y/b-from-xa"
    assert ingress.fix is ingress.nearest
    assert not cls.causes  # causes are for disagreements


def test_the_plugin_naming_our_policy_is_noted() -> None:
    named = PluginPolicy("NetworkPolicy", "y", "b-from-xa", "deny", Direction.INGRESS, "default", -1)
    assert only(judge(flow(XA, YB, 81, Observed.DENIED, Direction.INGRESS, policies=(named,)))).names_match is True
    other = named._replace(name="something-else")
    assert only(judge(flow(XA, YB, 81, Observed.DENIED, Direction.INGRESS, policies=(other,)))).names_match is False
    assert only(judge(flow(XA, YB, 81, Observed.DENIED, Direction.INGRESS))).names_match is None


# -- not compared, and unknown ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "note"),
    [
        (flow(XA, YB, 81, Observed.DROPPED, reason="CT_MAP_INSERTION_FAILED"), "not policy"),
        (flow(XA, YB, None, Observed.DENIED, protocol="ICMPv4"), "ICMPv4 is not one NetworkPolicy ports name"),
        (flow(XA, YB, None, Observed.DENIED), "gives no destination port"),
        (flow(FlowEnd("8.8.8.8"), FlowEnd("1.1.1.1"), 53, Observed.ALLOWED, protocol="UDP"), "neither end is a pod"),
    ],
)
def test_what_is_not_a_policy_question_is_not_compared(record: FlowRecord, note: str) -> None:
    cls = only(judge(record))
    assert cls.agreement is Agreement.NOT_COMPARED and note in cls.note
    assert judge(record).all_agree


def test_replies_are_not_new_connections() -> None:
    report = judge(flow(XA, YB, 80, Observed.ALLOWED), flow(YB, XA, 40000, Observed.ALLOWED, reply=True))
    assert only(report).count == 1 and report.replies == 1 and report.records == 2


def test_aggregated_pods_that_do_not_share_a_verdict_are_unknown() -> None:
    x_all = FlowEnd(None, "x", None, "", (), EndHint.POD)  # every pod of x (the prefix "" matches all)
    cls = only(judge(flow(x_all, YB, 80, Observed.ALLOWED, Direction.INGRESS)))
    assert cls.ours is Status.UNKNOWN and cls.agreement is Agreement.UNKNOWN
    assert "do not all get the same verdict" in cls.note and "x/a -> y/b" in cls.note
    same = only(judge(flow(x_all, YB, 81, Observed.DENIED, Direction.INGRESS)))
    assert same.agreement is Agreement.AGREES and "the same for all 4 pairs" in same.note


def test_a_service_address_is_judged_by_its_backends() -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "y"},
               "spec": {"selector": {"pod": "b"}, "clusterIP": "10.96.0.20", "ports": [{"port": 80, "targetPort": 80}]}}
    cluster = kit.cluster(kit.xyz_objects(), POLICIES, service)
    cls = only(judge(flow(XA, FlowEnd("10.96.0.20"), 80, Observed.ALLOWED), cluster=cluster))
    assert cls.destination.label == "svc/y/web (10.96.0.20)" and cls.agreement is Agreement.AGREES


# -- likely causes ---------------------------------------------------------------------------------


def test_snapshot_time_shows_both_times() -> None:
    cls = only(judge(flow(XA, YB, 81, Observed.ALLOWED, Direction.INGRESS, time=T0 + 7200),
                     snapshot=SnapshotTime(T0, "read from the live cluster")))
    assert cls.agreement is Agreement.DISAGREES
    time_cause = next(c for c in cls.causes if c.cause is Cause.SNAPSHOT_TIME)
    assert "2024-05-14T11:12:44Z" in time_cause.evidence[0] and "2024-05-14T09:12:44Z" in time_cause.evidence[0]
    assert "2.0 h newer" in time_cause.evidence[0]


@pytest.mark.parametrize(
    ("source", "evidence"),
    [
        (FlowEnd("10.1.0.99", "x", "a-new", None, (), EndHint.POD), "not in the snapshot"),
        (FlowEnd(kit.xyz_ip("x", "b"), "x", "a", None, (), EndHint.POD), "the plugin saw x/a at 10.1.0.2"),
        (pod_end("x/b", labels=("k8s:pod=a", "k8s:io.kubernetes.pod.namespace=x")), "pod=a (the snapshot has pod=b)"),
    ],
)
def test_an_end_that_differs_from_the_snapshot_ranks_snapshot_time_first(source: FlowEnd, evidence: str) -> None:
    observed = Observed.DENIED if source.name == "a" else Observed.ALLOWED  # x/a is allowed, x/b is not
    cls = only(judge(flow(source, YB, 80, observed, Direction.INGRESS)))
    assert cls.agreement in (Agreement.DISAGREES, Agreement.UNKNOWN)
    assert causes(cls)[0] is Cause.SNAPSHOT_TIME
    assert any(evidence in e for e in cls.causes[0].evidence)


def test_objects_not_read_make_it_unknown_and_rank_first() -> None:
    gap = Unreadable(Resource.NETWORK_POLICIES, "y", "forbidden: user cannot list networkpolicies in y")
    cluster = dataclasses.replace(WORLD, unreadable=(gap,))
    cls = only(judge(flow(XA, YB, 81, Observed.DENIED, Direction.INGRESS), cluster=cluster))
    assert cls.ours is Status.UNKNOWN and cls.agreement is Agreement.UNKNOWN
    assert causes(cls)[0] is Cause.NOT_READ and any("forbidden" in e for e in cls.causes[0].evidence)


def test_a_pod_of_a_namespace_that_was_not_read() -> None:
    """-n on a live cluster, or files without it: not a sign the snapshot is old."""
    outsider = FlowEnd("10.9.0.1", "w", "a", None, (), EndHint.POD)
    cls = only(judge(flow(outsider, YB, 80, Observed.ALLOWED, Direction.INGRESS)))
    assert cls.agreement is Agreement.UNKNOWN and causes(cls)[0] is Cause.NOT_READ
    assert "namespace w is not in the snapshot" in cls.causes[0].evidence[0]


def test_a_policy_the_plugin_names_that_was_not_evaluated() -> None:
    unevaluated = UnevaluatedPolicy("CiliumNetworkPolicy", "cilium.io/v2", "y", "deny-a", "cilium policies are not "
                                    "evaluated yet", flowjudge.Tier.PLUGIN)
    named = PluginPolicy("CiliumNetworkPolicy", "y", "deny-a", "deny", Direction.INGRESS)
    cluster = dataclasses.replace(WORLD, unevaluated=(unevaluated,))
    cls = only(judge(flow(XA, YB, 80, Observed.DENIED, Direction.INGRESS, policies=(named,)), cluster=cluster))
    assert Cause.NOT_READ in causes(cls)
    assert any("not evaluated yet" in e for c in cls.causes for e in c.evidence)
    missing = only(judge(flow(XA, YB, 80, Observed.DENIED, Direction.INGRESS,
                              policies=(named._replace(kind="NetworkPolicy", name="gone"),))))
    assert causes(missing)[0] is Cause.SNAPSHOT_TIME
    assert "the plugin names NetworkPolicy y/gone, which is not in the snapshot" in missing.causes[0].evidence


def test_host_network() -> None:
    agent = FlowEnd("192.168.1.5", None, None, None, (), EndHint.UNKNOWN)
    cls = only(judge(flow(agent, YB, 80, Observed.ALLOWED, Direction.INGRESS), cluster=HOSTY))
    assert cls.agreement is Agreement.DISAGREES and causes(cls)[0] is Cause.HOST_NETWORK
    assert any("host-network pod x/agent" in e for e in cls.causes[0].evidence)


def test_l7_and_dns() -> None:
    l7 = only(judge(flow(XA, YB, 80, Observed.DENIED, Direction.INGRESS, l7="http")))
    assert causes(l7)[0] is Cause.L7_OR_DNS
    outside = kit.xyz_world(kit.netpol("x", "no-egress", {"podSelector": {}, "policyTypes": ["Egress"]}))
    dns = only(judge(flow(XA, FlowEnd("203.0.113.9", hint=EndHint.WORLD), 443, Observed.ALLOWED, Direction.EGRESS,
                          dns_names=("api.example.com",)), cluster=outside))
    assert causes(dns)[0] is Cause.L7_OR_DNS and "api.example.com" in dns.causes[0].evidence[0]


def test_a_profile_mismatch_and_what_the_plugin_profile_would_say() -> None:
    cls = only(judge(flow(XA, YB, 81, Observed.ALLOWED, Direction.INGRESS, plugin=Plugin.HUBBLE)))
    assert Cause.PROFILE in causes(cls)
    assert any("--cni cilium" in e for c in cls.causes for e in c.evidence)
    cilium = dataclasses.replace(WORLD, profile_override=Profile.CILIUM)
    assert Cause.PROFILE not in causes(only(judge(flow(XA, YB, 81, Observed.ALLOWED, Direction.INGRESS,
                                                       plugin=Plugin.HUBBLE), cluster=cilium)))


def test_a_plugin_that_may_not_enforce() -> None:
    unsure = dataclasses.replace(WORLD, plugin=NetworkPlugin(("AWS VPC CNI",), Enforcement.DEPENDS,
                                                            "only with its network policy agent enabled"))
    cls = only(judge(flow(XA, YB, 81, Observed.ALLOWED, Direction.INGRESS, plugin=Plugin.AWS), cluster=unsure))
    assert cls.agreement is Agreement.DISAGREES and Cause.ENFORCEMENT in causes(cls)
    flannel = dataclasses.replace(WORLD, plugin=NetworkPlugin(("Flannel",), Enforcement.NOT_ENFORCED, "no policies"))
    wire = only(judge(flow(XA, YB, 81, Observed.DENIED, Direction.INGRESS, plugin=Plugin.AWS), cluster=flannel))
    assert wire.ours is Status.ALLOWED and causes(wire)[0] is Cause.ENFORCEMENT


def test_causes_are_ranked_by_score() -> None:
    cls = only(judge(flow(pod_end("x/b", labels=("pod=a",)), YB, 80, Observed.ALLOWED, Direction.INGRESS, l7="http")))
    scores = [c.score for c in cls.causes]
    assert scores == sorted(scores, reverse=True) and len(scores) >= 2


# -- scale: one evaluation per class ---------------------------------------------------------------


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[tuple[str, str, int]]:
    """Every full evaluation the judge asks the engine for: (source, destination, port) -> how often."""
    found: Counter[tuple[str, str, int]] = Counter()
    real = flowjudge._answer

    def counting(cluster: Any, source: End, destination: Any, protocol: Protocol, port: int) -> Any:
        found[(source.name, destination.name, port)] += 1
        return real(cluster, source, destination, protocol, port)

    monkeypatch.setattr(flowjudge, "_answer", counting)
    return found


def test_each_class_is_evaluated_once(calls: Counter[tuple[str, str, int]]) -> None:
    # The AWS agent reads policies as upstream does, as this cluster does: no second reading is asked for.
    records = [flow(XA, YB, 80 + i % 2, observed, side, plugin=Plugin.AWS, time=T0 + i, line=i)
               for i in range(400) for observed, side in ((Observed.ALLOWED, Direction.EGRESS),
                                                          (Observed.DENIED, Direction.INGRESS))]
    aggregator = FlowAggregator()
    aggregator.add_all(records)
    judge_ = FlowJudge(WORLD)
    report = judge_.report(aggregator)
    assert sum(c.count for c in report.classes) == 800 and len(report.classes) == 4
    assert calls == {("x/a", "y/b", 80): 1, ("x/a", "y/b", 81): 1}
    judge_.report(aggregator)  # asking again evaluates nothing
    assert sum(calls.values()) == 2


def test_pods_no_matcher_tells_apart_are_one_row_judged_once(calls: Counter[tuple[str, str, int]]) -> None:
    pairs = [(pod_end(s), pod_end(d)) for s in ("x/a", "x/a2") for d in ("y/b", "y/b2")]
    records = [flow(s, d, 80, Observed.ALLOWED, Direction.INGRESS, plugin=Plugin.AWS) for s, d in pairs]
    judge_ = FlowJudge(WORLD)
    aggregator = FlowAggregator()
    aggregator.add_all(records)
    row = only(judge_.report(aggregator))
    assert (row.source.label, row.destination.label, row.count) == ("x/a (+1 like it)", "y/b (+1 like it)", 4)
    assert row.agreement is Agreement.AGREES and row.ours is Status.ALLOWED
    assert "judged once for these 4 pairs of pods" in row.note
    assert not calls  # allowed, as the class rows say: no walkthrough is built
    answer = judge_.explain(row)  # ... until one is asked for, for the pods the row stands for
    assert answer is not None and answer.status is Status.ALLOWED and answer.source.name == "x/a"
    # Drops of the same pods: one evaluation, and the fix is made for the pods of the row.
    aggregator.add_all(flow(s, d, 81, Observed.DENIED, Direction.INGRESS, plugin=Plugin.AWS) for s, d in pairs)
    denied = next(c for c in judge_.report(aggregator).classes if c.observed is Observed.DENIED)
    assert denied.agreement is Agreement.AGREES and denied.count == 4
    own = kit.check(WORLD, "x/a", "y/b", 81)
    decision = next(d for d in denied.decisions if d.side is Direction.INGRESS)
    assert decision.fix == own.suggestions[0] and decision.isolating == own.ingress.isolating_policies
    assert sum(n for (_, _, port), n in calls.items() if port == 81) == 1


# -- property: the classes' verdicts are pairwise `evaluate` -----------------------------------------

PODS = [f"{ns}/{p}" for ns in kit.NAMESPACES for p in kit.PODS] + list(REPLICA_IPS)
records_strategy = st.lists(
    st.tuples(st.sampled_from(PODS), st.sampled_from(PODS), st.sampled_from([80, 81, 8080]),
              st.sampled_from(["TCP", "UDP"]), st.sampled_from(list(Observed)),
              st.sampled_from([None, Direction.EGRESS, Direction.INGRESS]), st.booleans()),
    min_size=1, max_size=40,
)


@settings(max_examples=40, deadline=None)
@given(records_strategy)
def test_rows_carry_the_pairwise_verdict_of_every_pair_and_every_count(rows: list[tuple[Any, ...]]) -> None:
    records = [flow(pod_end(s), pod_end(d), port, observed, side, protocol=proto, reply=reply, line=i)
               for i, (s, d, port, proto, observed, side, reply) in enumerate(rows, 1)]
    report = judge(*records)
    counted = [r for r in records if not r.reply]
    assert sum(c.count for c in report.classes) == len(counted)
    index = WORLD.index

    def verdict(source: str, destination: str, protocol: str, port: int) -> Any:
        pod = index.pods_by_key[destination]
        name = next((c.name for c in pod.ports if c.port == port and c.protocol.value == protocol), None)
        return evaluate(WORLD, End(pod=index.pods_by_key[source]), End(pod=pod), Protocol(protocol), port, name)

    for record in counted:
        source, destination = f"{record.source.namespace}/{record.source.name}", \
            f"{record.destination.namespace}/{record.destination.name}"
        row = next(c for c in report.classes if c.observed is record.observed and c.port == record.port
                   and c.protocol == record.protocol and any(t.name == source for t in c.source.targets)
                   and any(t.name == destination for t in c.destination.targets))
        if row.observed is Observed.DROPPED:
            assert row.agreement is Agreement.NOT_COMPARED
            continue
        expected = verdict(source, destination, record.protocol, record.port or 0)
        assert row.ours is expected.status  # every pair of the row has the row's verdict
        first = verdict(row.source.targets[0].name, row.destination.targets[0].name, record.protocol,
                        record.port or 0)
        for decision in row.decisions:  # what decides is the row's pods' own
            side = first.egress if decision.side is Direction.EGRESS else first.ingress
            assert (decision.allowed, decision.rules) == (side.allowed, side.deciding_rules)
            own = [x for x in first.suggestions if x.direction is decision.side]
            assert decision.fix == (own[0] if own else None)
