"""Matching benchmarks.

1. rank(): one learner's candidates among 10,000 learners on one project (pure domain code).
2. /find-partner end to end through the fake Discord with 10,000 learners stored in SQLite,
   all on one project (the worst case: 5,000 on the other track); the MatchingService call
   alone is shown too, to tell the bot's share from the fake Discord's.
3. A simulated cohort: 1,000 learners on 5 projects with unequal tracks; each in turn runs
   /find-partner, asks the best suggestion, and the invitee accepts. Pairs formed vs the most
   possible (min(backend, frontend) per project with max_partners = 1).

Wall-clock figures depend on what else the machine runs; CPU figures (this process) show
what the work itself costs.

    PYTHONPATH=. python -m bench.bench_matching
"""

from __future__ import annotations

import asyncio
import json
import random
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from bot.db.base import Base
from bot.db.changes import ChangeFeed
from bot.db.engine import Sessions, create_engine, create_sessionmaker
from bot.db.models import GuildConfig, Learner, Pairing, Project
from bot.db.reads import Reads
from bot.domain.matching import Candidate, Seeker, max_pairings, rank
from bot.errors import NexusError
from bot.services.catalog import CatalogService
from bot.services.claims import Claims
from bot.services.guilds import GuildService
from bot.services.matching import MatchingService
from bot.settings import DEFAULT_DATA_DIR

RESULTS = Path(__file__).resolve().parent / "results" / "matching.json"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
GUILD = 1
STORED = 10_000
ZONES = [
    "Africa/Lagos",
    "Africa/Nairobi",
    "Africa/Johannesburg",
    "Africa/Cairo",
    "Africa/Accra",
    "Africa/Addis_Ababa",
    "Africa/Kigali",
    "Africa/Casablanca",
    "UTC+1",
    "UTC",
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",
]


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Timing:
    name: str
    target_p50_ms: float | None = None
    target_p99_ms: float | None = None
    wall: list[float] = field(default_factory=list)  # ms
    cpu: list[float] = field(default_factory=list)  # ms of this process's CPU

    def row(self) -> dict[str, Any]:
        p50, p99 = percentile(self.wall, 0.5), percentile(self.wall, 0.99)
        ok = (self.target_p50_ms is None or p50 < self.target_p50_ms) and (
            self.target_p99_ms is None or p99 < self.target_p99_ms
        )
        return {
            "name": self.name,
            "runs": len(self.wall),
            "p50_ms": round(p50, 2),
            "p99_ms": round(p99, 2),
            "cpu_p50_ms": round(percentile(self.cpu, 0.5), 2) if self.cpu else None,
            "cpu_p99_ms": round(percentile(self.cpu, 0.99), 2) if self.cpu else None,
            "target_p50_ms": self.target_p50_ms,
            "target_p99_ms": self.target_p99_ms,
            "ok": ok,
        }


# ----- 1. ranking ---------------------------------------------------------------------------


def synthetic_pool(size: int, rng: random.Random) -> list[Candidate]:
    return [
        Candidate(
            learner_id=learner_id,
            user_id=10_000 + learner_id,
            name=f"learner{learner_id}",
            project_id=1,
            role="backend" if learner_id % 2 else "frontend",
            timezone=rng.choice(ZONES),
            looking_since=NOW - timedelta(minutes=rng.randint(0, 14 * 24 * 60)),
            partner_left_at=NOW - timedelta(days=1) if rng.random() < 0.05 else None,
            partners=1 if rng.random() < 0.3 else 0,
            pending_invites=rng.choice((0, 0, 0, 1, 2)),
            active=rng.random() > 0.02,
        )
        for learner_id in range(1, size + 1)
    ]


def bench_rank(runs: int = 300) -> Timing:
    rng = random.Random(7)
    pool = synthetic_pool(STORED, rng)
    timing = Timing("rank() among 10,000 learners", 10, 25)
    for _ in range(runs):
        me = rng.choice(pool)
        seeker = Seeker(
            Candidate(me.learner_id, me.name, 1, me.role, me.timezone),
            past_partners=frozenset(rng.sample(range(1, STORED + 1), 3)),
            declined=frozenset(rng.sample(range(1, STORED + 1), 3)),
        )
        started, started_cpu = time.perf_counter(), time.thread_time()
        rank(seeker, pool, now=NOW, max_partners=1)
        timing.wall.append((time.perf_counter() - started) * 1000)
        timing.cpu.append((time.thread_time() - started_cpu) * 1000)
    return timing


# ----- stored learners ----------------------------------------------------------------------


