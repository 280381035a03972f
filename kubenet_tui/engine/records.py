"""`record`: the project's value objects — frozen dataclasses to the type checker, cheap ones at run time.

A `@dataclass(frozen=True, slots=True)` costs twice over on Python 3.11:
- at import, dataclasses compiles five or six functions per class, one `exec` each: with about 130 such
  classes on the path of a single `check`, that was 40% of the command's time in the interpreter;
- at run time, a frozen instance sets each field through `object.__setattr__`, about five times the cost
  of a plain assignment, on objects made by the hundred thousand (pods at load, checks per verdict).

So a record is a slotted dataclass whose `__init__` alone is generated, when the class is first
instantiated (most of the classes a command imports it never makes); equality, hashing and repr are
shared functions over the fields dataclasses worked out (its `fields()`, `replace()` and `asdict()`
still work). mypy treats records as frozen (`dataclass_transform`) and refuses any assignment to their
fields; nothing enforces that at run time, as nothing in a typed codebase needs it to.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform, overload

_T = TypeVar("_T")


def _values(names: tuple[str, ...]) -> Callable[[Any], Any]:
    if not names:
        return lambda _: ()
    if len(names) == 1:
        name = names[0]
        return lambda obj: (getattr(obj, name),)
    return attrgetter(*names)


_FACTORY = object()  # the default of a parameter whose field has a default_factory: "not given"


def _init_source(cls: type[Any]) -> tuple[str, dict[str, Any]]:
    """The `__init__` dataclasses would write for a non-frozen class: parameters in field order, a
    default_factory called when its parameter is not given, `__post_init__` last."""
    names: dict[str, Any] = {"_FACTORY": _FACTORY}
    params: list[str] = []
    body: list[str] = []
    for f in dataclasses.fields(cls):
        default, factory = f.default, f.default_factory
        if factory is not dataclasses.MISSING:
            names[f"_factory_{f.name}"] = factory
        if default is not dataclasses.MISSING:
            names[f"_default_{f.name}"] = default
        if f.init:
            if factory is not dataclasses.MISSING:
                params.append(f"{f.name}=_FACTORY")
                body.append(f"self.{f.name} = _factory_{f.name}() if {f.name} is _FACTORY else {f.name}")
            else:
                params.append(f.name if default is dataclasses.MISSING else f"{f.name}=_default_{f.name}")
                body.append(f"self.{f.name} = {f.name}")
        elif factory is not dataclasses.MISSING:
            body.append(f"self.{f.name} = _factory_{f.name}()")
        elif default is not dataclasses.MISSING:
            body.append(f"self.{f.name} = _default_{f.name}")
    if hasattr(cls, "__post_init__"):
        body.append("self.__post_init__()")
    source = f"def __init__({', '.join(['self', *params])}):\n    " + "\n    ".join(body or ["pass"]) + "\n"
    return source, names


def _add_lazy_init(cls: type[Any]) -> None:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        source, names = _init_source(cls)
        exec(source, names)  # our own generated source, as dataclasses does
        made = names["__init__"]
        made.__qualname__ = f"{cls.__qualname__}.__init__"
        setattr(cls, "__init__", made)  # noqa: B010 (from now on the class's own)
        made(self, *args, **kwargs)

    setattr(cls, "__init__", __init__)  # noqa: B010


def _add_value_methods(cls: type[Any], eq: bool) -> None:
    own = cls.__dict__
    fields = dataclasses.fields(cls)
    if "__repr__" not in own:
        shown = tuple(f.name for f in fields if f.repr)

        def __repr__(self: Any) -> str:
            inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
            return f"{type(self).__qualname__}({inner})"

        setattr(cls, "__repr__", __repr__)  # noqa: B010 (a method of a class made at run time)
    if not eq:
        return
    if "__eq__" not in own:
        compared = _values(tuple(f.name for f in fields if f.compare))

        def __eq__(self: Any, other: object) -> bool:
            if other.__class__ is self.__class__:
                return bool(compared(self) == compared(other))
            return NotImplemented

        setattr(cls, "__eq__", __eq__)  # noqa: B010
    # As dataclasses does for frozen classes: a `__hash__` written in the class body is kept (an `__eq__`
    # written there leaves `__hash__` None in the body: that is not one).
    body_hash = own.get("__hash__", dataclasses.MISSING)
    if body_hash is dataclasses.MISSING or (body_hash is None and "__eq__" in own):
        hashed = _values(tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash)))

        def __hash__(self: Any) -> int:
            return hash(hashed(self))

        setattr(cls, "__hash__", __hash__)  # noqa: B010


@overload
def record(cls: type[_T], /) -> type[_T]: ...


@overload
def record(*, eq: bool = True, slots: bool = True) -> Callable[[type[_T]], type[_T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: type[_T] | None = None, /, *, eq: bool = True,
           slots: bool = True) -> type[_T] | Callable[[type[_T]], type[_T]]:
    """`@record` for a value (equal and hashed by its fields), `@record(eq=False)` for an identity;
    `slots=False` for a class that caches what it works out in its `__dict__` (cached_property)."""

    def make(cls: type[_T]) -> type[_T]:
        made: type[_T] = dataclasses.dataclass(slots=slots, init=False, repr=False, eq=False)(cls)
        if "__init__" not in cls.__dict__:
            _add_lazy_init(made)
        _add_value_methods(made, eq)
        return made

    return make if cls is None else make(cls)
