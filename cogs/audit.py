"""The audit trail's way to the mod-log: attached when the bot loads its cogs."""

from __future__ import annotations

from discord.ext import commands

from bot.app import NexusBot
from bot.effects.audit import ModLogAudit


class AuditCog(commands.Cog):
    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        poster = ModLogAudit(self.bot, self.bot.outbox)
        self.bot.services.audit.attach(self.bot.outbox.wake, poster.member_name)


async def setup(bot: NexusBot) -> None:
    await bot.add_cog(AuditCog(bot))
