"""The bot process is SIGKILLed in the middle of a reminder fan-out and started again: every
learner still gets exactly one message (`python -m bot run` against the fake Discord)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from bot.db.models import Delivery
from tests.e2e.harness import START, Nexus
from tests.fakediscord import FakeDiscord, RecordedCall

pytestmark = pytest.mark.timeout(60)

REPO = Path(__file__).resolve().parents[2]
MESSAGES = "/channels/{channel_id}/messages"
WELCOME_DUE = datetime(2026, 11, 2, 18, tzinfo=UTC)  # 19:00 in Lagos on day 1
LEARNERS = 230  # five channel messages: 50 + 50 + 50 + 50 + 30


async def spawn(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=REPO, env=env, stdout=out, stderr=out
        )


async def test_sigkill_mid_fan_out_then_restart_sends_each_exactly_once(
    fake: FakeDiscord, tmp_path: Path, database_url: str
) -> None:
    nexus = Nexus(fake, tmp_path, database=database_url)
    learners = [
        nexus.guild.add_member(f"learner{i:03}", roles=[nexus.learner_role])
        for i in range(LEARNERS)
    ]
    clock_file = tmp_path / "now"
    clock_file.write_text(START.isoformat())
    env = {
        **os.environ,
        **nexus.env(
            NEXUS_CLOCK_FILE=str(clock_file),
            NEXUS_REMINDER_SWEEP_SECONDS="0.05",
            NEXUS_CLAIM_LEASE_SECONDS="2",  # PostgreSQL: the dead run's claims free soon
        ),
        "LOG_LEVEL": "INFO",
    }
    log = tmp_path / "bot.log"
    bot = await spawn(env, log)
    try:
        await fake.wait_until_ready(timeout=15)
        await fake.wait_for_commands("nexus", timeout=10)
        options = {"channel": nexus.channel, "learner_role": nexus.learner_role}
        assert (await fake.invoke(nexus.mod, "nexus setup", options=options)).ephemeral
        started = await fake.invoke(
            nexus.mod, "nexus cohort start", date="2026-11-02", timezone="Africa/Lagos"
        )
        assert "First week scheduled" in (await started.wait_final(timeout=10)).text

        # Kill the bot right after Discord created the third reminder message, before the bot
        # hears back: that batch is claimed in the database but not marked sent.
        posts: list[RecordedCall] = []

        def kill_on_third_post(call: RecordedCall) -> None:
            if (call.method, call.route_template, call.status) != ("POST", MESSAGES, 200):
                return
            posts.append(call)
            if len(posts) == 3:
                os.kill(bot.pid, signal.SIGKILL)

        fake.call_listeners.append(kill_on_third_post)
        clock_file.write_text(WELCOME_DUE.isoformat())
        await asyncio.wait_for(bot.wait(), 15)
        assert bot.returncode == -signal.SIGKILL
        fake.call_listeners.clear()
        assert len(fake.messages(nexus.channel)) == 3
        # Usually the kill lands before the bot hears Discord's answer, and the third batch is
        # left claimed; now and then the bot has already recorded it as sent.
        left_claimed = await _batch_status(database_url, posts[2].json["nonce"]) == "claimed"

        bot = await spawn(env, log)
        await fake.world.changed.wait_for(
            lambda: sum(len(m.pinged_users) for m in fake.messages(nexus.channel)) >= LEARNERS,
            20,
        )
        if left_claimed:
            # Its message exists, so everyone is pinged before it is resolved: the batch is
            # resent with its nonce once the dead process's claim runs out (2 s on PostgreSQL).
            nonce = posts[2].json["nonce"]
            await fake.world.changed.wait_for(lambda: len(_sent_with(fake, nonce)) >= 2, 20)
        await asyncio.sleep(0.5)  # anything sent twice would show up by now
    except BaseException:
        print(log.read_text()[-4000:])
        raise
    finally:
        if bot.returncode is None:
            bot.terminate()
            await asyncio.wait_for(bot.wait(), 15)

    messages = fake.messages(nexus.channel)
    pinged = Counter(user for m in messages for user in m.pinged_users)
    assert set(pinged) == {m.id for m in learners}
    assert set(pinged.values()) == {1}, "someone was reminded twice"
    assert [len(m.pinged_users) for m in messages] == [50, 50, 50, 50, 30]
    resent = _sent_with(fake, posts[2].json["nonce"])
    if left_claimed:  # sent again with its nonce: Discord answered with the same message
        assert len(resent) == 2 and resent[0].response["id"] == resent[1].response["id"]
    else:  # recorded as sent before the kill: never sent again
        assert len(resent) == 1
    fake.assert_clean()


def _sent_with(fake: FakeDiscord, nonce: str) -> list[RecordedCall]:
    return [c for c in fake.calls_to("POST", MESSAGES) if c.json.get("nonce") == nonce]


async def _batch_status(database_url: str, batch_key: str) -> str:
    """The status of a batch's delivery rows, read from the database the bot left behind."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            statuses = set(
                (
                    await connection.execute(
                        select(Delivery.status).where(Delivery.batch_key == batch_key)
                    )
                ).scalars()
            )
    finally:
        await engine.dispose()
    assert len(statuses) == 1, statuses
    return str(statuses.pop())
