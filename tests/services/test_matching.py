"""MatchingService against a real database (SQLite, and PostgreSQL when the machine has it),
with the seeded catalog and learners inserted directly."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from bot.db.base import Base
from bot.db.engine import Sessions
from bot.db.models import GuildConfig, Learner, Pairing, PairRequest, Project, WaitNotice
from bot.errors import (
    NoRoom,
    NotAMatch,
    NotAnnounced,
    NotPaired,
    NotYourButton,
    RequestClosed,
    UnknownProject,
)
from bot.services.container import Services
from bot.services.matching import MatchingService
from tests.services.conftest import GUILD, FakeClock

START = FakeClock().at


@dataclass
class World:
    sessions: Sessions
    clock: FakeClock
    service: MatchingService
    projects: dict[str, int]

    async def learner(
        self,
        user_id: int,
        role: str,
        project: str = "ecommerce",
        timezone: str | None = "Africa/Lagos",
        **kw: object,
    ) -> int:
        fields: dict[str, object] = {
            "guild_id": GUILD,
            "user_id": user_id,
            "display_name": f"user{user_id}",
            "project_id": self.projects[project],
            "role": role,
            "timezone": timezone,
            "announced_at": self.clock.now(),
            "reminders": "on",
            "active": True,
            "first_seen_at": self.clock.now(),
            "updated_at": self.clock.now(),
        }
        fields.update(kw)
        async with self.sessions.begin() as session:
            row = Learner(**fields)
            session.add(row)
            await session.flush()
            return row.id

    async def count(self, model: type[Base], *where: object) -> int:
        async with self.sessions() as session:
            query = select(func.count()).select_from(model).where(*where)  # type: ignore[arg-type]
            return int(await session.scalar(query) or 0)

    async def settings(self, **values: object) -> None:
        async with self.sessions.begin() as session:
            config = await session.get(GuildConfig, GUILD)
            for name, value in values.items():
                setattr(config, name, value)


@pytest.fixture
async def world(services: Services, clock: FakeClock) -> World:
    """A configured server with the seeded catalog (E-Commerce, Job Board, ...)."""
    async with services.sessions() as session:
        rows = await session.execute(
            select(Project.key, Project.id).where(Project.guild_id == GUILD)
        )
        projects = {key: project_id for key, project_id in rows.all()}
    assert {"ecommerce", "job-board"} <= set(projects)
    return World(services.sessions, clock, services.matching, projects)


async def test_suggest_ranks_opposite_track_on_same_project(world: World) -> None:
    await world.learner(1, "backend")
    near = await world.learner(2, "frontend")
    far = await world.learner(3, "frontend", timezone="Asia/Tokyo")
    await world.learner(4, "backend")
    await world.learner(5, "frontend", project="job-board")
    result = await world.service.suggest(GUILD, 1)
    assert [s.candidate.learner_id for s in result.suggestions] == [near, far]
    assert result.suggestions[0].explanation.startswith("same project · 4 h evening overlap")
    assert not result.waiting


async def test_suggest_accepts_either_title_and_rejects_other_projects(world: World) -> None:
    await world.learner(1, "backend")
    await world.learner(2, "frontend")
    result = await world.service.suggest(GUILD, 1, "dynamic e-commerce product catalog")
    assert len(result.suggestions) == 1
    with pytest.raises(NotAMatch, match="same project"):
        await world.service.suggest(GUILD, 1, "Job Board Platform")
    with pytest.raises(UnknownProject):
        await world.service.suggest(GUILD, 1, "Mars Rover")


async def test_not_announced(world: World) -> None:
    with pytest.raises(NotAnnounced):
        await world.service.suggest(GUILD, 99)


async def test_no_candidate_puts_caller_on_waiting_list(world: World) -> None:
    me = await world.learner(1, "backend")
    result = await world.service.suggest(GUILD, 1)
    assert result.waiting and result.suggestions == []
    async with world.sessions() as session:
        learner = await session.get(Learner, me)
        assert learner is not None and learner.waiting_since == START


async def test_request_accept_pairs_and_withdraws_other_requests(world: World) -> None:
    back = await world.learner(1, "backend")
    front = await world.learner(2, "frontend")
    other_back = await world.learner(3, "backend")
    request = await world.service.request(1, front)
    assert request.invitee.learner_id == front and request.expires_at == START + timedelta(hours=24)
    rival = await world.service.request(3, front)
    result = await world.service.accept(request.request_id, by_user_id=2)
    assert (result.pairing.backend.learner_id, result.pairing.frontend.learner_id) == (back, front)
    assert [w.request_id for w in result.withdrawn] == [rival.request_id]
    with pytest.raises(RequestClosed, match="already accepted"):
        await world.service.accept(request.request_id, by_user_id=2)
    with pytest.raises(RequestClosed, match="withdrawn"):
        await world.service.accept(rival.request_id, by_user_id=2)
    assert await world.count(Pairing) == 1
    with pytest.raises(NoRoom, match="already paired with <@2>"):
        await world.service.suggest(GUILD, 1)
    assert other_back


async def test_only_the_invitee_can_answer(world: World) -> None:
    await world.learner(1, "backend")
    front = await world.learner(2, "frontend")
    request = await world.service.request(1, front)
    with pytest.raises(NotYourButton):
        await world.service.accept(request.request_id, by_user_id=1)
    with pytest.raises(NotYourButton):
        await world.service.decline(request.request_id, by_user_id=777)
    assert await world.count(Pairing) == 0


async def test_duplicate_and_crossed_requests(world: World) -> None:
    back = await world.learner(1, "backend")
    front = await world.learner(2, "frontend")
    await world.service.request(1, front)
    with pytest.raises(RequestClosed, match="already asked"):
        await world.service.request(1, front)
    with pytest.raises(NotAMatch, match="already asked you"):
        await world.service.request(2, back)


async def test_decline_excludes_both_ways(world: World) -> None:
    back = await world.learner(1, "backend")
    front = await world.learner(2, "frontend")
    request = await world.service.request(1, front)
    declined = await world.service.decline(request.request_id, by_user_id=2)
    assert declined.status == "declined"
    assert (await world.service.suggest(GUILD, 1)).suggestions == []
    assert (await world.service.suggest(GUILD, 2)).suggestions == []
    with pytest.raises(NotAMatch, match="declined"):
        await world.service.request(1, front)
    with pytest.raises(RequestClosed, match="already declined"):
        await world.service.accept(request.request_id, by_user_id=2)
    assert back


async def test_expiry_on_click_and_by_sweep(world: World) -> None:
    await world.learner(1, "backend")
    front = await world.learner(2, "frontend")
    request = await world.service.request(1, front)
    world.clock.current = START + timedelta(hours=24, seconds=1)
    with pytest.raises(RequestClosed, match="expired"):
        await world.service.accept(request.request_id, by_user_id=2)
    expired = await world.service.expire_requests(world.clock.now())
    assert [r.request_id for r in expired] == [request.request_id]
    assert expired[0].requester.user_id == 1
    assert await world.service.expire_requests(world.clock.now()) == []


async def test_same_role_full_and_past_partner_requests_refused(world: World) -> None:
    await world.learner(1, "backend")
    other_back = await world.learner(3, "backend")
    with pytest.raises(NotAMatch, match="same track"):
        await world.service.request(1, other_back)
    front = await world.learner(2, "frontend")
    request = await world.service.request(1, front)
    await world.service.accept(request.request_id, by_user_id=2)
    with pytest.raises(NoRoom, match="just paired"):
        await world.service.request(3, front)
    await world.service.unpair(GUILD, 1, "schedule clash")
    with pytest.raises(NotAMatch, match="already been partners"):
        await world.service.request(1, front)


async def test_unpair_gives_priority_and_ends_thread_link(world: World) -> None:
    back = await world.learner(1, "backend")
    front = await world.learner(2, "frontend")
    request = await world.service.request(1, front)
    pairing = (await world.service.accept(request.request_id, by_user_id=2)).pairing
    await world.service.set_thread(pairing.pairing_id, 555)
    world.clock.current = START + timedelta(days=1)
    [ended] = await world.service.unpair(GUILD, 2, "moved to mobile")
    assert ended.thread_id == 555 and ended.end_reason == "moved to mobile"
    async with world.sessions() as session:
        for learner_id in (back, front):
            learner = await session.get(Learner, learner_id)
            assert learner is not None
            assert learner.partner_left_at == world.clock.now()
            assert learner.waiting_since == world.clock.now()
    with pytest.raises(NotPaired):
        await world.service.unpair(GUILD, 2, None)
    fresh_front = await world.learner(4, "frontend")
    [best] = (await world.service.suggest(GUILD, 1)).suggestions
    assert best.candidate.learner_id == fresh_front  # never the past partner


async def test_moderator_pair_overrides_capacity_but_not_rules(world: World) -> None:
    await world.learner(1, "backend")
    await world.learner(2, "frontend")
    await world.learner(3, "frontend")
    await world.learner(4, "frontend", project="job-board")
    first = await world.service.moderator_pair(GUILD, 1, 2, by_user_id=900)
    assert first.notes == [] and first.pairing.created_by == 900
    second = await world.service.moderator_pair(GUILD, 1, 3, by_user_id=900)
    assert "now has 2 partners" in second.notes[0]
    with pytest.raises(NotAMatch, match="already paired together"):
        await world.service.moderator_pair(GUILD, 1, 2, by_user_id=900)
    with pytest.raises(NotAMatch, match="not backend"):
        await world.service.moderator_pair(GUILD, 2, 1, by_user_id=900)
    with pytest.raises(NotAMatch, match="different projects"):
        await world.service.moderator_pair(GUILD, 1, 4, by_user_id=900)
    with pytest.raises(NotAMatch, match="hasn't announced"):
        await world.service.moderator_pair(GUILD, 1, 99, by_user_id=900)
    ended = await world.service.unpair(GUILD, 1, None, by_user_id=900)
    assert len(ended) == 2 and all(p.ended_at for p in ended)


async def test_waiting_list_told_once(world: World) -> None:
    waiter = await world.learner(1, "backend")
    await world.service.suggest(GUILD, 1)  # nobody yet: joins the waiting list
    newcomer = await world.learner(2, "frontend")
    match = await world.service.announced(GUILD, newcomer)
    assert match is not None
    assert [w.learner_id for w in match.waiters] == [waiter]
    assert match.newcomer.learner_id == newcomer
    assert await world.service.announced(GUILD, newcomer) is None  # re-announce: no new ping
    assert await world.count(WaitNotice) == 1
    same_track = await world.learner(3, "backend")
    assert await world.service.announced(GUILD, same_track) is None


async def test_fifty_concurrent_accepts_give_one_pairing(world: World) -> None:
    front = await world.learner(1000, "frontend")
    requests = []
    for user in range(1, 51):
        await world.learner(user, "backend")
        requests.append(await world.service.request(user, front))

    async def accept(request_id: int) -> str:
        try:
            await world.service.accept(request_id, by_user_id=1000)
        except RequestClosed as error:
            return error.message
        return "paired"

    outcomes = await asyncio.gather(*(accept(r.request_id) for r in requests))
    assert outcomes.count("paired") == 1
    assert all("withdrawn" in o for o in outcomes if o != "paired")
    assert await world.count(Pairing, Pairing.ended_at.is_(None)) == 1
    assert await world.count(PairRequest, PairRequest.status == "pending") == 0


async def test_concurrent_accepts_for_one_requester_respect_capacity(world: World) -> None:
    await world.settings(max_partners=2)
    await world.learner(1, "backend")
    fronts = [await world.learner(100 + i, "frontend") for i in range(5)]
    requests = [await world.service.request(1, f) for f in fronts]

    async def accept(index: int) -> bool:
        try:
            await world.service.accept(requests[index].request_id, by_user_id=100 + index)
        except RequestClosed as error:
            assert "just paired with someone else" in error.message
            return False
        return True

    outcomes = await asyncio.gather(*(accept(i) for i in range(5)))
    assert outcomes.count(True) == 2
    assert await world.count(Pairing) == 2


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_database_short_list_gives_the_full_ranking(world: World, seed: int) -> None:
    """The suggestions equal ranking every stored candidate in Python."""
    import random

    from bot.domain.matching import rank
    from bot.services.matching_data import seeker_for
    from bot.services.matching_pool import candidate_pool

    rng = random.Random(seed)
    zones = ["Africa/Lagos", "Africa/Nairobi", "Africa/Cairo", "UTC-5", "Asia/Tokyo", None]
    await world.settings(max_partners=rng.choice([1, 2]), timezone="Africa/Accra")
    for user in range(1, 121):
        started = START - timedelta(hours=rng.randint(0, 400))
        await world.learner(
            user,
            rng.choice(["backend", "frontend"]),
            timezone=rng.choice(zones),
            waiting_since=started if rng.random() < 0.5 else None,
            partner_left_at=START - timedelta(hours=3) if rng.random() < 0.1 else None,
            active=rng.random() > 0.05,
        )
    for user in rng.sample(range(1, 121), 40):  # requests pending, some pairings formed
        try:
            found = await world.service.suggest(GUILD, user)
        except NoRoom:
            continue
        if found.suggestions:
            pick = rng.choice(found.suggestions).candidate
            try:
                request = await world.service.request(user, pick.learner_id)
            except NotAMatch:  # they asked first: a request stands between them already
                continue
            if rng.random() < 0.3:
                await world.service.accept(request.request_id, pick.user_id)
                if rng.random() < 0.5:  # ended: a past partner, never proposed again
                    await world.service.unpair(GUILD, user, None)
    world.clock.current = START + timedelta(hours=5)
    checked = 0
    for user in range(1, 121):
        try:
            result = await world.service.suggest(GUILD, user, limit=3)
        except (NoRoom, NotAnnounced):
            continue
        async with world.sessions() as session:
            config = await session.get(GuildConfig, GUILD)
            learner = await session.scalar(select(Learner).where(Learner.user_id == user))
            assert config is not None and learner is not None
            seeker = await seeker_for(session, learner, config)
            pool = await candidate_pool(session, config, learner)
        expected = rank(
            seeker, pool, now=world.clock.now(), max_partners=config.max_partners, limit=3
        )
        assert result.suggestions == expected
        checked += 1
    assert checked > 50


async def test_short_list_sees_time_zones_set_after_an_earlier_call(world: World) -> None:
    from bot.domain.matching import rank
    from bot.services.matching_data import seeker_for
    from bot.services.matching_pool import candidate_pool

    await world.learner(1, "backend")
    for user in range(2, 12):
        await world.learner(user, "frontend", waiting_since=START - timedelta(hours=user))
    await world.service.suggest(GUILD, 1, limit=2)
    for user in range(20, 32):  # long-waiting, but far away: must not crowd the list
        zone = "Asia/Kolkata" if user % 2 else "America/Sao_Paulo"
        await world.learner(
            user, "frontend", timezone=zone, waiting_since=START - timedelta(days=9)
        )
    result = await world.service.suggest(GUILD, 1, limit=2)
    async with world.sessions() as session:
        config = await session.get(GuildConfig, GUILD)
        learner = await session.scalar(select(Learner).where(Learner.user_id == 1))
        assert config is not None and learner is not None
        pool = await candidate_pool(session, config, learner)
        expected = rank(await seeker_for(session, learner, config), pool, now=START, limit=2)
    assert result.suggestions == expected


@pytest.mark.parametrize("max_partners", [1, 2])
async def test_short_list_reads_each_group_from_the_queue_index(
    world: World, max_partners: int
) -> None:
    """No candidate is scored or sorted in SQL: each group's arm is a range of the index."""
    from bot.services.matching_pool import short_list

    statement = short_list(3, max_partners == 1)
    parameters = {
        "guild_id": GUILD,
        "project_id": world.projects["ecommerce"],
        "role": "frontend",
        "k": 5,
        "max_partners": max_partners,
        **{f"zone{i}": zone for i, zone in enumerate(["Africa/Cairo", "Africa/Lagos", "UTC"])},
    }
    async with world.sessions() as session:
        connection = await session.connection()
        if connection.dialect.name != "sqlite":
            pytest.skip("the plan is checked on SQLite")
        sent: list[tuple[str, Any]] = []

        def capture(*args: Any) -> None:
            sent.append((args[2], args[3]))  # the statement and its parameters, as sent

        event.listen(connection.sync_connection, "before_cursor_execute", capture)
        await connection.execute(statement, parameters)
        event.remove(connection.sync_connection, "before_cursor_execute", capture)
        ((sql, values),) = sent
        plan = [
            row[-1] for row in await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", values)
        ]
    arms = [step for step in plan if "ix_learners_queue" in step]
    assert len(arms) == 2 * (3 + 1), plan  # 3 zones and none, left or not
    assert not any("TEMP B-TREE FOR ORDER BY" in step for step in plan), plan


