"""/find-partner, pair requests, pair threads, the waiting list, /unpair and /nexus pair|unpair,
through the fake Discord."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db.models import Learner, Pairing, PairRequest, Project
from tests.e2e.harness import Nexus
from tests.fakediscord import InteractionResult, Member, Message
from tests.fakediscord.server import RecordedCall

# ----- helpers ------------------------------------------------------------------------------

TITLES = {"ecommerce": "E-Commerce Backend", "job-board": "Job Board Platform"}


async def announced(
    nexus: Nexus,
    name: str,
    role: str,
    *,
    project: str = "ecommerce",
    timezone: str = "Africa/Lagos",
    dms_open: bool = True,
) -> Member:
    """A member who ran `/announce-project` as `role`."""
    member = nexus.member(name)
    member.dms_open = dms_open
    reply = await nexus.invoke(
        member, "announce-project", project=TITLES[project], role=role, timezone=timezone
    )
    final = await reply.wait_final()
    assert "announced" in final.text or "updated" in final.text, final.text
    return member


async def seeded(nexus: Nexus, names: list[str], role: str) -> list[Member]:
    """Many announced learners at once, written straight to the database (no posts)."""
    members = [nexus.member(name) for name in names]
    now = nexus.clock.now()
    async with nexus.session() as session:
        project_id = await session.scalar(
            select(Project.id).where(Project.guild_id == nexus.guild.id, Project.key == "ecommerce")
        )
        session.add_all(
            Learner(
                guild_id=nexus.guild.id,
                user_id=member.id,
                display_name=member.name,
                project_id=project_id,
                role=role,
                timezone="Africa/Lagos",
                announced_at=now,
                reminders="on",
                active=True,
                first_seen_at=now,
                updated_at=now,
            )
            for member in members
        )
    return members


async def learner_id(nexus: Nexus, member: Member) -> int:
    async with nexus.session() as session:
        found = await session.scalar(select(Learner.id).where(Learner.user_id == member.id))
    assert found is not None
    return found


def post_of(nexus: Nexus, member: Member) -> Message:
    """The member's announcement post in the Nexus channel."""
    return next(m for m in nexus.posts() if member.mention in m.text and m.embeds)


def reached(nexus: Nexus, member: Member) -> list[Message]:
    """What the bot sent this member: DMs, and Nexus-channel posts that ping them."""
    return nexus.fake.dms(member) + [m for m in nexus.posts() if m.pings(member)]


async def told(nexus: Nexus, member: Member, needle: str, timeout: float = 5) -> Message:  # noqa: ASYNC109
    """Wait until the bot told `member` something containing `needle` (DM or mention)."""

    def find() -> Message | None:
        return next((m for m in reached(nexus, member) if needle in m.text), None)

    return await nexus.fake.world.changed.wait_for(find, timeout)


EDITS = "/channels/{channel_id}/messages/{message_id}"


async def accept(nexus: Nexus, member: Member, invite: Message) -> InteractionResult:
    """Press Accept, and wait until the Discord side is done (both posts re-rendered)."""
    before = len(edited(nexus))
    result = await nexus.fake.click(member, invite, button(invite, "nexus:req:accept:"))
    await result.wait_final()
    await nexus.fake.wait_for_call("PATCH", EDITS, ok, count=before + 2)
    return result


def ok(call: RecordedCall) -> bool:
    return call.status < 300


def edited(nexus: Nexus) -> list[RecordedCall]:
    """Messages the bot edited successfully (not counting rate-limited attempts)."""
    return [c for c in nexus.fake.calls_to("PATCH", EDITS) if ok(c)]


def button(message: Message, prefix: str) -> str:
    found = [c for c in message.custom_ids() if c.startswith(prefix)]
    assert found, f"no {prefix}… button in {message.custom_ids()}"
    return found[0]


