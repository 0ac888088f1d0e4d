"""A cohort's first week as `/nexus cohort show` and `preview` display it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.first_week import CohortMember


@dataclass(frozen=True)
class ReminderView:
    id: int
    step_key: str
    audience: str
    due_at: datetime  # UTC
    local: datetime  # in the cohort's time zone
    status: str
    note: str | None
    sent: int = 0
    failed: int = 0
    waiting: int = 0  # pending or claimed
    by_dm: int = 0


@dataclass(frozen=True)
class CohortOverview:
    id: int
    start_date: date
    timezone: str
    status: str
    reminders: tuple[ReminderView, ...]
    replaced: int = 0  # cohorts this start replaced


@dataclass(frozen=True)
class StepPreview:
    reminder: ReminderView
    channel: tuple[CohortMember, ...]
    dm: tuple[CohortMember, ...]
    opted_out: int
    target_channel_id: int
