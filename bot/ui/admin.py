"""Embeds for `/nexus setup`, `/nexus settings` and `/nexus show`."""

from __future__ import annotations

import discord

from bot.domain.server import ServerOverview, ServerSettings, next_steps
from bot.domain.statuses import CohortStatus
from bot.ui import embeds


def _mention_or_none(kind: str, snowflake: int | None) -> str:
    if snowflake is None:
        return "not set"
    return f"<#{snowflake}>" if kind == "channel" else f"<@&{snowflake}>"


def config_embed(
    config: ServerSettings, title: str, notes: list[str] | None = None
) -> discord.Embed:
    embed = embeds.info(title)
    embed.add_field(name="Nexus channel", value=f"<#{config.channel_id}>", inline=True)
    embed.add_field(
        name="Mod log", value=_mention_or_none("channel", config.mod_log_channel_id), inline=True
    )
    embed.add_field(
        name="Roles",
        value=(
            f"Backend: {_mention_or_none('role', config.backend_role_id)}\n"
            f"Frontend: {_mention_or_none('role', config.frontend_role_id)}\n"
            f"Learner (cohort): {_mention_or_none('role', config.learner_role_id)}\n"
            f"Moderator: {_mention_or_none('role', config.moderator_role_id)}"
        ),
        inline=False,
    )
    embed.add_field(
        name="Settings",
        value=(
            f"Time zone: `{config.timezone}`\n"
            f"Custom projects: {'allowed' if config.allow_custom_projects else 'not allowed'}\n"
            f"Max partners: {config.max_partners}\n"
            f"Pair requests expire after: {config.request_expiry_hours} h\n"
            f"Late reminders sent within: {config.reminder_grace_hours} h\n"
            + (
                f"Pair check-in: {config.checkin_hours} h after pairing"
                if config.checkin_hours
                else "Pair check-in: off"
            )
        ),
        inline=False,
    )
    if notes:
        embed.add_field(name="Check", value="\n".join(notes)[:1024], inline=False)
    return embed


STEP_NAMES = {
    "welcome": "day-1 welcome",
    "announce-nudge": "day-3 nudge to announce",
    "partner-nudge": "day-5 nudge to find a partner",
    "moderator-summary": "day-7 summary for moderators",
}


def _cohort_text(overview: ServerOverview) -> str:
    cohort = overview.cohort
    if cohort is None:
        return "No first week scheduled yet."
    start = f"First week from **{cohort.start_date.isoformat()}** ({cohort.timezone})"
    if cohort.status != CohortStatus.ACTIVE:
        return f"{start}: {cohort.status}. {cohort.done} of {cohort.total} steps went out."
    text = f"{start}: {cohort.done} of {cohort.total} steps done."
    if cohort.next_step and cohort.next_due:
        when = int(cohort.next_due.timestamp())
        name = STEP_NAMES.get(cohort.next_step, cohort.next_step)
        text += f"\nNext: {name}, <t:{when}:F> (<t:{when}:R>)."
    else:
        text += "\nEvery step has gone out: the week is finished."
    return text


def show_embed(overview: ServerOverview, problems: list[str]) -> discord.Embed:
    """`/nexus show`: what is set, what is missing, the cohort's state, what to do next."""
    embed = config_embed(overview.settings, "Nexus settings")
    health = "\n".join(problems) if problems else "✅ I have the permissions I need."
    embed.add_field(name="Health", value=health[:1024], inline=False)
    people = (
        f"{overview.projects} projects in the catalog · {overview.announced} learners "
        f"announced · {overview.paired} paired"
    )
    embed.add_field(name="Cohort", value=f"{people}\n{_cohort_text(overview)}"[:1024], inline=False)
    steps = next_steps(overview, problems) or ["Nothing to do: all set."]
    embed.add_field(
        name="Next steps", value="\n".join(f"• {s}" for s in steps)[:1024], inline=False
    )
    return embed
