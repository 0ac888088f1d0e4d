"""The gateway websocket: HELLO/IDENTIFY/READY, heartbeats, sequence numbers, RESUME with replay,
invalid sessions, member chunking, and event dispatch filtered by the bot's intents.

Sharding as Discord does it: a session identifies with `shard: [id, count]` (none means
`[0, 1]`); it gets READY and GUILD_CREATE for the guilds with `(guild_id >> 22) % count == id`
only, and every later event of a guild goes to the session of that guild's shard. Events of no
guild (DMs, interactions in DMs) go to shard 0."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .state import INTENT_GUILD_MEMBERS, JSON, World
from .util import Notifier

log = logging.getLogger(__name__)

OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_PRESENCE_UPDATE = 3
OP_VOICE_STATE_UPDATE = 4
OP_RESUME = 6
OP_RECONNECT = 7
OP_REQUEST_GUILD_MEMBERS = 8
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11

CLOSE_UNKNOWN_OPCODE = 4001
CLOSE_DECODE_ERROR = 4002
CLOSE_NOT_AUTHENTICATED = 4003
CLOSE_AUTHENTICATION_FAILED = 4004
CLOSE_ALREADY_AUTHENTICATED = 4005

#: Events kept per session for RESUME replay.
REPLAY_BUFFER = 5000
#: Events whose guild is `d.id` rather than `d.guild_id`.
GUILD_EVENTS = frozenset({"GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"})


class Connection:
    """One websocket plus an ordered writer task."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.session: Session | None = None
        self.queue: asyncio.Queue[JSON | None] = asyncio.Queue()
        self.writer = asyncio.get_running_loop().create_task(self._write())

    def send(self, payload: JSON) -> None:
        self.queue.put_nowait(payload)

    async def _write(self) -> None:
        try:
            while True:
                payload = await self.queue.get()
                try:
                    if payload is None:
                        return
                    if not self.ws.closed:
                        await self.ws.send_str(json.dumps(payload))
                except (ConnectionError, RuntimeError):
                    log.debug("fake gateway: send failed, socket closing")
                finally:
                    self.queue.task_done()
        finally:
            while not self.queue.empty():
                self.queue.get_nowait()
                self.queue.task_done()

    async def drained(self) -> None:
        """Wait until everything queued so far was written (or the writer stopped)."""
        if self.writer.done():
            return
        join = asyncio.ensure_future(self.queue.join())
        try:
            await asyncio.wait({join, self.writer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            join.cancel()

    async def close(self, code: int, message: str = "") -> None:
        if not self.ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.ws.close(code=code, message=message.encode())
        await self.stop_writer()

    async def stop_writer(self) -> None:
        if not self.writer.done():
            self.queue.put_nowait(None)
            try:
                await asyncio.wait_for(asyncio.shield(self.writer), 1.0)
            except TimeoutError:
                self.writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self.writer


@dataclass
class Session:
    session_id: str
    intents: int
    identify: JSON
    seq: int = 0
    events: list[JSON] = field(default_factory=list)
    connection: Connection | None = None
    invalidated: bool = False
    #: Highest sequence the bot acknowledged in a heartbeat.
    acked_seq: int = 0
    ready_sent: bool = False
    shard_id: int = 0
    shard_count: int = 1

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq


class Gateway:
    def __init__(
        self,
        world: World,
        *,
        token: str,
        heartbeat_interval_ms: int,
        url: Callable[[], str],
        on_violation: Callable[[str], None],
    ) -> None:
        self.world = world
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self._url = url
        self._violation = on_violation
        self.connections: set[Connection] = set()
        self.sessions: dict[str, Session] = {}
        #: The session of the most recent IDENTIFY (or RESUME).
        self.session: Session | None = None
        #: The live session of each shard (the latest to identify or resume with that id).
        self.shards: dict[int, Session] = {}
        #: The shard count of the latest IDENTIFY; guild events are routed with it.
        self.shard_count = 1
        #: What GET /gateway/bot recommends.
        self.recommended_shards = 1
        #: While True the gateway refuses websocket connections ("Discord's gateway is down").
        self.refusing = False
        self.identify_count = 0
        self.resume_count = 0
        self.last_identify: JSON | None = None
        self.presence_updates: list[JSON] = []
        self.changed = Notifier()
        self._handlers: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------------ dispatch
    def shard_of(self, guild_id: int | None) -> int:
        """The shard Discord sends a guild's events to (DMs: shard 0)."""
        return 0 if guild_id is None else (guild_id >> 22) % self.shard_count

    def session_for(self, guild_id: int | None) -> Session | None:
        return self.shards.get(self.shard_of(guild_id))

    @staticmethod
    def guild_of(event: str, data: JSON) -> int | None:
        """The guild an event belongs to (None for DMs and global events)."""
        raw = data.get("id") if event in GUILD_EVENTS else data.get("guild_id")
        return int(str(raw)) if raw is not None else None

    def dispatch(
        self, event: str, data: JSON, intent: int = 0, *, session: Session | None = None
    ) -> float | None:
        """Queue an event for the session of its guild's shard (or `session`). Returns the
        loop time, or None if dropped."""
        if session is None:
            session = self.session_for(self.guild_of(event, data))
        if session is None or session.invalidated:
            return None
        if intent and not session.intents & intent:
            return None
        payload = {"op": OP_DISPATCH, "t": event, "s": session.next_seq(), "d": data}
        session.events.append(payload)
        if len(session.events) > REPLAY_BUFFER:
            del session.events[: len(session.events) - REPLAY_BUFFER]
        if session.connection is not None:
            session.connection.send(payload)
        return asyncio.get_running_loop().time()

    @staticmethod
    def _live(session: Session | None) -> bool:
        return session is not None and session.connection is not None and session.ready_sent

    @property
    def connected(self) -> bool:
        """Every shard of the current shard count has a connected session."""
        return all(self._live(self.shards.get(i)) for i in range(self.shard_count))

    async def wait_connected(
        self,
        timeout: float,  # noqa: ASYNC109
        *,
        shard: int | None = None,
    ) -> Session:
        """Wait until `shard` (default: every shard) is connected; returns its session (the
        default: shard 0's)."""

        def ready() -> Session | None:
            if shard is not None:
                session = self.shards.get(shard)
                return session if self._live(session) else None
            return self.shards.get(0) if self.connected else None

        try:
            return await self.changed.wait_for(ready, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"the bot did not connect to the fake gateway within {timeout}s "
                f"(identify_count={self.identify_count}, shard={shard}, "
                f"connected shards={sorted(i for i, s in self.shards.items() if self._live(s))})"
            ) from None

    async def flush(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Barrier: return once the bot has received (and processed) every event sent so far,
        on every shard."""
        await self.wait_connected(timeout)
        for shard in sorted(self.shards):
            await self._flush_session(self.shards[shard], timeout)

    async def _flush_session(self, session: Session, timeout: float) -> None:  # noqa: ASYNC109
        """Sends a server-requested heartbeat; discord.py answers with the last sequence it
        handled."""
        if not self._live(session):
            return
        target = session.seq
        if session.acked_seq >= target:
            return
        assert session.connection is not None
        session.connection.send({"op": OP_HEARTBEAT, "d": None})
        try:
            await self.changed.wait_for(lambda: session.acked_seq >= target, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"the bot did not acknowledge gateway sequence {target} within {timeout}s"
            ) from None

    # ---------------------------------------------------------------- controls
    async def disconnect(self, code: int = 4000, *, shard: int | None = None) -> None:
        """Close the bot's socket (it should RESUME on a fresh connection)."""
        session = self.session if shard is None else self.shards.get(shard)
        if session is None or session.connection is None:
            raise RuntimeError("the bot is not connected")
        conn = session.connection
        session.connection = None
        await conn.close(code, "fake disconnect")
        self.changed.notify()

    def invalidate(self, *, resumable: bool = False) -> None:
        """Send op 9; with resumable=False the bot must re-IDENTIFY."""
        session = self.session
        if session is None or session.connection is None:
            raise RuntimeError("the bot is not connected")
        if not resumable:
            session.invalidated = True
        session.connection.send({"op": OP_INVALID_SESSION, "d": resumable})

    def request_reconnect(self) -> None:
        """Send op 7 RECONNECT."""
        session = self.session
        if session is None or session.connection is None:
            raise RuntimeError("the bot is not connected")
        session.connection.send({"op": OP_RECONNECT, "d": None})

    async def go_down(self) -> None:
        """Discord's gateway is unreachable: every socket is closed and new ones refused
        until `come_back` (sessions stay resumable)."""
        self.refusing = True
        for conn in list(self.connections):
            session = conn.session
            if session is not None and session.connection is conn:
                session.connection = None
            await conn.close(4000, "fake gateway down")
        self.changed.notify()

    def come_back(self) -> None:
        self.refusing = False
        self.changed.notify()

    async def close(self) -> None:
        for conn in list(self.connections):
            await conn.close(1001, "fake discord shutting down")
        for task in list(self._handlers):
            task.cancel()
        for task in list(self._handlers):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.connections.clear()

    # ------------------------------------------------------------------ socket
    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0, timeout=2.0)
        if self.refusing:
            return web.json_response({"message": "gateway unavailable", "code": 0}, status=503)
        if not ws.can_prepare(request).ok:
            return web.json_response({"message": "404: Not Found", "code": 0}, status=404)
        await ws.prepare(request)
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        conn = Connection(ws)
        self.connections.add(conn)
        conn.send({"op": OP_HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    try:
                        payload = json.loads(msg.data)
                    except ValueError:
                        await conn.close(CLOSE_DECODE_ERROR, "Decode error")
                        break
                    await self._on_payload(conn, payload)
                elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
        finally:
            self.connections.discard(conn)
            session = conn.session
            if session is not None and session.connection is conn:
                session.connection = None
            await conn.stop_writer()
            if task is not None:
                self._handlers.discard(task)
            self.changed.notify()
        return ws

    async def _on_payload(self, conn: Connection, payload: JSON) -> None:
        op = payload.get("op")
        data = payload.get("d")
        if op == OP_HEARTBEAT:
            session = conn.session
            if session is not None and isinstance(data, int):
                session.acked_seq = max(session.acked_seq, data)
                self.changed.notify()
            conn.send({"op": OP_HEARTBEAT_ACK})
        elif op == OP_IDENTIFY:
            await self._identify(conn, data or {})
        elif op == OP_RESUME:
            await self._resume(conn, data or {})
        elif conn.session is None:
            await conn.close(CLOSE_NOT_AUTHENTICATED, "Not authenticated.")
        elif op == OP_REQUEST_GUILD_MEMBERS:
            self._request_members(conn.session, data or {})
        elif op == OP_PRESENCE_UPDATE:
            self.presence_updates.append(data or {})
        elif op == OP_VOICE_STATE_UPDATE:
            pass
        else:
            await conn.close(CLOSE_UNKNOWN_OPCODE, "Unknown opcode.")

    async def _identify(self, conn: Connection, data: JSON) -> None:
        if conn.session is not None:
            await conn.close(CLOSE_ALREADY_AUTHENTICATED, "Already authenticated.")
            return
        if data.get("token") != self.token:
            await conn.close(CLOSE_AUTHENTICATION_FAILED, "Authentication failed.")
            return
        shard = data.get("shard") or [0, 1]
        try:
            shard_id, shard_count = int(shard[0]), int(shard[1])
        except (TypeError, ValueError, IndexError):
            shard_id, shard_count = -1, 0
        if not 0 <= shard_id < shard_count:
            await conn.close(4010, "Invalid shard.")
            return
        session = Session(
            session_id=uuid.uuid4().hex,
            intents=int(data.get("intents") or 0),
            identify=data,
            shard_id=shard_id,
            shard_count=shard_count,
        )
        self.sessions[session.session_id] = session
        self.identify_count += 1
        self.last_identify = data
        if shard_count != self.shard_count:
            self.shard_count = shard_count
            for stale in [i for i, s in self.shards.items() if s.shard_count != shard_count]:
                del self.shards[stale]
        previous = self.shards.get(shard_id)
        self.session = session
        self.shards[shard_id] = session
        session.connection = conn
        conn.session = session
        if previous is not None and previous.connection not in (None, conn):
            log.info("fake gateway: a new IDENTIFY replaced session %s", previous.session_id)
        mine = [g for g in list(self.world.guilds.values()) if self.shard_of(g.id) == shard_id]
        self.dispatch("READY", self._ready_payload(session, data, mine), session=session)
        with_members = bool(session.intents & INTENT_GUILD_MEMBERS)
        for guild in mine:
            self.dispatch(
                "GUILD_CREATE", guild.to_gateway_payload(with_members=with_members), session=session
            )
        await conn.drained()
        session.ready_sent = True
        self.changed.notify()

    def _ready_payload(self, session: Session, data: JSON, guilds: list[Any]) -> JSON:
        user = self.world.bot_user.to_payload()
        user.update({"verified": True, "mfa_enabled": False, "email": None, "bot": True})
        ready: JSON = {
            "v": 10,
            "user": user,
            "user_settings": {},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self._url(),
            "application": {"id": str(self.world.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["fake"],
            "_trace": ["fake-discord"],
        }
        if data.get("shard") is not None:
            ready["shard"] = data["shard"]
        return ready

    async def _resume(self, conn: Connection, data: JSON) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or session.invalidated or data.get("token") != self.token:
            conn.send({"op": OP_INVALID_SESSION, "d": False})
            return
        old = session.connection
        session.connection = conn
        conn.session = session
        if old is not None and old is not conn:
            await old.close(4000, "Session resumed elsewhere")
        self.session = session
        if session.shard_count == self.shard_count:
            self.shards[session.shard_id] = session
        self.resume_count += 1
        last = int(data.get("seq") or 0)
        for payload in session.events:
            if payload["s"] > last:
                conn.send(payload)
        conn.send({"op": OP_DISPATCH, "t": "RESUMED", "s": session.next_seq(), "d": {}})
        session.events.append({"op": OP_DISPATCH, "t": "RESUMED", "s": session.seq, "d": {}})
        await conn.drained()
        session.ready_sent = True
        self.changed.notify()

    def _request_members(self, session: Session, data: JSON) -> None:
        if not session.intents & INTENT_GUILD_MEMBERS:
            self._violation(
                "gateway: REQUEST_GUILD_MEMBERS without the GUILD_MEMBERS intent "
                "(Discord closes the connection with 4013/denies it)"
            )
        guild_ids = data.get("guild_id")
        for gid in guild_ids if isinstance(guild_ids, list) else [guild_ids]:
            guild = self.world.guilds.get(int(str(gid)))
            if guild is None:
                continue
            members = list(guild.members.values())
            not_found: list[str] = []
            user_ids = data.get("user_ids")
            if user_ids is not None:
                wanted = [int(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])]
                members = [m for m in members if m.id in wanted]
                found = {m.id for m in members}
                not_found = [str(u) for u in wanted if u not in found]
            else:
                query = str(data.get("query") or "").lower()
                if query:
                    members = [
                        m
                        for m in members
                        if m.name.lower().startswith(query)
                        or (m.nick or "").lower().startswith(query)
                    ]
                limit = int(data.get("limit") or 0)
                if limit:
                    members = members[:limit]
            chunk: JSON = {
                "guild_id": str(guild.id),
                "members": [m.to_payload() for m in members],
                "chunk_index": 0,
                "chunk_count": 1,
                "not_found": not_found,
            }
            if data.get("presences"):
                chunk["presences"] = []
            if data.get("nonce") is not None:
                chunk["nonce"] = data["nonce"]
            self.dispatch("GUILD_MEMBERS_CHUNK", chunk, session=session)
