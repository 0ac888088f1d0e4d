"""Posting the audit trail to the server's mod-log, with no pings."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence

import discord

from bot.domain.audit import AuditRecord
from bot.services.guilds import GuildService
from bot.ui.audit import audit_messages

log = logging.getLogger(__name__)


class ModLogAudit:
    """An `AuditTrail` listener: each batch of changes becomes mod-log lines."""

    def __init__(self, client: discord.Client, guilds: GuildService) -> None:
        self._client = client
        self._guilds = guilds

    async def __call__(self, records: Sequence[AuditRecord]) -> None:
        by_guild: dict[int, list[AuditRecord]] = defaultdict(list)
        for record in records:
            by_guild[record.guild_id].append(record)
        for guild_id, group in by_guild.items():
            config = await self._guilds.get(guild_id)
            if config is None or config.mod_log_channel_id is None:
                continue  # `/nexus show` tells moderators the mod-log is not set
            channel = self._client.get_partial_messageable(config.mod_log_channel_id)
            for text in audit_messages(group):
                try:
                    await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
                except discord.HTTPException as error:
                    log.warning("audit line not posted in %s: %s", channel.id, error)
                    return

    def member_name(self, guild_id: int, user_id: int) -> str | None:
        """The member's display name from the gateway cache (no request)."""
        guild = self._client.get_guild(guild_id)
        member = guild.get_member(user_id) if guild else None
        return member.display_name if member else None
