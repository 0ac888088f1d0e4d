"""Reading ORM rows into the domain's plain dataclasses."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any, Protocol, TypeVar

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


class LearnerFields(Protocol):
    """A learner as the services read one: a `Learner` row, or a Core row with the same
    column names (the hot reads of `bot.db.reads`, which make no ORM objects)."""

    id: int
    guild_id: int
    user_id: int
    display_name: str
    project_id: int | None
    role: str | None
    timezone: str | None
    summary: str | None
    repo: str | None
    announced_at: datetime | None
    waiting_since: datetime | None
    partner_left_at: datetime | None
    active: bool
