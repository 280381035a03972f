"""Manifests from files, directories (recursive), and stdin: YAML (multi-document) or JSON."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from threading import Event
from typing import Any

import yaml

from kubenet_tui.engine.profiles import Profile
from kubenet_tui.sources.base import DataState, Snapshot, SourceError, gc_paused
from kubenet_tui.sources.cni import detect_cni
from kubenet_tui.sources.json_stream import ListHeader, NotAList, read_items
from kubenet_tui.sources.parse import ObjectCollector, Problem

try:  # libyaml is ~10x faster; the pure-Python loader is the fallback when it is not built.
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

MANIFEST_SUFFIXES = {".yaml", ".yml", ".json"}
_DOC_START = re.compile(r"^---(\s|$)")


def _split_documents(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) per YAML document, so one broken document spoils only itself."""
    start = 0
    chunk: list[str] = []
    for number, line in enumerate(text.splitlines(keepends=True)):
        if _DOC_START.match(line):
            # Directives (`%YAML 1.1`) and comments belong to the document this marker starts.
            if chunk and not all(not c.strip() or c.lstrip().startswith(("%", "#")) for c in chunk):
                yield start, "".join(chunk)
                start, chunk = number, [line]
            else:
                chunk.append(line)
        else:
            chunk.append(line)
    if chunk:
        yield start, "".join(chunk)


# Aliases in real manifests repeat small anchors a few times; a document whose aliases multiply it
# past both bounds would exhaust memory when built (a "billion laughs" bomb).
MIN_BOMB_NODES = 1_000_000
ALIAS_GROWTH_LIMIT = 50
MAX_EXPANDED_NODES = 100_000_000


def _expanded_size(root: yaml.Node) -> tuple[int, int]:
    """(nodes once aliases are expanded, distinct nodes), counted without expanding anything
    (each distinct node's size once); the first stops growing past MAX_EXPANDED_NODES."""
    sizes: dict[int, int] = {}
    # Iterative post-order walk: documents may nest deeper than Python's recursion limit.
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes and not children_done:
            continue
        if isinstance(node, yaml.SequenceNode):
            children: list[yaml.Node] = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = []
        if not children_done:
            sizes[key] = 1  # in progress: a recursive alias counts once
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        total = 1 + sum(sizes.get(id(child), 1) for child in children)
        sizes[key] = min(total, MAX_EXPANDED_NODES + 1)
    return sizes[id(root)], len(sizes)


