"""What every cog shares: the `/nexus` moderator group and its server-side check, the
`Interaction` type, the one guild-only check and the shared autocompletes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.timezones import suggest_timezones
from bot.errors import GuildOnly, NotModerator

if TYPE_CHECKING:
    from bot.app import NexusBot

AppCommand = app_commands.Command[Any, ..., Any] | app_commands.Group
Interaction = discord.Interaction["NexusBot"]  # `interaction.client` is the bot, without a cast


def server_id(interaction: discord.Interaction) -> int:
    """The server the command runs in; `GuildOnly` in DMs."""
    if interaction.guild_id is None:
        raise GuildOnly()
    return interaction.guild_id


def caller(interaction: discord.Interaction) -> discord.Member:
    """The member running the command; `GuildOnly` in DMs."""
    if interaction.guild is None or not isinstance(interaction.user, discord.Member):
        raise GuildOnly()
    return interaction.user


def choices(options: Iterable[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    """Autocomplete choices from (name shown, value sent) pairs."""
    return [app_commands.Choice(name=name, value=value) for name, value in options]


async def project_autocomplete(
    interaction: Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Catalog projects from memory; the `role` option, when already given, ranks its track's
    titles first."""
    role = getattr(interaction.namespace, "role", None)
    found = interaction.client.services.catalog.suggest(interaction.guild_id, current, role=role)
    return choices((c.name, c.value) for c in found)


async def timezone_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Learners' common zones first, offsets in canonical form, typos forgiven."""
    return choices((name, name) for name in suggest_timezones(current))


def build_nexus_group() -> app_commands.Group:
    """Hidden from members without Manage Server; every leaf is also checked server-side."""
    return app_commands.Group(
        name="nexus",
        description="Moderator tools for Nexus",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )


async def moderator_check(interaction: Interaction) -> bool:
    """Manage Server or the configured moderator role; raises so the user is told why."""
    user = interaction.user
    if interaction.guild_id is None or not isinstance(user, discord.Member):
        raise app_commands.CheckFailure("guild only") from GuildOnly()
    bot = interaction.client
    role_ids = {role.id for role in user.roles}
    manage_guild = interaction.permissions.manage_guild or user.guild_permissions.manage_guild
    if not await bot.services.guilds.is_moderator(interaction.guild_id, role_ids, manage_guild):
        # discord.py only routes AppCommandErrors to the tree's handler; the cause carries the text
        raise app_commands.CheckFailure("not a moderator") from NotModerator()
    return True


def _leaves(command: AppCommand) -> Iterator[app_commands.Command[Any, ..., Any]]:
    if isinstance(command, app_commands.Group):
        for child in command.commands:
            yield from _leaves(child)
    else:
        yield command


class ModeratorCog(commands.Cog):
    """A cog whose app commands are mounted under `/nexus` instead of the top level.

    Every command it defines at the top level of the class (plain commands or groups) is moved
    into the bot's shared `/nexus` group when the cog loads, and every leaf gets the
    server-side moderator check, so no moderator command can forget it.
    """

    bot: NexusBot

    async def cog_load(self) -> None:
        nexus = self.bot.nexus_group
        own = list(self.__cog_app_commands__)
        self.__cog_app_commands__.clear()  # keep discord.py from adding them at the top level
        for command in own:
            command.parent = nexus
            nexus.add_command(command)
            for leaf in _leaves(command):
                if moderator_check not in leaf.checks:
                    leaf.add_check(moderator_check)
        self._mounted = [command.name for command in own]

    async def cog_unload(self) -> None:
        for name in getattr(self, "_mounted", []):
            self.bot.nexus_group.remove_command(name)
