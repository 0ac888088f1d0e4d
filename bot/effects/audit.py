"""Posting the audit trail to the server's mod-log, with no pings: the sender of the outbox's
audit posts (stored with the change by `bot/services/audit.py`)."""

from __future__ import annotations

import discord

from bot.effects.outbox import OutboxSender, Undeliverable
from bot.services.audit import AUDIT_KIND, posted_lines
from bot.services.outbox import OutboxItem
from bot.ui.audit import audit_messages


class ModLogAudit:
    def __init__(self, client: discord.Client, sender: OutboxSender) -> None:
        self._client = client
        sender.register(AUDIT_KIND, self._send)

    async def _send(self, item: OutboxItem) -> int | None:
        """One batch of lines, in as few messages as fit; each message keeps its own nonce
        across retries, so a batch cut off half-way is finished, not doubled."""
        if item.channel_id is None:
            raise Undeliverable("no mod-log channel")
        channel = self._client.get_partial_messageable(item.channel_id)
        message_id = None
        for index, text in enumerate(audit_messages(posted_lines(item.guild_id, item.args))):
            nonce = item.nonce if index == 0 else f"{item.nonce[:21]}~{index}"
            try:
                message = await channel.send(
                    text, allowed_mentions=discord.AllowedMentions.none(), nonce=nonce
                )
            except discord.NotFound as error:
                raise Undeliverable("the mod-log channel no longer exists") from error
            message_id = message.id
        return message_id

    def member_name(self, guild_id: int, user_id: int) -> str | None:
        """The member's display name from the gateway cache (no request)."""
        guild = self._client.get_guild(guild_id)
        member = guild.get_member(user_id) if guild else None
        return member.display_name if member else None
