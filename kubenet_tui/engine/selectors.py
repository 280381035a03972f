"""Label selectors: one truth table per operator, read by every face that needs a selector.

- `selector_mismatch`: one label map, with the failing term as the reason (explanations);
- `selector_matches`: one label map, just the answer (hot loops);
- `selector_mask`: many label maps at once, through an index of `key=value` positions (the matrix);
- `partly_known`: a label map of which only some keys are known (a namespace whose labels could not
  be read still has its name label).

Every term is "the label is present (and, for In/NotIn, has one of the values)", possibly negated:
In and Exists are the positive forms, NotIn and DoesNotExist their negations. `matchLabels` entries
are In terms with one value.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Protocol, TypeVar

from kubenet_tui.engine.model import LabelSelector, Operator, Requirement

# operator -> (reads the values?, negated?)
_TRUTH: dict[Operator, tuple[bool, bool]] = {
    Operator.IN: (True, False),
    Operator.NOT_IN: (True, True),
    Operator.EXISTS: (False, False),
    Operator.DOES_NOT_EXIST: (False, True),
}


def term_holds(operator: Operator, values: Collection[str], value: str | None) -> bool:
    """Whether a label with `value` (None: absent) satisfies the term."""
    reads_values, negated = _TRUTH[operator]
    present = value is not None and (not reads_values or value in values)
    return present is not negated


def _list(values: Iterable[str]) -> str:
    return "[" + ", ".join(repr(v) for v in values) + "]"


def _why_not(req: Requirement, value: str | None) -> str:
    """The reason `req` fails for `value` (only called when it does)."""
    op = req.operator
    if op is Operator.IN:
        if value is None:
            return f"label {req.key} is missing (wants one of {_list(req.values)})"
        return f"label {req.key} is {value!r}, not one of {_list(req.values)}"
    if op is Operator.NOT_IN:
        return f"label {req.key} is {value!r}, which NotIn {_list(req.values)} excludes"
    if op is Operator.EXISTS:
        return f"label {req.key} is missing (Exists)"
    return f"label {req.key} is present ({value!r}) but the selector says DoesNotExist"


def requirement_mismatch(req: Requirement, labels: Mapping[str, str]) -> str | None:
    """None when `req` holds for `labels`, else the reason in words."""
    value = labels.get(req.key)
    return None if term_holds(req.operator, req.values, value) else _why_not(req, value)


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
    """`selector_mismatch(...) is None`, without building the reason."""
    for key, wanted in selector.match_labels:
        if labels.get(key) != wanted:
            return False
    return all(term_holds(req.operator, req.values, labels.get(req.key)) for req in selector.match_expressions)


def selector_keys(selector: LabelSelector) -> frozenset[str]:
    return frozenset(k for k, _ in selector.match_labels) | {r.key for r in selector.match_expressions}


def partly_known(selector: LabelSelector, labels: Mapping[str, str]) -> str | bool | None:
    """The selector against a label map of which only the keys in `labels` are known (the others may
    or may not exist): the mismatch reason when a known term fails, None when it matches on known
    keys alone, True when the answer depends on the unknown labels."""
    known = LabelSelector(
        tuple((k, v) for k, v in selector.match_labels if k in labels),
        tuple(r for r in selector.match_expressions if r.key in labels),
    )
    why_not = selector_mismatch(known, labels)
    if why_not is not None:
        return why_not
    return None if selector_keys(selector) <= labels.keys() else True


def from_map(labels: Mapping[str, str]) -> LabelSelector:
    """A Service's `selector` (a plain map) as the selector it means."""
    return LabelSelector(tuple(sorted(labels.items())))


# -- the mask face ---------------------------------------------------------------------------------

V = TypeVar("V", bound="Vector")
V_co = TypeVar("V_co", bound="Vector", covariant=True)


class Vector(Protocol):
    """A boolean vector over label maps (the matrix uses numpy arrays); only the operators are needed."""

    def __and__(self: V, other: V) -> V: ...
    def __or__(self: V, other: V) -> V: ...
    def __invert__(self: V) -> V: ...


class LabelMasks(Protocol[V_co]):
    """Where each `key=value` and each key occurs, as vectors over many label maps."""

    def pair(self, key: str, value: str) -> V_co: ...
    def has(self, key: str) -> V_co: ...
    def everything(self) -> V_co: ...


def selector_mask(selector: LabelSelector, masks: LabelMasks[V]) -> V:
    """`selector_matches` for every label map `masks` indexes, as one vector (same truth table)."""
    out = masks.everything()
    for key, wanted in selector.match_labels:
        out = out & masks.pair(key, wanted)
    for req in selector.match_expressions:
        reads_values, negated = _TRUTH[req.operator]
        if reads_values:
            present = masks.pair(req.key, req.values[0])
            for value in req.values[1:]:
                present = present | masks.pair(req.key, value)
        else:
            present = masks.has(req.key)
        out = out & (~present if negated else present)
    return out
