"""What matching shows: suggestions, invitations, the kickoff checklist, notices and buttons."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

import discord

from bot.domain.evenings import Window, describe_overlap
from bot.domain.learners import Announcement
from bot.domain.pairing import (
    KICKOFF_ITEMS,
    KICKOFF_LABELS,
    FindResult,
    LearnerInfo,
    PairingInfo,
    ProjectInfo,
    RequestInfo,
    WaitMatch,
)
from bot.domain.roles import opposite
from bot.domain.statuses import RequestStatus
from bot.domain.text import truncate, user_text
from bot.ui import embeds, limits
from bot.ui.persistent import PersistentButton

COG_NAME = "Matching"


def name(learner: LearnerInfo, limit: int = 80) -> str:
    """A learner's display name, safe to put in bold."""
    return user_text(learner.name, limit)


def stamp(moment: datetime, style: str = "f") -> str:
    """A Discord timestamp: every reader sees it in their own time zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def project_title(project: ProjectInfo) -> str:
    return user_text(project.name, 100)


# ----- /find-partner ------------------------------------------------------------------------


def suggestions_embed(result: FindResult) -> discord.Embed:
    role = opposite(result.seeker.role or "backend")
    embed = embeds.info(
        f"{role.title()} partners for {truncate(result.project.name, 180)}",
        "Best first. Press **Request** under a name: they get your request by DM with "
        "Accept / Decline buttons.",
    )
    for position, suggestion in enumerate(result.suggestions, start=1):
        candidate = suggestion.candidate
        embed.add_field(
            name=f"{position}. {user_text(candidate.name, 100)}",
            value=truncate(
                f"<@{candidate.user_id}> · `{candidate.timezone}`\n{suggestion.explanation}",
                limits.EMBED_FIELD_VALUE,
            ),
            inline=False,
        )
    return embed


def waiting_message(result: FindResult) -> str:
    role = opposite(result.seeker.role or "backend")
    since = f" (since {stamp(result.waiting_since, 'R')})" if result.waiting_since else ""
    return (
        f"Nobody on **{project_title(result.project)}** is looking for a {role} partner right "
        f"now. You're on the **waiting list**{since}: I'll message you as soon as a {role} "
        "learner announces this project. Nothing else to do until then."
    )


def request_sent(request: RequestInfo, by_dm: bool | None) -> str:
    """The requester's reply; `by_dm` is how the invitation went out, None if it couldn't."""
    if by_dm is None:
        return (
            f"I saved your request, but I couldn't reach **{name(request.invitee)}** by DM or in "
            "the Nexus channel. A moderator may need to check my permissions there."
        )
    where = "by DM" if by_dm else "in the Nexus channel (their DMs are closed)"
    return (
        f"📨 Request sent to **{name(request.invitee)}** {where}. They have until "
        f"{stamp(request.expires_at)} to answer; I'll tell you if it expires."
    )


def request_queued(request: RequestInfo) -> str:
    """The requester's reply while the invitation waits for Discord to answer."""
    return (
        f"📨 Request saved. Discord isn't taking messages right now, so your invitation to "
        f"**{name(request.invitee)}** is on its way and goes out as soon as Discord answers. "
        f"They have until {stamp(request.expires_at)} to answer."
    )


def invite_undelivered(request: RequestInfo) -> str:
    """Told to the requester when the invitation could never be sent."""
    return (
        f"⚠️ I couldn't deliver your pair request to **{name(request.invitee)}**: Discord kept "
        "failing. Press **Show others** to ask again."
    )


# ----- the invitation -------------------------------------------------------------------------


def invite_embed(request: RequestInfo) -> discord.Embed:
    requester = request.requester
    embed = embeds.info(
        f"🤝 {name(requester)} would like to pair with you",
        f"**{name(requester)}** ({requester.role}) is building "
        f"**{project_title(request.project)}** and asks you to be their "
        f"{request.invitee.role} partner.",
    )
    if requester.summary:
        embed.add_field(name="About", value=user_text(requester.summary, 1000), inline=False)
    if requester.repo:
        embed.add_field(name="Repo", value=truncate(requester.repo, 200), inline=False)
    overlap = request.overlap.minutes if request.overlap else 0
    embed.add_field(
        name="Time zone",
        value=f"`{requester.timezone}` · {describe_overlap(overlap)} with you",
        inline=False,
    )
    embed.add_field(name="Answer by", value=stamp(request.expires_at), inline=False)
    embed.set_footer(text="Accept to get a private thread together in the Nexus channel.")
    return embed


