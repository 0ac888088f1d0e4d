"""The learner's way through week one without typing a command they don't need: announcing
is enough to be on the waiting list, and each next step arrives with its button."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import Learner, Pairing
from tests.e2e.harness import Nexus
from tests.e2e.test_matching import _paired, announced, button, request_pair


async def test_announcing_alone_joins_the_waiting_list(nexus: Nexus) -> None:
    tobi = nexus.member("tobi")
    reply = await nexus.invoke(
        tobi, "announce-project", project="E-Commerce Backend", role="backend"
    )
    final = await reply.wait_final()
    assert "You're on the waiting list" in final.text
    assert "/find-partner" not in final.text
    async with nexus.session() as session:
        row = await session.scalar(select(Learner).where(Learner.user_id == tobi.id))
        assert row is not None and row.waiting_since == nexus.clock.now()
    profile = await nexus.invoke(tobi, "profile")
    assert profile.ephemeral and "Waiting since" in profile.text


async def test_a_decline_offers_show_others_and_it_works_from_the_dm(nexus: Nexus) -> None:
    tobi = await announced(nexus, "tobi", "backend")
    wanjiku = await announced(nexus, "wanjiku", "frontend")
    await announced(nexus, "kemi", "frontend")
    invite = await request_pair(nexus, tobi, "wanjiku")
    declined = await nexus.fake.click(wanjiku, invite, button(invite, "nexus:req:decline:"))
    await declined.wait_final()
    assert "Show others" in invite.text and button(invite, f"nexus:find:{nexus.guild.id}:")
    notice = await nexus.fake.wait_for_dm(tobi, lambda m: "declined" in m.text)
    assert "/find-partner" not in notice.text  # a DM never asks for a server-only command
    others = await nexus.fake.click(tobi, notice, button(notice, f"nexus:find:{nexus.guild.id}:"))
    assert others.ephemeral and "kemi" in others.text and "wanjiku" not in others.text
    ask = button(others.message, "nexus:pair:ask:")  # type: ignore[arg-type]
    sent = await nexus.fake.click(tobi, others, ask)
    assert "Request sent" in (await sent.wait_final()).text


async def test_the_announce_reply_offers_find_a_partner(nexus: Nexus) -> None:
    await announced(nexus, "wanjiku", "frontend")
    tobi = nexus.member("tobi")
    reply = await nexus.invoke(
        tobi, "announce-project", project="E-Commerce Backend", role="backend"
    )
    final = await reply.wait_final()
    find = button(final, f"nexus:find:{nexus.guild.id}:{tobi.id}")
    shown = await nexus.fake.click(tobi, reply, find)
    assert shown.ephemeral and "wanjiku" in shown.text


async def test_the_public_card_asks_its_author_to_pair(nexus: Nexus) -> None:
    tobi = await announced(nexus, "tobi", "backend")
    kemi = await announced(nexus, "kemi", "backend")
    wanjiku = await announced(nexus, "wanjiku", "frontend")
    card = next(m for m in nexus.posts() if tobi.mention in m.text and m.embeds)
    assert card.embeds[0]["title"].endswith("tobi · E-Commerce")
    assert "run it again" not in card.text
    ask = button(card, "nexus:card:ask:")
    same_track = await nexus.fake.click(kemi, card, ask)  # anyone else: a private, clear no
    assert same_track.ephemeral and "Request sent" not in (await same_track.wait_final()).text
    stranger = await nexus.fake.click(nexus.member("stranger"), card, ask)
    assert stranger.ephemeral and "announce" in (await stranger.wait_final()).text.lower()
    own = await nexus.fake.click(tobi, card, ask)
    assert own.ephemeral and "Request sent" not in (await own.wait_final()).text
    sent = await nexus.fake.click(wanjiku, card, ask)  # the other track: one press
    assert "Request sent" in (await sent.wait_final()).text
    invite = await nexus.fake.wait_for_dm(tobi, lambda m: "would like to pair" in m.text)
    await nexus.fake.click(tobi, invite, button(invite, "nexus:req:accept:"))
    await nexus.fake.wait_for_message(
        nexus.channel, lambda m: m.id == card.id and not m.custom_ids(), timeout=5
    )  # paired: the card is edited and its button is gone


async def test_the_kickoff_checklist_can_be_ticked(nexus: Nexus) -> None:
    tobi, wanjiku = await _paired(nexus)
    [thread] = nexus.fake.threads(nexus.guild)
    kickoff = nexus.fake.messages(thread)[0]
    assert "0/6 done" in kickoff.text and len(kickoff.custom_ids()) == 6
    repos = button(kickoff, "nexus:kickoff:")
    ticked = await nexus.fake.click(tobi, kickoff, repos)
    assert ticked.type == 7 and "1/6 done" in kickoff.text  # the message itself is updated
    await nexus.fake.click(wanjiku, kickoff, button(kickoff, "nexus:kickoff:")[:-5] + "erd")
    assert "2/6 done" in kickoff.text
    stranger = await nexus.fake.click(nexus.member("stranger"), kickoff, repos)
    assert stranger.ephemeral and "2/6 done" in kickoff.text
    await nexus.restart()  # state is kept
    await nexus.fake.click(tobi, kickoff, repos)  # and unticked again
    assert "1/6 done" in kickoff.text
    async with nexus.session() as session:
        pairing = await session.scalar(select(Pairing))
        assert pairing is not None and pairing.checklist == ["erd"]
