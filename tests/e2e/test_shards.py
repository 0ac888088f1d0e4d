"""Two bot processes (shards 0 and 1 of 2) on one PostgreSQL, against the fake Discord.

Each runs `python -m bot run` with `SHARD_COUNT=2` and its own `SHARD_IDS`; the fake routes each
server's events and interactions to the process running its shard, and DMs to shard 0.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.harness import START, Nexus
from tests.e2e.test_matching import announced, button, request_pair
from tests.fakediscord import FakeDiscord, RecordedCall

pytestmark = pytest.mark.timeout(120)

REPO = Path(__file__).resolve().parents[2]
MESSAGES = "/channels/{channel_id}/messages"
COMMANDS = "/applications/{application_id}/commands"
CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"
WELCOME_DUE = datetime(2026, 11, 2, 18, tzinfo=UTC)  # 19:00 in Lagos on day 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    """One bot process running one shard."""

    shard: int
    env: dict[str, str]
    log: Path
    port: int
    proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=REPO, env=self.env, stdout=out, stderr=out
            )

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            with suppress(TimeoutError):
                await asyncio.wait_for(self.proc.wait(), 15)
            if self.proc.returncode is None:
                self.proc.kill()
                await self.proc.wait()

    async def get(self, path: str) -> tuple[int, str]:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{self.port}{path}") as response:
                return response.status, await response.text()

    async def health(self) -> tuple[int, dict[str, object]]:
        status, body = await self.get("/healthz")
        return status, json.loads(body)

    async def metric(self, name: str, **labels: str) -> float:
        """The value of one sample on /metrics (0 when absent)."""
        _, body = await self.get("/metrics")
        wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
        key = f"{name}{{{wanted}}}" if labels else name
        for line in body.splitlines():
            if line.startswith(key + " "):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    async def wait_metric(self, value: float, name: str, **labels: str) -> float:
        """The sample once it reaches `value` (the bot counts a batch after marking it sent,
        a moment after Discord created the message); the last value after 10 s."""
        got = 0.0
        for _ in range(50):
            got = await self.metric(name, **labels)
            if got >= value:
                break
            await asyncio.sleep(0.2)
        return got

    async def wait_health(self, status: int, timeout: float = 30) -> dict[str, object]:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while True:
                with suppress(aiohttp.ClientError):
                    got, report = await self.health()
                    if got == status:
                        return report
                await asyncio.sleep(0.2)


@dataclass
class Cluster:
    fake: FakeDiscord
    servers: tuple[Nexus, Nexus]  # on shards 0 and 1
    processes: tuple[Process, Process]
    clock_file: Path

    def logs(self) -> str:
        return "\n".join(
            f"--- shard {p.shard}\n{p.log.read_text()[-3000:]}"
            for p in self.processes
            if p.log.exists()
        )


@asynccontextmanager
async def cluster(fake: FakeDiscord, tmp_path: Path, database: str) -> AsyncIterator[Cluster]:
    servers = (
        Nexus(fake, tmp_path, database=database, shard=(0, 2), guild_name="Cohort A"),
        Nexus(fake, tmp_path, database=database, shard=(1, 2), guild_name="Cohort B"),
    )
    clock_file = tmp_path / "now"
    clock_file.write_text(START.isoformat())
    processes = []
    for shard in (0, 1):
        env = {
            **os.environ,
            **servers[shard].env(
                SHARD_COUNT="2",
                SHARD_IDS=str(shard),
                NEXUS_HTTP_PORT=str(port := free_port()),
                NEXUS_CLOCK_FILE=str(clock_file),
                NEXUS_REMINDER_SWEEP_SECONDS="0.05",
                NEXUS_CLAIM_LEASE_SECONDS="2",
            ),
            "LOG_LEVEL": "INFO",
        }
        processes.append(Process(shard, env, tmp_path / f"shard{shard}.log", port))
    found = Cluster(fake, servers, (processes[0], processes[1]), clock_file)
    try:
        yield found
    except BaseException:
        print(found.logs())
        raise
    finally:
        for process in processes:
            await process.stop()


async def start_together(group: Cluster) -> None:
    """Both processes at the same moment, on an empty database."""
    await asyncio.gather(*(p.start() for p in group.processes))
    await group.fake.wait_until_ready(timeout=40)
    await group.fake.wait_for_commands("nexus", timeout=20)
    for process in group.processes:
        await process.wait_health(200)


def answered_once(fake: FakeDiscord) -> None:
    """No interaction got two initial responses."""
    callbacks = Counter(c.path.split("/")[4] for c in fake.calls if c.route_template == CALLBACK)
    assert callbacks and set(callbacks.values()) == {1}, callbacks


async def test_two_processes_share_the_work_of_two_servers(
    fake: FakeDiscord, tmp_path: Path, postgres_database: str
) -> None:
    async with cluster(fake, tmp_path, postgres_database) as group:
        first, second = group.servers
        zero, one = group.processes
        await start_together(group)  # both migrate the same empty database at once

        assert fake.shard_count == 2
        assert len(fake.calls_to("PUT", COMMANDS)) == 1, "commands are synced by one process"

        # each server is served by the process running its shard
        await first.setup()
        await second.setup()
        setup = {"command": "nexus setup", "outcome": "ok"}
        assert await zero.wait_metric(1, "nexus_interactions_total", **setup) == 1
        assert await one.wait_metric(1, "nexus_interactions_total", **setup) == 1
        refused = await second.invoke("mod", "nexus settings", timezone="Mars/Olympus")
        assert refused.ephemeral and "not a time zone" in refused.text
        settings = {"command": "nexus settings", "outcome": "refused"}
        assert await one.wait_metric(1, "nexus_interactions_total", **settings) == 1
        assert await zero.metric("nexus_interactions_total", **settings) == 0

        # a DM button for server B (shard 1) arrives at shard 0's process: it still works
        tobi = await announced(second, "tobi", "backend")
        await announced(second, "wanjiku", "frontend")
        invite = await request_pair(second, tobi, "wanjiku")
        assert invite.channel.is_dm
        clicked = await fake.click(
            second.member("wanjiku"), invite, button(invite, "nexus:req:accept:")
        )
        final = await clicked.wait_final(timeout=10)
        assert "accepted" in final.text.lower() or "thread" in final.text.lower(), final.text
        assert (
            await zero.wait_metric(
                1, "nexus_interactions_total", command="component:nexus", outcome="received"
            )
            == 1
        )
        assert (
            await one.wait_metric(
                1, "nexus_interactions_total", command="component:nexus", outcome="received"
            )
            == 1
        )  # the "Request to pair" click in server B itself
        threads = fake.threads(second.guild)
        assert len(threads) == 1
        assert set(threads[0].member_ids) >= {tobi.id, second.member("wanjiku").id}
        answered_once(fake)

        # /metrics: gateway latency per shard and the database pool
        assert 'nexus_gateway_latency_seconds{shard="1"}' in (await one.get("/metrics"))[1]
        assert "nexus_db_pool_in_use" in (await zero.get("/metrics"))[1]

        # the gateway goes away: both report 503; it comes back: 200 again
        await fake.gateway_down()
        for process in group.processes:
            report = await process.wait_health(503)
            assert report["database"] is True and False in dict(report["shards"]).values()
        fake.gateway_up()
        for process in group.processes:
            report = await process.wait_health(200, timeout=40)
            assert report["shards"] == {str(process.shard): True}
    fake.assert_clean()


@pytest.mark.parametrize("killed_after_posts", [0, 3], ids=["just-before", "during"])
async def test_a_step_reaches_everyone_once_with_one_process_killed_in_its_fan_out(
    fake: FakeDiscord, tmp_path: Path, postgres_database: str, killed_after_posts: int
) -> None:
    async with cluster(fake, tmp_path, postgres_database) as group:
        first, second = group.servers
        zero, one = group.processes
        sizes = (230, 120)  # server A: five channel messages (50+50+50+50+30); B: three
        learners = [
            [nexus.guild.add_member(f"learner{i:03}", roles=[nexus.learner_role]) for i in range(n)]
            for nexus, n in zip(group.servers, sizes, strict=True)
        ]
        await start_together(group)
        for nexus in group.servers:
            options = {"channel": nexus.channel, "learner_role": nexus.learner_role}
            assert (await fake.invoke(nexus.mod, "nexus setup", options=options)).ephemeral
            started = await nexus.invoke(
                "mod", "nexus cohort start", date="2026-11-02", timezone="Africa/Lagos"
            )
            assert "First week scheduled" in (await started.wait_final(timeout=10)).text

        # kill shard 0's process as its step comes due, or right after Discord created its
        # server's third message (that batch is claimed in the database, not marked sent)
        posts: list[RecordedCall] = []

        def kill_on_third_post(call: RecordedCall) -> None:
            ours = call.path == f"/api/v10/channels/{first.channel.id}/messages"
            if (call.method, call.route_template, call.status) != ("POST", MESSAGES, 200):
                return
            if ours:
                posts.append(call)
                if len(posts) == killed_after_posts:
                    zero.kill()

        fake.call_listeners.append(kill_on_third_post)
        group.clock_file.write_text(WELCOME_DUE.isoformat())
        if killed_after_posts == 0:
            zero.kill()
        assert zero.proc is not None
        await asyncio.wait_for(zero.proc.wait(), 20)
        assert zero.proc.returncode == -signal.SIGKILL
        fake.call_listeners.clear()
        sent_before = len(fake.messages(first.channel))

        def pinged(nexus: Nexus) -> Counter[int]:
            return Counter(u for m in fake.messages(nexus.channel) for u in m.pinged_users)

        # the other process finishes its own server meanwhile, and does not touch server A
        await fake.world.changed.wait_for(lambda: sum(pinged(second).values()) >= sizes[1], 30)
        assert len(fake.messages(first.channel)) == sent_before
        assert sent_before == killed_after_posts or killed_after_posts == 0
        assert await one.wait_metric(sizes[1], "nexus_reminders_total", outcome="sent") == sizes[1]

        await zero.start()  # restarted later: it finishes server A's step
        await fake.world.changed.wait_for(lambda: sum(pinged(first).values()) >= sizes[0], 30)
        await asyncio.sleep(1.0)  # anything sent twice would show up by now

        for nexus, members in zip(group.servers, learners, strict=True):
            counts = pinged(nexus)
            assert set(counts) == {m.id for m in members}
            assert set(counts.values()) == {1}, "someone was reminded twice"
        assert [len(m.pinged_users) for m in fake.messages(first.channel)] == [50, 50, 50, 50, 30]
        await zero.wait_health(200)
        if killed_after_posts:
            third_nonce = posts[2].json["nonce"]
            resent = [
                c for c in fake.calls_to("POST", MESSAGES) if c.json.get("nonce") == third_nonce
            ]
            assert len(resent) == 2 and resent[0].response["id"] == resent[1].response["id"]
            # the restarted process sent (or re-sent with the nonce) the last three batches
            rest = sizes[0] - 100
            assert await zero.wait_metric(rest, "nexus_reminders_total", outcome="sent") == rest
    fake.assert_clean()
