"""A "which ports?" answer (PortsVerdict) as JSON and as text: one line per port range, the rule that
allows it, and the destination's declared ports each on a line of their own."""

from __future__ import annotations

from typing import Any

from kubenet_tui.engine.ports import PortsVerdict
from kubenet_tui.render.json_out import rule_ref_json
from kubenet_tui.render.styled import Styled
from kubenet_tui.render.text import walkthrough_brief, walkthrough_text
from kubenet_tui.render.walkthrough import ports_walkthrough, segment_why


def ports_verdict_json(pv: PortsVerdict) -> dict[str, Any]:
    return {
        "allowed": pv.allowed,
        "status": pv.status.value,
        "summary": pv.summary,
        "source": {"kind": pv.source.kind, "name": pv.source.name, "ips": list(pv.source.ips)},
        "destination": {"kind": pv.destination.kind, "name": pv.destination.name, "ips": list(pv.destination.ips)},
        "protocols": [p.value for p in pv.protocols],
        "ports": [
            {
                "protocol": s.protocol.value,
                "from": s.first,
                "to": s.last,
                "declared": s.declared,
                "names": list(s.names),
                "allowed": s.verdict.allowed,
                "status": s.status.value,
                "policyStatus": s.verdict.policies_say.value,
                "why": segment_why(s),
                "decidingRules": [rule_ref_json(r) for r in s.verdict.deciding_rules],
            }
            for s in pv.segments
        ],
    }


def ports_brief(pv: PortsVerdict) -> Styled:
    """-q: the headline, and the allowed ports with what allows them (or why none are)."""
    return walkthrough_brief(ports_walkthrough(pv))


def ports_verdict_text(pv: PortsVerdict, verbose: bool = True) -> Styled:
    return walkthrough_text(ports_walkthrough(pv), verbose)
