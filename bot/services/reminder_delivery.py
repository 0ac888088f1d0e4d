"""First-week reminder delivery, batch by batch: at most once, and everything eventually.

Starting a reminder writes one `deliveries` row per recipient (unique per reminder and user) in
the same transaction that moves it to `sending`, so its audience is fixed once. Then, batch by
batch (a channel message mentions up to 50 learners; a DM is a batch of one):

1. claim: one committed transaction moves the batch's `pending` rows to `claimed` under a fresh
   random `batch_key`;
2. send: one Discord message with `nonce=batch_key` (discord.py adds `enforce_nonce`);
3. mark: one transaction moves the batch to `sent` with the message id.

A process killed between 1 and 3 leaves the batch `claimed`, and nobody knows whether Discord
created the message. On restart that batch is sent again with the SAME nonce: Discord answers
with the message it already created instead of posting a second one, so the batch lands exactly
once. That de-duplication only lasts a few minutes, so a claimed batch older than
`NONCE_WINDOW` is never resent: it is marked `failed` ("outcome unknown") and reported to the
moderators — at most once wins over at least once. Rows still `pending` were never attempted
and are simply sent. A definite refusal of a DM (closed DMs) puts the row back to `pending` for
the channel; other definite refusals mark it `failed`; errors that leave the outcome open
(timeouts, 5xx after discord.py's retries) keep the batch `claimed` for the next sweep.

Several processes may share the database (`bot.services.claims`): a batch is claimed by one
process with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL), and only a batch whose holder
died (its lease ran out) — or one this process left unresolved — is resolved as above by
another; batches a live process holds are left to it.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Update

from bot.clock import Clock
from bot.db.engine import Sessions
from bot.db.models import Cohort, Delivery, GuildConfig, Project, Reminder
from bot.domain.first_week import LATE_AFTER, CohortMember, PartnerOffer, step_title, tally
from bot.domain.reminder_text import (
    COUNTS,
    LATE_NOTE,
    MAX_MENTIONS,
    MESSAGE_CHARS,
    dm_buttons,
    dm_template,
    fit,
    mentions,
    project_list,
    render,
    suggestion_line,
    summary_text,
    template_fields,
)
from bot.domain.stats import ChartData
from bot.domain.statuses import DeliveryStatus, StepStatus
from bot.domain.text import truncate, user_text
from bot.domain.timezones import to_tzinfo
from bot.services.claims import Claims
from bot.services.cohort_members import CohortRoster, SuggestionSource

log = logging.getLogger(__name__)

NONCE_WINDOW = timedelta(minutes=2)  # well inside the "few minutes" Discord de-duplicates
MODERATORS_POST = 0  # user_id of the single delivery row of a `moderators` step (pings nobody)


class DmClosed(Exception):
    """The learner does not take DMs from the bot; nothing was sent."""


class Undeliverable(Exception):
    """Discord refused the message for good (missing access, unknown channel); nothing sent."""


class ReminderTransport(Protocol):
    async def post(
        self,
        channel_id: int,
        content: str,
        mention_ids: Sequence[int],
        nonce: str,
        *,
        chart: ChartData | None = None,
    ) -> int:
        """Post in a channel pinging exactly `mention_ids` (with the stats chart attached when
        given); the new (or de-duplicated) id."""
        ...

    async def dm(
        self,
        user_id: int,
        content: str,
        nonce: str,
        *,
        offers: Sequence[PartnerOffer] = (),
        guild_id: int = 0,
        buttons: Sequence[str] = (),
    ) -> int:
        """DM a learner, with a request button per offer and the `buttons` named by
        `dm_buttons` (announce, learn, reminders) for `guild_id`: they work from the DM, the
        server is in their custom id. Raise `DmClosed` when they don't accept DMs."""
        ...

    async def notify(self, channel_id: int, content: str) -> None:
        """A best-effort notice for moderators, pinging nobody."""
        ...