def _item_lines(node: yaml.Node) -> list[int]:
    """Line numbers of the entries of a `kind: List`'s items, for precise problem origins."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if getattr(key, "value", None) == "items" and isinstance(value, yaml.SequenceNode):
                return [item.start_mark.line for item in value.value]
    return []


def parse_yaml_text(text: str, name: str, collector: ObjectCollector) -> None:
    for offset, chunk in _split_documents(text):
        loader = _Loader(chunk)
        try:
            while loader.check_node():
                node = loader.get_node()
                line = offset + node.start_mark.line + 1
                # Only aliases (`*name`) can make a document expand: without a `*` in its text, skip the
                # count (it cost as much as a third of the parse).
                expanded, distinct = _expanded_size(node) if "*" in chunk else (0, 0)
                if expanded > max(MIN_BOMB_NODES, ALIAS_GROWTH_LIMIT * distinct):
                    collector.problems.append(Problem(
                        "error", f"{name}:{line}",
                        f"document skipped: its {distinct:,} nodes expand through aliases to "
                        f"{'more than ' if expanded > MAX_EXPANDED_NODES else ''}{min(expanded, MAX_EXPANDED_NODES):,} "
                        "(a YAML alias bomb?)"))
                    continue
                data = loader.construct_document(node)
                origins = [f"{name}:{offset + item + 1}" for item in _item_lines(node)]
                collector.add(data, f"{name}:{line}", origins, consume=True)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            where = f"{name}:{offset + mark.line + 1}" if mark is not None else name
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            collector.problems.append(Problem("error", where, f"YAML syntax error: {problem}"))
        except RecursionError:
            collector.problems.append(Problem("error", f"{name}:{offset + 1}", "document nested too deeply to read"))
        finally:
            loader.dispose()


def parse_json_text(text: str, name: str, collector: ObjectCollector) -> None:
    _add_json(lambda: json.loads(text), name, collector)


def _parse_json_file(file: Path, collector: ObjectCollector) -> None:
    """A JSON file; a list (`kubectl get -o json`) is read one item at a time (see json_stream), so
    the decoded text never exists in full beside the model built from it."""
    name = str(file)
    header = ListHeader()
    pending: list[tuple[int, Any]] = []  # items without a kind, while the list's kind is not yet known
    try:
        with file.open(encoding="utf-8") as handle:
            for line, item in read_items(handle, header):
                list_kind = header.fields.get("kind")
                if isinstance(item, dict) and "kind" not in item and not isinstance(list_kind, str):
                    pending.append((line, item))
                    continue
                collector.add_list_item(item, f"{name}:{line}", list_kind if isinstance(list_kind, str) else None, True)
    except NotAList as exc:
        if exc.document is not None:
            collector.add(exc.document, name, consume=True, string_keys=True)
            return
        _add_json(lambda: _load_whole(file), name, collector)
        return
    except json.JSONDecodeError as exc:
        collector.problems.append(Problem("error", f"{name}:{exc.lineno}", f"JSON syntax error: {exc.msg}"))
    except RecursionError:
        collector.problems.append(Problem("error", name, "JSON nested too deeply to read"))
    except (OSError, UnicodeDecodeError) as exc:
        collector.problems.append(Problem("error", name, f"cannot read: {exc}"))
    list_kind = header.fields.get("kind")
    for line, item in pending:
        collector.add_list_item(item, f"{name}:{line}", list_kind if isinstance(list_kind, str) else None, True)


def _load_whole(file: Path) -> Any:
    with file.open(encoding="utf-8-sig") as handle:  # -sig: a BOM some editors write
        return json.load(handle)


def _add_json(decode: Callable[[], Any], name: str, collector: ObjectCollector) -> None:
    try:
        data = decode()
    except json.JSONDecodeError as exc:
        collector.problems.append(Problem("error", f"{name}:{exc.lineno}", f"JSON syntax error: {exc.msg} (column {exc.colno})"))
        return
    except RecursionError:
        collector.problems.append(Problem("error", name, "JSON nested too deeply to read"))
        return
    except (OSError, UnicodeDecodeError) as exc:
        collector.problems.append(Problem("error", name, f"cannot read: {exc}"))
        return
    collector.add(data, name, consume=True, string_keys=True)


def parse_text(text: str, name: str, collector: ObjectCollector) -> None:
    """JSON when it looks like JSON (much faster), else YAML, which also reads JSON."""
    if text.lstrip().startswith(("{", "[")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            pass
        except RecursionError:
            collector.problems.append(Problem("error", name, "JSON nested too deeply to read"))
            return
        else:
            collector.add(data, name, consume=True, string_keys=True)
            return
    parse_yaml_text(text, name, collector)


def _manifest_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in MANIFEST_SUFFIXES)
    return [path]


def read_paths(paths: Sequence[str], collector: ObjectCollector, stdin_text: Callable[[], str] | None = None) -> None:
    """Load each path into `collector`. Missing paths raise SourceError (unusable input); a bad
    file is a problem and the others still load."""
    with gc_paused():
        _read_paths(paths, collector, stdin_text)


def _read_paths(paths: Sequence[str], collector: ObjectCollector, stdin_text: Callable[[], str] | None) -> None:
    for raw in paths:
        if raw == "-":
            text = stdin_text() if stdin_text else sys.stdin.read()
            parse_text(text, "stdin", collector)
            continue
        path = Path(raw)
        if not path.exists():
            raise SourceError(f"{raw}: no such file or directory")
        files = _manifest_files(path)
        if path.is_dir() and not files:
            collector.problems.append(Problem("warning", raw, "directory has no .yaml, .yml or .json files"))
        for file in files:
            if file.suffix.lower() == ".json":
                _parse_json_file(file, collector)
                continue
            try:
                text = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                collector.problems.append(Problem("error", str(file), f"cannot read: {exc}"))
                continue
            parse_text(text, str(file), collector)


class FileSource:
    """Manifests read once; they never change, so `watch` has nothing to push."""

    def __init__(self, paths: Sequence[str], stdin_text: Callable[[], str] | None = None) -> None:
        self.paths = list(paths)
        self._stdin_text = stdin_text
        self._stdin_cache: str | None = None

    def _stdin(self) -> str:
        # stdin can be read once only; a refresh must see the same text.
        if self._stdin_cache is None:
            self._stdin_cache = self._stdin_text() if self._stdin_text else sys.stdin.read()
        return self._stdin_cache

    def load(self) -> Snapshot:
        collector = ObjectCollector()
        read_paths(self.paths, collector, self._stdin)
        label = ", ".join(self.paths) if len(self.paths) <= 2 else f"{len(self.paths)} paths"
        # A cluster dump (e.g. `kubenet-tui snapshot`) carries the network plugin's pods: same caveats as live.
        collector.plugin = detect_cni(collector.pods.values(), nodes=collector.nodes.values()).plugin(
            quiet_without_system_pods=True, policies_of=Profile.CALICO if collector.calico_policies_read else None)
        return Snapshot.from_collector(collector, DataState.OFFLINE, f"files: {label}")

    def watch(self, on_snapshot: Callable[[Snapshot], None], stop: Event) -> None:
        return None
