"""Start-up and memory: `python -m bot` with 10,000 learners stored, against the fake Discord.

Ready is the time from starting the process to its first answered command (`/learn django`,
which also waits for the knowledge base). Memory is the bot process's resident set when ready
and its peak after a round of commands. Started twice; both runs are reported.

Targets: ready < 2 s, RSS ≤ 150 MB. The bot's CPU seconds until ready are reported too: on a
shared machine they tell what the start costs without the other processes' share.

    PYTHONPATH=. python -m bench.bench_startup
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bench.bench_first_week import rss_mib
from bench.bench_ratios import seed
from bot.db import migrate
from bot.db.engine import create_engine, create_sessionmaker
from bot.services.container import build_services
from bot.services.guilds import SetupRoles
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "startup.json"
STORED = 10_000
READY_TARGET_S = 2.0
RSS_TARGET_MB = 150.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Seeding:
    """What `bench_ratios.seed` needs of the harness, over services built in this process."""

    def __init__(self, services: Any, guild: Any, clock: Any) -> None:
        self.services, self.guild, self.clock = services, guild, clock

    def session(self) -> Any:
        return self.services.sessions.begin()


async def prepare(nexus: Any, members: list[Any]) -> None:
    """A migrated database with the server set up and `STORED` learners."""
    engine = create_engine(nexus.database_url)
    await migrate.upgrade(engine)
    try:
        settings = Settings(token=nexus.fake.bot_token, database_url=nexus.database_url)
        services = build_services(
            settings, create_sessionmaker(engine), nexus.clock, AsyncIOScheduler()
        )
        roles = SetupRoles(
            backend_role_id=nexus.backend_role.id, frontend_role_id=nexus.frontend_role.id
        )
        await services.guilds.setup(nexus.guild.id, nexus.channel.id, roles, by_user=nexus.mod.id)
        await seed(_Seeding(services, nexus.guild, nexus.clock), STORED, members, 0.3)
    finally:
        await engine.dispose()


async def one_start(workdir: Path) -> dict[str, Any]:
    from tests.e2e.harness import TOKEN, Nexus
    from tests.fakediscord import FakeDiscord, RateLimits

    async with FakeDiscord(bot_token=TOKEN, rate_limits=RateLimits(enabled=False)) as fake:
        nexus = Nexus(fake, workdir)
        members = [nexus.member(f"learner{i}") for i in range(40)]
        await prepare(nexus, members)
        env = {**os.environ, **nexus.env(), "LOG_LEVEL": "WARNING"}
        with (workdir / "bot.log").open("wb") as log:
            started = time.perf_counter()
            bot = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=ROOT, env=env, stdout=log, stderr=log
            )
            try:
                await fake.wait_until_ready(timeout=60)
                connected = time.perf_counter() - started
                await fake.wait_for_commands("learn", "profile", timeout=30)
                reply = await fake.invoke(
                    members[0], "learn", channel=nexus.channel, topic="django"
                )
                assert reply.embeds, reply
                ready = time.perf_counter() - started
                ready_cpu = cpu_seconds(bot.pid)
                rss_ready, _ = rss_mib(bot.pid)
                for member in members:
                    for command, options in (
                        ("find-partner", {}),
                        ("profile", {}),
                        ("learn", {"topic": "docker"}),
                    ):
                        result = await fake.invoke(
                            member, command, channel=nexus.channel, options=options
                        )
                        assert result.type is not None, (command, result)
                _, rss_peak = rss_mib(bot.pid)
            finally:
                bot.terminate()
                await asyncio.wait_for(bot.wait(), 30)
    return {
        "gateway_connected_s": round(connected, 3),
        "ready_s": round(ready, 3),
        "ready_cpu_s": round(ready_cpu, 3),
        "rss_ready_mb": round(rss_ready * 1.048576, 1),
        "rss_peak_mb": round(rss_peak * 1.048576, 1),
    }


async def main() -> int:
    runs = []
    for _ in range(2):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(await one_start(Path(tmp)))
    print(f"start-up with {STORED:,} learners stored (ready = first command answered)")
    print(
        f"{'run':<5} {'gateway s':>10} {'ready s':>9} {'CPU s':>7} "
        f"{'RSS ready MB':>13} {'RSS peak MB':>12}"
    )
    for n, run in enumerate(runs, 1):
        print(
            f"{n:<5} {run['gateway_connected_s']:>10.2f} {run['ready_s']:>9.2f} "
            f"{run['ready_cpu_s']:>7.2f} "
            f"{run['rss_ready_mb']:>13.1f} {run['rss_peak_mb']:>12.1f}"
        )
    ok = all(r["ready_s"] < READY_TARGET_S and r["rss_peak_mb"] <= RSS_TARGET_MB for r in runs[1:])
    print(f"targets: ready < {READY_TARGET_S:g} s, RSS ≤ {RSS_TARGET_MB:g} MB {'✓' if ok else '✗'}")
    RESULTS.parent.mkdir(exist_ok=True)
    document = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "learners_stored": STORED,
        "load_average": " ".join(str(round(x, 2)) for x in os.getloadavg()),
        "runs": runs,
        "targets": {"ready_s": READY_TARGET_S, "rss_mb": RSS_TARGET_MB},
        "ok": ok,
    }
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
