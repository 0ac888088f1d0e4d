"""/find-partner, /unpair, the pair-request buttons, the waiting list, /nexus pair|unpair."""

from __future__ import annotations

import logging
from datetime import timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NexusBot
from bot.commands import Interaction, ModeratorCog, project_autocomplete, server_id
from bot.domain.pairing import LearnerInfo, PairingInfo
from bot.domain.statuses import RequestStatus
from bot.effects.pairing import PairingEffects, Queued
from bot.services.sweeps import SweepTimer
from bot.ui import matching as ui

log = logging.getLogger(__name__)

SWEEP_SECONDS = 60
SWEEP_JOB = "matching:sweep"
THREAD_RETRY_AFTER = timedelta(minutes=2)  # leave time to the click that created the pairing
THREAD_RETRY_FOR = timedelta(days=1)


class MatchingCog(commands.Cog, name=ui.COG_NAME):
    def __init__(self, bot: NexusBot, effects: PairingEffects) -> None:
        self.bot = bot
        self.matching = bot.services.matching
        self.clock = bot.services.clock
        self.effects = effects
        self.timer = SweepTimer(bot.scheduler, SWEEP_JOB, SWEEP_SECONDS, self.sweep)

    async def cog_load(self) -> None:
        self.timer.start()

    async def cog_unload(self) -> None:
        self.timer.stop()

    @app_commands.command(
        name="find-partner", description="Find a partner from the other track on your project"
    )
    @app_commands.autocomplete(project=project_autocomplete)
    @app_commands.guild_only()
    async def find_partner(self, interaction: Interaction, project: str | None = None) -> None:
        """
        Args:
            project: Your announced project (the default)
        """
        result = await self.matching.suggest(server_id(interaction), interaction.user.id, project)
        if result.waiting:
            await interaction.response.send_message(ui.waiting_message(result), ephemeral=True)
            return
        await interaction.response.send_message(
            embed=ui.suggestions_embed(result), view=ui.suggestions_view(result), ephemeral=True
        )

    @app_commands.command(name="unpair", description="End your pairing; you can both look again")
    @app_commands.guild_only()
    async def unpair(
        self,
        interaction: Interaction,
        reason: app_commands.Range[str, 1, 300] | None = None,
    ) -> None:
        """
        Args:
            reason: Optional: why (your partner will see it)
        """
        guild_id = server_id(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        ended = await self.matching.unpair(guild_id, interaction.user.id, reason)
        me = await self.after_unpair(guild_id, interaction.user.id, ended)
        await interaction.followup.send(ui.unpaired_reply(ended, me.learner_id), ephemeral=True)

    async def after_unpair(
        self, guild_id: int, user_id: int, ended: list[PairingInfo]
    ) -> LearnerInfo:
        """`user_id` ended their pairings: tell each partner, close the threads, update posts."""
        me = _side_of(ended[0], user_id)
        for pairing in ended:
            partner = pairing.partner_of(me.learner_id)
            notice = ui.partner_left_notice(pairing, me, False)
            # DMs closed: the pair thread says it (privately); without a thread, a mention
            if not await self.effects.tell_privately(partner.user_id, notice):
                if pairing.thread_id is None:
                    await self.effects.tell(partner.user_id, pairing.channel_id, notice)
            await self.effects.close_thread(pairing, ui.name(me))
        await self.effects.refresh_posts(guild_id, _everyone(ended))
        return me

    # ----- buttons (see bot.ui.matching) -------------------------------------------------

    async def ask(self, interaction: Interaction, candidate_id: int) -> None:
        """'Request to pair' was pressed by the learner it was shown to."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        request = await self.matching.request(interaction.user.id, candidate_id)
        delivered = await self.effects.send_invite(request)
        if isinstance(delivered, Queued):
            text = ui.request_queued(request)
        else:
            text = ui.request_sent(request, None if delivered is None else delivered.by_dm)
        await interaction.followup.send(text, ephemeral=True)

    async def answer(self, interaction: Interaction, request_id: int, accept: bool) -> None:
        """Accept or Decline on an invitation (the service checks who pressed it)."""
        await interaction.response.defer()
        if accept:
            result = await self.matching.accept(request_id, interaction.user.id)
            thread_id = await self.effects.open_thread(result.pairing)
            assert result.request is not None
            text = ui.invite_closed(result.request, RequestStatus.ACCEPTED, thread_id)
            await interaction.edit_original_response(content=text, embed=None, view=None)
            await self.effects.after_pairing(result)
            return
        request = await self.matching.decline(request_id, interaction.user.id)
        await interaction.edit_original_response(
            content=ui.invite_closed(request, RequestStatus.DECLINED),
            embed=None,
            view=ui.show_others_view(request.guild_id, interaction.user.id),
        )
        # a decline is told by DM only: with DMs closed, /find-partner shows it soon enough
        await self.effects.tell_privately(
            request.requester.user_id,
            ui.declined_notice(request),
            ui.show_others_view(request.guild_id, request.requester.user_id),
        )

    async def tick(self, interaction: discord.Interaction, pairing_id: int, item: str) -> None:
        """A kickoff checklist button: tick or untick it, and show the list as it is now."""
        pairing = await self.matching.tick(pairing_id, interaction.user.id, item)
        await interaction.response.edit_message(
            embed=ui.kickoff_embed(pairing), view=ui.kickoff_view(pairing)
        )

    async def show_others(self, interaction: discord.Interaction, guild_id: int) -> None:
        """ "Show others" (from a reply or a DM): /find-partner for the server in the button."""
        result = await self.matching.suggest(guild_id, interaction.user.id)
        if result.waiting:
            await interaction.response.send_message(ui.waiting_message(result), ephemeral=True)
            return
        await interaction.response.send_message(
            embed=ui.suggestions_embed(result), view=ui.suggestions_view(result), ephemeral=True
        )

    # ----- waiting list and timers -------------------------------------------------------

    @commands.Cog.listener("on_nexus_announced")
    async def on_nexus_announced(self, guild_id: int, learner_id: int) -> None:
        """Tell waiting learners (once each) about a newcomer who fits, and the newcomer too."""
        match = await self.matching.announced(guild_id, learner_id)
        if match is None:
            return
        newcomer = match.newcomer
        for waiter in match.waiters:
            view = ui.ask_view([(newcomer.learner_id, newcomer.name)], waiter.user_id)
            await self.effects.tell(waiter.user_id, match.channel_id, ui.waiter_notice(match), view)
        people = [(w.learner_id, w.name) for w in match.waiters[:5]]
        await self.effects.tell(
            newcomer.user_id,
            match.channel_id,
            ui.newcomer_notice(match),
            ui.ask_view(people, newcomer.user_id),
        )

    async def sweep(self) -> None:
        """Expire unanswered requests (telling the requesters) and retry missing pair threads."""
        now = self.clock.now()
        serves = self.bot.settings.shards.serves  # each process sweeps its own servers
        try:
            for request in await self.matching.expire_requests(now, serves):
                await self.effects.close_invite(request, RequestStatus.EXPIRED)
                await self.effects.tell(
                    request.requester.user_id,
                    request.channel_id,
                    ui.expired_notice(request),
                    ui.show_others_view(request.guild_id, request.requester.user_id),
                )
            retry = await self.matching.pairings_without_thread(
                now - THREAD_RETRY_AFTER, now - THREAD_RETRY_FOR, serves
            )
            for pairing in retry:
                if await self.effects.open_thread(pairing) is None:
                    await self.matching.release_thread_retry(pairing.pairing_id)
        except Exception:
            log.exception("matching sweep failed; it runs again in %d s", SWEEP_SECONDS)


class MatchingModeratorCog(ModeratorCog):
    """/nexus pair and /nexus unpair: fix pairings by hand."""

    def __init__(self, bot: NexusBot, effects: PairingEffects) -> None:
        self.bot = bot
        self.matching = bot.services.matching
        self.effects = effects

    @app_commands.command(name="pair", description="Pair a backend and a frontend learner by hand")
    async def pair(
        self, interaction: Interaction, backend: discord.Member, frontend: discord.Member
    ) -> None:
        """
        Args:
            backend: The backend learner
            frontend: The frontend learner
        """
        guild_id = server_id(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.matching.moderator_pair(
            guild_id, backend.id, frontend.id, by_user_id=interaction.user.id
        )
        thread_id = await self.effects.open_thread(result.pairing)
        lines = [ui.moderator_paired_notice(result.pairing)]
        lines.append(f"Their thread: <#{thread_id}>" if thread_id else ui.THREAD_PENDING)
        lines += [f"⚠️ {note}" for note in result.notes]
        await interaction.followup.send("\n".join(lines), ephemeral=True)
        await self.effects.after_pairing(result)

    @app_commands.command(name="unpair", description="End a member's pairing by hand")
    async def unpair(self, interaction: Interaction, member: discord.Member) -> None:
        """
        Args:
            member: The learner whose pairing ends (their partner is told too)
        """
        guild_id = server_id(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        ended = await self.matching.unpair(
            guild_id, member.id, None, by_user_id=interaction.user.id
        )
        for pairing in ended:
            leaver = _side_of(pairing, member.id)
            notice = ui.partner_left_notice(pairing, leaver, True)
            for learner in (pairing.backend, pairing.frontend):
                await self.effects.tell(learner.user_id, pairing.channel_id, notice)
            await self.effects.close_thread(pairing, "a moderator")
        await self.effects.refresh_posts(guild_id, _everyone(ended))
        names = ", ".join(f"**{ui.name(p.backend)}** & **{ui.name(p.frontend)}**" for p in ended)
        await interaction.followup.send(
            f"Ended {len(ended)} pairing(s): {names}. Both sides were told.", ephemeral=True
        )


def _side_of(pairing: PairingInfo, user_id: int) -> LearnerInfo:
    return pairing.backend if pairing.backend.user_id == user_id else pairing.frontend


def _everyone(pairings: list[PairingInfo]) -> list[int]:
    ids = {p.backend.learner_id for p in pairings} | {p.frontend.learner_id for p in pairings}
    return sorted(ids)


async def setup(bot: NexusBot) -> None:
    effects = PairingEffects(
        bot,
        bot.services.outbox,
        bot.outbox,
        bot.services.matching,
        bot.services.learners,
        bot.cards,
        bot.notices,
    )
    await bot.add_cog(MatchingCog(bot, effects))
    await bot.add_cog(MatchingModeratorCog(bot, effects))
