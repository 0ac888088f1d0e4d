"""The check-in in each pair thread: its timer, and what the three buttons do."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.app import NexusBot
from bot.domain.checkins import answer_reply, stuck_notice
from bot.domain.statuses import CheckInChoice
from bot.effects.checkins import DiscordCheckInTransport
from bot.ui import checkins as ui

log = logging.getLogger(__name__)

NEW_PARTNER_REASON = "asked for a new partner at the check-in"


class CheckInCog(commands.Cog, name=ui.COG_NAME):
    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot
        self.checkins = bot.services.checkins
        self.matching = bot.services.matching

    async def cog_unload(self) -> None:
        self.checkins.stop()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        self.checkins.attach(DiscordCheckInTransport(self.bot))
        await self.checkins.start()
        log.info("pair check-ins running")

    async def answer(self, interaction: discord.Interaction, checkin_id: int, answer: str) -> None:
        """A check-in button: met and stuck are recorded; a new partner asks to confirm."""
        recorded = await self.checkins.answer(checkin_id, interaction.user.id, answer)
        if answer == CheckInChoice.NEW_PARTNER:
            text, view = ui.confirm_new_partner(checkin_id, interaction.user.id)
            await interaction.response.send_message(text, view=view, ephemeral=True)
            return
        who = f"<@{interaction.user.id}>"
        await interaction.response.send_message(
            f"{who}: {answer_reply(answer)}", allowed_mentions=discord.AllowedMentions.none()
        )
        if answer == CheckInChoice.STUCK and recorded.first and recorded.mod_log_channel_id:
            try:
                await self.checkins_transport().notify(
                    recorded.mod_log_channel_id, stuck_notice(recorded)
                )
            except discord.HTTPException as error:
                log.warning("could not post the stuck notice: %s", error)
        elif answer == CheckInChoice.MET:
            log.info("check-in %s: the pair has met", checkin_id)

    async def confirm_new_partner(self, interaction: discord.Interaction, checkin_id: int) -> None:
        """ "Yes, end our pairing": unpair with priority for both, who are told."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        recorded = await self.checkins.answer(
            checkin_id, interaction.user.id, CheckInChoice.NEW_PARTNER
        )
        ended = await self.matching.unpair(
            recorded.guild_id, interaction.user.id, NEW_PARTNER_REASON
        )
        await self.checkins.record_new_partner(checkin_id, interaction.user.id)
        matching = self.bot.get_cog("Matching")
        if matching is not None:
            await matching.after_unpair(  # type: ignore[attr-defined]
                recorded.guild_id, interaction.user.id, ended
            )
        await interaction.followup.send(answer_reply(CheckInChoice.NEW_PARTNER), ephemeral=True)

    def checkins_transport(self) -> DiscordCheckInTransport:
        return DiscordCheckInTransport(self.bot)


async def setup(bot: NexusBot) -> None:
    await bot.add_cog(CheckInCog(bot))
