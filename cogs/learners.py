"""Learner commands: /announce-project, /profile, /reminders, /my-data; members leaving."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable
from dataclasses import replace
from typing import Literal, TypeVar

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import MISSING

from bot.app import NexusBot
from bot.commands import Interaction, caller, project_autocomplete, timezone_autocomplete
from bot.domain.learners import (
    AnnounceDraft,
    AnnounceOutcome,
    PostLocation,
    ProfileChanges,
    profile_changes,
)
from bot.domain.text import user_text
from bot.domain.timezones import suggest_timezones
from bot.effects import announcements, roles
from bot.errors import InvalidInput, NexusError, NotYourButton
from bot.ui import announce_form as form_ui
from bot.ui import dm_steps
from bot.ui import learners as ui
from bot.ui import matching as matching_ui
from bot.ui.errors import report_error

DEFER_AFTER = 1.5
"""Seconds after an interaction was created by which work still running is deferred (Discord
wants the first response within 3 s); quicker work is answered in one response."""

T = TypeVar("T")

REMINDER_REPLIES = {
    "on": "🔔 First-week reminders are **on**: you'll be mentioned in the Nexus channel.",
    "off": "🔕 First-week reminders are **off**. Turn them back on any time with `/reminders on`.",
    "dm": "📬 First-week reminders will come to you **by DM**.",
}


class LearnersCog(commands.Cog, name=ui.COG_NAME):
    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot
        self.learners = bot.services.learners
        self.catalog = bot.services.catalog
        # One announce at a time per member, so a double submit can't post twice.
        self._announcing: weakref.WeakValueDictionary[tuple[int, int], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self.drafts = bot.services.drafts

    async def cog_load(self) -> None:
        # Build the zone tables before the first keystroke, without delaying start-up.
        self._warming = asyncio.create_task(asyncio.to_thread(suggest_timezones, "warm up"))

    @app_commands.command(
        name="announce-project", description="Say what you're building and find a partner"
    )
    @app_commands.autocomplete(project=project_autocomplete, timezone=timezone_autocomplete)
    @app_commands.guild_only()
    async def announce_project(
        self,
        interaction: Interaction,
        project: str,
        role: Literal["backend", "frontend"],
        summary: str | None = None,
        repo: str | None = None,
        timezone: str | None = None,
    ) -> None:
        """
        Args:
            project: Your project (either track's title works)
            role: The track you're on
            summary: A sentence or two about your plan (at most 300 characters)
            repo: Your repository link (https://…)
            timezone: Your time zone, e.g. Africa/Lagos or UTC+1 (default: the server's)
        """
        member = caller(interaction)
        draft = AnnounceDraft(
            member.guild.id, member.id, project, role, summary or "", repo or "", timezone or ""
        )
        await self._announce(interaction, member, draft)

    async def _announce(
        self, interaction: Interaction, member: discord.Member, draft: AnnounceDraft
    ) -> None:
        """The one announce path, for the command and the form alike."""
        try:
            changes = profile_changes(
                draft.project,
                draft.role,
                draft.summary or None,
                draft.repo or None,
                draft.timezone or None,
            )
        except InvalidInput as error:
            await self._refuse(interaction, draft, error)
            return
        try:
            outcome, reply, view = await in_time(interaction, self._record(member, changes))
        except InvalidInput as error:
            await self._refuse(interaction, draft, error)
            return
        # One response when the work was quick, else the followup of the deferral.
        if interaction.response.is_done():
            await interaction.followup.send(embed=reply, view=view, ephemeral=True)
        else:
            await interaction.response.send_message(embed=reply, view=view, ephemeral=True)
        self.bot.dispatch("nexus_announced", member.guild.id, outcome.announcement.learner_id)

    async def _record(
        self, member: discord.Member, changes: ProfileChanges
    ) -> tuple[AnnounceOutcome, discord.Embed, discord.ui.View]:
        """Save the announcement, post or edit the card, swap the track roles: the reply."""
        lock = self._announcing.setdefault((member.guild.id, member.id), asyncio.Lock())
        async with lock:
            return await self._record_unlocked(member, changes)

    async def _record_unlocked(
        self, member: discord.Member, changes: ProfileChanges
    ) -> tuple[AnnounceOutcome, discord.Embed, discord.ui.View]:
        outcome = await self.learners.announce(
            member.guild.id, member.id, member.display_name, changes
        )
        card, role_notes = await asyncio.gather(
            self.bot.cards.publish(
                member.guild,
                outcome.nexus_channel_id,
                outcome.announcement.learner_id,
                member.id,
                outcome.previous_post,
                outcome.announcement,
            ),
            roles.swap_track_roles(
                member, outcome.give_role_id, outcome.remove_role_id, changes.role
            ),
        )
        reply = ui.announce_reply(
            outcome, guild_id=member.guild.id, post=card.post, notes=card.notes + role_notes
        )
        # Remember the post before answering, so what the learner sees is already stored
        # (a card still on its way is recorded by the outbox once it is posted).
        if not card.on_its_way:
            await self._remember_post(outcome, card.post)
        view = (  # the next step, as a button
            matching_ui.show_others_view(member.guild.id, member.id, "Find a partner")
            if outcome.looking.count
            else MISSING
        )
        return outcome, reply, view

    async def _refuse(
        self, interaction: Interaction, draft: AnnounceDraft, error: InvalidInput
    ) -> None:
        """Nothing was posted or changed: say why, and keep what was typed behind a button."""
        token = await self.drafts.save(replace(draft, refused=error.field))
        text = form_ui.refused_text(error.message)
        view = form_ui.draft_view(draft.guild_id, token)
        if interaction.response.is_done():
            await interaction.followup.send(text, view=view, ephemeral=True)
        else:
            await interaction.response.send_message(text, view=view, ephemeral=True)

    async def open_draft(self, interaction: Interaction, guild_id: int | None, token: str) -> None:
        """ "Fix and announce": the form with what the learner typed, kept for a day; after
        that, the form prefilled from their profile."""
        draft = await self.drafts.get(token)
        if draft is not None:
            if draft.user_id != interaction.user.id:
                raise NotYourButton()
            await interaction.response.send_modal(form_ui.AnnounceModal(draft))
            return
        guild_id = guild_id or interaction.guild_id
        if guild_id is None:  # a button from before drafts were stored, in a DM
            await interaction.response.send_message(form_ui.DRAFT_EXPIRED, ephemeral=True)
            return
        profile = await self.drafts.profile_draft(guild_id, interaction.user.id)
        await interaction.response.send_modal(form_ui.AnnounceModal(profile, expired=True))

    async def open_form(self, interaction: Interaction, guild_id: int) -> None:
        """ "Announce" in a DM: the form for the server the button names (from the profile)."""
        profile = await self.drafts.profile_draft(guild_id, interaction.user.id)
        await interaction.response.send_modal(form_ui.AnnounceModal(profile))

    @commands.Cog.listener()
    async def on_interaction(self, interaction: Interaction) -> None:
        """A submitted announce form (handled here rather than by the modal object, which a
        restart forgets, so a form opened before one still announces)."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        draft = form_ui.submitted_draft(interaction.data, interaction.user.id)
        if draft is None:
            return
        try:
            await self.submit_form(interaction, draft)
        except Exception as error:  # reported to the user, logged with a reference
            await report_error(interaction, error)

    async def submit_form(self, interaction: Interaction, draft: AnnounceDraft) -> None:
        """The submitted form, from the server or a DM: announced as the command would."""
        guild = self.bot.get_guild(draft.guild_id)
        if guild is None:
            raise NexusError(
                "I'm no longer in that server, so I can't announce you there. "
                "`/announce-project` works in the server's channels."
            )
        member = guild.get_member(interaction.user.id)
        if member is None:
            try:
                member = await guild.fetch_member(interaction.user.id)
            except discord.NotFound:
                raise NexusError("You're no longer a member of that server.") from None
        await self._announce(interaction, member, draft)

    async def _remember_post(self, outcome: AnnounceOutcome, post: PostLocation | None) -> None:
        if post is not None and post != outcome.previous_post:
            await self.learners.record_post(outcome.announcement.learner_id, post)

    @app_commands.command(name="profile", description="Show a learner's Nexus card")
    @app_commands.guild_only()
    async def profile(self, interaction: Interaction, member: discord.User | None = None) -> None:
        """
        Args:
            member: Whose card to show (default: yours)
        """
        me = caller(interaction)
        target = member or me
        profile = await self.learners.profile(me.guild.id, target.id, viewer_id=me.id)
        own = target.id == me.id
        embed = ui.profile_embed(profile, guild_id=me.guild.id, own=own)
        learner_id = profile.announcement.learner_id
        if not own and await self._could_pair(me, learner_id):
            name = profile.announcement.display_name
            view = matching_ui.ask_view([(learner_id, name)], me.id)
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True)
            return
        await interaction.response.send_message(embed=embed, ephemeral=True)  # always private

    async def _could_pair(self, me: discord.Member, learner_id: int) -> bool:
        """Whether `me` may ask this learner to pair (same project, other track, room…)."""
        try:
            offers = await self.bot.services.matching.partner_offers(me.guild.id, [me.id], limit=25)
        except NexusError:
            return False
        return any(o.learner_id == learner_id for o in offers.get(me.id, []))

    @app_commands.command(
        name="reminders", description="Turn first-week reminders on, off or to DMs"
    )
    @app_commands.guild_only()
    async def reminders(
        self, interaction: Interaction, setting: Literal["on", "off", "dm"]
    ) -> None:
        """
        Args:
            setting: on: in the channel · off: none · dm: by direct message
        """
        member = caller(interaction)
        await self.learners.set_reminders(member.guild.id, member.id, member.display_name, setting)
        await interaction.response.send_message(REMINDER_REPLIES[setting], ephemeral=True)

    async def set_reminders_from_dm(
        self, interaction: Interaction, guild_id: int, setting: str
    ) -> None:
        """A **Reminders** button in a reminder DM: the setting for the server it names."""
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            raise NexusError(
                "I'm no longer in that server, so I can't change your reminders there. "
                "`/reminders` works in the server's channels."
            )
        member = guild.get_member(interaction.user.id)
        name = member.display_name if member else interaction.user.display_name
        await self.learners.set_reminders(guild_id, interaction.user.id, name, setting)
        reply = dm_steps.DM_REMINDER_REPLIES[setting].format(server=user_text(guild.name, 100))
        await interaction.response.send_message(reply, ephemeral=True)

    @app_commands.command(
        name="my-data", description="Export or delete what Nexus stores about you"
    )
    @app_commands.guild_only()
    async def my_data(self, interaction: Interaction, action: Literal["export", "delete"]) -> None:
        """
        Args:
            action: export: a JSON file · delete: erase it (asks to confirm)
        """
        member = caller(interaction)
        if action == "export":
            document = await self.learners.export(
                member.guild.id, member.id, server=member.guild.name
            )
            await interaction.response.send_message(
                "📦 Everything Nexus stores about you on this server is in this file.",
                file=ui.export_file(
                    document, member.guild.name, self.bot.services.clock.now().date()
                ),
                ephemeral=True,
            )
            return
        await self.bot.services.guilds.require(member.guild.id)
        expires = int(self.bot.services.clock.now().timestamp()) + ui.CONFIRM_SECONDS
        await interaction.response.send_message(
            ui.ERASE_PROMPT.format(minutes=ui.CONFIRM_SECONDS // 60),
            view=ui.erase_prompt_view(member.id, expires),
            ephemeral=True,
        )

    async def erase(self, interaction: Interaction, expires_at: int) -> None:
        """The confirmed `/my-data delete` (the button checked it is the caller pressing)."""
        if self.bot.services.clock.now().timestamp() > expires_at or interaction.guild_id is None:
            await interaction.response.edit_message(content=ui.ERASE_EXPIRED, view=None)
            return
        await interaction.response.defer()
        erasure = await self.learners.erase(interaction.guild_id, interaction.user.id)
        await announcements.delete_post(self.bot, erasure.post)
        await self._refresh(interaction.guild_id, list(erasure.freed_partner_ids))
        await interaction.edit_original_response(content=ui.erasure_summary(erasure), view=None)

    async def _refresh(self, guild_id: int, learner_ids: list[int]) -> None:
        for learner_id in learner_ids:
            await self.bot.cards.refresh(guild_id, learner_id)

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        """Leavers stay in the stats but are no longer matched."""
        learner_id = await self.learners.set_present(payload.guild_id, payload.user.id, False)
        if learner_id is not None:
            await self._refresh(payload.guild_id, [learner_id])

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        """A learner who comes back is matched again."""
        learner_id = await self.learners.set_present(member.guild.id, member.id, True)
        if learner_id is not None:
            await self._refresh(member.guild.id, [learner_id])


async def in_time(interaction: Interaction, work: Awaitable[T]) -> T:
    """`work`'s result; if it is still running `DEFER_AFTER` seconds after the interaction was
    created, the interaction is deferred (ephemeral, "thinking") meanwhile."""
    task = asyncio.ensure_future(work)
    age = (discord.utils.utcnow() - interaction.created_at).total_seconds()
    try:
        done, _ = await asyncio.wait({task}, timeout=max(DEFER_AFTER - age, 0))
        if not done and not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)
        return await task
    except asyncio.CancelledError:
        task.cancel()
        raise


async def setup(bot: NexusBot) -> None:
    await bot.add_cog(LearnersCog(bot))
