"""Flow classes, as the plugin observed them and as the policies judge them: text for people, JSON dicts
for machines (`flows -o json`). The verdict inside each is rendered by the one verdict renderer
(`render.answer`)."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.flowjoin import JoinedEnd
from kubenet_tui.engine.flowjudge import (
    Agreement,
    Answer,
    Cause,
    Decision,
    FlowClass,
    FlowReport,
    LikelyCause,
    iso,
)
from kubenet_tui.engine.flows import Observed, Plugin, PluginPolicy
from kubenet_tui.render.answer import answer_json, answer_text

PLUGIN_TITLES = {Plugin.HUBBLE: "Cilium (Hubble)", Plugin.CALICO: "Calico", Plugin.AWS: "AWS network policy agent"}
CAUSE_TITLES = {
    Cause.SNAPSHOT_TIME: "the snapshot and the flows are from different times",
    Cause.NOT_READ: "an object that decides it was not read, or not evaluated",
    Cause.HOST_NETWORK: "host network: a node or a host-network pod, which pod policies do not govern",
    Cause.L7_OR_DNS: "an L7 or DNS rule, which decides beyond ports and addresses",
    Cause.PROFILE: "the policies were read otherwise than the plugin reads them",
    Cause.ENFORCEMENT: "the plugin may not enforce policies",
}
AGREEMENT_MARKS = {
    Agreement.AGREES: ("✔", "AGREES", "bold green"),
    Agreement.DISAGREES: ("✗", "DISAGREES", "bold red"),
    Agreement.UNKNOWN: ("?", "UNKNOWN", "bold yellow"),
    Agreement.NOT_COMPARED: ("·", "NOT COMPARED", "dim"),
}
OBSERVED_WORDS = {Observed.ALLOWED: "ALLOWED", Observed.DENIED: "DENIED", Observed.AUDIT: "AUDIT (would deny)",
                  Observed.DROPPED: "DROPPED"}
_STATUS_WORDS = {Status.ALLOWED: "ALLOWED", Status.BLOCKED: "BLOCKED", Status.UNKNOWN: "UNKNOWN",
                 Status.NOT_EVALUATED: "NOT EVALUATED"}


def port_text(cls: FlowClass) -> str:
    if cls.port is None:
        return cls.protocol or "?"
    return f"{cls.port}/{cls.protocol}"


def ours_word(cls: FlowClass) -> str:
    return _STATUS_WORDS[cls.ours] if cls.ours is not None else "-"


def observed_text(cls: FlowClass) -> str:
    word = OBSERVED_WORDS[cls.observed]
    sides = [s.value for s in cls.sides if s is not None]
    where = f" at {' and '.join(sides)}" if sides else ""
    reasons = f" ({', '.join(cls.reasons)})" if cls.reasons else ""
    return f"{word}{where}{reasons}"


def _policy_text(policy: PluginPolicy) -> str:
    parts = [p for p in (policy.action, policy.side.value if policy.side else "",
                         f"rule {policy.rule}" if policy.rule is not None and policy.rule >= 0 else
                         "end of tier" if policy.rule == -1 else "", "staged" if policy.pending else "") if p]
    return f"{policy.kind or 'policy'} {policy.key}" + (f" ({', '.join(parts)})" if parts else "")


def decision_text(decision: Decision) -> str:
    side = decision.side.value
    if decision.allowed is True:
        if decision.rules:
            return f"{side}: allowed by {', '.join(r.label() for r in decision.rules)}"
        return f"{side}: allowed ({decision.summary or 'no policy decides it: allowed by default'})"
    if decision.allowed is None:
        return f"{side}: unknown ({decision.summary})"
    if decision.rules:
        return f"{side}: denied by {', '.join(r.label() for r in decision.rules)}"
    if decision.isolating:
        return f"{side}: default deny, switched on by {', '.join(decision.isolating)}; no rule allows it"
    return f"{side}: blocked ({decision.summary})"


def nearest_text(decision: Decision) -> str | None:
    near = decision.nearest
    if near is None or near.policy is None:
        return None
    what = "the peer but not the port" if near.kind == "add-port" else "the port but not the peer"
    return f"{near.policy} {decision.side.value}[{near.rule}] matches {what}"


def _relevant(cls: FlowClass) -> list[Decision]:
    """The decisions about the sides the plugin observed (every side when it does not say)."""
    sides = {c.side for c in cls.checks if c.side is not None}
    if not sides or any(c.side is None for c in cls.checks):
        return list(cls.decisions)
    blocked = [d for d in cls.decisions if d.side in sides]
    return blocked or list(cls.decisions)


def cause_text(cause: LikelyCause) -> str:
    return CAUSE_TITLES[cause.cause]


def _when(cls: FlowClass) -> str:
    events = plural(cls.count, "event")
    if cls.count != cls.records:
        events += f" in {plural(cls.records, 'record')}"
    if cls.first is None:
        return f"{events}, no time in the log; first at line {cls.first_line}"
    span = iso(cls.first) if cls.first == cls.last else f"{iso(cls.first)} to {iso(cls.last)}"
    return f"{events}, {span}; first at line {cls.first_line}"


def class_text(cls: FlowClass, answer: Answer | None = None) -> Text:
    """One class: the comparison first, then the observation, our verdict and why; then `answer`, the
    verdict's full walkthrough, when given (`shown_in_full` says for which classes by default)."""
    symbol, word, style = AGREEMENT_MARKS[cls.agreement]
    text = Text()
    text.append(f"{symbol} {word}", style=style)
    text.append(f"  {cls.source.label} → {cls.destination.label}  {port_text(cls)}  ×{cls.count:,}\n", style="bold")
    text.append(f"  observed: {observed_text(cls)}, by {PLUGIN_TITLES[cls.plugin]}\n")
    named = [p for p in cls.policies if p.kind != "Profile"]
    if named:
        text.append(f"  the plugin names: {'; '.join(_policy_text(p) for p in named)}\n")
    if cls.ours is not None:
        profile = f" (policies read as {cls.verdict.profile.value})" if cls.verdict is not None else ""
        text.append(f"  ours:     {ours_word(cls)}{profile}\n", style=_ours_style(cls.ours))
        for decision in _relevant(cls):
            text.append(f"    {decision_text(decision)}\n")
    if cls.note:
        text.append(f"  note:     {cls.note}\n", style="yellow" if cls.agreement is not Agreement.AGREES else "")
    text.append(f"  when:     {_when(cls)}\n", style="dim")
    for label, end in (("source", cls.source), ("destination", cls.destination)):
        if not end.label.startswith(f"{end.logged.namespace}/{end.logged.name}"):
            text.append(f"  {label} as logged: {end.logged.describe()}\n", style="dim")
        if cls.agreement is Agreement.AGREES:  # otherwise the causes name them
            for note in end.notes:
                text.append(f"  {label}: {note.detail}\n", style="dim")
    if cls.names_match is False:
        text.append("  the plugin names other policies than the ones that decide here\n", style="yellow")
    if cls.agreement is Agreement.AGREES and cls.ours is Status.BLOCKED:
        for decision in _relevant(cls):
            if decision.allowed is not False:
                continue
            near = nearest_text(decision)
            if near:
                text.append(f"  nearest miss: {near}\n")
            if decision.fix is not None:
                text.append(f"  smallest fix: {decision.fix.summary}\n", style="magenta")
    if cls.causes:
        text.append("  likely causes, most likely first:\n", style="bold")
        for i, cause in enumerate(cls.causes, 1):
            text.append(f"    {i}. {cause_text(cause)} [{cause.cause.value}, score {cause.score}]\n")
            for evidence in cause.evidence:
                text.append(f"       - {evidence}\n")
    if answer is not None:
        text.append("  our verdict in full:\n", style="bold")
        walkthrough = answer_text(answer).to_rich()
        for line in walkthrough.split("\n"):
            if line.plain:
                text.append("    ")
                text.append_text(line)
            text.append("\n")
    return text