def invite_fallback_content(request: RequestInfo) -> str:
    return (
        f"<@{request.invitee.user_id}> you have a pair request (your DMs are closed, so it's "
        "here). Only you can answer it."
    )


def invite_closed(request: RequestInfo, outcome: str, thread_id: int | None = None) -> str:
    """The invitation's text once it can no longer be answered."""
    who = f"**{name(request.requester)}**"
    if outcome == RequestStatus.ACCEPTED:
        where = f" Your private thread: <#{thread_id}>" if thread_id else ""
        return f"✅ You accepted {who}'s request: you're partners now!{where}"
    if outcome == RequestStatus.DECLINED:
        return (
            f"You declined {who}'s request. No hard feelings: **Show others** lists who else "
            "is looking."
        )
    if outcome == RequestStatus.EXPIRED:
        return f"⌛ This request from {who} expired."
    return f"This request from {who} was withdrawn: one of you has paired with someone else."


def declined_notice(request: RequestInfo) -> str:
    return (
        f"**{name(request.invitee)}** declined your pair request on "
        f"**{project_title(request.project)}**. Press **Show others** to see who else is looking."
    )


def expired_notice(request: RequestInfo) -> str:
    return (
        f"⌛ Your pair request to **{name(request.invitee)}** expired without an answer. "
        "Press **Show others** to ask someone else."
    )


def withdrawn_notice(request: RequestInfo) -> str:
    return (
        f"**{name(request.invitee)}** has paired with someone else, so your request was "
        "withdrawn. Press **Show others** to see who else is looking."
    )


# ----- the pair thread ----------------------------------------------------------------------


def thread_name(pairing: PairingInfo) -> str:
    """'E-Commerce · Amina & Tobi', within Discord's 100 characters (each part shortened)."""
    people = f"{truncate(pairing.backend.name, 28)} & {truncate(pairing.frontend.name, 28)}"
    project = truncate(pairing.project.name, limits.CHANNEL_NAME - len(people) - 3)
    return truncate(f"{project} · {people}", limits.CHANNEL_NAME)


def next_slot(window: Window, after: datetime) -> tuple[datetime, datetime]:
    """The first time the shared evening window starts at or after `after` (UTC)."""
    start, end = window.local(UTC, after.date())
    if start < after:
        start, end = start + timedelta(days=1), end + timedelta(days=1)
    return start, end


def sync_suggestion(pairing: PairingInfo) -> str:
    """The weekly sync slot, as Discord timestamps: each of you reads it in your own zone."""
    window = pairing.sync_window
    if window is None:
        return (
            "Your evenings don't overlap: try a weekend slot, or an early evening for one of you."
        )
    length = describe_overlap(window.minutes).replace(" evening overlap", "")
    start, end = next_slot(window, pairing.created_at)
    return (
        f"Your evenings overlap {length}: the next shared slot is {stamp(start, 'F')} – "
        f"{stamp(end, 't')} ({stamp(start, 'R')}). The same time each week makes a good sync."
    )


def kickoff_content(pairing: PairingInfo) -> str:
    return (
        f"<@{pairing.backend.user_id}> <@{pairing.frontend.user_id}> welcome to your pair "
        f"thread for **{project_title(pairing.project)}**! 🎉"
    )


def kickoff_embed(pairing: PairingInfo) -> discord.Embed:
    """The kickoff checklist; ticked items (pressed below it by either partner) show ✅."""
    backend, frontend = pairing.backend, pairing.frontend
    repos = "\n".join(
        f"{who.role}: {truncate(who.repo, 150)}" for who in (backend, frontend) if who.repo
    )
    texts = {
        "repos": "**Share your repos** and give each other access."
        + (f"\n{repos}" if repos else ""),
        "contract": "**Agree the API contract**: an OpenAPI/Swagger spec (e.g. drf-spectacular) "
        "or a GraphQL schema: endpoints, auth (JWT?), pagination, error shape.",
        "formats": "**Agree data formats**: field naming (snake_case or camelCase), ISO 8601 "
        "dates in UTC, IDs, prices, image URLs.",
        "erd": "**Review the ERD** together: does it cover every screen of the frontend?",
        "sync": f"**Pick a weekly sync slot.** {sync_suggestion(pairing)}",
        "mock": "**Until the API is live**: the frontend builds on mock data shaped like the "
        "contract; the backend enables CORS for the frontend's dev URL and shares the deployed "
        "base URL.",
    }
    done = set(pairing.checklist)
    steps = [f"{'✅' if key in done else '☐'} {texts[key]}" for key in KICKOFF_ITEMS]
    embed = embeds.success(
        f"Kickoff checklist · {project_title(pairing.project)} · {len(done)}/{len(steps)} done",
        "\n\n".join(steps),
    )
    embed.add_field(
        name="Backend", value=f"<@{backend.user_id}> · `{backend.timezone}`", inline=True
    )
    embed.add_field(
        name="Frontend", value=f"<@{frontend.user_id}> · `{frontend.timezone}`", inline=True
    )
    embed.set_footer(text="Plans changed? /unpair ends the pairing and you both look again.")
    return embed


