"""All tables. The schema is the contract between services; change it only with a migration."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, Claimable, UTCDateTime

# Discord snowflakes exceed 32 bits.
Snowflake = BigInteger


class AppState(Base):
    """Small key/value facts about the running bot (e.g. the hash of the synced command tree)."""

    __tablename__ = "app_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class GuildConfig(Base):
    """One row per configured server: `/nexus setup` and `/nexus settings`."""

    __tablename__ = "guild_configs"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    backend_role_id: Mapped[int | None] = mapped_column(Snowflake)
    frontend_role_id: Mapped[int | None] = mapped_column(Snowflake)
    learner_role_id: Mapped[int | None] = mapped_column(Snowflake)
    moderator_role_id: Mapped[int | None] = mapped_column(Snowflake)
    mod_log_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    allow_custom_projects: Mapped[bool] = mapped_column(Boolean, default=False)
    max_partners: Mapped[int] = mapped_column(Integer, default=1)
    request_expiry_hours: Mapped[int] = mapped_column(Integer, default=24)
    reminder_grace_hours: Mapped[int] = mapped_column(Integer, default=12)
    checkin_hours: Mapped[int] = mapped_column(Integer, default=48)  # 0: no check-ins
    configured_by: Mapped[int | None] = mapped_column(Snowflake)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Project(Base):
    """A catalog entry: one identity, a title per track, aliases. Custom projects too."""

    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("guild_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake, index=True)
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))
    backend_title: Mapped[str | None] = mapped_column(String(100))
    frontend_title: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    custom: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(Snowflake)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Learner(Base):
    """A member who has used Nexus in a server; announced once `announced_at` is set."""

    __tablename__ = "learners"
    __table_args__ = (
        UniqueConstraint("guild_id", "user_id"),
        Index("ix_learners_match", "guild_id", "project_id", "role", "active"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    user_id: Mapped[int] = mapped_column(Snowflake)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), index=True
    )
    role: Mapped[str | None] = mapped_column(String(16))  # "backend" | "frontend"
    summary: Mapped[str | None] = mapped_column(String(300))
    repo: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str | None] = mapped_column(String(64))
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    announcement_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    announcement_message_id: Mapped[int | None] = mapped_column(Snowflake)
    reminders: Mapped[str] = mapped_column(String(8), default="on")  # "on" | "off" | "dm"
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    partner_left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


# /find-partner's short list (bot/services/matching_pool.py): within one project, track, time
# zone and partner-left flag, candidates in the order they have been looking, so the best few
# of each such group are the first few index entries.
LEARNER_QUEUE_FLAG = Learner.partner_left_at.is_not(None)
LEARNER_QUEUE_SINCE = func.coalesce(Learner.waiting_since, Learner.announced_at)
Index(
    "ix_learners_queue",
    Learner.guild_id,
    Learner.project_id,
    Learner.role,
    Learner.timezone,
    LEARNER_QUEUE_FLAG,
    LEARNER_QUEUE_SINCE,
    Learner.id,
)


class PairRequest(Base):
    """A learner asked another to pair; the invitee accepts or declines, or it expires."""

    __tablename__ = "pair_requests"
    __table_args__ = (Index("ix_pair_requests_status", "guild_id", "status", "expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    requester_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    invitee_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    # pending | accepted | declined | expired | cancelled
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notify_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    notify_message_id: Mapped[int | None] = mapped_column(Snowflake)


class Pairing(Claimable, Base):
    """A backend and a frontend learner working together; ended pairings are kept for history.
    Claimed by the process retrying its private thread."""

    __tablename__ = "pairings"
    __table_args__ = (Index("ix_pairings_active", "guild_id", "ended_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    backend_id: Mapped[int] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), index=True
    )
    frontend_id: Mapped[int] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), index=True
    )
    thread_id: Mapped[int | None] = mapped_column(Snowflake)
    created_by: Mapped[int | None] = mapped_column(Snowflake)  # a moderator, for manual pairs
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by: Mapped[int | None] = mapped_column(Snowflake)
    end_reason: Mapped[str | None] = mapped_column(String(300))
    checklist: Mapped[list[str] | None] = mapped_column(JSON)  # kickoff items ticked, by key


class WaitNotice(Base):
    """Records that a waiting learner was told about a compatible newcomer (told once)."""

    __tablename__ = "wait_notices"
    __table_args__ = (UniqueConstraint("waiter_id", "newcomer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    waiter_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    newcomer_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AnnounceDraftRow(Base):
    """What a refused `/announce-project` held, behind its "Fix and announce" button (the
    token is in the button's custom id); kept for a day, deleted once the learner announces."""

    __tablename__ = "announce_drafts"
    __table_args__ = (Index("ix_announce_drafts_member", "guild_id", "user_id"),)

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    user_id: Mapped[int] = mapped_column(Snowflake)
    project: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), default="")
    summary: Mapped[str] = mapped_column(String(1000), default="")
    repo: Mapped[str] = mapped_column(String(400), default="")
    timezone: Mapped[str] = mapped_column(String(100), default="")
    refused: Mapped[str | None] = mapped_column(String(20))  # the field to correct
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Cohort(Base):
    """A first week that starts on `start_date`; its reminders are scheduled from the plan."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake, index=True)
    start_date: Mapped[date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active|cancelled|replaced
    created_by: Mapped[int | None] = mapped_column(Snowflake)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Reminder(Base):
    """One step of a cohort's plan at a concrete UTC time."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("cohort_id", "step_key"),
        Index("ix_reminders_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    guild_id: Mapped[int] = mapped_column(Snowflake)
    step_key: Mapped[str] = mapped_column(String(50))
    title: Mapped[str | None] = mapped_column(String(100))  # the step's name for moderators
    audience: Mapped[str] = mapped_column(String(20))
    template: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # scheduled | sending | sent | late | skipped | cancelled
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(String(300))


class Delivery(Claimable, Base):
    """One recipient of one reminder: claimed (by one process, see `bot.services.claims`),
    then sent, at most once."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("reminder_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reminder_id: Mapped[int] = mapped_column(
        ForeignKey("reminders.id", ondelete="CASCADE"), index=True
    )
    guild_id: Mapped[int] = mapped_column(Snowflake)
    user_id: Mapped[int] = mapped_column(Snowflake)
    via: Mapped[str] = mapped_column(String(8))  # "channel" | "dm"
    status: Mapped[str] = mapped_column(
        String(16), default="pending"
    )  # pending|claimed|sent|failed
    batch_key: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[int | None] = mapped_column(Snowflake)
    error: Mapped[str | None] = mapped_column(String(300))


class CheckIn(Base):
    """The check-in a pair thread gets `checkin_hours` after the pairing; sent at most once.

    `scheduled` → (due) `sending` (claimed under `nonce`) → `sent`, or `late` when it went out
    past its time; `skipped` past the grace period; `cancelled` when the pairing ended first;
    `failed` when Discord refused it or its outcome is unknown. `answer` is what the pair said.
    """

    __tablename__ = "checkins"
    __table_args__ = (Index("ix_checkins_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    pairing_id: Mapped[int] = mapped_column(
        ForeignKey("pairings.id", ondelete="CASCADE"), unique=True
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    nonce: Mapped[str | None] = mapped_column(String(25))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[int | None] = mapped_column(Snowflake)
    answer: Mapped[str | None] = mapped_column(String(16))  # met | stuck | new_partner
    answered_by: Mapped[int | None] = mapped_column(Snowflake)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(String(300))


class LearnFeedback(Base):
    """A Helpful / Not helpful vote on an article (one per user and article, last vote wins)."""

    __tablename__ = "learn_feedback"
    __table_args__ = (UniqueConstraint("guild_id", "user_id", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    user_id: Mapped[int] = mapped_column(Snowflake)
    slug: Mapped[str] = mapped_column(String(100))
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LearnMiss(Base):
    """A `/learn` query that found nothing, counted so moderators can write the missing article."""

    __tablename__ = "learn_misses"
    __table_args__ = (UniqueConstraint("guild_id", "query"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    query: Mapped[str] = mapped_column(String(100))
    count: Mapped[int] = mapped_column(Integer, default=1)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxPost(Claimable, Base):
    """A post outside an interaction reply (announcement card, mod-log line, thread kickoff...)
    that Discord did not take: kept and retried with the same nonce until sent or given up.
    A sender holds it (`bot.services.claims`) while it tries; another process may take it over
    once that claim runs out."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_key", "key", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    kind: Mapped[str] = mapped_column(String(32))
    #: One pending post per key ("card:<learner id>"): a newer request replaces the older.
    key: Mapped[str | None] = mapped_column(String(100))
    channel_id: Mapped[int | None] = mapped_column(Snowflake)
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    nonce: Mapped[str | None] = mapped_column(String(25))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[int | None] = mapped_column(Snowflake)
    last_error: Mapped[str | None] = mapped_column(String(300))


class AuditEntry(Base):
    """A moderator change: who · what · old → new, posted to the mod-log and kept for export."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_guild", "guild_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    actor_id: Mapped[int | None] = mapped_column(Snowflake)
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    action: Mapped[str] = mapped_column(String(50))
    old_value: Mapped[str] = mapped_column(String(500), default="")
    new_value: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


def as_dict(row: Base) -> dict[str, Any]:
    """Column values of a row, for exports."""
    return {c.key: getattr(row, c.key) for c in row.__mapper__.column_attrs}
