"""The readers, line by line: each schema field lands where it should, every other line is skipped with a
reason or reported by its number, and the input is read as it arrives."""

from __future__ import annotations

import gzip
import itertools
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubenet_tui.engine.explain import Direction
from kubenet_tui.engine.flows import EndHint, FlowAggregator, FlowEnd, FlowRecord, Observed, Plugin, PluginPolicy
from kubenet_tui.sources.flows import Format, ReadReport, open_flows, parse_line, read_flows
from kubenet_tui.sources.flows.calico import _hit_string
from kubenet_tui.sources.flows.common import LineError, Skip, rfc3339, timestamp
from kubenet_tui.sources.flows.hubble import lift_endpoints as hubble_lift

SAMPLES = Path(__file__).parent / "samples"


def sample_line(name: str, number: int) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8").splitlines()[number - 1]


def record(line: str | bytes, fmt: Format = Format.AUTO) -> FlowRecord:
    found = parse_line(line if isinstance(line, bytes) else line.encode(), 7, fmt)
    assert isinstance(found, FlowRecord), found
    return found


def hubble(**flow: Any) -> bytes:
    base: dict[str, Any] = {"time": "2024-05-14T09:12:44Z", "verdict": "FORWARDED",
                            "IP": {"source": "10.0.0.1", "destination": "10.0.0.2", "ipVersion": "IPv4"},
                            "l4": {"TCP": {"source_port": 40000, "destination_port": 80}}}
    base.update(flow)
    return json.dumps({"flow": base, "node_name": "n1", "time": base["time"]}).encode()


# -- Hubble ----------------------------------------------------------------------------------------


def test_hubble_response_fields_land_where_the_schema_says() -> None:
    found = record(sample_line("hubble.jsonl", 2))
    assert found.plugin is Plugin.HUBBLE and found.line == 7
    assert found.time == pytest.approx(rfc3339("2024-05-14T09:12:44.121007001Z"))
    assert found.source == FlowEnd("10.244.1.10", "shop", "frontend", None, found.source.labels, EndHint.POD)
    assert "k8s:app=frontend" in found.source.labels
    assert (found.destination.namespace, found.destination.name) == ("shop", "db")
    assert (found.protocol, found.port, found.observed, found.side) == ("TCP", 6379, Observed.ALLOWED, Direction.INGRESS)
    assert not found.reply and found.node == "node-2"
    assert found.policies == (PluginPolicy("NetworkPolicy", "shop", "test-network-policy", "allow", Direction.INGRESS),)


@pytest.mark.parametrize(
    ("flow", "observed", "reason"),
    [
        ({"verdict": "FORWARDED"}, Observed.ALLOWED, ""),
        ({"verdict": "REDIRECTED"}, Observed.ALLOWED, "REDIRECTED"),
        ({"verdict": "AUDIT"}, Observed.AUDIT, "AUDIT"),
        ({"verdict": "DROPPED", "drop_reason_desc": "POLICY_DENIED"}, Observed.DENIED, "POLICY_DENIED"),
        ({"verdict": "DROPPED", "drop_reason_desc": "POLICY_DENY"}, Observed.DENIED, "POLICY_DENY"),
        ({"verdict": "DROPPED", "drop_reason": 133}, Observed.DENIED, "POLICY_DENIED"),
        ({"verdict": "DROPPED", "drop_reason_desc": "STALE_OR_UNROUTABLE_IP"}, Observed.DROPPED,
         "STALE_OR_UNROUTABLE_IP"),
        ({"verdict": 2, "drop_reason_desc": 181}, Observed.DENIED, "POLICY_DENY"),
    ],
)
def test_hubble_verdicts_and_drop_reasons(flow: dict[str, Any], observed: Observed, reason: str) -> None:
    found = record(hubble(**flow))
    assert (found.observed, found.reason) == (observed, reason)


@pytest.mark.parametrize(
    ("flow", "reply"),
    [
        ({"is_reply": True}, True),
        ({"is_reply": False, "l4": {"TCP": {"destination_port": 80, "flags": {"SYN": True, "ACK": True}}}}, False),
        ({"l4": {"TCP": {"destination_port": 80, "flags": {"SYN": True, "ACK": True}}}}, True),
        ({"l4": {"TCP": {"destination_port": 80, "flags": {"SYN": True}}}}, False),
        ({"reply": True}, True),
        ({}, False),
    ],
)
def test_hubble_replies(flow: dict[str, Any], reply: bool) -> None:
    assert record(hubble(**flow)).reply is reply


