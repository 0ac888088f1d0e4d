"""The base class for (non-persistent) views, whose errors reach the one handler; persistent
buttons derive from bot/ui/persistent.py."""

from __future__ import annotations

from typing import Any

import discord

from bot.ui.errors import report_error


class NexusView(discord.ui.View):
    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await report_error(interaction, error)
