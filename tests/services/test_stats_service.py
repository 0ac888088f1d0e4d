from __future__ import annotations

import csv
import io

import pytest

from bot.db.engine import Sessions
from bot.db.models import Project
from bot.errors import InvalidInput, NotConfigured
from bot.services.stats import StatsService
from tests.services.conftest import GUILD, FakeClock
from tests.services.seed import seed_cohort


@pytest.fixture
async def stats(sessions: Sessions, clock: FakeClock) -> StatsService:
    await seed_cohort(sessions, GUILD, clock.now())
    return StatsService(sessions, clock)


async def test_overview_counts_by_project_and_role(stats: StatsService) -> None:
    report = await stats.overview(GUILD)
    rows = {r.project: r for r in report.rows}
    shop = rows["E-Commerce"].roles
    assert (shop["backend"].paired, shop["backend"].waiting, shop["backend"].on_list) == (1, 1, 1)
    assert (shop["frontend"].paired, shop["frontend"].waiting) == (1, 0)
    jobs = rows["Job Board"].roles  # the pairing ended, the inactive learner doesn't count
    assert (jobs["backend"].announced, jobs["backend"].waiting) == (1, 1)
    assert (jobs["frontend"].announced, jobs["frontend"].waiting) == (1, 1)
    assert rows["Movie App"].announced == 0
    assert (report.total.announced, report.total.paired, report.total.waiting) == (5, 2, 3)
    assert report.active_pairings == 1
    assert [(m.query, m.count) for m in report.misses] == [("flutter", 9), ("kubernetes", 4)]


async def test_overview_for_one_project_by_key_title_or_alias(stats: StatsService) -> None:
    for name in ("ecommerce", "Dynamic E-Commerce Product Catalog", "shop", "e-commerce"):
        report = await stats.overview(GUILD, name)
        assert report.project == "E-Commerce"
        assert [r.project for r in report.rows] == ["E-Commerce"]
        assert report.total.announced == 3
        assert report.active_pairings == 1
        assert report.misses == []
    report = await stats.overview(GUILD, "job-board")
    assert report.active_pairings == 0


async def test_unknown_project_or_server(stats: StatsService) -> None:
    with pytest.raises(InvalidInput, match="no project called"):
        await stats.overview(GUILD, "Space Station")
    with pytest.raises(NotConfigured):
        await stats.overview(999)


async def test_project_choices_match_names_titles_and_aliases(stats: StatsService) -> None:
    assert await stats.project_choices(GUILD, "") == [
        ("E-Commerce", "ecommerce"),
        ("Job Board", "job-board"),
        ("Movie App", "movies"),
    ]
    assert await stats.project_choices(GUILD, "platform") == [("Job Board", "job-board")]
    assert await stats.project_choices(GUILD, "shop") == [("E-Commerce", "ecommerce")]


async def test_export_writes_every_learner_and_pairing(stats: StatsService) -> None:
    files = await stats.export(GUILD)
    learners = list(csv.DictReader(io.StringIO(files.learners_csv)))
    pairings = list(csv.DictReader(io.StringIO(files.pairings_csv)))
    assert files.learners == len(learners) == 7
    assert files.pairings == len(pairings) == 2
    wanjiku = learners[0]
    assert wanjiku["display_name"] == "Wanjiku"
    assert wanjiku["project"] == "E-Commerce"
    assert wanjiku["summary"] == "'=SUM(A1:A9)"
    assert wanjiku["timezone"] == "Africa/Nairobi"
    assert wanjiku["active"] == "true"
    assert learners[5]["announced_at"] == "" and learners[5]["project"] == ""
    assert pairings[0]["backend_name"] == "Wanjiku" and pairings[0]["frontend_name"] == "Tobi"
    assert pairings[0]["ended_at"] == ""
    assert pairings[1]["end_reason"] == "'-partner left"
    assert pairings[1]["project"] == "Job Board"


async def test_project_choices_refresh_after_a_minute(
    stats: StatsService, sessions: Sessions, clock: FakeClock
) -> None:
    await stats.project_choices(GUILD, "")
    async with sessions.begin() as session:
        session.add(Project(guild_id=GUILD, key="polls", name="Polls", created_at=clock.now()))
    assert ("Polls", "polls") not in await stats.project_choices(GUILD, "")
    clock.advance(seconds=61)
    assert ("Polls", "polls") in await stats.project_choices(GUILD, "")
