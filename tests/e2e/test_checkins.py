"""The check-in in a pair thread, end to end: 48 h after the pairing, once (also across a
restart), three buttons that do what they say."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import CheckIn, Learner, Pairing
from tests.e2e.harness import Nexus, no_pings
from tests.e2e.test_matching import _paired, button, count
from tests.fakediscord import Channel, Message


async def checkin_due(nexus: Nexus, hours: float = 48) -> None:
    nexus.clock.advance(hours=hours)
    assert nexus.bot is not None
    await nexus.bot.services.checkins.sweep()


def checkins_in(nexus: Nexus, thread: Channel) -> list[Message]:
    return [m for m in nexus.fake.messages(thread) if "quick check-in" in m.text]


async def test_the_thread_gets_one_checkin_48_hours_after_pairing(nexus: Nexus) -> None:
    tobi, wanjiku = await _paired(nexus)
    [thread] = nexus.fake.threads(nexus.guild)
    await checkin_due(nexus, hours=47)
    assert checkins_in(nexus, thread) == []
    with no_pings(nexus.fake):
        await checkin_due(nexus, hours=1)
    [checkin] = checkins_in(nexus, thread)
    assert sorted(checkin.pinged_users) == sorted([tobi.id, wanjiku.id])
    labels = [c.get("label") for row in checkin.components for c in row["components"]]
    assert labels == ["We've met", "We're stuck", "I need a new partner"]
    await nexus.restart()
    await checkin_due(nexus, hours=1)
    assert len(checkins_in(nexus, thread)) == 1  # exactly once, even after a restart
    async with nexus.session() as session:
        row = await session.scalar(select(CheckIn))
        assert row is not None and row.status == "sent" and row.message_id == checkin.id


async def test_met_and_stuck_are_recorded_and_stuck_tells_the_mod_log(nexus: Nexus) -> None:
    tobi, wanjiku = await _paired(nexus)
    [thread] = nexus.fake.threads(nexus.guild)
    await checkin_due(nexus)
    [checkin] = checkins_in(nexus, thread)
    stranger = nexus.member("stranger")
    refused = await nexus.fake.click(stranger, checkin, button(checkin, "nexus:checkin:met:"))
    assert refused.ephemeral and "Only the two learners" in refused.text

    met = await nexus.fake.click(tobi, checkin, button(checkin, "nexus:checkin:met:"))
    assert "noted that you've met" in met.text
    async with nexus.session() as session:
        row = await session.scalar(select(CheckIn))
        assert row is not None and (row.answer, row.answered_by) == ("met", tobi.id)

    with no_pings(nexus.fake):
        stuck = await nexus.fake.click(wanjiku, checkin, button(checkin, "nexus:checkin:stuck:"))
        assert "moderators have been told" in stuck.text
        notice = await nexus.fake.wait_for_message(nexus.mod_log, lambda m: "stuck" in m.text)
    assert "**tobi**" in notice.text and "**wanjiku**" in notice.text
    assert "E-Commerce" in notice.text and notice.pinged_users == []
    await nexus.fake.click(wanjiku, checkin, button(checkin, "nexus:checkin:stuck:"))
    await nexus.fake.flush()
    assert len([m for m in nexus.fake.messages(nexus.mod_log) if "stuck" in m.text]) == 1

    stats = await (await nexus.invoke("mod", "nexus stats")).wait_final()
    assert "Check-ins: 1 sent" in stats.text and "1 stuck" in stats.text


async def test_new_partner_confirms_then_unpairs_both_with_priority(nexus: Nexus) -> None:
    tobi, wanjiku = await _paired(nexus)
    [thread] = nexus.fake.threads(nexus.guild)
    await checkin_due(nexus)
    [checkin] = checkins_in(nexus, thread)
    ask = await nexus.fake.click(wanjiku, checkin, button(checkin, "nexus:checkin:new:"))
    assert ask.ephemeral and "End this pairing" in ask.text
    assert await count(nexus, Pairing, Pairing.ended_at.is_(None)) == 1  # nothing yet
    assert ask.message is not None
    done = await nexus.fake.click(
        wanjiku, ask.message, button(ask.message, "nexus:checkin:confirm:")
    )
    final = await done.wait_final()
    assert "back on the waiting list, with priority" in final.text
    assert await count(nexus, Pairing, Pairing.ended_at.is_(None)) == 0
    async with nexus.session() as session:
        rows = (await session.scalars(select(Learner))).all()
        assert all(r.partner_left_at is not None and r.waiting_since is not None for r in rows)
        row = await session.scalar(select(CheckIn))
        assert row is not None and row.answer == "new_partner"
    told = await nexus.fake.wait_for_dm(tobi, lambda m: "ended your pairing" in m.text)
    assert "/find-partner" not in told.text  # a DM never asks for a server-only command
