"""Service verdicts (per backend plus the aggregate) as JSON and as a walkthrough."""

from __future__ import annotations

from typing import Any

from kubenet_tui.engine.services import ServiceVerdict
from kubenet_tui.render.json_out import verdict_json
from kubenet_tui.render.styled import Styled
from kubenet_tui.render.text import walkthrough_brief, walkthrough_text
from kubenet_tui.render.walkthrough import service_walkthrough


def service_verdict_json(sv: ServiceVerdict) -> dict[str, Any]:
    sp = sv.service_port
    return {
        "allowed": sv.allowed,
        "status": sv.status.value,
        "summary": sv.summary,
        "source": {"kind": sv.source.kind, "name": sv.source.name, "ips": list(sv.source.ips)},
        "destination": {"kind": "service", "name": sv.service},
        "via": sv.via or None,
        "protocol": sv.protocol.value,
        "servicePort": {"name": sp.name, "port": sp.port, "targetPort": sp.target_port, "protocol": sp.protocol.value},
        "backendsFrom": sv.backends_from,
        "backends": [
            {
                "pod": b.name,
                "kind": "ip" if b.verdict is not None and b.verdict.destination.kind == "ip" else "pod",
                "port": b.port,
                "ready": b.ready,
                "allowed": b.allowed,
                "note": b.note or None,
                **({"verdict": verdict_json(b.verdict)} if b.verdict is not None else {}),
            }
            for b in sv.backends
        ],
        "caveats": [{"code": c.code, "message": c.message} for c in sv.caveats],
    }


def service_verdict_text(sv: ServiceVerdict, verbose: bool = True) -> Styled:
    return walkthrough_text(service_walkthrough(sv), verbose)


def service_brief(sv: ServiceVerdict) -> Styled:
    """-q for a Service: its headline, and why for the backends that decide it (the first, and a count)."""
    return walkthrough_brief(service_walkthrough(sv))
