"""LearnerService and CatalogService: what is stored, matched, exported and erased."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.db.models import (
    Delivery,
    Learner,
    LearnFeedback,
    Pairing,
    PairRequest,
    Project,
    WaitNotice,
)
from bot.domain.learners import AnnounceOutcome, PostLocation, profile_changes
from bot.errors import InvalidInput, NotAnnounced, NotConfigured, UnknownProject
from bot.services.container import Services
from bot.services.guilds import SetupRoles
from tests.services.conftest import GUILD, StepClock


async def announce(
    services: Services, user_id: int, project: str, role: str, **options: str
) -> AnnounceOutcome:
    changes = profile_changes(
        project, role, options.get("summary"), options.get("repo"), options.get("timezone")
    )
    return await services.learners.announce(GUILD, user_id, f"user{user_id}", changes)


async def count(services: Services, model: type) -> int:
    async with services.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_setup_seeds_the_catalog_once(services: Services) -> None:
    assert [e.key for e in await services.catalog.entries(GUILD)][:2] == ["ecommerce", "job-board"]
    await services.catalog.remove(GUILD, "Job Board Platform")
    await services.guilds.setup(GUILD, 2001, SetupRoles(), by_user=1)  # setup again
    keys = [e.key for e in await services.catalog.entries(GUILD)]
    assert "job-board" not in keys and len(keys) == 4


async def test_both_titles_meet_and_still_looking_is_reported(services: Services) -> None:
    first = await announce(services, 1, "E-Commerce Backend", "backend")
    assert first.first_time and first.looking.count == 0
    assert first.give_role_id == 11 and first.remove_role_id == 12
    second = await announce(services, 2, "Dynamic E-Commerce Product Catalog", "frontend")
    assert second.looking.count == 1 and second.looking.first[0].user_id == 1
    assert second.announcement.project.name == "E-Commerce"


async def test_paired_and_departed_learners_are_not_looking(
    services: Services, clock: StepClock
) -> None:
    await announce(services, 1, "ecommerce", "backend")
    await announce(services, 2, "ecommerce", "backend")
    await announce(services, 3, "ecommerce", "backend")
    async with services.sessions.begin() as session:
        ids = {row.user_id: row.id for row in (await session.scalars(select(Learner))).all()}
        partner = Learner(
            guild_id=GUILD,
            user_id=9,
            display_name="p",
            first_seen_at=clock.now(),
            updated_at=clock.now(),
        )
        session.add(partner)
        await session.flush()
        session.add(
            Pairing(
                guild_id=GUILD, backend_id=ids[1], frontend_id=partner.id, created_at=clock.now()
            )
        )
    assert await services.learners.set_present(GUILD, 2, False) == ids[2]
    outcome = await announce(services, 4, "ecommerce", "frontend")
    assert [p.user_id for p in outcome.looking.first] == [3]
    assert await services.learners.set_present(GUILD, 2, True) == ids[2]
    outcome = await announce(services, 4, "ecommerce", "frontend")
    assert [p.user_id for p in outcome.looking.first] == [2, 3]


async def test_unknown_project_stores_nothing(services: Services) -> None:
    with pytest.raises(UnknownProject, match="Did you mean `Social Media Feed Backend`"):
        await announce(services, 1, "social", "backend")
    assert await count(services, Learner) == 0


async def test_custom_project_when_allowed(services: Services) -> None:
    await services.guilds.update_settings(GUILD, {"allow_custom_projects": True})
    outcome = await announce(services, 1, "Recipe Sharing Hub", "backend")
    assert outcome.custom_created and outcome.announcement.project.custom
    again = await announce(services, 2, "recipe sharing hub", "frontend")
    assert not again.custom_created and again.looking.count == 1
    assert [c.value for c in services.catalog.suggest(GUILD, "recipe")] == ["Recipe Sharing Hub"]


async def test_reannounce_keeps_left_out_options_and_dash_clears(services: Services) -> None:
    await announce(
        services,
        1,
        "Job Board Backend",
        "backend",
        summary="Django + DRF",
        repo="https://github.com/a/b",
        timezone="Africa/Lagos",
    )
    outcome = await announce(services, 1, "Job Board Backend", "frontend")
    card = outcome.announcement
    assert not outcome.first_time
    assert (card.role, card.summary, card.repo, card.timezone) == (
        "frontend",
        "Django + DRF",
        "https://github.com/a/b",
        "Africa/Lagos",
    )
    assert outcome.give_role_id == 12 and outcome.remove_role_id == 11
    card = (
        await announce(services, 1, "Job Board Backend", "frontend", summary="-", repo="-")
    ).announcement
    assert card.summary is None and card.repo is None


async def test_timezone_defaults_to_the_servers(services: Services) -> None:
    await services.guilds.update_settings(GUILD, {"timezone": "Africa/Nairobi"})
    card = (await announce(services, 1, "Job Board Backend", "backend")).announcement
    assert card.timezone == "Africa/Nairobi" and card.timezone_is_server_default


async def test_before_setup(services: Services) -> None:
    changes = profile_changes("ecommerce", "backend", None, None, None)
    with pytest.raises(NotConfigured):
        await services.learners.announce(999, 1, "x", changes)
    with pytest.raises(NotConfigured):
        await services.learners.profile(999, 1, viewer_id=1)
    with pytest.raises(NotConfigured):
        await services.learners.export(999, 1)


async def test_profile_of_someone_who_never_announced(services: Services) -> None:
    await services.learners.set_reminders(GUILD, 5, "five", "dm")
    with pytest.raises(NotAnnounced, match="You haven't"):
        await services.learners.profile(GUILD, 5, viewer_id=5)
    with pytest.raises(NotAnnounced, match="<@5> hasn't"):
        await services.learners.profile(GUILD, 5, viewer_id=6)


async def _story(services: Services, clock: StepClock) -> dict[int, int]:
    """Learner 1 paired with 2, a request from 3, a notice, a delivery and a vote."""
    for user, role in ((1, "backend"), (2, "frontend"), (3, "frontend")):
        await announce(services, user, "ecommerce", role)
    async with services.sessions.begin() as session:
        ids = {row.user_id: row.id for row in (await session.scalars(select(Learner))).all()}
        now = clock.now()
        session.add(Pairing(guild_id=GUILD, backend_id=ids[1], frontend_id=ids[2], created_at=now))
        session.add(
            PairRequest(
                guild_id=GUILD,
                requester_id=ids[3],
                invitee_id=ids[1],
                created_at=now,
                expires_at=now,
            )
        )
        session.add(WaitNotice(waiter_id=ids[3], newcomer_id=ids[1], created_at=now))
        session.add(
            LearnFeedback(guild_id=GUILD, user_id=1, slug="django", helpful=True, created_at=now)
        )
    await services.learners.record_post(ids[1], PostLocation(2000, 777))
    return ids


async def test_export_has_everything_about_the_caller(services: Services, clock: StepClock) -> None:
    await _story(services, clock)
    document = await services.learners.export(GUILD, 1)
    assert document["profile"]["user_id"] == 1 and document["project"]["name"] == "E-Commerce"
    assert document["pairings"][0]["frontend"]["user_id"] == 2  # people, not row ids
    assert document["pair_requests"][0]["from"]["user_id"] == 3
    assert document["wait_notices"][0]["waiting"]["user_id"] == 3
    assert document["learn_feedback"][0]["article"] == "django"
    assert document["reminder_deliveries"] == []
    assert document["exported_at"].startswith("2026-03-02T09:00")


async def test_erase_removes_everything_and_frees_the_partner(
    services: Services, clock: StepClock
) -> None:
    ids = await _story(services, clock)
    erasure = await services.learners.erase(GUILD, 1)
    assert erasure.post is not None and erasure.post.message_id == 777
    assert erasure.freed_partner_ids == (ids[2],)
    assert erasure.removed == {
        "pair_requests": 1,
        "pairings": 1,
        "wait_notices": 1,
        "profile": 1,
        "learn_feedback": 1,
    }
    for model in (Pairing, PairRequest, WaitNotice, LearnFeedback, Delivery):
        assert await count(services, model) == 0
    async with services.sessions() as session:
        partner = await session.get(Learner, ids[2])
        assert partner is not None and partner.partner_left_at == clock.now()
        assert await session.scalar(select(Learner).where(Learner.user_id == 1)) is None
    assert (await services.learners.erase(GUILD, 1)).removed == {}


async def test_catalog_add_conflicts_and_revive(services: Services) -> None:
    with pytest.raises(InvalidInput, match="`shop` already leads to `E-Commerce`"):
        await services.catalog.add(GUILD, 1, "Shop Two", aliases="shop")
    added = await services.catalog.add(GUILD, 1, "Library Management", aliases="library, books")
    assert services.catalog.suggest(GUILD, "librar")[0].value == "Library Management"
    with pytest.raises(InvalidInput, match="already in the catalog"):
        await services.catalog.add(GUILD, 1, "library management!")
    removal = await services.catalog.remove(GUILD, "books")
    assert removal.entry.key == added.key and services.catalog.suggest(GUILD, "librar") == []
    await services.catalog.add(GUILD, 1, "Library Management")
    async with services.sessions() as session:
        assert (
            await session.scalar(
                select(func.count()).select_from(Project).where(Project.key == added.key)
            )
            == 1
        )


async def test_removed_project_cannot_be_announced(services: Services) -> None:
    await services.catalog.remove(GUILD, "Movie Recommendation App")
    with pytest.raises(UnknownProject):
        await announce(services, 1, "movie app", "backend")
