"""Creating, editing and deleting messages (shared by channel, webhook and interaction routes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import perms
from .mentions import compute_pings
from .server import UploadedFile
from .state import (
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MESSAGES,
    JSON,
    MESSAGE_FLAG_EPHEMERAL,
    MESSAGE_FLAG_LOADING,
    Attachment,
    Channel,
    Message,
    User,
    World,
)
from .util import iso_now

FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
FLAG_IS_COMPONENTS_V2 = 1 << 15
#: Flags a bot may set when sending; EPHEMERAL only through interactions.
SETTABLE_FLAGS = FLAG_SUPPRESS_EMBEDS | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_IS_COMPONENTS_V2


def _attachments(
    world: World, body: Mapping[str, Any], files: Sequence[UploadedFile]
) -> list[Attachment]:
    """New attachments: `files[n]` parts, named by the `attachments` entry with id n if present."""
    described: dict[str, Mapping[str, Any]] = {
        str(a.get("id")): a for a in body.get("attachments") or [] if isinstance(a, Mapping)
    }
    result = []
    for index, upload in enumerate(files):
        key = upload.field_name.removeprefix("files[").removesuffix("]")
        meta = described.get(key) or described.get(str(index)) or {}
        result.append(
            Attachment(
                id=world.ids.next(),
                filename=str(meta.get("filename") or upload.filename),
                data=upload.data,
                content_type=upload.content_type,
                description=meta.get("description"),
            )
        )
    return result


def _message_intent(channel: Channel) -> int:
    return INTENT_DIRECT_MESSAGES if channel.is_dm else INTENT_GUILD_MESSAGES


def apply_pings(world: World, message: Message, *, default_parse: frozenset[str]) -> None:
    guild = message.channel.guild
    replied_user: int | None = None
    ref = message.message_reference or {}
    if ref.get("message_id"):
        replied = world.messages.get(int(ref["message_id"]))
        if replied is not None and replied.author.id != message.author.id:
            replied_user = replied.author.id

    def mentionable(role_id: int) -> bool:
        role = guild.get_role(role_id) if guild else None
        return role is not None and role.mentionable

    can_everyone = guild is not None and perms.has(guild.bot_permissions, perms.MENTION_EVERYONE)
    pings = compute_pings(
        message.content,
        message.allowed_mentions,
        default_parse=default_parse,
        role_is_mentionable=mentionable,
        can_mention_everyone=can_everyone,
        replied_user_id=replied_user,
        in_guild=guild is not None,
    )
    message.pinged_users = pings.users
    message.pinged_roles = pings.roles
    message.pinged_everyone = pings.everyone
    message.mentioned_users = pings.mentioned_users
    message.mentioned_roles = pings.mentioned_roles
    message.mention_payloads = [
        world.users[uid].to_payload() for uid in pings.users if uid in world.users
    ]


def create_message(
    world: World,
    channel: Channel,
    body: Mapping[str, Any],
    files: Sequence[UploadedFile] = (),
    *,
    author: User | None = None,
    default_parse: frozenset[str],
    allow_ephemeral: bool = False,
    loading: bool = False,
    message_type: int = 0,
    webhook_id: int | None = None,
    interaction_metadata: JSON | None = None,
    dispatch: bool = True,
) -> Message:
    flags = int(body.get("flags") or 0)
    allowed = SETTABLE_FLAGS | (MESSAGE_FLAG_EPHEMERAL if allow_ephemeral else 0)
    flags &= allowed
    if loading:
        flags |= MESSAGE_FLAG_LOADING
    reference = body.get("message_reference")
    message = Message(
        id=world.ids.next(),
        channel=channel,
        author=author or world.bot_user,
        content=str(body.get("content") or ""),
        embeds=list(body.get("embeds") or []),
        components=list(body.get("components") or []),
        attachments=_attachments(world, body, files),
        flags=flags,
        type=19 if reference and message_type == 0 else message_type,
        tts=bool(body.get("tts") or False),
        allowed_mentions=body.get("allowed_mentions"),
        webhook_id=webhook_id,
        application_id=world.application_id if webhook_id else None,
        interaction_metadata=interaction_metadata,
        message_reference=dict(reference) if isinstance(reference, Mapping) else None,
    )
    if not loading:
        apply_pings(world, message, default_parse=default_parse)
    world.store_message(message)
    if dispatch and not message.ephemeral:
        world.emit("MESSAGE_CREATE", message.to_payload(), _message_intent(channel))
    return message


def edit_message(
    world: World,
    message: Message,
    body: Mapping[str, Any],
    files: Sequence[UploadedFile] = (),
    *,
    default_parse: frozenset[str],
) -> Message:
    """Apply a PATCH. Finishing a deferred ("loading") response counts as sending it (pings)."""
    message.history.append(message.snapshot())
    if "content" in body:
        message.content = str(body.get("content") or "")
    if "embeds" in body:
        message.embeds = list(body.get("embeds") or [])
    if "components" in body:
        message.components = list(body.get("components") or [])
    if "allowed_mentions" in body:
        message.allowed_mentions = body.get("allowed_mentions")
    if "flags" in body and body.get("flags") is not None:
        keep = message.flags & (MESSAGE_FLAG_EPHEMERAL | FLAG_IS_COMPONENTS_V2)
        message.flags = keep | (int(body["flags"]) & SETTABLE_FLAGS)
    if "attachments" in body or files:
        kept_ids = {
            str(a.get("id")) for a in body.get("attachments") or [] if isinstance(a, Mapping)
        }
        kept = [a for a in message.attachments if str(a.id) in kept_ids]
        if "attachments" not in body:
            kept = list(message.attachments)
        message.attachments = kept + _attachments(world, body, files)
    finishing = message.loading
    message.flags &= ~MESSAGE_FLAG_LOADING
    if finishing:
        apply_pings(world, message, default_parse=default_parse)
    else:
        message.edited_timestamp = iso_now()
    world.changed.notify()
    if not message.ephemeral:
        world.emit("MESSAGE_UPDATE", message.to_payload(), _message_intent(message.channel))
    return message


def delete_message(world: World, message: Message) -> None:
    world.delete_message(message)
    if not message.ephemeral:
        data: JSON = {"id": str(message.id), "channel_id": str(message.channel.id)}
        if message.channel.guild is not None:
            data["guild_id"] = str(message.channel.guild.id)
        world.emit("MESSAGE_DELETE", data, _message_intent(message.channel))
