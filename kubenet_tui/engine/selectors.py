"""Label selector matching, with the precise reason when a selector does not match."""

from __future__ import annotations

from collections.abc import Mapping

from kubenet_tui.engine.model import NAMESPACE_NAME_LABEL, LabelSelector, Operator, Requirement


def requirement_mismatch(req: Requirement, labels: Mapping[str, str]) -> str | None:
    """None when `req` holds for `labels`, else the reason in words."""
    value = labels.get(req.key)
    op = req.operator
    if op is Operator.IN:
        if value is None:
            return f"label {req.key} is missing (wants one of {_list(req.values)})"
        if value not in req.values:
            return f"label {req.key} is {value!r}, not one of {_list(req.values)}"
    elif op is Operator.NOT_IN:
        if value is not None and value in req.values:
            return f"label {req.key} is {value!r}, which NotIn {_list(req.values)} excludes"
    elif op is Operator.EXISTS:
        if value is None:
            return f"label {req.key} is missing (Exists)"
    elif value is not None:
        return f"label {req.key} is present ({value!r}) but the selector says DoesNotExist"
    return None


def selector_mismatch(selector: LabelSelector, labels: Mapping[str, str]) -> str | None:
    """None when the selector matches, else the first failing term as a reason."""
    for key, wanted in selector.match_labels:
        value = labels.get(key)
        if value is None:
            return f"label {key} is missing (wants {wanted!r})"
        if value != wanted:
            return f"label {key} is {value!r}, not {wanted!r}"
    for req in selector.match_expressions:
        reason = requirement_mismatch(req, labels)
        if reason is not None:
            return reason
    return None


def selector_matches(selector: LabelSelector, labels: Mapping[str, str]) -> bool:
    """Fast path of `selector_mismatch` without building the reason."""
    for key, wanted in selector.match_labels:
        if labels.get(key) != wanted:
            return False
    for req in selector.match_expressions:
        value = labels.get(req.key)
        op = req.operator
        if op is Operator.IN:
            if value is None or value not in req.values:
                return False
        elif op is Operator.NOT_IN:
            if value is not None and value in req.values:
                return False
        elif op is Operator.EXISTS:
            if value is None:
                return False
        elif value is not None:
            return False
    return True


def _list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(repr(v) for v in values) + "]"


def namespace_selector_unknown(selector: LabelSelector, name: str) -> str | bool | None:
    """For a namespace whose labels could not be read: the mismatch reason or None (decided from
    its name label alone, which always exists), or True when the result is unknown."""
    known = {NAMESPACE_NAME_LABEL: name}
    # Terms on the name label are decided even when the other labels are not.
    on_name = LabelSelector(
        tuple((k, v) for k, v in selector.match_labels if k == NAMESPACE_NAME_LABEL),
        tuple(r for r in selector.match_expressions if r.key == NAMESPACE_NAME_LABEL),
    )
    why_not = selector_mismatch(on_name, known)
    if why_not is not None:
        return why_not
    keys = {k for k, _ in selector.match_labels} | {r.key for r in selector.match_expressions}
    return None if keys <= {NAMESPACE_NAME_LABEL} else True
