"""Two servers, one bot process or two (shards 0 and 1 of 2), on one PostgreSQL.

The bots run as `python -m bot run` in their own processes against the fake Discord in this
process (which imposes Discord's rate limits), on a throwaway PostgreSQL cluster.

- fan-out: one first-week step to LEARNERS learners in EACH server's channel (50 mentions a
  message); the channel buckets are per channel, so the floor is one channel's: windows of
  5 messages, scaled to 1 s (Discord: 5 s). Measured from the step's time to the last message.
- interactions: INTERACTIONS `/reminders` commands per server (a database write and an
  ephemeral reply each), CONCURRENCY in flight per server; interactions answered per second.

    PYTHONPATH=. python -m bench.bench_shards
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path

from tests.e2e.harness import START, Nexus
from tests.fakediscord import FakeDiscord, RateLimits, RecordedCall
from tests.postgres import fresh_database, postgres_server

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "shards.json"
TOKEN = "fake.nexus-bench-token.0123456789abcdef"
DUE = datetime(2026, 11, 2, 18, tzinfo=UTC)  # 19:00 in Lagos on day 1
MESSAGES = "/channels/{channel_id}/messages"
LEARNERS = 1_500  # per server: 30 channel messages each
PER_MESSAGE = 50
SCALE = 0.2
INTERACTIONS = 300  # per server
CONCURRENCY = 10  # per server


def floor_s() -> float:
    messages = math.ceil(LEARNERS / PER_MESSAGE)
    return (math.ceil(messages / 5) - 1) * 5.0 * SCALE


async def run(processes: int, server_url: str, workdir: Path) -> dict[str, object]:
    async with AsyncExitStack() as stack:
        database = await stack.enter_async_context(fresh_database(server_url))
        fake = await stack.enter_async_context(
            FakeDiscord(bot_token=TOKEN, rate_limits=RateLimits(scale=SCALE), validate_spec=False)
        )
        servers = [
            Nexus(fake, workdir, database=database, shard=(i, 2), guild_name=f"Cohort {i}")
            for i in (0, 1)
        ]
        learners = [
            [s.guild.add_member(f"l{i:04}", roles=[s.learner_role]) for i in range(LEARNERS)]
            for s in servers
        ]
        clock_file = workdir / "now"
        clock_file.write_text(START.isoformat())
        shard_sets = ["0,1"] if processes == 1 else ["0", "1"]
        bots = []
        for index, shard_ids in enumerate(shard_sets):
            env = {
                **os.environ,
                **servers[0].env(
                    SHARD_COUNT="2",
                    SHARD_IDS=shard_ids,
                    NEXUS_CLOCK_FILE=str(clock_file),
                    NEXUS_REMINDER_SWEEP_SECONDS="0.05",
                ),
                "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
            }
            log = (workdir / f"bot{index}.log").open("wb")
            stack.callback(log.close)
            bots.append(
                await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot", "run", cwd=ROOT, env=env, stdout=log, stderr=log
                )
            )
        try:
            await fake.wait_until_ready(timeout=90)
            await fake.wait_for_commands("nexus", timeout=30)
            for server in servers:
                options = {"channel": server.channel, "learner_role": server.learner_role}
                await fake.invoke(server.mod, "nexus setup", options=options)
                started = await server.invoke(
                    "mod", "nexus cohort start", date="2026-11-02", timezone="Africa/Lagos"
                )
                await started.wait_final(timeout=20)

            # ----- interactions/s on both servers at once
            async def load(server: Nexus, members: list[object]) -> None:
                queue = list(members[:INTERACTIONS])

                async def worker() -> None:
                    while queue:
                        member = queue.pop()
                        result = await server.invoke(member, "reminders", setting="on")  # type: ignore[arg-type]
                        assert result.ephemeral

                await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))

            t0 = time.monotonic()
            await asyncio.gather(*(load(s, m) for s, m in zip(servers, learners, strict=True)))
            took = time.monotonic() - t0
            per_second = 2 * INTERACTIONS / took

            # ----- fan-out of one step to both channels
            fake.clear_records()
            posts: list[RecordedCall] = []

            def on_call(call: RecordedCall) -> None:
                if (call.method, call.route_template, call.status) == ("POST", MESSAGES, 200):
                    posts.append(call)

            fake.call_listeners.append(on_call)
            t1 = time.monotonic()
            clock_file.write_text(DUE.isoformat())

            def done() -> bool:
                return all(
                    sum(len(m.pinged_users) for m in fake.messages(s.channel)) >= LEARNERS
                    for s in servers
                )

            await fake.world.changed.wait_for(done, 300)
            ends = {
                s.guild.name: max(p.at for p in posts if str(s.channel.id) in p.path) - t1
                for s in servers
            }
        finally:
            for bot in bots:
                bot.terminate()
            for bot in bots:
                await asyncio.wait_for(bot.wait(), 30)
        once = all(
            sorted(u for m in fake.messages(s.channel) for u in m.pinged_users)
            == sorted(m.id for m in members)
            for s, members in zip(servers, learners, strict=True)
        )
        total = max(ends.values())
        return {
            "processes": processes,
            "interactions": 2 * INTERACTIONS,
            "interactions_per_s": round(per_second, 1),
            "fan_out_floor_s": round(floor_s(), 2),
            "fan_out_total_s": round(total, 2),
            "fan_out_ratio": round(total / floor_s(), 3),
            "per_server_s": {k: round(v, 2) for k, v in ends.items()},
            "each_reached_once": once,
            "retried_429": fake.rate_limited_count,
        }


def main() -> int:
    load_before = os.getloadavg()[0]
    with postgres_server() as url:
        if url is None:
            print("PostgreSQL is not available: bench_shards skipped")
            return 0
        results = {}
        for processes in (1, 2):
            with tempfile.TemporaryDirectory(prefix="nexus-bench-") as tmp:
                results[f"{processes}_process"] = asyncio.run(run(processes, url, Path(tmp)))
    ok = all(bool(r["each_reached_once"]) for r in results.values())
    summary = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_1min": round(load_before, 2),
        "learners_per_server": LEARNERS,
        "rate_limit_scale": SCALE,
        "ok": ok,
        **results,
    }
    print("two servers on one PostgreSQL: one bot process (shards 0,1) vs two (0 | 1)")
    print(f"{'metric':<34}{'1 process':>12}{'2 processes':>14}")
    for key in ("interactions_per_s", "fan_out_floor_s", "fan_out_total_s", "fan_out_ratio"):
        one, two = results["1_process"][key], results["2_process"][key]
        print(f"{key:<34}{one!s:>12}{two!s:>14}")
    print(f"{'ok' if ok else 'FAILED'} (machine load average {summary['load_average_1min']})")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
