"""Interactions from the test's point of view: building INTERACTION_CREATE payloads that match
what Discord sends for the bot's registered commands, and `InteractionResult`, which tracks how
the bot answered (callback type, @original message, edits, followups)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import perms
from .server import RecordedCall
from .state import (
    JSON,
    THREAD_TYPES,
    Attachment,
    Channel,
    Guild,
    Member,
    Message,
    Role,
    User,
    World,
    message_text,
)
from .util import Notifier

# Interaction types.
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4
MODAL_SUBMIT = 5

# Callback types.
PONG = 1
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9

#: Which callback types Discord accepts for each interaction type.
VALID_CALLBACKS: dict[int, frozenset[int]] = {
    APPLICATION_COMMAND: frozenset({CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL}),
    MESSAGE_COMPONENT: frozenset(
        {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE, MODAL}
    ),
    AUTOCOMPLETE: frozenset({AUTOCOMPLETE_RESULT}),
    MODAL_SUBMIT: frozenset(
        {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE}
    ),
}

#: Interaction tokens stay valid this long for edits and followups.
TOKEN_LIFETIME = 15 * 60

OPTION_SUB_COMMAND = 1
OPTION_SUB_COMMAND_GROUP = 2
OPTION_STRING = 3
OPTION_INTEGER = 4
OPTION_BOOLEAN = 5
OPTION_USER = 6
OPTION_CHANNEL = 7
OPTION_ROLE = 8
OPTION_MENTIONABLE = 9
OPTION_NUMBER = 10
OPTION_ATTACHMENT = 11

OPTION_TYPE_NAMES = {
    1: "sub-command",
    2: "sub-command group",
    3: "string",
    4: "integer",
    5: "boolean",
    6: "user",
    7: "channel",
    8: "role",
    9: "mentionable",
    10: "number",
    11: "attachment",
}


class InteractionSetupError(ValueError):
    """The test asked for an interaction Discord could not produce (unknown option, ...)."""


@dataclass
class FileUpload:
    """A file for an attachment option: `fake.invoke(m, "cmd", file=FileUpload("a.txt", b"hi"))`."""

    filename: str
    data: bytes
    content_type: str | None = None


@dataclass(eq=False)
class InteractionRecord:
    id: int
    token: str
    type: int
    user: User
    member: Member | None
    guild: Guild | None
    channel: Channel
    payload: JSON = field(default_factory=dict, repr=False)
    #: Loop time the INTERACTION_CREATE was dispatched (the 3 s deadline starts here).
    dispatched_at: float = 0.0
    created_monotonic: float = field(default_factory=time.monotonic)
    command_name: str | None = None
    source_message: Message | None = field(default=None, repr=False)
    # How the bot answered.
    response_type: int | None = None
    response_data: JSON | None = field(default=None, repr=False)
    acknowledged: bool = False
    late: bool = False
    original: Message | None = field(default=None, repr=False)
    followups: list[Message] = field(default_factory=list, repr=False)
    final: Message | None = field(default=None, repr=False)
    #: Initial-response attempts Discord rejected (4xx), e.g. limit violations or too late.
    rejected: list[RecordedCall] = field(default_factory=list, repr=False)
    changed: Notifier = field(default_factory=Notifier, repr=False)

    @property
    def expired(self) -> bool:
        return time.monotonic() - self.created_monotonic > TOKEN_LIFETIME

    @property
    def responded(self) -> bool:
        return self.response_type is not None


class InteractionResult:
    """What the bot did with one interaction. Attributes reflect live state (edits show up)."""

    def __init__(self, record: InteractionRecord) -> None:
        self.record = record

    def __repr__(self) -> str:
        return (
            f"<InteractionResult type={self.type} ephemeral={self.ephemeral} "
            f"content={self.content!r} followups={len(self.followups)}>"
        )

    @property
    def interaction_id(self) -> int:
        return self.record.id

    @property
    def type(self) -> int | None:
        """Callback type: 4 message, 5 deferred, 6 deferred update, 7 update, 8 choices, 9 modal."""
        return self.record.response_type

    @property
    def deferred(self) -> bool:
        return self.type in (DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE)

    @property
    def late(self) -> bool:
        """The bot answered after the 3 s deadline (Discord rejected it with 10062)."""
        return self.record.late

    @property
    def rejected(self) -> list[RecordedCall]:
        """Initial responses Discord refused (status >= 400), with their error bodies."""
        return list(self.record.rejected)

    @property
    def message(self) -> Message | None:
        """The @original message (for type 7/6 on components: the updated message)."""
        return self.record.original

    @property
    def ephemeral(self) -> bool:
        if self.message is not None:
            return self.message.ephemeral
        data = self.record.response_data or {}
        return bool(int(data.get("flags") or 0) & 64)

    @property
    def content(self) -> str:
        if self.message is not None:
            return self.message.content
        return str((self.record.response_data or {}).get("content") or "")

    @property
    def embeds(self) -> list[JSON]:
        if self.message is not None:
            return self.message.embeds
        return list((self.record.response_data or {}).get("embeds") or [])

    @property
    def components(self) -> list[JSON]:
        if self.message is not None:
            return self.message.components
        return list((self.record.response_data or {}).get("components") or [])

    @property
    def modal(self) -> JSON | None:
        return self.record.response_data if self.type == MODAL else None

    @property
    def choices(self) -> list[JSON]:
        if self.type != AUTOCOMPLETE_RESULT:
            return []
        return list((self.record.response_data or {}).get("choices") or [])

    @property
    def followups(self) -> list[Message]:
        return list(self.record.followups)

    @property
    def text(self) -> str:
        """Content + embed titles/descriptions/fields/footers of the response and followups."""
        parts = [message_text(self.content, self.embeds)]
        parts += [m.text for m in self.record.followups]
        return "\n".join(p for p in parts if p)

    async def wait_final(self, timeout: float = 5.0) -> Message:  # noqa: ASYNC109
        """For deferred responses wait for the @original edit or first followup; else the
        response message itself."""
        record = self.record
        if not self.deferred:
            if record.original is None:
                raise AssertionError(f"interaction response type {self.type} created no message")
            return record.original

        def final() -> Message | None:
            return record.final

        try:
            return await record.changed.wait_for(final, timeout)
        except TimeoutError:
            raise AssertionError(
                f"the bot deferred interaction {record.id} ({record.command_name}) but did not "
                f"edit the response or send a followup within {timeout}s"
            ) from None

    async def wait_followups(self, count: int = 1, timeout: float = 5.0) -> list[Message]:  # noqa: ASYNC109
        record = self.record
        try:
            await record.changed.wait_for(lambda: len(record.followups) >= count, timeout)
        except TimeoutError:
            raise AssertionError(
                f"expected {count} followup(s) for {record.command_name}, "
                f"got {len(record.followups)} within {timeout}s"
            ) from None
        return list(record.followups)


# ------------------------------------------------------------------------- builders
def channel_resolved_payload(channel: Channel, permissions: int) -> JSON:
    payload: JSON = {
        "id": str(channel.id),
        "name": channel.name,
        "type": int(channel.type),
        "permissions": str(permissions),
    }
    if channel.parent_id is not None:
        payload["parent_id"] = str(channel.parent_id)
    if channel.type in THREAD_TYPES:
        full = channel.to_payload()
        payload.update({k: full[k] for k in ("thread_metadata", "owner_id", "member_count")})
        payload["message_count"] = full["message_count"]
    return payload


def interaction_channel_payload(channel: Channel, permissions: int | None) -> JSON:
    payload = channel.to_payload()
    if permissions is not None:
        payload["permissions"] = str(permissions)
    return payload


class OptionBuilder:
    """Turns Python values into typed option payloads and fills `resolved`."""

    def __init__(self, world: World, guild: Guild | None) -> None:
        self.world = world
        self.guild = guild
        self.resolved: dict[str, dict[str, JSON]] = {}

    def _add(self, kind: str, key: int, payload: JSON) -> None:
        self.resolved.setdefault(kind, {})[str(key)] = payload

    def _user(self, value: Any, where: str) -> User:
        if isinstance(value, Member):
            return value.user
        if isinstance(value, User):
            return value
        if isinstance(value, int) and value in self.world.users:
            return self.world.users[value]
        raise InteractionSetupError(f"{where}: expected a Member/User, got {value!r}")

    def _resolve_user(self, user: User) -> None:
        self._add("users", user.id, user.to_payload())
        if self.guild is not None and user.id in self.guild.members:
            member = self.guild.members[user.id]
            payload = member.to_payload(with_user=False)
            payload["permissions"] = str(member.permissions)
            self._add("members", user.id, payload)

    def _resolve_role(self, role: Role) -> None:
        self._add("roles", role.id, role.to_payload())

    def value(self, definition: Mapping[str, Any], value: Any, where: str) -> Any:
        kind = int(definition["type"])
        name = OPTION_TYPE_NAMES.get(kind, str(kind))
        if kind == OPTION_STRING:
            if not isinstance(value, str):
                raise InteractionSetupError(f"{where}: {name} option needs a str, got {value!r}")
            lo, hi = definition.get("min_length"), definition.get("max_length")
            if (lo is not None and len(value) < lo) or (hi is not None and len(value) > hi):
                raise InteractionSetupError(
                    f"{where}: length {len(value)} outside [{lo}, {hi}] (Discord blocks this)"
                )
            self._check_choices(definition, value, where)
            return value
        if kind in (OPTION_INTEGER, OPTION_NUMBER):
            ok = (
                isinstance(value, int) if kind == OPTION_INTEGER else isinstance(value, int | float)
            )
            if not ok or isinstance(value, bool):
                raise InteractionSetupError(f"{where}: {name} option needs a number, got {value!r}")
            lo, hi = definition.get("min_value"), definition.get("max_value")
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                raise InteractionSetupError(
                    f"{where}: {value} outside [{lo}, {hi}] (Discord blocks this)"
                )
            self._check_choices(definition, value, where)
            return value
        if kind == OPTION_BOOLEAN:
            if not isinstance(value, bool):
                raise InteractionSetupError(f"{where}: boolean option needs a bool, got {value!r}")
            return value
        if kind == OPTION_USER:
            user = self._user(value, where)
            self._resolve_user(user)
            return str(user.id)
        if kind == OPTION_ROLE:
            if not isinstance(value, Role):
                raise InteractionSetupError(f"{where}: role option needs a Role, got {value!r}")
            self._resolve_role(value)
            return str(value.id)
        if kind == OPTION_MENTIONABLE:
            if isinstance(value, Role):
                self._resolve_role(value)
                return str(value.id)
            user = self._user(value, where)
            self._resolve_user(user)
            return str(user.id)
        if kind == OPTION_CHANNEL:
            channel = value if isinstance(value, Channel) else self.world.channels.get(value)
            if channel is None:
                raise InteractionSetupError(
                    f"{where}: channel option needs a Channel, got {value!r}"
                )
            allowed = definition.get("channel_types")
            if allowed and int(channel.type) not in allowed:
                raise InteractionSetupError(
                    f"{where}: channel type {int(channel.type)} not in channel_types {allowed}"
                )
            perms_value = self.guild.bot_permissions if self.guild else 0
            self._add("channels", channel.id, channel_resolved_payload(channel, perms_value))
            return str(channel.id)
        if kind == OPTION_ATTACHMENT:
            if not isinstance(value, FileUpload):
                raise InteractionSetupError(f"{where}: attachment option needs a FileUpload")
            attachment = Attachment(
                id=self.world.ids.next(),
                filename=value.filename,
                data=value.data,
                content_type=value.content_type,
            )
            self._add("attachments", attachment.id, attachment.to_payload(0))
            return str(attachment.id)
        raise InteractionSetupError(f"{where}: unsupported option type {kind}")

    @staticmethod
    def _check_choices(definition: Mapping[str, Any], value: Any, where: str) -> None:
        choices = definition.get("choices")
        if choices and value not in [c.get("value") for c in choices]:
            names = ", ".join(repr(c.get("value")) for c in choices)
            raise InteractionSetupError(f"{where}: {value!r} is not one of the choices: {names}")


def build_command_data(
    world: World,
    guild: Guild | None,
    command: JSON,
    path: Sequence[str],
    options: Mapping[str, Any],
    *,
    focused: str | None = None,
) -> JSON:
    """Data of an APPLICATION_COMMAND (or AUTOCOMPLETE when `focused` is set) interaction."""
    builder = OptionBuilder(world, guild)
    full_name = " ".join([command["name"], *path])
    definitions: list[JSON] = list(command.get("options") or [])
    nested: list[JSON] = []
    top: list[JSON] = nested
    for part in path:
        match = next(
            (
                o
                for o in definitions
                if o["name"] == part and o["type"] in (OPTION_SUB_COMMAND, OPTION_SUB_COMMAND_GROUP)
            ),
            None,
        )
        if match is None:
            subs = [o["name"] for o in definitions if o["type"] in (1, 2)]
            raise InteractionSetupError(
                f"/{full_name}: {part!r} is not a sub-command; available: {subs or 'none'}"
            )
        level: list[JSON] = []
        nested.append({"name": part, "type": match["type"], "options": level})
        nested = level
        definitions = list(match.get("options") or [])
    subs = [o["name"] for o in definitions if o["type"] in (1, 2)]
    if subs:
        raise InteractionSetupError(f"/{full_name} needs a sub-command: {', '.join(subs)}")
    known = {o["name"]: o for o in definitions}
    unknown = [name for name in options if name not in known]
    if unknown:
        raise InteractionSetupError(
            f"/{full_name} has no option(s) {', '.join(map(repr, unknown))}; "
            f"registered options: {', '.join(known) or 'none'}"
        )
    if focused is not None:
        if focused not in known:
            raise InteractionSetupError(f"/{full_name} has no option {focused!r} to focus")
        if not known[focused].get("autocomplete"):
            raise InteractionSetupError(f"/{full_name} option {focused!r} has no autocomplete")
    else:
        missing = [n for n, o in known.items() if o.get("required") and n not in options]
        if missing:
            raise InteractionSetupError(
                f"/{full_name}: missing required option(s) {', '.join(missing)}"
            )
    for name, definition in known.items():
        if name not in options:
            continue
        value = options[name]
        if name == focused:
            nested.append(
                {"name": name, "type": definition["type"], "value": str(value), "focused": True}
            )
            continue
        typed = builder.value(definition, value, f"/{full_name} {name}")
        nested.append({"name": name, "type": definition["type"], "value": typed})
    data: JSON = {
        "id": command["id"],
        "name": command["name"],
        "type": int(command.get("type") or 1),
        "options": top,
    }
    if command.get("guild_id"):
        data["guild_id"] = command["guild_id"]
    if builder.resolved:
        data["resolved"] = builder.resolved
    return data


def new_token() -> str:
    return "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)


def base_payload(world: World, record: InteractionRecord, *, locale: str, data: JSON) -> JSON:
    guild = record.guild
    payload: JSON = {
        "id": str(record.id),
        "application_id": str(world.application_id),
        "type": record.type,
        "data": data,
        "channel_id": str(record.channel.id),
        "token": record.token,
        "version": 1,
        "locale": locale,
        "entitlements": [],
        "entitlement_sku_ids": [],
        "attachment_size_limit": 10 * 1024 * 1024,
    }
    if guild is not None and record.member is not None:
        member_perms = record.member.permissions
        payload.update(
            {
                "guild_id": str(guild.id),
                "guild": {
                    "id": str(guild.id),
                    "locale": guild.preferred_locale,
                    "features": [],
                },
                "guild_locale": guild.preferred_locale,
                "member": record.member.to_interaction_payload(),
                "app_permissions": str(guild.bot_permissions),
                "channel": interaction_channel_payload(record.channel, member_perms),
                "authorizing_integration_owners": {"0": str(guild.id)},
                "context": 0,
            }
        )
    else:
        payload.update(
            {
                "user": record.user.to_payload(),
                "app_permissions": str(perms.ALL & ~perms.ADMINISTRATOR),
                "channel": interaction_channel_payload(record.channel, None),
                "authorizing_integration_owners": {"0": "0"},
                "context": 1,
            }
        )
    return payload


async def wait_for_response(record: InteractionRecord, timeout: float) -> InteractionResult:  # noqa: ASYNC109
    try:
        await record.changed.wait_for(
            lambda: record.responded or record.late or bool(record.rejected), timeout
        )
    except TimeoutError:
        raise AssertionError(
            f"the bot did not respond to interaction {record.id} "
            f"({record.command_name or record.type}) within {timeout}s"
        ) from None
    await asyncio.sleep(0)
    return InteractionResult(record)
