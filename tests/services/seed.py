"""Rows for stats and export tests, written straight to the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.db.engine import Sessions
from bot.db.models import Learner, LearnMiss, Pairing, Project


async def seed_cohort(sessions: Sessions, guild_id: int, now: datetime) -> dict[str, int]:
    """Two projects; learners announced, paired, waiting, inactive; one ended pairing.

    Returns learner ids by display name.
    """
    async with sessions.begin() as session:
        shop = Project(
            guild_id=guild_id,
            key="ecommerce",
            name="E-Commerce",
            backend_title="E-Commerce Backend",
            frontend_title="Dynamic E-Commerce Product Catalog",
            aliases=["shop"],
            created_at=now,
        )
        jobs = Project(
            guild_id=guild_id,
            key="job-board",
            name="Job Board",
            backend_title="Job Board Backend",
            frontend_title="Job Board Platform",
            aliases=[],
            created_at=now,
        )
        movies = Project(guild_id=guild_id, key="movies", name="Movie App", created_at=now)
        # A server that ran /nexus setup already has the seeded catalog: reuse its entries.
        existing = {
            p.key: p
            for p in await session.scalars(select(Project).where(Project.guild_id == guild_id))
        }
        shop = existing.get(shop.key, shop)
        jobs = existing.get(jobs.key, jobs)
        session.add_all([p for p in (shop, jobs, movies) if p.key not in existing])
        await session.flush()

        def learner(
            n: int, name: str, project: Project | None, role: str | None, **kw: object
        ) -> Learner:
            row = Learner(
                guild_id=guild_id,
                user_id=n,
                display_name=name,
                project_id=project.id if project else None,
                role=role,
                announced_at=kw.pop("announced_at", now),
                active=kw.pop("active", True),
                reminders="on",
                first_seen_at=now,
                updated_at=now,
                **kw,
            )
            session.add(row)
            return row

        people = [
            learner(
                101, "Wanjiku", shop, "backend", summary="=SUM(A1:A9)", timezone="Africa/Nairobi"
            ),
            learner(102, "Tobi", shop, "frontend"),
            learner(103, "Amina", shop, "backend", waiting_since=now),
            learner(104, "Kwame", jobs, "frontend"),
            learner(105, "Lindiwe", jobs, "backend", active=False),
            learner(106, "Yusuf", None, None, announced_at=None),
            learner(107, "Chidi", jobs, "backend"),
        ]
        await session.flush()
        ids = {p.display_name: p.id for p in people}
        session.add_all(
            [
                Pairing(
                    guild_id=guild_id,
                    project_id=shop.id,
                    backend_id=ids["Wanjiku"],
                    frontend_id=ids["Tobi"],
                    created_at=now,
                ),
                Pairing(
                    guild_id=guild_id,
                    project_id=jobs.id,
                    backend_id=ids["Chidi"],
                    frontend_id=ids["Kwame"],
                    created_at=now,
                    ended_at=now,
                    end_reason="-partner left",
                ),
                LearnMiss(guild_id=guild_id, query="kubernetes", count=4, last_at=now),
                LearnMiss(guild_id=guild_id, query="flutter", count=9, last_at=now),
                LearnMiss(guild_id=guild_id + 1, query="other server", count=50, last_at=now),
            ]
        )
    return ids
