"""In-memory data model of the fake Discord: users, guilds, roles, members, channels, messages.

Every object renders itself as the JSON payload Discord would send (`to_payload`). Mutating
helpers (`Guild.add_member`, ...) notify the gateway through `World.emit`, so state can be built
before the bot connects (it then arrives in GUILD_CREATE) or afterwards (it arrives as events).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import perms
from .util import Notifier, SnowflakeGenerator, iso_now, iter_components

JSON = dict[str, Any]


class ChannelType(enum.IntEnum):
    GUILD_TEXT = 0
    DM = 1
    GUILD_VOICE = 2
    GUILD_CATEGORY = 4
    GUILD_ANNOUNCEMENT = 5
    ANNOUNCEMENT_THREAD = 10
    PUBLIC_THREAD = 11
    PRIVATE_THREAD = 12
    GUILD_FORUM = 15


THREAD_TYPES = frozenset(
    {ChannelType.ANNOUNCEMENT_THREAD, ChannelType.PUBLIC_THREAD, ChannelType.PRIVATE_THREAD}
)

# Gateway intents (only the ones the fake filters on).
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12

#: Position of the bot's managed role; roles created with `above_bot=True` go above it.
BOT_ROLE_POSITION = 100

MESSAGE_FLAG_EPHEMERAL = 1 << 6
MESSAGE_FLAG_LOADING = 1 << 7


def message_text(content: str, embeds: Iterable[JSON]) -> str:
    """Content plus every human-visible embed string, newline separated (for `in` asserts)."""
    parts = [content] if content else []
    for embed in embeds:
        for key in ("title", "description"):
            if embed.get(key):
                parts.append(str(embed[key]))
        author = embed.get("author") or {}
        if author.get("name"):
            parts.append(str(author["name"]))
        for fld in embed.get("fields") or []:
            parts.append(str(fld.get("name", "")))
            parts.append(str(fld.get("value", "")))
        footer = embed.get("footer") or {}
        if footer.get("text"):
            parts.append(str(footer["text"]))
    return "\n".join(parts)


@dataclass(eq=False)
class User:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    avatar: str | None = None
    #: False → the bot gets 403 / 50007 when sending to this user's DM channel.
    dms_open: bool = True

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def to_payload(self) -> JSON:
        payload: JSON = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": self.avatar,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
        }
        if self.bot:
            payload["bot"] = True
        return payload


@dataclass(eq=False)
class Role:
    id: int
    name: str
    permissions: int
    position: int
    guild: Guild = field(repr=False)
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed: bool = False
    bot_id: int | None = None

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"

    @property
    def is_everyone(self) -> bool:
        return self.id == self.guild.id

    def to_payload(self) -> JSON:
        payload: JSON = {
            "id": str(self.id),
            "name": self.name,
            "color": self.color,
            "colors": {
                "primary_color": self.color,
                "secondary_color": None,
                "tertiary_color": None,
            },
            "hoist": self.hoist,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        }
        if self.bot_id is not None:
            payload["tags"] = {"bot_id": str(self.bot_id)}
        return payload


@dataclass(eq=False)
class Member:
    user: User
    guild: Guild = field(repr=False)
    roles: list[Role] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=iso_now)
    #: False once removed from the guild (see `FakeDiscord.remove_member`).
    present: bool = True

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.username

    @property
    def mention(self) -> str:
        return self.user.mention

    @property
    def dms_open(self) -> bool:
        return self.user.dms_open

    @dms_open.setter
    def dms_open(self, value: bool) -> None:
        self.user.dms_open = value

    @property
    def permissions(self) -> int:
        """Guild-level permissions (owner / administrator → everything)."""
        return self.guild.permissions_for(self)

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    def to_payload(self, *, with_user: bool = True) -> JSON:
        payload: JSON = {
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "roles": [str(r.id) for r in self.roles if not r.is_everyone],
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if with_user:
            payload["user"] = self.user.to_payload()
        return payload

    def to_interaction_payload(self) -> JSON:
        payload = self.to_payload()
        payload["permissions"] = str(self.permissions)
        return payload


@dataclass(eq=False)
class Attachment:
    id: int
    filename: str
    data: bytes
    content_type: str | None = None
    description: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    def to_payload(self, channel_id: int) -> JSON:
        url = f"https://cdn.discordapp.com/attachments/{channel_id}/{self.id}/{self.filename}"
        payload: JSON = {
            "id": str(self.id),
            "filename": self.filename,
            "size": self.size,
            "url": url,
            "proxy_url": url,
        }
        if self.content_type:
            payload["content_type"] = self.content_type
        if self.description:
            payload["description"] = self.description
        return payload


@dataclass(eq=False)
class Channel:
    id: int
    type: ChannelType
    name: str
    guild: Guild | None = field(default=None, repr=False)
    parent_id: int | None = None
    position: int = 0
    topic: str | None = None
    recipient: User | None = None
    #: Publicly visible messages, oldest first (ephemeral ones are not stored here).
    messages: list[Message] = field(default_factory=list, repr=False)
    # Thread-only fields.
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    auto_archive_duration: int = 1440
    archive_timestamp: str = field(default_factory=iso_now)
    created_at: str = field(default_factory=iso_now)
    #: user id → join timestamp
    thread_members: dict[int, str] = field(default_factory=dict)
    total_message_sent: int = 0
    deleted: bool = False

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    @property
    def is_dm(self) -> bool:
        return self.type == ChannelType.DM

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    @property
    def last_message_id(self) -> int | None:
        return self.messages[-1].id if self.messages else None

    @property
    def member_ids(self) -> list[int]:
        """Thread member user ids."""
        return list(self.thread_members)

    def to_payload(self, *, viewer_id: int | None = None) -> JSON:
        last = self.last_message_id
        base: JSON = {
            "id": str(self.id),
            "type": int(self.type),
            "last_message_id": str(last) if last else None,
            "flags": 0,
        }
        if self.is_dm:
            assert self.recipient is not None
            base["recipients"] = [self.recipient.to_payload()]
            return base
        assert self.guild is not None
        base.update(
            {
                "guild_id": str(self.guild.id),
                "name": self.name,
                "parent_id": str(self.parent_id) if self.parent_id else None,
                "rate_limit_per_user": 0,
            }
        )
        if self.is_thread:
            base.update(
                {
                    "owner_id": str(self.owner_id) if self.owner_id else None,
                    "message_count": self.total_message_sent,
                    "member_count": min(len(self.thread_members), 50),
                    "total_message_sent": self.total_message_sent,
                    "thread_metadata": {
                        "archived": self.archived,
                        "auto_archive_duration": self.auto_archive_duration,
                        "archive_timestamp": self.archive_timestamp,
                        "locked": self.locked,
                        "invitable": self.invitable,
                        "create_timestamp": self.created_at,
                    },
                }
            )
            if viewer_id is not None and viewer_id in self.thread_members:
                base["member"] = self.thread_member_payload(viewer_id)
            return base
        base.update(
            {
                "position": self.position,
                "permission_overwrites": [],
                "nsfw": False,
            }
        )
        if self.type in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
            base["topic"] = self.topic
            base["default_auto_archive_duration"] = 1440
        if self.type == ChannelType.GUILD_VOICE:
            base.update({"bitrate": 64000, "user_limit": 0, "rtc_region": None})
        return base

    def thread_member_payload(self, user_id: int) -> JSON:
        return {
            "id": str(self.id),
            "user_id": str(user_id),
            "join_timestamp": self.thread_members[user_id],
            "flags": 0,
        }


@dataclass(eq=False)
class Message:
    id: int
    channel: Channel = field(repr=False)
    author: User = field(repr=False)
    content: str = ""
    embeds: list[JSON] = field(default_factory=list)
    components: list[JSON] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    tts: bool = False
    timestamp: str = field(default_factory=iso_now)
    edited_timestamp: str | None = None
    allowed_mentions: JSON | None = None
    #: User ids / role ids actually pinged, and whether @everyone/@here pinged.
    pinged_users: list[int] = field(default_factory=list)
    pinged_roles: list[int] = field(default_factory=list)
    pinged_everyone: bool = False
    #: Ids written in the content, whether or not they pinged.
    mentioned_users: list[int] = field(default_factory=list)
    mentioned_roles: list[int] = field(default_factory=list)
    #: User payloads for the `mentions` field (the pinged users).
    mention_payloads: list[JSON] = field(default_factory=list, repr=False)
    webhook_id: int | None = None
    application_id: int | None = None
    #: Interaction metadata payload (for interaction responses / followups).
    interaction_metadata: JSON | None = None
    message_reference: JSON | None = None
    thread: Channel | None = field(default=None, repr=False)
    pinned: bool = False
    deleted: bool = False
    #: The `nonce` the sender gave, echoed in the payload like Discord does.
    nonce: str | None = None
    #: Previous versions (content/embeds/components) before each edit.
    history: list[JSON] = field(default_factory=list, repr=False)

    @property
    def channel_id(self) -> int:
        return self.channel.id

    @property
    def guild(self) -> Guild | None:
        return self.channel.guild

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & MESSAGE_FLAG_EPHEMERAL)

    @property
    def loading(self) -> bool:
        """A deferred response's placeholder ("Nexus is thinking...") not yet edited."""
        return bool(self.flags & MESSAGE_FLAG_LOADING)

    @property
    def edited(self) -> bool:
        return self.edited_timestamp is not None

    @property
    def text(self) -> str:
        return message_text(self.content, self.embeds)

    def pings(self, target: User | Member | Role) -> bool:
        if isinstance(target, Role):
            return target.id in self.pinged_roles
        return target.id in self.pinged_users

    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in iter_components(self.components) if "custom_id" in c]

    def find_component(self, custom_id: str) -> JSON | None:
        for comp in iter_components(self.components):
            if comp.get("custom_id") == custom_id:
                return comp
        return None

    def snapshot(self) -> JSON:
        return {
            "content": self.content,
            "embeds": self.embeds,
            "components": self.components,
            "edited_timestamp": self.edited_timestamp,
        }

    def to_payload(self) -> JSON:
        payload: JSON = {
            "id": str(self.id),
            "channel_id": str(self.channel.id),
            "type": self.type,
            "author": self.author.to_payload(),
            "content": self.content,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "tts": self.tts,
            "mention_everyone": self.pinged_everyone,
            "mentions": self.mention_payloads,
            "mention_roles": [str(r) for r in self.pinged_roles],
            "attachments": [a.to_payload(self.channel.id) for a in self.attachments],
            "embeds": self.embeds,
            "components": self.components,
            "pinned": self.pinned,
            "flags": self.flags,
            "reactions": [],
        }
        if self.channel.guild is not None:
            payload["guild_id"] = str(self.channel.guild.id)
        if self.webhook_id is not None:
            payload["webhook_id"] = str(self.webhook_id)
        if self.application_id is not None:
            payload["application_id"] = str(self.application_id)
        if self.interaction_metadata is not None:
            payload["interaction_metadata"] = self.interaction_metadata
        if self.message_reference is not None:
            payload["message_reference"] = self.message_reference
        if self.thread is not None and not self.thread.deleted:
            payload["thread"] = self.thread.to_payload()
        if self.nonce is not None:
            payload["nonce"] = self.nonce
        return payload


