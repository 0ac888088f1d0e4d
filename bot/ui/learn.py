"""`/learn` cards: article pages as embeds, and the buttons and menus that go with them.

Every component is a `DynamicItem` whose custom_id carries its state (article, page, owner),
so cards keep working after a restart. Only the member who opened a card may use it; anyone
can open their own copy of a card that was posted to the channel.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

import discord

from bot.domain.knowledge import Article, Library, LibraryChanges, LoadReport, Page
from bot.domain.knowledge.text import excerpt
from bot.domain.text import truncate, user_text
from bot.errors import NotYourCard
from bot.ui import embeds, limits
from bot.ui.persistent import PersistentButton, PersistentSelect, custom_id

SLUG = r"[a-z0-9-]{1,48}"
SNOWFLAKE = r"\d{1,20}"
LEVEL_ICONS = {"beginner": "🌱", "intermediate": "🌿", "advanced": "🌳"}
EXAMPLE_TOPICS = "Django, DRF, GraphQL, Docker, CI/CD, Celery, caching, testing, security"


COG_NAME = "Learn"


class ArticleSource(Protocol):
    """What a card is built from: the loaded knowledge base (articles, pages, related)."""

    def article(self, slug: str) -> Article: ...

    def pages(self, article: Article) -> Sequence[Page]: ...

    def related(self, article: Article) -> Sequence[Article]: ...


class LearnClicks(Protocol):
    """What the `/learn` cog does when a card's component is used."""

    async def turn_page(
        self, interaction: discord.Interaction, slug: str, page: int, owner_id: int, shared: bool
    ) -> None: ...

    async def post_page(
        self, interaction: discord.Interaction, slug: str, page: int, owner_id: int
    ) -> None: ...

    async def open_copy(self, interaction: discord.Interaction, slug: str, page: int) -> None: ...

    async def vote(
        self, interaction: discord.Interaction, slug: str, page: int, helpful: bool, owner_id: int
    ) -> None: ...

    async def open_topic(
        self, interaction: discord.Interaction, slug: str, owner_id: int
    ) -> None: ...


class CardButton(PersistentButton, template=r"nx:learn:never-button", abstract=True):
    """A `/learn` card's button: handled by the Learn cog, only for whoever opened the card."""

    cog = COG_NAME
    refusal = NotYourCard
    owner_id: int

    def __init__(
        self,
        action: str,
        *fields: object,
        label: str,
        emoji: str | None = None,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        row: int,
        disabled: bool = False,
    ) -> None:
        super().__init__(
            custom_id=custom_id("nx:learn", action, *fields),
            label=label,
            emoji=emoji,
            style=style,
            disabled=disabled,
            row=row,
        )

    def clicks(self, interaction: discord.Interaction) -> LearnClicks:
        return self.handler(interaction)


class CardSelect(PersistentSelect, template=r"nx:learn:never-select", abstract=True):
    """A `/learn` card's menu: handled by the Learn cog, only for whoever opened the card."""

    cog = COG_NAME
    refusal = NotYourCard
    owner_id: int


# Embeds


def _sources_field(article: Article) -> str:
    lines: list[str] = []
    size = 0
    for source in article.sources:
        line = f"• [{truncate(source.title, 80)}]({source.url})"
        if size + len(line) + 1 > limits.EMBED_FIELD_VALUE:
            break
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines) or "—"


def article_embed(
    article: Article, page: Page, total: int, *, shared_by: str | None = None
) -> discord.Embed:
    """One page of an article; the last page lists the official sources."""
    embed = embeds.info(truncate(article.title, limits.EMBED_TITLE), page.text)
    icon = LEVEL_ICONS.get(article.level, "")
    footer = (
        f"{article.category} · {icon} {article.level} · page {page.number + 1}/{total}"
        f" · reviewed {article.last_reviewed.isoformat()}"
    )
    if shared_by:
        footer += f" · shared by {shared_by}"
    embed.set_footer(text=truncate(footer, limits.EMBED_FOOTER))
    if page.number == total - 1:
        embed.add_field(name="Sources", value=_sources_field(article), inline=False)
    return embed


def candidates_embed(query: str, candidates: Sequence[Article]) -> discord.Embed:
    """'Did you mean…': the best few articles for a query that matched nothing for sure."""
    lines = [f"**{a.title}** · {a.category}\n{excerpt(a.summary, 160)}" for a in candidates]
    embed = embeds.info(
        "Did you mean…",
        f"Closest articles for “{user_text(query, 80)}”:\n\n" + "\n\n".join(lines),
    )
    embed.set_footer(text="Pick one below, or run /learn again with other words.")
    return embed


