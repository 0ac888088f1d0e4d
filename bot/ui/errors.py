"""The one error handler: domain errors become friendly ephemeral text, the rest a reference."""

from __future__ import annotations

import logging
import secrets

import discord
from discord import app_commands

from bot.errors import SERVER_ONLY, NexusError

log = logging.getLogger(__name__)


def unwrap(error: BaseException) -> BaseException:
    """The domain error inside discord.py's wrappers, if any."""
    seen = 0
    while seen < 5 and isinstance(
        error, app_commands.CommandInvokeError | app_commands.CheckFailure
    ):
        inner = error.__cause__ or getattr(error, "original", None)
        if inner is None or inner is error:
            break
        error = inner
        seen += 1
    return error


def message_for(error: BaseException) -> tuple[str, str | None]:
    """(text for the user, log reference or None when the error is expected)."""
    error = unwrap(error)
    if isinstance(error, NexusError):
        return error.message, None
    if isinstance(error, app_commands.NoPrivateMessage):
        return SERVER_ONLY, None
    if isinstance(error, app_commands.MissingPermissions | app_commands.CheckFailure):
        return "You are not allowed to use this command.", None
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} s.", None
    if isinstance(error, app_commands.TransformerError):
        return f"`{str(error.value)[:50]}` is not a valid value for this option.", None
    ref = secrets.token_hex(4)
    return f"Something went wrong on my side (ref `{ref}`). The moderators can look it up.", ref


async def reply_ephemeral(interaction: discord.Interaction, text: str) -> None:
    """Answer the interaction privately, whether or not it was already answered or deferred."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell user %s about an error", interaction.user.id)


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    text, ref = message_for(error)
    if ref is not None:
        command = interaction.command.qualified_name if interaction.command else "component"
        log.error(
            "unexpected error (ref %s) in %s for user %s in guild %s",
            ref,
            command,
            interaction.user.id,
            interaction.guild_id,
            exc_info=unwrap(error),
        )
    await reply_ephemeral(interaction, text)


class NexusTree(app_commands.CommandTree):
    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)