def _ours_style(status: Status) -> str:
    return {Status.ALLOWED: "green", Status.BLOCKED: "red"}.get(status, "yellow")


# -- JSON ----------------------------------------------------------------------------------------------


def _end_json(end: JoinedEnd) -> dict[str, Any]:
    logged = end.logged
    out: dict[str, Any] = {
        "name": end.label,
        "typed": end.typed,
        "evaluated": bool(end.targets),
        "logged": {k: v for k, v in (("ip", logged.ip), ("namespace", logged.namespace), ("name", logged.name),
                                     ("prefix", logged.prefix), ("kind", logged.hint.value),
                                     ("service", logged.service)) if v is not None},
    }
    if logged.labels:
        out["logged"]["labels"] = list(logged.labels)
    if end.notes:
        out["notes"] = [{"evidence": n.evidence.value, "detail": n.detail} for n in end.notes]
    return out


def _policy_json(policy: PluginPolicy) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": policy.kind, "namespace": policy.namespace, "name": policy.name}
    for key, value in (("action", policy.action or None), ("side", policy.side.value if policy.side else None),
                       ("tier", policy.tier), ("rule", policy.rule)):
        if value is not None:
            out[key] = value
    if policy.pending:
        out["staged"] = True
    return out


def _decision_json(decision: Decision) -> dict[str, Any]:
    out: dict[str, Any] = {
        "side": decision.side.value,
        "allowed": decision.allowed,
        "tier": decision.tier.value if decision.tier is not None else None,
        "decidingRules": [r.label() for r in decision.rules],
        "isolatingPolicies": list(decision.isolating),
        "summary": decision.summary,
    }
    if decision.nearest is not None:
        out["nearestMiss"] = {"policy": decision.nearest.policy, "rule": decision.nearest.rule,
                              "kind": decision.nearest.kind}
    if decision.fix is not None:
        out["fix"] = decision.fix.summary
    return out


