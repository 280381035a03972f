"""A connectivity diff for people and programs: text for a terminal, Markdown for a pull-request
comment, JSON for scripts. One report object, three renderers; each group of changed flows names its
namespaces, ports and verdicts before and after, and the rule responsible on each side (from the
explained verdicts of representative flows, `verdict_why` as `check -q` says it)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import field
from typing import Any

from kubenet_tui.engine.diff import ChangeKind, ConnectivityDiff, Example, FlowGroup, PortQuestion, State
from kubenet_tui.engine.explain import Status, Verdict
from kubenet_tui.engine.records import record
from kubenet_tui.render.json_out import rule_ref_json
from kubenet_tui.render.walkthrough import verdict_why

SCHEMA_VERSION = 1
GROUPS_SHOWN = 200  # text and Markdown: the groups with the most flows; JSON lists every one
PORTS_SHOWN = 12

KIND_WORDS = {
    ChangeKind.OPENED: "opened (blocked → allowed)",
    ChangeKind.CLOSED: "closed (allowed → blocked)",
    ChangeKind.BECAME_UNKNOWN: "became unknown",
    ChangeKind.NOW_KNOWN: "no longer unknown",
    ChangeKind.APPEARED: "appeared (a pod only on the head side)",
    ChangeKind.DISAPPEARED: "disappeared (a pod only on the base side)",
}
SYMBOLS = {State.ALLOWED: "✔", State.BLOCKED: "✗", State.UNKNOWN: "?", State.ABSENT: "·"}
STATE_WORDS = {State.ALLOWED: "allowed", State.BLOCKED: "blocked", State.UNKNOWN: "unknown", State.ABSENT: "no flow"}


@record(slots=False)
class Side:
    """One side as the report names it: what was asked (`live+fix.yaml`) and what that was."""

    source: str
    description: str
    pods: int
    profile: str
    changes: tuple[str, ...] = ()  # what each overlay did: "fix.yaml: +1 added (1 NetworkPolicy)"


@record(slots=False)
class DiffReport:
    base: Side
    head: Side
    diff: ConnectivityDiff
    notes: tuple[str, ...] = ()
    scope: tuple[str, ...] = ()  # the namespaces compared (empty: all)
    groups_shown: int = GROUPS_SHOWN
    extra: dict[str, Any] = field(default_factory=dict)


def _state(state: State) -> str:
    return f"{SYMBOLS[state]} {STATE_WORDS[state]}"


def ports_text(questions: Sequence[PortQuestion], limit: int = PORTS_SHOWN) -> str:
    """`TCP 53, 443, 8000-8099 and any other port; UDP 53 and any other port; SCTP any port`."""
    parts = []
    for protocol in dict.fromkeys(q.protocol for q in questions):
        mine = [q for q in questions if q.protocol is protocol]
        named = [q.label().rsplit("/", 1)[0] for q in mine if not q.other]
        if len(named) > limit:
            named = [*named[:limit], f"{len(named) - limit} more"]
        other = next((q for q in mine if q.other), None)
        text = ", ".join(named)
        if other is not None:
            text = f"{text} and any other port" if text else "any port"
        parts.append(f"{protocol.value} {text}")
    return "; ".join(parts) or "no port"


def why(verdict: Verdict | None, flow_word: str = "flow") -> str:
    if verdict is None:
        return f"no such {flow_word}: a pod of it is not on this side (or carries no traffic)"
    return verdict_why(verdict)


@record(slots=False)
class Reason:
    """Examples of a group that are decided alike on both sides, and the flows they stand for."""

    before: str
    after: str
    examples: tuple[Example, ...]

    @property
    def flows(self) -> int:
        return sum(e.flows for e in self.examples)


def reason_key(verdict: Verdict | None) -> tuple[object, ...]:
    """What decides a verdict, without naming its pods: the deciding rules of an allowed flow, the
    sides that block (their deciding rules and isolating policies), the sides that are unknown."""
    if verdict is None:
        return ("absent",)
    status = verdict.policies_say
    sides = (verdict.egress, verdict.ingress)
    if status is Status.ALLOWED:
        return ("allowed", tuple((d.direction, d.evaluated, tuple(r.label() for r in d.deciding_rules)) for d in sides))
    if status is Status.BLOCKED:
        return ("blocked", tuple((d.direction, d.decided_by, tuple(r.label() for r in d.deciding_rules),
                                  d.isolating_policies) for d in sides if d.allowed is False))
    return (status.value, tuple((d.direction, d.decided_by, d.summary) for d in sides if d.allowed is None))


def reasons(group: FlowGroup) -> list[Reason]:
    """The group's examples by what decides them on each side; the text is the first example's."""
    found: dict[tuple[object, ...], list[Example]] = {}
    for example in group.examples:
        found.setdefault((reason_key(example.before), reason_key(example.after)), []).append(example)
    out = [Reason(why(examples[0].before), why(examples[0].after), tuple(examples)) for examples in found.values()]
    out.sort(key=lambda r: -r.flows)
    return out


def shown_groups(report: DiffReport) -> tuple[list[FlowGroup], int]:
    """The groups text and Markdown show (the largest, in the diff's order) and how many are left out."""
    groups = list(report.diff.groups)
    if len(groups) <= report.groups_shown:
        return groups, 0
    keep = set(map(id, sorted(groups, key=lambda g: -g.flows)[:report.groups_shown]))
    return [g for g in groups if id(g) in keep], len(groups) - report.groups_shown


def totals_text(diff: ConnectivityDiff) -> str:
    if not diff.changed:
        return "no flow changes"
    totals = diff.totals()
    parts = [f"{n:,} {KIND_WORDS[k]}" for k, n in totals.items() if n]
    total = diff.flows
    return f"{total:,} flow{'s' if total != 1 else ''} change: " + ", ".join(parts)


def _flows(n: int) -> str:
    return f"{n:,} flow{'s' if n != 1 else ''}"


def _pair(example: Example) -> str:
    if example.itself:
        return f"{example.source} → itself"
    return f"{example.source} → {example.destination}"


# -- text -------------------------------------------------------------------------------------------------


def diff_text(report: DiffReport) -> Iterator[str]:
    diff = report.diff
    for word, side in (("base", report.base), ("head", report.head)):
        yield f"{word}: {side.source} ({side.description}; {side.pods:,} pods, read as {side.profile})"
        for change in side.changes:
            yield f"      {change}"
    scope = f" in {', '.join(report.scope)}" if report.scope else ""
    yield f"compared: every flow between pods{scope}, on {ports_text(diff.questions)}"
    for note in report.notes:
        yield f"note: {note}"
    yield ""
    groups, hidden = shown_groups(report)
    for group in groups:
        yield (f"{group.source_namespace} → {group.destination_namespace} on {group.question.label()}: "
               f"{_flows(group.flows)} {_state(group.before)} → {_state(group.after)}")
        for reason in reasons(group):
            yield f"  {_flows(reason.flows)}, e.g. {_pair(reason.examples[0])}"
            yield f"      before: {reason.before}"
            yield f"      after:  {reason.after}"
        left = group.flows - group.explained_flows
        if left:
            pairs = group.class_pairs - len(group.examples)
            yield f"  and {_flows(left)} in {pairs:,} more class pair{'s' if pairs != 1 else ''}, not explained"
    if hidden:
        yield f"... and {hidden:,} more groups of changed flows (-o json lists every one)"
    if groups:
        yield ""
    yield totals_text(diff)
    for problem in diff.disagreements[:5]:
        yield f"warning: internal disagreement, please report: {problem}"


# -- Markdown ----------------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{text}`" if "`" not in text else text


def diff_markdown(report: DiffReport) -> Iterator[str]:
    diff = report.diff
    title = totals_text(diff) if not diff.changed else f"{_flows(diff.flows)} change"
    yield f"### kubenet-tui diff: {title}"
    yield ""
    for word, side in (("Base", report.base), ("Head", report.head)):
        changes = f" — {'; '.join(side.changes)}" if side.changes else ""
        yield f"**{word}** {_code(side.source)}: {side.description} ({side.pods:,} pods){changes}  "
    scope = f" in {', '.join(report.scope)}" if report.scope else ""
    yield f"Compared every flow between pods{scope} on {ports_text(diff.questions)}."
    for note in report.notes:
        yield f"> {note}"
    if not diff.changed:
        yield ""
        yield "No flow changes."
        return
    yield ""
    yield "| from | to | port | flows | e.g. | before | after | why before | why after |"
    yield "| --- | --- | --- | ---: | --- | --- | --- | --- | --- |"
    groups, hidden = shown_groups(report)
    for group in groups:
        found = reasons(group)
        before = found[0].before if found else ""
        after = found[0].after if found else ""
        shown = f"`{_pair(found[0].examples[0])}`" if found else ""
        if len(found) > 1:
            before += f" (and {len(found) - 1} other reasons)"
            after += f" (and {len(found) - 1} other reasons)"
        yield (f"| {_cell(group.source_namespace)} | {_cell(group.destination_namespace)} | "
               f"{_cell(group.question.label())} | {group.flows:,} | {_cell(shown)} | {_state(group.before)} | "
               f"**{_state(group.after)}** | {_cell(before)} | {_cell(after)} |")
    if hidden:
        yield ""
        yield f"… and {hidden:,} more groups (`-o json` lists every one)."
    yield ""
    totals = diff.totals()
    yield "**Totals:** " + ", ".join(f"{n:,} {KIND_WORDS[k]}" for k, n in totals.items() if n) + "."
    yield ""
    yield "<details><summary>Example flows</summary>"
    yield ""
    for group in groups:
        for reason in reasons(group):
            example = reason.examples[0]
            yield (f"- {_code(_pair(example))} on {group.question.label()}: {STATE_WORDS[group.before]} → "
                   f"{STATE_WORDS[group.after]} ({_flows(reason.flows)} like it)")
            yield f"  - before: {reason.before}"
            yield f"  - after: {reason.after}"
    yield ""
    yield "</details>"


# -- JSON --------------------------------------------------------------------------------------------------


def _verdict_json(verdict: Verdict | None) -> dict[str, Any] | None:
    if verdict is None:
        return None
    return {
        "status": verdict.policies_say.value,
        "why": verdict_why(verdict),
        "decidingRules": [rule_ref_json(r) for r in verdict.deciding_rules],
        "sides": [{"direction": d.direction.value, "allowed": d.allowed, "summary": d.summary,
                   "isolatingPolicies": list(d.isolating_policies)} for d in (verdict.egress, verdict.ingress)],
    }


def question_json(question: PortQuestion) -> dict[str, Any]:
    return {"protocol": question.protocol.value, "port": question.port, "label": question.label(),
            "ranges": [list(r) for r in question.ranges], "other": question.other}


def group_json(group: FlowGroup) -> dict[str, Any]:
    return {
        "from": group.source_namespace,
        "to": group.destination_namespace,
        "protocol": group.question.protocol.value,
        "port": group.question.port,
        "ports": group.question.label(),
        "before": group.before.word,
        "after": group.after.word,
        "change": group.kind.value,
        "flows": group.flows,
        "classPairs": group.class_pairs,
        "examples": [
            {"source": e.source, "destination": e.destination, "itself": e.itself, "flows": e.flows,
             "before": _verdict_json(e.before), "after": _verdict_json(e.after)}
            for e in group.examples
        ],
        "unexplainedFlows": group.flows - group.explained_flows,
    }


def diff_json(report: DiffReport) -> dict[str, Any]:
    diff = report.diff

    def side(s: Side) -> dict[str, Any]:
        return {"source": s.source, "description": s.description, "pods": s.pods, "profile": s.profile,
                "changes": list(s.changes)}

    totals = {k.value: n for k, n in diff.totals().items()}
    return {
        "schemaVersion": SCHEMA_VERSION,
        "changed": diff.changed,
        "base": side(report.base),
        "head": side(report.head),
        "namespaces": list(report.scope) or None,
        "ports": [question_json(q) for q in diff.questions],
        "totals": {"flows": diff.flows, **totals},
        "changes": [group_json(g) for g in diff.groups],
        "notes": list(report.notes),
        "disagreements": list(diff.disagreements),
        **report.extra,
    }
