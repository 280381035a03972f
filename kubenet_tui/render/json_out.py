"""The verdict as JSON-ready dicts: the machine contract of `check` (see README, "The JSON verdict").

The same structured data the walkthrough reads, field for field: every policy once (under the tier
that considered it), every check and rule with its `unknown` flag, peer and port forms as their enum
values. `SCHEMA_VERSION` changes whenever a field is removed or changes meaning.
"""

from __future__ import annotations

from typing import Any

from kubenet_tui.engine.caveats import CaveatCode
from kubenet_tui.engine.explain import (
    Check,
    DirectionVerdict,
    PolicyExplanation,
    RuleExplanation,
    RuleRef,
    Status,
    TierResult,
    Verdict,
)

# 2: each policy once (`tiers[].policies`; the flat `policies` of a direction is gone), `unknown` on
# checks and rules, `form` on checks, assumed answers of unknown verdicts, `schemaVersion` itself.
SCHEMA_VERSION = 2


def rule_ref_json(ref: RuleRef) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": ref.kind,
        "namespace": ref.namespace,
        "name": ref.name,
        "direction": ref.direction.value,
        "rule": ref.rule,
        "peer": ref.peer,
        "port": ref.port,
    }
    if ref.rule_name is not None:
        out["ruleName"] = ref.rule_name
    if ref.action is not None:
        out["action"] = ref.action
    if ref.section is not None:
        out["section"] = list(ref.section)
    return out


def _check_json(check: Check) -> dict[str, Any]:
    return {
        "index": check.index,
        "form": check.form.value if check.form is not None else None,
        "matched": check.matched,
        "unknown": check.unknown,
        "description": check.description,
        "reason": check.reason,
    }


def _rule_json(rule: RuleExplanation) -> dict[str, Any]:
    out: dict[str, Any] = {
        "index": rule.index,
        "matched": rule.matched,
        "unknown": rule.unknown,
        "reason": rule.reason,
        "peers": [_check_json(c) for c in rule.peers],
        "ports": [_check_json(c) for c in rule.ports],
    }
    if rule.action is not None:
        out["action"] = rule.action
    if rule.name is not None:
        out["name"] = rule.name
    if rule.section is not None:
        out["section"] = list(rule.section)
    return out


def _policy_json(policy: PolicyExplanation) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": policy.kind,
        "namespace": policy.namespace,
        "name": policy.name,
        "selects": policy.selects,
        "selectionReason": policy.selection_reason,
        "matched": policy.matched,
        "ingressByDefault": policy.ingress_by_default,
        "rules": [_rule_json(r) for r in policy.rules],
    }
    if policy.priority is not None:
        out["priority"] = policy.priority
    return out


def _tier_json(tier: TierResult) -> dict[str, Any]:
    return {
        "tier": tier.tier.value,
        "label": tier.name,
        "outcome": tier.outcome.value,
        "summary": tier.summary,
        "deciding": [rule_ref_json(r) for r in tier.deciding],
        "assumed": tier.assumed.value if tier.assumed is not None else None,
        "assumedDeciding": [rule_ref_json(r) for r in tier.assumed_deciding],
        "policies": [_policy_json(p) for p in tier.policies],
    }


def direction_json(d: DirectionVerdict) -> dict[str, Any]:
    return {
        "direction": d.direction.value,
        "endpoint": d.endpoint,
        "evaluated": d.evaluated,
        "allowed": d.allowed,
        "summary": d.summary,
        "isolated": d.isolated,
        "isolatingPolicies": list(d.isolating_policies),
        "decidedBy": d.decided_by.value if d.decided_by else None,
        "decidingRules": [rule_ref_json(r) for r in d.deciding_rules],
        "chain": [f"[{t.name}] {t.outcome.value}" for t in d.tiers],
        "tiers": [_tier_json(t) for t in d.tiers],
        "assumedAllowed": d.assumed_allowed,
        "assumedSummary": d.assumed_summary or None,
        "assumedTiers": [_tier_json(t) for t in d.assumed_tiers],
    }


def verdict_json(v: Verdict) -> dict[str, Any]:
    assumed = v.assumed_status
    return {
        "allowed": v.allowed,
        # Allowed at L4, with a proxy's L7 rules deciding each request (Cilium): say so in the status too.
        "status": "allowed-with-conditions" if v.status is Status.ALLOWED and any(
            c.code is CaveatCode.L7_RULES for c in v.caveats) else v.status.value,
        "policyStatus": v.policies_say.value,
        "enforced": v.enforced,
        "profile": v.profile.value,
        "assumedStatus": assumed.value if assumed is not None else None,
        "summary": v.summary,
        "source": {"kind": v.source.kind, "name": v.source.name, "ips": list(v.source.ips)},
        "destination": {"kind": v.destination.kind, "name": v.destination.name, "ips": list(v.destination.ips)},
        "protocol": v.protocol.value,
        "port": v.port,
        "portName": v.port_name,
        "egress": direction_json(v.egress),
        "ingress": direction_json(v.ingress),
        "decidingRules": [rule_ref_json(r) for r in v.deciding_rules],
        "caveats": [{"code": c.code, "message": c.message} for c in v.caveats],
        "pending": _pending_json(v.pending),
        "suggestions": [
            {
                "direction": s.direction.value,
                "kind": s.kind,
                "summary": s.summary,
                "policy": s.policy,
                "rule": s.rule,
                "fragment": dict(s.fragment),
            }
            for s in v.suggestions
        ],
    }


def _pending_json(pending: Verdict | None) -> dict[str, Any] | None:
    """What the cluster will do once its staged policies are committed (None: the same as now)."""
    if pending is None:
        return None
    return {
        "allowed": pending.allowed,
        "status": pending.status.value,
        "summary": pending.summary,
        "decidingRules": [rule_ref_json(r) for r in pending.deciding_rules],
        "egress": direction_json(pending.egress),
        "ingress": direction_json(pending.ingress),
    }
