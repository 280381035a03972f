"""Service verdicts (per backend plus the aggregate) as JSON and as a walkthrough."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.services import ServiceVerdict
from kubenet_tui.render.json_out import verdict_json
from kubenet_tui.render.text import STATUS_STYLE, one_line, verdict_text, why_line


def service_verdict_json(sv: ServiceVerdict) -> dict[str, Any]:
    sp = sv.service_port
    return {
        "allowed": sv.allowed,
        "status": sv.status.value,
        "summary": sv.summary,
        "source": {"kind": sv.source.kind, "name": sv.source.name, "ips": list(sv.source.ips)},
        "destination": {"kind": "service", "name": sv.service},
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


def service_headline(sv: ServiceVerdict) -> Text:
    word, symbol, style = STATUS_STYLE[sv.status]
    evaluated = sv.evaluated
    allowed = sum(1 for b in evaluated if b.allowed is True)
    text = Text()
    if sv.status is Status.BLOCKED and 0 < allowed < len(evaluated):
        text.append(f"{symbol} SOME BACKENDS BLOCKED", style="bold reverse red")
    else:
        text.append(f"{symbol} {word}", style=style)
    sp = sv.service_port
    text.append(f"  {sv.source.name} → svc/{sv.service}  {sp.port}/{sp.protocol.value}")
    text.append(f"  ({allowed} of {len(evaluated)} backends allowed)")
    return text


def service_verdict_text(sv: ServiceVerdict, verbose: bool = True) -> Text:
    text = service_headline(sv)
    text.append(f"\n{sv.summary}\n")
    sp = sv.service_port
    text.append(f"Service port {sp.port}/{sp.protocol.value}"
                f"{' (' + sp.name + ')' if sp.name else ''} -> targetPort {sp.target_port}; "
                f"backends from {sv.backends_from}\n\n")
    for b in sv.backends:
        if b.verdict is None:
            text.append(f"· backend {b.name}: not evaluated: {b.note}\n\n", style="yellow")
            continue
        text.append(f"── backend {b.name} on port {b.port} ──\n", style="bold")
        text.append_text(verdict_text(b.verdict, verbose))
    if sv.caveats:
        text.append("Caveats:\n", style="bold yellow")
        for caveat in sv.caveats:
            text.append(f"  ! {caveat.message}\n", style="yellow")
    return text


def service_brief(result: ServiceVerdict) -> Text:
    """-q for a Service: its headline, and why for the backends that decide it (the first, and a count)."""
    text = service_headline(result)
    wanted = {Status.ALLOWED: True, Status.BLOCKED: False}.get(result.status)
    deciding = [b for b in result.evaluated if b.allowed is wanted]
    if not deciding or deciding[0].verdict is None:
        text.append(f"\n{one_line(result.summary)}")
        return text
    text.append(f"\nbackend {deciding[0].name}: {why_line(deciding[0].verdict)}")
    if len(deciding) > 1:
        text.append(f"; and {len(deciding) - 1} more backend{'s' if len(deciding) > 2 else ''} "
                    f"{result.status.value}")
    return text
