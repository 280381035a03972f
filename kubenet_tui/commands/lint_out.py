"""`kubenet-tui lint` output: text for people, JSON for scripts, SARIF 2.1.0 for code scanning.

A finding's location: the object it names (kind, namespace, name), the YAML path inside it, and, for
objects read from files, the file and line. The line is the object's own line, made precise to the
path's line when the file is small enough to compose again (`FileLines`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from kubenet_tui import __version__
from kubenet_tui.engine.lint import RULES, Finding, LintRule, Severity, path_text

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
MAX_COMPOSE_BYTES = 4 << 20  # larger files: the object's line only (composing 75 MB takes minutes)
_SYMBOL = {Severity.ERROR: "✗", Severity.WARNING: "⚠", Severity.NOTE: "·"}

try:  # libyaml composes much faster; the pure-Python loader is the fallback.
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


def split_origin(origin: str) -> tuple[str, int] | None:
    """"file.yaml:12" -> ("file.yaml", 12); None for "api", "" and the like."""
    name, sep, line = origin.rpartition(":")
    if not sep or not name or not line.isdigit():
        return None
    return name, int(line)


class FileLines:
    """Where a YAML path of an object read from a file is, by line (1-based)."""

    def __init__(self) -> None:
        self._roots: dict[str, dict[int, yaml.Node] | None] = {}

    def _objects(self, name: str) -> dict[int, yaml.Node] | None:
        if name in self._roots:
            return self._roots[name]
        found: dict[int, yaml.Node] | None = None
        path = Path(name)
        try:
            if path.is_file() and path.stat().st_size <= MAX_COMPOSE_BYTES:
                found = {}
                for root in yaml.compose_all(path.read_text(encoding="utf-8"), Loader=_Loader):
                    if root is None:
                        continue
                    found[root.start_mark.line + 1] = root
                    for key, value in getattr(root, "value", ()) if isinstance(root, yaml.MappingNode) else ():
                        if getattr(key, "value", None) == "items" and isinstance(value, yaml.SequenceNode):
                            for item in value.value:
                                found[item.start_mark.line + 1] = item
        except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
            found = None
        self._roots[name] = found
        return found

    def line(self, origin: str, path: Sequence[str | int]) -> tuple[str, int] | None:
        """(file, line) of `path` inside the object read at `origin`: the deepest step found."""
        where = split_origin(origin)
        if where is None:
            return None
        name, line = where
        objects = self._objects(name)
        node = objects.get(line) if objects else None
        if node is None:
            return name, line
        found_line = node.start_mark.line
        for step in path:
            child = _child(node, step)
            if child is None:
                break
            node, found_line = child
        return name, found_line + 1


def _child(node: yaml.Node, step: str | int) -> tuple[yaml.Node, int] | None:
    """The node at `step` and the line that names it (a mapping key's own line, an item's first)."""
    if isinstance(step, int):
        if isinstance(node, yaml.SequenceNode) and 0 <= step < len(node.value):
            found: yaml.Node = node.value[step]
            return found, found.start_mark.line
        return None
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == step:
                child: yaml.Node = value
                return child, key.start_mark.line
    return None


# -- text -------------------------------------------------------------------------------------------


def text_lines(findings: Sequence[Finding], unicode: bool = True) -> Iterator[str]:
    if not findings:
        yield "no findings"
        return
    for f in findings:
        symbol = _SYMBOL[f.severity] if unicode else {"✗": "x", "⚠": "!", "·": "."}[_SYMBOL[f.severity]]
        where = f" ({f.origin})" if f.origin else ""
        yield f"{symbol} {f.severity.value}: {f.object_text} {f.path_text}{where}"
        yield f"  {f.rule.value}: {f.message}"
    counts = Counter(f.severity for f in findings)
    parts = [f"{counts[s]} {s.value}{'s' if counts[s] != 1 else ''}" for s in Severity if counts[s]]
    yield f"{len(findings)} finding{'s' if len(findings) != 1 else ''}: {', '.join(parts)}"


# -- JSON -------------------------------------------------------------------------------------------


def finding_json(f: Finding, lines: FileLines | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rule": f.rule.value,
        "severity": f.severity.value,
        "object": {"kind": f.kind, "namespace": f.namespace, "name": f.name},
        "path": f.path_text,
        "message": f.message,
    }
    if f.origin:
        out["origin"] = f.origin
        located = (lines or FileLines()).line(f.origin, f.path)
        if located is not None:
            out["file"], out["line"] = located
    if f.related:
        out["related"] = list(f.related)
    return out


def lint_json(findings: Sequence[Finding]) -> dict[str, Any]:
    lines = FileLines()
    counts = Counter(f.severity.value for f in findings)
    return {"findings": [finding_json(f, lines) for f in findings],
            "summary": {s.value: counts.get(s.value, 0) for s in Severity}}


# -- SARIF 2.1.0 --------------------------------------------------------------------------------------


def sarif(findings: Sequence[Finding]) -> dict[str, Any]:
    """One run of the tool, every rule described (so a viewer can show its help), every finding a
    result with a logical location (the object and its YAML path) and, for files, a physical one."""
    order = list(LintRule)
    rules = [{
        "id": rule.value,
        "name": "".join(part.capitalize() for part in rule.value.split("-")),
        "shortDescription": {"text": RULES[rule].title},
        "fullDescription": {"text": RULES[rule].description},
        "help": {"text": RULES[rule].description},
    } for rule in order]
    lines = FileLines()
    results = []
    for f in findings:
        logical = {"name": f.name, "fullyQualifiedName": f"{f.kind}/{f.key}/{f.path_text}", "kind": "object"}
        location: dict[str, Any] = {"logicalLocations": [logical],
                                    "message": {"text": f"{f.object_text} {f.path_text}"}}
        located = lines.line(f.origin, f.path) if f.origin else None
        if located is not None:
            location["physicalLocation"] = {"artifactLocation": {"uri": Path(located[0]).as_posix()},
                                            "region": {"startLine": max(1, located[1])}}
        results.append({
            "ruleId": f.rule.value,
            "ruleIndex": order.index(f.rule),
            "level": f.severity.value,  # error / warning / note: SARIF's own level names
            "message": {"text": f"{f.object_text} {f.path_text}: {f.message}"},
            "locations": [location],
            "partialFingerprints": {"kubenetObject/v1": f"{f.rule.value}|{f.kind}|{f.key}|{path_text(f.path)}"},
        })
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "kubenet-tui", "version": __version__, "rules": rules}},
            "results": results,
        }],
    }


def dumps(data: Any, ascii_only: bool) -> str:
    return json.dumps(data, indent=2, ensure_ascii=ascii_only)