@pytest.mark.parametrize(
    ("endpoint", "hint"),
    [
        ({"identity": 1, "labels": ["reserved:host"]}, EndHint.HOST),
        ({"identity": 6, "labels": ["reserved:remote-node"]}, EndHint.HOST),
        ({"identity": 2, "labels": ["reserved:world"]}, EndHint.WORLD),
        ({"identity": 9}, EndHint.WORLD),
        ({"identity": 51234, "namespace": "a", "pod_name": "b"}, EndHint.POD),
    ],
)
def test_hubble_reserved_identities(endpoint: dict[str, Any], hint: EndHint) -> None:
    assert record(hubble(source=endpoint)).source.hint is hint


def test_hubble_l7_dns_names_services_and_protocols() -> None:
    l7 = record(hubble(Type="L7", l7={"type": "REQUEST", "http": {"method": "GET"}}))
    assert l7.l7 == "http"
    assert record(hubble(verdict="REDIRECTED")).l7 == "proxy"
    named = record(hubble(destination_names=["api.example.com"], destination_service={"name": "s", "namespace": "n"}))
    assert named.dns_names == ("api.example.com",) and named.destination.service == "n/s"
    icmp = record(hubble(l4={"ICMPv4": {"type": 8}}))
    assert (icmp.protocol, icmp.port) == ("ICMPv4", None)
    udp = record(hubble(l4={"UDP": {"source_port": 5353, "destination_port": 53}}))
    assert (udp.protocol, udp.port) == ("UDP", 53)
    legacy = parse_line(json.dumps({"time": "2024-05-14T09:12:44Z", "verdict": "FORWARDED",
                                    "IP": {"source": "10.0.0.1", "destination": "10.0.0.2"}}), 1)
    assert isinstance(legacy, FlowRecord)


@pytest.mark.parametrize(
    ("line", "skip"),
    [
        ('{"node_status": {"state_change": "NODE_CONNECTED"}, "time": "2024-05-14T09:12:45Z"}', "Hubble status"),
        ('{"lost_events": {"source": "HUBBLE_RING_BUFFER", "num_events_lost": "1"}}', "Hubble status"),
        (hubble(verdict="TRACED").decode(), "without a policy verdict"),
        (hubble(verdict="TRANSLATED").decode(), "without a policy verdict"),
        ("", "blank"),
        ("event: message", "server-sent event framing"),
    ],
)
def test_lines_that_are_no_flow_are_skipped_with_a_reason(line: str, skip: str) -> None:
    found = parse_line(line.encode(), 1)
    assert isinstance(found, Skip) and skip in found


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"flow": {"verdict": "DROPPED"', "not valid JSON"),
        ("[1, 2]", "JSON array"),
        ('{"hello": 1}', "no flow format this tool reads (its keys: hello)"),
        (hubble(verdict="MAYBE").decode(), "verdict 'MAYBE'"),
        (hubble(IP={"source": "10.0.0.300", "destination": "10.0.0.2"}).decode(), "'10.0.0.300' is not an IP address"),
        (hubble(l4={"TCP": {"destination_port": 70000}}).decode(), "not a port number"),
        (hubble(time="yesterday").decode(), "not an RFC 3339 time"),
        (hubble(is_reply="yes").decode(), "is_reply"),
        (hubble(source=["not", "an", "object"]).decode(), "source is list"),
        ("Mar 14 09:13:44.000: a:1 -> b:2 to-endpoint FORWARDED", "hubble observe -o json"),
        ("something else entirely", "neither JSON nor"),
    ],
)
def test_malformed_lines_say_why(line: str, message: str) -> None:
    with pytest.raises(LineError, match=None) as raised:
        parse_line(line.encode(), 1)
    assert message in str(raised.value)


def test_unexpected_shapes_are_reported_not_raised() -> None:
    report = ReadReport()
    lines = [hubble(traffic_direction=["EGRESS"]), hubble(drop_reason_desc={"x": 1}, verdict="DROPPED"), hubble()]
    found = list(read_flows(lines, report))
    assert len(found) == 1 and found[0].line == 3
    assert [p.line for p in report.problems] == [1, 2]


def test_invalid_utf8_is_a_malformed_line() -> None:
    report = ReadReport()
    assert [r.line for r in read_flows([b"Flow Info: \xff\xfe", hubble()], report)] == [2]
    assert "not UTF-8" in report.problems[0].message


