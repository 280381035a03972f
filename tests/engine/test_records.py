"""`record` keeps what `@dataclass(frozen=True, slots=True)` gave the value objects, without its cost:
equality and hashing by the compared fields, repr, slots, and dataclasses' own helpers."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import field
from typing import Any

import pytest

from kubenet_tui.engine.records import record


@record
class Port:
    number: int
    name: str = ""
    note: str = field(default="", compare=False)
    tags: tuple[str, ...] = field(default=(), hash=False)


@record
class Named(Port):
    owner: str = "x"


@record(eq=False)
class Handle:
    value: int


@record
class Custom:
    value: int

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Custom) and self.value % 10 == other.value % 10

    def __hash__(self) -> int:
        return self.value % 10


@record
class Empty:
    pass


@record
class One:
    only: int


@pytest.mark.parametrize(("a", "b", "equal"), [
    (Port(80), Port(80), True),
    (Port(80, "http"), Port(80, "web"), False),
    (Port(80, note="a"), Port(80, note="b"), True),  # compare=False
    (Port(80, tags=("a",)), Port(80, tags=("b",)), False),  # hash=False still compares
    (Port(80), Named(80), False),  # another class is never equal, as dataclasses have it
    (One(1), One(1), True),
    (One(1), One(2), False),
    (Empty(), Empty(), True),
    (Custom(3), Custom(13), True),  # a class's own __eq__ and __hash__ are kept
])
def test_equality_and_hash_follow_the_compared_fields(a: object, b: object, equal: bool) -> None:
    assert (a == b) is equal
    if equal:
        assert hash(a) == hash(b)


def test_hash_ignores_fields_excluded_from_it() -> None:
    assert hash(Port(80, tags=("a",))) == hash(Port(80, tags=("b",)))
    assert len({Port(80), Port(80), Port(81)}) == 2


def test_identity_records_compare_and_hash_by_identity() -> None:
    a, b = Handle(1), Handle(1)
    assert a != b and a == a and len({a, b}) == 2


def test_repr_names_the_shown_fields_and_the_class() -> None:
    assert repr(Port(80, "http")) == "Port(number=80, name='http', note='', tags=())"
    assert repr(Named(1)) == "Named(number=1, name='', note='', tags=(), owner='x')"
    assert repr(Empty()) == "Empty()"


def test_dataclass_helpers_slots_copy_and_pickle_still_work() -> None:
    port = Named(80, "http", owner="web")
    assert [f.name for f in dataclasses.fields(port)] == ["number", "name", "note", "tags", "owner"]
    assert dataclasses.replace(port, number=81) == Named(81, "http", owner="web")
    assert dataclasses.asdict(port)["owner"] == "web"
    assert not hasattr(port, "__dict__")  # slotted
    assert copy.deepcopy(port) == port
    assert pickle.loads(pickle.dumps(port)) == port
    with pytest.raises(TypeError):
        Port()  # type: ignore[call-arg]  # the generated __init__ still requires its fields


@record
class Built:
    name: str
    items: list[str] = field(default_factory=list)
    size: int = 0
    shown: str = field(default="", init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "shown", f"{self.name}:{self.size}")


@pytest.mark.parametrize(("made", "expected"), [
    (lambda: Built("a"), ("a", [], 0, "a:0")),
    (lambda: Built("a", ["x"], 2), ("a", ["x"], 2, "a:2")),
    (lambda: Built(name="b", size=3), ("b", [], 3, "b:3")),
])
def test_the_generated_init_fills_defaults_factories_and_runs_post_init(made: Any, expected: tuple[Any, ...]) -> None:
    built = made()
    assert (built.name, built.items, built.size, built.shown) == expected


def test_each_instance_gets_its_own_factory_value_and_wrong_calls_still_fail() -> None:
    first, second = Built("a"), Built("b")
    first.items.append("x")
    assert second.items == []
    with pytest.raises(TypeError):
        Built("a", shown="x")  # type: ignore[call-arg]  # not a parameter: init=False
    with pytest.raises(TypeError):
        Built()  # type: ignore[call-arg]
