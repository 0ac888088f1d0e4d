"""Announcement posts, profile cards, `/announce-project` replies and `/my-data` pieces."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol
from urllib.parse import urlsplit

import discord

from bot.domain.export import export_name
from bot.domain.learners import (
    Announcement,
    AnnounceOutcome,
    Erasure,
    Person,
    PostLocation,
    Profile,
    ProjectTitles,
)
from bot.domain.roles import opposite
from bot.domain.text import truncate, user_text
from bot.errors import NotYourErasure
from bot.ui import embeds, limits
from bot.ui.persistent import PersistentButton

ROLE_ICON = {"backend": "🛠️", "frontend": "🎨"}
ROLE_COLOUR = {"backend": discord.Colour(0x3498DB), "frontend": discord.Colour(0x9B59B6)}
NAMES_SHOWN = 5
CONFIRM_SECONDS = 300


def jump_url(guild_id: int, post: PostLocation) -> str:
    return f"https://discord.com/channels/{guild_id}/{post.channel_id}/{post.message_id}"


def mention(person: Person) -> str:
    """A mention renders as the member's name; the bot's messages never ping by default."""
    return f"<@{person.user_id}>"


def people(persons: Sequence[Person], total: int | None = None) -> str:
    shown = ", ".join(mention(p) for p in persons[:NAMES_SHOWN])
    more = (total if total is not None else len(persons)) - min(len(persons), NAMES_SHOWN)
    return shown + (f" and {more} more" if more > 0 else "")


def project_name(project: ProjectTitles) -> str:
    return user_text(project.name, limits.EMBED_TITLE - 10)


def track_titles(project: ProjectTitles) -> str:
    if project.custom:
        return "💡 A learner's own project idea"
    lines = [
        f"{ROLE_ICON[role]} {role.title()}: {user_text(title, 120)}"
        for role, title in (
            ("backend", project.backend_title),
            ("frontend", project.frontend_title),
        )
        if title
    ]
    return "\n".join(lines) or "—"


def repo_link(url: str) -> str:
    """A masked link (the URL was validated: https, no markdown characters)."""
    parts = urlsplit(url)
    label = user_text(truncate((parts.netloc + parts.path).rstrip("/"), 80))
    return f"[{label}]({url})"


def status_line(data: Announcement) -> str:
    wanted = opposite(data.role)
    if not data.active:
        return "💤 Not in the server any more"
    if data.partners and data.looking:
        return f"🤝 Paired with {people(data.partners)} · open to another {wanted} partner"
    if data.partners:
        return f"🤝 Paired with {people(data.partners)}"
    return f"🔎 Looking for a {wanted} partner"


def announcement_embed(data: Announcement) -> discord.Embed:
    """The post in the Nexus channel; re-rendered whenever the learner's status changes."""
    icon = ROLE_ICON[data.role]
    paired = bool(data.partners) and not data.looking
    embed = discord.Embed(
        title=f"{icon} {project_name(data.project)}",
        colour=embeds.SUCCESS if paired else ROLE_COLOUR[data.role],
        timestamp=data.announced_at,
    )
    lines = [f"<@{data.user_id}> is building this on the **{data.role}** track."]
    if data.summary:
        lines.append(f"> {user_text(data.summary, 400)}")
    embed.description = "\n\n".join(lines)
    embed.add_field(name="Project", value=track_titles(data.project), inline=False)
    embed.add_field(name="Role", value=f"{icon} {data.role.title()}", inline=True)
    zone = user_text(data.timezone, 64) + (
        " (server default)" if data.timezone_is_server_default else ""
    )
    embed.add_field(name="Time zone", value=zone, inline=True)
    embed.add_field(name="Status", value=truncate(status_line(data), 1024), inline=False)
    if data.repo:
        embed.add_field(name="Repo", value=repo_link(data.repo), inline=False)
    embed.set_footer(text="Announced with /announce-project · run it again to update this post")
    return embed


def profile_embed(profile: Profile, *, guild_id: int, own: bool) -> discord.Embed:
    """`/profile`: the announcement card plus waiting state (and, for yourself, reminders)."""
    data = profile.announcement
    embed = announcement_embed(data)
    embed.title = f"{user_text(data.display_name, 80)} · {project_name(data.project)}"
    embed.set_footer(text="Nexus profile")
    if profile.waiting_since is not None and data.looking:
        since = int(profile.waiting_since.timestamp())
        embed.add_field(name="Waiting list", value=f"Waiting since <t:{since}:R>", inline=True)
    if own:
        embed.add_field(name="Reminders", value=f"`{profile.reminders}`", inline=True)
    if profile.post is not None:
        embed.add_field(
            name="Announcement", value=f"[Jump to the post]({jump_url(guild_id, profile.post)})"
        )
    return embed