# -- Calico ----------------------------------------------------------------------------------------


def test_calico_flat_record_fields() -> None:
    found = record(sample_line("calico-flowlogs.jsonl", 1))
    assert found.plugin is Plugin.CALICO
    assert found.source == FlowEnd("10.244.1.10", "shop", "frontend", None, ("app=frontend", "role=frontend",
                                                                             "tier=web"), EndHint.POD)
    assert (found.protocol, found.port, found.observed, found.side) == ("TCP", 5432, Observed.DENIED, Direction.INGRESS)
    assert found.events == 12 and found.end_time == found.time + 300  # type: ignore[operator]
    assert found.policies[0] == PluginPolicy("NetworkPolicy", "shop", "test-network-policy", "deny", Direction.INGRESS,
                                             "default", -1)
    assert found.policies[1].pending


def test_calico_aggregated_and_network_ends() -> None:
    aggregated = record(sample_line("calico-flowlogs.jsonl", 3))
    assert (aggregated.source.ip, aggregated.source.name, aggregated.source.prefix) == (None, None, "api-6c5f7b-")
    assert aggregated.policies[0].key == "payments/ledger-from-api"  # the older `all_policies` form
    public = record(sample_line("calico-flowlogs.jsonl", 4))
    assert (public.source.hint, public.source.name, public.source.namespace) == (EndHint.WORLD, "pub", None)
    host = record(sample_line("calico-flowlogs.jsonl", 5))
    assert (host.source.hint, host.source.ip) == (EndHint.HOST, "192.168.10.11")


def test_goldmane_emitter_and_protojson_forms() -> None:
    emitter = record(sample_line("goldmane.jsonl", 1))
    assert (emitter.source.prefix, emitter.destination.prefix) == ("worker-58d4c-", "ledger-")
    assert (emitter.observed, emitter.side, emitter.events) == (Observed.ALLOWED, Direction.INGRESS, 4)
    assert emitter.policies[0].kind == "NetworkPolicy" and emitter.policies[1].pending
    assert emitter.source.labels == ("app=payments-api", "tier=worker")
    camel = record(sample_line("goldmane.jsonl", 2))
    assert (camel.source.prefix, camel.destination.name, camel.port, camel.events) == ("prometheus-", "db", 9121, 2)
    assert camel.policies == (PluginPolicy("NetworkPolicy", "shop", "allow-metrics-scrape", "allow", Direction.INGRESS,
                                           "default", 0),)
    end_of_tier = record(sample_line("goldmane.jsonl", 3))
    assert end_of_tier.policies == (PluginPolicy("NetworkPolicy", "payments", "api-from-shop", "deny", Direction.INGRESS,
                                                 "default", -1),)
    assert end_of_tier.destination.service == "payments/api"


def test_whisker_plain_and_server_sent_events() -> None:
    plain = record(sample_line("whisker.jsonl", 1))
    assert plain.source.labels == ("app=frontend", "role=frontend", "tier=web")
    assert plain.policies[0].key == "shop/cart-from-frontend"
    sse = record(sample_line("whisker.jsonl", 3))
    assert (sse.observed, sse.source.prefix) == (Observed.DENIED, "grafana-5b7c9-")
    assert sse.policies[0] == PluginPolicy("NetworkPolicy", "shop", "test-network-policy", "deny", Direction.INGRESS,
                                           "default", -1)


@pytest.mark.parametrize(
    ("hit", "kind", "namespace", "name", "rule", "pending"),
    [
        ("0|tier|gnp:name|allow|0", "GlobalNetworkPolicy", None, "name", 0, False),
        ("1|tier|sgnp:name.with.dots|deny|2", "GlobalNetworkPolicy", None, "name.with.dots", 2, True),
        ("0|kube-admin|kcnp:name|deny|1", "ClusterNetworkPolicy", None, "name", 1, False),
        ("0|tier1|np:default/tier1.np1-1|pass|0", "CalicoNetworkPolicy", "default", "tier1.np1-1", 0, False),
        ("0|default|knp:namespace/name|allow|2", "NetworkPolicy", "namespace", "name", 2, False),
        ("1|default|sknp:namespace/name.with.dots|deny|3", "NetworkPolicy", "namespace", "name.with.dots", 3, True),
        ("1|__PROFILE__|pro:kns.default|allow|0", "Profile", None, "kns.default", 0, False),
        ("0|tier1|np:ns1/tier1.policy1|deny|-1", "CalicoNetworkPolicy", "ns1", "tier1.policy1", -1, False),
        ("0|default|default/default.np-1|deny|0", "CalicoNetworkPolicy", "default", "default.np-1", 0, False),
        ("0|default|payments/knp.default.ledger-from-api|allow", "NetworkPolicy", "payments", "ledger-from-api", None,
         False),
        ("0|__PROFILE__|__PROFILE__.kns.kube-system|allow", "Profile", None, "kns.kube-system", None, False),
        ("2|default|default.staged:default-deny|deny|-1", "GlobalNetworkPolicy", None, "default.default-deny", -1,
         True),
        ("0|adminnetworkpolicy|kanp.adminnetworkpolicy.policy1|allow|-1", "AdminNetworkPolicy", None, "policy1", -1,
         False),
    ],
)
def test_calico_policy_strings(hit: str, kind: str, namespace: str | None, name: str, rule: int | None,
                               pending: bool) -> None:
    found = _hit_string(hit, Direction.INGRESS, False)
    assert (found.kind, found.namespace, found.name, found.rule, found.pending) == (kind, namespace, name, rule, pending)


