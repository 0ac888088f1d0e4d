"""Interaction callback and interaction-webhook routes (@original, followups)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from . import errors, limits
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE_MESSAGE,
    MODAL,
    UPDATE_MESSAGE,
    VALID_CALLBACKS,
    InteractionRecord,
)
from .mentions import WEBHOOK_DEFAULT_PARSE
from .messaging import create_message, delete_message, edit_message
from .server import ApiRequest, Reply, RouteDef
from .state import JSON, MESSAGE_FLAG_EPHEMERAL, Message

if TYPE_CHECKING:
    from .api import FakeDiscord

CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"
WEBHOOK = "/webhooks/{webhook_id}/{webhook_token}"
ORIGINAL = "/webhooks/{webhook_id}/{webhook_token}/messages/@original"
WEBHOOK_MESSAGE = "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"

CALLBACK_NAMES = {
    1: "PONG",
    4: "CHANNEL_MESSAGE_WITH_SOURCE",
    5: "DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE",
    6: "DEFERRED_UPDATE_MESSAGE",
    7: "UPDATE_MESSAGE",
    8: "APPLICATION_COMMAND_AUTOCOMPLETE_RESULT",
    9: "MODAL",
}


def _message_limits(req: ApiRequest) -> list[limits.LimitError]:
    return limits.check_message(req.json, attachments_count=len(req.files))


def _callback_limits(req: ApiRequest) -> list[limits.LimitError]:
    return limits.check_interaction_callback(req.json)


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


class InteractionRoutes:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.world = fake.world

    def routes(self) -> list[RouteDef]:
        return [
            RouteDef("POST", CALLBACK, self.callback, auth=False, validate=_callback_limits),
            RouteDef("GET", ORIGINAL, self.get_original, auth=False),
            RouteDef("PATCH", ORIGINAL, self.edit_original, auth=False, validate=_message_limits),
            RouteDef("DELETE", ORIGINAL, self.delete_original, auth=False),
            RouteDef("POST", WEBHOOK, self.followup, auth=False, validate=_message_limits),
            RouteDef("GET", WEBHOOK_MESSAGE, self.get_message, auth=False),
            RouteDef(
                "PATCH", WEBHOOK_MESSAGE, self.edit_message, auth=False, validate=_message_limits
            ),
            RouteDef("DELETE", WEBHOOK_MESSAGE, self.delete_message, auth=False),
        ]

    # ----------------------------------------------------------------- helpers
    def _describe(self, record: InteractionRecord) -> str:
        what = record.command_name or {3: "component", 5: "modal submit"}.get(record.type, "?")
        return f"interaction {record.id} ({what})"

    def _metadata(self, record: InteractionRecord, *, original_id: int | None = None) -> JSON:
        meta: JSON = {
            "id": str(record.id),
            "type": record.type,
            "user": record.user.to_payload(),
            "authorizing_integration_owners": record.payload.get(
                "authorizing_integration_owners", {}
            ),
        }
        if record.command_name:
            meta["name"] = record.command_name
        if record.source_message is not None:
            meta["interacted_message_id"] = str(record.source_message.id)
        if original_id is not None:
            meta["original_response_message_id"] = str(original_id)
        return meta

    def _new_message(
        self,
        record: InteractionRecord,
        req: ApiRequest,
        body: JSON,
        *,
        loading: bool = False,
        original_id: int | None = None,
    ) -> Message:
        return create_message(
            self.world,
            record.channel,
            body,
            req.files,
            default_parse=WEBHOOK_DEFAULT_PARSE,
            allow_ephemeral=True,
            loading=loading,
            message_type=20 if record.type == APPLICATION_COMMAND else 0,
            webhook_id=self.world.application_id,
            interaction_metadata=self._metadata(record, original_id=original_id),
        )

    def _record_for_webhook(self, req: ApiRequest) -> InteractionRecord:
        record = self.fake.interaction_by_token(req.params["webhook_token"])
        if record is None or req.params["webhook_id"] != str(self.world.application_id):
            raise errors.unknown_webhook()
        if record.expired:
            raise errors.invalid_webhook_token()
        return record

    def _owned_message(self, record: InteractionRecord, req: ApiRequest) -> Message:
        message_id = req.param("message_id")
        for message in [record.original, *record.followups]:
            if message is not None and message.id == message_id and not message.deleted:
                return message
        raise errors.unknown_message()

    # ---------------------------------------------------------------- callback
    async def callback(self, req: ApiRequest) -> Reply:
        record = self.fake.interactions.get(req.param("interaction_id"))
        if record is None or record.token != req.params["interaction_token"]:
            raise errors.unknown_interaction()
        body = req.body()
        kind = body.get("type")
        name = CALLBACK_NAMES.get(kind if isinstance(kind, int) else -1, str(kind))
        where = f"POST {CALLBACK}"
        if record.acknowledged:
            raise errors.already_acknowledged(
                violation=f"{where}: second initial response ({name}) to {self._describe(record)}"
            )
        elapsed = asyncio.get_running_loop().time() - record.dispatched_at
        if elapsed > self.fake.interaction_deadline:
            record.late = True
            record.changed.notify()
            raise errors.unknown_interaction(
                violation=(
                    f"{where}: initial response ({name}) {elapsed:.2f}s after dispatch, past the "
                    f"{self.fake.interaction_deadline:.1f}s deadline, for {self._describe(record)}"
                )
            )
        if kind not in VALID_CALLBACKS.get(record.type, frozenset()):
            raise errors.invalid_form(
                {
                    "type": {
                        "_errors": [
                            {
                                "code": "INTERACTION_RESPONSE_TYPE_INVALID",
                                "message": f"{name} is not valid here",
                            }
                        ]
                    }
                },
                violation=f"{where}: callback {name} is not valid for {self._describe(record)}",
            )
        data: JSON = body.get("data") or {}
        message: Message | None = None
        if kind == CHANNEL_MESSAGE:
            if limits.is_empty_message(data, files=len(req.files)):
                raise errors.empty_message(violation=f"{where}: empty response message")
            message = self._new_message(record, req, data)
            record.original = message
        elif kind == DEFERRED_CHANNEL_MESSAGE:
            flags = int(data.get("flags") or 0) & MESSAGE_FLAG_EPHEMERAL
            message = self._new_message(record, req, {"flags": flags}, loading=True)
            record.original = message
        elif kind == DEFERRED_UPDATE_MESSAGE:
            record.original = record.source_message
        elif kind == UPDATE_MESSAGE:
            if record.source_message is None:
                raise errors.invalid_form(
                    {
                        "type": {
                            "_errors": [
                                {
                                    "code": "INTERACTION_RESPONSE_TYPE_INVALID",
                                    "message": "No message to update",
                                }
                            ]
                        }
                    },
                    violation=f"{where}: UPDATE_MESSAGE for {self._describe(record)} "
                    "which has no message",
                )
            message = edit_message(
                self.world,
                record.source_message,
                data,
                req.files,
                default_parse=WEBHOOK_DEFAULT_PARSE,
            )
            record.original = message
        elif kind == MODAL:
            self.fake.modals.append((record, data))
        record.response_type = kind
        record.response_data = data
        record.acknowledged = True
        record.changed.notify()
        self.world.changed.notify()
        if not _truthy(req.query.get("with_response")):
            return Reply(204)
        return Reply(200, self._callback_response(record, kind, message))

    def _callback_response(
        self, record: InteractionRecord, kind: int, message: Message | None
    ) -> JSON:
        info: JSON = {"id": str(record.id), "type": record.type}
        result: JSON = {"interaction": info}
        if message is not None:
            info["response_message_id"] = str(message.id)
            info["response_message_loading"] = kind == DEFERRED_CHANNEL_MESSAGE
            info["response_message_ephemeral"] = message.ephemeral
            result["resource"] = {"type": kind, "message": message.to_payload()}
        elif kind in (AUTOCOMPLETE_RESULT, MODAL, DEFERRED_UPDATE_MESSAGE):
            info["response_message_loading"] = False
            info["response_message_ephemeral"] = False
        return result

    # --------------------------------------------------------------- @original
    def _original(self, record: InteractionRecord) -> Message:
        if not record.acknowledged or record.original is None or record.original.deleted:
            raise errors.unknown_message()
        return record.original

    async def get_original(self, req: ApiRequest) -> Reply:
        record = self._record_for_webhook(req)
        return Reply(200, self._original(record).to_payload())

    async def edit_original(self, req: ApiRequest) -> Reply:
        record = self._record_for_webhook(req)
        if not record.acknowledged:
            raise errors.unknown_message()
        message = edit_message(
            self.world,
            self._original(record),
            req.body(),
            req.files,
            default_parse=WEBHOOK_DEFAULT_PARSE,
        )
        if record.final is None and record.response_type in (
            DEFERRED_CHANNEL_MESSAGE,
            DEFERRED_UPDATE_MESSAGE,
        ):
            record.final = message
        record.changed.notify()
        return Reply(200, message.to_payload())

    async def delete_original(self, req: ApiRequest) -> Reply:
        record = self._record_for_webhook(req)
        delete_message(self.world, self._original(record))
        record.changed.notify()
        return Reply(204)

    # --------------------------------------------------------------- followups
    async def followup(self, req: ApiRequest) -> Reply:
        record = self._record_for_webhook(req)
        body = req.body()
        if not record.acknowledged:
            raise errors.unknown_webhook()
        if limits.is_empty_message(body, files=len(req.files)):
            raise errors.empty_message(violation=f"POST {WEBHOOK}: empty followup message")
        original = record.original
        if (
            record.response_type == DEFERRED_CHANNEL_MESSAGE
            and original is not None
            and original.loading
        ):
            # Discord: the first followup after a deferred response edits the loading message
            # (keeping its ephemeral state) instead of creating a new one.
            message = edit_message(
                self.world, original, body, req.files, default_parse=WEBHOOK_DEFAULT_PARSE
            )
        else:
            message = self._new_message(
                record, req, body, original_id=original.id if original else None
            )
            record.followups.append(message)
        if record.final is None and record.response_type in (
            DEFERRED_CHANNEL_MESSAGE,
            DEFERRED_UPDATE_MESSAGE,
        ):
            record.final = message
        record.changed.notify()
        return Reply(200, message.to_payload())

    async def get_message(self, req: ApiRequest) -> Reply:
        record = self._record_for_webhook(req)
        return Reply(200, self._owned_message(record, req).to_payload())

    async def edit_message(self, req: ApiRequest) -> Reply:
        record = self._record_for_webhook(req)
        message = edit_message(
            self.world,
            self._owned_message(record, req),
            req.body(),
            req.files,
            default_parse=WEBHOOK_DEFAULT_PARSE,
        )
        if record.final is None and record.response_type in (5, 6):
            record.final = message
        record.changed.notify()
        return Reply(200, message.to_payload())

    async def delete_message(self, req: ApiRequest) -> Reply:
        record = self._record_for_webhook(req)
        delete_message(self.world, self._owned_message(record, req))
        record.changed.notify()
        return Reply(204)