class ChartSource(Protocol):
    async def chart(self, guild_id: int, title: str) -> ChartData:
        """The server's stats chart data (the moderators' summary carries it)."""
        ...


@dataclass(frozen=True)
class Batch:
    key: str
    via: str  # channel | dm
    user_ids: tuple[int, ...]
    claimed_at: datetime


@dataclass
class FanOut:
    """What rendering any batch of one reminder needs, computed once per fan-out."""

    reminder_id: int
    guild_id: int
    step_key: str
    title: str
    audience: str
    template: str
    channel_id: int  # where channel batches go (the mod-log for a moderators step)
    mod_log_channel_id: int | None
    late: bool
    values: dict[str, str]
    suggestions: dict[int, list[PartnerOffer]] = field(default_factory=dict)

    def offers(self, user_id: int) -> list[PartnerOffer]:
        """The request buttons a DM to `user_id` carries (the day-5 suggestions)."""
        return self.suggestions.get(user_id, []) if self.audience == "not_paired" else []

    def content(self, user_ids: Sequence[int], *, dm: bool = False) -> str:
        values = dict(self.values)
        learners = [u for u in user_ids if u != MODERATORS_POST]
        values["mentions"] = mentions(learners)
        if self.audience == "not_paired":
            values["suggestions"] = "\n".join(
                suggestion_line(u, [o.name for o in self.suggestions.get(u, [])], buttons=dm)
                for u in learners
            )
        template = dm_template(self.template) if dm else self.template
        text = render(template, values)
        return f"{LATE_NOTE}\n{text}" if self.late else text


def _uncounted(outcome: str, count: int) -> None:
    """What `BatchDelivery.on_outcome` does until the bot's metrics are attached."""


@dataclass(eq=False)
class BatchDelivery:
    """Claims, sends and marks the batches of one reminder at a time (see the module doc)."""

    _sessions: Sessions
    _clock: Clock
    _roster: CohortRoster
    suggestions: SuggestionSource
    claims: Claims
    transport: ReminderTransport | None = field(default=None, init=False)
    #: Told how many recipients each batch reached or missed ("sent", "late", "failed"),
    #: or moved from a refused DM to the channel ("dm_fallback").
    on_outcome: Callable[[str, int], None] = field(default_factory=lambda: _uncounted, init=False)
    charts: ChartSource | None = field(default=None, init=False)

    async def run(self, reminder_id: int) -> None:
        """Send what is left of a `sending` reminder; stops early when an outcome is unknown."""
        try:
            plan = await self._prepare(reminder_id)
            if plan is None or not await self._resolve_claimed(plan):
                return
            while (batch := await self._claim(plan)) is not None:
                if not await self._send(plan, batch):
                    return  # outcome unknown: the next sweep resends it with the same nonce
            await self._finish(plan)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("reminder %s: fan-out stopped; the next sweep resumes it", reminder_id)

    async def _prepare(self, reminder_id: int) -> FanOut | None:
        async with self._sessions() as session:
            reminder = await session.get(Reminder, reminder_id)
            if reminder is None or reminder.status != StepStatus.SENDING:
                return None
            cohort = await session.get(Cohort, reminder.cohort_id)
            config = await session.get(GuildConfig, reminder.guild_id)
            if cohort is None or config is None:
                return None
            members: list[CohortMember] = []
            if template_fields(reminder.template) & COUNTS:  # the cohort again, only if shown
                members = await self._roster.members(session, config)
            projects = await project_names(session, reminder.guild_id)
            waiting = (
                await session.scalars(
                    select(Delivery.user_id).where(
                        Delivery.reminder_id == reminder_id,
                        Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.CLAIMED)),
                    )
                )
            ).all()
        local_due = reminder.due_at.astimezone(to_tzinfo(cohort.timezone))
        plan = FanOut(
            reminder_id=reminder_id,
            guild_id=reminder.guild_id,
            step_key=reminder.step_key,
            title=step_title(reminder.step_key, reminder.title),
            audience=reminder.audience,
            template=reminder.template,
            channel_id=(
                (config.mod_log_channel_id or config.channel_id)
                if reminder.audience == "moderators"
                else config.channel_id
            ),
            mod_log_channel_id=config.mod_log_channel_id,
            late=reminder.started_at is not None
            and reminder.started_at - reminder.due_at > LATE_AFTER,
            values=template_values(config, cohort, members, projects, local_due.date()),
        )
        if reminder.audience == "not_paired" and waiting:
            found = await self.suggestions.suggest(reminder.guild_id, list(waiting))
            plan.suggestions = {
                user_id: [PartnerOffer(o.learner_id, user_text(o.name, 80)) for o in offers[:3]]
                for user_id, offers in found.items()
            }
        return plan

    async def _resolve_claimed(self, plan: FanOut) -> bool:
        """Batches claimed before a crash (by this process, or by one whose lease ran out):
        take them over, then resend with their nonce, or give up if too old."""
        claimed = (
            Delivery.reminder_id == plan.reminder_id,
            Delivery.status == DeliveryStatus.CLAIMED,
        )
        async with self._sessions.begin() as session:
            orphans = (
                await session.scalars(
                    self.claims.lock(
                        select(Delivery.id).where(*claimed, self.claims.mine_or_free(Delivery))
                    )
                )
            ).all()
            await self.claims.take(session, Delivery, orphans, also=claimed, resume=True)
            rows = (
                await session.execute(
                    select(Delivery.batch_key, Delivery.via, Delivery.user_id, Delivery.claimed_at)
                    .where(*claimed, Delivery.claimed_by == self.claims.owner)
                    .order_by(Delivery.batch_key, Delivery.user_id)
                )
            ).all()
        batches: dict[str, Batch] = {}
        for key, via, user_id, claimed_at in rows:
            assert key is not None and claimed_at is not None  # set together when claimed
            old = batches.get(key)
            users = (*old.user_ids, user_id) if old else (user_id,)
            batches[key] = Batch(key, via, users, claimed_at)
        now = self._clock.now()
        for batch in batches.values():
            if now - batch.claimed_at > NONCE_WINDOW:
                log.warning("reminder %s batch %s: outcome unknown", plan.reminder_id, batch.key)
                await self._mark_failed(
                    batch, "outcome unknown: interrupted while sending; not resent"
                )
            elif not await self._send(plan, batch):
                return False
        return True

    async def _claim(self, plan: FanOut) -> Batch | None:
        """Claim the next batch in one committed transaction (channel first, then DMs)."""
        async with self._sessions.begin() as session:
            status = await session.scalar(
                select(Reminder.status).where(Reminder.id == plan.reminder_id)
            )
            if status != StepStatus.SENDING:
                return None
            via = "channel"
            rows = await self._pending(session, plan.reminder_id, "channel", MAX_MENTIONS)
            if not rows:
                via = "dm"
                rows = await self._pending(session, plan.reminder_id, "dm", 1)
            if not rows:
                return None
            if via == "channel":
                user_ids = [user_id for _, user_id in rows]
                rows = rows[: fit(len(rows), lambda k: plan.content(user_ids[:k]))]
            key = secrets.token_hex(12)  # also the Discord nonce: ≤ 25 characters
            now = self._clock.now()
            claimed = await self.claims.take(
                session,
                Delivery,
                [i for i, _ in rows],
                also=[Delivery.status == DeliveryStatus.PENDING],
                status=DeliveryStatus.CLAIMED,
                batch_key=key,
                claimed_at=now,
            )
            if claimed != len(rows):
                raise RuntimeError("deliveries claimed concurrently")  # rolls back
        return Batch(key, via, tuple(user_id for _, user_id in rows), now)

    async def _send(self, plan: FanOut, batch: Batch) -> bool:
        """Send one claimed batch; False when the outcome is unknown (left claimed)."""
        assert self.transport is not None
        dm = batch.via == "dm"
        content = truncate(plan.content(batch.user_ids, dm=dm), MESSAGE_CHARS)
        try:
            if dm:
                user_id = batch.user_ids[0]
                offers = plan.offers(user_id)
                message_id = await self.transport.dm(
                    user_id,
                    content,
                    batch.key,
                    offers=offers,
                    guild_id=plan.guild_id,
                    buttons=dm_buttons(plan.template, plan.audience),
                )
            else:
                pinged = [u for u in batch.user_ids if u != MODERATORS_POST]
                chart = await self._chart(plan)
                if chart is None:
                    message_id = await self.transport.post(
                        plan.channel_id, content, pinged, batch.key
                    )
                else:
                    message_id = await self.transport.post(
                        plan.channel_id, content, pinged, batch.key, chart=chart
                    )
        except DmClosed:
            await self._back_to_channel(batch)
            return True
        except Undeliverable as error:
            await self._mark_failed(batch, str(error), rest_of_channel=batch.via == "channel")
            return True
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning(
                "reminder %s batch %s: send outcome unknown (%s); will retry with the same nonce",
                plan.reminder_id,
                batch.key,
                error,
            )
            return False
        async with self._sessions.begin() as session:
            settled = await self._settle(
                session,
                batch,
                status=DeliveryStatus.SENT,
                sent_at=self._clock.now(),
                message_id=message_id,
            )
        self.on_outcome("late" if plan.late else "sent", settled)
        return True

    async def _chart(self, plan: FanOut) -> ChartData | None:
        """The stats chart for the moderators' summary; a summary without it beats none."""
        if plan.audience != "moderators" or self.charts is None:
            return None
        try:
            return await self.charts.chart(plan.guild_id, f"First week · day {plan.values['day']}")
        except Exception:
            log.exception("reminder %s: the summary goes out without its chart", plan.reminder_id)
            return None

    async def _back_to_channel(self, batch: Batch) -> None:
        """A DM was refused (nothing sent): the learner gets the channel message instead."""
        async with self._sessions.begin() as session:
            moved = await self._settle(
                session,
                batch,
                status=DeliveryStatus.PENDING,
                via="channel",
                batch_key=None,
                claimed_at=None,
                error="DMs closed; sent in the channel",
            )
        self.on_outcome("dm_fallback", moved)

    async def _mark_failed(
        self, batch: Batch, error: str, *, rest_of_channel: bool = False
    ) -> None:
        """Mark a batch failed; for a channel refusal, the rest of the channel rows too (the
        same refusal would repeat, and repeated 4xx count against the bot's invalid quota)."""
        async with self._sessions.begin() as session:
            failed = await self._settle(
                session, batch, status=DeliveryStatus.FAILED, error=truncate(error, 300)
            )
            if rest_of_channel:
                reminder_id = await session.scalar(
                    select(Delivery.reminder_id).where(Delivery.batch_key == batch.key).limit(1)
                )
                await changed(
                    session,
                    update(Delivery)
                    .where(
                        Delivery.reminder_id == reminder_id,
                        Delivery.status == DeliveryStatus.PENDING,
                        Delivery.via == "channel",
                        self.claims.free(Delivery),
                    )
                    .values(status=DeliveryStatus.FAILED, error=truncate(error, 300)),
                )
        self.on_outcome("failed", failed)

    async def _settle(self, session: AsyncSession, batch: Batch, **values: Any) -> int:
        """The one way a claimed batch ends: released by its holder with its new state. A
        batch this process no longer holds (its lease ran out and another took it over) is
        left alone: that process resends it with the same nonce."""
        return await self.claims.release(
            session,
            Delivery,
            Delivery.batch_key == batch.key,
            Delivery.status == DeliveryStatus.CLAIMED,
            **values,
        )

    async def _pending(
        self, session: AsyncSession, reminder_id: int, via: str, limit: int
    ) -> list[tuple[int, int]]:
        """The next unclaimed recipients, locked against other processes until committed."""
        rows = await session.execute(
            self.claims.lock(
                select(Delivery.id, Delivery.user_id)
                .where(
                    Delivery.reminder_id == reminder_id,
                    Delivery.status == DeliveryStatus.PENDING,
                    Delivery.via == via,
                    self.claims.free(Delivery),
                )
                .order_by(Delivery.user_id)
                .limit(limit)
            )
        )
        return [(delivery_id, user_id) for delivery_id, user_id in rows]

    async def _finish(self, plan: FanOut) -> None:
        now = self._clock.now()
        async with self._sessions.begin() as session:
            counts = dict(
                (
                    await session.execute(
                        select(Delivery.status, func.count())
                        .where(Delivery.reminder_id == plan.reminder_id)
                        .group_by(Delivery.status)
                    )
                ).all()
            )
            if counts.get(DeliveryStatus.PENDING) or counts.get(DeliveryStatus.CLAIMED):
                return
            reminder = await session.get(Reminder, plan.reminder_id)
            if reminder is None or reminder.status != StepStatus.SENDING:
                return
            reminder.status = StepStatus.LATE if plan.late else StepStatus.SENT
            reminder.finished_at = now
            failed = counts.get(DeliveryStatus.FAILED, 0)
            error = None
            if failed:
                error = await session.scalar(
                    select(Delivery.error)
                    .where(
                        Delivery.reminder_id == plan.reminder_id,
                        Delivery.status == DeliveryStatus.FAILED,
                    )
                    .limit(1)
                )
                notes = [reminder.note] if reminder.note else []
                reminder.note = truncate("; ".join([*notes, f"{failed} not delivered"]), 300)
        log.info("reminder %s %s", plan.reminder_id, reminder.status)
        if failed:
            total = sum(counts.values())
            await self.report(
                plan.mod_log_channel_id,
                f"⚠️ First-week step **{plan.title}**: {failed} of {total} reminders could not "
                f"be delivered ({error}).",
            )

    async def report(self, channel_id: int | None, text: str) -> None:
        """A notice for the moderators (logged always, posted when there is a channel)."""
        log.warning("moderator notice: %s", text)
        if channel_id is None or self.transport is None:
            return
        try:
            await self.transport.notify(channel_id, truncate(text, MESSAGE_CHARS))
        except Exception as error:  # a notice must never break delivery
            log.warning("could not post the moderator notice in %s: %s", channel_id, error)


