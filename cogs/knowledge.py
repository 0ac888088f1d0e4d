"""/learn for everyone, and /nexus learn reload for moderators."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NexusBot
from bot.commands import Interaction, ModeratorCog, choices, server_id
from bot.domain.text import user_text
from bot.ui import dm_steps
from bot.ui import learn as ui


class LearnCog(commands.Cog, name=ui.COG_NAME):
    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot
        self.knowledge = bot.services.knowledge

    async def cog_load(self) -> None:
        self.knowledge.start_loading()

    async def topic_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return choices((c.name, c.value) for c in self.knowledge.autocomplete(current))

    @app_commands.command(name="learn", description="Read what earlier learners documented")
    @app_commands.autocomplete(topic=topic_autocomplete)
    @app_commands.guild_only()
    async def learn(self, interaction: Interaction, topic: app_commands.Range[str, 1, 100]) -> None:
        """
        Args:
            topic: A topic (Django, DRF, Docker, caching…) or a question
        """
        answer = await self.knowledge.lookup(server_id(interaction), topic)
        owner = interaction.user.id
        view: discord.ui.View | None
        if answer.article is not None:
            embed, view = ui.article_card(self.knowledge, answer.article.slug, 0, owner)
        elif answer.candidates:
            embed, view = ui.candidates_card(topic, answer.candidates, owner)
        else:
            embed, view = ui.miss_card(topic, self.knowledge.library, owner)
        if view is None:
            await interaction.response.send_message(embed=embed, ephemeral=True)
        else:
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    # Card components hand their clicks here (bot/ui/learn.py); the component has checked that
    # its owner pressed it. A click can arrive right after a restart, before the knowledge base
    # has loaded, hence `ready()` first.

    async def turn_page(
        self, interaction: Interaction, slug: str, page: int, owner_id: int, shared: bool
    ) -> None:
        await self.knowledge.ready()
        if shared:
            by = user_text(interaction.user.display_name, 60)
            embed, view = ui.shared_card(self.knowledge, slug, page, owner_id, by)
        else:
            embed, view = ui.article_card(self.knowledge, slug, page, owner_id)
            if interaction.guild_id is None:
                view = dm_steps.for_dm(view)
        await interaction.response.edit_message(embed=embed, view=view)

    async def post_page(
        self, interaction: Interaction, slug: str, page: int, owner_id: int
    ) -> None:
        await self.knowledge.ready()
        by = user_text(interaction.user.display_name, 60)
        embed, view = ui.shared_card(self.knowledge, slug, page, owner_id, by)
        await interaction.response.send_message(
            embed=embed, view=view, allowed_mentions=discord.AllowedMentions.none()
        )

    async def open_copy(self, interaction: Interaction, slug: str, page: int) -> None:
        await self.knowledge.ready()
        embed, view = ui.article_card(self.knowledge, slug, page, interaction.user.id)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    async def vote(
        self, interaction: Interaction, slug: str, page: int, helpful: bool, owner_id: int
    ) -> None:
        await self.knowledge.ready()
        await self.knowledge.vote(server_id(interaction), interaction.user.id, slug, helpful)
        embed, view = ui.article_card(self.knowledge, slug, page, owner_id, vote=helpful)
        await interaction.response.edit_message(embed=embed, view=view)

    async def open_topic(self, interaction: Interaction, slug: str, owner_id: int) -> None:
        await self.knowledge.ready()
        embed, view = ui.article_card(self.knowledge, slug, 0, owner_id)
        if interaction.guild_id is None:
            view = dm_steps.for_dm(view)
        await interaction.response.edit_message(embed=embed, view=view)

    # **Learn** in a reminder DM (bot/ui/dm_steps.py): the topics, then an article, in the DM.

    async def show_topics(self, interaction: Interaction, guild_id: int) -> None:
        await self.knowledge.ready()
        embed, view = dm_steps.topics_card(self.knowledge.library, guild_id)
        if view is None:
            await interaction.response.send_message(embed=embed)
        else:
            await interaction.response.send_message(embed=embed, view=view)

    async def open_dm_topic(self, interaction: Interaction, slug: str) -> None:
        await self.knowledge.ready()
        embed, view = ui.article_card(self.knowledge, slug, 0, interaction.user.id)
        await interaction.response.send_message(embed=embed, view=dm_steps.for_dm(view))


class KnowledgeAdminCog(ModeratorCog):
    learn = app_commands.Group(name="learn", description="Manage the /learn knowledge base")

    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot
        self.knowledge = bot.services.knowledge

    @learn.command(name="reload", description="Re-read the knowledge base files now")
    async def reload(self, interaction: Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.knowledge.reload(interaction.guild_id, by_user=interaction.user.id)
        await interaction.followup.send(
            embed=ui.reload_embed(result.report, result.changes), ephemeral=True
        )


async def setup(bot: NexusBot) -> None:
    await bot.add_cog(LearnCog(bot))
    await bot.add_cog(KnowledgeAdminCog(bot))
