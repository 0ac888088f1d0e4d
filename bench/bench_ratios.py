"""Nexus's hot paths as ratios to the floor (what discord.py itself costs), at 20 concurrent.

Every bot runs in the same setup, one after the other in this process: a fresh fake Discord
(OpenAPI body check on, rate limits off, since the bot's own cost is measured), one server, the
same members. Each burst sends interactions 20 at a time until `RUNS` are answered; latency is
interaction sent → final reply recorded by the fake, throughput is answers per second of the
burst. The floors are `bench/floors.py`: `/noop`, and `/card` (a message of `/learn`'s shape).
The card floor runs first and last, and its pooled samples are the reference.

Autocomplete is timed inside the bot process through the cogs' real callbacks (Discord does not
let autocomplete be deferred, so its p99 has an absolute target).

    PYTHONPATH=. python -m bench.bench_ratios
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert, select

from bench.floors import FloorBot
from bot.db.models import Learner, Pairing, Project

RESULTS = Path(__file__).resolve().parent / "results" / "ratios.json"
CONCURRENCY = 20
RUNS = int(os.environ.get("NEXUS_BENCH_RUNS", "400"))
WARMUP = 60
ZONES = ["Africa/Lagos", "Africa/Nairobi", "Africa/Johannesburg", "Africa/Cairo", "UTC+1"]
# Targets: (p50 ratio at most, throughput ratio at least) to the card floor.
TARGETS: dict[str, tuple[float, float | None]] = {
    "/learn django": (1.5, 0.67),
    "/profile": (1.5, 0.67),
    "/find-partner": (2.0, None),
    "/announce-project": (2.0, None),
}
AUTOCOMPLETE_P99_MS = 2.0


@dataclass
class Burst:
    name: str
    latencies: list[float] = field(default_factory=list)  # seconds
    wall: float = 0.0
    cpu: float = 0.0  # process CPU seconds (bot and fake Discord together)
    late: int = 0  # answered after Discord's 3-second deadline (the user saw a failure)

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.wall

    def merged(self, other: Burst) -> Burst:
        return Burst(
            self.name,
            self.latencies + other.latencies,
            self.wall + other.wall,
            self.cpu + other.cpu,
            self.late + other.late,
        )

    def row(self, floor: Burst | None) -> dict[str, Any]:
        row: dict[str, Any] = {
            "n": len(self.latencies),
            "p50_ms": round(self.pct(0.50), 2),
            "p99_ms": round(self.pct(0.99), 2),
            "per_s": round(self.throughput, 1),
            "cpu_ms_per_call": round(self.cpu / len(self.latencies) * 1000, 2),
            "late": self.late,
        }
        if floor is not None:
            row["p50_x"] = round(self.pct(0.50) / floor.pct(0.50), 2)
            row["p99_x"] = round(self.pct(0.99) / floor.pct(0.99), 2)
            row["throughput_x"] = round(self.throughput / floor.throughput, 2)
            row["cpu_x"] = round(
                self.cpu / len(self.latencies) / (floor.cpu / len(floor.latencies)), 2
            )
        target = TARGETS.get(self.name)
        if target is not None and floor is not None:
            p50_max, throughput_min = target
            row["target"] = f"p50 ≤ {p50_max}×" + (
                f", throughput ≥ {throughput_min}×" if throughput_min else ""
            )
            row["ok"] = row["p50_x"] <= p50_max and (
                throughput_min is None or row["throughput_x"] >= throughput_min
            )
        return row


Call = Callable[[int], Awaitable[None]]


async def burst(name: str, call: Call, runs: int = RUNS) -> Burst:
    """`runs` calls, `CONCURRENCY` in flight at a time; call(i) does interaction i."""
    result = Burst(name)
    counter = iter(range(runs))

    async def worker() -> None:
        for i in counter:
            started = time.perf_counter()
            await call(i)
            result.latencies.append(time.perf_counter() - started)

    for i in range(WARMUP):
        await call(runs + i)
    late_before = len(LATE)
    started, started_cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    result.wall = time.perf_counter() - started
    result.cpu = time.process_time() - started_cpu
    result.late = len(LATE) - late_before
    return result


LATE: list[str] = []  # interactions answered after Discord's 3-second deadline, by command


async def answer(reply: Any) -> Any:
    """The final message; a late answer (Discord refused it) is counted, not fatal."""
    if reply.late:
        LATE.append(reply.record.command_name)
        return SimpleNamespace(text="(late)", embeds=[None], components=[None, None], content="ok")
    return await reply.wait_final(timeout=60) if reply.deferred else reply.message


# ----- the floors ------------------------------------------------------------------------------


def fake_discord() -> Any:
    from tests.e2e.harness import TOKEN
    from tests.fakediscord import FakeDiscord, RateLimits

    fake = FakeDiscord(bot_token=TOKEN, rate_limits=RateLimits(enabled=False), validate_spec=True)
    # A burst queues work: the 3-second deadline is Discord's, but waiting for an answer longer
    # than that is the bench's choice (a late answer still counts, with its latency).
    fake.response_timeout = 60
    return fake


async def floor_bursts() -> list[Burst]:
    async with fake_discord() as fake:
        guild = fake.add_guild("ALX ProDev")
        channel = guild.add_text_channel("prodevprojectnexus")
        members = [guild.add_member(f"learner{i}") for i in range(CONCURRENCY * 5)]
        with fake.patched_discord():
            bot = FloorBot()
            task = asyncio.create_task(bot.start(fake.bot_token))
            try:
                await fake.wait_until_ready(timeout=10)
                await fake.wait_for_commands("noop", "card", timeout=10)

                async def noop(i: int) -> None:
                    reply = await fake.invoke(members[i % len(members)], "noop", channel=channel)
                    assert (await answer(reply)).content == "ok"

                async def card(i: int) -> None:
                    reply = await fake.invoke(
                        members[i % len(members)], "card", channel=channel, topic="django"
                    )
                    assert len((await answer(reply)).components) == 2

                results = [await burst("floor /noop", noop), await burst("floor /card", card)]
                assert fake.violations == [], fake.violations[:3]
                return results
            finally:
                await bot.close()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(task, 5)


# ----- Nexus ---------------------------------------------------------------------------------


async def seed(nexus: Any, stored: int, members: list[Any], waiting_share: float) -> None:
    """`stored` announced learners on the five case studies; `members` go first (the seekers,
    unpaired, on one project, alternating tracks); a fifth of the others are paired."""
    rng = random.Random(11)
    now = nexus.clock.now()
    async with nexus.session() as session:
        project_ids = list((await session.scalars(select(Project.id).order_by(Project.id))).all())
        rows = []
        for i in range(stored):
            real = i < len(members)
            announced = now - timedelta(minutes=rng.randint(0, 10 * 24 * 60))
            rows.append(
                {
                    "guild_id": nexus.guild.id,
                    "user_id": members[i].id if real else 10**15 + i,
                    "display_name": members[i].name if real else f"stored{i}",
                    "project_id": project_ids[0 if real else i % len(project_ids)],
                    "role": ("backend", "frontend")[i % 2 if real else rng.randrange(2)],
                    "summary": "Building the API with DRF and PostgreSQL",
                    "timezone": rng.choice(ZONES),
                    "announced_at": announced,
                    "reminders": "on",
                    "active": real or rng.random() > 0.02,
                    "waiting_since": announced if rng.random() < waiting_share else None,
                    "first_seen_at": announced,
                    "updated_at": announced,
                }
            )
        await session.execute(insert(Learner), rows)
        others = (
            await session.execute(
                select(Learner.id, Learner.role, Learner.project_id)
                .where(Learner.display_name.startswith("stored"))
                .order_by(Learner.id)
            )
        ).all()
        pairs = []
        for project_id in project_ids:
            mine = [r for r in others if r.project_id == project_id][: stored // 10]
            backs = [r.id for r in mine if r.role == "backend"]
            fronts = [r.id for r in mine if r.role == "frontend"]
            pairs += [
                {
                    "guild_id": nexus.guild.id,
                    "project_id": project_id,
                    "backend_id": b,
                    "frontend_id": f,
                    "created_at": now,
                }
                for b, f in zip(backs, fronts, strict=False)
            ]
        await session.execute(insert(Pairing), pairs)


@contextlib.asynccontextmanager
async def running_nexus(stored: int, waiting_share: float = 0.3) -> Any:
    from tests.e2e.harness import Nexus

    async with fake_discord() as fake:
        with tempfile.TemporaryDirectory() as tmp, fake.patched_discord():
            nexus = Nexus(fake, Path(tmp))
            await nexus.start(log_level="WARNING")
            try:
                await nexus.setup()
                members = [nexus.member(f"learner{i}") for i in range(CONCURRENCY * 5)]
                await seed(nexus, stored, members, waiting_share)
                await fake.flush()
                await nexus.bot.services.knowledge.ready()
                yield nexus, members
                problems = [v for v in fake.violations if "deadline" not in v]
                assert problems == [], problems[:3]
            finally:
                await nexus.stop()


async def nexus_read_bursts() -> tuple[list[Burst], dict[str, Any]]:
    """/learn, /profile and /find-partner with 10,000 learners stored; then autocomplete."""
    async with running_nexus(10_000) as (nexus, members):

        async def learn(i: int) -> None:
            reply = await nexus.invoke(members[i % len(members)], "learn", topic="django")
            assert (await answer(reply)).embeds, reply

        async def profile(i: int) -> None:
            reply = await nexus.invoke(members[i % len(members)], "profile")
            text = (await answer(reply)).text
            assert "Building the API" in text or text == "(late)", text[:200]

        bursts = [
            await burst("/learn django", learn),
            await burst("/profile", profile),
            await burst("/find-partner", find_partner_checked(nexus, members)),
        ]
        figures = await autocomplete_figures(nexus)
    return bursts, figures


def find_partner_checked(nexus: Any, members: list[Any]) -> Call:
    async def call(i: int) -> None:
        reply = await nexus.invoke(members[i % len(members)], "find-partner")
        text = (await answer(reply)).text
        assert "partners for" in text or text == "(late)", text[:200]

    return call


async def nexus_announce_burst() -> Burst:
    """/announce-project with 5,000 learners stored: each announce posts or edits a card."""
    titles = [
        ("E-Commerce Backend", "backend"),
        ("Dynamic E-Commerce Product Catalog", "frontend"),
        ("job board", "backend"),
        ("Movie Recommendation App", "frontend"),
    ]
    # Nobody stored is on the waiting list: a newcomer's "someone fits" DMs to stored learners
    # (who are not members of the fake server) are not what is measured here.
    async with running_nexus(5_000, waiting_share=0.0) as (nexus, _members):
        fresh = [nexus.member(f"newcomer{i}") for i in range(CONCURRENCY * 5)]
        await nexus.fake.flush()

        async def announce(i: int) -> None:
            member = fresh[i % len(fresh)]
            project, role = titles[(i // len(fresh)) % len(titles)]
            reply = await nexus.invoke(
                member, "announce-project", project=project, role=role, summary=f"Plan {i}"
            )
            text = (await answer(reply)).text
            assert "announced" in text or "updated" in text or text == "(late)", text[:200]

        return await burst("/announce-project", announce)


# ----- autocomplete (in process) ---------------------------------------------------------------


def percentile_ms(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def autocomplete_figures(nexus: Any) -> dict[str, Any]:
    from bench.bench_learners import GUILD as CATALOG_GUILD
    from bench.bench_learners import keystrokes, seed_catalog
    from bot.domain.timezones import COMMON_TIMEZONES, all_timezone_names

    rng = random.Random(7)
    bot = nexus.bot
    titles = await seed_catalog(bot, rng)  # a second server with a 500-entry catalog
    from bot.commands import project_autocomplete, timezone_autocomplete
    from bot.ui.learn import COG_NAME

    learn: Any = bot.get_cog(COG_NAME)

    def interaction(guild_id: int, role: str | None = None) -> Any:
        return SimpleNamespace(guild_id=guild_id, namespace=SimpleNamespace(role=role), client=bot)

    articles = [a.title for a in bot.services.knowledge.library.articles.values()]
    cases: dict[str, tuple[Callable[[str], Awaitable[list[Any]]], list[str]]] = {
        "/announce-project project (500 entries)": (
            lambda q: project_autocomplete(interaction(CATALOG_GUILD, "backend"), q),
            keystrokes(rng.sample(titles, 120), rng),
        ),
        "/announce-project timezone": (
            lambda q: timezone_autocomplete(interaction(CATALOG_GUILD), q),
            keystrokes(rng.sample(all_timezone_names(), 40) + list(COMMON_TIMEZONES), rng),
        ),
        f"/learn topic ({len(articles)} articles)": (
            lambda q: learn.topic_autocomplete(interaction(nexus.guild.id), q),
            keystrokes(articles * 3 + ["how do I stop n+1 queries", "djnago orm", "celary"], rng),
        ),
    }
    figures: dict[str, Any] = {}
    for name, (call, queries) in cases.items():
        for query in queries[:200]:  # warm-up
            await call(query)
        samples, cpu = [], []
        for query in queries:
            started, started_cpu = time.perf_counter(), time.thread_time()
            choices = await call(query)
            samples.append(time.perf_counter() - started)
            cpu.append(time.thread_time() - started_cpu)
            assert len(choices) <= 25
        figures[name] = {
            "n": len(samples),
            "p50_ms": round(percentile_ms(samples, 0.50), 3),
            "p99_ms": round(percentile_ms(samples, 0.99), 3),
            "cpu_p99_ms": round(percentile_ms(cpu, 0.99), 3),
            "target": f"p99 < {AUTOCOMPLETE_P99_MS:g} ms",
            "ok": percentile_ms(samples, 0.99) < AUTOCOMPLETE_P99_MS,
        }
    return figures


# ----- report ----------------------------------------------------------------------------------


def load_average() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "?"


def print_table(rows: dict[str, dict[str, Any]], autocomplete: dict[str, Any]) -> None:
    print(
        f"{'at 20 concurrent':<22} {'p50 ms':>7} {'p99 ms':>7} {'per s':>7} {'cpu ms':>7} "
        f"{'p50 ×':>6} {'p99 ×':>6} {'thr ×':>6} {'cpu ×':>6}  target"
    )
    for name, row in rows.items():
        verdict = f"{row['target']} {'✓' if row['ok'] else '✗'}" if "target" in row else ""
        if row.get("late"):
            verdict += f"  ({row['late']} late)"
        print(
            f"{name:<22} {row['p50_ms']:>7.2f} {row['p99_ms']:>7.2f} {row['per_s']:>7.0f} "
            f"{row['cpu_ms_per_call']:>7.2f} {row.get('p50_x', 0):>6.2f} "
            f"{row.get('p99_x', 0):>6.2f} {row.get('throughput_x', 0):>6.2f} "
            f"{row.get('cpu_x', 0):>6.2f}  {verdict}"
        )
    print(f"\n{'autocomplete, in process':<42} {'p50 ms':>7} {'p99 ms':>7} {'cpu p99':>7}  target")
    for name, row in autocomplete.items():
        print(
            f"{name:<42} {row['p50_ms']:>7.3f} {row['p99_ms']:>7.3f} {row['cpu_p99_ms']:>7.3f}  "
            f"{row['target']} {'✓' if row['ok'] else '✗'}"
        )


@contextlib.contextmanager
def quiet_logs() -> Iterator[None]:
    import logging

    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


async def run() -> int:
    load_before = load_average()
    floors = await floor_bursts()
    reads, autocomplete = await nexus_read_bursts()
    announce = await nexus_announce_burst()
    floors_after = await floor_bursts()
    card = floors[1].merged(floors_after[1])
    noop = floors[0].merged(floors_after[0])
    rows = {b.name: b.row(card) for b in (noop, card, *reads, announce)}
    print_table(rows, autocomplete)
    print(
        f"\ncard floor p50 {floors[1].pct(0.5):.2f} ms before, {floors_after[1].pct(0.5):.2f} ms"
        f" after; load average {load_before} before, {load_average()} after"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    document = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "concurrency": CONCURRENCY,
        "runs_per_burst": RUNS,
        "fake_discord_checks_openapi_spec": True,
        "load_average": {"before": load_before, "after": load_average()},
        "interactions": rows,
        "autocomplete": autocomplete,
        "card_floor_p50_ms": {
            "before": round(floors[1].pct(0.5), 2),
            "after": round(floors_after[1].pct(0.5), 2),
        },
        "cpu_note": "cpu ms per call is the whole process: bot and fake Discord",
        "card_floor_stdev_ms": round(statistics.pstdev(card.latencies) * 1000, 2),
    }
    RESULTS.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    ok = all(r.get("ok", True) for r in rows.values()) and all(
        r["ok"] for r in autocomplete.values()
    )
    return 0 if ok else 1


def main() -> int:
    with quiet_logs():
        return asyncio.run(run())


if __name__ == "__main__":
    raise SystemExit(main())
