"""`FakeDiscord`: the test-facing API tying state, HTTP routes, gateway and interactions."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any

from . import perms
from .faults import Faults
from .gateway import Gateway
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    AUTOCOMPLETE_RESULT,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    InteractionRecord,
    InteractionResult,
    InteractionSetupError,
    OptionBuilder,
    base_payload,
    build_command_data,
    new_token,
    wait_for_response,
)
from .mentions import CHANNEL_DEFAULT_PARSE
from .messaging import create_message
from .ratelimit import RateLimits
from .rest_channels import ChannelRoutes
from .rest_commands import CommandRoutes
from .rest_guilds import GuildRoutes
from .rest_interactions import InteractionRoutes
from .rest_misc import MiscRoutes
from .server import HttpServer, InjectedFailure, RecordedCall, Recorder
from .spec import SpecValidator, shared_validator
from .state import (
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_MESSAGES,
    JSON,
    Channel,
    Guild,
    Member,
    Message,
    Role,
    User,
    World,
)
from .util import iter_components

log = logging.getLogger(__name__)

INTENT_MESSAGE_CONTENT = 1 << 15
SELECT_USER, SELECT_ROLE, SELECT_MENTIONABLE, SELECT_CHANNEL = 5, 6, 7, 8


class FakeDiscord:
    """A fake Discord (REST v10 + gateway) on a random 127.0.0.1 port.

    ::

        async with FakeDiscord() as fake:
            guild = fake.add_guild("ALX ProDev")
            ...
    """

    def __init__(
        self,
        *,
        bot_token: str = "fake-token",
        bot_name: str = "Nexus",
        rate_limits: RateLimits | None = None,
        heartbeat_interval_ms: int = 41_250,
        interaction_deadline: float = 3.0,
        response_timeout: float = 5.0,
        validate_spec: bool = True,
        spec: SpecValidator | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.bot_token = bot_token
        self.host = host
        #: Seconds the bot has for its initial interaction response.
        self.interaction_deadline = interaction_deadline
        #: Default wait for the bot's initial response in invoke()/click()/...
        self.response_timeout = response_timeout
        #: Refuse to invoke commands Discord would hide (default_member_permissions, contexts).
        self.enforce_command_visibility = True
        self.world = World(bot_name=bot_name)
        self.application_owner = self.world.add_user("nexus-owner")
        self.recorder = Recorder()
        self.recorder.on_call = self._on_call
        self.gateway = Gateway(
            self.world,
            token=bot_token,
            heartbeat_interval_ms=heartbeat_interval_ms,
            url=lambda: self.gateway_url,
            on_violation=self.recorder.violation,
        )
        self.world.set_emitter(self._emit)
        #: Injected faults: 5xx, slow answers, resets, 429 storms, gateway drops (faults.py).
        self.faults = Faults(
            drop_gateway=self._drop_gateway,
            invalidate=self._invalidate,
            last_id=lambda: self.world.ids.last,
            channel_type=self._channel_type,
        )
        self.server = HttpServer(
            token=bot_token,
            recorder=self.recorder,
            rate_limits=rate_limits or RateLimits(),
            spec=(spec or shared_validator()) if validate_spec else None,
            gateway_handler=self.gateway.handle,
            faults=self.faults,
        )
        self.interactions: dict[int, InteractionRecord] = {}
        self._by_token: dict[str, InteractionRecord] = {}
        #: Modals the bot opened: (interaction, modal data).
        self.modals: list[tuple[InteractionRecord, JSON]] = []
        #: Called with each recorded call after Discord's side effects, before the bot gets the
        #: answer (e.g. to kill a bot process at exactly that point).
        self.call_listeners: list[Callable[[RecordedCall], None]] = []
        for group in (
            MiscRoutes(self),
            ChannelRoutes(self),
            GuildRoutes(self),
            CommandRoutes(self),
            InteractionRoutes(self),
        ):
            self.server.add_routes(group.routes())
        self._started = False

    # ---------------------------------------------------------------- lifecycle
    async def start(self) -> FakeDiscord:
        await self.server.start(self.host)
        self._started = True
        return self

    async def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        await self.gateway.close()
        await self.server.stop()

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def api_base(self) -> str:
        return f"http://{self.host}:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/"

    @contextlib.contextmanager
    def patched_discord(self) -> Iterator[None]:
        """Point discord.py (in this process) at the fake; restores the originals on exit."""
        import discord.gateway
        import discord.http
        import yarl

        old_base = discord.http.Route.BASE
        old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    # ----------------------------------------------------------------- recording
    @property
    def calls(self) -> list[RecordedCall]:
        return self.recorder.calls

    @property
    def unknown_routes(self) -> list[str]:
        return self.recorder.unknown_routes

    @property
    def violations(self) -> list[str]:
        return self.recorder.violations

    @property
    def rate_limited_count(self) -> int:
        return self.recorder.rate_limited_count

    def calls_to(self, method: str, route_template: str) -> list[RecordedCall]:
        """Recorded calls for e.g. ("POST", "/channels/{channel_id}/messages")."""
        return [c for c in self.calls if c.method == method and c.route_template == route_template]

    def fail_next(
        self,
        method: str,
        route_template: str,
        *,
        status: int = 500,
        count: int = 1,
        code: int = 0,
        message: str | None = None,
        retry_after: float = 0.1,
        is_global: bool = False,
    ) -> None:
        """Make the next `count` matching requests fail with `status` (429 gets retry_after)."""
        self.recorder.failures.append(
            InjectedFailure(
                method=method,
                template=route_template,
                status=status,
                remaining=count,
                code=code,
                message=message or f"{status}: injected failure",
                retry_after=retry_after,
                is_global=is_global,
            )
        )

    def assert_clean(self) -> None:
        """Raise AssertionError listing unknown routes and limit/spec/protocol violations."""
        problems = [f"unknown route: {r}" for r in self.unknown_routes]
        problems += [f"violation: {v}" for v in self.violations]
        if problems:
            raise AssertionError(
                "fake Discord saw problems:\n" + "\n".join(f"  - {p}" for p in problems)
            )

    def clear_records(self) -> None:
        self.recorder.calls.clear()
        self.recorder.unknown_routes.clear()
        self.recorder.violations.clear()
        self.recorder.rate_limited_count = 0

    def _on_call(self, call: RecordedCall) -> None:
        if (
            call.route_template is not None
            and call.route_template.startswith("/interactions/")
            and call.status >= 400
        ):
            parts = call.path.split("/")
            record = next((r for r in self.interactions.values() if str(r.id) in parts), None)
            if record is not None:
                record.rejected.append(call)
                record.changed.notify()
        for listener in list(self.call_listeners):
            listener(call)
        self.world.changed.notify()

    # -------------------------------------------------------------------- state
    @property
    def bot_user(self) -> User:
        return self.world.bot_user

    @property
    def application_id(self) -> int:
        return self.world.application_id

    @property
    def guilds(self) -> list[Guild]:
        return list(self.world.guilds.values())

    def add_guild(
        self, name: str, *, locale: str = "en-US", shard: tuple[int, int] | None = None
    ) -> Guild:
        """Create a guild (with @everyone, the bot's managed role and the bot's member);
        `shard=(id, count)` gives it an id that Discord routes to that shard."""
        guild = self.world.add_guild(name, locale=locale, shard=shard)
        with_members = bool(
            self.gateway.session and self.gateway.session.intents & INTENT_GUILD_MEMBERS
        )
        self._emit("GUILD_CREATE", guild.to_gateway_payload(with_members=with_members), 0)
        return guild

    def add_user(self, name: str, *, global_name: str | None = None) -> User:
        """A user who is in no guild (yet)."""
        return self.world.add_user(name, global_name=global_name)

    def remove_member(self, guild: Guild, member: Member) -> None:
        guild.remove_member(member)

    def readd_member(self, guild: Guild, member: Member, *, roles: Sequence[Role] = ()) -> Member:
        return guild.readd_member(member, roles=roles)

    def channel(self, channel: Channel | int) -> Channel:
        if isinstance(channel, Channel):
            return channel
        found = self.world.channels.get(channel)
        if found is None:
            raise KeyError(f"unknown channel id {channel}")
        return found

    def messages(self, channel: Channel | int, *, include_ephemeral: bool = False) -> list[Message]:
        """Messages in a channel/thread/DM, oldest first (ephemeral ones only if asked)."""
        ch = self.channel(channel)
        if not include_ephemeral:
            return list(ch.messages)
        return sorted(
            (m for m in self.world.messages.values() if m.channel is ch), key=lambda m: m.id
        )

    def dms(self, user: User | Member) -> list[Message]:
        """Messages the bot sent to this user's DM channel."""
        uid = user.id
        channel = self.world.dm_channels.get(uid)
        if channel is None:
            return []
        return [m for m in channel.messages if m.author.id == self.bot_user.id]

    def threads(self, guild: Guild) -> list[Channel]:
        return [t for t in guild.threads if not t.deleted]

    def message(self, message_id: int) -> Message | None:
        return self.world.messages.get(message_id)

    def commands(self, guild: Guild | None = None) -> list[JSON]:
        """Registered commands (global, or for `guild`)."""
        return list(self.world.commands.get(guild.id if guild else None, {}).values())

    def post_message(
        self, author: Member | User, channel: Channel | int, content: str, **body: Any
    ) -> Message:
        """A user posts a message (dispatches MESSAGE_CREATE; content hidden from the bot
        without the MESSAGE_CONTENT intent unless it mentions the bot)."""
        ch = self.channel(channel)
        user = author.user if isinstance(author, Member) else author
        message = create_message(
            self.world,
            ch,
            {"content": content, **body},
            author=user,
            default_parse=CHANNEL_DEFAULT_PARSE,
            dispatch=False,
        )
        payload = message.to_payload()
        session = self.gateway.session
        intents = session.intents if session else 0
        if not intents & INTENT_MESSAGE_CONTENT and self.bot_user.id not in message.mentioned_users:
            payload.update({"content": "", "embeds": [], "attachments": [], "components": []})
        if isinstance(author, Member):
            payload["member"] = author.to_payload(with_user=False)
        intent = INTENT_DIRECT_MESSAGES if ch.is_dm else INTENT_GUILD_MESSAGES
        self._emit("MESSAGE_CREATE", payload, intent)
        return message

    def _emit(self, event: str, data: JSON, intent: int) -> None:
        if self._started:
            self.gateway.dispatch(event, data, intent)

    # ------------------------------------------------------------------ gateway
    @property
    def identify_count(self) -> int:
        return self.gateway.identify_count

    @property
    def resume_count(self) -> int:
        return self.gateway.resume_count

    @property
    def last_identify(self) -> JSON | None:
        return self.gateway.last_identify

    @property
    def intents(self) -> int:
        identify = self.gateway.last_identify or {}
        return int(identify.get("intents") or 0)

    async def wait_until_ready(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """The bot identified (or resumed), got every GUILD_CREATE, and processed them."""
        await self.gateway.wait_connected(timeout)
        await self.gateway.flush(timeout)

    async def flush(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot has processed every gateway event sent so far."""
        await self.gateway.flush(timeout)

    async def disconnect_bot(self, code: int = 4000, *, shard: int | None = None) -> None:
        """Close the bot's websocket (of `shard`) with `code`; discord.py should RESUME."""
        await self.gateway.disconnect(code, shard=shard)

    async def gateway_down(self) -> None:
        """The gateway becomes unreachable: sockets closed, reconnects refused."""
        await self.gateway.go_down()

    def gateway_up(self) -> None:
        """The gateway accepts connections again (the bot resumes its sessions)."""
        self.gateway.come_back()

    @property
    def shard_count(self) -> int:
        """The shard count the bot identified with."""
        return self.gateway.shard_count

    def shard_of(self, guild: Guild) -> int:
        return self.gateway.shard_of(guild.id)

    @property
    def recommended_shards(self) -> int:
        """What GET /gateway/bot recommends (default 1)."""
        return self.gateway.recommended_shards

    @recommended_shards.setter
    def recommended_shards(self, count: int) -> None:
        self.gateway.recommended_shards = count

    async def _drop_gateway(self, resumable: bool) -> None:
        if self.gateway.session is not None and self.gateway.session.connection is not None:
            await self.gateway.disconnect(4000 if resumable else 4009)

    def _channel_type(self, channel_id: int) -> int | None:
        channel = self.world.channels.get(channel_id)
        return None if channel is None else int(channel.type)

    def _invalidate(self, resumable: bool) -> None:
        if self.gateway.session is not None and self.gateway.session.connection is not None:
            self.gateway.invalidate(resumable=resumable)

    def invalidate_session(self, *, resumable: bool = False) -> None:
        self.gateway.invalidate(resumable=resumable)

    def request_reconnect(self) -> None:
        self.gateway.request_reconnect()

    # ------------------------------------------------------------------ waiting
    async def wait_for_message(
        self,
        channel: Channel | int,
        predicate: Callable[[Message], bool] | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
        after: Message | int | None = None,
    ) -> Message:
        """First (oldest) message in `channel` matching `predicate`, newer than `after`."""
        ch = self.channel(channel)
        after_id = after.id if isinstance(after, Message) else (after or 0)

        def find() -> Message | None:
            for message in ch.messages:
                if message.id > after_id and (predicate is None or predicate(message)):
                    return message
            return None

        try:
            return await self.world.changed.wait_for(find, timeout)
        except TimeoutError:
            texts = [m.text[:80] for m in ch.messages[-5:]]
            raise AssertionError(
                f"no matching message in #{ch.name or ch.id} within {timeout}s; last: {texts}"
            ) from None

    async def wait_for_dm(
        self,
        user: User | Member,
        predicate: Callable[[Message], bool] | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> Message:
        def find() -> Message | None:
            for message in self.dms(user):
                if predicate is None or predicate(message):
                    return message
            return None

        try:
            return await self.world.changed.wait_for(find, timeout)
        except TimeoutError:
            raise AssertionError(f"no matching DM to {user.id} within {timeout}s") from None

    async def wait_for_call(
        self,
        method: str,
        route_template: str,
        predicate: Callable[[RecordedCall], bool] | None = None,
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> RecordedCall:
        """Wait until `count` matching calls were recorded; returns the last of them."""

        def find() -> RecordedCall | None:
            matching = [
                c
                for c in self.calls_to(method, route_template)
                if predicate is None or predicate(c)
            ]
            return matching[count - 1] if len(matching) >= count else None

        try:
            return await self.world.changed.wait_for(find, timeout)
        except TimeoutError:
            raise AssertionError(
                f"expected {count} call(s) to {method} {route_template} within {timeout}s"
            ) from None

    async def wait_for_commands(
        self,
        *names: str,
        guild: Guild | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[JSON]:
        """Wait until the bot registered commands (all of `names`, if given)."""

        def registered() -> list[JSON] | None:
            found = self.commands(guild) + (self.commands(None) if guild else [])
            have = {c["name"] for c in found}
            if found and all(n in have for n in names):
                return found
            return None

        try:
            return await self.world.changed.wait_for(registered, timeout)
        except TimeoutError:
            raise AssertionError(
                f"the bot did not register commands {names} within {timeout}s"
            ) from None

    # ------------------------------------------------------------- interactions
    def interaction_by_token(self, token: str) -> InteractionRecord | None:
        return self._by_token.get(token)

    def _context(
        self, actor: Member | User, channel: Channel | int | None
    ) -> tuple[User, Member | None, Guild | None, Channel]:
        if isinstance(actor, Member):
            if not actor.present:
                raise InteractionSetupError(f"{actor.name} is no longer in {actor.guild.name}")
            guild: Guild | None = actor.guild
            user, member = actor.user, actor
        else:
            guild, user, member = None, actor, None
        if channel is None:
            if guild is None:
                return user, None, None, self.world.dm_channel(user)
            if not guild.text_channels:
                raise InteractionSetupError(f"guild {guild.name!r} has no text channel")
            return user, member, guild, guild.text_channels[0]
        ch = self.channel(channel)
        if ch.is_dm:
            return user, None, None, ch
        if guild is None or ch.guild is not guild:
            raise InteractionSetupError(
                f"channel {ch.name!r} is not in the member's guild; pass a Member of that guild"
            )
        return user, member, guild, ch

    async def _find_command(
        self, name: str, guild: Guild | None, kind: int, member: Member | None
    ) -> JSON:
        def lookup() -> JSON | None:
            scopes = ([guild.id] if guild else []) + [None]
            for scope in scopes:
                for cmd in self.world.commands.get(scope, {}).values():
                    if cmd["name"] == name and cmd["type"] == kind:
                        return cmd
            return None

        try:
            command = await self.world.changed.wait_for(lookup, self.response_timeout)
        except TimeoutError:
            known = [c["name"] for s in self.world.commands.values() for c in s.values()]
            raise InteractionSetupError(
                f"the bot has not registered a command named {name!r} (type {kind}); "
                f"registered: {known or 'none'}"
            ) from None
        if self.enforce_command_visibility:
            self._check_visible(command, guild, member)
        return command

    @staticmethod
    def _check_visible(command: JSON, guild: Guild | None, member: Member | None) -> None:
        """Discord only offers a command where its contexts and default permissions allow."""
        name = command["name"]
        contexts = command.get("contexts")
        if guild is None:
            if command.get("guild_id"):
                raise InteractionSetupError(f"/{name} is a guild command; not usable in DMs")
            in_dms = 1 in contexts if contexts is not None else command.get("dm_permission", True)
            if not in_dms:
                raise InteractionSetupError(
                    f"/{name} is not available in DMs (contexts={contexts})"
                )
            return
        if contexts is not None and 0 not in contexts:
            raise InteractionSetupError(f"/{name} is not available in guilds (contexts={contexts})")
        required = command.get("default_member_permissions")
        if required is None or member is None:
            return
        needed = int(required)
        have = member.permissions
        if not (have & perms.ADMINISTRATOR) and (needed == 0 or have & needed != needed):
            missing = perms.names(needed & ~have) or ["administrator"]
            raise InteractionSetupError(
                f"Discord hides /{name} from {member.name}: default_member_permissions needs "
                f"{', '.join(missing)} (set fake.enforce_command_visibility = False to bypass)"
            )

    def _record(
        self,
        kind: int,
        user: User,
        member: Member | None,
        guild: Guild | None,
        channel: Channel,
        *,
        name: str | None = None,
        source: Message | None = None,
    ) -> InteractionRecord:
        return InteractionRecord(
            id=self.world.ids.next(),
            token=new_token(),
            type=kind,
            user=user,
            member=member,
            guild=guild,
            channel=channel,
            command_name=name,
            source_message=source,
        )

    async def _dispatch(
        self,
        record: InteractionRecord,
        data: JSON,
        *,
        locale: str | None,
        timeout: float | None,  # noqa: ASYNC109
        extra: JSON | None = None,
    ) -> InteractionResult:
        guild_id = record.guild.id if record.guild is not None else None
        await self.gateway.wait_connected(
            self.response_timeout, shard=self.gateway.shard_of(guild_id)
        )
        record.payload = base_payload(self.world, record, locale=locale or "en-US", data=data)
        if extra:
            record.payload.update(extra)
        self.interactions[record.id] = record
        self._by_token[record.token] = record
        dispatched = self.gateway.dispatch("INTERACTION_CREATE", record.payload)
        assert dispatched is not None
        record.dispatched_at = dispatched
        return await wait_for_response(record, timeout or self.response_timeout)

    async def invoke(
        self,
        member: Member | User,
        command: str,
        /,
        *,
        channel: Channel | int | None = None,
        options: Mapping[str, Any] | None = None,
        locale: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
        **kwargs: Any,
    ) -> InteractionResult:
        """Run a slash command as `member`: `await fake.invoke(m, "nexus setup", level=3)`.

        The path is "command [group] [sub-command]". Options come as keyword arguments (or in
        `options=` for names that are not identifiers or clash with these parameters).
        A `User` (not a Member) invokes from the bot's DM channel.
        """
        parts = command.split()
        if not parts:
            raise InteractionSetupError("empty command path")
        user, mem, guild, ch = self._context(member, channel)
        definition = await self._find_command(parts[0], guild, 1, mem)
        if options is None:
            self._check_reserved(
                command, definition, channel=channel, locale=locale, timeout=timeout
            )
        values = {**(options or {}), **kwargs}
        data = build_command_data(self.world, guild, definition, parts[1:], values)
        record = self._record(APPLICATION_COMMAND, user, mem, guild, ch, name=" ".join(parts))
        return await self._dispatch(record, data, locale=locale, timeout=timeout)

    @staticmethod
    def _check_reserved(command: str, definition: JSON, **reserved: Any) -> None:
        """Refuse `channel=`/`locale=`/`timeout=` when the command has an option of that name."""
        names: set[str] = set()
        stack = list(definition.get("options") or [])
        while stack:
            option = stack.pop()
            names.add(option["name"])
            stack.extend(option.get("options") or [])
        for key, value in reserved.items():
            if key in names and value is not None:
                raise InteractionSetupError(
                    f"/{command} has an option named {key!r}: `{key}=` sets the interaction's "
                    f"{key}; pass the option as options={{{key!r}: ...}} (an explicit `options=` "
                    "also silences this check)"
                )

    async def invoke_context_menu(
        self,
        member: Member | User,
        name: str,
        target: Member | User | Message,
        /,
        *,
        channel: Channel | int | None = None,
        locale: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> InteractionResult:
        """Run a user (target Member/User) or message (target Message) context-menu command."""
        user, mem, guild, ch = self._context(member, channel)
        kind = 3 if isinstance(target, Message) else 2
        definition = await self._find_command(name, guild, kind, mem)
        resolved: JSON
        if isinstance(target, Message):
            resolved = {"messages": {str(target.id): target.to_payload()}}
        else:
            builder = OptionBuilder(self.world, guild)
            builder.value({"type": 6}, target, name)
            resolved = builder.resolved
        data: JSON = {
            "id": definition["id"],
            "name": name,
            "type": kind,
            "target_id": str(target.id),
            "resolved": resolved,
        }
        if definition.get("guild_id"):
            data["guild_id"] = definition["guild_id"]
        record = self._record(APPLICATION_COMMAND, user, mem, guild, ch, name=name)
        return await self._dispatch(record, data, locale=locale, timeout=timeout)

    async def autocomplete(
        self,
        member: Member | User,
        command: str,
        /,
        *,
        focused: str,
        value: str = "",
        channel: Channel | int | None = None,
        options: Mapping[str, Any] | None = None,
        locale: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
        **kwargs: Any,
    ) -> list[JSON]:
        """Type `value` into option `focused`; returns the choices the bot answered."""
        parts = command.split()
        user, mem, guild, ch = self._context(member, channel)
        definition = await self._find_command(parts[0], guild, 1, mem)
        values = {**(options or {}), **kwargs, focused: value}
        data = build_command_data(self.world, guild, definition, parts[1:], values, focused=focused)
        record = self._record(AUTOCOMPLETE, user, mem, guild, ch, name=" ".join(parts))
        result = await self._dispatch(record, data, locale=locale, timeout=timeout)
        if result.type != AUTOCOMPLETE_RESULT:
            raise AssertionError(
                f"autocomplete for /{command} {focused} was answered with type {result.type} "
                f"(rejected: {[c.response for c in record.rejected]})"
            )
        return result.choices

    def _component_context(
        self, member: Member | User, message: Message | InteractionResult
    ) -> tuple[Message, User, Member | None, Guild | None, Channel]:
        msg = message.message if isinstance(message, InteractionResult) else message
        if msg is None:
            raise InteractionSetupError("that interaction result has no message to interact with")
        if msg.deleted:
            raise InteractionSetupError(f"message {msg.id} was deleted")
        user, mem, guild, ch = self._context(member, msg.channel)
        if msg.ephemeral:
            owner = (msg.interaction_metadata or {}).get("user", {}).get("id")
            if owner is not None and owner != str(user.id):
                raise InteractionSetupError("only the invoking user can see an ephemeral message")
        return msg, user, mem, guild, ch

    def _component(self, msg: Message, custom_id: str) -> JSON:
        comp = msg.find_component(custom_id)
        if comp is None:
            raise InteractionSetupError(
                f"message {msg.id} has no component {custom_id!r}; it has {msg.custom_ids()}"
            )
        if comp.get("disabled"):
            raise InteractionSetupError(f"component {custom_id!r} is disabled")
        return comp

    async def click(
        self,
        member: Member | User,
        message: Message | InteractionResult,
        custom_id: str,
        /,
        *,
        locale: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> InteractionResult:
        """Click the button `custom_id` on `message`."""
        msg, user, mem, guild, ch = self._component_context(member, message)
        comp = self._component(msg, custom_id)
        if comp.get("type") != 2:
            raise InteractionSetupError(f"{custom_id!r} is not a button (use select())")
        data: JSON = {"custom_id": custom_id, "component_type": 2}
        record = self._record(MESSAGE_COMPONENT, user, mem, guild, ch, source=msg)
        return await self._dispatch(
            record, data, locale=locale, timeout=timeout, extra={"message": msg.to_payload()}
        )

    async def select(
        self,
        member: Member | User,
        message: Message | InteractionResult,
        custom_id: str,
        values: Sequence[Any],
        /,
        *,
        locale: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> InteractionResult:
        """Pick `values` in the select menu `custom_id` (strings for string selects; Members,
        Roles or Channels for the other select types)."""
        msg, user, mem, guild, ch = self._component_context(member, message)
        comp = self._component(msg, custom_id)
        kind = int(comp.get("type") or 0)
        low = comp.get("min_values", 1)
        high = comp.get("max_values", 1)
        if not low <= len(values) <= high:
            raise InteractionSetupError(
                f"select {custom_id!r} takes between {low} and {high} values, got {len(values)}"
            )
        data: JSON = {"custom_id": custom_id, "component_type": kind}
        if kind == 3:
            allowed = [o.get("value") for o in comp.get("options") or []]
            bad = [v for v in values if v not in allowed]
            if bad:
                raise InteractionSetupError(f"{bad} are not options of {custom_id!r}: {allowed}")
            data["values"] = list(values)
        else:
            builder = OptionBuilder(self.world, guild)
            option_type = {SELECT_USER: 6, SELECT_ROLE: 8, SELECT_MENTIONABLE: 9, SELECT_CHANNEL: 7}
            data["values"] = [
                builder.value({"type": option_type[kind]}, v, custom_id) for v in values
            ]
            data["resolved"] = builder.resolved
        record = self._record(MESSAGE_COMPONENT, user, mem, guild, ch, source=msg)
        return await self._dispatch(
            record, data, locale=locale, timeout=timeout, extra={"message": msg.to_payload()}
        )

    def _find_modal(self, custom_id: str, user: User) -> tuple[InteractionRecord, JSON]:
        for record, modal in reversed(self.modals):
            if modal.get("custom_id") == custom_id and record.user.id == user.id:
                return record, modal
        known = sorted({str(m.get("custom_id")) for _, m in self.modals})
        raise InteractionSetupError(
            f"the bot never showed modal {custom_id!r} to {user.username}; shown: {known}"
        )

    @staticmethod
    def _submitted_component(comp: JSON, values: Mapping[str, Any], used: set[str]) -> JSON:
        custom_id = str(comp.get("custom_id"))
        kind = comp.get("type")
        if kind == 4:
            value = values.get(custom_id, comp.get("value") or "")
            if not isinstance(value, str):
                raise InteractionSetupError(f"text input {custom_id!r} needs a str")
            if comp.get("required", True) and not value:
                raise InteractionSetupError(f"text input {custom_id!r} is required")
            lo, hi = comp.get("min_length"), comp.get("max_length")
            if value and ((lo and len(value) < lo) or (hi and len(value) > hi)):
                raise InteractionSetupError(
                    f"text input {custom_id!r}: length {len(value)} outside [{lo}, {hi}]"
                )
            used.add(custom_id)
            return {"type": 4, "custom_id": custom_id, "value": value}
        used.add(custom_id)
        if kind == 3:  # a string select (in a label): what Discord sends for it
            options = [str(o.get("value")) for o in comp.get("options") or []]
            default = [str(o.get("value")) for o in comp.get("options") or [] if o.get("default")]
            selected = values.get(custom_id, default)
            if isinstance(selected, str) or not all(isinstance(v, str) for v in selected):
                raise InteractionSetupError(f"select {custom_id!r} needs a list of str values")
            bad = [v for v in selected if v not in options]
            if bad:
                raise InteractionSetupError(f"{bad} are not options of {custom_id!r}: {options}")
            low = 1 if comp.get("min_values") is None else comp["min_values"]
            low = low if comp.get("required", True) is not False else 0
            high = comp.get("max_values") or 1
            if not low <= len(selected) <= high:
                raise InteractionSetupError(
                    f"select {custom_id!r} takes between {low} and {high} values, "
                    f"got {len(selected)}"
                )
            submitted: JSON = {"type": 3, "custom_id": custom_id, "values": list(selected)}
            if comp.get("id") is not None:
                submitted["id"] = comp["id"]
            return submitted
        selected = values.get(custom_id, [])
        return {"type": kind, "custom_id": custom_id, "values": list(selected)}

    async def submit_modal(
        self,
        member: Member | User,
        modal_custom_id: str,
        values: Mapping[str, Any],
        /,
        *,
        channel: Channel | int | None = None,
        locale: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> InteractionResult:
        """Submit the modal the bot showed this user, with `{input_custom_id: value}`."""
        user = member.user if isinstance(member, Member) else member
        origin, modal = self._find_modal(modal_custom_id, user)
        user, mem, guild, ch = self._context(member, channel or origin.channel)
        used: set[str] = set()
        rows: list[JSON] = []
        for row in modal.get("components") or []:
            if row.get("type") == 1:
                rows.append(
                    {
                        "type": 1,
                        "components": [
                            self._submitted_component(c, values, used)
                            for c in row.get("components") or []
                        ],
                    }
                )
            elif row.get("type") == 18 and isinstance(row.get("component"), dict):
                rows.append(
                    {
                        "type": 18,
                        "component": self._submitted_component(row["component"], values, used),
                    }
                )
        unknown = set(values) - used
        if unknown:
            inputs = [c.get("custom_id") for c in iter_components(modal.get("components") or [])]
            raise InteractionSetupError(
                f"modal {modal_custom_id!r} has no input(s) {sorted(unknown)}; it has {inputs}"
            )
        data: JSON = {"custom_id": modal_custom_id, "components": rows}
        record = self._record(MODAL_SUBMIT, user, mem, guild, ch, source=origin.source_message)
        extra = {"message": origin.source_message.to_payload()} if origin.source_message else None
        return await self._dispatch(record, data, locale=locale, timeout=timeout, extra=extra)
