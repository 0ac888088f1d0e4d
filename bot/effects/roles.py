"""The backend/frontend track roles a learner gets when they announce."""

from __future__ import annotations

import logging

import discord

log = logging.getLogger(__name__)


async def swap_track_roles(
    member: discord.Member, give_id: int | None, remove_id: int | None, role: str
) -> list[str]:
    """Give the configured role of the learner's track, take the other; notes for the reply."""
    guild = member.guild
    give = guild.get_role(give_id) if give_id else None
    remove = guild.get_role(remove_id) if remove_id else None
    notes: list[str] = []
    if give_id and give is None:
        notes.append(f"⚠️ The {role} role set up for Nexus no longer exists; tell a moderator.")
    try:
        if give is not None and give not in member.roles:
            await member.add_roles(give, reason=f"Nexus: announced as {role}")
        if remove is not None and remove in member.roles:
            await member.remove_roles(remove, reason=f"Nexus: switched to {role}")
    except discord.Forbidden:
        notes.append(
            "⚠️ I couldn't update your backend/frontend role: I need **Manage Roles** and my "
            "role must be above it. A moderator can fix this; your announcement is saved."
        )
    except discord.HTTPException as error:
        log.warning("role update failed for %s: %s", member.id, error)
        notes.append("⚠️ Discord didn't let me update your role just now; try again later.")
    return notes
