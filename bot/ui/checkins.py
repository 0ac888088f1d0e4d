"""The check-in in a pair thread: its message, its three buttons, and the confirm step."""

from __future__ import annotations

import re
from typing import Protocol

import discord

from bot.domain.checkins import ANSWER_LABELS, CheckInPrompt, prompt_text
from bot.domain.statuses import CheckInChoice
from bot.ui.persistent import PersistentButton

COG_NAME = "CheckIns"
_SHORT = {CheckInChoice.MET: "met", CheckInChoice.STUCK: "stuck", CheckInChoice.NEW_PARTNER: "new"}
_LONG = {short: answer for answer, short in _SHORT.items()}
_STYLE = {
    CheckInChoice.MET: discord.ButtonStyle.success,
    CheckInChoice.STUCK: discord.ButtonStyle.secondary,
    CheckInChoice.NEW_PARTNER: discord.ButtonStyle.danger,
}
_EMOJI = {CheckInChoice.MET: "✅", CheckInChoice.STUCK: "🆘", CheckInChoice.NEW_PARTNER: "🔁"}


class CheckInHandlers(Protocol):
    async def answer(
        self, interaction: discord.Interaction, checkin_id: int, answer: str
    ) -> None: ...

    async def confirm_new_partner(
        self, interaction: discord.Interaction, checkin_id: int
    ) -> None: ...


class CheckInButton(
    PersistentButton, template=r"nexus:checkin:(?P<answer>met|stuck|new):(?P<id>\d+)"
):
    """One answer to a check-in; the service checks that one of the pair pressed it."""

    cog = COG_NAME

    def __init__(self, checkin_id: int, answer: CheckInChoice) -> None:
        self.checkin_id, self.answer = checkin_id, answer
        super().__init__(
            custom_id=f"nexus:checkin:{_SHORT[answer]}:{checkin_id}",
            label=ANSWER_LABELS[answer],
            style=_STYLE[answer],
            emoji=_EMOJI[answer],
        )

    @classmethod
    def from_match(cls, match: re.Match[str]) -> CheckInButton:
        return cls(int(match["id"]), _LONG[match["answer"]])

    async def run(self, interaction: discord.Interaction) -> None:
        handlers: CheckInHandlers = self.handler(interaction)
        await handlers.answer(interaction, self.checkin_id, self.answer)


class ConfirmNewPartnerButton(
    PersistentButton, template=r"nexus:checkin:confirm:(?P<checkin_id>\d+):(?P<owner_id>\d+)"
):
    """ "Yes, end our pairing": only the learner who asked may press it."""

    cog = COG_NAME

    def __init__(self, checkin_id: int, owner_id: int) -> None:
        self.checkin_id, self.owner_id = checkin_id, owner_id
        custom = f"nexus:checkin:confirm:{checkin_id}:{owner_id}"
        danger = discord.ButtonStyle.danger
        super().__init__(custom_id=custom, label="Yes, end our pairing", style=danger)

    async def run(self, interaction: discord.Interaction) -> None:
        handlers: CheckInHandlers = self.handler(interaction)
        await handlers.confirm_new_partner(interaction, self.checkin_id)


def checkin_view(checkin_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for answer in CheckInChoice:
        view.add_item(CheckInButton(checkin_id, answer))
    return view


def checkin_message(prompt: CheckInPrompt) -> tuple[str, discord.ui.View, discord.AllowedMentions]:
    """The check-in's content, buttons and mentions (the two learners, nobody else)."""
    mentions = discord.AllowedMentions(
        users=[discord.Object(u) for u in prompt.user_ids], roles=False, everyone=False
    )
    return prompt_text(prompt), checkin_view(prompt.checkin_id), mentions


def confirm_new_partner(checkin_id: int, user_id: int) -> tuple[str, discord.ui.View]:
    view = discord.ui.View(timeout=None)
    view.add_item(ConfirmNewPartnerButton(checkin_id, user_id))
    return (
        "End this pairing and look for a new partner? You'll both be back on the waiting list "
        "with priority, and your partner is told. If you only want to pause, just carry on.",
        view,
    )