async def changed(session: AsyncSession, statement: Update) -> int:
    """Run an UPDATE; the rows it changed (the engine's compare-and-set primitive). No ORM
    objects are kept in these sessions, so there is nothing to synchronise."""
    result = await session.execute(statement, execution_options={"synchronize_session": False})
    return cast(CursorResult[Any], result).rowcount


async def project_names(session: AsyncSession, guild_id: int) -> list[str]:
    names = await session.scalars(
        select(Project.name)
        .where(Project.guild_id == guild_id, Project.active.is_(True), Project.custom.is_(False))
        .order_by(Project.name)
    )
    return [user_text(name, 100) for name in names]


def template_values(
    config: GuildConfig,
    cohort: Cohort,
    members: Sequence[CohortMember],
    projects: Sequence[str],
    local_day: date,
) -> dict[str, str]:
    counts = tally(members)
    day = (local_day - cohort.start_date).days + 1
    start = cohort.start_date
    return {
        "channel": f"<#{config.channel_id}>",
        "project_list": project_list(projects),
        "start_date": f"{start:%A} {start.day} {start:%B %Y}",
        "day": str(day),
        "cohort_size": str(counts.size),
        "announced": str(counts.announced),
        "paired": str(counts.paired),
        "alone": str(counts.alone),
        "not_announced": str(counts.not_announced),
        "summary": summary_text(counts),
        "mentions": "",
        "suggestions": "",
    }
