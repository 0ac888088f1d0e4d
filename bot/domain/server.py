"""A server's Nexus settings as `/nexus setup`, `/nexus settings` and `/nexus show` display them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServerSettings:
    guild_id: int
    channel_id: int
    mod_log_channel_id: int | None
    backend_role_id: int | None
    frontend_role_id: int | None
    learner_role_id: int | None
    moderator_role_id: int | None
    timezone: str
    allow_custom_projects: bool
    max_partners: int
    request_expiry_hours: int
    reminder_grace_hours: int
