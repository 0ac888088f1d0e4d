"""Builds every service once, with its dependencies injected; cogs receive what they need."""

from __future__ import annotations

from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock
from bot.db.engine import Sessions
from bot.services.cohort_members import CohortRoster, SimpleSuggestions
from bot.services.cohorts import CohortService
from bot.services.guilds import GuildService
from bot.services.learners import LearnerService
from bot.services.reminders import ReminderEngine
from bot.settings import Settings


@dataclass
class Services:
    settings: Settings
    sessions: Sessions
    clock: Clock
    scheduler: AsyncIOScheduler
    guilds: GuildService
    learners: LearnerService
    reminders: ReminderEngine
    cohorts: CohortService


def build_services(
    settings: Settings, sessions: Sessions, clock: Clock, scheduler: AsyncIOScheduler
) -> Services:
    guilds = GuildService(sessions, clock)
    learners = LearnerService(sessions, clock)
    roster = CohortRoster()
    reminders = ReminderEngine(
        sessions,
        clock,
        scheduler,
        roster,
        SimpleSuggestions(sessions),
        sweep_seconds=settings.reminder_sweep_seconds,
    )
    cohorts = CohortService(sessions, clock, reminders, roster, settings.first_week_plan)
    return Services(
        settings=settings,
        sessions=sessions,
        clock=clock,
        scheduler=scheduler,
        guilds=guilds,
        learners=learners,
        reminders=reminders,
        cohorts=cohorts,
    )