def miss_embed(query: str) -> discord.Embed:
    return embeds.info(
        "Nothing on that yet",
        f"I couldn't find an article for “{user_text(query, 80)}”. I've noted it so the "
        "moderators can see what learners are looking for and write it up.\n\n"
        f"Try a broader word, for example: {EXAMPLE_TOPICS} — or browse the topics below.",
    )


def _names(slugs: Sequence[str]) -> str:
    return ", ".join(f"`{s}`" for s in slugs)


def reload_embed(report: LoadReport, changes: LibraryChanges) -> discord.Embed:
    """What `/nexus learn reload` did: counts, changes by slug, and every problem by file."""
    colour_ok = not report.errors
    title = "Knowledge base reloaded" if colour_ok else "Knowledge base reloaded, with problems"
    embed = embeds.success(title) if colour_ok else embeds.info(title)
    if not colour_ok:
        embed.colour = embeds.WARNING
    summary = [f"**{len(report.library)}** articles online."]
    if changes.added:
        summary.append(f"Added: {_names(changes.added)}")
    if changes.updated:
        summary.append(f"Updated: {_names(changes.updated)}")
    if changes.removed:
        summary.append(f"Removed: {_names(changes.removed)}")
    if not changes.any:
        summary.append("No article changed.")
    if report.kept:
        summary.append(f"Kept the last good version of: {_names(report.kept)}")
    embed.description = truncate("\n".join(summary), limits.EMBED_DESCRIPTION)
    for label, problems in (
        ("Skipped (fix these files)", report.errors),
        ("Warnings", report.warnings),
    ):
        if problems:
            text = "\n".join(f"• `{p.filename}`: {p.message}" for p in problems)
            embed.add_field(
                name=label, value=truncate(text, limits.EMBED_FIELD_VALUE), inline=False
            )
    return embed


# Components


class PageButton(
    CardButton,
    template=(
        rf"nx:learn:(?P<dir>prev|next)(?P<shared>-shared)?:(?P<slug>{SLUG}):(?P<page>\d+)"
        rf":(?P<owner>{SNOWFLAKE})"
    ),
):
    """Previous / Next, on a private card or on a page shared in the channel: the custom_id
    carries the page it leads to."""

    def __init__(
        self,
        direction: str,
        slug: str,
        page: int,
        owner_id: int,
        *,
        disabled: bool = False,
        shared: bool = False,
    ) -> None:
        self.slug, self.page, self.owner_id, self.shared = slug, page, owner_id, shared
        super().__init__(
            f"{direction}-shared" if shared else direction,
            slug,
            page,
            owner_id,
            label="◀ Previous" if direction == "prev" else "Next ▶",
            # paging is what a reader does most: the primary button (Next first)
            style=discord.ButtonStyle.primary
            if direction == "next"
            else discord.ButtonStyle.secondary,
            disabled=disabled,
            row=0,
        )

    @classmethod
    def from_match(cls, match: re.Match[str]) -> PageButton:
        return cls(
            match["dir"],
            match["slug"],
            int(match["page"]),
            int(match["owner"]),
            shared=bool(match["shared"]),
        )

    async def run(self, interaction: discord.Interaction) -> None:
        await self.clicks(interaction).turn_page(
            interaction, self.slug, self.page, self.owner_id, self.shared
        )


class PostButton(
    CardButton,
    template=rf"nx:learn:post:(?P<slug>{SLUG}):(?P<page>\d+):(?P<owner_id>{SNOWFLAKE})",
):
    """Posts the page being read publicly in the channel, without pinging anyone."""

    def __init__(self, slug: str, page: int, owner_id: int) -> None:
        self.slug, self.page, self.owner_id = slug, page, owner_id
        super().__init__("post", slug, page, owner_id, label="Post to channel", emoji="📣", row=0)

    async def run(self, interaction: discord.Interaction) -> None:
        await self.clicks(interaction).post_page(interaction, self.slug, self.page, self.owner_id)


class OpenButton(CardButton, template=rf"nx:learn:open:(?P<slug>{SLUG}):(?P<page>\d+)"):
    """On a posted page: anyone gets their own private copy of the article to page through."""

    def __init__(self, slug: str, page: int) -> None:
        self.slug, self.page = slug, page
        primary = discord.ButtonStyle.primary
        super().__init__("open", slug, page, label="My own copy", emoji="📖", style=primary, row=0)

    async def run(self, interaction: discord.Interaction) -> None:
        await self.clicks(interaction).open_copy(interaction, self.slug, self.page)


