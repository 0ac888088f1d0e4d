"""The announce form: `/announce-project` as a modal, for a refused option or a DM.

A refused option keeps what the learner typed: the error offers a button (its custom_id
carries the server and a token for the draft, stored for a day) that opens this form
prefilled, the refused field marked; once the draft is gone it opens prefilled from the
profile. Reminder DMs carry a button with the server id that opens it from the profile.
Submitting runs the same announce path as the command.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import discord

from bot.domain.learners import AnnounceDraft
from bot.ui.errors import report_error
from bot.ui.learners import COG_NAME
from bot.ui.persistent import PersistentButton

# (field, label, placeholder, paragraph, required, max_length)
FIELDS: tuple[tuple[str, str, str, bool, bool, int], ...] = (
    ("project", "Project", "Either track's title, as in the catalog", False, True, 200),
    ("role", "Track", "Pick your track", False, True, 20),  # a select (TRACKS)
    ("summary", "Summary (at most 300 characters)", "A sentence or two", True, False, 1000),
    ("repo", "Repository link", "https://github.com/you/your-project", False, False, 400),
    ("timezone", "Time zone", "e.g. Africa/Lagos or UTC+1", False, False, 100),
)
# The track is a select in a label (a modal's string select lives in one), preselected.
TRACKS: tuple[tuple[str, str, str], ...] = (
    ("backend", "Backend", "The API: Django, DRF, GraphQL, PostgreSQL"),
    ("frontend", "Frontend", "The app that consumes the API"),
)
FIX_MARK = "✏️ Fix: "
EXPIRED_TITLE = "Announce (what you typed expired)"  # ≤ 45 characters
DRAFT_EXPIRED = (
    "⌛ That form expired, so I no longer have what you typed. Nothing was posted or changed: run "
    "`/announce-project` again."
)


FORM_ID = re.compile(r"nexus:announce:form:(?P<guild>\d+)")
NAMES = frozenset(name for name, *_ in FIELDS)


def submitted_draft(data: Any, user_id: int) -> AnnounceDraft | None:
    """What a submitted announce form holds (the raw modal-submit data), or None when the
    interaction is some other modal."""
    if not isinstance(data, dict):
        return None
    match = FORM_ID.fullmatch(str(data.get("custom_id", "")))
    if match is None:
        return None
    values: dict[str, str] = {}
    for row in data.get("components") or []:
        inner = [row.get("component")] if row.get("type") == 18 else row.get("components")
        for comp in inner or []:
            name = str((comp or {}).get("custom_id", "")).removeprefix("announce-")
            if name not in NAMES:
                continue
            picked = comp.get("values")  # a select sends the picked values
            value = picked[0] if isinstance(picked, list) and picked else comp.get("value")
            values[name] = str(value or "").strip()
    return AnnounceDraft(int(match["guild"]), user_id, **values)


def refused_text(message: str) -> str:
    """The private error for a refused option, beside the button that keeps the draft."""
    return (
        f"{message}\nNothing was posted or changed. Press **Fix and announce** to correct it: "
        "everything you typed is kept."
    )


class AnnounceForms(Protocol):
    async def open_draft(
        self, interaction: discord.Interaction, guild_id: int | None, token: str
    ) -> None: ...
    async def open_form(self, interaction: discord.Interaction, guild_id: int) -> None: ...
    async def submit_form(self, interaction: discord.Interaction, draft: AnnounceDraft) -> None: ...


def track_select(role: str, placeholder: str) -> discord.ui.Select[Any]:
    """Backend or frontend, with the learner's track (if any) preselected."""
    chosen = role.strip().lower()
    return discord.ui.Select(
        custom_id="announce-role",
        placeholder=placeholder,
        required=True,
        options=[
            discord.SelectOption(
                label=label, value=value, description=about, default=value == chosen
            )
            for value, label, about in TRACKS
        ],
    )


class AnnounceModal(discord.ui.Modal):
    """The announce form, prefilled from a draft; the refused field is marked."""

    def __init__(self, draft: AnnounceDraft, *, expired: bool = False) -> None:
        super().__init__(
            title=EXPIRED_TITLE if expired else "Announce your project",
            custom_id=f"nexus:announce:form:{draft.guild_id}",
            timeout=15 * 60,
        )
        self.draft = draft
        self.inputs: dict[str, discord.ui.TextInput[Any]] = {}
        for name, label, placeholder, paragraph, required, max_length in FIELDS:
            label = (FIX_MARK + label if name == draft.refused else label)[:45]
            if name == "role":
                self.track = track_select(draft.role, placeholder)
                self.add_item(discord.ui.Label(text=label, component=self.track))
                continue
            value = str(getattr(draft, name) or "")[:max_length]
            text_input: discord.ui.TextInput[Any] = discord.ui.TextInput(
                label=label,
                custom_id=f"announce-{name}",
                placeholder=placeholder,
                style=discord.TextStyle.paragraph if paragraph else discord.TextStyle.short,
                required=required,
                max_length=max_length,
                default=value or None,
            )
            self.inputs[name] = text_input
            self.add_item(text_input)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Nothing here: the cog handles every submitted announce form from the raw
        interaction (`submitted_draft`), so a form opened before a restart still works."""

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, /, *_: Any
    ) -> None:
        await report_error(interaction, error)


class DraftButton(
    PersistentButton,
    template=r"nexus:announce:draft:(?:(?P<guild>\d+):)?(?P<token>[0-9a-f]{8,32})",
):
    """Under a refused `/announce-project`: opens the form with what the learner typed (the
    draft is stored for a day under the token; buttons from before that carry no server)."""

    cog = COG_NAME

    def __init__(self, guild_id: int | None, token: str) -> None:
        where = f"{guild_id}:" if guild_id else ""
        super().__init__(
            discord.ui.Button(
                label="Fix and announce",
                style=discord.ButtonStyle.primary,
                emoji="✏️",
                custom_id=f"nexus:announce:draft:{where}{token}",
            )
        )
        self.guild_id, self.token = guild_id, token

    @classmethod
    def from_match(cls, match: re.Match[str]) -> DraftButton:
        return cls(int(match["guild"]) if match["guild"] else None, match["token"])

    async def run(self, interaction: discord.Interaction) -> None:
        forms: AnnounceForms = self.handler(interaction)
        await forms.open_draft(interaction, self.guild_id, self.token)


class AnnounceButton(PersistentButton, template=r"nexus:announce:open:(?P<guild>\d+)"):
    """In a reminder DM: opens the announce form for the server its custom_id names."""

    cog = COG_NAME

    def __init__(self, guild_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Announce",
                style=discord.ButtonStyle.primary,
                emoji="📣",
                custom_id=f"nexus:announce:open:{guild_id}",
            )
        )
        self.guild_id = guild_id

    @classmethod
    def from_match(cls, match: re.Match[str]) -> AnnounceButton:
        return cls(int(match["guild"]))

    async def run(self, interaction: discord.Interaction) -> None:
        forms: AnnounceForms = self.handler(interaction)
        await forms.open_form(interaction, self.guild_id)


def draft_view(guild_id: int, token: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(DraftButton(guild_id, token))
    return view
