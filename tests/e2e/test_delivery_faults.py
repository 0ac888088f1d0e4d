"""Reminder batches and invitations meeting Discord incidents: retried, never doubled."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from tests.e2e.harness import Nexus
from tests.e2e.test_first_week import at, lagos, learner, reminders_in, start_cohort, week
from tests.e2e.test_matching import announced, button, reached, request_pair, told
from tests.e2e.test_outbox import nexus
from tests.fakediscord.state import Message

pytestmark = pytest.mark.timeout(60)
__all__ = ["nexus", "week"]  # fixtures, used by name (nexus: outbox retries after 50 ms)

POST = "POST /channels/{channel_id}/messages"


async def test_reminder_batch_with_a_lost_answer_and_a_503_lands_once(week: Nexus) -> None:
    members = [await learner(week, f"learner{i:02}") for i in range(60)]
    await start_cohort(week)
    # The first batch is created but its answer is lost; the next try meets a 503.
    week.fake.faults.fail(POST, status=503, handled=True)
    week.fake.faults.fail(POST, status=503)
    await at(week, lagos(1))
    for _ in range(40):
        if sum(len(p.pinged_users) for p in reminders_in(week)) >= len(members):
            break
        await at(week, lagos(1))
    pinged = Counter(u for p in reminders_in(week) for u in p.pinged_users)
    assert set(pinged) == {m.id for m in members}
    assert set(pinged.values()) == {1}, "someone was reminded twice"
    assert week.fake.faults.count("status") == 2


async def test_reminder_dm_after_a_reset_is_not_doubled(week: Nexus) -> None:
    amara = await learner(week, "amara", reminders="dm")
    await start_cohort(week)
    week.fake.faults.reset(POST, handled=True)
    await at(week, lagos(1))
    for _ in range(40):
        if week.fake.dms(amara):
            break
        await at(week, lagos(1))
    await asyncio.sleep(0.2)
    assert len(week.fake.dms(amara)) == 1


async def test_invite_after_a_503_on_opening_the_dm_reaches_the_invitee_once(
    nexus: Nexus,
) -> None:
    tobi = await announced(nexus, "tobi", "backend")
    await announced(nexus, "wanjiku", "frontend")
    nexus.fake.faults.rate_limit("POST /users/@me/channels", times=2, retry_after=0.2)
    invite = await request_pair(nexus, nexus.member("wanjiku"), "tobi")
    await asyncio.sleep(0.3)
    assert invite in reached(nexus, tobi)
    assert len([m for m in reached(nexus, tobi) if "pair request" in m.text.lower()]) == 1


async def test_invite_met_by_503s_waits_in_the_outbox_and_arrives_once(nexus: Nexus) -> None:
    tobi = await announced(nexus, "tobi", "backend")
    wanjiku = await announced(nexus, "wanjiku", "frontend")
    # Announcing told both of them about each other: let those notices land first.
    await told(nexus, tobi, "just announced")
    await told(nexus, wanjiku, "waiting for a partner")
    # The DM is created but its answer is lost, then the retry meets a 503.
    nexus.fake.faults.fail(POST, status=503, handled=True)
    nexus.fake.faults.fail(POST, status=503)
    reply = await nexus.invoke(wanjiku, "find-partner")
    assert reply.message is not None
    ask = button(reply.message, "nexus:pair:ask:")
    sent = await nexus.fake.click(wanjiku, reply, ask)
    assert "on its way" in (await sent.wait_final()).text

    def is_invite(message: Message) -> bool:
        return "pair request" in message.text.lower()

    invite = await nexus.fake.wait_for_dm(tobi, is_invite, timeout=10)
    await asyncio.sleep(0.5)
    invites = [m for m in nexus.fake.dms(tobi) if is_invite(m)]
    assert invites == [invite], "the invitation was doubled"
    accepted = await nexus.fake.click(tobi, invite, button(invite, "nexus:req:accept:"))
    await accepted.wait_final()
    assert len(nexus.fake.threads(nexus.guild)) == 1


async def test_gateway_drop_in_the_middle_of_a_command(nexus: Nexus) -> None:
    resumes = nexus.fake.resume_count
    nexus.fake.faults.drop_gateway_on(POST)  # while the card is being posted
    text = await announce_text(nexus, "wanjiku")
    assert "You're announced" in text
    await nexus.fake.gateway.changed.wait_for(lambda: nexus.fake.resume_count > resumes, 10)
    await nexus.fake.wait_until_ready(timeout=10)
    reply = await nexus.invoke("wanjiku", "reminders", setting="dm")
    assert "DM" in reply.text
    assert len([m for m in nexus.posts() if m.embeds]) == 1


async def test_invalid_session_in_the_middle_of_a_command_identifies_again(nexus: Nexus) -> None:
    identifies = nexus.fake.identify_count
    nexus.fake.faults.drop_gateway_on(POST, resumable=False)
    assert "You're announced" in await announce_text(nexus, "wanjiku")
    await nexus.fake.gateway.changed.wait_for(lambda: nexus.fake.identify_count > identifies, 15)
    await nexus.fake.wait_until_ready(timeout=15)
    reply = await nexus.invoke("wanjiku", "reminders", setting="dm")
    assert "DM" in reply.text


async def test_a_429_storm_on_every_route_is_waited_out(nexus: Nexus) -> None:
    nexus.fake.faults.rate_limit_storm(for_seconds=1.0, retry_after=0.3)
    texts = await asyncio.gather(
        announce_text(nexus, "wanjiku"), announce_text(nexus, "tobi", role="frontend")
    )
    assert all("You're announced" in text for text in texts)
    assert "on its way" not in " ".join(texts)  # 429s are waited out, not queued
    assert nexus.fake.faults.count("rate_limit") >= 2
    assert len([m for m in nexus.posts() if m.embeds]) == 2


async def announce_text(nexus: Nexus, name: str, role: str = "backend") -> str:
    reply = await nexus.invoke(name, "announce-project", project="Job Board Backend", role=role)
    return (await reply.wait_final(timeout=15)).text


async def test_an_invite_that_never_went_out_offers_show_others_in_the_dm(nexus: Nexus) -> None:
    tobi = await announced(nexus, "tobi", "backend")
    wanjiku = await announced(nexus, "wanjiku", "frontend")
    await told(nexus, tobi, "just announced")
    await told(nexus, wanjiku, "waiting for a partner")
    reply = await nexus.invoke(wanjiku, "find-partner")
    assert reply.message is not None
    nexus.fake.faults.fail(POST, status=503, times=12)  # the invite's every try, then some
    sent = await nexus.fake.click(wanjiku, reply, button(reply.message, "nexus:pair:ask:"))
    assert "on its way" in (await sent.wait_final()).text
    notice = await nexus.fake.wait_for_dm(
        wanjiku, lambda m: "couldn't deliver your pair request" in m.text, timeout=40
    )
    assert "/find-partner" not in notice.text and "**Show others**" in notice.text
    others = await nexus.fake.click(wanjiku, notice, button(notice, "nexus:find:"))
    assert others.ephemeral and "tobi" in others.text.lower() + str(others.embeds).lower()
