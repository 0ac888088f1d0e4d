"""Exactly-once background work across bot processes: claim rows, hold them, hand them back.

Several processes may share one PostgreSQL database (shards, or an old and a new process during
a deploy). Anything a timer does — a reminder batch, a request expiry, a thread retry — must be
done by one of them only, and must not be lost when that one dies. The rule, for every kind of
work, is a *claim on the row*:

- a claimable table (`bot.db.base.Claimable`) has `claimed_by` (the owner: one id per
  running process) and `claim_expires_at` (the lease);
- `Claims.lock(select)` adds `FOR UPDATE SKIP LOCKED` on PostgreSQL, so two processes looking
  at the same due rows at the same moment each get different ones (SQLite serves one process;
  there, the compare-and-set in `take` is the guard);
- `Claims.take(...)` stamps the rows with this owner and a lease, compare-and-set: only rows
  still `free()` are taken, and it returns how many it took;
- `Claims.release(...)` hands rows back (clearing the claim, setting e.g. the new status);
- while the process lives, `Claims.renew()` (a timer, every third of the lease) extends every
  lease it holds; when it dies, its leases run out after `lease` and the rows are `free()`
  again for any process. On SQLite there is only ever one process, so at start
  `adopt_orphans()` frees every claim left by a previous run at once.

Typical use, in one transaction::

    ids = (await session.scalars(claims.lock(
        select(Row.id).where(Row.due_at <= now, claims.free(Row)).limit(20)))).all()
    taken = await claims.take(session, Row, ids)

Work is then done outside the transaction, and finished with `release(..., status="done")`.
What happens to a row whose holder died mid-work (resend it, or report it) is the caller's rule:
see `bot.services.reminder_delivery` for the nonce-based one.

Leases use real time (`datetime.now(UTC)`), not the bot's injectable clock: they are about
processes being alive, not about the product's calendar.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, or_, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.db.base import Claimable
from bot.db.engine import Sessions

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=30)
S = TypeVar("S", bound=Select)


def new_owner() -> str:
    """An id for this process: readable in the database, unique across restarts."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(4)}"


def _wall_clock() -> datetime:
    return datetime.now(UTC)


class Claims:
    """One per process: its owner id, its lease, and the tables it claims rows in."""

    def __init__(
        self,
        sessions: Sessions,
        *,
        postgres: bool,
        owner: str | None = None,
        lease: timedelta = DEFAULT_LEASE,
        now: Callable[[], datetime] = _wall_clock,
    ) -> None:
        self._sessions = sessions
        self.postgres = postgres
        self.owner = owner or new_owner()
        self.lease = lease
        self.now = now
        self._tables: list[type[Claimable]] = []

    def register(self, *models: type[Claimable]) -> None:
        """Tables whose leases `renew` and `adopt_orphans` look after."""
        for model in models:
            if model not in self._tables:
                self._tables.append(model)

    # ----- building queries --------------------------------------------------------------

    def free(self, model: type[Claimable]) -> ColumnElement[bool]:
        """Rows nobody holds: never claimed, released, or their holder's lease ran out."""
        return or_(
            model.claimed_by.is_(None),
            model.claim_expires_at.is_(None),
            model.claim_expires_at < self.now(),
        )

    def mine_or_free(self, model: type[Claimable]) -> ColumnElement[bool]:
        """Rows this process holds, or nobody does (resuming its own interrupted work)."""
        return or_(model.claimed_by == self.owner, self.free(model))

    def lock(self, stmt: S) -> S:
        """`FOR UPDATE SKIP LOCKED` on PostgreSQL: concurrent claimers see disjoint rows."""
        return stmt.with_for_update(skip_locked=True) if self.postgres else stmt

    # ----- claiming ----------------------------------------------------------------------

    async def take(
        self,
        session: AsyncSession,
        model: type[Claimable],
        ids: Sequence[int],
        *,
        also: Iterable[ColumnElement[bool]] = (),
        resume: bool = False,
        **values: Any,
    ) -> int:
        """Claim the rows `ids` that are still free (and match `also`); set `values` too.
        With `resume`, rows this process already holds are taken again (a fresh lease).
        Returns how many were taken: fewer than asked means another claimer got the rest."""
        if not ids:
            return 0
        id_column = model.id  # type: ignore[attr-defined]
        available = self.mine_or_free(model) if resume else self.free(model)
        result = await session.execute(
            update(model)
            .where(id_column.in_(list(ids)), available, *also)
            .values(claimed_by=self.owner, claim_expires_at=self.now() + self.lease, **values)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount) if isinstance(result, CursorResult) else 0

    async def release(
        self,
        session: AsyncSession,
        model: type[Claimable],
        *where: ColumnElement[bool],
        **values: Any,
    ) -> int:
        """Hand back the rows matching `where` that this process holds, setting `values`."""
        result = await session.execute(
            update(model)
            .where(model.claimed_by == self.owner, *where)
            .values(claimed_by=None, claim_expires_at=None, **values)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount) if isinstance(result, CursorResult) else 0

    # ----- keeping leases ----------------------------------------------------------------

    async def renew(self) -> None:
        """Extend every lease this process holds (run every third of the lease)."""
        until = self.now() + self.lease
        async with self._sessions.begin() as session:
            for model in self._tables:
                await session.execute(
                    update(model)
                    .where(model.claimed_by == self.owner)
                    .values(claim_expires_at=until)
                    .execution_options(synchronize_session=False)
                )

    async def adopt_orphans(self) -> None:
        """SQLite serves one process: claims left by an earlier run are free at once."""
        if self.postgres:
            return
        async with self._sessions.begin() as session:
            for model in self._tables:
                await session.execute(
                    update(model)
                    .where(model.claimed_by.is_not(None), model.claimed_by != self.owner)
                    .values(claim_expires_at=self.now() - timedelta(seconds=1))
                    .execution_options(synchronize_session=False)
                )