def learner_rows(
    guild_id: int,
    project_ids: list[int],
    count: int,
    rng: random.Random,
    now: datetime,
    *,
    user_ids: list[int] | None = None,
    backend_share: float = 0.5,
) -> list[dict[str, Any]]:
    """Announced learners; `user_ids` (real members) go first, the rest get made-up ids."""
    rows = []
    for index in range(count):
        announced = now - timedelta(minutes=rng.randint(0, 10 * 24 * 60))
        user_id = user_ids[index] if user_ids and index < len(user_ids) else 10**15 + index
        rows.append(
            {
                "guild_id": guild_id,
                "user_id": user_id,
                "display_name": f"learner{index}",
                "project_id": project_ids[index % len(project_ids)],
                "role": "backend" if rng.random() < backend_share else "frontend",
                "timezone": rng.choice(ZONES),
                "announced_at": announced,
                "reminders": "on",
                "active": True,
                "waiting_since": announced if rng.random() < 0.3 else None,
                "first_seen_at": announced,
                "updated_at": announced,
            }
        )
    return rows


async def pair_some(sessions: Sessions, guild_id: int, project_id: int, share: float) -> None:
    """Pair the first `share` of stored learners, as in the middle of week one."""
    async with sessions.begin() as session:
        rows = (await session.execute(select(Learner.id, Learner.role).order_by(Learner.id))).all()
        cut = int(len(rows) * share)
        backs = [i for i, role in rows[-cut:] if role == "backend"]
        fronts = [i for i, role in rows[-cut:] if role == "frontend"]
        await session.execute(
            insert(Pairing),
            [
                {
                    "guild_id": guild_id,
                    "project_id": project_id,
                    "backend_id": b,
                    "frontend_id": f,
                    "created_at": NOW,
                }
                for b, f in zip(backs, fronts, strict=False)
            ],
        )


