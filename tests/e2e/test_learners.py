"""Learners through the fake Discord: /announce-project, /profile, /my-data, the catalog,
members leaving and coming back."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db.models import Learner, Pairing, PairRequest, Project
from tests.e2e.harness import Nexus, no_pings
from tests.fakediscord import InteractionResult, Member, Message
from tests.fakediscord.messaging import delete_message


async def announce(nexus: Nexus, who: str | Member, **options: Any) -> InteractionResult:
    """`/announce-project` as `who`, waiting for the reply (if it was deferred)."""
    reply = await nexus.invoke(who, "announce-project", **options)
    if reply.deferred:
        await reply.wait_final()
    return reply


def post_of(nexus: Nexus, who: str | Member) -> Message:
    """The one announcement of `who` in the Nexus channel."""
    member = who if isinstance(who, Member) else nexus.member(who)
    posts = [p for p in nexus.posts() if f"<@{member.id}>" in p.text]
    assert len(posts) == 1, [p.text[:60] for p in nexus.posts()]
    return posts[0]


async def learners(nexus: Nexus) -> int:
    async with nexus.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Learner)) or 0)


async def learner(nexus: Nexus, who: str | Member) -> Learner:
    user_id = who.id if isinstance(who, Member) else nexus.member(who).id
    async with nexus.session() as session:
        row = await session.scalar(select(Learner).where(Learner.user_id == user_id))
        assert row is not None
        return row


# ---------------------------------------------------------------- announce


async def test_announce_posts_a_readable_card_in_the_nexus_channel(nexus: Nexus) -> None:
    reply = await announce(
        nexus,
        "wanjiku",
        project="E-Commerce Backend",
        role="backend",
        summary="DRF API with JWT auth, filtering and Swagger docs",
        repo="https://github.com/wanjiku/alx-project-nexus",
        timezone="Africa/Nairobi",
    )
    assert reply.ephemeral and "You're announced" in reply.text
    assert "No frontend learner on this project is looking yet" in reply.text
    post = post_of(nexus, "wanjiku")
    assert not post.ephemeral
    for expected in (
        "wanjiku · E-Commerce",
        "Dynamic E-Commerce Product Catalog",  # the other track's title: it differs
        "DRF API with JWT auth",
        "github.com/wanjiku/alx-project-nexus",
        "Africa/Nairobi",
        "Looking for a frontend partner",
    ):
        assert expected in post.text, expected
    assert "E-Commerce Backend" not in post.text and "run it again" not in post.text
    assert "run `/announce-project` again" in reply.text.lower()  # the hint is private
    assert post.pinged_users == [] and not post.pinged_everyone
    assert nexus.member("wanjiku").has_role(nexus.backend_role)
    assert str(post.id) in reply.text  # "see your post" jump link


async def test_reannounce_edits_the_same_post(nexus: Nexus) -> None:
    await announce(nexus, "wanjiku", project="ecommerce", role="backend", summary="first plan")
    first = post_of(nexus, "wanjiku")
    reply = await announce(
        nexus, "wanjiku", project="ecommerce", role="backend", summary="second plan"
    )
    assert "Announcement updated" in reply.text
    assert len(nexus.posts()) == 1
    post = post_of(nexus, "wanjiku")
    assert post.id == first.id and post.edited
    assert "second plan" in post.text and "first plan" not in post.text


async def test_reannounce_after_the_post_was_deleted_posts_again(nexus: Nexus) -> None:
    await announce(nexus, "wanjiku", project="ecommerce", role="backend")
    old = post_of(nexus, "wanjiku")
    delete_message(nexus.fake.world, old)
    await announce(nexus, "wanjiku", project="ecommerce", role="backend", summary="again")
    post = post_of(nexus, "wanjiku")
    assert post.id != old.id and "again" in post.text
    assert (await learner(nexus, "wanjiku")).announcement_message_id == post.id


async def test_switching_role_swaps_the_track_roles(nexus: Nexus) -> None:
    await announce(nexus, "wanjiku", project="Job Board Backend", role="backend")
    member = nexus.member("wanjiku")
    assert member.has_role(nexus.backend_role) and not member.has_role(nexus.frontend_role)
    await announce(nexus, "wanjiku", project="Job Board Platform", role="frontend")
    assert member.has_role(nexus.frontend_role) and not member.has_role(nexus.backend_role)
    post = post_of(nexus, "wanjiku")
    assert "Looking for a backend partner" in post.text


async def test_both_titles_of_a_case_study_are_the_same_project(nexus: Nexus) -> None:
    await announce(nexus, "wanjiku", project="E-Commerce Backend", role="backend")
    await announce(nexus, "kofi", project="e-commerce api", role="backend")
    reply = await announce(
        nexus, "tobi", project="Dynamic E-Commerce Product Catalog", role="frontend"
    )
    wanjiku, kofi = nexus.member("wanjiku"), nexus.member("kofi")
    assert "**2** backend learners are looking" in reply.text
    assert f"<@{wanjiku.id}>" in reply.text and f"<@{kofi.id}>" in reply.text
    answer = [m for m in (reply.message, *reply.followups) if m is not None]
    assert answer and not any(m.pinged_users for m in answer)
    async with nexus.session() as session:
        projects = await session.scalars(select(Learner.project_id).distinct())
        assert len(projects.all()) == 1


async def test_announce_tells_the_matching_capability(nexus: Nexus) -> None:
    assert nexus.bot is not None
    seen: list[tuple[int, int]] = []

    async def on_nexus_announced(guild_id: int, learner_id: int) -> None:
        seen.append((guild_id, learner_id))

    nexus.bot.add_listener(on_nexus_announced)
    await announce(nexus, "wanjiku", project="ecommerce", role="backend")
    row = await learner(nexus, "wanjiku")
    await nexus.fake.flush()
    assert seen == [(nexus.guild.id, row.id)]


async def test_missing_manage_roles_is_a_note_not_a_crash(nexus: Nexus) -> None:
    nexus.guild.bot_permissions = nexus.guild.bot_permissions & ~(1 << 28)  # Manage Roles
    reply = await announce(nexus, "wanjiku", project="ecommerce", role="backend")
    assert "You're announced" in reply.text and "Manage Roles" in reply.text
    assert not nexus.member("wanjiku").has_role(nexus.backend_role)
    post_of(nexus, "wanjiku")


async def test_role_above_the_bot_is_a_note(nexus: Nexus) -> None:
    high = nexus.guild.add_role("Backend Guild", above_bot=True)
    await nexus.setup(backend_role=high)
    reply = await announce(nexus, "wanjiku", project="ecommerce", role="backend")
    assert "You're announced" in reply.text and "my role must be above it" in reply.text


async def test_nexus_channel_without_send_permission(nexus: Nexus) -> None:
    send_messages = 1 << 11
    nexus.guild.everyone_permissions = nexus.guild.everyone_permissions & ~send_messages
    nexus.guild.bot_permissions = nexus.guild.bot_permissions & ~send_messages
    reply = await announce(nexus, "wanjiku", project="ecommerce", role="backend")
    assert "couldn't post" in reply.text and nexus.posts() == []
    assert (await learner(nexus, "wanjiku")).announced_at is not None


# ---------------------------------------------------------------- autocomplete


async def test_project_autocomplete_forgives_typos(nexus: Nexus) -> None:
    wanjiku = nexus.member("wanjiku")
    choices = await nexus.fake.autocomplete(
        wanjiku, "announce-project", focused="project", value="movei recom"
    )
    names = [c["name"] for c in choices]
    assert set(names[:2]) == {"Movie Recommendation Backend", "Movie Recommendation App"}
    choices = await nexus.fake.autocomplete(
        wanjiku, "announce-project", focused="project", value="movei recom", role="frontend"
    )
    assert choices[0]["value"] == "Movie Recommendation App"


async def test_project_autocomplete_lists_the_catalog_and_aliases(nexus: Nexus) -> None:
    wanjiku = nexus.member("wanjiku")
    everything = await nexus.fake.autocomplete(
        wanjiku, "announce-project", focused="project", value=""
    )
    assert len(everything) == 10 and everything[0]["value"] == "E-Commerce Backend"
    shop = await nexus.fake.autocomplete(
        wanjiku, "announce-project", focused="project", value="shop"
    )
    assert {c["value"] for c in shop[:2]} == {
        "E-Commerce Backend",
        "Dynamic E-Commerce Product Catalog",
    }


async def test_timezone_autocomplete(nexus: Nexus) -> None:
    wanjiku = nexus.member("wanjiku")
    blank = await nexus.fake.autocomplete(wanjiku, "announce-project", focused="timezone", value="")
    assert blank[0]["value"] == "Africa/Lagos" and len(blank) <= 25
    typo = await nexus.fake.autocomplete(
        wanjiku, "announce-project", focused="timezone", value="nairbi"
    )
    assert typo[0]["value"] == "Africa/Nairobi"
    offset = await nexus.fake.autocomplete(
        wanjiku, "announce-project", focused="timezone", value="utc+1"
    )
    assert offset[0]["value"] == "UTC+1"


async def test_autocomplete_before_setup_is_empty(bare_nexus: Nexus) -> None:
    choices = await bare_nexus.fake.autocomplete(
        bare_nexus.member("wanjiku"), "announce-project", focused="project", value="ecom"
    )
    assert choices == []


# ---------------------------------------------------------------- bad input


async def test_unknown_project_gets_suggestions_and_stores_nothing(nexus: Nexus) -> None:
    reply = await announce(nexus, "wanjiku", project="social", role="backend")
    assert reply.ephemeral
    assert "is not a project in this server's catalog" in reply.text
    assert "Did you mean `Social Media Feed Backend` / `Dynamic Social Media Feed`?" in reply.text
    assert nexus.posts() == [] and await learners(nexus) == 0


async def test_unknown_project_becomes_custom_when_allowed(nexus: Nexus) -> None:
    await nexus.invoke("mod", "nexus settings", allow_custom_projects=True)
    reply = await announce(nexus, "wanjiku", project="Recipe Sharing Hub", role="backend")
    assert "is new: I added it as a custom project" in reply.text
    assert "a learner's own project idea" in post_of(nexus, "wanjiku").text
    reply = await announce(nexus, "tobi", project="recipe sharing hub", role="frontend")
    assert "**1** backend learner is looking" in reply.text
    choices = await nexus.fake.autocomplete(
        nexus.member("amara"), "announce-project", focused="project", value="recipe"
    )
    assert choices[0] == {"name": "Recipe Sharing Hub (custom)", "value": "Recipe Sharing Hub"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"repo": "http://github.com/x/y"}, "https://"),
        ({"repo": "github.com/x/y"}, "https://"),
        ({"repo": "https://github.com/" + "x" * 190}, "longer than 200"),
        ({"summary": "x" * 301}, "301 characters"),
        ({"timezone": "Mars/Olympus"}, "not a time zone I know"),
        ({"timezone": "UTC+15"}, "not a valid UTC offset"),
        ({"timezone": "Lagos Time"}, "Did you mean `Africa/Lagos`?"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_stored(
    nexus: Nexus, options: dict[str, str], message: str
) -> None:
    reply = await announce(nexus, "wanjiku", project="ecommerce", role="backend", **options)
    assert reply.ephemeral and message in reply.text
    assert nexus.posts() == [] and await learners(nexus) == 0
    assert not nexus.member("wanjiku").has_role(nexus.backend_role)


async def test_mentions_in_the_summary_ping_nobody(nexus: Nexus) -> None:
    tobi = nexus.member("tobi")
    summary = f"@everyone @here <@&{nexus.backend_role.id}> <@{tobi.id}> **shout** ~~x~~"
    with no_pings(nexus.fake):
        reply = await announce(
            nexus, "wanjiku", project="ecommerce", role="backend", summary=summary
        )
    assert "You're announced" in reply.text
    post = post_of(nexus, "wanjiku")
    assert not post.pinged_everyone and post.pinged_roles == [] and post.pinged_users == []
    description = post.embeds[0]["description"]
    assert "@everyone" not in description.replace("@\u200beveryone", "")
    assert f"<@&{nexus.backend_role.id}>" not in description
    assert "\\*\\*shout\\*\\*" in description


async def test_announce_before_setup(bare_nexus: Nexus) -> None:
    reply = await announce(bare_nexus, "wanjiku", project="ecommerce", role="backend")
    assert reply.ephemeral and "/nexus setup" in reply.text
    assert bare_nexus.posts() == []


# ---------------------------------------------------------------- profile


async def test_profile_of_self_is_private_and_complete(nexus: Nexus) -> None:
    await nexus.invoke("wanjiku", "reminders", setting="dm")
    await announce(
        nexus, "wanjiku", project="Movie Recommendation App", role="frontend", timezone="UTC+3"
    )
    reply = await nexus.invoke("wanjiku", "profile")
    assert reply.ephemeral
    for expected in ("Movie Recommendation", "frontend", "UTC+3", "Looking for a backend partner"):
        assert expected in reply.text
    assert "`dm`" in reply.text and "Jump to the post" in reply.text


async def test_profile_of_another_member(nexus: Nexus) -> None:
    await announce(nexus, "wanjiku", project="Online Poll System Backend", role="backend")
    reply = await nexus.invoke("tobi", "profile", member=nexus.member("wanjiku"))
    assert reply.ephemeral and "Online Poll System" in reply.text  # always private
    assert "Reminders" not in reply.text  # a private preference
    assert reply.message is not None and reply.message.pinged_users == []
    assert reply.message.custom_ids() == []  # tobi hasn't announced: no request to offer


async def test_profile_of_a_possible_partner_offers_the_request(nexus: Nexus) -> None:
    await announce(nexus, "wanjiku", project="ecommerce", role="backend")
    await announce(nexus, "tobi", project="ecommerce", role="frontend")
    await announce(nexus, "kemi", project="ecommerce", role="frontend")
    same_track = await nexus.invoke("tobi", "profile", member=nexus.member("kemi"))
    assert same_track.ephemeral and same_track.message is not None
    assert same_track.message.custom_ids() == []
    reply = await nexus.invoke("tobi", "profile", member=nexus.member("wanjiku"))
    assert reply.ephemeral and reply.message is not None
    [ask] = reply.message.custom_ids()
    assert ask.startswith("nexus:pair:ask:")
    sent = await nexus.fake.click(nexus.member("tobi"), reply, ask)
    assert "Request sent" in (await sent.wait_final()).text


async def test_profile_shows_partners(nexus: Nexus) -> None:
    await announce(nexus, "wanjiku", project="ecommerce", role="backend")
    await announce(nexus, "tobi", project="ecommerce", role="frontend")
    await pair(nexus, "wanjiku", "tobi")
    reply = await nexus.invoke("wanjiku", "profile")
    assert f"Paired with <@{nexus.member('tobi').id}>" in reply.text


async def test_profile_of_someone_who_never_announced(nexus: Nexus) -> None:
    tobi = nexus.member("tobi")
    reply = await nexus.invoke("wanjiku", "profile", member=tobi)
    assert reply.ephemeral and f"<@{tobi.id}> hasn't announced a project yet" in reply.text
    own = await nexus.invoke("wanjiku", "profile")
    assert own.ephemeral and "/announce-project" in own.text


# ---------------------------------------------------------------- my data


async def pair(nexus: Nexus, backend: str, frontend: str) -> None:
    b, f = await learner(nexus, backend), await learner(nexus, frontend)
    async with nexus.session() as session:
        session.add(
            Pairing(
                guild_id=nexus.guild.id,
                project_id=b.project_id,
                backend_id=b.id,
                frontend_id=f.id,
                created_at=nexus.clock.now(),
            )
        )


async def test_my_data_export_is_a_json_attachment(nexus: Nexus) -> None:
    await announce(nexus, "wanjiku", project="ecommerce", role="backend", summary="plan")
    reply = await nexus.invoke("wanjiku", "my-data", action="export")
    assert reply.ephemeral and reply.message is not None
    attachment = reply.message.attachments[0]
    assert attachment.filename.endswith(".json")
    document = json.loads(attachment.data)
    assert document["user_id"] == nexus.member("wanjiku").id
    assert document["profile"]["summary"] == "plan" and document["profile"]["role"] == "backend"
    assert document["project"]["name"] == "E-Commerce"
    assert document["pairings"] == [] and "reminder_deliveries" in document


async def test_my_data_export_names_people_and_the_server(nexus: Nexus) -> None:
    await announce(nexus, "wanjiku", project="ecommerce", role="backend")
    await announce(nexus, "tobi", project="ecommerce", role="frontend")
    await pair(nexus, "wanjiku", "tobi")
    w, t = await learner(nexus, "wanjiku"), await learner(nexus, "tobi")
    async with nexus.session() as session:
        now = nexus.clock.now()
        session.add(
            PairRequest(
                guild_id=nexus.guild.id,
                requester_id=w.id,
                invitee_id=t.id,
                project_id=w.project_id,
                status="accepted",
                created_at=now,
                expires_at=now,
            )
        )
    reply = await nexus.invoke("tobi", "my-data", action="export")
    assert reply.message is not None
    attachment = reply.message.attachments[0]
    assert attachment.filename == "nexus-my-data-alx-prodev-2026-11-02.json"
    document = json.loads(attachment.data)
    assert document["server"] == "ALX ProDev"
    wanjiku = {"name": "wanjiku", "user_id": nexus.member("wanjiku").id}
    tobi = {"name": "tobi", "user_id": nexus.member("tobi").id}
    [pairing] = document["pairings"]
    assert pairing["backend"] == wanjiku and pairing["frontend"] == tobi
    assert pairing["project"] == "E-Commerce"
    [request] = document["pair_requests"]
    assert {request["from"]["name"], request["to"]["name"]} == {"wanjiku", "tobi"}
    assert request["project"] == "E-Commerce" and request["status"] == "accepted"
    for row in [pairing, request, document["profile"]]:
        assert not {"id", "requester_id", "invitee_id", "backend_id", "project_id"} & set(row)


async def test_my_data_delete_after_confirm(nexus: Nexus) -> None:
    await announce(nexus, "wanjiku", project="ecommerce", role="backend")
    await announce(nexus, "tobi", project="ecommerce", role="frontend")
    await pair(nexus, "wanjiku", "tobi")
    await announce(nexus, "wanjiku", project="ecommerce", role="backend")  # re-render "paired"
    assert "Paired with" in post_of(nexus, "wanjiku").text
    wanjiku_post = post_of(nexus, "wanjiku")

    prompt = await nexus.invoke("tobi", "my-data", action="delete")
    assert prompt.ephemeral and "can't be undone" in prompt.text and prompt.message is not None
    erase = next(c for c in prompt.message.custom_ids() if c.startswith("nexus:mydata:erase"))
    done = await nexus.fake.click(nexus.member("tobi"), prompt, erase)
    await done.wait_final()
    assert "Done" in prompt.text and "profile (1)" in prompt.text and "pairings (1)" in prompt.text
    assert [p.id for p in nexus.posts()] == [wanjiku_post.id]  # tobi's post removed
    assert "Looking for a frontend partner" in post_of(nexus, "wanjiku").text
    async with nexus.session() as session:
        assert await session.scalar(select(func.count()).select_from(Pairing)) == 0
        assert (
            await session.scalar(select(Learner).where(Learner.user_id == nexus.member("tobi").id))
            is None
        )
        freed = await session.scalar(
            select(Learner).where(Learner.user_id == nexus.member("wanjiku").id)
        )
        assert freed is not None and freed.partner_left_at is not None


async def test_my_data_delete_can_be_cancelled_and_expires(nexus: Nexus) -> None:
    await announce(nexus, "wanjiku", project="ecommerce", role="backend")
    prompt = await nexus.invoke("wanjiku", "my-data", action="delete")
    assert prompt.message is not None
    keep = next(c for c in prompt.message.custom_ids() if c.startswith("nexus:mydata:keep"))
    await nexus.fake.click(nexus.member("wanjiku"), prompt, keep)
    assert "Nothing was deleted" in prompt.text and prompt.message.components == []

    late = await nexus.invoke("wanjiku", "my-data", action="delete")
    assert late.message is not None
    erase = next(c for c in late.message.custom_ids() if c.startswith("nexus:mydata:erase"))
    nexus.clock.advance(minutes=6)
    await nexus.fake.click(nexus.member("wanjiku"), late, erase)
    assert "expired" in late.text
    assert await learners(nexus) == 1 and len(nexus.posts()) == 1


async def test_my_data_before_setup(bare_nexus: Nexus) -> None:
    for action in ("export", "delete"):
        reply = await bare_nexus.invoke("wanjiku", "my-data", action=action)
        assert reply.ephemeral and "/nexus setup" in reply.text


# ---------------------------------------------------------------- members leaving


async def test_member_who_leaves_is_inactive_and_restored_on_return(nexus: Nexus) -> None:
    await announce(nexus, "wanjiku", project="ecommerce", role="backend")
    wanjiku = nexus.member("wanjiku")
    nexus.fake.remove_member(nexus.guild, wanjiku)
    await nexus.fake.wait_for_call("PATCH", "/channels/{channel_id}/messages/{message_id}")
    assert not (await learner(nexus, wanjiku)).active
    assert "Not in the server any more" in post_of(nexus, wanjiku).text
    reply = await announce(nexus, "tobi", project="ecommerce", role="frontend")
    assert "No backend learner on this project is looking yet" in reply.text

    nexus.fake.readd_member(nexus.guild, wanjiku)
    await nexus.fake.wait_for_call("PATCH", "/channels/{channel_id}/messages/{message_id}", count=2)
    assert (await learner(nexus, wanjiku)).active
    assert "Looking for a frontend partner" in post_of(nexus, wanjiku).text
    reply = await announce(nexus, "tobi", project="ecommerce", role="frontend")
    assert "**1** backend learner is looking" in reply.text


# ---------------------------------------------------------------- catalog commands


async def test_setup_seeds_the_catalog_and_says_so(bare_nexus: Nexus) -> None:
    reply = await bare_nexus.setup()
    assert "Project catalog: 5 projects" in reply.text
    listing = await bare_nexus.invoke("mod", "nexus projects list")
    assert listing.ephemeral and "5 projects" in listing.text
    assert "Interactive Online Polling Platform" in listing.text


async def test_moderators_manage_the_catalog(nexus: Nexus) -> None:
    added = await nexus.invoke(
        "mod",
        "nexus projects add",
        name="Library Management",
        aliases="library, books",
        description="Borrow and return books",
        backend_title="Library Management API",
        frontend_title="Library Portal",
    )
    assert added.ephemeral and "Project added" in added.text
    choices = await nexus.fake.autocomplete(
        nexus.member("wanjiku"), "announce-project", focused="project", value="librar"
    )
    assert {c["value"] for c in choices[:2]} == {"Library Management API", "Library Portal"}
    reply = await announce(nexus, "wanjiku", project="books", role="backend")
    assert "Library Management" in post_of(nexus, "wanjiku").text and "announced" in reply.text

    clash = await nexus.invoke("mod", "nexus projects add", name="Shop 2", aliases="shop")
    assert "`shop` already leads to `E-Commerce`" in clash.text

    removed = await nexus.invoke("mod", "nexus projects remove", project="Library Portal")
    assert "Removed **Library Management**" in removed.text and "1 learner" in removed.text
    refused = await announce(nexus, "tobi", project="Library Portal", role="frontend")
    assert "is not a project in this server's catalog" in refused.text


async def test_catalog_list_pages_stay_within_limits(nexus: Nexus) -> None:
    async with nexus.session() as session:
        for i in range(40):
            session.add(
                Project(
                    guild_id=nexus.guild.id,
                    key=f"extra-{i}",
                    name=f"Extra Project {i} " + "x" * 70,
                    description="d" * 500,
                    aliases=[f"alias {i} {'y' * 90}"] * 1,
                    custom=False,
                    active=True,
                    created_at=nexus.clock.now(),
                )
            )
    assert nexus.bot is not None
    await nexus.bot.services.catalog.reload(nexus.guild.id)
    listing = await nexus.invoke("mod", "nexus projects list")
    assert "45 projects" in listing.text and "Page 1/6" in listing.text
    assert listing.message is not None
    forward = listing.message.custom_ids()[1]
    await nexus.fake.click(nexus.mod, listing, forward)
    assert "Page 2/6" in listing.text
    assert nexus.fake.violations == []


async def test_learners_cannot_manage_the_catalog(nexus: Nexus) -> None:
    nexus.fake.enforce_command_visibility = False
    reply = await nexus.invoke("tobi", "nexus projects add", name="Sneaky")
    assert reply.ephemeral and "Only moderators" in reply.text
