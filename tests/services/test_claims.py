"""The claim module: rows are held by one process at a time, and freed when it dies."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import Sessions, create_sessionmaker
from bot.db.models import Cohort, Delivery, Reminder
from bot.services.claims import Claims

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


class Wall:
    """The claims' real-time clock, moved by the test."""

    def __init__(self) -> None:
        self.current = T0

    def __call__(self) -> datetime:
        return self.current


async def seed(sessions: Sessions, rows: int) -> list[int]:
    async with sessions.begin() as session:
        cohort = Cohort(guild_id=1, start_date=date(2026, 3, 2), timezone="UTC", created_at=T0)
        session.add(cohort)
        await session.flush()
        reminder = Reminder(
            cohort_id=cohort.id,
            guild_id=1,
            step_key="welcome",
            audience="everyone",
            template="hi",
            due_at=T0,
            status="sending",
        )
        session.add(reminder)
        await session.flush()
        base = {"reminder_id": reminder.id, "guild_id": 1, "via": "channel", "status": "pending"}
        await session.execute(insert(Delivery), [{**base, "user_id": u} for u in range(rows)])
    async with sessions() as session:
        return list((await session.scalars(select(Delivery.id).order_by(Delivery.id))).all())


def claims_for(engine: AsyncEngine, owner: str, wall: Wall) -> Claims:
    claims = Claims(
        create_sessionmaker(engine),
        postgres=engine.dialect.name == "postgresql",
        owner=owner,
        lease=timedelta(seconds=30),
        now=wall,
    )
    claims.register(Delivery)
    return claims


async def grab(claims: Claims, sessions: Sessions, limit: int) -> list[int]:
    """The typical claim: lock free rows, stamp them, in one transaction."""
    async with sessions.begin() as session:
        ids = (
            await session.scalars(
                claims.lock(
                    select(Delivery.id)
                    .where(Delivery.status == "pending", claims.free(Delivery))
                    .order_by(Delivery.id)
                    .limit(limit)
                )
            )
        ).all()
        taken = await claims.take(session, Delivery, ids, status="claimed")
        mine = (
            await session.scalars(
                select(Delivery.id).where(Delivery.id.in_(ids), Delivery.claimed_by == claims.owner)
            )
        ).all()
        assert taken == len(mine)  # fewer than selected: another owner was faster (SQLite)
        return list(mine)


async def holders(sessions: Sessions) -> dict[int, str | None]:
    async with sessions() as session:
        rows = await session.execute(select(Delivery.id, Delivery.claimed_by))
        return dict(rows.all())


async def test_two_owners_never_hold_the_same_row(engine: AsyncEngine) -> None:
    sessions = create_sessionmaker(engine)
    ids = await seed(sessions, 40)
    wall = Wall()
    a, b = claims_for(engine, "a", wall), claims_for(engine, "b", wall)
    taken: list[int] = []
    for _ in range(20):
        got = await asyncio.gather(grab(a, sessions, 5), grab(b, sessions, 5))
        taken += [row for batch in got for row in batch]
        if len(taken) >= len(ids):
            break
    assert sorted(taken) == ids, "every row claimed exactly once"
    owners = await holders(sessions)
    assert set(owners.values()) == {"a", "b"}
    # a row held by a live owner is not free for the other
    async with sessions.begin() as session:
        assert await b.take(session, Delivery, [i for i, o in owners.items() if o == "a"]) == 0


async def test_a_dead_owners_claims_expire_and_a_live_ones_are_renewed(
    engine: AsyncEngine,
) -> None:
    sessions = create_sessionmaker(engine)
    await seed(sessions, 4)
    wall = Wall()
    dead, live, later = (claims_for(engine, name, wall) for name in ("dead", "live", "later"))
    mine = await grab(dead, sessions, 2)
    kept = await grab(live, sessions, 2)
    wall.current += timedelta(seconds=20)
    await live.renew()  # the live process renews; the dead one cannot
    wall.current += timedelta(seconds=20)  # 40 s after the claims: past the dead one's lease
    async with sessions.begin() as session:
        assert await later.take(session, Delivery, mine) == 2
        assert await later.take(session, Delivery, kept) == 0
    owners = await holders(sessions)
    assert [owners[i] for i in mine] == ["later", "later"]
    assert [owners[i] for i in kept] == ["live", "live"]


async def test_release_hands_back_only_the_owners_rows(engine: AsyncEngine) -> None:
    sessions = create_sessionmaker(engine)
    await seed(sessions, 4)
    wall = Wall()
    a, b = claims_for(engine, "a", wall), claims_for(engine, "b", wall)
    first, second = await grab(a, sessions, 2), await grab(b, sessions, 2)
    async with sessions.begin() as session:
        assert await b.release(session, Delivery, Delivery.id.in_(first), status="sent") == 0
        assert await a.release(session, Delivery, Delivery.id.in_(first), status="sent") == 2
    async with sessions() as session:
        rows = dict((await session.execute(select(Delivery.id, Delivery.status))).all())
    assert [rows[i] for i in first] == ["sent", "sent"]
    assert [rows[i] for i in second] == ["claimed", "claimed"]
    assert (await holders(sessions))[first[0]] is None


async def test_on_sqlite_a_restart_adopts_the_previous_runs_claims(engine: AsyncEngine) -> None:
    sessions = create_sessionmaker(engine)
    await seed(sessions, 2)
    wall = Wall()
    before, after = claims_for(engine, "before", wall), claims_for(engine, "after", wall)
    held = await grab(before, sessions, 2)
    await after.adopt_orphans()
    async with sessions.begin() as session:
        taken = await after.take(session, Delivery, held)
    # SQLite is one process: the old run is gone. PostgreSQL waits for the lease instead.
    assert taken == (0 if after.postgres else 2)
