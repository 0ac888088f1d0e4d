"""The Discord side of first-week reminders: posts and DMs with nonces, and role members.

discord.py paces every request on Discord's rate-limit headers and retries 429s itself, so a
large fan-out only has to send one message after the other. Errors are sorted into what the
engine needs to know: a DM refused (`DmClosed`), a definite refusal (`Undeliverable`), or
anything else, whose outcome is unknown and which the engine retries with the same nonce.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import discord

from bot.domain.first_week import PartnerOffer
from bot.domain.stats import ChartData
from bot.effects.notices import Notices
from bot.effects.outbox import is_definite, is_temporary
from bot.services.reminder_delivery import DmClosed, Undeliverable
from bot.ui.charts import chart_file
from bot.ui.dm_steps import reminder_dm_view

CANNOT_DM = 50007


@dataclass(eq=False)
class DiscordReminderTransport:
    _client: discord.Client
    _notices: Notices | None = None  # moderator notices wait in the outbox when given

    async def post(
        self,
        channel_id: int,
        content: str,
        mention_ids: Sequence[int],
        nonce: str,
        *,
        chart: ChartData | None = None,
    ) -> int:
        channel = self._client.get_partial_messageable(channel_id)
        allowed = discord.AllowedMentions(
            users=[discord.Object(user_id) for user_id in mention_ids],
            roles=False,
            everyone=False,
            replied_user=False,
        )
        files = [await chart_file(chart)] if chart is not None else []
        try:
            message = await channel.send(
                content, allowed_mentions=allowed, nonce=nonce, files=files
            )
        except discord.HTTPException as error:
            if is_definite(error):
                raise Undeliverable(_describe(error, "the channel")) from error
            raise
        return message.id

    async def dm(
        self,
        user_id: int,
        content: str,
        nonce: str,
        *,
        offers: Sequence[PartnerOffer] = (),
        guild_id: int = 0,
        buttons: Sequence[str] = (),
    ) -> int:
        try:
            channel = await self._client.create_dm(discord.Object(user_id))
            view = reminder_dm_view(guild_id, user_id, offers, buttons if guild_id else ())
            if view is not None:
                message = await channel.send(
                    content,
                    allowed_mentions=discord.AllowedMentions.none(),
                    nonce=nonce,
                    view=view,
                )
            else:
                message = await channel.send(
                    content, allowed_mentions=discord.AllowedMentions.none(), nonce=nonce
                )
        except discord.HTTPException as error:
            if is_definite(error):  # closed DMs (50007), unknown user...: use the channel
                raise DmClosed(_describe(error, "DMs")) from error
            raise
        return message.id

    async def notify(self, channel_id: int, content: str) -> None:
        """A moderator notice (skipped step, summary); kept in the outbox when Discord doesn't
        take it at once."""
        channel = self._client.get_partial_messageable(channel_id)
        try:
            await channel.send(content, allowed_mentions=discord.AllowedMentions.none())
        except Exception as error:
            if self._notices is None or not is_temporary(error):
                raise
            found = self._client.get_channel(channel_id)
            guild_id = getattr(getattr(found, "guild", None), "id", 0)
            await self._notices.mod_log(guild_id, channel_id, content)


def _describe(error: discord.HTTPException, where: str) -> str:
    if error.code == CANNOT_DM:
        return "DMs closed"
    if isinstance(error, discord.Forbidden):
        return f"no permission to post in {where}"
    if isinstance(error, discord.NotFound):
        return f"{where} no longer exists"
    return f"Discord refused the message in {where} ({error.status} {error.code})"


class GatewayMemberDirectory:
    """Role members from the gateway's member cache (needs the GUILD_MEMBERS intent)."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    def role_members(self, guild_id: int, role_id: int) -> list[tuple[int, str]] | None:
        guild = self._client.get_guild(guild_id)
        role = guild.get_role(role_id) if guild else None
        if role is None:
            return None
        return [(m.id, m.display_name) for m in role.members if not m.bot]
