"""Builds every service once, with its dependencies injected; cogs receive what they need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock
from bot.db.engine import Sessions
from bot.db.models import Delivery, Pairing
from bot.services.catalog import CatalogService
from bot.services.claims import Claims
from bot.services.cohort_members import CohortRoster
from bot.services.cohorts import CohortService
from bot.services.guilds import GuildService
from bot.services.knowledge import KnowledgeService
from bot.services.learners import LearnerService
from bot.services.matching import MatchingService, RankedSuggestions
from bot.services.outbox import OutboxService
from bot.services.reminders import ReminderEngine
from bot.services.stats import StatsService
from bot.settings import DEFAULT_DATA_DIR, Settings


@dataclass
class Services:
    settings: Settings
    sessions: Sessions
    clock: Clock
    scheduler: AsyncIOScheduler
    claims: Claims
    guilds: GuildService
    catalog: CatalogService
    learners: LearnerService
    matching: MatchingService
    knowledge: KnowledgeService
    stats: StatsService
    reminders: ReminderEngine
    cohorts: CohortService
    outbox: OutboxService


def data_path(settings: Settings, name: str) -> Path:
    """`name` (the catalog, the first-week plan, the learnings folder) from the operator's data
    directory (`NEXUS_DATA_DIR`) when it has one, else the shipped one."""
    own = settings.data_dir / name
    return own if own.exists() else DEFAULT_DATA_DIR / name


def build_services(
    settings: Settings, sessions: Sessions, clock: Clock, scheduler: AsyncIOScheduler
) -> Services:
    claims = Claims(
        sessions,
        postgres=not settings.is_sqlite,
        lease=timedelta(seconds=settings.claim_lease_seconds),
    )
    claims.register(Delivery, Pairing)
    guilds = GuildService(sessions, clock)
    catalog = CatalogService(sessions, clock, data_path(settings, "catalog.yaml"))
    guilds.add_setup_hook(catalog.seed_on_setup)
    learners = LearnerService(sessions, clock, catalog)
    matching = MatchingService(sessions, clock, catalog, claims)
    roster = CohortRoster()
    reminders = ReminderEngine(
        sessions,
        clock,
        scheduler,
        roster,
        RankedSuggestions(matching),
        claims,
        sweep_seconds=settings.reminder_sweep_seconds,
        serves=settings.shards.serves,
    )
    return Services(
        settings=settings,
        sessions=sessions,
        clock=clock,
        scheduler=scheduler,
        claims=claims,
        guilds=guilds,
        catalog=catalog,
        learners=learners,
        matching=matching,
        knowledge=KnowledgeService(sessions, clock, data_path(settings, "learnings")),
        stats=StatsService(sessions, clock),
        reminders=reminders,
        cohorts=CohortService(
            sessions, clock, reminders, roster, data_path(settings, "first_week.yaml")
        ),
        outbox=OutboxService(
            sessions, first_retry=timedelta(seconds=settings.outbox_retry_seconds)
        ),
    )