async def request_pair(nexus: Nexus, requester: Member, candidate_name: str) -> Message:
    """`/find-partner` then "Request" on `candidate_name`; returns the invitation they got."""
    reply = await nexus.invoke(requester, "find-partner")
    assert reply.ephemeral and reply.message is not None
    ask = next(
        c["custom_id"] for c in _buttons(reply.message) if candidate_name in str(c.get("label"))
    )
    sent = await nexus.fake.click(requester, reply, ask)
    final = await sent.wait_final()
    assert final.ephemeral and "Request sent" in final.text, final.text
    candidate = nexus.member(candidate_name)
    if candidate.dms_open:
        return await nexus.fake.wait_for_dm(candidate, lambda m: "would like to pair" in m.text)
    return await nexus.fake.wait_for_message(
        nexus.channel, lambda m: m.pings(candidate) and "pair request" in m.text
    )


def _buttons(message: Message) -> list[dict[str, object]]:
    return [c for row in message.components for c in row.get("components", [])]


async def count(nexus: Nexus, model: type, *where: object) -> int:
    async with nexus.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def sweep(nexus: Nexus) -> None:
    assert nexus.bot is not None
    cog = nexus.bot.get_cog("Matching")
    await cog.sweep()  # type: ignore[union-attr]


# ----- /find-partner ------------------------------------------------------------------------


async def test_find_partner_lists_ranked_candidates_with_reasons(nexus: Nexus) -> None:
    tobi = await announced(nexus, "tobi", "backend")
    await announced(nexus, "wanjiku", "frontend", timezone="Africa/Nairobi")
    await announced(nexus, "kemi", "frontend")
    await announced(nexus, "other_back", "backend")
    await announced(nexus, "jobs_front", "frontend", project="job-board")
    reply = await nexus.invoke(tobi, "find-partner")
    assert reply.ephemeral
    text = reply.text
    assert text.index("kemi") < text.index("wanjiku")
    assert "same project · 4 h evening overlap" in text
    assert "2 h evening overlap" in text
    assert "other_back" not in text and "jobs_front" not in text
    labels = [c["label"] for c in _buttons(reply.message)]  # type: ignore[arg-type]
    assert labels == ["Request kemi", "Request wanjiku"]


async def test_find_partner_before_announcing_and_other_project(nexus: Nexus) -> None:
    reply = await nexus.invoke("newbie", "find-partner")
    assert reply.ephemeral and "/announce-project" in reply.text
    tobi = await announced(nexus, "tobi", "backend")
    reply = await nexus.invoke(tobi, "find-partner", project="Job Board Platform")
    assert reply.ephemeral and "same project" in reply.text
    reply = await nexus.invoke(tobi, "find-partner", project="Mars Rover")
    assert reply.ephemeral and "not a project in this server's catalog" in reply.text
    reply = await nexus.invoke(tobi, "find-partner", project="E-Commerce Backend")
    assert reply.ephemeral and "waiting list" in reply.text


async def test_find_partner_project_autocomplete_offers_both_titles(nexus: Nexus) -> None:
    tobi = nexus.member("tobi")
    choices = await nexus.fake.autocomplete(
        tobi, "find-partner", channel=nexus.channel, focused="project", value="e-com"
    )
    names = [c["name"] for c in choices]
    assert "E-Commerce Backend" in names and "Dynamic E-Commerce Product Catalog" in names
    assert len(choices) <= 25


async def test_find_partner_before_setup(bare_nexus: Nexus) -> None:
    reply = await bare_nexus.invoke("tobi", "find-partner")
    assert reply.ephemeral and "/nexus setup" in reply.text


# ----- request → accept → thread -------------------------------------------------------------