@dataclass(eq=False)
class Guild:
    id: int
    name: str
    world: World = field(repr=False)
    owner_id: int = 0
    roles: list[Role] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)
    threads: list[Channel] = field(default_factory=list)
    members: dict[int, Member] = field(default_factory=dict)
    removed_members: dict[int, Member] = field(default_factory=dict)
    preferred_locale: str = "en-US"

    # ----------------------------------------------------------------- lookups
    @property
    def everyone_role(self) -> Role:
        return self.roles[0]

    @property
    def bot_role(self) -> Role:
        return next(r for r in self.roles if r.bot_id == self.world.bot_user.id)

    @property
    def bot_member(self) -> Member:
        return self.members[self.world.bot_user.id]

    @property
    def text_channels(self) -> list[Channel]:
        return [c for c in self.channels if c.type == ChannelType.GUILD_TEXT]

    def channel(self, name: str) -> Channel:
        for ch in [*self.channels, *self.threads]:
            if ch.name == name and not ch.deleted:
                return ch
        raise KeyError(f"no channel named {name!r} in guild {self.name!r}")

    def role(self, name: str) -> Role:
        for role in self.roles:
            if role.name == name:
                return role
        raise KeyError(f"no role named {name!r} in guild {self.name!r}")

    def member(self, name_or_id: str | int) -> Member:
        for m in self.members.values():
            if name_or_id in (m.id, m.name, m.nick):
                return m
        raise KeyError(f"no member {name_or_id!r} in guild {self.name!r}")

    def get_role(self, role_id: int) -> Role | None:
        return next((r for r in self.roles if r.id == role_id), None)

    # ------------------------------------------------------------- permissions
    @property
    def everyone_permissions(self) -> int:
        return self.everyone_role.permissions

    @everyone_permissions.setter
    def everyone_permissions(self, value: perms.PermissionsLike) -> None:
        self.update_role(self.everyone_role, permissions=perms.to_int(value))

    @property
    def bot_permissions(self) -> int:
        """Effective guild permissions of the bot (@everyone | its managed role)."""
        return self.permissions_for(self.bot_member)

    @bot_permissions.setter
    def bot_permissions(self, value: perms.PermissionsLike) -> None:
        """Set the bot role's permission bits (@everyone's still apply on top)."""
        self.update_role(self.bot_role, permissions=perms.to_int(value))

    def permissions_for(self, member: Member) -> int:
        if member.id == self.owner_id:
            return perms.ALL
        value = self.everyone_role.permissions
        for role in member.roles:
            value |= role.permissions
        if value & perms.ADMINISTRATOR:
            return perms.ALL
        return value

    def top_role_position(self, member: Member) -> int:
        return max((r.position for r in member.roles), default=0)

    # ---------------------------------------------------------------- builders
    def _add_channel(
        self,
        name: str,
        kind: ChannelType,
        *,
        category: Channel | None = None,
        topic: str | None = None,
    ) -> Channel:
        channel = Channel(
            id=self.world.ids.next(),
            type=kind,
            name=name,
            guild=self,
            parent_id=category.id if category else None,
            position=len(self.channels),
            topic=topic,
        )
        self.channels.append(channel)
        self.world.channels[channel.id] = channel
        self.world.emit("CHANNEL_CREATE", channel.to_payload(), INTENT_GUILDS)
        return channel

    def add_text_channel(
        self, name: str, *, category: Channel | None = None, topic: str | None = None
    ) -> Channel:
        return self._add_channel(name, ChannelType.GUILD_TEXT, category=category, topic=topic)

    def add_announcement_channel(self, name: str, *, category: Channel | None = None) -> Channel:
        return self._add_channel(name, ChannelType.GUILD_ANNOUNCEMENT, category=category)

    def add_voice_channel(self, name: str, *, category: Channel | None = None) -> Channel:
        return self._add_channel(name, ChannelType.GUILD_VOICE, category=category)

    def add_category(self, name: str) -> Channel:
        return self._add_channel(name, ChannelType.GUILD_CATEGORY)

    def add_role(
        self,
        name: str,
        permissions: perms.PermissionsLike = 0,
        *,
        mentionable: bool = False,
        hoist: bool = False,
        color: int = 0,
        position: int | None = None,
        above_bot: bool = False,
    ) -> Role:
        """Create a role. Positions start at 1 and stay below the bot's role unless `above_bot`."""
        if position is None:
            others = [r.position for r in self.roles if r.bot_id is None]
            position = max(others, default=0) + 1
            if above_bot:
                position = BOT_ROLE_POSITION + position
        role = Role(
            id=self.world.ids.next(),
            name=name,
            permissions=perms.to_int(permissions),
            position=position,
            guild=self,
            color=color,
            hoist=hoist,
            mentionable=mentionable,
        )
        self.roles.append(role)
        self.world.emit(
            "GUILD_ROLE_CREATE",
            {"guild_id": str(self.id), "role": role.to_payload()},
            INTENT_GUILDS,
        )
        return role

    def update_role(self, role: Role, **changes: Any) -> Role:
        for key, value in changes.items():
            if not hasattr(role, key):
                raise AttributeError(f"Role has no attribute {key!r}")
            setattr(role, key, value)
        self.world.emit(
            "GUILD_ROLE_UPDATE",
            {"guild_id": str(self.id), "role": role.to_payload()},
            INTENT_GUILDS,
        )
        return role

    def _permission_role(self, bits: int) -> Role:
        name = f"perms-{bits:x}"
        for role in self.roles:
            if role.name == name:
                return role
        return self.add_role(name, bits)

    def add_member(
        self,
        name: str,
        *,
        roles: Iterable[Role] = (),
        permissions: perms.PermissionsLike = 0,
        owner: bool = False,
        administrator: bool = False,
        manage_guild: bool = False,
        manage_roles: bool = False,
        nick: str | None = None,
        global_name: str | None = None,
        bot: bool = False,
        user: User | None = None,
    ) -> Member:
        """Add a member. Extra permission bits are granted through a dedicated role so that the
        interaction payload's `permissions` and discord.py's role-based computation agree."""
        if user is None:
            user = self.world.add_user(name, global_name=global_name, bot=bot)
        member_roles = list(roles)
        extra = perms.to_int(permissions) | perms.from_flags(
            administrator=administrator, manage_guild=manage_guild, manage_roles=manage_roles
        )
        if extra:
            member_roles.append(self._permission_role(extra))
        member = Member(user=user, guild=self, roles=member_roles, nick=nick)
        if owner:
            self.owner_id = user.id
        self._join(member)
        return member

    def _join(self, member: Member) -> None:
        member.present = True
        self.removed_members.pop(member.id, None)
        self.members[member.id] = member
        self.world.emit(
            "GUILD_MEMBER_ADD",
            {**member.to_payload(), "guild_id": str(self.id)},
            INTENT_GUILD_MEMBERS,
        )

    def remove_member(self, member: Member) -> None:
        if self.members.pop(member.id, None) is None:
            raise KeyError(f"{member.name} is not in {self.name}")
        member.present = False
        self.removed_members[member.id] = member
        for thread in self.threads:
            thread.thread_members.pop(member.id, None)
        self.world.emit(
            "GUILD_MEMBER_REMOVE",
            {"guild_id": str(self.id), "user": member.user.to_payload()},
            INTENT_GUILD_MEMBERS,
        )

    def readd_member(self, member: Member, *, roles: Iterable[Role] = ()) -> Member:
        """Re-join after removal: new joined_at, roles reset (as on Discord) unless given."""
        member.roles = list(roles)
        member.joined_at = iso_now()
        self._join(member)
        return member

    def update_member(self, member: Member, **changes: Any) -> Member:
        for key, value in changes.items():
            setattr(member, key, value)
        self.emit_member_update(member)
        return member

    def emit_member_update(self, member: Member) -> None:
        self.world.emit(
            "GUILD_MEMBER_UPDATE",
            {**member.to_payload(), "guild_id": str(self.id)},
            INTENT_GUILD_MEMBERS,
        )

    def add_thread(
        self,
        parent: Channel,
        name: str,
        *,
        private: bool = False,
        owner: User | Member | None = None,
        members: Iterable[User | Member] = (),
        auto_archive_duration: int = 1440,
        invitable: bool = True,
        thread_id: int | None = None,
    ) -> Channel:
        owner_id = owner.id if owner is not None else self.world.bot_user.id
        if private:
            kind = ChannelType.PRIVATE_THREAD
        elif parent.type == ChannelType.GUILD_ANNOUNCEMENT:
            kind = ChannelType.ANNOUNCEMENT_THREAD
        else:
            kind = ChannelType.PUBLIC_THREAD
        thread = Channel(
            id=thread_id or self.world.ids.next(),
            type=kind,
            name=name,
            guild=self,
            parent_id=parent.id,
            owner_id=owner_id,
            auto_archive_duration=auto_archive_duration,
            invitable=invitable if private else True,
        )
        now = iso_now()
        thread.thread_members[owner_id] = now
        for m in members:
            thread.thread_members[m.id] = now
        self.threads.append(thread)
        self.world.channels[thread.id] = thread
        payload = thread.to_payload(viewer_id=self.world.bot_user.id)
        payload["newly_created"] = True
        self.world.emit("THREAD_CREATE", payload, INTENT_GUILDS)
        return thread

    # ---------------------------------------------------------------- payloads
    def to_payload(self) -> JSON:
        """REST guild object."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "region": "deprecated",
            "afk_channel_id": None,
            "afk_timeout": 300,
            "widget_enabled": False,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": [r.to_payload() for r in self.roles],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": self.preferred_locale,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
        }

    def to_gateway_payload(self, *, with_members: bool) -> JSON:
        """GUILD_CREATE payload; without GUILD_MEMBERS intent only the bot's member is sent."""
        members = list(self.members.values())
        if not with_members:
            members = [self.bot_member]
        bot_id = self.world.bot_user.id
        payload = self.to_payload()
        payload.update(
            {
                "unavailable": False,
                "large": False,
                "member_count": len(self.members),
                "joined_at": self.bot_member.joined_at,
                "members": [m.to_payload() for m in members],
                "channels": [c.to_payload() for c in self.channels if not c.deleted],
                "threads": [
                    t.to_payload(viewer_id=bot_id)
                    for t in self.threads
                    if not t.archived and not t.deleted
                ],
                "voice_states": [],
                "presences": [],
                "stage_instances": [],
                "guild_scheduled_events": [],
                "soundboard_sounds": [],
                "embedded_activities": [],
            }
        )
        return payload


