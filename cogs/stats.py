"""/nexus stats and /nexus export for moderators."""

from __future__ import annotations

from discord import app_commands

from bot.app import NexusBot
from bot.commands import Interaction, ModeratorCog, choices, server_id
from bot.ui import charts
from bot.ui import stats as ui


class StatsCog(ModeratorCog):
    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot
        self.stats_service = bot.services.stats

    async def project_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        return choices(await self.stats_service.project_choices(interaction.guild_id, current))

    @app_commands.command(name="stats", description="Announced, paired and waiting learners")
    @app_commands.autocomplete(project=project_autocomplete)
    async def stats(self, interaction: Interaction, project: str | None = None) -> None:
        """
        Args:
            project: Only this project
        """
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await self.stats_service.overview(server_id(interaction), project)
        picture = await charts.chart_file(report.chart(ui.stats_title(report)))
        await interaction.followup.send(
            embed=ui.stats_embed(report, picture.filename), file=picture, ephemeral=True
        )

    @app_commands.command(name="export", description="Learners and pairings as CSV files")
    async def export(self, interaction: Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        files = await self.stats_service.export(server_id(interaction))
        assert interaction.guild is not None
        text, attachments = ui.export_message(
            files, interaction.guild.name, self.bot.services.clock.now()
        )
        await interaction.followup.send(text, files=attachments, ephemeral=True)


async def setup(bot: NexusBot) -> None:
    await bot.add_cog(StatsCog(bot))
