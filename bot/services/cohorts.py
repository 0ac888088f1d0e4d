"""`/nexus cohort start | show | preview | cancel`: a cohort's first-week plan in the database."""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import Sessions
from bot.db.models import Cohort, Delivery, Reminder
from bot.domain.audit import NOTHING, Change
from bot.domain.cohort import CohortOverview, ReminderView, StepPreview
from bot.domain.first_week import (
    Plan,
    PlanInvalid,
    parse_plan,
    route,
    schedule,
    select_audience,
    step_title,
)
from bot.domain.reminder_text import PREVIEW_SUGGESTIONS, mentions, render, truncate
from bot.domain.statuses import (
    OPEN_STATUSES,
    SENT_STATUSES,
    CohortStatus,
    DeliveryStatus,
    StepStatus,
)
from bot.domain.timezones import normalize_timezone, to_tzinfo
from bot.errors import InvalidInput, NoCohort
from bot.services.audit import AuditTrail
from bot.services.cohort_members import CohortRoster
from bot.services.lookups import server_config
from bot.services.reminder_delivery import project_names, template_values
from bot.services.reminders import ReminderEngine

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_DAYS_AHEAD = 366
RUN_STATUSES = (StepStatus.SENDING, *SENT_STATUSES)
WORDING_CHARS = 500
PREVIEW_MENTIONS = 3


async def _cancel_steps(
    session: AsyncSession, *where: ColumnElement[bool], now: datetime, note: str
) -> list[int]:
    """Cancel the steps matching `where`, noting why; their ids (the caller disarms their
    timers once the transaction has committed)."""
    stopped = list((await session.scalars(select(Reminder.id).where(*where))).all())
    await session.execute(
        update(Reminder)
        .where(Reminder.id.in_(stopped))
        .values(status=StepStatus.CANCELLED, finished_at=now, note=note)
    )
    return stopped


