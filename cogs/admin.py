"""/nexus setup, /nexus settings, /nexus show: server configuration for moderators."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.app import NexusBot
from bot.commands import Interaction, ModeratorCog, server_id
from bot.errors import InvalidInput
from bot.services.guilds import SetupRoles
from bot.ui import admin as ui


def _check_role(role: discord.Role | None, label: str) -> int | None:
    if role is None:
        return None
    if role.is_default() or role.managed:
        raise InvalidInput(f"{label} can't be `{role.name}`: pick a normal role.")
    return role.id


def permission_notes(
    guild: discord.Guild, channel: discord.abc.GuildChannel, roles: list[discord.Role]
) -> list[str]:
    """What the bot can't do with this setup, so moderators can fix it before learners hit it."""
    me = guild.me
    notes: list[str] = []
    perms = channel.permissions_for(me)
    needed = {
        "view_channel": "see the channel",
        "send_messages": "post announcements",
        "embed_links": "post embeds",
        "create_private_threads": "create private pair threads",
        "send_messages_in_threads": "post in pair threads",
    }
    for flag, what in needed.items():
        if not getattr(perms, flag):
            notes.append(f"⚠️ I can't {what} in {channel.mention}.")
    assignable = [r for r in roles if r is not None]
    if assignable and not me.guild_permissions.manage_roles:
        notes.append("⚠️ I need **Manage Roles** to give backend/frontend roles.")
    for role in assignable:
        if role >= me.top_role:
            notes.append(f"⚠️ Move my role above {role.mention} so I can assign it.")
    return notes or ["✅ I have the permissions I need."]


class AdminCog(ModeratorCog):
    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot
        self.guilds = bot.services.guilds

    @app_commands.command(name="setup", description="Configure Nexus for this server")
    @app_commands.describe(
        channel="The Nexus channel where announcements and pair threads go",
        backend_role="Role given to learners who announce as backend",
        frontend_role="Role given to learners who announce as frontend",
        learner_role="Role that marks the cohort (used by first-week reminders)",
        moderator_role="Role whose members may use /nexus commands",
        mod_log="Channel for moderator notices",
    )
    async def setup(
        self,
        interaction: Interaction,
        channel: discord.TextChannel,
        backend_role: discord.Role | None = None,
        frontend_role: discord.Role | None = None,
        learner_role: discord.Role | None = None,
        moderator_role: discord.Role | None = None,
        mod_log: discord.TextChannel | None = None,
    ) -> None:
        assert interaction.guild is not None
        roles = SetupRoles(
            backend_role_id=_check_role(backend_role, "The backend role"),
            frontend_role_id=_check_role(frontend_role, "The frontend role"),
            learner_role_id=_check_role(learner_role, "The learner role"),
            moderator_role_id=_check_role(moderator_role, "The moderator role"),
            mod_log_channel_id=mod_log.id if mod_log else None,
        )
        if backend_role and frontend_role and backend_role == frontend_role:
            raise InvalidInput("The backend and frontend roles must be different roles.")
        config, created = await self.guilds.setup(
            interaction.guild.id, channel.id, roles, by_user=interaction.user.id
        )
        notes = permission_notes(
            interaction.guild, channel, [r for r in (backend_role, frontend_role) if r]
        )
        catalog = await self.bot.services.catalog.index(interaction.guild.id)
        notes.append(f"📚 Project catalog: {len(catalog)} projects (`/nexus projects list`).")
        title = "Nexus is set up" if created else "Nexus setup updated"
        await interaction.response.send_message(
            embed=ui.config_embed(config, title, notes), ephemeral=True
        )

    @app_commands.command(name="settings", description="Change how Nexus behaves on this server")
    @app_commands.describe(
        timezone="Server default time zone (e.g. Africa/Lagos or UTC+1)",
        allow_custom_projects="Let learners announce their own project ideas",
        max_partners="How many partners a learner may have (1-4)",
        request_expiry_hours="Hours before an unanswered pair request expires",
        reminder_grace_hours="Hours a missed reminder may still be sent late",
    )
    async def settings(
        self,
        interaction: Interaction,
        timezone: str | None = None,
        allow_custom_projects: bool | None = None,
        max_partners: app_commands.Range[int, 1, 4] | None = None,
        request_expiry_hours: app_commands.Range[int, 1, 168] | None = None,
        reminder_grace_hours: app_commands.Range[int, 0, 72] | None = None,
    ) -> None:
        config = await self.guilds.update_settings(
            server_id(interaction),
            {
                "timezone": timezone,
                "allow_custom_projects": allow_custom_projects,
                "max_partners": max_partners,
                "request_expiry_hours": request_expiry_hours,
                "reminder_grace_hours": reminder_grace_hours,
            },
        )
        await interaction.response.send_message(
            embed=ui.config_embed(config, "Settings saved"), ephemeral=True
        )

    @app_commands.command(name="show", description="Show the current settings and health")
    async def show(self, interaction: Interaction) -> None:
        assert interaction.guild is not None
        config = await self.guilds.settings(interaction.guild.id)
        channel = interaction.guild.get_channel(config.channel_id)
        if channel is None:
            notes = [f"⚠️ The Nexus channel (id {config.channel_id}) no longer exists."]
        else:
            notes = permission_notes(interaction.guild, channel, [])
        latency = self.bot.latency
        health = [
            f"Gateway latency: {latency * 1000:.0f} ms" if latency == latency else "Gateway: —",
            f"Servers: {len(self.bot.guilds)}",
        ]
        embed = ui.health_field(ui.config_embed(config, "Nexus settings", notes), health)
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: NexusBot) -> None:
    await bot.add_cog(AdminCog(bot))
