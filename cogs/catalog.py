"""/nexus projects add | remove | list: the server's project catalog, for moderators."""

from __future__ import annotations

import asyncio
import logging

from discord import app_commands

from bot.app import NexusBot
from bot.commands import Interaction, ModeratorCog, project_autocomplete, server_id
from bot.errors import NexusError
from bot.ui import catalog as ui

log = logging.getLogger(__name__)


class CatalogCog(ModeratorCog):
    projects = app_commands.Group(name="projects", description="The server's project catalog")

    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot
        self.catalog = bot.services.catalog

    async def cog_load(self) -> None:
        await super().cog_load()
        await self.catalog.load_all()
        self._checking = asyncio.create_task(self._check_seed_catalog())

    async def _check_seed_catalog(self) -> None:
        """Read the catalog new servers get now, so a broken file is reported at start."""
        try:
            await asyncio.to_thread(self.catalog.seed_entries)
        except (OSError, NexusError) as error:
            log.error("the project catalog for new servers can't be read: %s", error)

    @projects.command(name="add", description="Add a project to the catalog")
    async def add(
        self,
        interaction: Interaction,
        name: str,
        aliases: str | None = None,
        description: str | None = None,
        backend_title: str | None = None,
        frontend_title: str | None = None,
    ) -> None:
        """
        Args:
            name: The project's name, e.g. Library Management
            aliases: Other names learners use, comma-separated
            description: One or two sentences about the project
            backend_title: The backend track's title, if it differs from the name
            frontend_title: The frontend track's title, if it differs from the name
        """
        entry = await self.catalog.add(
            server_id(interaction),
            interaction.user.id,
            name,
            aliases=aliases,
            description=description,
            backend_title=backend_title,
            frontend_title=frontend_title,
        )
        await interaction.response.send_message(embed=ui.added_embed(entry), ephemeral=True)

    @projects.command(name="remove", description="Remove a project from the catalog")
    @app_commands.autocomplete(project=project_autocomplete)
    async def remove(self, interaction: Interaction, project: str) -> None:
        """
        Args:
            project: The project to remove
        """
        removal = await self.catalog.remove(
            server_id(interaction), project, by_user=interaction.user.id
        )
        await interaction.response.send_message(
            ui.removed_text(removal.entry, removal.learners), ephemeral=True
        )

    @projects.command(name="list", description="Show the catalog")
    async def list_projects(self, interaction: Interaction) -> None:
        entries = await self.catalog.entries(server_id(interaction))
        view = ui.CatalogPages(entries, interaction.user.id)
        await interaction.response.send_message(
            embed=ui.catalog_page(entries, 0), view=view, ephemeral=True
        )


async def setup(bot: NexusBot) -> None:
    await bot.add_cog(CatalogCog(bot))
