"""Channel, message, thread and thread-member routes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import errors, limits, perms
from .mentions import CHANNEL_DEFAULT_PARSE
from .messaging import create_message, delete_message, edit_message
from .server import ApiRequest, Reply, RouteDef
from .state import INTENT_GUILDS, JSON, Channel, ChannelType, Guild, Message
from .util import iso_now

if TYPE_CHECKING:
    from .api import FakeDiscord

CHANNEL = "/channels/{channel_id}"
MESSAGES = "/channels/{channel_id}/messages"
MESSAGE = "/channels/{channel_id}/messages/{message_id}"
THREADS = "/channels/{channel_id}/threads"
MESSAGE_THREADS = "/channels/{channel_id}/messages/{message_id}/threads"
THREAD_MEMBER = "/channels/{channel_id}/thread-members/{user_id}"
THREAD_MEMBERS = "/channels/{channel_id}/thread-members"

TEXT_LIKE = (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT)


def _message_limits(req: ApiRequest) -> list[limits.LimitError]:
    return limits.check_message(req.json, attachments_count=len(req.files))


def _thread_create_limits(req: ApiRequest) -> list[limits.LimitError]:
    return limits.check_thread_create(req.json)


def _channel_modify_limits(req: ApiRequest) -> list[limits.LimitError]:
    return limits.check_thread_modify(req.json)


class ChannelRoutes:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.world = fake.world

    def routes(self) -> list[RouteDef]:
        return [
            RouteDef("GET", CHANNEL, self.get_channel),
            RouteDef("PATCH", CHANNEL, self.modify_channel, validate=_channel_modify_limits),
            RouteDef("DELETE", CHANNEL, self.delete_channel),
            RouteDef("GET", MESSAGES, self.list_messages),
            RouteDef("POST", MESSAGES, self.create_message, validate=_message_limits),
            RouteDef("GET", MESSAGE, self.get_message),
            RouteDef("PATCH", MESSAGE, self.edit_message, validate=_message_limits),
            RouteDef("DELETE", MESSAGE, self.delete_message),
            RouteDef("POST", THREADS, self.create_thread, validate=_thread_create_limits),
            RouteDef(
                "POST", MESSAGE_THREADS, self.create_message_thread, validate=_thread_create_limits
            ),
            RouteDef("GET", THREAD_MEMBERS, self.list_thread_members),
            RouteDef("GET", THREAD_MEMBER, self.get_thread_member),
            RouteDef("PUT", THREAD_MEMBER, self.add_thread_member),
            RouteDef("DELETE", THREAD_MEMBER, self.remove_thread_member),
        ]

    # ----------------------------------------------------------------- helpers
    def _channel(self, req: ApiRequest) -> Channel:
        channel = self.world.channels.get(req.param("channel_id"))
        if channel is None or channel.deleted:
            raise errors.unknown_channel()
        if channel.guild is not None and not self._can(channel.guild, perms.VIEW_CHANNEL):
            raise errors.missing_access()
        if channel.type == ChannelType.PRIVATE_THREAD and not self._in_thread_or_manager(channel):
            raise errors.missing_access()
        return channel

    def _can(self, guild: Guild, bit: int) -> bool:
        return perms.has(guild.bot_permissions, bit)

    def _require(self, guild: Guild | None, bit: int, where: str) -> None:
        if guild is not None and not self._can(guild, bit):
            missing = ", ".join(perms.names(bit))
            raise errors.ApiError(403, 50013, f"Missing Permissions ({missing}) for {where}")

    def _in_thread_or_manager(self, thread: Channel) -> bool:
        assert thread.guild is not None
        return self.world.bot_user.id in thread.thread_members or self._can(
            thread.guild, perms.MANAGE_THREADS
        )

    def _message(self, channel: Channel, req: ApiRequest) -> Message:
        message = self.world.messages.get(req.param("message_id"))
        if message is None or message.channel is not channel or message.deleted:
            raise errors.unknown_message()
        if message.ephemeral:  # only reachable through the interaction webhook
            raise errors.unknown_message()
        return message

    def _dispatch_thread_update(self, thread: Channel) -> None:
        self.world.emit(
            "THREAD_UPDATE", thread.to_payload(viewer_id=self.world.bot_user.id), INTENT_GUILDS
        )

    # ---------------------------------------------------------------- channels
    async def get_channel(self, req: ApiRequest) -> Reply:
        channel = self._channel(req)
        return Reply(200, channel.to_payload(viewer_id=self.world.bot_user.id))

    async def modify_channel(self, req: ApiRequest) -> Reply:
        channel = self._channel(req)
        body = req.body()
        guild = channel.guild
        if channel.is_dm or guild is None:
            raise errors.invalid_channel_type()
        if channel.is_thread:
            is_owner = channel.owner_id == self.world.bot_user.id
            if "locked" in body and body["locked"] != channel.locked:
                self._require(guild, perms.MANAGE_THREADS, "locking a thread")
            if not is_owner and any(
                k in body for k in ("name", "archived", "auto_archive_duration")
            ):
                self._require(guild, perms.MANAGE_THREADS, "editing a thread it does not own")
            if "invitable" in body and channel.type != ChannelType.PRIVATE_THREAD:
                raise errors.invalid_form(
                    {
                        "invitable": {
                            "_errors": [
                                {"code": "BASE_TYPE_BAD", "message": "Only private threads"}
                            ]
                        }
                    }
                )
            for key in ("name", "archived", "locked", "invitable", "auto_archive_duration"):
                if key in body and body[key] is not None:
                    setattr(channel, key, body[key])
            if "archived" in body:
                channel.archive_timestamp = iso_now()
            self._dispatch_thread_update(channel)
        else:
            self._require(guild, perms.MANAGE_CHANNELS, "editing a channel")
            for key in ("name", "topic", "position"):
                if key in body:
                    setattr(channel, key, body[key])
            self.world.emit("CHANNEL_UPDATE", channel.to_payload(), INTENT_GUILDS)
        self.world.changed.notify()
        return Reply(200, channel.to_payload(viewer_id=self.world.bot_user.id))

    async def delete_channel(self, req: ApiRequest) -> Reply:
        channel = self._channel(req)
        if channel.is_dm:
            return Reply(200, channel.to_payload())
        guild = channel.guild
        assert guild is not None
        if channel.is_thread:
            self._require(guild, perms.MANAGE_THREADS, "deleting a thread")
            channel.deleted = True
            guild.threads.remove(channel)
            self.world.emit(
                "THREAD_DELETE",
                {
                    "id": str(channel.id),
                    "guild_id": str(guild.id),
                    "parent_id": str(channel.parent_id),
                    "type": int(channel.type),
                },
                INTENT_GUILDS,
            )
        else:
            self._require(guild, perms.MANAGE_CHANNELS, "deleting a channel")
            channel.deleted = True
            guild.channels.remove(channel)
            self.world.emit("CHANNEL_DELETE", channel.to_payload(), INTENT_GUILDS)
        self.world.channels.pop(channel.id, None)
        self.world.changed.notify()
        return Reply(200, channel.to_payload())

    # ---------------------------------------------------------------- messages
    async def list_messages(self, req: ApiRequest) -> Reply:
        channel = self._channel(req)
        self._require(channel.guild, perms.READ_MESSAGE_HISTORY, "reading history")
        limit = max(1, min(100, int(req.query.get("limit", "50"))))
        messages = list(channel.messages)
        if "before" in req.query:
            before = int(req.query["before"])
            messages = [m for m in messages if m.id < before][-limit:]
        elif "after" in req.query:
            after = int(req.query["after"])
            messages = [m for m in messages if m.id > after][:limit]
        elif "around" in req.query:
            around = int(req.query["around"])
            index = next((i for i, m in enumerate(messages) if m.id >= around), len(messages))
            start = max(0, index - limit // 2)
            messages = messages[start : start + limit]
        else:
            messages = messages[-limit:]
        return Reply(200, [m.to_payload() for m in reversed(messages)])

    def _check_can_send(self, channel: Channel, req: ApiRequest) -> None:
        where = f"POST {MESSAGES}"
        if channel.is_dm:
            user = channel.recipient
            assert user is not None
            if not user.dms_open or not self.world.mutual_guilds(user):
                raise errors.cannot_dm()
            return
        guild = channel.guild
        assert guild is not None
        if channel.type in (ChannelType.GUILD_CATEGORY, ChannelType.GUILD_FORUM):
            raise errors.invalid_channel_type(
                violation=f"{where}: cannot post in a {channel.type.name}"
            )
        if channel.is_thread:
            self._require(guild, perms.SEND_MESSAGES_IN_THREADS, "sending in a thread")
            if channel.archived:
                if channel.locked and not self._can(guild, perms.MANAGE_THREADS):
                    raise errors.thread_archived(
                        violation=f"{where}: posting in locked+archived thread {channel.name!r}"
                    )
                channel.archived = False
                channel.archive_timestamp = iso_now()
                self._dispatch_thread_update(channel)
            if self.world.bot_user.id not in channel.thread_members:
                channel.thread_members[self.world.bot_user.id] = iso_now()
        else:
            self._require(guild, perms.SEND_MESSAGES, "sending messages")
        if req.files:
            self._require(guild, perms.ATTACH_FILES, "attaching files")

    async def create_message(self, req: ApiRequest) -> Reply:
        channel = self._channel(req)
        body = req.body()
        if limits.is_empty_message(body, files=len(req.files)):
            raise errors.empty_message(violation=f"POST {MESSAGES}: empty message")
        self._check_can_send(channel, req)
        ref = body.get("message_reference")
        if isinstance(ref, dict) and ref.get("message_id"):
            target = self.world.messages.get(int(ref["message_id"]))
            if target is None and ref.get("fail_if_not_exists", True):
                raise errors.invalid_form(
                    {
                        "message_reference": {
                            "_errors": [
                                {
                                    "code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                                    "message": "Unknown message",
                                }
                            ]
                        }
                    }
                )
        message = create_message(
            self.world, channel, body, req.files, default_parse=CHANNEL_DEFAULT_PARSE
        )
        return Reply(200, message.to_payload())

    async def get_message(self, req: ApiRequest) -> Reply:
        channel = self._channel(req)
        self._require(channel.guild, perms.READ_MESSAGE_HISTORY, "reading history")
        return Reply(200, self._message(channel, req).to_payload())

    async def edit_message(self, req: ApiRequest) -> Reply:
        channel = self._channel(req)
        message = self._message(channel, req)
        # The bot's own messages, including its (non-ephemeral) interaction responses.
        if message.author.id != self.world.bot_user.id:
            raise errors.ApiError(403, 50005, "Cannot edit a message authored by another user")
        edit_message(
            self.world, message, req.body(), req.files, default_parse=CHANNEL_DEFAULT_PARSE
        )
        return Reply(200, message.to_payload())

    async def delete_message(self, req: ApiRequest) -> Reply:
        channel = self._channel(req)
        message = self._message(channel, req)
        if message.author.id != self.world.bot_user.id:
            self._require(channel.guild, perms.MANAGE_MESSAGES, "deleting others' messages")
        delete_message(self.world, message)
        return Reply(204)

    # ----------------------------------------------------------------- threads
    def _thread_reply(self, thread: Channel) -> Reply:
        return Reply(201, thread.to_payload(viewer_id=self.world.bot_user.id))

    async def create_thread(self, req: ApiRequest) -> Reply:
        parent = self._channel(req)
        body = req.body()
        guild = parent.guild
        where = f"POST {THREADS}"
        if guild is None or parent.type not in TEXT_LIKE:
            raise errors.invalid_channel_type(
                violation=f"{where}: threads cannot be created in channel type {int(parent.type)}"
            )
        kind = int(body.get("type") or ChannelType.PRIVATE_THREAD)
        private = kind == ChannelType.PRIVATE_THREAD
        if private and parent.type != ChannelType.GUILD_TEXT:
            raise errors.invalid_channel_type(
                violation=f"{where}: private threads (type 12) only exist in text channels"
            )
        if kind not in (ChannelType.PUBLIC_THREAD, ChannelType.PRIVATE_THREAD, 10):
            raise errors.invalid_form(
                {"type": {"_errors": [{"code": "BASE_TYPE_CHOICES", "message": "Invalid type"}]}},
                violation=f"{where}: invalid thread type {kind}",
            )
        if "invitable" in body and not private:
            raise errors.invalid_form(
                {
                    "invitable": {
                        "_errors": [
                            {
                                "code": "BASE_TYPE_BAD",
                                "message": "Only private threads are invitable",
                            }
                        ]
                    }
                },
                violation=f"{where}: `invitable` only applies to private threads",
            )
        bit = perms.CREATE_PRIVATE_THREADS if private else perms.CREATE_PUBLIC_THREADS
        self._require(guild, bit, "creating threads")
        thread = guild.add_thread(
            parent,
            str(body["name"]),
            private=private,
            auto_archive_duration=int(body.get("auto_archive_duration") or 4320),
            invitable=bool(body.get("invitable", True)),
        )
        return self._thread_reply(thread)

    async def create_message_thread(self, req: ApiRequest) -> Reply:
        parent = self._channel(req)
        message = self._message(parent, req)
        body = req.body()
        guild = parent.guild
        if guild is None or parent.type not in TEXT_LIKE:
            raise errors.invalid_channel_type(
                violation=f"POST {MESSAGE_THREADS}: not a text/announcement channel"
            )
        if message.thread is not None:
            raise errors.ApiError(400, 160004, "A thread has already been created for this message")
        self._require(guild, perms.CREATE_PUBLIC_THREADS, "creating threads")
        thread = guild.add_thread(
            parent,
            str(body["name"]),
            auto_archive_duration=int(body.get("auto_archive_duration") or 4320),
            thread_id=message.id,
        )
        message.thread = thread
        return self._thread_reply(thread)

    # ---------------------------------------------------------- thread members
    def _thread(self, req: ApiRequest) -> Channel:
        thread = self._channel(req)
        if not thread.is_thread:
            raise errors.invalid_channel_type(
                violation=f"{req.method} {req.template}: not a thread"
            )
        return thread

    def _user_id(self, req: ApiRequest) -> int:
        raw = req.params["user_id"]
        return self.world.bot_user.id if raw == "@me" else req.param("user_id")

    def _members_update(self, thread: Channel, added: list[int], removed: list[int]) -> None:
        assert thread.guild is not None
        added_payloads: list[JSON] = []
        for uid in added:
            entry = thread.thread_member_payload(uid)
            member = thread.guild.members.get(uid)
            if member is not None:
                entry["member"] = member.to_payload()
                entry["presence"] = None
            added_payloads.append(entry)
        data: JSON = {
            "id": str(thread.id),
            "guild_id": str(thread.guild.id),
            "member_count": min(len(thread.thread_members), 50),
        }
        if added_payloads:
            data["added_members"] = added_payloads
        if removed:
            data["removed_member_ids"] = [str(u) for u in removed]
        self.world.emit("THREAD_MEMBERS_UPDATE", data, INTENT_GUILDS)
        self.world.changed.notify()

    async def add_thread_member(self, req: ApiRequest) -> Reply:
        thread = self._thread(req)
        guild = thread.guild
        assert guild is not None
        user_id = self._user_id(req)
        if user_id not in guild.members:
            raise errors.unknown_member()
        if thread.archived:
            raise errors.thread_archived()
        bot_id = self.world.bot_user.id
        if user_id != bot_id and thread.type == ChannelType.PRIVATE_THREAD:
            if bot_id not in thread.thread_members and not self._can(guild, perms.MANAGE_THREADS):
                raise errors.missing_access()
        if user_id != bot_id:
            self._require(guild, perms.SEND_MESSAGES_IN_THREADS, "adding thread members")
        if user_id not in thread.thread_members:
            thread.thread_members[user_id] = iso_now()
            self._members_update(thread, [user_id], [])
        return Reply(204)

    async def remove_thread_member(self, req: ApiRequest) -> Reply:
        thread = self._thread(req)
        guild = thread.guild
        assert guild is not None
        user_id = self._user_id(req)
        bot_id = self.world.bot_user.id
        if thread.archived:
            raise errors.thread_archived()
        if user_id != bot_id:
            owns_private = thread.type == ChannelType.PRIVATE_THREAD and thread.owner_id == bot_id
            if not owns_private:
                self._require(guild, perms.MANAGE_THREADS, "removing thread members")
        if thread.thread_members.pop(user_id, None) is not None:
            self._members_update(thread, [], [user_id])
        return Reply(204)

    async def get_thread_member(self, req: ApiRequest) -> Reply:
        thread = self._thread(req)
        user_id = self._user_id(req)
        if user_id not in thread.thread_members:
            raise errors.ApiError(404, 10007, "Unknown Member")
        return Reply(200, self._thread_member_payload(thread, user_id, req))

    def _thread_member_payload(self, thread: Channel, user_id: int, req: ApiRequest) -> JSON:
        entry = thread.thread_member_payload(user_id)
        if req.query.get("with_member", "").lower() in ("1", "true") and thread.guild:
            member = thread.guild.members.get(user_id)
            if member is not None:
                entry["member"] = member.to_payload()
        return entry

    async def list_thread_members(self, req: ApiRequest) -> Reply:
        thread = self._thread(req)
        return Reply(
            200, [self._thread_member_payload(thread, uid, req) for uid in thread.thread_members]
        )
