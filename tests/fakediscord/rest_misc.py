"""Users, DMs, application info and gateway discovery routes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import errors
from .server import ApiRequest, Reply, RouteDef
from .state import JSON

if TYPE_CHECKING:
    from .api import FakeDiscord


class MiscRoutes:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.world = fake.world

    def routes(self) -> list[RouteDef]:
        return [
            RouteDef("GET", "/users/@me", self.get_me),
            RouteDef("GET", "/users/{user_id}", self.get_user),
            RouteDef("POST", "/users/@me/channels", self.open_dm),
            RouteDef("GET", "/applications/@me", self.get_application),
            RouteDef("GET", "/oauth2/applications/@me", self.get_application),
            RouteDef("GET", "/gateway", self.get_gateway, auth=False),
            RouteDef("GET", "/gateway/bot", self.get_gateway_bot),
        ]

    def _me(self) -> JSON:
        payload = self.world.bot_user.to_payload()
        payload.update(
            {"bot": True, "verified": True, "mfa_enabled": False, "email": None, "locale": "en-US"}
        )
        return payload

    async def get_me(self, req: ApiRequest) -> Reply:
        return Reply(200, self._me())

    async def get_user(self, req: ApiRequest) -> Reply:
        user = self.world.users.get(req.param("user_id"))
        if user is None:
            raise errors.unknown_user()
        return Reply(200, user.to_payload())

    async def open_dm(self, req: ApiRequest) -> Reply:
        raw = req.body().get("recipient_id")
        try:
            user = self.world.users.get(int(str(raw)))
        except ValueError:
            user = None
        if user is None:
            raise errors.invalid_form(
                {"recipient_id": {"_errors": [{"code": "USER_UNKNOWN", "message": "Unknown user"}]}}
            )
        return Reply(200, self.world.dm_channel(user).to_payload())

    async def get_application(self, req: ApiRequest) -> Reply:
        bot = self.world.bot_user
        owner = self.fake.application_owner
        return Reply(
            200,
            {
                "id": str(self.world.application_id),
                "name": bot.username,
                "icon": None,
                "description": "Nexus (fake)",
                "summary": "",
                "type": None,
                "bot_public": False,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": 0,
                "owner": owner.to_payload(),
                "team": None,
                "bot": self._me(),
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "tags": [],
                "approximate_guild_count": len(self.world.guilds),
            },
        )

    async def get_gateway(self, req: ApiRequest) -> Reply:
        return Reply(200, {"url": self.fake.gateway_url.rstrip("/")})

    async def get_gateway_bot(self, req: ApiRequest) -> Reply:
        return Reply(
            200,
            {
                "url": self.fake.gateway_url.rstrip("/"),
                "shards": self.fake.gateway.recommended_shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 14_400_000,
                    "max_concurrency": 1,
                },
            },
        )
