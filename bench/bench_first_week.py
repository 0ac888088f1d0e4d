"""First-week fan-out: one reminder step to thousands of learners through the fake Discord.

The bot runs as `python -m bot run` in its own process (so its memory is its own), against the
fake Discord in this process, which enforces Discord's rate limits. Each scenario sets the
step due (the bot's clock is a file) and measures from then to the last message created.

- channel: 5,000 learners mentioned 50 per message = 100 channel messages; the channel bucket
  (5 messages per window) makes the floor 19 windows. Windows are scaled to 1 s (Discord: 5 s)
  to keep the run short; the target is on the ratio to the floor.
- dm: 200 learners who chose `/reminders dm` (a DM channel and a message each: 400 requests)
  at Discord's real global limit of 50 requests/s, so the floor is 7 s.

    PYTHONPATH=. python -m bench.bench_first_week
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tests.e2e.harness import START, Nexus
from tests.fakediscord import FakeDiscord, RateLimits, RecordedCall
from tests.fakediscord.spec import shared_validator

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "first_week.json"
TARGET_RATIO = 1.2
PER_MESSAGE = 50
DUE = datetime(2026, 11, 2, 18, tzinfo=UTC)  # 19:00 in Lagos on day 1
MESSAGES = "/channels/{channel_id}/messages"
TOKEN = "fake.nexus-bench-token.0123456789abcdef"


@dataclass(frozen=True)
class Scenario:
    name: str
    learners: int
    by_dm: int
    scale: float  # multiplies every rate-limit window of the fake

    def floor(self, limits: RateLimits) -> float:
        """Seconds from the first to the last request the limits allow, at best."""
        channel_messages = math.ceil((self.learners - self.by_dm) / PER_MESSAGE)
        channel = (math.ceil(channel_messages / 5) - 1) * 5.0 * self.scale
        requests = 2 * self.by_dm
        window = limits.global_window * self.scale
        dm = (math.ceil(requests / limits.global_limit) - 1) * window
        return max(channel, dm)


SCENARIOS = (Scenario("channel", 5_000, 0, 0.2), Scenario("dm", 200, 200, 1.0))


def rss_mib(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process in MiB, from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


async def run(scenario: Scenario, workdir: Path) -> dict[str, object]:
    limits = RateLimits(scale=scenario.scale)
    async with FakeDiscord(bot_token=TOKEN, rate_limits=limits) as fake:
        nexus = Nexus(fake, workdir)
        members = [
            nexus.guild.add_member(f"learner{i:04}", roles=[nexus.learner_role])
            for i in range(scenario.learners)
        ]
        clock_file = workdir / "now"
        clock_file.write_text(START.isoformat())
        env = {
            **os.environ,
            **nexus.env(NEXUS_CLOCK_FILE=str(clock_file), NEXUS_REMINDER_SWEEP_SECONDS="0.05"),
            "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        }
        log = (workdir / "bot.log").open("wb")
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=ROOT, env=env, stdout=log, stderr=log
        )
        by_dm = members[: scenario.by_dm]
        try:
            await fake.wait_until_ready(timeout=60)
            await fake.wait_for_commands("nexus", timeout=30)
            options = {"channel": nexus.channel, "learner_role": nexus.learner_role}
            await fake.invoke(nexus.mod, "nexus setup", options=options)
            for member in by_dm:
                await fake.invoke(member, "reminders", setting="dm")
            started = await fake.invoke(
                nexus.mod, "nexus cohort start", date="2026-11-02", timezone="Africa/Lagos"
            )
            await started.wait_final(timeout=10)
            rss_ready, _ = rss_mib(bot.pid)
            fake.clear_records()

            posts: list[RecordedCall] = []

            def on_call(call: RecordedCall) -> None:
                if (call.method, call.route_template, call.status) == ("POST", MESSAGES, 200):
                    posts.append(call)

            fake.call_listeners.append(on_call)
            t0 = time.monotonic()
            clock_file.write_text(DUE.isoformat())
            await fake.world.changed.wait_for(
                lambda: (
                    sum(len(m.pinged_users) for m in fake.messages(nexus.channel))
                    + sum(len(fake.dms(m)) for m in by_dm)
                    >= scenario.learners
                ),
                300,
            )
            _, rss_peak = rss_mib(bot.pid)
        finally:
            bot.terminate()
            await asyncio.wait_for(bot.wait(), 30)
            log.close()

        reached = [u for m in fake.messages(nexus.channel) for u in m.pinged_users]
        reached += [m.id for m in by_dm for _ in fake.dms(m)]
        floor = scenario.floor(limits)
        total = posts[-1].at - t0
        return {
            "learners": scenario.learners,
            "by_dm": scenario.by_dm,
            "rate_limit_scale": scenario.scale,
            "requests": len(fake.calls),
            "each_reached_once": sorted(reached) == sorted(m.id for m in members),
            "floor_s": round(floor, 3),
            "total_s": round(total, 3),
            "first_message_s": round(posts[0].at - t0, 3),
            "ratio": round(total / floor, 3),
            "retried_429": fake.rate_limited_count,
            "bot_rss_ready_mib": round(rss_ready, 1),
            "bot_peak_rss_mib": round(rss_peak, 1),
        }


def main() -> int:
    load_before = os.getloadavg()[0]
    results: dict[str, dict[str, object]] = {}
    for scenario in SCENARIOS:
        with tempfile.TemporaryDirectory(prefix="nexus-bench-") as tmp:
            results[scenario.name] = asyncio.run(run(scenario, Path(tmp)))
    channel = results["channel"]
    ok = all(bool(r["each_reached_once"]) for r in results.values())
    ok = ok and float(str(channel["ratio"])) <= TARGET_RATIO
    summary = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        # Other processes' load when the run started: wall-clock figures include their share.
        "load_average_1min": round(load_before, 2),
        "fake_discord_checks_openapi_spec": shared_validator().available,
        "target_ratio": TARGET_RATIO,
        "ok": ok,
        **results,
    }
    print("first-week fan-out through the fake Discord (bot in its own process)")
    print(f"{'metric':<30}{'channel':>12}{'dm':>12}  target")
    rows = [
        ("learners (by DM)", lambda r: f"{r['learners']} ({r['by_dm']})", ""),
        ("rate-limit floor (s)", lambda r: r["floor_s"], ""),
        ("total, due → last message (s)", lambda r: r["total_s"], ""),
        ("due → first message (s)", lambda r: r["first_message_s"], ""),
        ("total / floor", lambda r: r["ratio"], f"channel ≤ {TARGET_RATIO}"),
        ("429s (retried)", lambda r: r["retried_429"], ""),
        ("bot RSS when ready (MiB)", lambda r: r["bot_rss_ready_mib"], ""),
        ("bot peak RSS (MiB)", lambda r: r["bot_peak_rss_mib"], ""),
        ("each learner reached once", lambda r: r["each_reached_once"], "True"),
    ]
    for name, value, target in rows:
        cells = "".join(f"{value(results[s.name])!s:>12}" for s in SCENARIOS)
        print(f"{name:<30}{cells}  {target}")
    print(f"{'ok' if ok else 'FAILED'} (machine load average {summary['load_average_1min']})")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
