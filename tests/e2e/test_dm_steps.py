"""A reminder DM never asks for a server-only command: the day-1 welcome by DM carries
**Learn** (topics and articles read in the DM) and **Reminders: channel / DM / off** (the
setting for the server in the button), and they keep working after a restart."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import Learner
from tests.e2e.harness import Nexus
from tests.e2e.test_announce_form import custom_id
from tests.e2e.test_first_week import at, lagos, learner, reminders_in, restart, start_cohort, week
from tests.fakediscord import InteractionResult, Member, Message
from tests.fakediscord.util import iter_components

__all__ = ["week"]  # the fixture, imported for this module


def ids_of(result: InteractionResult) -> list[str]:
    return [str(c["custom_id"]) for c in iter_components(result.components) if "custom_id" in c]


async def reminder_setting(nexus: Nexus, member: Member) -> str:
    async with nexus.session() as session:
        row = await session.scalar(select(Learner).where(Learner.user_id == member.id))
        assert row is not None
        return row.reminders


async def welcome_dm(week: Nexus, member: Member) -> Message:
    await start_cohort(week)
    await at(week, lagos(1))
    [welcome] = [m for m in week.fake.dms(member) if "Welcome" in m.text]
    return welcome


async def test_the_welcome_dm_names_buttons_not_commands(week: Nexus) -> None:
    kofi = await learner(week, "kofi")
    bola = await learner(week, "bola", reminders="dm")
    welcome = await welcome_dm(week, bola)
    for command in ("/announce-project", "/learn", "/reminders"):
        assert command not in welcome.text, (command, welcome.text)
    assert "**Learn** (the button below)" in welcome.text
    assert "Press a **Reminders** button below." in welcome.text
    guild = week.guild.id
    assert custom_id(welcome, "nexus:learn:topics:") == f"nexus:learn:topics:{guild}"
    assert {c for c in welcome.custom_ids() if c.startswith("nexus:reminders:")} == {
        f"nexus:reminders:{s}:{guild}" for s in ("on", "dm", "off")
    }
    # The channel version keeps the commands (they run there) and carries no DM buttons.
    [posted] = reminders_in(week)
    assert posted.pinged_users == [kofi.id]
    assert "`/learn`" in posted.text and "`/reminders`" in posted.text
    assert not posted.custom_ids()


async def test_learn_from_the_dm_lists_topics_and_opens_one_there(week: Nexus) -> None:
    bola = await learner(week, "bola", reminders="dm")
    welcome = await welcome_dm(week, bola)
    await restart(week)  # the state is in the custom id
    topics = await week.fake.click(bola, welcome, custom_id(welcome, "nexus:learn:topics:"))
    assert topics.embeds and "What earlier learners documented" in topics.embeds[0]["title"]
    listed = topics.embeds[0]["description"]
    assert "Django" in listed and "Docker" in listed
    menus = [c for c in iter_components(topics.components) if c.get("type") == 3]
    options = [o["value"] for m in menus for o in m["options"]]
    assert len(options) == len(set(options)) >= 20  # every article, 25 a menu
    slug = next(o for o in options if "docker" in o)
    menu = next(m for m in menus if any(o["value"] == slug for o in m["options"]))
    opened = await week.fake.select(bola, topics, menu["custom_id"], [slug])
    assert opened.embeds and "Docker" in opened.embeds[0]["title"], opened
    ids = ids_of(opened)
    assert not [c for c in ids if ":post:" in c or ":vote:" in c]  # server-only controls
    nexts = [c for c in ids if c.startswith("nx:learn:next:")]
    if nexts:  # paging in the DM keeps the DM's controls
        paged = await week.fake.click(bola, opened, nexts[0])
        assert "page 2/" in paged.embeds[0]["footer"]["text"]
        assert not [c for c in ids_of(paged) if ":post:" in c or ":vote:" in c]


async def test_reminders_buttons_change_the_setting_from_the_dm(week: Nexus) -> None:
    bola = await learner(week, "bola", reminders="dm")
    welcome = await welcome_dm(week, bola)
    await restart(week)
    off = await week.fake.click(bola, welcome, f"nexus:reminders:off:{week.guild.id}")
    assert "**off**" in off.text and week.guild.name in off.text
    assert "/reminders" not in off.text and "**Reminders** buttons" in off.text
    assert await reminder_setting(week, bola) == "off"
    on = await week.fake.click(bola, welcome, f"nexus:reminders:on:{week.guild.id}")
    assert "**on**" in on.text and await reminder_setting(week, bola) == "on"

    # Day 3: bola now gets the nudge in the channel, not by DM
    await at(week, lagos(3))
    assert [m for m in reminders_in(week) if bola.id in m.pinged_users]
    assert not [m for m in week.fake.dms(bola) if "haven't announced" in m.text]


async def test_a_dm_button_for_a_server_that_is_gone_says_where_it_runs(week: Nexus) -> None:
    bola = await learner(week, "bola", reminders="dm")
    welcome = await welcome_dm(week, bola)
    gone = 4242424242424242
    for component in iter_components(welcome.components):
        if str(component.get("custom_id", "")).startswith("nexus:reminders:off:"):
            component["custom_id"] = f"nexus:reminders:off:{gone}"
    refused = await week.fake.click(bola, welcome, f"nexus:reminders:off:{gone}")
    assert "no longer in that server" in refused.text
    assert "works in the server's channels" in refused.text
    assert await reminder_setting(week, bola) == "dm"
