"""The buttons a reminder DM carries instead of naming server-only commands.

A DM can't run `/learn` or `/reminders`, so a reminder that names them carries **Learn** (the
topics, then the articles, read in the DM) and **Reminders: channel / DM / off** (the
learner's setting for the server in the custom id). With the day-5 request buttons and
**Announce** (bot/ui/announce_form.py) they make up the reminder DM's view.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import Protocol

import discord

from bot.domain.first_week import PartnerOffer
from bot.domain.knowledge import Article, Library
from bot.domain.text import truncate
from bot.ui import embeds, limits
from bot.ui import learn as learn_ui
from bot.ui import learners as learners_ui
from bot.ui.announce_form import AnnounceButton
from bot.ui.matching import AskButton, ShowOthersButton
from bot.ui.persistent import PersistentButton, PersistentSelect

REMINDER_CHOICES: tuple[tuple[str, str, str], ...] = (
    ("on", "Reminders: channel", "🔔"),
    ("dm", "Reminders: DM", "📬"),
    ("off", "Reminders: off", "🔕"),
)
DM_REMINDER_REPLIES = {
    "on": "🔔 First-week reminders for **{server}** are **on**: you'll be mentioned in its "
    "Nexus channel.",
    "dm": "📬 First-week reminders for **{server}** will come to you **by DM**.",
    "off": "🔕 First-week reminders for **{server}** are **off**. Turn them back on with the "
    "**Reminders** buttons above.",
}


class LearnInDm(Protocol):
    async def show_topics(self, interaction: discord.Interaction, guild_id: int) -> None: ...
    async def open_dm_topic(self, interaction: discord.Interaction, slug: str) -> None: ...


class RemindersInDm(Protocol):
    async def set_reminders_from_dm(
        self, interaction: discord.Interaction, guild_id: int, setting: str
    ) -> None: ...


class LearnTopicsButton(PersistentButton, template=r"nexus:learn:topics:(?P<guild_id>\d+)"):
    """**Learn** in a DM: the knowledge base's topics, to open one there."""

    cog = learn_ui.COG_NAME

    def __init__(self, guild_id: int) -> None:
        self.guild_id = guild_id
        super().__init__(custom_id=f"nexus:learn:topics:{guild_id}", label="Learn", emoji="📚")

    async def run(self, interaction: discord.Interaction) -> None:
        handler: LearnInDm = self.handler(interaction)
        await handler.show_topics(interaction, self.guild_id)


class DmTopicSelect(
    PersistentSelect, template=r"nexus:learn:dm-topic:(?P<guild_id>\d+):(?P<part>\d)"
):
    """The topics menu of the DM list (25 a menu): opens the pick in the DM."""

    cog = learn_ui.COG_NAME

    def __init__(self, guild_id: int, part: int, articles: Sequence[Article] = ()) -> None:
        options = learn_ui.article_options(articles)
        first = part * limits.SELECT_OPTIONS + 1
        super().__init__(
            discord.ui.Select(
                custom_id=f"nexus:learn:dm-topic:{guild_id}:{part}",
                placeholder=f"Open a topic ({first}–{first + len(options) - 1})…",
                options=options or [discord.SelectOption(label="—", value="-")],
            )
        )

    async def run(self, interaction: discord.Interaction) -> None:
        handler: LearnInDm = self.handler(interaction)
        await handler.open_dm_topic(interaction, self.item.values[0])


class RemindersButton(
    PersistentButton, template=r"nexus:reminders:(?P<setting>on|dm|off):(?P<guild_id>\d+)"
):
    """`/reminders` as a button in a DM: sets the learner's choice for the server it names."""

    cog = learners_ui.COG_NAME

    def __init__(self, guild_id: int, setting: str) -> None:
        self.guild_id, self.setting = guild_id, setting
        label, emoji = next((lb, e) for s, lb, e in REMINDER_CHOICES if s == setting)
        custom = f"nexus:reminders:{setting}:{guild_id}"
        super().__init__(custom_id=custom, label=label, emoji=emoji)

    async def run(self, interaction: discord.Interaction) -> None:
        handler: RemindersInDm = self.handler(interaction)
        await handler.set_reminders_from_dm(interaction, self.guild_id, self.setting)


def reminder_dm_view(
    guild_id: int, user_id: int, offers: Sequence[PartnerOffer], buttons: Sequence[str]
) -> discord.ui.View | None:
    """A reminder DM's buttons: a request per offer, then Announce, Learn, Reminders as named
    (see `bot.domain.reminder_text.dm_buttons`); None when there is none."""
    view = discord.ui.View(timeout=None)
    for offer in offers[: limits.BUTTONS_PER_ROW * (limits.ACTION_ROWS - 2)]:
        view.add_item(AskButton(offer.learner_id, user_id, f"Request {offer.name}"))
    if "announce" in buttons:
        view.add_item(AnnounceButton(guild_id))
    if "learn" in buttons:
        view.add_item(LearnTopicsButton(guild_id))
    if "reminders" in buttons:
        for setting, *_ in REMINDER_CHOICES:
            view.add_item(RemindersButton(guild_id, setting))
    return view if view.children else None


def notice_view(guild_id: int, user_id: int, button: object) -> discord.ui.View | None:
    """The next step under a notice told by DM: `find` (Show others) or `announce`."""
    view = discord.ui.View(timeout=None)
    if button == "find":
        view.add_item(ShowOthersButton(guild_id, user_id))
    elif button == "announce":
        view.add_item(AnnounceButton(guild_id))
    return view if view.children else None


def topics_card(library: Library, guild_id: int) -> tuple[discord.Embed, discord.ui.View | None]:
    """**Learn** pressed in a DM: every topic by category, with menus to open one."""
    articles = sorted(library.articles.values(), key=lambda a: (a.category, a.title))
    if not articles:
        return embeds.info("📚 Learn", "No articles are online yet."), None
    lines = [
        f"**{category}**: " + " · ".join(a.title for a in group)
        for category, group in groupby(articles, key=lambda a: a.category)
    ]
    embed = embeds.info(
        "📚 What earlier learners documented",
        truncate("\n".join(lines), limits.EMBED_DESCRIPTION),
    )
    embed.set_footer(text="Pick a topic below to read it here.")
    view = discord.ui.View(timeout=None)
    size = limits.SELECT_OPTIONS
    parts = [articles[i : i + size] for i in range(0, len(articles), size)]
    for part, chunk in enumerate(parts[: limits.ACTION_ROWS]):
        view.add_item(DmTopicSelect(guild_id, part, chunk))
    return embed, view


def for_dm(view: discord.ui.View) -> discord.ui.View:
    """An article card as read in a DM: without Post to channel and the votes, which belong
    to a server (paging and related topics work anywhere)."""
    for item in list(view.children):
        if isinstance(item, learn_ui.PostButton | learn_ui.VoteButton):
            view.remove_item(item)
    return view
