"""The database going away under the bot: PostgreSQL restarted mid-run (the pool reconnects,
`pool_pre_ping`), and a SQLite file another process holds locked for a while."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Nexus
from tests.fakediscord import FakeDiscord
from tests.postgres import Cluster, postgres_cluster

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with postgres_cluster() as found:
        if found is None:
            pytest.skip("PostgreSQL is not available on this machine")
        yield found


async def set_reminders(nexus: Nexus, name: str, setting: str) -> str:
    reply = await nexus.invoke(name, "reminders", setting=setting)
    return (await reply.wait_final(timeout=10)).text


async def test_postgres_restart_under_load_commands_succeed_again(
    fake: FakeDiscord, tmp_path: Path, cluster: Cluster
) -> None:
    nexus = Nexus(fake, tmp_path)
    with fake.patched_discord():
        await nexus.start(database_url=cluster.url)
        try:
            await nexus.setup()
            assert "on" in await set_reminders(nexus, "wanjiku", "on")
            load = asyncio.gather(
                *(set_reminders(nexus, f"learner{i}", "dm") for i in range(10)),
                return_exceptions=True,
            )
            await asyncio.to_thread(cluster.restart)
            await load  # some of these may have met the restart; the bot must not be stuck
            started = time.monotonic()
            for _ in range(20):
                text = await set_reminders(nexus, "wanjiku", "dm")
                if "DM" in text:
                    break
                await asyncio.sleep(0.5)
            assert "DM" in text, text
            assert time.monotonic() - started < 10
            # Every connection in the pool is usable again.
            replies = await asyncio.gather(
                *(set_reminders(nexus, f"learner{i}", "off") for i in range(10))
            )
            assert all("off" in reply for reply in replies), replies
        finally:
            await nexus.stop()
    fake.assert_clean()


@pytest.mark.skipif(
    bool(os.environ.get("NEXUS_E2E_POSTGRES_URL")),
    reason="a SQLite lock: the suite runs on PostgreSQL",
)
async def test_sqlite_locked_by_another_process_is_waited_out(nexus: Nexus, tmp_path: Path) -> None:
    locked = threading.Event()

    def hold_lock() -> None:
        other = sqlite3.connect(tmp_path / "nexus.db")
        other.execute("BEGIN EXCLUSIVE")
        locked.set()
        time.sleep(2)
        other.rollback()
        other.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        await asyncio.to_thread(locked.wait, 5)
        started = time.monotonic()
        text = await set_reminders(nexus, "wanjiku", "dm")
        waited = time.monotonic() - started
    finally:
        await asyncio.to_thread(holder.join, 10)
    assert "DM" in text and "went wrong" not in text
    assert waited >= 1.0  # it did wait for the lock rather than fail