@pytest.mark.parametrize("hit", ["0|tier|gnp:name|allow|0|extra|more", "0|tier|np:namespace/|pass|0", "nonsense"])
def test_bad_calico_policy_strings(hit: str) -> None:
    with pytest.raises(LineError):
        _hit_string(hit, None, False)


# -- AWS -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "source", "destination", "port", "observed", "side", "when"),
    [
        (1, "10.244.1.10", "10.244.2.20", 5432, Observed.DENIED, None, "2023-09-27T10:15:02.123Z"),
        (3, "10.244.1.31", "10.244.2.31", 5432, Observed.ALLOWED, None, "2025-05-20T08:00:01.000Z"),
        (4, "10.244.2.40", "10.244.2.20", 6379, Observed.DENIED, Direction.INGRESS, "2025-12-17T11:00:00Z"),
        (5, "fd00:10:244:1::a", "2001:db8::10", 443, Observed.ALLOWED, Direction.EGRESS, "2025-12-17T11:00:00.5Z"),
        (7, "10.244.2.40", "10.244.2.20", 6379, Observed.ALLOWED, None, None),
        (8, "10.244.1.10", "10.244.1.11", 8080, Observed.ALLOWED, Direction.INGRESS, "2025-12-17T11:00:05Z"),
    ],
)
def test_aws_agent_forms(number: int, source: str, destination: str, port: int, observed: Observed,
                         side: Direction | None, when: str | None) -> None:
    found = record(sample_line("aws-agent.log", number))
    assert found.plugin is Plugin.AWS
    assert (found.source.ip, found.destination.ip, found.port, found.observed, found.side) == (
        source, destination, port, observed, side)
    assert found.protocol == "TCP"
    assert found.time == (rfc3339(when) if when else None)


def test_aws_cloudwatch_names_the_node_and_tier() -> None:
    found = record(sample_line("aws-agent.log", 7))
    assert found.node == "ip-192-168-10-12.ec2.internal" and found.reason == "ACCEPT (tier NETWORK_POLICY)"


@pytest.mark.parametrize(("number", "skip"), [(2, "other log lines"), (6, "EXPIRED/DELETED")])
def test_aws_lines_that_are_no_verdict(number: int, skip: str) -> None:
    found = parse_line(sample_line("aws-agent.log", number).encode(), number)
    assert isinstance(found, Skip) and skip in found


def test_forced_format() -> None:
    line = sample_line("aws-agent.log", 8).encode()
    with pytest.raises(LineError, match="not hubble JSON"):
        parse_line(line, 1, Format.HUBBLE)
    assert parse_line(b"a plain log line", 1, Format.AWS) == "other log lines"


# -- times ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1970-01-01T00:00:10Z", 10.0),
        ("1970-01-01T00:00:10.5Z", 10.5),
        ("1970-01-01T00:00:10.123456789Z", 10.123456789),
        ("1970-01-01T01:00:10+01:00", 10.0),
        ("1970-01-01T00:00:10.25-00:30", 1810.25),
        ("1970-01-01 00:00:10", 10.0),
    ],
)
def test_rfc3339(text: str, seconds: float) -> None:
    assert rfc3339(text) == pytest.approx(seconds)


@pytest.mark.parametrize(("value", "seconds"), [(10, 10.0), ("10", 10.0), (10_000, 10_000.0),
                                                (1715677964000, 1715677964.0), (None, None), (0, None)])
