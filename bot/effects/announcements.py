"""Announcement posts in the Nexus channel: publish (edit in place or post anew), refresh after a
pairing changes, delete on erasure. Best effort: the learner's data is already saved."""

from __future__ import annotations

import logging

import discord

from bot.domain.learners import Announcement, PostLocation
from bot.effects.messages import resolve_channel
from bot.services.learners import LearnerService
from bot.ui.learners import announcement_embed
from bot.ui.matching import card_view

log = logging.getLogger(__name__)


async def publish_announcement(
    channel: discord.TextChannel,
    previous: PostLocation | None,
    embed: discord.Embed,
    view: discord.ui.View,
) -> discord.Message:
    """Edit the learner's earlier post in `channel`, or post anew if there is none any more."""
    if previous is not None and previous.channel_id == channel.id:
        try:
            message = channel.get_partial_message(previous.message_id)
            return await message.edit(embed=embed, view=view)
        except discord.NotFound:
            pass
    return await channel.send(
        embed=embed, view=view, allowed_mentions=discord.AllowedMentions.none()
    )


async def post_in_nexus_channel(
    guild: discord.Guild, channel_id: int, previous: PostLocation | None, data: Announcement
) -> tuple[PostLocation | None, list[str]]:
    """Publish the announcement; (where it is, notes for the learner when that failed)."""
    channel = guild.get_channel(channel_id)
    if not isinstance(channel, discord.TextChannel):
        return None, [
            "⚠️ The Nexus channel is gone, so I couldn't post your announcement. Your project "
            "is saved; ask a moderator to run `/nexus setup`."
        ]
    try:
        message = await publish_announcement(
            channel, previous, announcement_embed(data), card_view(data)
        )
    except discord.HTTPException as error:
        log.warning("could not post announcement in %s: %s", channel_id, error)
        return None, [
            f"⚠️ I couldn't post in <#{channel_id}>. Your project is saved; ask a moderator to "
            "check my permissions there (`/nexus show`)."
        ]
    if previous is not None and previous.channel_id != channel.id:  # the channel was changed
        await delete_post(guild, previous)
    return PostLocation(channel.id, message.id), []


async def delete_post(where: discord.Client | discord.Guild, post: PostLocation | None) -> None:
    """Best effort: the post may already be gone, or the channel with it."""
    if post is None:
        return
    channel = where.get_channel(post.channel_id)
    if not isinstance(channel, discord.TextChannel):
        return
    try:
        await channel.get_partial_message(post.message_id).delete()
    except discord.HTTPException as error:
        log.info("could not delete announcement %s: %s", post.message_id, error)


async def refresh_posts(
    client: discord.Client, learners: LearnerService, guild_id: int, learner_ids: list[int]
) -> None:
    """Re-render each learner's announcement post in place: paired, or looking again."""
    for learner_id in learner_ids:
        view = await learners.announcement_view(guild_id, learner_id)
        if view is None or view.post is None:
            continue
        channel = await resolve_channel(client, view.post.channel_id)
        if channel is None:
            continue
        try:
            message = channel.get_partial_message(view.post.message_id)  # type: ignore[attr-defined]
            await message.edit(
                embed=announcement_embed(view.announcement), view=card_view(view.announcement)
            )
        except (discord.HTTPException, AttributeError) as error:
            log.info("could not update the announcement of learner %s: %s", learner_id, error)
