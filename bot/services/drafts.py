"""Announce drafts: what a refused `/announce-project` held, kept in the database for a day.

The "Fix and announce" button carries the draft's token; the form it opens is prefilled from
the draft, or from the learner's profile once the draft is gone (expired, announced, erased).
Drafts are deleted when the learner announces and by `/my-data delete`.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import ColumnElement, and_, delete, select

from bot.clock import Clock
from bot.db.engine import Sessions
from bot.db.models import AnnounceDraftRow, Learner, Project
from bot.domain.learners import AnnounceDraft

KEPT_FOR = timedelta(days=1)
FIELDS = {"project": 200, "role": 20, "summary": 1000, "repo": 400, "timezone": 100}


class DraftService:
    def __init__(self, sessions: Sessions, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def save(self, draft: AnnounceDraft) -> str:
        """Keep `draft` for a day; its token, for the button's custom id. Expired drafts of
        every learner go at the same time (they are never read again)."""
        token = secrets.token_hex(8)
        now = self._clock.now()
        async with self._sessions.begin() as session:
            await session.execute(delete(AnnounceDraftRow).where(AnnounceDraftRow.expires_at < now))
            session.add(
                AnnounceDraftRow(
                    token=token,
                    guild_id=draft.guild_id,
                    user_id=draft.user_id,
                    refused=draft.refused,
                    created_at=now,
                    expires_at=now + KEPT_FOR,
                    **{name: getattr(draft, name)[:size] for name, size in FIELDS.items()},
                )
            )
        return token

    async def get(self, token: str) -> AnnounceDraft | None:
        """The draft behind a token, or None once it expired or was deleted."""
        async with self._sessions() as session:
            row = await session.get(AnnounceDraftRow, token)
            if row is None or row.expires_at <= self._clock.now():
                return None
            return AnnounceDraft(
                row.guild_id,
                row.user_id,
                refused=row.refused,
                **{name: getattr(row, name) for name in FIELDS},
            )

    async def profile_draft(self, guild_id: int, user_id: int) -> AnnounceDraft:
        """The form's values from the learner's profile (empty if they never announced)."""
        async with self._sessions() as session:
            found = (
                await session.execute(
                    select(Learner, Project.name)
                    .outerjoin(Project, Project.id == Learner.project_id)
                    .where(Learner.guild_id == guild_id, Learner.user_id == user_id)
                )
            ).first()
        if found is None or found[0].announced_at is None:
            return AnnounceDraft(guild_id, user_id)
        learner, project = found
        return AnnounceDraft(
            guild_id,
            user_id,
            project=project or "",
            role=learner.role or "",
            summary=learner.summary or "",
            repo=learner.repo or "",
            timezone=learner.timezone or "",
        )

    async def discard(self, guild_id: int, user_id: int) -> None:
        """The learner announced: their drafts are done with."""
        async with self._sessions.begin() as session:
            await session.execute(delete(AnnounceDraftRow).where(_of(guild_id, user_id)))


def _of(guild_id: int, user_id: int) -> ColumnElement[bool]:
    return and_(AnnounceDraftRow.guild_id == guild_id, AnnounceDraftRow.user_id == user_id)
