"""Embeds for `/nexus cohort start | show | preview | cancel`."""

from __future__ import annotations

from datetime import UTC, datetime

import discord

from bot.domain.cohort import CohortOverview, ReminderView, StepPreview
from bot.domain.first_week import CohortMember
from bot.domain.statuses import SENT_STATUSES, StepStatus
from bot.domain.text import truncate
from bot.ui import embeds, limits

STATUS: dict[str, str] = {
    StepStatus.SCHEDULED: "🕒 scheduled",
    StepStatus.SENDING: "📤 sending",
    StepStatus.SENT: "✅ sent",
    StepStatus.LATE: "⏰ sent late",
    StepStatus.SKIPPED: "⏭️ skipped",
    StepStatus.CANCELLED: "✖️ cancelled",
}
AUDIENCE = {
    "everyone": "everyone",
    "not_announced": "not announced yet",
    "not_paired": "announced, no partner",
    "moderators": "moderators",
}
NAMES_SHOWN = 10


def _when(moment: datetime) -> str:
    """A Discord timestamp: every moderator reads it in their own time zone."""
    unix = int(moment.astimezone(UTC).timestamp())
    return f"<t:{unix}:F> · <t:{unix}:R>"


def _day(overview: CohortOverview, reminder: ReminderView) -> int:
    return (reminder.local.date() - overview.start_date).days + 1


def _title(overview: CohortOverview, reminder: ReminderView) -> str:
    return truncate(
        f"Day {_day(overview, reminder)} · {reminder.title} → {AUDIENCE.get(reminder.audience)}",
        limits.EMBED_FIELD_NAME,
    )


def _outcome(reminder: ReminderView) -> str:
    ran = reminder.status in SENT_STATUSES
    nobody = not (reminder.sent or reminder.failed or reminder.waiting)
    if ran and nobody and reminder.audience != "moderators":
        line = "🫥 nobody to remind" + (" (ran late)" if reminder.status == StepStatus.LATE else "")
        return f"{line}\n*{reminder.note}*" if reminder.note else line
    parts = [STATUS.get(reminder.status, reminder.status)]
    if reminder.sent or reminder.failed or reminder.waiting:
        delivered = f"{reminder.sent} delivered"
        if reminder.by_dm:
            delivered += f" ({reminder.by_dm} by DM)"
        parts.append(delivered)
    if reminder.failed:
        parts.append(f"{reminder.failed} failed")
    if reminder.waiting:
        parts.append(f"{reminder.waiting} to go")
    line = " · ".join(parts)
    return f"{line}\n*{reminder.note}*" if reminder.note else line


class _Budget:
    """Adds fields while the embed stays within Discord's per-field, count and total limits."""

    def __init__(self, embed: discord.Embed) -> None:
        self.embed = embed
        self.dropped = 0

    def add(self, name: str, value: str) -> None:
        name = truncate(name, limits.EMBED_FIELD_NAME)
        value = truncate(value, limits.EMBED_FIELD_VALUE) or "—"
        full = len(self.embed.fields) >= limits.EMBED_FIELDS - 1
        if full or len(self.embed) + len(name) + len(value) > limits.EMBED_TOTAL - 200:
            self.dropped += 1
            return
        self.embed.add_field(name=name, value=value, inline=False)

    def done(self) -> discord.Embed:
        if self.dropped:
            self.embed.add_field(name="…", value=f"{self.dropped} more not shown", inline=False)
        return self.embed


def _header(overview: CohortOverview) -> str:
    start = overview.start_date
    return (
        f"Cohort starting **{start:%A} {start.day} {start:%B %Y}** (plan times are in "
        f"`{overview.timezone}`; below in your own time zone). Status: **{overview.status}**."
    )


def plan_embed(overview: CohortOverview, title: str) -> discord.Embed:
    """The cohort's reminders with their status: for start, show and cancel."""
    description = _header(overview)
    if overview.replaced:
        description += "\nThe plan that was running is replaced: its remaining steps won't fire."
    budget = _Budget(embeds.info(title, description))
    for reminder in overview.reminders:
        budget.add(
            _title(overview, reminder),
            f"{_when(reminder.due_at)}\n{_outcome(reminder)}",
        )
    return budget.done()


def _names(members: tuple[CohortMember, ...], budget: int = 300) -> str:
    """The first few names within `budget` characters, then how many more."""
    shown: list[str] = []
    used = 0
    for member in members[:NAMES_SHOWN]:
        name = truncate(member.name, 40)
        if shown and used + len(name) + 2 > budget:
            break
        shown.append(name)
        used += len(name) + 2
    more = len(members) - len(shown)
    return ", ".join(shown) + (f" +{more} more" if more > 0 else "")


def _quote(text: str) -> str:
    """A step's wording as a block quote (mentions in an embed ping nobody)."""
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def preview_embed(overview: CohortOverview, previews: list[StepPreview]) -> discord.Embed:
    """Dry run: who each upcoming step would reach if it fired now, and when it will."""
    description = _header(overview) + "\nAudiences are as of now; they are fixed when a step fires."
    budget = _Budget(embeds.info("First week preview (dry run)", description))
    if not previews:
        budget.add("Nothing left to send", "Every step of this cohort has run or was skipped.")
    for item in previews:
        reminder = item.reminder
        lines = [_when(reminder.due_at)]
        if reminder.audience == "moderators":
            lines.append(f"One summary post in <#{item.target_channel_id}> (no pings).")
        else:
            total = len(item.channel) + len(item.dm)
            line = (
                f"**{total}** to remind: {len(item.channel)} mentioned in "
                f"<#{item.target_channel_id}>, {len(item.dm)} by DM"
            )
            lines.append(line + (f" · {item.opted_out} opted out" if item.opted_out else ""))
            if item.channel:
                lines.append(f"Channel: {_names(item.channel)}")
            if item.dm:
                lines.append(f"DM: {_names(item.dm)}")
        if item.wording:
            lines.append(_quote(item.wording))
        budget.add(_title(overview, reminder), "\n".join(lines))
    return budget.done()