async def test_request_accept_creates_private_thread_with_checklist(nexus: Nexus) -> None:
    tobi = await announced(nexus, "tobi", "backend")
    wanjiku = await announced(nexus, "wanjiku", "frontend", timezone="Africa/Nairobi")
    invite = await request_pair(nexus, tobi, "wanjiku")
    assert "tobi" in invite.text and "2 h evening overlap" in invite.text
    assert nexus.fake.calls_to("POST", "/channels/{channel_id}/threads") == []

    accepted = await accept(nexus, wanjiku, invite)
    [thread] = nexus.fake.threads(nexus.guild)
    assert thread.type == 12 and thread.invitable is False  # private, members can't invite
    assert thread.parent_id == nexus.channel.id
    assert thread.name == "E-Commerce · tobi & wanjiku"
    assert set(thread.member_ids) >= {tobi.id, wanjiku.id}
    kickoff = nexus.fake.messages(thread)[0]
    assert kickoff.pings(tobi) and kickoff.pings(wanjiku)
    for step in (
        "Share your repos",
        "API contract",
        "OpenAPI",
        "GraphQL",
        "data formats",
        "ERD",
        "weekly sync",
    ):
        assert step.lower() in kickoff.text.lower(), step
    # the shared evening (18:00–20:00 UTC) as Discord timestamps: each reads it in their zone
    assert "the next shared slot is <t:" in kickoff.text and ":F> – <t:" in kickoff.text
    assert accepted.message is not None and "You accepted" in accepted.message.text
    assert accepted.message.components == []  # buttons gone
    async with nexus.session() as session:
        pairing = await session.scalar(select(Pairing))
        assert pairing is not None and pairing.thread_id == thread.id


async def test_announcement_posts_show_paired_then_looking_again(nexus: Nexus) -> None:
    tobi = await announced(nexus, "tobi", "backend")
    wanjiku = await announced(nexus, "wanjiku", "frontend")
    assert "Looking for a" in post_of(nexus, tobi).text
    invite = await request_pair(nexus, tobi, "wanjiku")
    await accept(nexus, wanjiku, invite)
    for member, other in ((tobi, wanjiku), (wanjiku, tobi)):
        post = post_of(nexus, member)
        assert "Paired with" in post.text and other.mention in post.text
        assert not post.pings(other)
    await (await nexus.invoke(tobi, "unpair")).wait_final()
    await nexus.fake.wait_for_call("PATCH", EDITS, ok, count=4)
    for member in (tobi, wanjiku):
        assert "Looking for a" in post_of(nexus, member).text


async def test_thread_failure_keeps_the_pairing_and_is_retried(nexus: Nexus) -> None:
    tobi = await announced(nexus, "tobi", "backend")
    wanjiku = await announced(nexus, "wanjiku", "frontend")
    invite = await request_pair(nexus, tobi, "wanjiku")
    nexus.fake.fail_next("POST", "/channels/{channel_id}/threads", status=403, code=50013)
    await accept(nexus, wanjiku, invite)
    assert "You accepted" in invite.text
    assert nexus.fake.threads(nexus.guild) == [] and await count(nexus, Pairing) == 1
    await sweep(nexus)  # too early: the click may still be creating it
    assert nexus.fake.threads(nexus.guild) == []
    nexus.clock.advance(minutes=3)
    await sweep(nexus)
    [thread] = nexus.fake.threads(nexus.guild)
    assert set(thread.member_ids) >= {tobi.id, wanjiku.id}
    async with nexus.session() as session:
        assert (await session.scalar(select(Pairing.thread_id))) == thread.id
    await sweep(nexus)
    assert len(nexus.fake.threads(nexus.guild)) == 1


async def test_accept_twice_says_already_accepted(nexus: Nexus) -> None:
    tobi = await announced(nexus, "tobi", "backend")
    wanjiku = await announced(nexus, "wanjiku", "frontend")
    invite = await request_pair(nexus, tobi, "wanjiku")
    stale = Message(**{**invite.__dict__})  # the copy Discord still shows in another client
    await accept(nexus, wanjiku, invite)
    second = await nexus.fake.click(wanjiku, stale, button(stale, "nexus:req:accept:"))
    [followup] = await second.wait_followups()
    assert followup.ephemeral and "already accepted" in followup.text
    assert await count(nexus, Pairing) == 1