def test_timestamps_in_numbers(value: object, seconds: float | None) -> None:
    assert timestamp(value, "t") == seconds


# -- reading ---------------------------------------------------------------------------------------------


def test_gzip_files_are_read(tmp_path: Path) -> None:
    packed = tmp_path / "flows.jsonl.gz"
    packed.write_bytes(gzip.compress((SAMPLES / "whisker.jsonl").read_bytes()))
    report = ReadReport()
    with open_flows(str(packed)) as stream:
        assert len(list(read_flows(stream, report))) == 2
    assert report.lines == 4


def test_line_numbers_continue_across_batches() -> None:
    report = ReadReport()
    first = list(read_flows([hubble(), b"bad"], report))
    second = list(read_flows([hubble()], report))
    assert [r.line for r in first + second] == [1, 3]
    assert report.problems[0].line == 2 and report.lines == 3


def test_a_slow_pipe_is_read_as_it_arrives() -> None:
    """Each record is yielded when its line arrives, not when the producer finishes (the explorer and
    `hubble observe --follow | kubenet-tui flows -` depend on it)."""
    read_end, write_end = os.pipe()
    release = threading.Event()

    def producer() -> None:
        with os.fdopen(write_end, "wb", buffering=0) as out:
            out.write(hubble() + b"\n")
            release.wait(10)  # the second line only once the first was read
            out.write(hubble(verdict="DROPPED", drop_reason_desc="POLICY_DENIED") + b"\n")

    thread = threading.Thread(target=producer, daemon=True)
    thread.start()
    report = ReadReport()
    with os.fdopen(read_end, "rb") as stream:
        records = read_flows(stream, report)
        started = time.monotonic()
        first = next(records)
        assert first.observed is Observed.ALLOWED and time.monotonic() - started < 10
        release.set()
        rest = list(records)
    thread.join(5)
    assert [r.observed for r in rest] == [Observed.DENIED]
    assert report.records == 2


# -- endpoints lifted out of Hubble lines ----------------------------------------------------------


def test_lifted_labels_read_as_the_line_says() -> None:
    line = sample_line("hubble.jsonl", 2).encode()
    _, lifted = hubble_lift(line)
    assert [body["pod_name"] for _, body in lifted] == ["frontend", "db"]
    assert record(line) == record(line.decode())  # str lines are parsed whole


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from('ab=:/]["\\{},. \u00e9'), max_size=12), max_size=4),
       st.text(alphabet=st.sampled_from('ab{}"\\'), max_size=6))
def test_any_endpoint_reads_the_same_lifted_or_not(labels: list[str], name: str) -> None:
    line = hubble(source={"namespace": "a", "pod_name": name or "b", "labels": labels,
                          "workloads": [{"name": name, "kind": "Deployment"}]},
                  destination={"labels": ["reserved:world", *labels]})
    assert parse_line(line, 1) == parse_line(line.decode(), 1)


def test_a_file_read_in_parallel_parts_reads_as_in_one(tmp_path: Path) -> None:
    from kubenet_tui.sources.flows.parallel import ranges, read_parallel, workers_for

    log = tmp_path / "flows.jsonl"
    lines = (SAMPLES / "hubble.jsonl").read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines * 7))
    assert workers_for(str(log)) == 1  # small: one process
    assert workers_for(str(log), min_bytes=0) >= 1
    parts = ranges(str(log), 3)
    assert parts[0][0] == 0 and parts[-1][1] == log.stat().st_size
    assert all(a[1] == b[0] for a, b in itertools.pairwise(parts))
    whole, whole_report = FlowAggregator(), ReadReport()
    with open_flows(str(log)) as stream:
        whole.add_all(read_flows(stream, whole_report))
    parted, parted_report = FlowAggregator(), ReadReport()
    read_parallel(str(log), Format.AUTO, 3, parted, parted_report)
    assert parted_report == whole_report
    assert (parted.records, parted.replies, parted.first, parted.last) == (whole.records, whole.replies, whole.first,
                                                                          whole.last)
    key = lambda c: (c.source, c.destination, c.port, c.observed)  # noqa: E731
    assert sorted(((c.count, c.first_line, c.first, c.last, c.sides) for c in parted.classes()), key=str) == sorted(
        ((c.count, c.first_line, c.first, c.last, c.sides) for c in whole.classes()), key=str)
    assert sorted(map(key, parted.classes()), key=str) == sorted(map(key, whole.classes()), key=str)
