"""The repeating timer every background sweep runs on (check-ins, reminders, the matching
queue): one run at a time, late runs merged into one and never dropped, and a stop that cuts a
run short is no error (what it did not finish is resumed by the next start)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CheckIn, GuildConfig, Reminder
from bot.domain.statuses import StepStatus

log = logging.getLogger(__name__)

Scheduled = TypeVar("Scheduled", CheckIn, Reminder)


class SweepTimer:
    """Calls `run` every `seconds` on `scheduler` under the job id `job_id` once started."""

    def __init__(
        self,
        scheduler: AsyncIOScheduler,
        job_id: str,
        seconds: float,
        run: Callable[[], Awaitable[None]],
    ) -> None:
        self._scheduler = scheduler
        self.job_id = job_id
        self.seconds = seconds
        self._run = run

    @property
    def running(self) -> bool:
        return self._scheduler.get_job(self.job_id) is not None

    def start(self) -> None:
        self._scheduler.add_job(
            self._tick,
            "interval",
            seconds=self.seconds,
            id=self.job_id,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )

    def stop(self) -> None:
        if self.running:
            self._scheduler.remove_job(self.job_id)

    async def _tick(self) -> None:
        # APScheduler would log the cancellation of a run cut short by a shutdown as an error.
        try:
            await self._run()
        except asyncio.CancelledError:
            log.debug("%s cut short by the stop", self.job_id)


async def due_rows(
    session: AsyncSession, model: type[Scheduled], until: datetime
) -> Sequence[tuple[Scheduled, int | None]]:
    """What a sweep picks up, oldest first: every row still `sending` (a crash interrupted it)
    and every `scheduled` one due by `until`, each with its server's grace hours (None when
    the server is no longer configured)."""
    rows: Any = await session.execute(
        select(model, GuildConfig.reminder_grace_hours)
        .outerjoin(GuildConfig, GuildConfig.guild_id == model.guild_id)
        .where(
            (model.status == StepStatus.SENDING)
            | ((model.status == StepStatus.SCHEDULED) & (model.due_at <= until))
        )
        .order_by(model.due_at, model.id)
    )
    return [(row, grace_hours) for row, grace_hours in rows]