async def test_decline_tells_requester_and_hides_them_from_each_other(nexus: Nexus) -> None:
    tobi = await announced(nexus, "tobi", "backend")
    wanjiku = await announced(nexus, "wanjiku", "frontend")
    invite = await request_pair(nexus, tobi, "wanjiku")
    declined = await nexus.fake.click(wanjiku, invite, button(invite, "nexus:req:decline:"))
    await nexus.fake.wait_for_dm(tobi, lambda m: "declined" in m.text)
    assert declined.message is not None and "You declined" in declined.message.text
    assert declined.message.custom_ids() == [f"nexus:find:{nexus.guild.id}:{wanjiku.id}"]
    again = await nexus.invoke(tobi, "find-partner")
    assert "waiting list" in again.text and "wanjiku" not in again.text
    assert await count(nexus, Pairing) == 0


async def test_request_expires_and_requester_is_told(nexus: Nexus) -> None:
    tobi = await announced(nexus, "tobi", "backend")
    wanjiku = await announced(nexus, "wanjiku", "frontend")
    invite = await request_pair(nexus, tobi, "wanjiku")
    nexus.clock.advance(hours=23)
    await sweep(nexus)
    assert await count(nexus, PairRequest, PairRequest.status == "pending") == 1
    nexus.clock.advance(hours=1, seconds=1)
    late = await nexus.fake.click(wanjiku, invite, button(invite, "nexus:req:accept:"))
    [followup] = await late.wait_followups()
    assert "expired" in followup.text
    await sweep(nexus)
    notice = await nexus.fake.wait_for_dm(tobi, lambda m: "expired" in m.text)
    assert "wanjiku" in notice.text
    assert "expired" in invite.text and invite.components == []
    await sweep(nexus)  # told once
    assert len([m for m in nexus.fake.dms(tobi) if "expired" in m.text]) == 1
    assert await count(nexus, Pairing) == 0


async def test_expiry_follows_the_server_setting(nexus: Nexus) -> None:
    await nexus.invoke("mod", "nexus settings", request_expiry_hours=2)
    tobi = await announced(nexus, "tobi", "backend")
    await announced(nexus, "wanjiku", "frontend")
    await request_pair(nexus, tobi, "wanjiku")
    nexus.clock.advance(hours=2, minutes=1)
    await sweep(nexus)
    await nexus.fake.wait_for_dm(tobi, lambda m: "expired" in m.text)


async def test_closed_dms_fall_back_to_a_mention_of_only_them(nexus: Nexus) -> None:
    tobi = await announced(nexus, "tobi", "backend")
    wanjiku = await announced(nexus, "wanjiku", "frontend", dms_open=False)
    bystander = await announced(nexus, "bystander", "frontend")
    reply = await nexus.invoke(tobi, "find-partner")
    ask = next(
        c["custom_id"]
        for c in _buttons(reply.message)
        if c["label"] == "Request wanjiku"  # type: ignore[arg-type]
    )
    sent = await nexus.fake.click(tobi, reply, ask)
    assert "Nexus channel" in (await sent.wait_final()).text
    invite = await nexus.fake.wait_for_message(
        nexus.channel, lambda m: m.pings(wanjiku) and "pair request" in m.text
    )
    assert invite.pinged_users == [wanjiku.id] and not invite.pinged_roles
    assert not invite.pinged_everyone
    # someone else pressing her button is refused and changes nothing
    other = await nexus.fake.click(bystander, invite, button(invite, "nexus:req:accept:"))
    [refusal] = await other.wait_followups()
    assert refusal.ephemeral and "belongs to someone else" in refusal.text
    assert await count(nexus, Pairing) == 0
    await accept(nexus, wanjiku, invite)
    assert "You accepted" in invite.text and invite.components == []
    assert await count(nexus, Pairing) == 1


async def test_pending_request_survives_restart(nexus: Nexus) -> None:
    tobi = await announced(nexus, "tobi", "backend")
    wanjiku = await announced(nexus, "wanjiku", "frontend")
    invite = await request_pair(nexus, tobi, "wanjiku")
    await nexus.restart()
    accepted = await accept(nexus, wanjiku, invite)
    assert accepted.type == 6  # the restarted bot recognised the button
    assert "You accepted" in invite.text and len(nexus.fake.threads(nexus.guild)) == 1
    assert await count(nexus, Pairing) == 1


