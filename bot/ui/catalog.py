"""`/nexus projects …`: the catalog as pages of an embed, and confirmations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import discord

from bot.domain.catalog import CatalogEntry
from bot.domain.text import truncate, user_text
from bot.errors import NexusError
from bot.ui import embeds, limits
from bot.ui.views import NexusView

PER_PAGE = 8
LINE_MAX = 480


def entry_line(entry: CatalogEntry) -> str:
    """One project: name and key, both titles, aliases (truncated to stay within limits)."""
    head = f"**{user_text(entry.name, 100)}** · `{entry.key}`"
    if entry.custom:
        head += " · 💡 custom"
    lines = [head]
    if entry.backend_title or entry.frontend_title:
        lines.append(
            f"🛠️ {user_text(entry.backend_title or '—', 100)} · "
            f"🎨 {user_text(entry.frontend_title or '—', 100)}"
        )
    if entry.aliases:
        lines.append("aka " + user_text(", ".join(entry.aliases), 150))
    if entry.description:
        lines.append(f"*{user_text(entry.description, 150)}*")
    return truncate("\n".join(lines), LINE_MAX)


def catalog_page(entries: Sequence[CatalogEntry], page: int) -> discord.Embed:
    """Page `page` (0-based) of the catalog; always within Discord's embed limits."""
    pages = page_count(entries)
    page = max(0, min(page, pages - 1))
    chunk = entries[page * PER_PAGE : (page + 1) * PER_PAGE]
    official = sum(1 for e in entries if not e.custom)
    description = "\n\n".join(entry_line(e) for e in chunk) or (
        "The catalog is empty. Add a project with `/nexus projects add`."
    )
    embed = embeds.info(
        f"Project catalog · {len(entries)} projects",
        truncate(description, limits.EMBED_DESCRIPTION),
    )
    embed.set_footer(
        text=f"Page {page + 1}/{pages} · {official} from the catalog, "
        f"{len(entries) - official} learners' own ideas"
    )
    return embed


def page_count(entries: Sequence[CatalogEntry]) -> int:
    return max(1, -(-len(entries) // PER_PAGE))


class CatalogPages(NexusView):
    """◀ ▶ through the catalog; only the moderator who asked can turn pages."""

    def __init__(self, entries: Sequence[CatalogEntry], owner_id: int) -> None:
        super().__init__(timeout=600)
        self.entries = list(entries)
        self.owner_id = owner_id
        self.page = 0
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= page_count(self.entries) - 1

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            raise NexusError("Run `/nexus projects list` to page through the catalog yourself.")
        return True

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        self.page = max(0, min(self.page + step, page_count(self.entries) - 1))
        self._sync_buttons()
        await interaction.response.edit_message(
            embed=catalog_page(self.entries, self.page), view=self
        )

    @discord.ui.button(label="◀", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="▶", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        await self._turn(interaction, 1)


def added_embed(entry: CatalogEntry) -> discord.Embed:
    return embeds.success("Project added", entry_line(entry))


def removed_text(entry: CatalogEntry, learners: int) -> str:
    kept = (
        f" {learners} learner{'s' if learners != 1 else ''} who announced it keep it on their "
        "profile."
        if learners
        else ""
    )
    return f"🗑️ Removed **{user_text(entry.name, 100)}** from the catalog.{kept}"
