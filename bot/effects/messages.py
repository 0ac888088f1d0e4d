"""Reaching one learner: by DM, or with a mention in the Nexus channel when their DMs are closed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import discord
from discord.utils import MISSING

log = logging.getLogger(__name__)

DMS_CLOSED = 50007  # "Cannot send messages to this user"


@dataclass(frozen=True)
class Delivered:
    message: discord.Message
    by_dm: bool


def _or_missing(value: Any) -> Any:
    """discord.py wants MISSING, not None, for 'leave this out'."""
    return MISSING if value is None else value


def only_user(user_id: int) -> discord.AllowedMentions:
    """Allowed mentions that ping exactly one user and nothing else."""
    return discord.AllowedMentions(users=[discord.Object(user_id)], roles=False, everyone=False)


async def resolve_channel(
    client: discord.Client, channel_id: int
) -> discord.abc.Messageable | None:
    channel = client.get_channel(channel_id)
    if channel is None:
        try:
            channel = await client.fetch_channel(channel_id)
        except discord.HTTPException:
            return None
    return channel if isinstance(channel, discord.abc.Messageable) else None


async def send_dm(
    client: discord.Client,
    user_id: int,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
) -> discord.Message | None:
    """A DM, or None when the user can't be reached that way (DMs closed, unknown user)."""
    try:
        user = client.get_user(user_id) or await client.fetch_user(user_id)
        return await user.send(content, embed=_or_missing(embed), view=_or_missing(view))
    except discord.Forbidden as error:
        if error.code != DMS_CLOSED:
            log.info("DM to %s refused (%s)", user_id, error.code)
        return None
    except discord.HTTPException as error:
        log.warning("DM to %s failed: %s", user_id, error)
        return None


async def dm_or_mention(
    client: discord.Client,
    user_id: int,
    fallback_channel_id: int,
    content: str,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
    fallback_content: str | None = None,
) -> Delivered | None:
    """DM `user_id`; when their DMs are closed, post in the Nexus channel mentioning only them."""
    message = await send_dm(client, user_id, content, embed=embed, view=view)
    if message is not None:
        return Delivered(message, by_dm=True)
    client.dispatch("nexus_dm_fallback", user_id)  # counted in the metrics
    channel = await resolve_channel(client, fallback_channel_id)
    if channel is None:
        log.warning(
            "could not reach %s: no DM and no Nexus channel %s", user_id, fallback_channel_id
        )
        return None
    text = fallback_content or f"<@{user_id}> {content}"
    try:
        message = await channel.send(
            text,
            embed=_or_missing(embed),
            view=_or_missing(view),
            allowed_mentions=only_user(user_id),
        )
        return Delivered(message, by_dm=False)
    except discord.HTTPException as error:
        log.warning("could not reach %s in channel %s: %s", user_id, fallback_channel_id, error)
        return None