async def test_request_button_is_only_for_who_it_was_shown_to(nexus: Nexus) -> None:
    tobi = await announced(nexus, "tobi", "backend")
    await announced(nexus, "wanjiku", "frontend")
    kemi = await announced(nexus, "kemi", "backend")
    reply = await nexus.invoke(tobi, "find-partner")
    ask = button(reply.message, "nexus:pair:ask:")  # type: ignore[arg-type]
    # Discord only shows an ephemeral message to its owner; a forged click is still refused.
    forged = Message(**{**reply.message.__dict__, "flags": 0})  # type: ignore[union-attr]
    other = await nexus.fake.click(kemi, forged, ask)
    [refusal] = await other.wait_followups() if other.deferred else [other.message]
    assert refusal is not None and "belongs to someone else" in refusal.text
    assert await count(nexus, PairRequest) == 0


# ----- waiting list ----------------------------------------------------------------------------


async def test_waiting_list_is_told_once_when_someone_announces(nexus: Nexus) -> None:
    tobi = await announced(nexus, "tobi", "backend")
    reply = await nexus.invoke(tobi, "find-partner")
    assert "waiting list" in reply.text and "I'll message you" in reply.text
    kemi = await announced(nexus, "kemi", "backend")  # same track: nobody is told
    wanjiku = await announced(nexus, "wanjiku", "frontend")
    notice = await nexus.fake.wait_for_dm(tobi, lambda m: "just announced" in m.text)
    assert "wanjiku" in notice.text
    welcome = await nexus.fake.wait_for_dm(wanjiku, lambda m: "waiting for a partner" in m.text)
    assert "tobi" in welcome.text and "kemi" in welcome.text  # announcing put kemi on the list
    await announced(nexus, "wanjiku", "frontend", timezone="Africa/Nairobi")  # an edit
    await nexus.fake.flush()
    await asyncio.sleep(0.2)
    assert len(nexus.fake.dms(tobi)) == 1 and len(nexus.fake.dms(wanjiku)) == 1
    assert len(nexus.fake.dms(kemi)) == 1  # about wanjiku, once
    # the notice carries a working Request button
    ask = await nexus.fake.click(tobi, notice, button(notice, "nexus:pair:ask:"))
    assert "Request sent" in (await ask.wait_final()).text
    await nexus.fake.wait_for_dm(wanjiku, lambda m: "would like to pair" in m.text)


# ----- /unpair and moderators ------------------------------------------------------------------


async def _paired(nexus: Nexus) -> tuple[Member, Member]:
    tobi = await announced(nexus, "tobi", "backend")
    wanjiku = await announced(nexus, "wanjiku", "frontend")
    invite = await request_pair(nexus, tobi, "wanjiku")
    await accept(nexus, wanjiku, invite)
    return tobi, wanjiku


async def test_unpair_tells_partner_archives_thread_and_both_look_again(nexus: Nexus) -> None:
    tobi, wanjiku = await _paired(nexus)
    [thread] = nexus.fake.threads(nexus.guild)
    reply = await nexus.invoke(wanjiku, "unpair", reason="switching to the mobile track")
    final = await reply.wait_final()
    assert final.ephemeral and "has ended" in final.text and "tobi" in final.text
    notice = await nexus.fake.wait_for_dm(tobi, lambda m: "ended your pairing" in m.text)
    assert "wanjiku" in notice.text and "switching to the mobile track" in notice.text
    assert thread.archived
    assert "ended by" in nexus.fake.messages(thread)[-1].text
    assert await count(nexus, Pairing, Pairing.ended_at.is_(None)) == 0
    async with nexus.session() as session:
        rows = (await session.scalars(select(Learner))).all()
        assert all(r.partner_left_at is not None and r.waiting_since is not None for r in rows)
    again = await nexus.invoke(wanjiku, "unpair")
    assert "don't have a partner" in (await again.wait_final()).text