def looking_text(outcome: AnnounceOutcome) -> str:
    looking = outcome.looking
    if looking.count == 0:
        return (
            f"No {looking.role} learner on this project is looking yet. Use `/find-partner` to "
            "join the waiting list: you'll be told as soon as one announces."
        )
    someone = "learner is" if looking.count == 1 else "learners are"
    return (
        f"**{looking.count}** {looking.role} {someone} looking for a partner: "
        f"{people(looking.first, looking.count)}. Use `/find-partner` to send a request."
    )


def announce_reply(
    outcome: AnnounceOutcome, *, guild_id: int, post: PostLocation | None, notes: Sequence[str]
) -> discord.Embed:
    """The private reply to `/announce-project`."""
    data = outcome.announcement
    title = "✅ You're announced" if outcome.first_time else "✅ Announcement updated"
    where = f" · [see your post]({jump_url(guild_id, post)})" if post else ""
    embed = embeds.success(
        title,
        f"{ROLE_ICON[data.role]} **{project_name(data.project)}** on the **{data.role}** track"
        f"{where}",
    )
    embed.add_field(name="Partners", value=truncate(looking_text(outcome), 1024), inline=False)
    all_notes = list(notes)
    if outcome.custom_created:
        custom = f"💡 **{project_name(data.project)}** is new: I added it as a custom project."
        if outcome.near_misses:
            custom += f" If you meant {outcome.near_misses}, announce again with that one."
        all_notes.insert(0, custom)
    if not outcome.first_time:
        all_notes.append(
            "Options you leave out keep their earlier value (`-` clears summary or repo)."
        )
    if all_notes:
        embed.add_field(name="Notes", value=truncate("\n".join(all_notes), 1024), inline=False)
    return embed


# ---- /my-data ----------------------------------------------------------------------------------


def export_file(document: dict[str, Any], server: str, day: date) -> discord.File:
    """The learner's data as JSON, named after the server and the day."""
    raw = json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")
    return discord.File(io.BytesIO(raw), filename=export_name("nexus-my-data", server, day, "json"))


ERASE_PROMPT = (
    "⚠️ This erases your Nexus profile, announcement post, pairings, pair requests and reminder "
    "history on this server. It can't be undone. Your partner (if any) is not notified; your "
    "private thread stays. The button works for {minutes} minutes."
)


def erase_prompt_view(user_id: int, expires_at: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(EraseButton(user_id, expires_at))
    view.add_item(KeepButton(user_id))
    return view


def erasure_summary(erasure: Erasure) -> str:
    if not erasure.removed:
        return "Nexus had nothing stored about you on this server."
    parts = ", ".join(
        f"{label.replace('_', ' ')} ({count})" for label, count in erasure.removed.items()
    )
    return f"🗑️ Done. I erased: {parts}."


COG_NAME = "Learners"


class MyDataButtons(Protocol):
    """What the learners cog does when a `/my-data delete` button is pressed."""

    async def erase(self, interaction: discord.Interaction, expires_at: int) -> None: ...


class EraseButton(
    PersistentButton,
    template=r"nexus:mydata:erase:(?P<user_id>\d+):(?P<expires>\d+)",
):
    """Confirms `/my-data delete`; only for the caller, and only until it expires."""

    cog = COG_NAME
    refusal = NotYourErasure

    def __init__(self, user_id: int, expires_at: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Delete my data",
                style=discord.ButtonStyle.danger,
                custom_id=f"nexus:mydata:erase:{user_id}:{expires_at}",
            )
        )
        self.user_id = self.owner_id = user_id
        self.expires_at = expires_at

    @classmethod
    def from_match(cls, match: re.Match[str]) -> EraseButton:
        return cls(int(match["user_id"]), int(match["expires"]))

    async def run(self, interaction: discord.Interaction) -> None:
        handlers: MyDataButtons = self.handler(interaction)
        await handlers.erase(interaction, self.expires_at)


class KeepButton(
    PersistentButton,
    template=r"nexus:mydata:keep:(?P<user_id>\d+)",
):
    """Cancels `/my-data delete`."""

    refusal = NotYourErasure

    def __init__(self, user_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Keep my data",
                style=discord.ButtonStyle.secondary,
                custom_id=f"nexus:mydata:keep:{user_id}",
            )
        )
        self.user_id = self.owner_id = user_id

    @classmethod
    def from_match(cls, match: re.Match[str]) -> KeepButton:
        return cls(int(match["user_id"]))

    async def run(self, interaction: discord.Interaction) -> None:
        await interaction.response.edit_message(content=KEPT, view=None)


KEPT = "👍 Nothing was deleted."
ERASE_EXPIRED = "⌛ This confirmation expired. Run `/my-data delete` again."