class VoteButton(
    CardButton,
    template=(
        rf"nx:learn:vote:(?P<slug>{SLUG}):(?P<page>\d+):(?P<helpful>[01]):(?P<owner>{SNOWFLAKE})"
    ),
):
    """Helpful / Not helpful: one vote per member and article, the last one counts."""

    def __init__(
        self, slug: str, page: int, helpful: bool, owner_id: int, *, chosen: bool = False
    ) -> None:
        self.slug, self.page, self.helpful, self.owner_id = slug, page, helpful, owner_id
        if helpful:
            label, emoji = "Helpful", "👍"
            style = discord.ButtonStyle.success if chosen else discord.ButtonStyle.secondary
        else:
            label, emoji = "Not helpful", "👎"
            style = discord.ButtonStyle.danger if chosen else discord.ButtonStyle.secondary
        label += " ✓" if chosen else ""
        fields = (slug, page, int(helpful), owner_id)
        super().__init__("vote", *fields, label=label, emoji=emoji, style=style, row=1)

    @classmethod
    def from_match(cls, match: re.Match[str]) -> VoteButton:
        return cls(match["slug"], int(match["page"]), match["helpful"] == "1", int(match["owner"]))

    async def run(self, interaction: discord.Interaction) -> None:
        await self.clicks(interaction).vote(
            interaction, self.slug, self.page, self.helpful, self.owner_id
        )


def article_options(articles: Sequence[Article]) -> list[discord.SelectOption]:
    """A menu's options for the first articles that fit: each opens by its slug."""
    return [
        discord.SelectOption(
            label=truncate(a.title, limits.SELECT_OPTION_LABEL),
            value=a.slug,
            description=truncate(a.category, limits.SELECT_OPTION_DESCRIPTION),
        )
        for a in articles[: limits.SELECT_OPTIONS]
    ]


class TopicSelect(CardSelect, template=rf"nx:learn:topic:(?P<owner_id>{SNOWFLAKE})"):
    """A menu of articles (related topics, or 'did you mean' candidates) that opens the pick."""

    def __init__(
        self,
        owner_id: int,
        articles: Sequence[Article] = (),
        *,
        placeholder: str = "Related topics",
    ) -> None:
        self.owner_id = owner_id
        options = article_options(articles)
        super().__init__(
            discord.ui.Select(
                custom_id=f"nx:learn:topic:{owner_id}",
                placeholder=placeholder,
                options=options or [discord.SelectOption(label="—", value="-")],
                row=2,
            )
        )

    async def run(self, interaction: discord.Interaction) -> None:
        clicks: LearnClicks = self.handler(interaction)
        await clicks.open_topic(interaction, self.item.values[0], self.owner_id)


# Cards


def article_card(
    knowledge: ArticleSource,
    slug: str,
    page: int,
    owner_id: int,
    *,
    vote: bool | None = None,
) -> tuple[discord.Embed, discord.ui.View]:
    """An article page with its controls, for `owner_id`. Pages past the end show the last."""
    article = knowledge.article(slug)
    pages = knowledge.pages(article)
    current = pages[max(0, min(page, len(pages) - 1))]
    last = len(pages) - 1
    view = discord.ui.View(timeout=None)
    if last > 0:
        n = current.number
        view.add_item(PageButton("prev", slug, max(n - 1, 0), owner_id, disabled=n == 0))
        view.add_item(PageButton("next", slug, min(n + 1, last), owner_id, disabled=n == last))
    view.add_item(PostButton(slug, current.number, owner_id))
    view.add_item(VoteButton(slug, current.number, True, owner_id, chosen=vote is True))
    view.add_item(VoteButton(slug, current.number, False, owner_id, chosen=vote is False))
    related = knowledge.related(article)
    if related:
        view.add_item(TopicSelect(owner_id, related, placeholder="Related topics…"))
    return article_embed(article, current, len(pages)), view


def shared_card(
    knowledge: ArticleSource, slug: str, page: int, owner_id: int, shared_by: str
) -> tuple[discord.Embed, discord.ui.View]:
    """A page posted in the channel: it shows only what works for everyone, 📖 a private copy
    to read on from (paging a shared post would work for its poster alone)."""
    article = knowledge.article(slug)
    pages = knowledge.pages(article)
    current = pages[max(0, min(page, len(pages) - 1))]
    view = discord.ui.View(timeout=None)
    view.add_item(OpenButton(slug, current.number))
    return article_embed(article, current, len(pages), shared_by=shared_by), view


def candidates_card(
    query: str, candidates: Sequence[Article], owner_id: int
) -> tuple[discord.Embed, discord.ui.View]:
    view = discord.ui.View(timeout=None)
    view.add_item(TopicSelect(owner_id, candidates, placeholder="Open one of these…"))
    return candidates_embed(query, candidates), view


def miss_card(
    query: str, library: Library, owner_id: int
) -> tuple[discord.Embed, discord.ui.View | None]:
    topics = sorted(library.articles.values(), key=lambda a: a.title.lower())
    if not topics:
        return miss_embed(query), None
    view = discord.ui.View(timeout=None)
    view.add_item(TopicSelect(owner_id, topics, placeholder="Browse topics…"))
    return miss_embed(query), view