async def test_unpair_reason_stays_private_when_dms_are_closed(nexus: Nexus) -> None:
    tobi, wanjiku = await _paired(nexus)
    tobi.dms_open = False
    [thread] = nexus.fake.threads(nexus.guild)
    posts_before = len(nexus.posts())
    reply = await nexus.invoke(wanjiku, "unpair", reason="family matters")
    await reply.wait_final()
    assert "family matters" in nexus.fake.messages(thread)[-1].text  # tobi is in the thread
    assert len(nexus.posts()) == posts_before  # nothing public
    assert not any("family matters" in m.text for m in nexus.posts())


async def test_reason_cannot_ping(nexus: Nexus) -> None:
    tobi, wanjiku = await _paired(nexus)
    reply = await nexus.invoke(wanjiku, "unpair", reason="@everyone <@&1> bye")
    await reply.wait_final()
    notice = await nexus.fake.wait_for_dm(tobi, lambda m: "ended your pairing" in m.text)
    assert not notice.pinged_everyone and not notice.pinged_roles


async def test_moderator_pairs_and_unpairs_by_hand(nexus: Nexus) -> None:
    tobi = await announced(nexus, "tobi", "backend")
    wanjiku = await announced(nexus, "wanjiku", "frontend")
    kemi = await announced(nexus, "kemi", "frontend")
    reply = await nexus.invoke("mod", "nexus pair", backend=tobi, frontend=wanjiku)
    final = await reply.wait_final()
    assert final.ephemeral and "paired **tobi**" in final.text and "thread" in final.text
    [thread] = nexus.fake.threads(nexus.guild)
    assert set(thread.member_ids) >= {tobi.id, wanjiku.id}
    # over capacity only with a warning (moderators may build trios)
    reply = await nexus.invoke("mod", "nexus pair", backend=tobi, frontend=kemi)
    assert "now has 2 partners" in (await reply.wait_final()).text
    # the rules still hold: roles are checked
    reply = await nexus.invoke("mod", "nexus pair", backend=wanjiku, frontend=tobi)
    assert "not backend" in (await reply.wait_final()).text
    reply = await nexus.invoke("mod", "nexus unpair", member=tobi)
    assert "Ended 2 pairing(s)" in (await reply.wait_final()).text
    await nexus.fake.wait_for_dm(wanjiku, lambda m: "A moderator ended" in m.text)
    await nexus.fake.wait_for_dm(kemi, lambda m: "A moderator ended" in m.text)
    assert await count(nexus, Pairing, Pairing.ended_at.is_(None)) == 0


async def test_learners_cannot_use_moderator_pairing(nexus: Nexus) -> None:
    tobi = await announced(nexus, "tobi", "backend")
    wanjiku = await announced(nexus, "wanjiku", "frontend")
    nexus.fake.enforce_command_visibility = False
    reply = await nexus.invoke(tobi, "nexus pair", backend=tobi, frontend=wanjiku)
    assert reply.ephemeral and "Only moderators" in reply.text
    assert await count(nexus, Pairing) == 0


# ----- races -----------------------------------------------------------------------------------


async def test_fifty_concurrent_accepts_for_one_partner_make_one_pairing(nexus: Nexus) -> None:
    [star] = await seeded(nexus, ["star_front"], "frontend")
    assert nexus.bot is not None
    matching, cog = nexus.bot.services.matching, nexus.bot.get_cog("Matching")
    star_id = await learner_id(nexus, star)
    backends = await seeded(nexus, [f"back{index}" for index in range(50)], "backend")
    requests = [await matching.request(backend.id, star_id) for backend in backends]
    # sent as the "Request" button does; Discord's per-channel limit would only slow this down
    nexus.fake.server.limiter.config.enabled = False
    await asyncio.gather(*(cog.effects.send_invite(r) for r in requests))  # type: ignore[union-attr]
    nexus.fake.server.limiter.config.enabled = True
    invites = [m for m in reached(nexus, star) if "would like to pair" in m.text]
    assert len(invites) == 50
    clicks = await asyncio.gather(
        *(nexus.fake.click(star, m, button(m, "nexus:req:accept:")) for m in invites)
    )
    # fifty accepts queue on one partner: the point is one pairing, not how fast they all answer
    finals = await asyncio.gather(*(click.wait_final(timeout=30) for click in clicks))
    accepted = [m for m in finals if "You accepted" in m.text]
    refused = [m for m in finals if m.ephemeral]
    assert len(accepted) == 1 and len(refused) == 49
    assert all("withdrawn" in m.text for m in refused)
    assert await count(nexus, Pairing) == 1
    assert len(nexus.fake.threads(nexus.guild)) == 1
    assert await count(nexus, PairRequest, PairRequest.status == "pending") == 0
    async with nexus.session() as session:
        winner = await session.scalar(
            select(Learner.user_id).join(Pairing, Pairing.backend_id == Learner.id)
        )
    for backend in backends:  # every other requester hears their request was withdrawn
        if backend.id != winner:
            await told(nexus, backend, "withdrawn", timeout=20)


