"""One cohort's first week, played as a story through the fake Discord, checking what every
message the bot sent says: nothing invites an action with nobody behind it, no absolute time
appears outside a Discord timestamp, and no DM asks for a server-only command."""

from __future__ import annotations

import re

from tests.e2e.harness import Nexus
from tests.e2e.test_first_week import at, lagos, learner, reminders_in, start_cohort, week
from tests.e2e.test_matching import button
from tests.fakediscord import Member, Message

__all__ = ["week"]  # the fixture, imported for this module

TIMESTAMP = re.compile(r"<t:\d+(?::[tTdDfFR])?>")
CLOCK_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")


def everything(nexus: Nexus, members: list[Member]) -> list[tuple[str, Message]]:
    """Every message the bot sent: channels, threads (ephemeral replies too) and DMs."""
    channels = [nexus.channel, nexus.mod_log, *nexus.fake.threads(nexus.guild)]
    found = [
        ("channel", m) for c in channels for m in nexus.fake.messages(c, include_ephemeral=True)
    ]
    found += [("dm", m) for member in members for m in nexus.fake.dms(member)]
    return found


def check_wording(where: str, message: Message) -> None:
    text = message.text
    bare = TIMESTAMP.sub("", text)
    assert not CLOCK_TIME.search(bare), f"a time outside a Discord timestamp: {text!r}"
    assert "UTC)" not in bare, text
    if "press a button" in text.lower() or "press the button" in text.lower():
        assert message.custom_ids(), f"a button promised, none attached: {text!r}"
    for line in text.splitlines():
        if "still looking on your project:" in line:
            assert "**" in line.split("still looking on your project:")[1], line
    if where == "dm":
        for command in ("/find-partner", "/announce-project", "/learn", "/reminders"):
            assert command not in text, f"a DM asks for a server-only command: {text!r}"
        if "**Announce**" in text:
            assert any(c.startswith("nexus:announce:open:") for c in message.custom_ids()), text
        if "**Learn**" in text:
            assert any(c.startswith("nexus:learn:topics:") for c in message.custom_ids()), text
        if "**Reminders**" in text:
            assert any(c.startswith("nexus:reminders:") for c in message.custom_ids()), text


async def test_the_first_week_as_one_story(week: Nexus) -> None:
    ada = await learner(week, "ada", project="E-Commerce Backend", role="backend")
    kofi = await learner(week, "kofi")
    bola = await learner(week, "bola", reminders="dm")
    await start_cohort(week)

    # Day 1: the welcome pings only who hasn't announced; ada is already on the waiting list
    await at(week, lagos(1))
    [welcome] = reminders_in(week)
    assert welcome.pinged_users == [kofi.id]
    assert any("Welcome" in m.text for m in week.fake.dms(bola))

    # Day 2: wanjiku announces; ada (waiting since she announced) and wanjiku are both told
    await at(week, lagos(2, 10))
    wanjiku = await learner(
        week, "wanjiku", project="Dynamic E-Commerce Product Catalog", role="frontend"
    )
    told = await week.fake.wait_for_dm(ada, lambda m: "just announced" in m.text)
    assert told.custom_ids()

    # Day 3: the nudge to announce reaches kofi (channel) and bola (DM)
    await at(week, lagos(3))
    nudge = reminders_in(week)[1]
    assert nudge.pinged_users == [kofi.id]

    # Day 4: wanjiku presses "Ask to pair" on ada's public card; ada accepts from her DM
    await at(week, lagos(4, 12))
    card = next(m for m in week.posts() if ada.mention in m.text and m.embeds)
    sent = await week.fake.click(wanjiku, card, button(card, "nexus:card:ask:"))
    assert "Request sent" in (await sent.wait_final()).text
    invite = await week.fake.wait_for_dm(ada, lambda m: "would like to pair" in m.text)
    accepted = await week.fake.click(ada, invite, button(invite, "nexus:req:accept:"))
    await accepted.wait_final()
    [thread] = week.fake.threads(week.guild)
    chidi = await learner(week, "chidi", project="Job Board Backend", role="backend")

    # Day 5: chidi has nobody: the nudge says he is on the waiting list (and he is)
    await at(week, lagos(5))
    partner = reminders_in(week)[2]
    assert partner.pinged_users == [chidi.id] and "waiting list" in partner.text

    # Day 6: 48 h after pairing, the thread gets its check-in; ada says they've met
    await at(week, lagos(6, 12))
    checkin = await week.fake.wait_for_message(thread, lambda m: "quick check-in" in m.text)
    met = await week.fake.click(ada, checkin, button(checkin, "nexus:checkin:met:"))
    assert "met" in met.text

    # Day 7: the moderators' wrap-up
    await at(week, lagos(7))
    [summary] = reminders_in(week, week.mod_log)
    assert "First week wrap-up" in summary.text and summary.pinged_users == []
    show = await week.invoke("mod", "nexus cohort show")
    assert "Status: **finished**" in show.text

    members = [ada, kofi, bola, wanjiku, chidi]
    messages = everything(week, members)
    assert len(messages) > 15
    for where, message in messages:
        check_wording(where, message)
