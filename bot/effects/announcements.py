"""Announcement posts in the Nexus channel: publish (edit in place or post anew) and delete on
erasure. Posting through the outbox, and refreshing after a pairing changes, is `cards.py`."""

from __future__ import annotations

import logging

import discord

from bot.domain.learners import PostLocation

log = logging.getLogger(__name__)


CHANNEL_GONE_NOTE = (
    "⚠️ The Nexus channel is gone, so I couldn't post your announcement. Your project "
    "is saved; ask a moderator to run `/nexus setup`."
)


def cannot_post_note(channel_id: int) -> str:
    return (
        f"⚠️ I couldn't post in <#{channel_id}>. Your project is saved; ask a moderator to "
        "check my permissions there (`/nexus show`)."
    )


async def publish_announcement(
    channel: discord.TextChannel,
    previous: PostLocation | None,
    embed: discord.Embed,
    view: discord.ui.View,
    nonce: str | None = None,
) -> discord.Message | discord.PartialMessage:
    """Edit the learner's earlier post in `channel`, or post anew if there is none any more
    (with `nonce`, so a retry of a post Discord did create is not doubled)."""
    if previous is not None and previous.channel_id == channel.id:
        try:
            message = channel.get_partial_message(previous.message_id)
            return await message.edit(embed=embed, view=view)
        except discord.NotFound:
            pass
    return await channel.send(
        embed=embed,
        view=view,
        allowed_mentions=discord.AllowedMentions.none(),
        nonce=nonce if nonce is not None else discord.utils.MISSING,
    )


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