class CohortService:
    def __init__(
        self,
        sessions: Sessions,
        clock: Clock,
        engine: ReminderEngine,
        roster: CohortRoster,
        plan_path: Path,
        *,
        audit: AuditTrail | None = None,
    ) -> None:
        self._audit = audit or AuditTrail(sessions, clock)
        self._sessions = sessions
        self._clock = clock
        self._engine = engine
        self._roster = roster
        self._plan_path = plan_path

    async def load_plan(self) -> Plan:
        """The plan file as it is now (edits apply to the next `/nexus cohort start`)."""
        try:
            text = await asyncio.to_thread(self._plan_path.read_text, encoding="utf-8")
            raw: Any = yaml.safe_load(text)
        except (OSError, yaml.YAMLError) as error:
            raise PlanInvalid(
                f"The first-week plan `{self._plan_path.name}` can't be read: "
                f"{str(error).splitlines()[0][:200]}"
            ) from error
        return parse_plan(raw)

    async def start(
        self, guild_id: int, start_text: str, timezone_text: str | None, *, by_user: int
    ) -> CohortOverview:
        """Schedule the plan for a cohort starting on `start_text`, replacing any running one."""
        start = parse_start_date(start_text)
        now = self._clock.now()
        if (start - now.date()).days > MAX_DAYS_AHEAD:
            raise InvalidInput("That start date is more than a year away; check the year.")
        plan = await self.load_plan()
        async with self._sessions.begin() as session:
            config = await server_config(session, guild_id)
            zone = normalize_timezone(timezone_text or config.timezone)
            grace = timedelta(hours=config.reminder_grace_hours)
            steps = schedule(plan, start, to_tzinfo(zone))
            if all(now - s.due_at > grace for s in steps):
                raise InvalidInput(
                    f"The first week that started on {start.isoformat()} is already over. "
                    "Pick the cohort's real start date (YYYY-MM-DD)."
                )
            old = (
                await session.scalars(
                    select(Cohort).where(
                        Cohort.guild_id == guild_id, Cohort.status == CohortStatus.ACTIVE
                    )
                )
            ).all()
            old_ids = [c.id for c in old]
            was = ", ".join(_cohort_text(c) for c in old) or NOTHING
            ran: set[str] = set()
            stopped: list[int] = []
            if old_ids:
                ran = set(
                    (
                        await session.scalars(
                            select(Reminder.step_key).where(
                                Reminder.cohort_id.in_(old_ids), Reminder.status.in_(RUN_STATUSES)
                            )
                        )
                    ).all()
                )
                stopped = await _cancel_steps(
                    session,
                    Reminder.cohort_id.in_(old_ids),
                    Reminder.status == StepStatus.SCHEDULED,
                    now=now,
                    note="replaced by a new plan",
                )
                for cohort in old:
                    cohort.status = CohortStatus.REPLACED
            cohort = Cohort(
                guild_id=guild_id,
                start_date=start,
                timezone=zone,
                status=CohortStatus.ACTIVE,
                created_by=by_user,
                created_at=now,
            )
            session.add(cohort)
            await session.flush()
            for step in steps:
                status, note = StepStatus.SCHEDULED, None
                if step.due_at < now and step.step.key in ran:
                    status, note = StepStatus.SKIPPED, "already sent by the plan this one replaced"
                elif now - step.due_at > grace:
                    status, note = StepStatus.SKIPPED, "already past when the cohort was started"
                session.add(
                    Reminder(
                        cohort_id=cohort.id,
                        guild_id=guild_id,
                        step_key=step.step.key,
                        title=step.step.title,
                        audience=step.step.audience,
                        template=step.step.template,
                        due_at=step.due_at,
                        status=status,
                        note=note,
                        finished_at=now if status == StepStatus.SKIPPED else None,
                    )
                )
            change = Change("cohort · start", was, _cohort_text(cohort))
            await self._audit.record(guild_id, by_user, [change], session=session)
        self._engine.disarm(stopped)
        overview = await self._overview(cohort.id, replaced=len(old_ids))
        for reminder in overview.reminders:
            if reminder.status == StepStatus.SCHEDULED:
                self._engine.arm(reminder.id, reminder.due_at)
        self._engine.wake()
        return overview

    async def show(self, guild_id: int) -> CohortOverview:
        """The latest cohort and what each of its reminders did."""
        async with self._sessions() as session:
            cohort_id = await session.scalar(
                select(Cohort.id)
                .where(Cohort.guild_id == guild_id)
                .order_by(Cohort.created_at.desc(), Cohort.id.desc())
                .limit(1)
            )
        if cohort_id is None:
            raise NoCohort()
        return await self._overview(cohort_id)

    async def preview(self, guild_id: int) -> tuple[CohortOverview, list[StepPreview]]:
        """Dry run: who each upcoming reminder of the running cohort would reach right now."""
        async with self._sessions() as session:
            config = await server_config(session, guild_id)
            cohort_id = await _active_cohort_id(session, guild_id)
            if cohort_id is None:
                raise NoCohort(active=True)
            members = await self._roster.members(session, config)
            cohort = await session.get(Cohort, cohort_id)
            assert cohort is not None
            templates = dict(
                (
                    await session.execute(
                        select(Reminder.id, Reminder.template).where(
                            Reminder.cohort_id == cohort_id
                        )
                    )
                ).all()
            )
            projects = await project_names(session, guild_id)
        overview = await self._overview(cohort_id)
        previews = []
        for reminder in overview.reminders:
            if reminder.status != StepStatus.SCHEDULED:
                continue
            routing = route(select_audience(reminder.audience, members))
            target = config.channel_id
            if reminder.audience == "moderators":
                target = config.mod_log_channel_id or config.channel_id
            values = template_values(config, cohort, members, projects, reminder.local.date())
            shown = [m.user_id for m in (*routing.channel, *routing.dm)][:PREVIEW_MENTIONS]
            values["mentions"] = mentions(shown) + ("…" if routing.recipients > len(shown) else "")
            values["suggestions"] = PREVIEW_SUGGESTIONS
            wording = truncate(render(templates[reminder.id], values), WORDING_CHARS)
            previews.append(
                StepPreview(
                    reminder,
                    routing.channel,
                    routing.dm,
                    len(routing.opted_out),
                    target,
                    wording,
                )
            )
        return overview, previews

    async def cancel(self, guild_id: int, *, by_user: int | None = None) -> CohortOverview:
        """Stop the running cohort: nothing more of it is sent (a batch in flight finishes)."""
        now = self._clock.now()
        async with self._sessions.begin() as session:
            await server_config(session, guild_id)
            cohort_id = await _active_cohort_id(session, guild_id)
            if cohort_id is None:
                raise NoCohort(active=True)
            stopped = await _cancel_steps(
                session,
                Reminder.cohort_id == cohort_id,
                Reminder.status.in_(OPEN_STATUSES),
                now=now,
                note="cancelled by a moderator",
            )
            cohort = await session.get_one(Cohort, cohort_id)
            cohort.status = CohortStatus.CANCELLED
            change = Change("cohort · cancel", _cohort_text(cohort), "cancelled")
            await self._audit.record(guild_id, by_user, [change], session=session)
        self._engine.disarm(stopped)
        return await self._overview(cohort_id)

    async def _overview(self, cohort_id: int, *, replaced: int = 0) -> CohortOverview:
        async with self._sessions() as session:
            cohort = await session.get(Cohort, cohort_id)
            assert cohort is not None
            reminders = (
                await session.scalars(
                    select(Reminder)
                    .where(Reminder.cohort_id == cohort_id)
                    .order_by(Reminder.due_at, Reminder.id)
                )
            ).all()
            counts: dict[int, dict[str, int]] = {}
            rows = await session.execute(
                select(Delivery.reminder_id, Delivery.status, Delivery.via, func.count())
                .join(Reminder, Reminder.id == Delivery.reminder_id)
                .where(Reminder.cohort_id == cohort_id)
                .group_by(Delivery.reminder_id, Delivery.status, Delivery.via)
            )
            for reminder_id, status, via, count in rows:
                bucket = counts.setdefault(reminder_id, {})
                bucket[status] = bucket.get(status, 0) + count
                if via == "dm" and status == DeliveryStatus.SENT:
                    bucket["dm"] = bucket.get("dm", 0) + count
        zone = to_tzinfo(cohort.timezone)
        views = tuple(
            ReminderView(
                id=r.id,
                step_key=r.step_key,
                title=step_title(r.step_key, r.title),
                audience=r.audience,
                due_at=r.due_at,
                local=r.due_at.astimezone(zone),
                status=r.status,
                note=r.note,
                sent=counts.get(r.id, {}).get(DeliveryStatus.SENT, 0),
                failed=counts.get(r.id, {}).get(DeliveryStatus.FAILED, 0),
                waiting=counts.get(r.id, {}).get(DeliveryStatus.PENDING, 0)
                + counts.get(r.id, {}).get(DeliveryStatus.CLAIMED, 0),
                by_dm=counts.get(r.id, {}).get("dm", 0),
            )
            for r in reminders
        )
        status = cohort.status
        if (
            status == CohortStatus.ACTIVE
            and views
            and all(v.status not in OPEN_STATUSES for v in views)
        ):
            status = "finished"  # its last step has run: nothing more will happen
        return CohortOverview(
            cohort.id, cohort.start_date, cohort.timezone, status, views, replaced
        )


def parse_start_date(text: str) -> date:
    """A `YYYY-MM-DD` date, or `InvalidInput` with an example."""
    value = text.strip()
    try:
        if not _DATE.match(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"`{value[:30]}` is not a date I can read: use YYYY-MM-DD, e.g. 2026-03-02."
        ) from None


async def _active_cohort_id(session: Any, guild_id: int) -> int | None:
    cohort_id: int | None = await session.scalar(
        select(Cohort.id)
        .where(Cohort.guild_id == guild_id, Cohort.status == CohortStatus.ACTIVE)
        .order_by(Cohort.id.desc())
        .limit(1)
    )
    return cohort_id


def _cohort_text(cohort: Any) -> str:
    """A cohort as the audit trail shows it: its start date and time zone."""
    return f"starts {cohort.start_date.isoformat()} ({cohort.timezone})"