async def fresh_database(directory: Path, projects: int) -> tuple[Any, Sessions, list[int]]:
    engine = create_engine(f"sqlite+aiosqlite:///{directory / 'bench.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    sessions = create_sessionmaker(engine)
    async with sessions.begin() as session:
        session.add(
            GuildConfig(
                guild_id=GUILD,
                channel_id=2,
                timezone="Africa/Lagos",
                allow_custom_projects=False,
                max_partners=1,
                request_expiry_hours=24,
                reminder_grace_hours=12,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        ids = []
        for number in range(projects):
            project = Project(
                guild_id=GUILD,
                key=f"p{number}",
                name=f"Project {number}",
                backend_title=f"Project {number} Backend",
                frontend_title=f"Project {number} App",
                aliases=[],
                created_at=NOW,
            )
            session.add(project)
            await session.flush()
            ids.append(project.id)
    return engine, sessions, ids


# ----- 2. /find-partner ---------------------------------------------------------------------


async def bench_find_partner(runs: int = 200) -> list[Timing]:
    """/find-partner through the fake Discord: interaction in → reply recorded by the fake."""
    from tests.e2e.harness import TOKEN, Nexus
    from tests.fakediscord import FakeDiscord, RateLimits

    e2e = Timing("/find-partner end to end, 10,000 stored", 40)
    service = Timing("  of which MatchingService.suggest")
    rng = random.Random(11)
    # The fake checks every body against Discord's OpenAPI spec here too: compiled once per
    # route, the check costs microseconds, so benches and tests check the same bodies.
    async with FakeDiscord(bot_token=TOKEN, rate_limits=RateLimits(enabled=False)) as fake:
        with tempfile.TemporaryDirectory() as tmp, fake.patched_discord():
            nexus = Nexus(fake, Path(tmp))
            await nexus.start(log_level="WARNING")
            try:
                await nexus.setup()
                assert nexus.bot is not None
                members = [nexus.member(f"seeker{i}") for i in range(runs)]
                await fake.flush()
                async with nexus.session() as session:
                    project_id = await session.scalar(  # seeded by /nexus setup
                        select(Project.id).where(
                            Project.guild_id == nexus.guild.id, Project.key == "ecommerce"
                        )
                    )
                    assert project_id is not None
                    rows = learner_rows(
                        nexus.guild.id,
                        [project_id],
                        STORED,
                        rng,
                        nexus.clock.now(),
                        user_ids=[m.id for m in members],
                    )
                    await session.execute(insert(Learner), rows)
                await pair_some(nexus.bot.services.sessions, nexus.guild.id, project_id, 0.3)

                matching = nexus.bot.services.matching
                original = matching.suggest

                async def timed_suggest(*args: Any, **kwargs: Any) -> Any:
                    started = time.perf_counter()
                    try:
                        return await original(*args, **kwargs)
                    finally:
                        service.wall.append((time.perf_counter() - started) * 1000)

                matching.suggest = timed_suggest  # type: ignore[method-assign]
                for member in members[:10]:  # warm-up
                    await nexus.invoke(member, "find-partner")
                service.wall.clear()
                for member in members:
                    started, started_cpu = time.perf_counter(), time.process_time()
                    reply = await nexus.invoke(member, "find-partner")
                    e2e.wall.append((time.perf_counter() - started) * 1000)
                    e2e.cpu.append((time.process_time() - started_cpu) * 1000)
                    assert reply.ephemeral and "partners for" in reply.text, reply.text[:200]
                assert fake.violations == [], fake.violations[:3]
            finally:
                await nexus.stop()
    return [e2e, service]


# ----- 3. cohort simulation -----------------------------------------------------------------


async def bench_cohort() -> dict[str, Any]:
    """Each learner in turn runs /find-partner and asks the best suggestion, and the invitee
    accepts at once; learners already paired by someone else's request skip their turn."""
    with tempfile.TemporaryDirectory() as directory:
        engine, sessions, projects = await fresh_database(Path(directory), 5)
        rng = random.Random(3)
        rows = []
        shares = (0.6, 0.35, 0.5, 0.7, 0.45)  # backend share per project: unequal tracks
        for number, project in enumerate(projects):
            part = learner_rows(GUILD, [project], 200, rng, NOW, backend_share=shares[number])
            for index, row in enumerate(part):
                row["user_id"] = 1000 + number * 200 + index
                row["waiting_since"] = None
            rows += part
        async with sessions.begin() as session:
            await session.execute(insert(Learner), rows)
        possible = 0
        for project in projects:
            backend = sum(1 for r in rows if r["project_id"] == project and r["role"] == "backend")
            possible += max_pairings(backend, 200 - backend, 1)
        clock = FixedClock(NOW)
        changes = ChangeFeed("sqlite+aiosqlite://")
        guilds = GuildService(sessions, clock, changes)
        catalog = CatalogService(
            sessions, clock, DEFAULT_DATA_DIR / "catalog.yaml", changes, guilds
        )
        service = MatchingService(
            sessions, clock, catalog, guilds, Claims(sessions, postgres=False), Reads.of(sessions)
        )
        looking = [r["user_id"] for r in rows]
        rng.shuffle(looking)
        paired: set[int] = set()
        waiting = refused = 0
        started = time.perf_counter()
        for user in looking:
            if user in paired:
                continue
            found = await service.suggest(GUILD, user)
            if not found.suggestions:
                waiting += 1
                continue
            best = found.suggestions[0].candidate
            request = await service.request(user, best.learner_id)
            try:
                result = await service.accept(request.request_id, best.user_id)
            except NexusError:
                refused += 1
                continue
            paired |= {result.pairing.backend.user_id, result.pairing.frontend.user_id}
            clock.at += timedelta(minutes=1)
        took = time.perf_counter() - started
        async with sessions() as session:
            formed = len(
                list(await session.scalars(select(Pairing.id).where(Pairing.ended_at.is_(None))))
            )
        await engine.dispose()
    return {
        "name": "cohort: 1,000 learners, 5 projects",
        "formed": formed,
        "possible": possible,
        "left_waiting": waiting,
        "refused": refused,
        "seconds": round(took, 2),
        "ok": formed == possible,
    }


def print_timing(row: dict[str, Any]) -> None:
    targets = []
    if row["target_p50_ms"]:
        targets.append(f"p50 < {row['target_p50_ms']:g}")
    if row["target_p99_ms"]:
        targets.append(f"p99 < {row['target_p99_ms']:g}")
    verdict = ("ok" if row["ok"] else "MISSED") if targets else "info"
    cpu = f"cpu p50 {row['cpu_p50_ms']:>6} ms" if row["cpu_p50_ms"] is not None else " " * 18
    print(
        f"{row['name']:<42} p50 {row['p50_ms']:>7} ms  p99 {row['p99_ms']:>7} ms  {cpu}  "
        f"{' / '.join(targets) or '':<20} {verdict}"
    )


async def run_all() -> list[dict[str, Any]]:
    rows = [bench_rank().row()]
    rows += [t.row() for t in await bench_find_partner()]
    rows.append(await bench_cohort())
    return rows


def main() -> None:
    results = asyncio.run(run_all())
    for row in results:
        if "p50_ms" in row:
            print_timing(row)
        else:
            print(
                f"{row['name']:<42} formed {row['formed']} / possible {row['possible']} "
                f"({row['left_waiting']} left on the waiting list, {row['seconds']} s)  "
                f"{'ok' if row['ok'] else 'MISSED'}"
            )
    RESULTS.parent.mkdir(exist_ok=True)
    document = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "results": results}
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
