"""Reading ORM rows into the domain's plain dataclasses."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")


def from_row(cls: type[T], row: object, **values: Any) -> T:
    """A `cls` (a dataclass) whose fields are `row`'s attributes of the same name, except
    those given in `values` (renamed or derived ones); no other attribute of `row` is read."""
    named = {
        f.name: getattr(row, f.name)
        for f in fields(cls)  # type: ignore[arg-type]
        if f.init and f.name not in values
    }
    return cls(**named, **values)