async def test_announce_reply_lists_only_learners_find_partner_could_propose(nexus: Nexus) -> None:
    """The "who is looking" list in the /announce-project reply applies the hard rules: never a
    past partner, never someone a decline stands between."""
    tobi = await announced(nexus, "tobi", "backend")
    wanjiku = await announced(nexus, "wanjiku", "frontend")
    await announced(nexus, "kemi", "frontend")
    await announced(nexus, "ada", "frontend")
    invite = await request_pair(nexus, tobi, "wanjiku")
    await nexus.fake.click(wanjiku, invite, button(invite, "nexus:req:decline:"))
    await nexus.fake.wait_for_dm(tobi, lambda m: "declined" in m.text)
    invite = await request_pair(nexus, tobi, "kemi")
    await accept(nexus, nexus.member("kemi"), invite)
    await (await nexus.invoke(tobi, "unpair")).wait_final()
    reply = await nexus.invoke(
        tobi, "announce-project", project=TITLES["ecommerce"], role="backend"
    )
    text = (await reply.wait_final()).text
    assert "**1** frontend learner is looking" in text
    assert f"<@{nexus.member('ada').id}>" in text
    assert f"<@{wanjiku.id}>" not in text and f"<@{nexus.member('kemi').id}>" not in text
    # both ways: wanjiku, who declined tobi, is not shown tobi either
    reply = await nexus.invoke(
        wanjiku, "announce-project", project=TITLES["ecommerce"], role="frontend"
    )
    assert f"<@{tobi.id}>" not in (await reply.wait_final()).text


async def test_sigterm_during_an_accept_lets_the_click_finish_whole(
    nexus: Nexus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shutdown (what SIGTERM runs) while an Accept click is inside its transaction: the click
    finishes before the database closes, and after a restart the pairing is whole (its thread
    created then, or by the sweep)."""
    import bot.services.matching as matching_service

    tobi = await announced(nexus, "tobi", "backend")
    wanjiku = await announced(nexus, "wanjiku", "frontend")
    invite = await request_pair(nexus, tobi, "wanjiku")
    inside = asyncio.Event()
    original = matching_service.create_pairing

    async def slow_create_pairing(*args: Any, **kwargs: Any) -> Any:
        inside.set()
        await asyncio.sleep(0.5)  # SIGTERM arrives now, mid-transaction
        return await original(*args, **kwargs)

    monkeypatch.setattr(matching_service, "create_pairing", slow_create_pairing)
    click = asyncio.create_task(
        nexus.fake.click(wanjiku, invite, button(invite, "nexus:req:accept:"))
    )
    await asyncio.wait_for(inside.wait(), 5)
    assert nexus.bot is not None
    await nexus.bot.close()
    unfinished = [
        task
        for task in asyncio.all_tasks()
        if task.get_name().startswith("discord-ui-") and not task.done()
    ]
    assert unfinished == []  # nothing left for the process exit to cut off
    click.cancel()
    monkeypatch.undo()
    await nexus.restart()
    assert await count(nexus, Pairing) == 1
    assert await count(nexus, PairRequest, PairRequest.status == "accepted") == 1
    nexus.clock.advance(minutes=3)  # the sweep leaves a fresh pairing to its click first
    await sweep(nexus)
    [thread] = nexus.fake.threads(nexus.guild)
    assert {tobi.id, wanjiku.id} <= set(thread.member_ids)
