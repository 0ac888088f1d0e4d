"""Builds every service once, with its dependencies injected; cogs receive what they need."""

from __future__ import annotations

from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock
from bot.db.engine import Sessions
from bot.services.guilds import GuildService
from bot.services.learners import LearnerService
from bot.services.matching import MatchingService
from bot.settings import Settings


@dataclass
class Services:
    settings: Settings
    sessions: Sessions
    clock: Clock
    scheduler: AsyncIOScheduler
    guilds: GuildService
    learners: LearnerService
    matching: MatchingService


def build_services(
    settings: Settings, sessions: Sessions, clock: Clock, scheduler: AsyncIOScheduler
) -> Services:
    guilds = GuildService(sessions, clock)
    learners = LearnerService(sessions, clock)
    return Services(
        settings=settings,
        sessions=sessions,
        clock=clock,
        scheduler=scheduler,
        guilds=guilds,
        learners=learners,
        matching=MatchingService(sessions, clock),
    )
