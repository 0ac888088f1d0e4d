"""/nexus cohort start | show | preview | cancel: the first-week reminder plan."""

from __future__ import annotations

import logging

from discord import app_commands
from discord.ext import commands

from bot.app import NexusBot
from bot.commands import Interaction, ModeratorCog, server_id, timezone_autocomplete
from bot.effects.reminders import DiscordReminderTransport, GatewayMemberDirectory
from bot.ui import cohort as ui

log = logging.getLogger(__name__)


class CohortCog(ModeratorCog):
    cohort = app_commands.Group(name="cohort", description="The first-week reminder plan")

    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot
        self.cohorts = bot.services.cohorts
        self.engine = bot.services.reminders

    async def cog_unload(self) -> None:
        await self.engine.stop()
        await super().cog_unload()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Reminders start once the member cache is complete (the learner-role cohort)."""
        self.engine.attach(
            DiscordReminderTransport(self.bot, self.bot.notices), GatewayMemberDirectory(self.bot)
        )
        await self.engine.start()
        log.info("first-week reminders running")

    @cohort.command(name="start", description="Schedule the first-week reminders for a cohort")
    @app_commands.autocomplete(timezone=timezone_autocomplete)
    async def start(self, interaction: Interaction, date: str, timezone: str | None = None) -> None:
        """
        Args:
            date: The cohort's first day, YYYY-MM-DD (day 1 of the plan)
            timezone: Time zone for the plan's times (default: the server's)
        """
        guild_id = server_id(interaction)
        await interaction.response.defer(ephemeral=True)
        overview = await self.cohorts.start(guild_id, date, timezone, by_user=interaction.user.id)
        title = "First week plan replaced" if overview.replaced else "First week scheduled"
        await interaction.followup.send(embed=ui.plan_embed(overview, title), ephemeral=True)

    @cohort.command(name="show", description="What is scheduled, sent, late or skipped")
    async def show(self, interaction: Interaction) -> None:
        overview = await self.cohorts.show(server_id(interaction))
        await interaction.response.send_message(
            embed=ui.plan_embed(overview, "First week reminders"), ephemeral=True
        )

    @cohort.command(name="preview", description="Dry run: who would get each upcoming reminder")
    async def preview(self, interaction: Interaction) -> None:
        guild_id = server_id(interaction)
        await interaction.response.defer(ephemeral=True)
        overview, steps = await self.cohorts.preview(guild_id)
        await interaction.followup.send(embed=ui.preview_embed(overview, steps), ephemeral=True)

    @cohort.command(name="cancel", description="Stop the running cohort's reminders")
    async def cancel(self, interaction: Interaction) -> None:
        overview = await self.cohorts.cancel(server_id(interaction), by_user=interaction.user.id)
        await interaction.response.send_message(
            embed=ui.plan_embed(overview, "First week cancelled"), ephemeral=True
        )


async def setup(bot: NexusBot) -> None:
    await bot.add_cog(CohortCog(bot))
