"""Policy manifests as YAML, and where a rule (and its peer and port) sits in that YAML, by line.

Pure helpers for highlighting a deciding rule: `manifest_yaml` turns a policy's compact JSON into the
YAML users know, `locate` finds the lines of a path such as ("spec", "ingress", 0, "from", 1) with
`yaml.compose` node marks, and `locate_rule` does it for an engine `RuleRef`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import yaml

from kubenet_tui.engine.explain import Direction, RuleRef
from kubenet_tui.engine.records import record

try:  # libyaml composes much faster; the pure-Python loader is the fallback.
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


@record
class LineSpan:
    """Lines `first` to `last` inclusive, 0-based."""

    first: int
    last: int

    def __contains__(self, line: object) -> bool:
        return isinstance(line, int) and self.first <= line <= self.last

    def lines(self) -> range:
        return range(self.first, self.last + 1)


@record
class RuleLines:
    """Where a deciding rule is: the whole rule, and the peer and port entries that matched."""

    rule: LineSpan
    peer: LineSpan | None = None
    port: LineSpan | None = None


def manifest_yaml(manifest_json: str) -> str:
    """The compact JSON a policy carries, as block YAML in the order it was written."""
    if not manifest_json:
        return ""
    return yaml.safe_dump(json.loads(manifest_json), sort_keys=False, default_flow_style=False, allow_unicode=True)


def _child(node: yaml.Node, step: str | int) -> yaml.Node | None:
    if isinstance(step, int):
        if isinstance(node, yaml.SequenceNode) and 0 <= step < len(node.value):
            child: yaml.Node = node.value[step]
            return child
        return None
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == step:
                found: yaml.Node = value
                return found
    return None


def _last_line(node: yaml.Node) -> int:
    """The last line holding text of `node`. A block collection's own end mark points at the next
    token (often on a later line), so use the end of its last leaf instead."""
    if isinstance(node, yaml.SequenceNode) and node.value:
        return _last_line(node.value[-1])
    if isinstance(node, yaml.MappingNode) and node.value:
        return _last_line(node.value[-1][1])
    end = node.end_mark
    # Block scalars (`|`) end at column 0 of the line after their text.
    if end.column == 0 and end.line > node.start_mark.line:
        return int(end.line) - 1
    return int(end.line)


def _compose(text: str) -> yaml.Node | None:
    try:
        node: yaml.Node | None = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return None
    return node


def _span(root: yaml.Node, path: Sequence[str | int]) -> LineSpan | None:
    node: yaml.Node | None = root
    for step in path:
        assert node is not None
        node = _child(node, step)
        if node is None:
            return None
    assert node is not None
    first = int(node.start_mark.line)
    return LineSpan(first, max(first, _last_line(node)))


def locate(text: str, path: Sequence[str | int]) -> LineSpan | None:
    """Lines of the node at `path` (mapping keys and sequence indices) in YAML `text`; None if absent."""
    root = _compose(text)
    if root is None:
        return None
    return _span(root, path)


def locate_rule(text: str, ref: RuleRef) -> RuleLines | None:
    """Lines of the rule `ref` points at, and of its matching peer and port when it names them.

    Peers are under `from` (ingress) or `to` (egress); ports under `ports` (NetworkPolicy,
    AdminNetworkPolicy) or `protocols` (ClusterNetworkPolicy).
    """
    root = _compose(text)
    if root is None:
        return None
    rule_path = ref.yaml_path
    rule = _span(root, rule_path)
    if rule is None:
        return None
    peer = None
    if ref.peer is not None:
        peer_key = "from" if ref.direction is Direction.INGRESS else "to"
        peer = _span(root, (*rule_path, peer_key, ref.peer))
    port = None
    if ref.port is not None:
        port = _span(root, (*rule_path, "ports", ref.port)) or _span(root, (*rule_path, "protocols", ref.port))
    return RuleLines(rule, peer, port)
