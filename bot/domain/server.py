"""A server's Nexus settings as `/nexus setup`, `/nexus settings` and `/nexus show` display them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.statuses import CohortStatus


@dataclass(frozen=True)
class ServerSettings:
    guild_id: int
    channel_id: int
    mod_log_channel_id: int | None
    backend_role_id: int | None
    frontend_role_id: int | None
    learner_role_id: int | None
    moderator_role_id: int | None
    timezone: str
    allow_custom_projects: bool
    max_partners: int
    request_expiry_hours: int
    reminder_grace_hours: int
    checkin_hours: int = 48  # 0: no check-ins


@dataclass(frozen=True)
class CohortState:
    """The latest cohort in a sentence: when it starts, how far its plan got, what is next."""

    start_date: date
    timezone: str
    status: str  # active | cancelled | replaced
    done: int  # steps sent, sent late or skipped
    total: int
    next_step: str | None = None
    next_due: datetime | None = None  # UTC


@dataclass(frozen=True)
class ServerOverview:
    """What `/nexus show` reports besides the settings."""

    settings: ServerSettings
    projects: int
    announced: int
    paired: int
    cohort: CohortState | None


def next_steps(overview: ServerOverview, problems: Sequence[str]) -> list[str]:
    """What a moderator should do next, most urgent first."""
    settings = overview.settings
    steps: list[str] = []
    if problems:
        steps.append("Fix what **Health** lists: learners will hit it otherwise.")
    if settings.mod_log_channel_id is None:
        steps.append(
            "Set a mod-log (`/nexus setup` with `mod_log`): the audit trail, check-in alerts "
            "and the day-7 summary go there."
        )
    if settings.learner_role_id is None:
        steps.append(
            "Set the learner role (`/nexus setup` with `learner_role`) so first-week reminders "
            "reach the whole cohort; today they reach only people who used Nexus."
        )
    if settings.backend_role_id is None or settings.frontend_role_id is None:
        steps.append("Optional: set backend and frontend roles so learners get their track's role.")
    if overview.projects == 0:
        steps.append("Add the cohort's projects with `/nexus projects add`.")
    cohort = overview.cohort
    if cohort is None or cohort.status != CohortStatus.ACTIVE or cohort.next_step is None:
        steps.append("Schedule the first week: `/nexus cohort start date:YYYY-MM-DD`.")
    else:
        steps.append("See who the next reminder reaches: `/nexus cohort preview`.")
    alone = overview.announced - overview.paired
    if alone > 0:
        steps.append(
            f"{alone} announced learner{'s' if alone != 1 else ''} without a partner: "
            "`/nexus stats`, or pair by hand with `/nexus pair`."
        )
    return steps
