"""Any answer of `engine.query.ask` as text or JSON: the one dispatch the command line and the
explorer's copy share."""

from __future__ import annotations

from typing import Any

from kubenet_tui.engine.explain import Verdict
from kubenet_tui.engine.ports import PortsVerdict
from kubenet_tui.engine.query import Answer
from kubenet_tui.engine.services import ServiceVerdict
from kubenet_tui.render.json_out import SCHEMA_VERSION, verdict_json
from kubenet_tui.render.ports_out import ports_verdict_json
from kubenet_tui.render.services_out import service_verdict_json
from kubenet_tui.render.styled import Styled
from kubenet_tui.render.text import walkthrough_brief, walkthrough_text
from kubenet_tui.render.walkthrough import walkthrough


def answer_text(answer: Answer, verbose: bool = True) -> Styled:
    return walkthrough_text(walkthrough(answer), verbose)


def answer_json(answer: Answer) -> dict[str, Any]:
    """The whole document `check -o json` prints; `schemaVersion` first, so a reader can check it before
    anything else."""
    if isinstance(answer, Verdict):
        data = verdict_json(answer)
    elif isinstance(answer, ServiceVerdict):
        data = service_verdict_json(answer)
    elif isinstance(answer, PortsVerdict):
        data = ports_verdict_json(answer)
    else:  # from outside: only then is the route model imported
        from kubenet_tui.render.routes_out import route_verdict_json

        data = route_verdict_json(answer)
    return {"schemaVersion": SCHEMA_VERSION, **data}


def answer_brief(answer: Answer) -> Styled:
    """Two lines: the verdict, and why."""
    return walkthrough_brief(walkthrough(answer))
