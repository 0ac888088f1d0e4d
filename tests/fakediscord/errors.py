"""Discord JSON error responses (status, numeric code, message) raised by route handlers."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """Raised by a handler; rendered as Discord's `{"code", "message"[, "errors"]}` body.

    `violation`, when set, is also appended to `FakeDiscord.violations` (the bot did something
    a real Discord would reject, as opposed to an expected error like a closed DM).
    """

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        errors: dict[str, Any] | None = None,
        violation: str | None = None,
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.violation = violation

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def unknown_guild() -> ApiError:
    return ApiError(404, 10004, "Unknown Guild")


def unknown_channel() -> ApiError:
    return ApiError(404, 10003, "Unknown Channel")


def unknown_member() -> ApiError:
    return ApiError(404, 10007, "Unknown Member")


def unknown_message() -> ApiError:
    return ApiError(404, 10008, "Unknown Message")


def unknown_role() -> ApiError:
    return ApiError(404, 10011, "Unknown Role")


def unknown_user() -> ApiError:
    return ApiError(404, 10013, "Unknown User")


def unknown_webhook() -> ApiError:
    return ApiError(404, 10015, "Unknown Webhook")


def unknown_interaction(violation: str | None = None) -> ApiError:
    return ApiError(404, 10062, "Unknown interaction", violation=violation)


def unknown_command() -> ApiError:
    return ApiError(404, 10063, "Unknown application command")


def missing_access(violation: str | None = None) -> ApiError:
    return ApiError(403, 50001, "Missing Access", violation=violation)


def missing_permissions(violation: str | None = None) -> ApiError:
    return ApiError(403, 50013, "Missing Permissions", violation=violation)


def cannot_dm() -> ApiError:
    return ApiError(403, 50007, "Cannot send messages to this user")


def empty_message(violation: str | None = None) -> ApiError:
    return ApiError(400, 50006, "Cannot send an empty message", violation=violation)


def invalid_form(errors: dict[str, Any], violation: str | None = None) -> ApiError:
    return ApiError(400, 50035, "Invalid Form Body", errors=errors, violation=violation)


def already_acknowledged(violation: str | None = None) -> ApiError:
    return ApiError(400, 40060, "Interaction has already been acknowledged.", violation=violation)


def thread_archived(violation: str | None = None) -> ApiError:
    return ApiError(400, 50083, "Thread is archived", violation=violation)


def invalid_webhook_token() -> ApiError:
    return ApiError(401, 50027, "Invalid Webhook Token")


def invalid_channel_type(violation: str | None = None) -> ApiError:
    return ApiError(400, 50024, "Cannot execute action on this channel type", violation=violation)
