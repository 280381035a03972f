"""A "which ports?" answer (PortsVerdict) as JSON and as text: one line per port range, the rule that
allows it, and the destination's declared ports each on a line of their own."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.ports import PortSegment, PortsVerdict
from kubenet_tui.render.json_out import rule_ref_json
from kubenet_tui.render.text import STATUS_STYLE, mark, one_line


def _why(segment: PortSegment) -> str:
    verdict = segment.verdict
    if segment.status is Status.ALLOWED:
        refs = verdict.deciding_rules
        return "allowed by " + ", ".join(r.label() for r in refs) if refs else "allowed: no policy restricts it"
    sides = [d for d in (verdict.egress, verdict.ingress) if d.allowed is not True]
    return "; ".join(d.summary for d in sides) or verdict.summary


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
                "why": _why(s),
                "decidingRules": [rule_ref_json(r) for r in s.verdict.deciding_rules],
            }
            for s in pv.segments
        ],
    }


def ports_headline(pv: PortsVerdict) -> Text:
    word, symbol, style = STATUS_STYLE[pv.status]
    text = Text()
    if pv.status is Status.BLOCKED and pv.allowed_segments():
        text.append(f"{symbol} SOME PORTS ALLOWED", style="bold yellow")
    else:
        text.append(f"{symbol} {word}", style=style)
    text.append(f"  {pv.source.name} → {pv.destination.name}  which ports?")
    return text


def ports_brief(pv: PortsVerdict) -> Text:
    """-q: the headline, and the allowed ports with what allows them (or why none are)."""
    text = ports_headline(pv)
    allowed = pv.allowed_segments()
    if allowed and pv.status is not Status.ALLOWED:
        text.append("\nallowed: " + "; ".join(f"{s.label()} ({_why(s)})" for s in allowed)
                    + "; every other port is not")
    else:
        text.append(f"\n{one_line(pv.summary)}")
    return text


def ports_verdict_text(pv: PortsVerdict, verbose: bool = True) -> Text:
    text = ports_headline(pv)
    text.append("\n")
    text.append(f"{pv.summary}\n\n")
    for segment in pv.segments:
        if not verbose and not segment.declared and segment.status is not Status.ALLOWED:
            continue
        ok, colour = mark(segment.verdict.allowed)
        text.append(f"  {ok} ", style=colour)
        text.append(f"{segment.label():<22}", style="bold" if segment.declared else "")
        text.append(f" {_why(segment)}\n", style="" if segment.status is Status.ALLOWED else "dim")
    return text
