"""Embeds for `/nexus setup`, `/nexus settings` and `/nexus show`."""

from __future__ import annotations

import discord

from bot.domain.server import ServerSettings
from bot.ui import embeds


def _mention_or_none(kind: str, snowflake: int | None) -> str:
    if snowflake is None:
        return "not set"
    return f"<#{snowflake}>" if kind == "channel" else f"<@&{snowflake}>"


def config_embed(
    config: ServerSettings, title: str, notes: list[str] | None = None
) -> discord.Embed:
    embed = embeds.info(title)
    embed.add_field(name="Nexus channel", value=f"<#{config.channel_id}>", inline=True)
    embed.add_field(
        name="Mod log", value=_mention_or_none("channel", config.mod_log_channel_id), inline=True
    )
    embed.add_field(
        name="Roles",
        value=(
            f"Backend: {_mention_or_none('role', config.backend_role_id)}\n"
            f"Frontend: {_mention_or_none('role', config.frontend_role_id)}\n"
            f"Learner (cohort): {_mention_or_none('role', config.learner_role_id)}\n"
            f"Moderator: {_mention_or_none('role', config.moderator_role_id)}"
        ),
        inline=False,
    )
    embed.add_field(
        name="Settings",
        value=(
            f"Time zone: `{config.timezone}`\n"
            f"Custom projects: {'allowed' if config.allow_custom_projects else 'not allowed'}\n"
            f"Max partners: {config.max_partners}\n"
            f"Pair requests expire after: {config.request_expiry_hours} h\n"
            f"Late reminders sent within: {config.reminder_grace_hours} h"
        ),
        inline=False,
    )
    if notes:
        embed.add_field(name="Check", value="\n".join(notes)[:1024], inline=False)
    return embed


def health_field(embed: discord.Embed, lines: list[str]) -> discord.Embed:
    embed.add_field(name="Health", value="\n".join(lines)[:1024] or "ok", inline=False)
    return embed
