"""The audit trail's vocabulary: a moderator change is "who · what · old → new".

Values are kept as the text the mod-log shows: channels, roles and people as Discord mentions
(which render as names and, posted with no allowed mentions, ping nobody), anything a person
typed as inline code (which Discord never turns into a mention).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

NOT_SET = "not set"
NOTHING = "—"
VALUE_LIMIT = 500
ACTION_LIMIT = 50


@dataclass(frozen=True)
class Change:
    """One thing a moderator changed: `action` names it ("settings · max_partners")."""

    action: str
    old: str = NOTHING
    new: str = NOTHING


@dataclass(frozen=True)
class AuditRecord:
    guild_id: int
    actor_id: int | None
    actor_name: str
    action: str
    old: str
    new: str
    at: datetime


def channel_ref(channel_id: int | None) -> str:
    return NOT_SET if channel_id is None else f"<#{channel_id}>"


def role_ref(role_id: int | None) -> str:
    return NOT_SET if role_id is None else f"<@&{role_id}>"


def user_ref(user_id: int) -> str:
    return f"<@{user_id}>"


def literal(text: object, limit: int = 100) -> str:
    """Something a person typed, as inline code (no mention, no markdown, no backticks)."""
    value = str(text).replace("`", "ˋ").replace("\n", " ").strip()
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return f"`{value}`" if value else NOTHING


def differences(prefix: str, before: Mapping[str, str], after: Mapping[str, str]) -> list[Change]:
    """A change per key whose shown value differs (keys in `after`'s order)."""
    return [
        Change(f"{prefix} · {key}", before.get(key, NOT_SET), value)
        for key, value in after.items()
        if before.get(key, NOT_SET) != value
    ]


def clip(text: str, limit: int = VALUE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
