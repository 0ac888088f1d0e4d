"""Base classes for views, modals and dynamic buttons that report errors through the one
handler."""

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


class ReportingButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"nexus:never"):
    """A persistent (dynamic) button whose errors reach the one error handler.

    discord.py only logs exceptions raised by a DynamicItem's callback, so subclasses put
    their work in `run` and this base reports what it raises. (The template above is never
    matched: every subclass gives its own.)"""

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await self.run(interaction)
        except Exception as error:
            await report_error(interaction, error)

    async def run(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError
