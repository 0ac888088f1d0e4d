"""The outbox's claim (on `bot.services.claims`): each due post goes to exactly one sender,
on SQLite and PostgreSQL, and a crashed sender's posts are taken over."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import Sessions, create_engine, create_sessionmaker
from bot.db.models import OutboxPost
from bot.domain.outbox import MAX_ATTEMPTS
from bot.services.claims import Claims
from bot.services.outbox import OutboxService

GUILD = 1000


class Wall:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def outbox_of(
    sessions: Sessions, owner: str, wall: Wall | None = None, **options: timedelta
) -> OutboxService:
    """The outbox as one bot process holds it: its own claims (owner), on the shared database."""
    bind = sessions.kw["bind"]
    claims = Claims(
        sessions,
        postgres=bind.dialect.name == "postgresql",
        owner=owner,
        now=wall or (lambda: datetime.now(UTC)),
    )
    return OutboxService(sessions, claims, **({"wall": wall} if wall else {}), **options)


async def test_two_senders_never_claim_the_same_post(sessions: Sessions) -> None:
    outbox = outbox_of(sessions, "one")
    for n in range(30):
        await outbox.enqueue(GUILD, "mod_log", channel_id=1, args={"text": f"line {n}"})
    claimed: list[int] = []

    async def sender(name: str) -> None:
        mine = outbox_of(sessions, name)
        while items := await mine.claim(limit=4):
            claimed.extend(item.id for item in items)
            await asyncio.sleep(0)

    await asyncio.gather(sender("one"), sender("two"), sender("three"))
    assert sorted(claimed) == sorted(set(claimed)), "a post was claimed twice"
    assert len(claimed) == 30


async def test_a_lease_expires_so_a_crashed_sender_is_taken_over(sessions: Sessions) -> None:
    wall = Wall()
    crashed, other = outbox_of(sessions, "crashed", wall), outbox_of(sessions, "other", wall)
    await crashed.enqueue(GUILD, "mod_log", channel_id=1, args={"text": "hello"})
    [item] = await crashed.claim()
    assert await other.claim() == []
    wall.now += timedelta(minutes=3)
    [again] = await other.claim()
    assert again.id == item.id and again.nonce == item.nonce


async def test_a_post_staged_in_a_unit_of_work_exists_only_if_it_commits(
    sessions: Sessions,
) -> None:
    outbox = outbox_of(sessions, "one")
    try:
        async with sessions.begin() as session:
            outbox.stage(session, GUILD, "audit", channel_id=1, args={"lines": []})
            raise RuntimeError("the change failed")
    except RuntimeError:
        pass
    assert await outbox.claim() == []
    async with sessions.begin() as session:
        outbox.stage(session, GUILD, "audit", channel_id=1, args={"lines": []})
    [item] = await outbox.claim()
    assert item.kind == "audit" and item.nonce == f"o{item.id}-audit"


async def test_retries_back_off_then_give_up(sessions: Sessions) -> None:
    wall = Wall()
    outbox = outbox_of(sessions, "me", wall, first_retry=timedelta(seconds=5))
    await outbox.enqueue(GUILD, "card", key="card:1", channel_id=1, args={"learner_id": 1})
    waits = []
    for _ in range(MAX_ATTEMPTS):
        [item] = await outbox.claim()
        outcome = await outbox.retry(item, "503 Service Unavailable")
        if outcome.retry_at is None:
            break
        waits.append((outcome.retry_at - wall.now).total_seconds())
        wall.now = outcome.retry_at
    assert waits[:3] == [5, 10, 20] and len(waits) == MAX_ATTEMPTS - 1
    async with sessions() as session:
        row = await session.scalar(select(OutboxPost))
    assert row is not None and row.status == "failed" and row.attempts == MAX_ATTEMPTS


async def test_a_newer_post_with_the_same_key_replaces_the_pending_one(sessions: Sessions) -> None:
    outbox = outbox_of(sessions, "me")
    first = await outbox.enqueue(GUILD, "card", key="card:7", channel_id=1, args={"v": 1})
    second = await outbox.enqueue(GUILD, "card", key="card:7", channel_id=1, args={"v": 2})
    assert first.id == second.id and second.args == {"v": 2}
    assert await outbox.pending("card:7")
    await outbox.sent(second, 123)
    assert not await outbox.pending("card:7")


async def test_two_processes_on_one_database_send_each_post_once(
    engine: AsyncEngine, sessions: Sessions
) -> None:
    """Two bot processes, each with its own connection pool, session factory and claims on the
    same database, both sending every due post at the same moment: each post is sent once."""
    other_engine = create_engine(engine.url.render_as_string(hide_password=False))
    try:
        processes = {
            "one": outbox_of(sessions, "process-one"),
            "two": outbox_of(create_sessionmaker(other_engine), "process-two"),
        }
        for n in range(20):
            await processes["one"].enqueue(GUILD, "mod_log", channel_id=1, args={"text": str(n)})
        sends: list[tuple[str, int]] = []

        async def run(name: str) -> None:
            outbox = processes[name]
            # Until nothing is pending: a claim may come back empty when the other process
            # took the same posts a moment earlier (SQLite's compare-and-set).
            while await outbox.next_due() is not None:
                for item in await outbox.claim(limit=3):
                    sends.append((name, item.id))
                    await asyncio.sleep(0.01)  # the post going out
                    await outbox.sent(item, 1000 + item.id)
                await asyncio.sleep(0.001)

        await asyncio.gather(run("one"), run("two"))
    finally:
        await other_engine.dispose()
    posts = [post for _, post in sends]
    assert len(posts) == 20 and len(set(posts)) == 20, "every post sent exactly once"
    assert {name for name, _ in sends} == {"one", "two"}, "both processes took a share"
    async with sessions() as session:
        rows = (await session.scalars(select(OutboxPost))).all()
    assert {(row.status, row.claimed_by) for row in rows} == {("sent", None)}
