"""Persistent buttons and menus: the one base every Nexus component derives from.

A persistent component keeps working after a restart because its whole state lives in its
custom_id (discord.py's `DynamicItem`). The custom_id scheme, for every component:

    nexus:<feature>:<action>[:<field>]...     e.g. nexus:pair:ask:42:1234 · nexus:req:accept:7

fields are integers (ids, pages, timestamps) or slugs, separated by ':' (at most 100 characters,
Discord's limit). `/learn` cards use the short prefix `nx` (nx:learn:next:django:2:1234): cards
posted before this scheme keep working, so that prefix stays. A subclass gives the regex
`template` with named groups and builds its custom_id from the same fields (`custom_id(...)`).
When each group is named after an `__init__` parameter annotated `int` or `str`, the default
`from_match` turns the match back into an instance; a subclass whose fields read otherwise
(a flag, a short code) overrides `from_match`.

Clicks are handed to the cog named by `cog`, which calls the service and the effects (the
component itself only knows how it looks). `owner_id`, when set, is the only member who may
press it: the check runs in `interaction_check`, as in discord.py's `examples/views/persistent.py`.
Every subclass is registered with the bot in one place, `NexusBot.setup_hook`, from
`persistent_items()`. discord.py only logs exceptions raised by a dynamic item, so this base
reports them through the one error handler.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import discord

from bot.errors import NotYourButton
from bot.ui.errors import report_error

_REGISTERED: list[type[PersistentItem[Any]]] = []

ItemT = TypeVar("ItemT", bound=discord.ui.Item[Any])

_READERS: dict[str, Callable[[str], Any]] = {"int": int, "str": str}


def custom_id(*fields: object) -> str:
    """A custom_id from its parts in the scheme's order (prefix, feature, action, fields)."""
    return ":".join(str(f) for f in fields)


def _readers(cls: type[Any]) -> dict[str, Callable[[str], Any]]:
    """How the default `from_match` reads each named group of the template: by the annotation
    of the `__init__` parameter of the same name."""
    params = inspect.signature(cls.__init__).parameters
    readers = {}
    for group in cls.__discord_ui_compiled_template__.groupindex:
        annotation = params[group].annotation if group in params else None
        name = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
        if name not in _READERS:
            raise TypeError(f"{cls.__name__}: the group {group!r} is no int or str parameter")
        readers[group] = _READERS[name]
    return readers


class PersistentItem(discord.ui.DynamicItem[ItemT], template=r"nexus:base:never"):
    """Base of every persistent component (see the module docstring for the scheme)."""

    cog: ClassVar[str] = ""  # the cog whose handler gets the click
    owner_id: int | None = None  # who may use it; None: anyone (the service checks, if needed)
    refusal: ClassVar[type[NotYourButton]] = NotYourButton  # what anyone else is told

    _readers: ClassVar[dict[str, Callable[[str], Any]]] = {}

    def __init_subclass__(cls, *, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not abstract:  # a base shared by several components is not registered itself
            _REGISTERED.append(cls)
            if cls.from_match.__func__ is PersistentItem.from_match.__func__:  # type: ignore[attr-defined]
                cls._readers = _readers(cls)  # checked now, at import, not at the first click

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PersistentItem[ItemT]:
        return cls.from_match(match)

    @classmethod
    def from_match(cls, match: re.Match[str]) -> PersistentItem[ItemT]:
        """An instance from its custom_id: each named group is the `__init__` argument of the
        same name (see the module docstring)."""
        return cls(**{group: read(match[group]) for group, read in cls._readers.items()})

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
    """A persistent button: give it the `discord.ui.Button`, or the parts to make one of."""

    def __init__(
        self,
        item: discord.ui.Button[Any] | None = None,
        *,
        custom_id: str = "",
        label: str | None = None,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        emoji: str | None = None,
        disabled: bool = False,
        row: int | None = None,
    ) -> None:
        if item is None:
            item = discord.ui.Button(
                custom_id=custom_id,
                label=label,
                style=style,
                emoji=emoji,
                disabled=disabled,
                row=row,
            )
        super().__init__(item, row=row)


class PersistentSelect(
    PersistentItem[discord.ui.Select[Any]], template=r"nexus:base:never-select", abstract=True
):
    """A persistent select menu."""


def persistent_items() -> list[type[PersistentItem[Any]]]:
    """Every concrete persistent component, for `Client.add_dynamic_items`."""
    return list(_REGISTERED)
