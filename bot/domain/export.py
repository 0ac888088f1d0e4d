"""CSV exports for moderators, safe to open in a spreadsheet.

A cell a learner controls (a display name, a summary) that starts with `=`, `+`, `-` or `@`
(or a tab / carriage return) would be run as a formula by Excel or Sheets; such cells get a
leading apostrophe, which spreadsheets show as plain text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

LEARNER_COLUMNS = (
    "user_id",
    "display_name",
    "project",
    "role",
    "summary",
    "repo",
    "timezone",
    "announced_at",
    "active",
    "reminders",
    "waiting_since",
)
PAIRING_COLUMNS = (
    "pairing_id",
    "backend_user_id",
    "backend_name",
    "frontend_user_id",
    "frontend_name",
    "project",
    "created_at",
    "ended_at",
    "end_reason",
    "checkin",
)

Cell = str | int | bool | datetime | None


@dataclass(frozen=True)
class LearnerRow:
    user_id: int
    display_name: str
    project: str | None
    role: str | None
    summary: str | None
    repo: str | None
    timezone: str | None
    announced_at: datetime | None
    active: bool
    reminders: str
    waiting_since: datetime | None


@dataclass(frozen=True)
class PairingRow:
    pairing_id: int
    backend_user_id: int
    backend_name: str
    frontend_user_id: int
    frontend_name: str
    project: str | None
    created_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    checkin: str = ""  # what became of its check-in: met, stuck, new_partner, sent, skipped…


def safe_cell(value: Cell) -> str:
    """One CSV cell as text: ISO times, true/false, empty for None, formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(columns: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return buffer.getvalue()


def learners_csv(rows: Iterable[LearnerRow]) -> str:
    return to_csv(
        LEARNER_COLUMNS, ([getattr(row, column) for column in LEARNER_COLUMNS] for row in rows)
    )


def pairings_csv(rows: Iterable[PairingRow]) -> str:
    return to_csv(
        PAIRING_COLUMNS, ([getattr(row, column) for column in PAIRING_COLUMNS] for row in rows)
    )
