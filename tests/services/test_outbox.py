"""The outbox's claim: each due post goes to exactly one sender, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.db.engine import Sessions
from bot.db.models import OutboxPost
from bot.domain.outbox import MAX_ATTEMPTS
from bot.services.outbox import OutboxService

GUILD = 1000


class Wall:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_two_senders_never_claim_the_same_post(sessions: Sessions) -> None:
    outbox = OutboxService(sessions)
    for n in range(30):
        await outbox.enqueue(GUILD, "mod_log", channel_id=1, args={"text": f"line {n}"})
    claimed: list[int] = []

    async def sender(name: str) -> None:
        while items := await outbox.claim(name, limit=4):
            claimed.extend(item.id for item in items)
            await asyncio.sleep(0)

    await asyncio.gather(sender("one"), sender("two"), sender("three"))
    assert sorted(claimed) == sorted(set(claimed)), "a post was claimed twice"
    assert len(claimed) == 30


async def test_a_lease_expires_so_a_crashed_sender_is_taken_over(sessions: Sessions) -> None:
    wall = Wall()
    outbox = OutboxService(sessions, wall=wall)
    await outbox.enqueue(GUILD, "mod_log", channel_id=1, args={"text": "hello"})
    [item] = await outbox.claim("crashed")
    assert await outbox.claim("other") == []
    wall.now += timedelta(minutes=3)
    [again] = await outbox.claim("other")
    assert again.id == item.id and again.nonce == item.nonce


async def test_a_post_staged_in_a_unit_of_work_exists_only_if_it_commits(
    sessions: Sessions,
) -> None:
    outbox = OutboxService(sessions)
    try:
        async with sessions.begin() as session:
            outbox.stage(session, GUILD, "audit", channel_id=1, args={"lines": []})
            raise RuntimeError("the change failed")
    except RuntimeError:
        pass
    assert await outbox.claim("one") == []
    async with sessions.begin() as session:
        outbox.stage(session, GUILD, "audit", channel_id=1, args={"lines": []})
    [item] = await outbox.claim("one")
    assert item.kind == "audit" and item.nonce == f"o{item.id}-audit"


async def test_retries_back_off_then_give_up(sessions: Sessions) -> None:
    wall = Wall()
    outbox = OutboxService(sessions, first_retry=timedelta(seconds=5), wall=wall)
    await outbox.enqueue(GUILD, "card", key="card:1", channel_id=1, args={"learner_id": 1})
    waits = []
    for _ in range(MAX_ATTEMPTS):
        [item] = await outbox.claim("me")
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
    outbox = OutboxService(sessions)
    first = await outbox.enqueue(GUILD, "card", key="card:7", channel_id=1, args={"v": 1})
    second = await outbox.enqueue(GUILD, "card", key="card:7", channel_id=1, args={"v": 2})
    assert first.id == second.id and second.args == {"v": 2}
    assert await outbox.pending("card:7")
    await outbox.sent(second, 123)
    assert not await outbox.pending("card:7")
