"""Base classes for views and modals that report errors through the one handler."""

from __future__ import annotations

from typing import Any

import discord

from bot.ui.errors import report_error


class NexusView(discord.ui.View):
    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await report_error(interaction, error)


class NexusModal(discord.ui.Modal):
    async def on_error(  # type: ignore[override]  # discord.py's stub differs from Modal's
        self, interaction: discord.Interaction, error: Exception, /
    ) -> None:
        await report_error(interaction, error)
