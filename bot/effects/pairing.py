"""What happens on Discord after the database has decided: invitations, pair threads,
announcement posts and notices. Every step here is best effort and logged; none of them can
undo or half-do a pairing, which is already committed when they run."""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from typing import Literal

import discord

from bot.domain.pairing import PairingInfo, PairResult, RequestInfo
from bot.domain.statuses import RequestStatus
from bot.effects.cards import AnnouncementCards
from bot.effects.messages import (
    DMS_CLOSED,
    Delivered,
    dm_or_mention,
    only_user,
    resolve_channel,
    send_dm,
)
from bot.effects.notices import Notices
from bot.effects.outbox import Posting, Undeliverable, is_temporary
from bot.services.learners import LearnerService
from bot.services.matching import MatchingService
from bot.services.outbox import OutboxItem, Outcome
from bot.ui import matching as ui

log = logging.getLogger(__name__)

THREAD_ARCHIVE_MINUTES: Literal[10080] = 10080  # a week: threads stay open through week one
INVITE_KIND = "invite"
KICKOFF_KIND = "kickoff"


class Queued:
    """The invitation waits in the outbox: Discord did not answer."""


QUEUED = Queued()


@dataclass(eq=False)
class PairingEffects(Posting):
    _service: MatchingService
    _learners: LearnerService
    _cards: AnnouncementCards
    _notices: Notices

    def __post_init__(self) -> None:
        self._sender.register(INVITE_KIND, self._send_queued_invite, self._report_invite)
        self._sender.register(KICKOFF_KIND, self._send_queued_kickoff, self._report_kickoff)

    async def send_invite(self, request: RequestInfo) -> Delivered | Queued | None:
        """DM the invitee Accept / Decline; mention them in the Nexus channel if DMs are closed.
        When Discord doesn't answer (5xx, timeout, dropped connection) the invitation waits in
        the outbox (`Queued`) and goes out with the same nonce; None if it can't be delivered."""
        nonce = f"i{request.request_id}-{secrets.token_hex(5)}"
        try:
            return await self._deliver_invite(request, nonce)
        except Exception as error:
            if not is_temporary(error):
                log.warning("invitation %s not delivered: %s", request.request_id, error)
                return None
            log.warning("invitation %s kept in the outbox: %s", request.request_id, error)
            await self._keep(
                request.guild_id,
                INVITE_KIND,
                f"{INVITE_KIND}:{request.request_id}",
                channel_id=request.channel_id,
                args={"request_id": request.request_id},
                nonce=nonce,
                error=error,
            )
            return QUEUED

    async def _deliver_invite(self, request: RequestInfo, nonce: str) -> Delivered | None:
        """One try: the DM, or (DMs closed) a mention in the Nexus channel; temporary errors
        are raised for the outbox, definite ones give None."""
        invitee = request.invitee.user_id
        embed, view = ui.invite_embed(request), ui.invite_view(request.request_id)
        delivered: Delivered | None = None
        try:
            dm = await self._client.create_dm(discord.Object(invitee))
            message = await dm.send(
                "You have a new pair request:", embed=embed, view=view, nonce=nonce
            )
            delivered = Delivered(message, by_dm=True)
        except discord.Forbidden as error:
            if error.code != DMS_CLOSED:
                log.info("DM to %s refused (%s)", invitee, error.code)
        except discord.HTTPException as error:
            if is_temporary(error):
                raise
            log.warning("DM to %s failed: %s", invitee, error)
        if delivered is None:
            self._client.dispatch("nexus_dm_fallback", invitee)  # counted in the metrics
            channel = self._client.get_partial_messageable(request.channel_id)
            try:
                message = await channel.send(
                    ui.invite_fallback_content(request),
                    embed=embed,
                    view=view,
                    allowed_mentions=only_user(invitee),
                    nonce=nonce,
                )
            except discord.HTTPException as error:
                if is_temporary(error):
                    raise
                log.warning("could not reach %s in %s: %s", invitee, request.channel_id, error)
                return None
            delivered = Delivered(message, by_dm=False)
        await self._service.record_notification(
            request.request_id, delivered.message.channel.id, delivered.message.id
        )
        return delivered

    async def _send_queued_invite(self, item: OutboxItem) -> int | None:
        request = await self._service.pending_request(int(item.args["request_id"]))
        if request is None:
            raise Undeliverable("the request was answered, expired or erased meanwhile")
        delivered = await self._deliver_invite(request, item.nonce)
        if delivered is None:
            raise Undeliverable("the invitee can't be reached")
        return delivered.message.id

    async def _report_invite(self, outcome: Outcome) -> None:
        """Tell the requester, once, that the invitation never went out."""
        request = await self._service.pending_request(int(outcome.item.args["request_id"]))
        if request is None:
            return
        await self._notices.tell(
            request.guild_id,
            request.requester.user_id,
            ui.invite_undelivered(request),
            fallback_channel_id=request.channel_id,
            button="find",
        )

    async def close_invite(self, request: RequestInfo, outcome: RequestStatus) -> None:
        """Replace an invitation's buttons with what became of it."""
        if request.invitation is None:
            return
        channel = await resolve_channel(self._client, request.invitation.channel_id)
        if channel is None:
            return
        try:
            message = channel.get_partial_message(request.invitation.message_id)  # type: ignore[attr-defined]
            view = (
                ui.show_others_view(request.guild_id, request.invitee.user_id)
                if outcome == RequestStatus.DECLINED
                else None
            )
            await message.edit(content=ui.invite_closed(request, outcome), embed=None, view=view)
        except (discord.HTTPException, AttributeError) as error:
            log.info("could not close invitation %s: %s", request.request_id, error)

    async def tell(
        self, user_id: int, channel_id: int, text: str, view: discord.ui.View | None = None
    ) -> None:
        """A notice for one learner: DM, else a mention of only them in the Nexus channel."""
        await dm_or_mention(self._client, user_id, channel_id, text, view=view)

    async def tell_privately(
        self, user_id: int, text: str, view: discord.ui.View | None = None
    ) -> bool:
        """A DM only, for news that shouldn't go to a public channel (a decline, a reason for
        unpairing); False when their DMs are closed."""
        return await send_dm(self._client, user_id, text, view=view) is not None

    async def after_pairing(self, result: PairResult) -> None:
        """Show both posts as paired and close the invitations the pairing withdrew (the
        thread is opened first, by `open_thread`, so the learner isn't kept waiting)."""
        pairing = result.pairing
        paired = [pairing.backend.learner_id, pairing.frontend.learner_id]
        await asyncio.gather(
            self.refresh_posts(pairing.guild_id, paired),
            *(self._withdraw(request, paired) for request in result.withdrawn),
        )

    async def _withdraw(self, request: RequestInfo, paired: list[int]) -> None:
        await self.close_invite(request, RequestStatus.WITHDRAWN)
        if request.requester.learner_id not in paired:
            notice = ui.withdrawn_notice(request)
            view = ui.show_others_view(request.guild_id, request.requester.user_id)
            await self.tell(request.requester.user_id, request.channel_id, notice, view)

    async def open_thread(self, pairing: PairingInfo) -> int | None:
        """The private thread with both learners and the kickoff checklist; None if it failed
        (the pairing stands, and the sweep retries)."""
        channel = await resolve_channel(self._client, pairing.channel_id)
        if not isinstance(channel, discord.TextChannel):
            log.warning(
                "pairing %s: Nexus channel %s is not a text channel",
                pairing.pairing_id,
                pairing.channel_id,
            )
            return None
        try:
            thread = await channel.create_thread(
                name=ui.thread_name(pairing),
                type=discord.ChannelType.private_thread,
                invitable=False,
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
            )
        except discord.HTTPException as error:
            log.warning("pairing %s: could not create the thread: %s", pairing.pairing_id, error)
            return None
        await self._service.set_thread(pairing.pairing_id, thread.id)
        for learner in (pairing.backend, pairing.frontend):
            try:
                await thread.add_user(discord.Object(learner.user_id))
            except discord.HTTPException as error:
                log.warning(
                    "pairing %s: could not add %s: %s", pairing.pairing_id, learner.user_id, error
                )
        await self._post_kickoff(pairing, thread)
        return thread.id

    async def _post_kickoff(self, pairing: PairingInfo, thread: discord.Thread) -> None:
        """The kickoff checklist, with its nonce; kept in the outbox when Discord doesn't
        answer, and posted later (as the checklist is then) with the same nonce."""
        nonce = f"k{pairing.pairing_id}-{secrets.token_hex(5)}"
        try:
            await self._send_kickoff(pairing, thread, nonce)
        except Exception as error:
            if not is_temporary(error):
                log.warning(
                    "pairing %s: could not post the checklist: %s", pairing.pairing_id, error
                )
                return
            log.info("pairing %s: checklist kept in the outbox (%s)", pairing.pairing_id, error)
            await self._keep(
                pairing.guild_id,
                KICKOFF_KIND,
                f"{KICKOFF_KIND}:{pairing.pairing_id}",
                channel_id=thread.id,
                args={"pairing_id": pairing.pairing_id},
                nonce=nonce,
                error=error,
            )

    async def _send_kickoff(
        self, pairing: PairingInfo, thread: discord.abc.Messageable, nonce: str
    ) -> discord.Message:
        return await thread.send(
            ui.kickoff_content(pairing),
            embed=ui.kickoff_embed(pairing),
            view=ui.kickoff_view(pairing),
            allowed_mentions=ui.pair_mentions(pairing),
            nonce=nonce,
        )

    async def _send_queued_kickoff(self, item: OutboxItem) -> int | None:
        pairing = await self._service.active_pairing(int(item.args["pairing_id"]))
        if pairing is None or item.channel_id is None:
            raise Undeliverable("the pairing has ended meanwhile")
        thread = self._client.get_partial_messageable(item.channel_id)
        try:
            message = await self._send_kickoff(pairing, thread, item.nonce)
        except discord.NotFound as error:
            raise Undeliverable("the pair thread no longer exists") from error
        return message.id

    async def _report_kickoff(self, outcome: Outcome) -> None:
        """Tell both partners, once, that their checklist never made it to the thread."""
        pairing = await self._service.active_pairing(int(outcome.item.args["pairing_id"]))
        if pairing is None:
            return  # the pairing ended meanwhile: nothing to tell
        text = (
            f"⚠️ I couldn't post your kickoff checklist in <#{outcome.item.channel_id}>: "
            f"Discord kept failing ({outcome.error}). Your pairing stands; start by sharing "
            "your repos and agreeing the API contract there."
        )
        for learner in (pairing.backend, pairing.frontend):
            await self._notices.tell(
                pairing.guild_id, learner.user_id, text, fallback_channel_id=pairing.channel_id
            )

    async def close_thread(self, pairing: PairingInfo, ended_by: str) -> None:
        """Say why the pairing ended, then archive the thread (the bot owns it, so no Manage
        Threads permission is needed)."""
        if pairing.thread_id is None:
            return
        thread = await resolve_channel(self._client, pairing.thread_id)
        if not isinstance(thread, discord.Thread):
            return
        try:
            await thread.send(ui.thread_closed_message(pairing, ended_by))
            await thread.edit(archived=True)
        except discord.HTTPException as error:
            log.info("pairing %s: could not archive thread: %s", pairing.pairing_id, error)

    async def refresh_posts(self, guild_id: int, learner_ids: list[int]) -> None:
        """Re-render each learner's announcement post: paired, or looking again (kept in the
        outbox when Discord doesn't take the edit)."""
        for learner_id in learner_ids:
            await self._cards.refresh(guild_id, learner_id)
