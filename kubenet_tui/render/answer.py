"""Any answer of `engine.query.ask` as text or JSON: the one dispatch the command line and the
explorer's copy share."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from kubenet_tui.engine.ports import PortsVerdict
from kubenet_tui.engine.query import Answer
from kubenet_tui.engine.services import ServiceVerdict
from kubenet_tui.render.json_out import verdict_json
from kubenet_tui.render.ports_out import ports_brief, ports_verdict_json, ports_verdict_text
from kubenet_tui.render.services_out import service_brief, service_verdict_json, service_verdict_text
from kubenet_tui.render.text import brief_text, verdict_text


def answer_text(answer: Answer, verbose: bool = True) -> Text:
    if isinstance(answer, ServiceVerdict):
        return service_verdict_text(answer, verbose)
    if isinstance(answer, PortsVerdict):
        return ports_verdict_text(answer, verbose)
    return verdict_text(answer, verbose)


def answer_json(answer: Answer) -> dict[str, Any]:
    if isinstance(answer, ServiceVerdict):
        return service_verdict_json(answer)
    if isinstance(answer, PortsVerdict):
        return ports_verdict_json(answer)
    return verdict_json(answer)


def answer_brief(answer: Answer) -> Text:
    """Two lines: the verdict, and why."""
    if isinstance(answer, ServiceVerdict):
        return service_brief(answer)
    if isinstance(answer, PortsVerdict):
        return ports_brief(answer)
    return brief_text(answer)
