"""The AWS VPC CNI network policy agent's flow lines (aws/aws-network-policy-agent, `pkg/ebpf/events/events.go`).

The agent logs one line per flow its eBPF programs decide, through zap's JSON encoder (level, `ts`
or `timestamp` in ISO 8601, `msg`), to /var/log/aws-routed-eni/network-policy-agent.log and, with
CloudWatch enabled, to CloudWatch. Denials are logged at info level, accepts at debug. Its forms,
oldest first, are all read:

- 2023 (structured, logr key/values): `"msg": "Flow Info:  "` with fields `Src IP`, `Src Port`,
  `Dest IP`, `Dest Port`, `Proto`, `Verdict`.
- 2025: one message, `Flow Info: Src IP: A Src Port: N Dest IP: B Dest Port: N Proto: P Verdict: V`
  (IPv4 builds of that release printed only the addresses and ports, with Go's
  `%!(EXTRA string=TCP, string=DENY)` after them).
- current: `... Proto: P Verdict: V Direction: D Tier: T` (IPv6) and
  `... Proto P Verdict V Direction D, Tier T` (IPv4).
- CloudWatch: `Node: N;SIP: A;SPORT: N;DIP: B;DPORT: N;PROTOCOL: P;PolicyVerdict: V[;Tier: T]`.

Verdict ACCEPT is allowed, DENY denied, EXPIRED/DELETED (a connection tracking entry that ended) no
verdict. Direction `egress` is the source pod's egress, `ingress` the destination pod's ingress; Tier
(ADMIN, NETWORK_POLICY, BASELINE, DEFAULT) says which tier decided. Proto is TCP, UDP, SCTP, ICMP.
The lines name addresses only: pods are found by their IP in the snapshot.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kubenet_tui.engine.explain import Direction
from kubenet_tui.engine.flows import FlowEnd, FlowRecord, Observed, Plugin
from kubenet_tui.sources.flows.common import LineError, Skip, address, port, protocol, timestamp

_MESSAGE = re.compile(
    r"Src IP:?\s*(?P<sip>[0-9A-Fa-f:.]+)\s+Src Port:?\s*(?P<sport>\d+)\s+"
    r"Dest IP:?\s*(?P<dip>[0-9A-Fa-f:.]+)\s+Dest Port:?\s*(?P<dport>\d+)"
    r"(?:%!\(EXTRA string=(?P<xproto>[^,)]+), string=(?P<xverdict>[^)]+)\))?"
    r"(?:\s+Proto:?\s*(?P<proto>[A-Za-z0-9]+),?)?"
    r"(?:\s+Verdict:?\s*(?P<verdict>[A-Z/_]+),?)?"
    r"(?:\s+Direction:?\s*(?P<direction>[a-z]+),?)?"
    r"(?:\s+Tier:?\s*(?P<tier>[A-Z_]+))?"
)
_CLOUDWATCH = re.compile(
    r"(?:Node:\s*(?P<node>[^;]*);)?\s*SIP:\s*(?P<sip>[^;]+);\s*SPORT:\s*(?P<sport>\d+);\s*DIP:\s*(?P<dip>[^;]+);"
    r"\s*DPORT:\s*(?P<dport>\d+);\s*PROTOCOL:\s*(?P<proto>[^;]+);\s*PolicyVerdict:\s*(?P<verdict>[^;\s]+)"
    r"(?:;\s*Tier:\s*(?P<tier>[A-Z_]+))?"
)
_LEADING_TIME = re.compile(r"^\s*(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)")
_VERDICTS = {"ACCEPT": Observed.ALLOWED, "DENY": Observed.DENIED}
_SIDES = {"egress": Direction.EGRESS, "ingress": Direction.INGRESS}


def is_aws_text(line: str) -> bool:
    return "Flow Info" in line or "PolicyVerdict:" in line


def parse_json(obj: Mapping[str, Any], line: int) -> FlowRecord | Skip:
    """A zap JSON log line of the agent."""
    message = obj.get("msg", obj.get("message"))
    if not isinstance(message, str) or not is_aws_text(message):
        return Skip("other log lines")
    when = timestamp(obj.get("ts", obj.get("timestamp", obj.get("time"))), "ts")
    if "Src IP" in obj:  # the 2023 structured form
        fields = {"sip": obj.get("Src IP"), "sport": obj.get("Src Port"), "dip": obj.get("Dest IP"),
                  "dport": obj.get("Dest Port"), "proto": obj.get("Proto"), "verdict": obj.get("Verdict"),
                  "direction": obj.get("Direction"), "tier": obj.get("Tier")}
        return _record(fields, line, when, None)
    return _message(message, line, when)


def parse_text(text: str, line: int) -> FlowRecord | Skip:
    """A line of plain text (a message as CloudWatch shows it, grep output, a log without JSON)."""
    found = _LEADING_TIME.match(text)
    when = timestamp(found.group(1), "time") if found else None
    return _message(text, line, when)


def _message(message: str, line: int, when: float | None) -> FlowRecord | Skip:
    found = _CLOUDWATCH.search(message) if "PolicyVerdict:" in message else _MESSAGE.search(message)
    if found is None:
        raise LineError("a 'Flow Info' line of the AWS network policy agent without its addresses and ports")
    fields: dict[str, Any] = found.groupdict()
    if fields.get("xproto"):
        fields["proto"], fields["verdict"] = fields["xproto"], fields["xverdict"]
    return _record(fields, line, when, (fields.get("node") or "").strip() or None)


def _record(fields: Mapping[str, Any], line: int, when: float | None, node: str | None) -> FlowRecord | Skip:
    verdict = fields.get("verdict")
    if verdict is None:
        raise LineError("the flow line has no Verdict")
    verdict = str(verdict).strip().upper()
    observed = _VERDICTS.get(verdict)
    if observed is None:
        if verdict in ("EXPIRED/DELETED", "EXPIRED", "DELETED"):
            return Skip("connection tracking entries that ended (EXPIRED/DELETED)")
        raise LineError(f"verdict {verdict!r} is none of ACCEPT, DENY, EXPIRED/DELETED")
    direction = fields.get("direction")
    side = _SIDES.get(str(direction).lower()) if direction else None
    if direction and side is None:
        raise LineError(f"direction {direction!r} is neither ingress nor egress")
    tier = fields.get("tier")
    proto = fields.get("proto")
    return FlowRecord(
        Plugin.AWS, line, when, FlowEnd(address(_strip(fields.get("sip")), "Src IP")),
        FlowEnd(address(_strip(fields.get("dip")), "Dest IP")), protocol(_strip(proto), "Proto") if proto else "",
        port(fields.get("dport"), "Dest Port"), observed, f"{verdict} (tier {tier})" if tier else verdict, side,
        node=node,
    )


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value
