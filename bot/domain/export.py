"""CSV exports for moderators, safe to open in a spreadsheet.

A cell a learner controls (a display name, a summary) that starts with `=`, `+`, `-` or `@`
(or a tab / carriage return) would be run as a formula by Excel or Sheets; such cells get a
leading apostrophe, which spreadsheets show as plain text.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.audit import AuditRecord

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
    "pairing_status",
    "partners",
    "checkin",
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
)

AUDIT_COLUMNS = ("at", "moderator_id", "moderator", "action", "old", "new")

PAIRED = "paired"
WAITING = "waiting, looked for a partner"
NOT_LOOKING = "announced, hasn't looked yet"
NOT_ANNOUNCED = "not announced"
LEFT = "left the server"
CHECKIN_NOT_TRACKED = "not tracked yet"

Cell = str | int | bool | datetime | tuple[str, ...] | None


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
    partners: tuple[str, ...] = ()  # display names of current partners
    checkin: str = ""  # the pair's check-in outcome; empty when not paired

    @property
    def pairing_status(self) -> str:
        return pairing_status(
            active=self.active,
            announced=self.announced_at is not None,
            paired=bool(self.partners),
            waiting_since=self.waiting_since,
        )


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


def pairing_status(
    *, active: bool, announced: bool, paired: bool, waiting_since: datetime | None
) -> str:
    """Where a learner stands, in words a moderator uses."""
    if not active:
        return LEFT
    if paired:
        return PAIRED
    if not announced:
        return NOT_ANNOUNCED
    return WAITING if waiting_since is not None else NOT_LOOKING


def file_slug(name: str, fallback: str = "server") -> str:
    """A server's name as part of a file name: ASCII, lowercase, dashes (“ALX ProDev” →
    alx-prodev)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].strip("-")
    return slug or fallback


def export_name(kind: str, server: str, day: date, extension: str = "csv") -> str:
    """e.g. learners-alx-prodev-2026-11-02.csv"""
    return f"{kind}-{file_slug(server)}-{day.isoformat()}.{extension}"


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
    if isinstance(value, tuple):
        value = "; ".join(value)
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


def audit_csv(records: Iterable[AuditRecord]) -> str:
    return to_csv(
        AUDIT_COLUMNS,
        ([r.at, r.actor_id, r.actor_name, r.action, r.old, r.new] for r in records),
    )
