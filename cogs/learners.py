"""Learner commands: /reminders (announce, profile and my-data live here too)."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NexusBot
from bot.errors import GuildOnly

REMINDER_REPLIES = {
    "on": "🔔 First-week reminders are **on**: you'll be mentioned in the Nexus channel.",
    "off": "🔕 First-week reminders are **off**. Turn them back on any time with `/reminders on`.",
    "dm": "📬 First-week reminders will come to you **by DM**.",
}


class LearnersCog(commands.Cog):
    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot
        self.learners = bot.services.learners

    @app_commands.command(
        name="reminders", description="Turn first-week reminders on, off or to DMs"
    )
    @app_commands.describe(setting="on: in the channel · off: none · dm: by direct message")
    @app_commands.guild_only()
    async def reminders(
        self, interaction: discord.Interaction, setting: Literal["on", "off", "dm"]
    ) -> None:
        if interaction.guild_id is None:
            raise GuildOnly()
        await self.learners.set_reminders(
            interaction.guild_id, interaction.user.id, interaction.user.display_name, setting
        )
        await interaction.response.send_message(REMINDER_REPLIES[setting], ephemeral=True)


async def setup(bot: NexusBot) -> None:
    await bot.add_cog(LearnersCog(bot))
