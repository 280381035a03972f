"""JSON lists read one item at a time: the same objects as a whole-file decode, whatever the chunking."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from kubenet_tui.sources import json_stream
from kubenet_tui.sources.files import FileSource
from kubenet_tui.sources.json_stream import ListHeader, NotAList, read_items


def pod(name: str, ns: str = "shop", kind: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {"metadata": {"name": name, "namespace": ns, "labels": {"app": name, "text": "a \"quoted\" }"}},
                            "status": {"podIP": "10.0.0.1", "phase": "Running"}}
    return {"apiVersion": "v1", "kind": "Pod", **body} if kind else body


@pytest.fixture(params=[7, 64, 1 << 20], ids=["chunk-7", "chunk-64", "chunk-1M"])
def chunk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    # Tiny chunks cut values anywhere: inside strings, numbers, keys, between items.
    monkeypatch.setattr(json_stream, "CHUNK", request.param)
    return int(request.param)


@pytest.mark.parametrize("indent", [None, 1, 4])
def test_every_item_comes_out_as_json_load_would_give_it(chunk: int, indent: int | None) -> None:
    items = [pod(f"p{i}") for i in range(40)]
    text = json.dumps({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}},
                      indent=indent)
    header = ListHeader()
    got = [item for _, item in read_items(io.StringIO(text), header)]
    assert got == items
    assert header.fields == {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}}


def test_lines_point_at_each_item(chunk: int) -> None:
    text = json.dumps({"kind": "List", "items": [pod("a"), pod("b")]}, indent=1)
    lines = [line for line, _ in read_items(io.StringIO(text), ListHeader())]
    assert [text.splitlines()[n - 1].strip() for n in lines] == ["{", "{"]
    assert lines[0] == 4


def test_a_syntax_error_names_its_line(chunk: int) -> None:
    text = json.dumps({"kind": "List", "items": [pod("a"), pod("b")]}, indent=1).replace('"b"', '"b" oops', 1)
    bad_line = next(n for n, line in enumerate(text.splitlines(), 1) if "oops" in line)
    with pytest.raises(json.JSONDecodeError) as err:
        list(read_items(io.StringIO(text), ListHeader()))
    assert err.value.lineno == bad_line


@pytest.mark.parametrize("text", ["[1, 2]", '"just a string"', "  \n 42"])
def test_other_shapes_are_decoded_whole(text: str) -> None:
    with pytest.raises(NotAList) as err:
        list(read_items(io.StringIO(text), ListHeader()))
    assert err.value.document is None


def test_an_object_without_items_comes_back_whole() -> None:
    with pytest.raises(NotAList) as err:
        list(read_items(io.StringIO(json.dumps(pod("x"))), ListHeader()))
    assert err.value.document == pod("x")


def write(tmp_path: Path, data: Any, prefix: str = "") -> str:
    path = tmp_path / "list.json"
    path.write_text(prefix + json.dumps(data, indent=1), encoding="utf-8")
    return str(path)


def test_a_typed_list_names_its_items_kind_even_after_them(tmp_path: Path, chunk: int) -> None:
    # The API's PodList puts kind first, kubectl's sorted output puts it after items: both work.
    for data in ({"kind": "PodList", "apiVersion": "v1", "items": [pod("a", kind=False)]},
                 {"apiVersion": "v1", "items": [pod("a", kind=False)], "kind": "PodList"}):
        snapshot = FileSource([write(tmp_path, data)]).load()
        assert [p.key for p in snapshot.cluster.pods] == ["shop/a"], snapshot.problems


def test_files_keep_reporting_and_loading_the_rest(tmp_path: Path) -> None:
    bad = {"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": "shop"}}  # no name
    snapshot = FileSource([write(tmp_path, {"kind": "List", "items": [pod("a"), bad, pod("b")]}, "\ufeff")]).load()
    assert [p.key for p in snapshot.cluster.pods] == ["shop/a", "shop/b"]
    (problem,) = snapshot.problems
    assert problem.origin.endswith(":20") and "name" in problem.message  # the line of its opening brace


@pytest.mark.parametrize("text", [
    '{"kind": "List", "items": [ ], "metadata": {}}',
    '{"items":[],"kind":"List"}',
    '{"items" :\n[\n]\n,\n"kind" : "List"\n}\n',
])
def test_an_empty_items_array_in_any_spacing(chunk: int, text: str) -> None:
    header = ListHeader()
    assert list(read_items(io.StringIO(text), header)) == []
    assert header.fields["kind"] == "List"


def test_items_before_other_keys_and_odd_spacing_between_items(chunk: int) -> None:
    items = [pod("a"), pod("b"), pod("c")]
    text = ('{"items" : [' + json.dumps(items[0]) + "\n ,\n\t" + json.dumps(items[1]) + "," + json.dumps(items[2])
            + ' \n] , "kind":"List", "apiVersion": "v1"}')
    header = ListHeader()
    assert [item for _, item in read_items(io.StringIO(text), header)] == items
    assert header.fields == {"kind": "List", "apiVersion": "v1"}


@pytest.mark.parametrize(("tail", "message"), [
    (' "oops"]}', "Expecting ',' delimiter"),  # two items without a comma
    (",]}", "Expecting value"),  # a trailing comma
    ("", "Expecting ',' delimiter"),  # the text ends inside the array
])
def test_broken_separators_name_their_line(chunk: int, tail: str, message: str) -> None:
    text = '{"kind": "List", "items": [\n' + json.dumps(pod("a")) + "\n" + tail
    with pytest.raises(json.JSONDecodeError) as err:
        list(read_items(io.StringIO(text), ListHeader()))
    assert err.value.msg == message
    assert err.value.lineno >= 2
