"""The floor: what discord.py itself costs to answer a slash command, with no work of its own.

Two no-op commands on a bare `commands.Bot` configured like Nexus (same intents, no message
cache, no mentions):

* `/noop` answers "ok" (ephemeral);
* `/card` answers with a message of `/learn`'s shape, built per call with no I/O: one embed of
  about 2,000 characters with a footer, five buttons and a select menu of five options.

Nexus's latency benches run each of these in the same setup (a fresh fake Discord configured the
same way, in the same process and run) and report Nexus's figures as ratios to the card floor.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

PARAGRAPH = (
    "Use select_related for foreign keys and prefetch_related for reverse and many-to-many "
    "relations, so a list view runs two queries instead of one per row. "
)


def card_embed(topic: str) -> discord.Embed:
    text = (PARAGRAPH * 12)[:1_900]
    embed = discord.Embed(title=f"{topic.title()}: avoiding N+1 queries", description=text)
    embed.colour = discord.Colour.blurple()
    embed.set_footer(text="Django · 🌿 intermediate · page 1/4 · reviewed 2026-10-01")
    return embed


class CardView(discord.ui.View):
    """Previous / Next / Post / Helpful / Not helpful and a related-topics menu."""

    def __init__(self, owner: int) -> None:
        super().__init__(timeout=180)
        for label in ("Previous", "Next", "Post to channel", "Helpful", "Not helpful"):
            self.add_item(
                discord.ui.Button(label=label, custom_id=f"floor:{label.lower()}:{owner}")
            )
        menu: discord.ui.Select[CardView] = discord.ui.Select(
            custom_id=f"floor:related:{owner}",
            placeholder="Related topics",
            options=[
                discord.SelectOption(label=name, value=name.lower())
                for name in ("DRF", "PostgreSQL", "Caching", "Testing", "Docker")
            ],
        )
        self.add_item(menu)


class FloorBot(commands.Bot):
    def __init__(self) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.members = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            guild_ready_timeout=0.05,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            max_messages=None,
        )

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None

    async def setup_hook(self) -> None:
        @self.tree.command(name="noop", description="Answer and do nothing else")
        async def noop(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("ok", ephemeral=True)

        @self.tree.command(name="card", description="A /learn-shaped card, no I/O")
        @app_commands.describe(topic="Any text")
        async def card(interaction: discord.Interaction, topic: str) -> None:
            await interaction.response.send_message(
                embed=card_embed(topic), view=CardView(interaction.user.id), ephemeral=True
            )

        await self.tree.sync()
