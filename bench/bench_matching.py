"""Matching benchmarks.

1. rank(): one learner's candidates among 10,000 learners on one project (pure domain code).
2. /find-partner end to end through the fake Discord, 10,000 learners stored in SQLite
   (the MatchingService alone is timed too, to show where the time goes).
3. A simulated cohort: 1,000 learners on 5 projects with unequal tracks, everyone requesting
   their best suggestion and everyone accepting; pairs formed vs the most possible.

`PYTHONPATH=. python -m bench.bench_matching` prints a table and writes
bench/results/matching.json.
"""

from __future__ import annotations

import asyncio
import json
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from bot.db.base import Base
from bot.db.engine import Sessions, create_engine, create_sessionmaker
from bot.db.models import GuildConfig, Learner, Pairing, Project
from bot.domain.matching import Candidate, Seeker, max_pairings, rank
from bot.errors import NexusError
from bot.services.matching import MatchingService

RESULTS = Path(__file__).resolve().parent / "results" / "matching.json"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
GUILD = 1
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


def timing_row(
    name: str, samples: list[float], target_p50: float, target_p99: float | None
) -> dict[str, Any]:
    p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
    ok = p50 < target_p50 and (target_p99 is None or p99 < target_p99)
    return {
        "name": name,
        "runs": len(samples),
        "p50_ms": round(p50, 2),
        "p99_ms": round(p99, 2),
        "target_p50_ms": target_p50,
        "target_p99_ms": target_p99,
        "ok": ok,
    }


# ----- 1. ranking ---------------------------------------------------------------------------


def synthetic_pool(size: int, rng: random.Random) -> list[Candidate]:
    pool = []
    for learner_id in range(1, size + 1):
        pool.append(
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
        )
    return pool


def bench_rank(runs: int = 300) -> dict[str, Any]:
    rng = random.Random(7)
    pool = synthetic_pool(10_000, rng)
    samples = []
    for _ in range(runs):
        me = rng.choice(pool)
        seeker = Seeker(
            Candidate(me.learner_id, me.name, 1, me.role, me.timezone),
            past_partners=frozenset(rng.sample(range(1, 10_001), 3)),
            declined=frozenset(rng.sample(range(1, 10_001), 3)),
        )
        started = time.perf_counter()
        rank(seeker, pool, now=NOW, max_partners=1)
        samples.append((time.perf_counter() - started) * 1000)
    return timing_row("rank among 10,000 learners", samples, 10, 25)


# ----- stored learners ----------------------------------------------------------------------


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


def learner_rows(
    count: int,
    project_ids: list[int],
    rng: random.Random,
    *,
    user_base: int = 1000,
    backend_share: float = 0.5,
) -> list[dict[str, Any]]:
    rows = []
    for index in range(count):
        announced = NOW - timedelta(minutes=rng.randint(0, 10 * 24 * 60))
        rows.append(
            {
                "guild_id": GUILD,
                "user_id": user_base + index,
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


async def bench_service_find(
    runs: int = 200,
) -> tuple[dict[str, Any], tempfile.TemporaryDirectory[str]]:
    directory = tempfile.TemporaryDirectory()
    engine, sessions, projects = await fresh_database(Path(directory.name), 1)
    rng = random.Random(11)
    async with sessions.begin() as session:
        await session.execute(insert(Learner), learner_rows(10_000, projects, rng))
        ids = list(await session.scalars(select(Learner.id).order_by(Learner.id)))
        backs = [i for i in ids[:4000] if i % 2]
        fronts = [i for i in ids[:4000] if not i % 2]
        # some of them are already paired, as in a real week one
        await session.execute(
            insert(Pairing),
            [
                {
                    "guild_id": GUILD,
                    "project_id": projects[0],
                    "backend_id": b,
                    "frontend_id": f,
                    "created_at": NOW,
                }
                for b, f in zip(backs, fronts, strict=False)
            ],
        )
    service = MatchingService(sessions, FixedClock(NOW))
    samples = []
    for _ in range(runs):
        user = 1000 + rng.randrange(5000, 10_000)
        started = time.perf_counter()
        try:
            await service.suggest(GUILD, user)
        except NexusError:
            continue
        samples.append((time.perf_counter() - started) * 1000)
    await engine.dispose()
    return timing_row("MatchingService.suggest, 10,000 stored", samples, 40, None), directory


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
            part = learner_rows(
                200, [project], rng, user_base=1000 + number * 200, backend_share=shares[number]
            )
            for row in part:
                row["waiting_since"] = None
            rows += part
        async with sessions.begin() as session:
            await session.execute(insert(Learner), rows)
        possible = 0
        for project in projects:
            backend = sum(1 for r in rows if r["project_id"] == project and r["role"] == "backend")
            possible += max_pairings(backend, 200 - backend, 1)
        clock = FixedClock(NOW)
        service = MatchingService(sessions, clock)
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


async def run_all(
    e2e: Callable[[], Awaitable[dict[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    results = [bench_rank()]
    service_row, directory = await bench_service_find()
    directory.cleanup()
    results.append(service_row)
    if e2e is not None:
        results.append(await e2e())
    results.append(await bench_cohort())
    return results


def main() -> None:
    results = asyncio.run(run_all())
    for row in results:
        if "p50_ms" in row:
            target = f"< {row['target_p50_ms']} ms" + (
                f" / < {row['target_p99_ms']} ms" if row["target_p99_ms"] else ""
            )
            print(
                f"{row['name']:<45} p50 {row['p50_ms']:>7} ms  p99 {row['p99_ms']:>7} ms  "
                f"target {target:<22} {'ok' if row['ok'] else 'MISSED'}"
            )
        else:
            print(
                f"{row['name']:<45} formed {row['formed']} / possible {row['possible']} "
                f"({row['left_waiting']} left on the waiting list, {row['seconds']} s)  "
                f"{'ok' if row['ok'] else 'MISSED'}"
            )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