EmitFn = Callable[[str, JSON, int], None]


class World:
    """All state of one fake Discord instance."""

    def __init__(self, *, bot_name: str = "Nexus") -> None:
        self.ids = SnowflakeGenerator()
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.dm_channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.deleted_messages: list[Message] = []
        #: Registered application commands: guild id (None = global) → command id → payload.
        self.commands: dict[int | None, dict[int, JSON]] = {None: {}}
        self.application_id = self.ids.next()
        self.bot_user = User(id=self.application_id, username=bot_name, bot=True)
        self.users[self.bot_user.id] = self.bot_user
        self._emit: EmitFn = lambda event, data, intent: None
        #: Notified on every state change; `FakeDiscord.wait_for_*` helpers wait on it.
        self.changed = Notifier()
        #: `enforce_nonce` memory: (author id, nonce) → (message id, monotonic time created).
        self.nonces: dict[tuple[int, str], tuple[int, float]] = {}
        #: Seconds a nonce is remembered ("a few minutes" on Discord).
        self.nonce_window = 300.0

    def set_emitter(self, emit: EmitFn) -> None:
        self._emit = emit

    def emit(self, event: str, data: JSON, intent: int) -> None:
        self._emit(event, data, intent)
        self.changed.notify()

    def add_user(self, name: str, *, global_name: str | None = None, bot: bool = False) -> User:
        user = User(id=self.ids.next(), username=name, global_name=global_name, bot=bot)
        self.users[user.id] = user
        return user

    def add_guild(
        self, name: str, *, locale: str = "en-US", shard: tuple[int, int] | None = None
    ) -> Guild:
        """A guild; with `shard=(id, count)` its id routes to that shard."""
        guild_id = self.ids.next_on_shard(*shard) if shard else self.ids.next()
        guild = Guild(id=guild_id, name=name, world=self, preferred_locale=locale)
        everyone = Role(
            id=guild.id,
            name="@everyone",
            permissions=perms.DEFAULT_EVERYONE,
            position=0,
            guild=guild,
        )
        bot_role = Role(
            id=self.ids.next(),
            name=self.bot_user.username,
            permissions=perms.DEFAULT_BOT,
            position=BOT_ROLE_POSITION,
            guild=guild,
            managed=True,
            bot_id=self.bot_user.id,
        )
        guild.roles.extend([everyone, bot_role])
        guild.members[self.bot_user.id] = Member(user=self.bot_user, guild=guild, roles=[bot_role])
        self.guilds[guild.id] = guild
        return guild

    def mutual_guilds(self, user: User) -> list[Guild]:
        return [g for g in self.guilds.values() if user.id in g.members]

    def dm_channel(self, user: User) -> Channel:
        channel = self.dm_channels.get(user.id)
        if channel is None:
            channel = Channel(id=self.ids.next(), type=ChannelType.DM, name="", recipient=user)
            self.dm_channels[user.id] = channel
            self.channels[channel.id] = channel
        return channel

    def store_message(self, message: Message) -> None:
        self.messages[message.id] = message
        if not message.ephemeral:
            message.channel.messages.append(message)
        if message.channel.is_thread:
            message.channel.total_message_sent += 1
        self.changed.notify()

    def delete_message(self, message: Message) -> None:
        message.deleted = True
        self.messages.pop(message.id, None)
        if message in message.channel.messages:
            message.channel.messages.remove(message)
        self.deleted_messages.append(message)
        self.changed.notify()
