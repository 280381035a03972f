"""Hostile or broken input is reported, never a traceback, a hang or an exhausted memory."""

from __future__ import annotations

import pytest

from kubenet_tui.cli import main
from kubenet_tui.sources.files import parse_text, parse_yaml_text
from kubenet_tui.sources.parse import ObjectCollector

POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x}\nstatus: {podIP: 10.0.0.1}\n"


def alias_bomb(levels: int) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "kind: ConfigMap\n" + "\n".join(lines) + "\n"


def test_an_alias_bomb_is_skipped_and_the_next_document_loads() -> None:
    # GIVEN a "billion laughs" document (10^9 strings once expanded) followed by a pod
    collector = ObjectCollector()
    parse_yaml_text(alias_bomb(9) + "---\n" + POD, "bomb.yaml", collector)
    # THEN the bomb is one error naming its line, and the pod still loads
    assert [p.severity for p in collector.problems] == ["error"]
    assert "alias bomb" in collector.problems[0].message and collector.problems[0].origin == "bomb.yaml:1"
    assert list(collector.pods) == ["x/a"]


def test_ordinary_anchors_and_aliases_still_load() -> None:
    collector = ObjectCollector()
    parse_yaml_text("kind: List\nitems:\n- &p {kind: Pod, metadata: {name: a, namespace: x}, "
                    "status: {podIP: 10.0.0.1}}\n- {kind: Pod, metadata: {name: b, namespace: x, labels: {app: b}}}\n",
                    "ok.yaml", collector)
    assert not collector.problems and sorted(collector.pods) == ["x/a", "x/b"]


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000])
def test_json_nested_beyond_the_recursion_limit_is_a_problem(text: str) -> None:
    collector = ObjectCollector()
    parse_text(text, "deep.json", collector)
    assert [p.message for p in collector.problems] == ["JSON nested too deeply to read"]


def test_deep_json_file_exits_2_with_one_line(tmp_path: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / "deep.json"  # type: ignore[operator]
    deep.write_text("[" * 100_000 + "]" * 100_000)
    assert main(["check", "x/a", "x/b", "-f", str(deep)]) == 2
    err = capsys.readouterr().err
    assert "nested too deeply" in err and "Traceback" not in err


def test_label_values_that_are_not_strings_are_invalid_not_rewritten() -> None:
    # `1.10` unquoted is a float: converting it would give "1.1" and silently change what matches
    collector = ObjectCollector()
    parse_yaml_text("kind: Pod\nmetadata: {name: a, namespace: x, labels: {release: 1.10}}\n", "p.yaml", collector)
    assert [p.severity for p in collector.problems] == ["error"]
    assert "release" in collector.problems[0].message and "quote" in collector.problems[0].message
    assert not collector.pods
