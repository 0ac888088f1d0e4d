"""Guild, member and role routes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import errors, perms
from .server import ApiRequest, Reply, RouteDef
from .state import INTENT_GUILD_MEMBERS, Guild, Member, Role

if TYPE_CHECKING:
    from .api import FakeDiscord

GUILD = "/guilds/{guild_id}"
CHANNELS = "/guilds/{guild_id}/channels"
ROLES = "/guilds/{guild_id}/roles"
MEMBERS = "/guilds/{guild_id}/members"
MEMBER = "/guilds/{guild_id}/members/{user_id}"
MEMBER_ROLE = "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"
ACTIVE_THREADS = "/guilds/{guild_id}/threads/active"


class GuildRoutes:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.world = fake.world

    def routes(self) -> list[RouteDef]:
        return [
            RouteDef("GET", GUILD, self.get_guild),
            RouteDef("GET", CHANNELS, self.list_channels),
            RouteDef("GET", ROLES, self.list_roles),
            RouteDef("GET", MEMBERS, self.list_members),
            RouteDef("GET", MEMBER, self.get_member),
            RouteDef("PATCH", MEMBER, self.modify_member),
            RouteDef("PUT", MEMBER_ROLE, self.add_role),
            RouteDef("DELETE", MEMBER_ROLE, self.remove_role),
            RouteDef("GET", ACTIVE_THREADS, self.active_threads),
        ]

    # ----------------------------------------------------------------- helpers
    def _guild(self, req: ApiRequest) -> Guild:
        guild = self.world.guilds.get(req.param("guild_id"))
        if guild is None:
            raise errors.unknown_guild()
        return guild

    def _member(self, guild: Guild, req: ApiRequest) -> Member:
        raw = req.params["user_id"]
        user_id = self.world.bot_user.id if raw == "@me" else req.param("user_id")
        member = guild.members.get(user_id)
        if member is None:
            raise errors.unknown_member()
        return member

    def _role(self, guild: Guild, req: ApiRequest) -> Role:
        role = guild.get_role(req.param("role_id"))
        if role is None:
            raise errors.unknown_role()
        return role

    def _check_role_manageable(self, guild: Guild, role: Role) -> None:
        """MANAGE_ROLES plus hierarchy: the bot can only manage roles below its top role."""
        bot = guild.bot_member
        if not perms.has(guild.bot_permissions, perms.MANAGE_ROLES):
            raise errors.ApiError(403, 50013, "Missing Permissions (manage_roles)")
        if role.managed or role.is_everyone:
            raise errors.ApiError(
                403, 50013, f"Missing Permissions (role {role.name!r} is managed)"
            )
        if guild.owner_id != bot.id and role.position >= guild.top_role_position(bot):
            raise errors.ApiError(
                403, 50013, f"Missing Permissions (role {role.name!r} is above the bot's top role)"
            )

    # ------------------------------------------------------------------ routes
    async def get_guild(self, req: ApiRequest) -> Reply:
        guild = self._guild(req)
        payload = guild.to_payload()
        if req.query.get("with_counts", "").lower() in ("1", "true"):
            payload["approximate_member_count"] = len(guild.members)
            payload["approximate_presence_count"] = 0
        return Reply(200, payload)

    async def list_channels(self, req: ApiRequest) -> Reply:
        guild = self._guild(req)
        return Reply(200, [c.to_payload() for c in guild.channels if not c.deleted])

    async def list_roles(self, req: ApiRequest) -> Reply:
        guild = self._guild(req)
        return Reply(200, [r.to_payload() for r in guild.roles])

    async def list_members(self, req: ApiRequest) -> Reply:
        guild = self._guild(req)
        identify = self.fake.gateway.last_identify
        if identify is not None and not int(identify.get("intents") or 0) & INTENT_GUILD_MEMBERS:
            raise errors.missing_access(
                violation=f"GET {MEMBERS}: listing members requires the GUILD_MEMBERS intent"
            )
        limit = max(1, min(1000, int(req.query.get("limit", "1"))))
        after = int(req.query.get("after", "0"))
        members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)
        return Reply(200, [m.to_payload() for m in members[:limit]])

    async def get_member(self, req: ApiRequest) -> Reply:
        guild = self._guild(req)
        return Reply(200, self._member(guild, req).to_payload())

    async def modify_member(self, req: ApiRequest) -> Reply:
        guild = self._guild(req)
        member = self._member(guild, req)
        body = req.body()
        is_self = member.id == self.world.bot_user.id
        if "nick" in body:
            needed = perms.FLAGS["change_nickname"] if is_self else perms.MANAGE_NICKNAMES
            if not perms.has(guild.bot_permissions, needed):
                raise errors.ApiError(403, 50013, "Missing Permissions (nickname)")
            if member.id == guild.owner_id and not is_self:
                raise errors.ApiError(403, 50013, "Missing Permissions (cannot edit the owner)")
            member.nick = body["nick"] or None
        if "roles" in body and body["roles"] is not None:
            wanted: list[Role] = []
            for rid in body["roles"]:
                role = guild.get_role(int(rid))
                if role is None:
                    raise errors.unknown_role()
                wanted.append(role)
            for role in set(wanted) ^ {r for r in member.roles if not r.is_everyone}:
                self._check_role_manageable(guild, role)
            managed = [r for r in member.roles if r.managed]
            member.roles = managed + [r for r in wanted if not r.managed]
        guild.emit_member_update(member)
        return Reply(200, member.to_payload())

    async def add_role(self, req: ApiRequest) -> Reply:
        guild = self._guild(req)
        member = self._member(guild, req)
        role = self._role(guild, req)
        self._check_role_manageable(guild, role)
        if role not in member.roles:
            member.roles.append(role)
            guild.emit_member_update(member)
        return Reply(204)

    async def remove_role(self, req: ApiRequest) -> Reply:
        guild = self._guild(req)
        member = self._member(guild, req)
        role = self._role(guild, req)
        self._check_role_manageable(guild, role)
        if role in member.roles:
            member.roles.remove(role)
            guild.emit_member_update(member)
        return Reply(204)

    async def active_threads(self, req: ApiRequest) -> Reply:
        guild = self._guild(req)
        bot_id = self.world.bot_user.id
        threads = [t for t in guild.threads if not t.archived and not t.deleted]
        return Reply(
            200,
            {
                "threads": [t.to_payload() for t in threads],
                "members": [
                    t.thread_member_payload(bot_id) for t in threads if bot_id in t.thread_members
                ],
            },
        )
