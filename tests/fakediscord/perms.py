"""Discord permission bits and helpers to build permission integers from readable flags."""

from __future__ import annotations

from typing import Protocol

# Bit positions as documented by Discord (names match discord.py's Permissions flags).
FLAGS: dict[str, int] = {
    "create_instant_invite": 1 << 0,
    "kick_members": 1 << 1,
    "ban_members": 1 << 2,
    "administrator": 1 << 3,
    "manage_channels": 1 << 4,
    "manage_guild": 1 << 5,
    "add_reactions": 1 << 6,
    "view_audit_log": 1 << 7,
    "priority_speaker": 1 << 8,
    "stream": 1 << 9,
    "view_channel": 1 << 10,
    "send_messages": 1 << 11,
    "send_tts_messages": 1 << 12,
    "manage_messages": 1 << 13,
    "embed_links": 1 << 14,
    "attach_files": 1 << 15,
    "read_message_history": 1 << 16,
    "mention_everyone": 1 << 17,
    "use_external_emojis": 1 << 18,
    "view_guild_insights": 1 << 19,
    "connect": 1 << 20,
    "speak": 1 << 21,
    "mute_members": 1 << 22,
    "deafen_members": 1 << 23,
    "move_members": 1 << 24,
    "use_voice_activation": 1 << 25,
    "change_nickname": 1 << 26,
    "manage_nicknames": 1 << 27,
    "manage_roles": 1 << 28,
    "manage_webhooks": 1 << 29,
    "manage_expressions": 1 << 30,
    "use_application_commands": 1 << 31,
    "request_to_speak": 1 << 32,
    "manage_events": 1 << 33,
    "manage_threads": 1 << 34,
    "create_public_threads": 1 << 35,
    "create_private_threads": 1 << 36,
    "use_external_stickers": 1 << 37,
    "send_messages_in_threads": 1 << 38,
    "use_embedded_activities": 1 << 39,
    "moderate_members": 1 << 40,
    "view_creator_monetization_analytics": 1 << 41,
    "use_soundboard": 1 << 42,
    "create_expressions": 1 << 43,
    "create_events": 1 << 44,
    "use_external_sounds": 1 << 45,
    "send_voice_messages": 1 << 46,
    "send_polls": 1 << 49,
    "use_external_apps": 1 << 50,
    "pin_messages": 1 << 51,
}

ALL = 0
for _bit in FLAGS.values():
    ALL |= _bit

VIEW_CHANNEL = FLAGS["view_channel"]
SEND_MESSAGES = FLAGS["send_messages"]
SEND_MESSAGES_IN_THREADS = FLAGS["send_messages_in_threads"]
ADMINISTRATOR = FLAGS["administrator"]
MANAGE_GUILD = FLAGS["manage_guild"]
MANAGE_ROLES = FLAGS["manage_roles"]
MANAGE_NICKNAMES = FLAGS["manage_nicknames"]
MANAGE_THREADS = FLAGS["manage_threads"]
MANAGE_MESSAGES = FLAGS["manage_messages"]
MANAGE_CHANNELS = FLAGS["manage_channels"]
CREATE_PUBLIC_THREADS = FLAGS["create_public_threads"]
CREATE_PRIVATE_THREADS = FLAGS["create_private_threads"]
ATTACH_FILES = FLAGS["attach_files"]
MENTION_EVERYONE = FLAGS["mention_everyone"]
READ_MESSAGE_HISTORY = FLAGS["read_message_history"]

#: What @everyone can do in a freshly created guild (a reasonable subset of Discord's default).
DEFAULT_EVERYONE = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | SEND_MESSAGES_IN_THREADS
    | READ_MESSAGE_HISTORY
    | FLAGS["add_reactions"]
    | FLAGS["embed_links"]
    | ATTACH_FILES
    | CREATE_PUBLIC_THREADS
    | CREATE_PRIVATE_THREADS
    | FLAGS["use_application_commands"]
    | FLAGS["change_nickname"]
    | FLAGS["use_external_emojis"]
    | FLAGS["connect"]
    | FLAGS["speak"]
)

#: The bot's managed role: what a typical invite link for Nexus grants.
DEFAULT_BOT = (
    DEFAULT_EVERYONE | MANAGE_ROLES | MANAGE_THREADS | FLAGS["manage_messages"] | MANAGE_NICKNAMES
)


class HasValue(Protocol):
    @property
    def value(self) -> int: ...


PermissionsLike = int | HasValue


def to_int(permissions: PermissionsLike) -> int:
    """Accept an int or anything with `.value` (e.g. `discord.Permissions`)."""
    if isinstance(permissions, int):
        return permissions
    return int(permissions.value)


def from_flags(**flags: bool) -> int:
    """`from_flags(manage_guild=True, send_messages=True)` → permission integer."""
    value = 0
    for name, enabled in flags.items():
        if name not in FLAGS:
            raise ValueError(f"unknown permission flag {name!r}; known: {', '.join(sorted(FLAGS))}")
        if enabled:
            value |= FLAGS[name]
    return value


def has(value: int, bit: int) -> bool:
    """Whether `value` grants `bit` (ADMINISTRATOR grants everything)."""
    return bool(value & ADMINISTRATOR) or (value & bit) == bit


def names(value: int) -> list[str]:
    """Readable flag names for a permission integer (for error messages)."""
    return [name for name, bit in FLAGS.items() if value & bit]
