"""Persistent buttons and menus: the one base every Nexus component derives from.

A persistent component keeps working after a restart because its whole state lives in its
custom_id (discord.py's `DynamicItem`). The custom_id scheme, for every component:

    nexus:<feature>:<action>[:<field>]...     e.g. nexus:pair:ask:42:1234 · nexus:req:accept:7

fields are integers (ids, pages, timestamps) or slugs, separated by ':' (at most 100 characters,
Discord's limit). `/learn` cards use the short prefix `nx` (nx:learn:next:django:2:1234): cards
posted before this scheme keep working, so that prefix stays. A subclass gives the regex
`template` with named groups, builds its custom_id from the same fields, and in `from_match`
turns the match back into an instance.

Clicks are handed to the cog named by `cog`, which calls the service and the effects (the
component itself only knows how it looks). `owner_id`, when set, is the only member who may
press it: the check runs in `interaction_check`, as in discord.py's `examples/views/persistent.py`.
Every subclass is registered with the bot in one place, `NexusBot.setup_hook`, from
`persistent_items()`. discord.py only logs exceptions raised by a dynamic item, so this base
reports them through the one error handler.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, TypeVar

import discord

from bot.errors import NotYourButton
from bot.ui.errors import report_error

_REGISTERED: list[type[PersistentItem[Any]]] = []

ItemT = TypeVar("ItemT", bound=discord.ui.Item[Any])


class PersistentItem(discord.ui.DynamicItem[ItemT], template=r"nexus:base:never"):
    """Base of every persistent component (see the module docstring for the scheme)."""

    cog: ClassVar[str] = ""  # the cog whose handler gets the click
    owner_id: int | None = None  # who may use it; None: anyone (the service checks, if needed)
    refusal: ClassVar[type[NotYourButton]] = NotYourButton  # what anyone else is told

    def __init_subclass__(cls, *, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not abstract:  # a base shared by several components is not registered itself
            _REGISTERED.append(cls)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PersistentItem[ItemT]:
        return cls.from_match(match)

    @classmethod
    def from_match(cls, match: re.Match[str]) -> PersistentItem[ItemT]:
        raise NotImplementedError

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if self.owner_id is not None and interaction.user.id != self.owner_id:
            await report_error(interaction, self.refusal())
            return False
        return True

    def handler(self, interaction: discord.Interaction) -> Any:
        """The cog that handles this component's clicks."""
        cog = interaction.client.get_cog(self.cog)  # type: ignore[attr-defined]
        assert cog is not None, f"the {self.cog} cog is not loaded"
        return cog

    async def callback(self, interaction: discord.Interaction) -> None:
        # discord.py has already run `interaction_check`; checking again costs nothing and keeps
        # a callback invoked any other way from acting for the wrong member.
        if not await self.interaction_check(interaction):
            return
        try:
            await self.run(interaction)
        except Exception as error:  # reported to the user, logged with a reference
            await report_error(interaction, error)

    async def run(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError


class PersistentButton(
    PersistentItem[discord.ui.Button[Any]], template=r"nexus:base:never-button", abstract=True
):
    """A persistent button."""


class PersistentSelect(
    PersistentItem[discord.ui.Select[Any]], template=r"nexus:base:never-select", abstract=True
):
    """A persistent select menu."""


def persistent_items() -> list[type[PersistentItem[Any]]]:
    """Every concrete persistent component, for `Client.add_dynamic_items`."""
    return list(_REGISTERED)
