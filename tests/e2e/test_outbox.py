"""Posts outside interaction replies survive Discord incidents: an announcement card Discord
refuses with 503s (or whose answer is lost) waits in the outbox, is retried with its nonce and
appears exactly once; the learner is told it is on its way, and told again if it never makes it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db.models import OutboxPost
from bot.services.audit import AUDIT_KIND
from tests.e2e.harness import Nexus
from tests.fakediscord import FakeDiscord, Message

POST = "POST /channels/{channel_id}/messages"
EDIT = "PATCH /channels/{channel_id}/messages/{message_id}"


@pytest.fixture
async def nexus(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[Nexus]:
    """A set-up server whose bot retries outbox posts after 50 ms instead of 5 s."""
    nexus = Nexus(fake, tmp_path)
    with fake.patched_discord():
        await nexus.start(outbox_retry_seconds=0.05)
        try:
            await nexus.setup()
            # Setup's audit line goes to the mod-log through the outbox: let it land before
            # the tests inject faults on the message route.
            await fake.wait_for_message(nexus.mod_log, timeout=15)
            yield nexus
        finally:
            await nexus.stop()
    fake.assert_clean()


def cards_of(nexus: Nexus, name: str) -> list[Message]:
    user_id = nexus.member(name).id
    return [m for m in nexus.posts() if any(f"<@{user_id}>" in str(e) for e in m.embeds)]


async def outbox_rows(nexus: Nexus) -> list[OutboxPost]:
    """The outbox's posts but the audit trail's mod-log lines (tests/e2e/test_audit.py)."""
    async with nexus.session() as session:
        rows = await session.scalars(
            select(OutboxPost).where(OutboxPost.kind != AUDIT_KIND).order_by(OutboxPost.id)
        )
        return list(rows.all())


async def settled(nexus: Nexus, timeout: float = 10.0) -> list[OutboxPost]:  # noqa: ASYNC109
    """The outbox once nothing in it is pending any more."""
    for _ in range(int(timeout / 0.05)):
        rows = await outbox_rows(nexus)
        if all(row.status != "pending" for row in rows):
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(f"outbox still pending: {[(r.kind, r.attempts) for r in rows]}")


async def announce(nexus: Nexus, name: str, **options: str) -> str:
    options = {"project": "Job Board Backend", "role": "backend", **options}
    reply = await nexus.invoke(name, "announce-project", **options)
    final = await reply.wait_final(timeout=10)
    assert final.ephemeral
    return final.text


async def test_two_503s_the_card_appears_exactly_once(nexus: Nexus) -> None:
    nexus.fake.faults.fail(POST, status=503, times=2, channel=nexus.channel.id)
    text = await announce(nexus, "wanjiku")
    assert "You're announced" in text and "on its way" in text
    await nexus.fake.world.changed.wait_for(lambda: cards_of(nexus, "wanjiku"), 10)
    await asyncio.sleep(0.3)  # a second copy would show up by now
    assert len(cards_of(nexus, "wanjiku")) == 1
    assert nexus.fake.faults.count("status") == 2
    [row] = [r for r in await settled(nexus) if r.kind == "card"]
    assert (row.status, row.attempts) == ("sent", 2)
    # The outbox recorded where the card is: announcing again edits it in place.
    text = await announce(nexus, "wanjiku", summary="Now with GraphQL")
    assert "on its way" not in text
    assert len(cards_of(nexus, "wanjiku")) == 1
    assert "GraphQL" in str(cards_of(nexus, "wanjiku")[0].embeds)


async def test_a_lost_answer_is_retried_with_the_nonce_and_not_doubled(nexus: Nexus) -> None:
    # Discord creates the card, but the answer never arrives (the connection drops).
    nexus.fake.faults.reset(POST, handled=True)
    text = await announce(nexus, "wanjiku")
    assert "on its way" in text
    await nexus.fake.world.changed.wait_for(
        lambda: len(nexus.fake.calls_to("POST", "/channels/{channel_id}/messages")) >= 2, 10
    )
    [row] = await settled(nexus)
    assert row.status == "sent"
    posts = [
        call
        for call in nexus.fake.calls_to("POST", "/channels/{channel_id}/messages")
        if str(nexus.channel.id) in call.path
    ]
    assert len({call.json["nonce"] for call in posts}) == 1
    assert len(cards_of(nexus, "wanjiku")) == 1


async def test_ten_503s_the_learner_is_told_it_could_not_be_posted(nexus: Nexus) -> None:
    # the card's tries and then the learner's notice meet them; nothing else posts meanwhile
    nexus.fake.faults.fail(POST, status=503, times=10, besides=str(nexus.mod_log.id))
    text = await announce(nexus, "wanjiku")
    assert "on its way" in text
    dm = await nexus.fake.wait_for_dm(nexus.member("wanjiku"), timeout=15)
    assert "couldn't post your announcement card" in dm.text and "503" in dm.text
    assert "/announce-project" not in dm.text and "press **Announce**" in dm.text
    assert [c for c in dm.custom_ids() if c == f"nexus:announce:open:{nexus.guild.id}"]
    card, notice = await settled(nexus)
    assert (card.kind, card.status, card.attempts) == ("card", "failed", 8)
    # The notice itself met the last two 503s and was retried.
    assert (notice.kind, notice.status, notice.attempts) == ("dm_notice", "sent", 2)
    assert cards_of(nexus, "wanjiku") == []
    nexus.fake.faults.clear()
    await asyncio.sleep(0.3)
    assert cards_of(nexus, "wanjiku") == [], "a post given up on must stay given up"
    assert len(nexus.fake.dms(nexus.member("wanjiku"))) == 1, "reported once"


async def test_announcing_again_while_the_card_waits_does_not_double_it(nexus: Nexus) -> None:
    nexus.fake.faults.fail(POST, status=503, times=None, channel=nexus.channel.id)
    assert "on its way" in await announce(nexus, "wanjiku")
    assert "on its way" in await announce(nexus, "wanjiku", summary="Second thoughts")
    nexus.fake.faults.clear()  # Discord is back: the waiting card goes out at its next try
    await nexus.fake.world.changed.wait_for(lambda: cards_of(nexus, "wanjiku"), 10)
    await asyncio.sleep(0.3)
    [card] = cards_of(nexus, "wanjiku")
    assert "Second thoughts" in str(card.embeds)
    assert len(await outbox_rows(nexus)) == 1


async def test_refused_card_edits_after_a_pairing_are_applied_later(nexus: Nexus) -> None:
    await announce(nexus, "wanjiku")
    await announce(nexus, "tobi", role="frontend")
    cards = list(nexus.posts())
    assert len(cards) == 2
    for card in cards:  # each card's first edit is refused, whichever is tried first
        nexus.fake.faults.fail(EDIT, status=503, times=1, within=str(card.id))
    reply = await nexus.invoke(
        "mod", "nexus pair", backend=nexus.member("wanjiku"), frontend=nexus.member("tobi")
    )
    assert "paired" in (await reply.wait_final()).text
    await nexus.fake.world.changed.wait_for(
        lambda: len(nexus.fake.calls_to("PATCH", EDIT.split(" ", 1)[1])) >= 4, 10
    )
    rows = await settled(nexus)
    assert {row.status for row in rows} == {"sent"} and len(rows) == 2
    assert [m.id for m in nexus.posts() if m.embeds][:2] == [c.id for c in cards]
    for card in cards:
        assert "paired" in str(nexus.fake.message(card.id).embeds).lower()


async def test_a_refused_thread_kickoff_is_posted_later_once(nexus: Nexus) -> None:
    await announce(nexus, "wanjiku")
    await announce(nexus, "tobi", role="frontend")
    # the kickoff meets the 503s, not the mod-log's audit line or the partners' DMs: only
    # the thread the pairing is about to open is refused
    nexus.fake.faults.fail(POST, status=503, times=2, new="thread")
    reply = await nexus.invoke(
        "mod", "nexus pair", backend=nexus.member("wanjiku"), frontend=nexus.member("tobi")
    )
    assert "paired" in (await reply.wait_final()).text
    [thread] = nexus.fake.threads(nexus.guild)
    kickoff = await nexus.fake.wait_for_message(thread, timeout=10)
    rows = await settled(nexus)
    assert [(r.kind, r.status, r.attempts) for r in rows if r.kind == "kickoff"] == [
        ("kickoff", "sent", 2)
    ]
    assert nexus.fake.faults.count("status") == 2
    tries = [
        c for c in nexus.fake.calls_to("POST", POST.split(" ", 1)[1]) if str(thread.id) in c.path
    ]
    assert [c.status for c in tries] == [503, 503, 200]
    assert len({c.json["nonce"] for c in tries}) == 1, "every try carries the same nonce"
    await asyncio.sleep(0.2)  # a second copy would show up by now
    assert len(nexus.fake.messages(thread)) == 1
    assert set(kickoff.pinged_users) == {nexus.member("wanjiku").id, nexus.member("tobi").id}
    assert kickoff.components, "the checklist keeps its tick buttons when posted later"


async def test_a_kickoff_discord_never_takes_is_reported_to_both_partners(nexus: Nexus) -> None:
    await announce(nexus, "wanjiku")
    await announce(nexus, "tobi", role="frontend")
    nexus.fake.faults.fail(POST, status=503, times=None, new="thread")
    reply = await nexus.invoke(
        "mod", "nexus pair", backend=nexus.member("wanjiku"), frontend=nexus.member("tobi")
    )
    assert "paired" in (await reply.wait_final()).text
    [thread] = nexus.fake.threads(nexus.guild)
    for name in ("wanjiku", "tobi"):
        await nexus.fake.world.changed.wait_for(
            lambda name=name: any(
                "kickoff checklist" in m.text for m in nexus.fake.dms(nexus.member(name))
            ),
            20,
        )
    rows = await settled(nexus)
    assert [(r.status, r.attempts) for r in rows if r.kind == "kickoff"] == [("failed", 8)]
    assert nexus.fake.messages(thread) == []
    for name in ("wanjiku", "tobi"):
        [notice] = [m for m in nexus.fake.dms(nexus.member(name)) if "kickoff" in m.text]
        assert "503" in notice.text and f"<#{thread.id}>" in notice.text
