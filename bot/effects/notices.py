"""Notices through the outbox: a DM to one learner (their DMs closed → a mention of only them
in the Nexus channel) or a mod-log line; retried like every outbox post, never doubled."""

from __future__ import annotations

from dataclasses import dataclass

import discord
from discord.utils import MISSING

from bot.effects.messages import DMS_CLOSED, only_user
from bot.effects.outbox import Posting, Undeliverable
from bot.services.outbox import OutboxItem
from bot.ui.dm_steps import notice_view

DM_KIND = "dm_notice"
MOD_LOG_KIND = "mod_log"
#: A plain channel message; no longer queued (kickoffs are `pairing.KICKOFF_KIND`), but rows
#: left by an earlier version are still sent.
MESSAGE_KIND = "message"


@dataclass(eq=False)
class Notices(Posting):
    def __post_init__(self) -> None:
        self._sender.register(DM_KIND, self._send_dm)
        self._sender.register(MOD_LOG_KIND, self._send_line)
        self._sender.register(MESSAGE_KIND, self._send_message)

    async def tell(
        self,
        guild_id: int,
        user_id: int,
        text: str,
        *,
        fallback_channel_id: int,
        button: str | None = None,
    ) -> None:
        """DM `user_id` (or mention only them in `fallback_channel_id`), retried until sent;
        with the next step as a `button` (see `bot.ui.dm_steps.notice_view`)."""
        args: dict[str, object] = {"user_id": user_id, "text": text}
        if button:
            args["button"] = button
        await self._outbox.enqueue(guild_id, DM_KIND, channel_id=fallback_channel_id, args=args)
        self._sender.wake()

    async def mod_log(self, guild_id: int, channel_id: int, text: str) -> None:
        """A line in the mod-log (pings no one), retried until sent."""
        await self._outbox.enqueue(
            guild_id, MOD_LOG_KIND, channel_id=channel_id, args={"text": text}
        )
        self._sender.wake()

    async def _send_message(self, item: OutboxItem) -> int | None:
        if item.channel_id is None:
            raise Undeliverable("no channel")
        mention_ids = [int(user_id) for user_id in item.args.get("mention_ids", [])]
        allowed = discord.AllowedMentions(
            users=[discord.Object(user_id) for user_id in mention_ids], roles=False, everyone=False
        )
        embeds = [discord.Embed.from_dict(data) for data in item.args.get("embeds", [])]
        channel = self._client.get_partial_messageable(item.channel_id)
        try:
            message = await channel.send(
                str(item.args.get("content") or "") or None,
                embeds=embeds,
                allowed_mentions=allowed,
                nonce=item.nonce,
            )
        except discord.NotFound as error:
            raise Undeliverable("the channel no longer exists") from error
        return message.id

    async def _send_dm(self, item: OutboxItem) -> int | None:
        user_id, text = int(item.args["user_id"]), str(item.args["text"])
        view = notice_view(item.guild_id, user_id, item.args.get("button")) or MISSING
        try:
            channel = await self._client.create_dm(discord.Object(user_id))
            message = await channel.send(
                text, allowed_mentions=discord.AllowedMentions.none(), nonce=item.nonce, view=view
            )
            return message.id
        except discord.Forbidden as error:
            if error.code != DMS_CLOSED or item.channel_id is None:
                raise Undeliverable(f"DM refused ({error.code})") from error
        fallback = self._client.get_partial_messageable(item.channel_id)
        message = await fallback.send(
            f"<@{user_id}> {text}", allowed_mentions=only_user(user_id), nonce=item.nonce, view=view
        )
        return message.id

    async def _send_line(self, item: OutboxItem) -> int | None:
        if item.channel_id is None:
            raise Undeliverable("no mod-log channel")
        channel = self._client.get_partial_messageable(item.channel_id)
        message = await channel.send(
            str(item.args["text"]),
            allowed_mentions=discord.AllowedMentions.none(),
            nonce=item.nonce,
        )
        return message.id
