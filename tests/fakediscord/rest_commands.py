"""Application command registration (global and per guild)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import errors, limits
from .server import ApiRequest, Reply, RouteDef
from .state import JSON

if TYPE_CHECKING:
    from .api import FakeDiscord

GLOBAL = "/applications/{application_id}/commands"
GLOBAL_ONE = "/applications/{application_id}/commands/{command_id}"
GUILD = "/applications/{application_id}/guilds/{guild_id}/commands"
GUILD_ONE = "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}"


def _list_limits(req: ApiRequest) -> list[limits.LimitError]:
    return limits.check_command_list(req.json)


def _one_limits(req: ApiRequest) -> list[limits.LimitError]:
    return limits.check_command(req.json)


def _patch_limits(req: ApiRequest) -> list[limits.LimitError]:
    body = req.body()
    if "name" in body or "options" in body:
        return limits.check_command({"type": 1, "description": "x", **body})
    return []


class CommandRoutes:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.world = fake.world

    def routes(self) -> list[RouteDef]:
        return [
            RouteDef("GET", GLOBAL, self.list),
            RouteDef("PUT", GLOBAL, self.overwrite, validate=_list_limits),
            RouteDef("POST", GLOBAL, self.create, validate=_one_limits),
            RouteDef("GET", GLOBAL_ONE, self.get),
            RouteDef("PATCH", GLOBAL_ONE, self.edit, validate=_patch_limits),
            RouteDef("DELETE", GLOBAL_ONE, self.delete),
            RouteDef("GET", GUILD, self.list),
            RouteDef("PUT", GUILD, self.overwrite, validate=_list_limits),
            RouteDef("POST", GUILD, self.create, validate=_one_limits),
            RouteDef("GET", GUILD_ONE, self.get),
            RouteDef("PATCH", GUILD_ONE, self.edit, validate=_patch_limits),
            RouteDef("DELETE", GUILD_ONE, self.delete),
        ]

    def _scope(self, req: ApiRequest) -> tuple[int | None, dict[int, JSON]]:
        if req.params["application_id"] != str(self.world.application_id):
            raise errors.missing_access(
                violation=f"{req.method} {req.template}: wrong application id "
                f"{req.params['application_id']} (expected {self.world.application_id})"
            )
        guild_id: int | None = None
        if "guild_id" in req.params:
            guild_id = req.param("guild_id")
            if guild_id not in self.world.guilds:
                raise errors.missing_access()
        return guild_id, self.world.commands.setdefault(guild_id, {})

    def _stored(self, body: dict[str, Any], guild_id: int | None, command_id: int) -> JSON:
        kind = int(body.get("type") or 1)
        perms = body.get("default_member_permissions")
        payload: JSON = {
            "id": str(command_id),
            "application_id": str(self.world.application_id),
            "version": str(self.world.ids.next()),
            "type": kind,
            "name": body["name"],
            "name_localizations": body.get("name_localizations"),
            "description": body.get("description") or "",
            "description_localizations": body.get("description_localizations"),
            "options": body.get("options") or [],
            "default_member_permissions": None if perms is None else str(perms),
            "dm_permission": body.get("dm_permission", True),
            "contexts": body.get("contexts"),
            "integration_types": body.get("integration_types") or [0],
            "nsfw": bool(body.get("nsfw") or False),
        }
        if guild_id is not None:
            payload["guild_id"] = str(guild_id)
        return payload

    def _find(self, store: dict[int, JSON], body: dict[str, Any]) -> int | None:
        kind = int(body.get("type") or 1)
        for cid, cmd in store.items():
            if cmd["name"] == body.get("name") and cmd["type"] == kind:
                return cid
        return None

    def _changed(self) -> None:
        self.world.changed.notify()

    async def list(self, req: ApiRequest) -> Reply:
        _, store = self._scope(req)
        return Reply(200, list(store.values()))

    async def overwrite(self, req: ApiRequest) -> Reply:
        guild_id, store = self._scope(req)
        new: dict[int, JSON] = {}
        for body in req.json or []:
            cid = self._find(store, body) or self.world.ids.next()
            new[cid] = self._stored(body, guild_id, cid)
        store.clear()
        store.update(new)
        self._changed()
        return Reply(200, list(store.values()))

    async def create(self, req: ApiRequest) -> Reply:
        guild_id, store = self._scope(req)
        body = req.body()
        existing = self._find(store, body)
        cid = existing or self.world.ids.next()
        if existing is None:
            same_type = [c for c in store.values() if c["type"] == int(body.get("type") or 1)]
            if len(same_type) >= limits.CHAT_INPUT_COMMANDS_MAX:
                raise errors.ApiError(
                    400,
                    30032,
                    "Maximum number of application commands reached (100)",
                    violation=f"POST {req.template}: more than 100 commands",
                )
        store[cid] = self._stored(body, guild_id, cid)
        self._changed()
        return Reply(200 if existing else 201, store[cid])

    def _command(self, store: dict[int, JSON], req: ApiRequest) -> JSON:
        command = store.get(req.param("command_id"))
        if command is None:
            raise errors.unknown_command()
        return command

    async def get(self, req: ApiRequest) -> Reply:
        _, store = self._scope(req)
        return Reply(200, self._command(store, req))

    async def edit(self, req: ApiRequest) -> Reply:
        guild_id, store = self._scope(req)
        command = self._command(store, req)
        merged = {**command, **req.body()}
        store[int(command["id"])] = self._stored(merged, guild_id, int(command["id"]))
        self._changed()
        return Reply(200, store[int(command["id"])])

    async def delete(self, req: ApiRequest) -> Reply:
        _, store = self._scope(req)
        command = self._command(store, req)
        del store[int(command["id"])]
        self._changed()
        return Reply(204)
