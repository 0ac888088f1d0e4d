"""/nexus setup, /nexus settings, /nexus show: server configuration for moderators."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.app import NexusBot
from bot.commands import Interaction, ModeratorCog, server_id
from bot.domain.server import ServerSettings
from bot.errors import InvalidInput
from bot.services.guilds import SetupRoles
from bot.ui import admin as ui


def _check_role(role: discord.Role | None, label: str) -> int | None:
    if role is None:
        return None
    if role.is_default() or role.managed:
        raise InvalidInput(f"{label} can't be `{role.name}`: pick a normal role.")
    return role.id


def channel_notes(guild: discord.Guild, channel: discord.abc.GuildChannel) -> list[str]:
    """What the bot can't do in the Nexus channel."""
    perms = channel.permissions_for(guild.me)
    needed = {
        "view_channel": "see the channel",
        "send_messages": "post announcements",
        "embed_links": "post embeds",
        "create_private_threads": "create private pair threads",
        "send_messages_in_threads": "post in pair threads",
    }
    return [
        f"⚠️ I can't {what} in {channel.mention}."
        for flag, what in needed.items()
        if not getattr(perms, flag)
    ]


def role_notes(guild: discord.Guild, roles: list[discord.Role]) -> list[str]:
    """What stops the bot from handing out the track roles."""
    me = guild.me
    notes: list[str] = []
    if roles and not me.guild_permissions.manage_roles:
        notes.append("⚠️ I need **Manage Roles** to give backend/frontend roles.")
    for role in roles:
        if role >= me.top_role:
            notes.append(f"⚠️ Move my role above {role.mention} so I can assign it.")
    return notes


def permission_notes(
    guild: discord.Guild, channel: discord.abc.GuildChannel, roles: list[discord.Role]
) -> list[str]:
    """What the bot can't do with this setup, so moderators can fix it before learners hit it."""
    notes = channel_notes(guild, channel) + role_notes(guild, roles)
    return notes or ["✅ I have the permissions I need."]


class AdminCog(ModeratorCog):
    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot
        self.guilds = bot.services.guilds

    @app_commands.command(name="setup", description="Configure Nexus for this server")
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
        """
        Args:
            channel: The Nexus channel where announcements and pair threads go
            backend_role: Role given to learners who announce as backend
            frontend_role: Role given to learners who announce as frontend
            learner_role: Role that marks the cohort (used by first-week reminders)
            moderator_role: Role whose members may use /nexus commands
            mod_log: Channel for moderator notices
        """
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
    async def settings(
        self,
        interaction: Interaction,
        timezone: str | None = None,
        allow_custom_projects: bool | None = None,
        max_partners: app_commands.Range[int, 1, 4] | None = None,
        request_expiry_hours: app_commands.Range[int, 1, 168] | None = None,
        reminder_grace_hours: app_commands.Range[int, 0, 72] | None = None,
        checkin_hours: app_commands.Range[int, 0, 336] | None = None,
    ) -> None:
        """
        Args:
            timezone: Server default time zone (e.g. Africa/Lagos or UTC+1)
            allow_custom_projects: Let learners announce their own project ideas
            max_partners: How many partners a learner may have (1-4)
            request_expiry_hours: Hours before an unanswered pair request expires
            reminder_grace_hours: Hours a missed reminder may still be sent late
            checkin_hours: Hours after a pairing its thread gets a check-in (0 = off, default 48)
        """
        config = await self.guilds.update_settings(
            server_id(interaction),
            {
                "timezone": timezone,
                "allow_custom_projects": allow_custom_projects,
                "max_partners": max_partners,
                "request_expiry_hours": request_expiry_hours,
                "reminder_grace_hours": reminder_grace_hours,
                "checkin_hours": checkin_hours,
            },
            by_user=interaction.user.id,
        )
        await interaction.response.send_message(
            embed=ui.config_embed(config, "Settings saved"), ephemeral=True
        )

    @app_commands.command(name="show", description="What is set, what is missing, what to do next")
    async def show(self, interaction: Interaction) -> None:
        assert interaction.guild is not None
        overview = await self.guilds.overview(interaction.guild.id)
        problems = setup_problems(interaction.guild, overview.settings)
        await interaction.response.send_message(
            embed=ui.show_embed(overview, problems), ephemeral=True
        )


def setup_problems(guild: discord.Guild, settings: ServerSettings) -> list[str]:
    """Everything the bot can't do with this server's setup (empty: all good)."""
    problems: list[str] = []
    channel = guild.get_channel(settings.channel_id)
    if channel is None:
        problems.append(f"⚠️ The Nexus channel (id {settings.channel_id}) no longer exists.")
    else:
        problems += channel_notes(guild, channel)
    if settings.mod_log_channel_id is not None:
        mod_log = guild.get_channel(settings.mod_log_channel_id)
        if mod_log is None:
            problems.append("⚠️ The mod-log channel no longer exists.")
        else:
            perms = mod_log.permissions_for(guild.me)
            if not (perms.view_channel and perms.send_messages):
                problems.append(f"⚠️ I can't post in the mod-log {mod_log.mention}.")
            elif not perms.attach_files:
                problems.append(
                    f"⚠️ I can't attach files in {mod_log.mention}: the day-7 chart needs it."
                )
    roles = [
        guild.get_role(role_id)
        for role_id in (settings.backend_role_id, settings.frontend_role_id)
        if role_id is not None
    ]
    if any(role is None for role in roles):
        problems.append("⚠️ A track role set in `/nexus setup` no longer exists.")
    return problems + role_notes(guild, [r for r in roles if r is not None])


async def setup(bot: NexusBot) -> None:
    await bot.add_cog(AdminCog(bot))
