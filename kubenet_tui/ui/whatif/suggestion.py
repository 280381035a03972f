"""The minimal-fix suggestion as an overlay, so that "try it" (`t`) shows its side effects before the
user copies it: a new policy is applied as written; a port or peer added to a rule, or policyTypes set,
is applied to the policy's own manifest (as read), which then replaces it."""

from __future__ import annotations

import copy
import json
from typing import Any

from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.explain import Suggestion
from kubenet_tui.sources.overlay import Overlay, overlay_from_objects


class CannotTry(ValueError):
    """The suggestion is not a change to manifests (an admin's decision), or its policy is not there."""


def suggestion_overlay(suggestion: Suggestion, cluster: Cluster) -> Overlay:
    """The suggestion applied to `cluster`'s manifests, as an overlay named after it."""
    fragment = dict(suggestion.fragment)
    if suggestion.kind == "new-policy" and fragment.get("kind"):
        meta = fragment.get("metadata") or {}
        label = f"the suggested {fragment['kind']} {meta.get('namespace')}/{meta.get('name')}"
        return overlay_from_objects([fragment], label, "suggestion")
    if suggestion.kind not in ("add-port", "add-peer", "policy-types") or not suggestion.policy or not fragment:
        raise CannotTry(f"nothing to try: {suggestion.summary}")
    namespace, _, name = suggestion.policy.partition("/")
    policy = next((p for p in cluster.network_policies if p.namespace == namespace and p.name == name), None)
    if policy is None or not policy.manifest:
        raise CannotTry(f"NetworkPolicy {suggestion.policy} is not in the snapshot as read: nothing to change")
    manifest: dict[str, Any] = json.loads(policy.manifest)
    spec = manifest.setdefault("spec", {})
    if suggestion.kind == "policy-types":
        spec.update(copy.deepcopy(fragment.get("spec", {})))
    else:
        rules = spec.get(suggestion.direction.value)
        if not isinstance(rules, list) or suggestion.rule is None or not 0 <= suggestion.rule < len(rules):
            raise CannotTry(f"{suggestion.policy} has no {suggestion.direction.value}[{suggestion.rule}] as read")
        rule = rules[suggestion.rule]
        for key, entries in fragment.items():
            rule.setdefault(key, []).extend(copy.deepcopy(entries))
    return overlay_from_objects([manifest], f"the suggested change to {suggestion.policy}", "suggestion")