async def test_the_groups_time_zones_are_read_one_seek_each(world: World) -> None:
    from sqlalchemy import text

    from bot.services.matching_pool import GROUP_ZONES

    for user, zone in enumerate(["UTC", None, "Africa/Lagos", "UTC", "Asia/Tokyo"], start=1):
        await world.learner(user, "frontend", timezone=zone)
    await world.learner(9, "backend", timezone="Europe/Paris")  # the other track: not listed
    group = {"guild_id": GUILD, "project_id": world.projects["ecommerce"], "role": "frontend"}
    async with world.sessions() as session:
        zones = [row[0] for row in await session.execute(GROUP_ZONES, group)]
        assert zones == ["Africa/Lagos", "Asia/Tokyo", "UTC"]
        connection = await session.connection()
        if connection.dialect.name == "sqlite":
            plan = await session.execute(text(f"EXPLAIN QUERY PLAN {GROUP_ZONES.text}"), group)
            steps = [row[-1] for row in plan]
            assert all("COVERING INDEX ix_learners_queue" in s for s in steps if "learners" in s)


async def test_hot_reads_give_what_a_session_gives(world: World, services: Services) -> None:
    """Each statement read on the loop's own connection (compiled once, run without
    SQLAlchemy's execution machinery on SQLite) returns the rows a session returns: the same
    values (datetimes in UTC, booleans, None) under the same column names."""
    from sqlalchemy import TextClause

    from bot.services.learners import PROFILE
    from bot.services.matching_data import HISTORY, PENDING_INVITES, SEEKER
    from bot.services.matching_pool import GROUP_ZONES, PARTNER_COUNTS, short_list

    ids = {}
    for user in range(1, 9):
        ids[user] = await world.learner(
            user,
            "backend" if user % 2 else "frontend",
            timezone=[None, "Africa/Lagos", "UTC"][user % 3],
            waiting_since=START - timedelta(hours=user) if user % 4 else None,
            partner_left_at=START - timedelta(days=1) if user == 6 else None,
        )
    paired = await world.service.request(1, ids[2])
    await world.service.accept(paired.request_id, 2)
    await world.service.unpair(GUILD, 1, None)
    await world.service.request(3, ids[4])
    declined = await world.service.request(5, ids[6])
    await world.service.decline(declined.request_id, 6)
    group = {"guild_id": GUILD, "project_id": world.projects["ecommerce"], "role": "frontend"}
    zones = {f"zone{i}": zone for i, zone in enumerate(["Africa/Lagos", "UTC"])}
    cases: list[tuple[Any, dict[str, Any]]] = [
        (PROFILE, {"guild_id": GUILD, "user_id": 1}),
        (PROFILE, {"guild_id": GUILD, "user_id": 999}),
        (SEEKER, {"guild_id": GUILD, "user_id": 6}),
        (HISTORY, {"learner_id": ids[1]}),
        (HISTORY, {"learner_id": ids[5]}),
        (PENDING_INVITES, {"guild_id": GUILD}),
        (GROUP_ZONES, group),
        (short_list(2, True), {**group, **zones, "k": 3, "max_partners": 1}),
        (short_list(2, False), {**group, **zones, "k": 3, "max_partners": 2}),
        (PARTNER_COUNTS, {"ids": list(ids.values())}),
    ]
    reads = services.reads
    seen_rows = 0
    for statement, parameters in cases:
        async with world.sessions() as session:
            expected = (await session.execute(statement, parameters)).all()
        got = await reads.rows(statement, parameters)
        assert [tuple(row) for row in got] == [tuple(row) for row in expected], statement
        if expected and not isinstance(statement, TextClause):
            names = list(expected[0]._fields)
            assert [getattr(got[0], name) for name in names] == list(expected[0]), names
        seen_rows += len(expected)
    assert seen_rows > 10


async def test_a_long_short_list_is_read_through_the_pool(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many pending requests make every group's list long: then it is not read on the event
    loop, and the suggestions are the same."""
    await world.learner(1, "backend")
    for user in range(2, 8):
        await world.learner(user, "frontend", waiting_since=START - timedelta(hours=user))
    on_loop = await world.service.suggest(GUILD, 1, limit=3)
    reads = world.service._reads
    calls: list[bool] = []
    original = reads.rows

    async def spy(statement: Any, parameters: Any = None, *, bounded: bool = True) -> Any:
        calls.append(bounded)
        return await original(statement, parameters, bounded=bounded)

    monkeypatch.setattr(reads, "rows", spy)
    monkeypatch.setattr("bot.services.matching_pool.LOOP_ENTRIES", 0)
    through_pool = await world.service.suggest(GUILD, 1, limit=3)
    assert through_pool.suggestions == on_loop.suggestions
    assert calls.count(False) == 1  # the short list; the seeker's rows stay on the loop
