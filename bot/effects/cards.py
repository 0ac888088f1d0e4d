"""Announcement cards in the Nexus channel: posted (or edited) at once when Discord answers,
otherwise kept in the outbox and sent by its loop, with the learner told the truth meanwhile
("your card is on its way") and once more if it finally can't be posted."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

import discord

from bot.domain.learners import Announcement, PostLocation
from bot.effects.announcements import (
    CHANNEL_GONE_NOTE,
    cannot_post_note,
    delete_post,
    publish_announcement,
)
from bot.effects.notices import Notices
from bot.effects.outbox import Posting, Undeliverable, describe, is_temporary
from bot.services.learners import LearnerService
from bot.services.outbox import OutboxItem, Outcome
from bot.ui import learners as ui
from bot.ui.matching import card_view

log = logging.getLogger(__name__)

KIND = "card"


@dataclass(frozen=True)
class CardResult:
    post: PostLocation | None
    notes: list[str]
    on_its_way: bool = False


def card_key(learner_id: int) -> str:
    return f"{KIND}:{learner_id}"


def on_its_way_note(channel_id: int) -> str:
    return (
        f"📮 Discord isn't taking posts right now: your card is on its way to <#{channel_id}> "
        "and will appear there as soon as Discord answers. Your project is saved."
    )


@dataclass(eq=False)
class AnnouncementCards(Posting):
    _learners: LearnerService
    _notices: Notices

    def __post_init__(self) -> None:
        self._sender.register(KIND, self._send, self._report)

    async def publish(
        self,
        guild: discord.Guild,
        channel_id: int,
        learner_id: int,
        user_id: int,
        previous: PostLocation | None,
        data: Announcement,
    ) -> CardResult:
        """Post or edit the learner's card now; on a 5xx, timeout or dropped connection keep it
        in the outbox (same nonce) and say so. A card already waiting there is updated instead
        of racing it."""
        channel = guild.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            return CardResult(None, [CHANNEL_GONE_NOTE])
        key = card_key(learner_id)
        args = {"learner_id": learner_id, "user_id": user_id}
        if await self._outbox.pending(key):
            await self._later(guild.id, key, channel_id, args)
            return CardResult(previous, [on_its_way_note(channel_id)], on_its_way=True)
        nonce = f"c{learner_id}-{secrets.token_hex(6)}"
        try:
            message = await publish_announcement(
                channel, previous, ui.announcement_embed(data), card_view(data), nonce
            )
        except Exception as error:
            if not is_temporary(error):
                if not isinstance(error, discord.HTTPException):
                    raise
                log.warning("could not post announcement in %s: %s", channel_id, error)
                return CardResult(None, [cannot_post_note(channel_id)])
            log.warning(
                "announcement card of learner %s kept in the outbox: %s",
                learner_id,
                describe(error),
            )
            await self._keep(
                guild.id, KIND, key, channel_id=channel_id, args=args, nonce=nonce, error=error
            )
            return CardResult(previous, [on_its_way_note(channel_id)], on_its_way=True)
        if previous is not None and previous.channel_id != channel.id:  # the channel changed
            await delete_post(guild, previous)
        return CardResult(PostLocation(channel.id, message.id), [])

    async def refresh(self, guild_id: int, learner_id: int) -> None:
        """Re-render a learner's posted card in place (after a pairing changed); kept in the
        outbox when Discord doesn't take the edit."""
        found = await self._learners.announcement_view(guild_id, learner_id)
        if found is None or found.post is None:
            return
        post, data = found.post, found.announcement
        channel = self._client.get_channel(post.channel_id)
        if not isinstance(channel, discord.TextChannel):
            return
        try:
            await channel.get_partial_message(post.message_id).edit(
                embed=ui.announcement_embed(data), view=card_view(data)
            )
        except Exception as error:
            if not is_temporary(error):
                log.info("could not refresh announcement %s: %s", post.message_id, error)
                return
            log.info("announcement %s: edit kept for later (%s)", post.message_id, describe(error))
            args = {"learner_id": learner_id, "user_id": data.user_id}
            await self._later(guild_id, card_key(learner_id), post.channel_id, args)

    async def _later(self, guild_id: int, key: str, channel_id: int, args: dict[str, int]) -> None:
        await self._outbox.enqueue(guild_id, KIND, key=key, channel_id=channel_id, args=args)
        self._sender.wake()

    async def _send(self, item: OutboxItem) -> int | None:
        """The outbox's try: render the card as it is now, edit the posted one or post anew."""
        found = await self._learners.announcement_view(item.guild_id, int(item.args["learner_id"]))
        if found is None:
            raise Undeliverable("the learner's announcement is gone")
        channel = self._client.get_channel(item.channel_id or 0)
        if not isinstance(channel, discord.TextChannel):
            raise Undeliverable("the Nexus channel is gone")
        previous = found.post
        data = found.announcement
        message = await publish_announcement(
            channel, previous, ui.announcement_embed(data), card_view(data), item.nonce
        )
        where = PostLocation(channel.id, message.id)
        if where != previous:
            await self._learners.record_post(found.announcement.learner_id, where)
        return message.id

    async def _report(self, outcome: Outcome) -> None:
        """Tell the learner, once, that their card could not be posted."""
        item = outcome.item
        if (
            await self._learners.announcement_view(item.guild_id, int(item.args["learner_id"]))
            is None
        ):
            return  # erased or never announced: nothing to tell
        text = (
            f"⚠️ I couldn't post your announcement card in <#{item.channel_id}>: Discord kept "
            f"failing ({outcome.error}). Your project is saved; press **Announce** to post it "
            "again."
        )
        await self._notices.tell(
            item.guild_id,
            int(item.args["user_id"]),
            text,
            fallback_channel_id=item.channel_id or 0,
            button="announce",
        )