def shown_in_full(cls: FlowClass) -> bool:
    """Whether a class's verdict is shown in full by default: the findings (disagreements, unknowns)."""
    return cls.agreement in (Agreement.DISAGREES, Agreement.UNKNOWN)


def class_json(cls: FlowClass, answer: Answer | None = None) -> dict[str, Any]:
    """One class as JSON; `answer`, when given, as its `explanation` (`check -o json`'s verdict)."""
    out: dict[str, Any] = {
        "agreement": cls.agreement.value,
        "source": _end_json(cls.source),
        "destination": _end_json(cls.destination),
        "protocol": cls.protocol,
        "port": cls.port,
        "observed": {
            "plugin": cls.plugin.value,
            "verdict": cls.observed.value,
            "sides": [s.value if s is not None else None for s in cls.sides],
            "reasons": list(cls.reasons),
            "policies": [_policy_json(p) for p in cls.policies],
        },
        "count": cls.count,
        "records": cls.records,
        "first": iso(cls.first) if cls.first is not None else None,
        "last": iso(cls.last) if cls.last is not None else None,
        "firstLine": cls.first_line,
        "ours": cls.ours.value if cls.ours is not None else None,
    }
    if cls.l7:
        out["observed"]["l7"] = list(cls.l7)
    if cls.dns_names:
        out["observed"]["dnsNames"] = list(cls.dns_names)
    if cls.nodes:
        out["observed"]["nodes"] = list(cls.nodes)
    if cls.note:
        out["note"] = cls.note
    if cls.checks:
        out["checks"] = [{"side": c.side.value if c.side is not None else None, "observedAllows": c.observed_allows,
                          "oursAllows": c.ours, **({"implied": True} if c.implied else {})} for c in cls.checks]
    if cls.decisions:
        out["decisions"] = [_decision_json(d) for d in cls.decisions]
    if cls.names_match is not None:
        out["pluginNamesOurPolicies"] = cls.names_match
    if cls.causes:
        out["causes"] = [{"cause": c.cause.value, "score": c.score, "title": cause_text(c), "evidence": list(c.evidence)}
                         for c in cls.causes]
    if answer is not None:
        out["explanation"] = answer_json(answer)
    return out


def report_counts_json(report: FlowReport) -> dict[str, Any]:
    return {
        "total": len(report.classes),
        "agrees": report.count(Agreement.AGREES),
        "disagrees": report.count(Agreement.DISAGREES),
        "unknown": report.count(Agreement.UNKNOWN),
        "notCompared": report.count(Agreement.NOT_COMPARED),
        "events": {a.value: report.events(a) for a in Agreement},
    }


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {words or word + 's'}"
