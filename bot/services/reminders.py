"""First-week reminders over time: the database is the truth, APScheduler only wakes us up.

Life of a reminder: `scheduled` → (due) `sending` → `sent`, or `late` when it started more than
`LATE_AFTER` behind its time (the bot was down); `skipped` when the bot comes back after the
grace period (reported to the mod-log, never silently dropped); `cancelled` by
`/nexus cohort cancel` or a restarted plan.

How each step is delivered at most once, and completely, is `bot.services.reminder_delivery`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import insert, select, update

from bot.clock import Clock
from bot.db.engine import Sessions
from bot.db.models import Delivery, GuildConfig, Reminder
from bot.domain.first_week import route, select_audience, step_title, timeliness
from bot.domain.statuses import OPEN_STATUSES, DeliveryStatus, StepStatus
from bot.domain.text import truncate
from bot.services.claims import Claims
from bot.services.cohort_members import CohortRoster, MemberDirectory, SuggestionSource
from bot.services.reminder_delivery import (
    MODERATORS_POST,
    BatchDelivery,
    ChartSource,
    ReminderTransport,
    changed,
)
from bot.services.sweeps import SweepTimer, due_rows

log = logging.getLogger(__name__)

SWEEP_JOB = "reminders:sweep"
TIMER_SLACK = timedelta(seconds=2)  # wall-clock timers and the monotonic loop clock drift apart
DEFAULT_GRACE_HOURS = 12


class ReminderEngine:
    """Runs due reminders: the sweep picks them from the database, fan-outs send them."""

    def __init__(
        self,
        sessions: Sessions,
        clock: Clock,
        scheduler: AsyncIOScheduler,
        roster: CohortRoster,
        suggestions: SuggestionSource,
        claims: Claims,
        *,
        sweep_seconds: float = 60.0,
        serves: Callable[[int], bool] = lambda guild_id: True,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._scheduler = scheduler
        self._roster = roster
        self._delivery = BatchDelivery(sessions, clock, roster, suggestions, claims)
        self._serves = serves  # the servers whose shard this process runs (their members)
        self._timer = SweepTimer(scheduler, SWEEP_JOB, sweep_seconds, self._tick)
        self._lock = asyncio.Lock()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._wakers: set[asyncio.Task[None]] = set()

    def use_charts(self, charts: ChartSource) -> None:
        """Where the day-7 summary's chart comes from."""
        self._delivery.charts = charts

    def attach(self, transport: ReminderTransport, directory: MemberDirectory) -> None:
        """Give the engine its way to Discord (once the gateway is ready)."""
        self._delivery.transport = transport
        self._roster.attach(directory)

    def on_outcome(self, record: Callable[[str, int], None]) -> None:
        """Count what happened: recipients "sent", "late", "failed"; steps "skipped"."""
        self._delivery.on_outcome = record

    async def lag_seconds(self) -> float:
        """How far behind the oldest due, unfinished step of this process's servers is (0 when
        nothing is waiting): the health check's reminder lag."""
        now = self._clock.now()
        async with self._sessions() as session:
            rows = await session.execute(
                select(Reminder.guild_id, Reminder.due_at).where(
                    Reminder.status.in_(OPEN_STATUSES),
                    Reminder.due_at <= now,
                )
            )
            due = [due_at for guild_id, due_at in rows if self._serves(guild_id)]
        return max(0.0, (now - min(due)).total_seconds()) if due else 0.0

    def use_suggestions(self, source: SuggestionSource) -> None:
        """Swap the source of day-5 partner suggestions (e.g. the full matching ranking)."""
        self._delivery.suggestions = source

    @property
    def started(self) -> bool:
        return self._delivery.transport is not None and self._timer.running

    async def start(self) -> None:
        """Arm the timers from the database and catch up on anything missed while down."""
        self._timer.start()
        now = self._clock.now()
        async with self._sessions() as session:
            rows = await session.execute(
                select(Reminder.id, Reminder.due_at).where(Reminder.status == StepStatus.SCHEDULED)
            )
            for reminder_id, due_at in rows:
                if due_at > now:
                    self.arm(reminder_id, due_at)
        await self.sweep()

    async def stop(self) -> None:
        """Remove the timers and stop fan-outs (unfinished batches resume on the next start)."""
        self._timer.stop()
        for job in list(self._scheduler.get_jobs()):
            if job.id.startswith("reminder:"):
                job.remove()
        tasks = [*self._tasks.values(), *self._wakers]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def arm(self, reminder_id: int, due_at: datetime) -> None:
        """A timer that runs the sweep when the reminder is due (the sweep decides)."""
        self._scheduler.add_job(
            self._tick,
            "date",
            run_date=due_at,
            id=f"reminder:{reminder_id}",
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    def disarm(self, reminder_ids: Sequence[int]) -> None:
        for reminder_id in reminder_ids:
            try:
                self._scheduler.remove_job(f"reminder:{reminder_id}")
            except JobLookupError:
                pass

    def wake(self) -> None:
        """Sweep soon, without waiting for the next tick (e.g. a step already due at start)."""
        if not self.started:
            return
        task = asyncio.get_running_loop().create_task(self.sweep())
        self._wakers.add(task)
        task.add_done_callback(self._wakers.discard)

    async def _tick(self) -> None:
        """The scheduler's job: hand the sweep to a task of ours and return at once, so a
        scheduler shutdown never cancels a sweep halfway (`stop` ends them cleanly)."""
        self.wake()

    async def idle(self) -> None:
        """Wait until every running fan-out has finished (tests, benchmarks)."""
        while self._tasks or self._wakers:
            await asyncio.gather(*self._tasks.values(), *self._wakers, return_exceptions=True)

    async def sweep(self) -> None:
        """Start what is due, skip what is too late, resume what a crash interrupted."""
        if self._delivery.transport is None:
            return
        async with self._lock:
            now = self._clock.now()
            async with self._sessions() as session:
                rows = await due_rows(session, Reminder, now + TIMER_SLACK)
            for reminder, grace_hours in rows:
                if reminder.id in self._tasks or not self._serves(reminder.guild_id):
                    continue
                if reminder.status == StepStatus.SCHEDULED:
                    grace = timedelta(
                        hours=DEFAULT_GRACE_HOURS if grace_hours is None else grace_hours
                    )
                    # a timer may fire a hair early: a step due within the slack is due now
                    verdict = timeliness(reminder.due_at, max(now, reminder.due_at), grace)
                    if verdict == "not_due":
                        continue
                    if verdict == "too_late" or grace_hours is None:
                        await self._skip(reminder, now, grace, configured=grace_hours is not None)
                        continue
                    if not await self._begin(reminder.id, now):
                        continue
                self._launch(reminder.id)

    def _launch(self, reminder_id: int) -> None:
        task = asyncio.get_running_loop().create_task(self._delivery.run(reminder_id))
        self._tasks[reminder_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(reminder_id, None))

    async def _skip(
        self, reminder: Reminder, now: datetime, grace: timedelta, *, configured: bool
    ) -> None:
        if configured:
            behind = (now - reminder.due_at).total_seconds() / 3600
            why = (
                f"Nexus was offline at its time and came back {behind:.1f} h later, past the "
                f"{grace.total_seconds() / 3600:g} h grace period"
            )
        else:
            why = "the server is no longer configured"
        async with self._sessions.begin() as session:
            done = await changed(
                session,
                update(Reminder)
                .where(Reminder.id == reminder.id, Reminder.status == StepStatus.SCHEDULED)
                .values(status=StepStatus.SKIPPED, finished_at=now, note=truncate(why, 300)),
            )
            if done != 1:
                return
            config = await session.get(GuildConfig, reminder.guild_id)
        log.warning("reminder %s (%s) skipped: %s", reminder.id, reminder.step_key, why)
        self._delivery.on_outcome("skipped", 1)
        if config is not None:
            await self._delivery.report(
                config.mod_log_channel_id,
                f"⏭️ First-week step **{step_title(reminder.step_key, reminder.title)}** (due "
                f"<t:{_unix(reminder.due_at)}:f>) was **skipped**: {why}.",
            )

    async def _begin(self, reminder_id: int, now: datetime) -> bool:
        """Fix the audience and move to `sending`, atomically; False if someone else did."""
        async with self._sessions.begin() as session:
            moved = await changed(
                session,
                update(Reminder)
                .where(Reminder.id == reminder_id, Reminder.status == StepStatus.SCHEDULED)
                .values(status=StepStatus.SENDING, started_at=now),
            )
            if moved != 1:
                return False
            reminder = await session.get(Reminder, reminder_id)
            assert reminder is not None
            config = await session.get(GuildConfig, reminder.guild_id)
            assert config is not None
            base = {
                "reminder_id": reminder_id,
                "guild_id": reminder.guild_id,
                "status": DeliveryStatus.PENDING,
            }
            if reminder.audience == "moderators":
                rows = [{**base, "user_id": MODERATORS_POST, "via": "channel"}]
            else:
                members = await self._roster.members(session, config)
                routing = route(select_audience(reminder.audience, members))
                rows = [{**base, "user_id": m.user_id, "via": "channel"} for m in routing.channel]
                rows += [{**base, "user_id": m.user_id, "via": "dm"} for m in routing.dm]
                if routing.opted_out:
                    reminder.note = f"{len(routing.opted_out)} opted out"
            if rows:
                await session.execute(insert(Delivery), rows)
        log.info("reminder %s started: %d recipients", reminder_id, len(rows))
        return True


def _unix(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp())