def kickoff_view(pairing: PairingInfo) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for item in KICKOFF_ITEMS:
        view.add_item(TickButton(pairing.pairing_id, item, item in pairing.checklist))
    return view


def pair_mentions(pairing: PairingInfo) -> discord.AllowedMentions:
    """Ping exactly the two partners."""
    users = [discord.Object(pairing.backend.user_id), discord.Object(pairing.frontend.user_id)]
    return discord.AllowedMentions(users=users, roles=False, everyone=False)


THREAD_PENDING = (
    "I couldn't create their private thread yet (check my permissions in the Nexus channel); "
    "I'll keep trying."
)


def thread_closed_message(pairing: PairingInfo, ended_by: str) -> str:
    reason = f" Reason: {user_text(pairing.end_reason, 300)}" if pairing.end_reason else ""
    return f"This pairing was ended by {ended_by}.{reason} The thread is now archived."


# ----- unpair -------------------------------------------------------------------------------


def unpaired_reply(ended: list[PairingInfo], learner_id: int) -> str:
    names = ", ".join(f"**{name(p.partner_of(learner_id))}**" for p in ended)
    return (
        f"Your pairing with {names} has ended and they've been told. You're back on the "
        "waiting list with priority: `/find-partner` shows who is looking."
    )


def partner_left_notice(pairing: PairingInfo, leaver: LearnerInfo, by_moderator: bool) -> str:
    who = "A moderator" if by_moderator else f"**{name(leaver)}**"
    reason = f" Reason: {user_text(pairing.end_reason, 300)}" if pairing.end_reason else ""
    return (
        f"{who} ended your pairing on **{project_title(pairing.project)}**.{reason} You're back "
        "on the waiting list with priority: I'll tell you as soon as someone who fits announces."
    )


def moderator_paired_notice(pairing: PairingInfo) -> str:
    return (
        f"A moderator paired **{name(pairing.backend)}** (backend) with "
        f"**{name(pairing.frontend)}** (frontend) on **{project_title(pairing.project)}**."
    )


# ----- waiting list -------------------------------------------------------------------------


def waiter_notice(match: WaitMatch) -> str:
    newcomer = match.newcomer
    return (
        f"🔔 **{name(newcomer)}** just announced **{project_title(match.project)}** as "
        f"{newcomer.role}: they may be the partner you're waiting for. Press the button to ask "
        "them."
    )


def newcomer_notice(match: WaitMatch) -> str:
    shown = match.waiters[:5]
    names = ", ".join(f"**{name(w, 40)}**" for w in shown)
    more = f" and {len(match.waiters) - len(shown)} more" if len(match.waiters) > len(shown) else ""
    role = match.waiters[0].role if match.waiters else "other"
    return (
        f"👋 {names}{more} ({role}) {'is' if len(match.waiters) == 1 else 'are'} waiting for a "
        f"partner on **{project_title(match.project)}**. Press a button to ask."
    )


# ----- buttons ------------------------------------------------------------------------------


class MatchingButtons(Protocol):
    """What the matching cog does when a button is pressed."""

    async def ask(self, interaction: discord.Interaction, candidate_id: int) -> None: ...

    async def answer(
        self, interaction: discord.Interaction, request_id: int, accept: bool
    ) -> None: ...

    async def show_others(self, interaction: discord.Interaction, guild_id: int) -> None: ...

    async def tick(self, interaction: discord.Interaction, pairing_id: int, item: str) -> None: ...


class MatchingButton(PersistentButton, template=r"nexus:pair:never", abstract=True):
    """A button the matching cog handles."""

    cog = COG_NAME

    def handlers(self, interaction: discord.Interaction) -> MatchingButtons:
        return self.handler(interaction)


class TickButton(MatchingButton, template=r"nexus:kickoff:(?P<pairing>\d+):(?P<item>[a-z]{1,12})"):
    """Ticks (or unticks) one kickoff item; the service checks it is one of the pair."""

    def __init__(self, pairing_id: int, item: str, done: bool) -> None:
        self.pairing_id = pairing_id
        self.key = item  # (`item` is the Button itself, in DynamicItem)
        super().__init__(
            custom_id=f"nexus:kickoff:{pairing_id}:{item}",
            label=KICKOFF_LABELS.get(item, item),
            style=discord.ButtonStyle.success if done else discord.ButtonStyle.secondary,
            emoji="✅" if done else "☐",
        )

    @classmethod
    def from_match(cls, match: re.Match[str]) -> TickButton:
        return cls(int(match["pairing"]), match["item"], False)

    async def run(self, interaction: discord.Interaction) -> None:
        await self.handlers(interaction).tick(interaction, self.pairing_id, self.key)


