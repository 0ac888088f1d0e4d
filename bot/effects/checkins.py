"""The Discord side of check-ins: the post in the pair thread (with a nonce) and mod-log notices."""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot.domain.checkins import CheckInPrompt
from bot.effects.outbox import is_definite
from bot.services.reminder_delivery import Undeliverable
from bot.ui import checkins as ui


@dataclass(eq=False)
class DiscordCheckInTransport:
    _client: discord.Client

    async def post_checkin(self, prompt: CheckInPrompt, nonce: str) -> int:
        thread = self._client.get_partial_messageable(prompt.thread_id)
        content, view, mentions = ui.checkin_message(prompt)
        try:
            message = await thread.send(content, view=view, allowed_mentions=mentions, nonce=nonce)
        except discord.HTTPException as error:
            if is_definite(error):
                raise Undeliverable(f"Discord refused the check-in ({error.status})") from error
            raise
        return message.id

    async def notify(self, channel_id: int, content: str) -> None:
        channel = self._client.get_partial_messageable(channel_id)
        await channel.send(content, allowed_mentions=discord.AllowedMentions.none())