class AskButton(MatchingButton, template=r"nexus:pair:ask:(?P<candidate_id>\d+):(?P<owner_id>\d+)"):
    """'Request to pair' with a candidate; only the learner it was shown to may press it."""

    def __init__(self, candidate_id: int, owner_id: int, label: str = "Request to pair") -> None:
        self.candidate_id, self.owner_id = candidate_id, owner_id
        super().__init__(
            custom_id=f"nexus:pair:ask:{candidate_id}:{owner_id}",
            label=truncate(label, limits.BUTTON_LABEL),
            style=discord.ButtonStyle.primary,
            emoji="🤝",
        )

    async def run(self, interaction: discord.Interaction) -> None:
        await self.handlers(interaction).ask(interaction, self.candidate_id)


class AnswerButton(MatchingButton, template=r"nexus:req:(?P<answer>accept|decline):(?P<id>\d+)"):
    """Accept or Decline on an invitation; the service checks it is the invitee pressing."""

    def __init__(self, request_id: int, accept: bool) -> None:
        self.request_id, self.accept = request_id, accept
        super().__init__(
            custom_id=f"nexus:req:{'accept' if accept else 'decline'}:{request_id}",
            label="Accept" if accept else "Decline",
            style=discord.ButtonStyle.success if accept else discord.ButtonStyle.danger,
        )

    @classmethod
    def from_match(cls, match: re.Match[str]) -> AnswerButton:
        return cls(int(match["id"]), match["answer"] == "accept")

    async def run(self, interaction: discord.Interaction) -> None:
        await self.handlers(interaction).answer(interaction, self.request_id, self.accept)


class ShowOthersButton(MatchingButton, template=r"nexus:find:(?P<guild_id>\d+):(?P<owner_id>\d+)"):
    """/find-partner as a button: carries the server, so it works from a DM too."""

    def __init__(self, guild_id: int, owner_id: int, label: str = "Show others") -> None:
        self.guild_id, self.owner_id = guild_id, owner_id
        primary = discord.ButtonStyle.primary
        custom = f"nexus:find:{guild_id}:{owner_id}"
        super().__init__(custom_id=custom, label=label, style=primary, emoji="🔎")

    async def run(self, interaction: discord.Interaction) -> None:
        await self.handlers(interaction).show_others(interaction, self.guild_id)


class CardAskButton(MatchingButton, template=r"nexus:card:ask:(?P<learner_id>\d+)"):
    """ "Ask to pair" on an announcement card in the Nexus channel: anyone may press it; the
    service sends the invite when the presser can pair with the author, else says why not."""

    def __init__(self, learner_id: int) -> None:
        self.learner_id = learner_id
        primary = discord.ButtonStyle.primary
        custom = f"nexus:card:ask:{learner_id}"
        super().__init__(custom_id=custom, label="Ask to pair", style=primary, emoji="🤝")

    async def run(self, interaction: discord.Interaction) -> None:
        await self.handlers(interaction).ask(interaction, self.learner_id)


def card_view(data: Announcement) -> discord.ui.View:
    """The card's button while its author is looking (an empty view removes it otherwise)."""
    view = discord.ui.View(timeout=None)
    if data.looking and data.active:
        view.add_item(CardAskButton(data.learner_id))
    return view


def show_others_view(guild_id: int, user_id: int, label: str = "Show others") -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ShowOthersButton(guild_id, user_id, label))
    return view


def ask_view(people: Sequence[tuple[int, str]], user_id: int) -> discord.ui.View:
    """A 'Request' button per (learner id, name), for the learner `user_id` only."""
    view = discord.ui.View(timeout=None)
    for learner_id, label in people[: limits.BUTTONS_PER_ROW * limits.ACTION_ROWS]:
        view.add_item(AskButton(learner_id, user_id, f"Request {label}"))
    return view


def suggestions_view(result: FindResult) -> discord.ui.View:
    people = [(s.candidate.learner_id, s.candidate.name) for s in result.suggestions]
    return ask_view(people, result.seeker.user_id)


def invite_view(request_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(AnswerButton(request_id, accept=True))
    view.add_item(AnswerButton(request_id, accept=False))
    return view
