"""Who a message would actually ping, following Discord's allowed_mentions semantics."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

USER_MENTION = re.compile(r"<@!?(\d{15,21})>")
ROLE_MENTION = re.compile(r"<@&(\d{15,21})>")
EVERYONE_MENTION = re.compile(r"@(everyone|here)\b")

#: Regular bot messages ping everything that appears in the content.
CHANNEL_DEFAULT_PARSE = frozenset({"users", "roles", "everyone"})
#: Interaction responses and webhook messages only ping users unless told otherwise.
WEBHOOK_DEFAULT_PARSE = frozenset({"users"})


@dataclass
class Pings:
    users: list[int] = field(default_factory=list)
    roles: list[int] = field(default_factory=list)
    everyone: bool = False
    #: Everything written in the content, pinged or not.
    mentioned_users: list[int] = field(default_factory=list)
    mentioned_roles: list[int] = field(default_factory=list)
    mentioned_everyone: bool = False


def parse_content(content: str) -> tuple[list[int], list[int], bool]:
    """User ids, role ids (in order, de-duplicated) and whether @everyone/@here appears."""
    users = list(dict.fromkeys(int(m) for m in USER_MENTION.findall(content)))
    roles = list(dict.fromkeys(int(m) for m in ROLE_MENTION.findall(content)))
    return users, roles, EVERYONE_MENTION.search(content) is not None


def _ids(values: Iterable[Any] | None) -> set[int] | None:
    if values is None:
        return None
    return {int(v) for v in values if v is not None}


def compute_pings(
    content: str,
    allowed_mentions: Mapping[str, Any] | None,
    *,
    default_parse: frozenset[str],
    role_is_mentionable: Callable[[int], bool],
    can_mention_everyone: bool,
    replied_user_id: int | None = None,
    in_guild: bool = True,
) -> Pings:
    """Apply Discord's rules to `content` and the request's `allowed_mentions`.

    * Without `allowed_mentions`, `default_parse` applies and a replied-to author is pinged.
    * With it, only `parse` types, or ids listed in `users` / `roles`, are pinged (ids must also
      appear in the content); `replied_user` defaults to false.
    * Roles ping only if mentionable or the bot may mention everyone; @everyone/@here only with
      MENTION_EVERYONE. No role/everyone pings outside guilds.
    """
    users, roles, everyone = parse_content(content)
    if allowed_mentions is None:
        parse: set[str] = set(default_parse)
        allowed_users: set[int] | None = None
        allowed_roles: set[int] | None = None
        replied = True
    else:
        parse = {str(p) for p in (allowed_mentions.get("parse") or []) if p is not None}
        allowed_users = _ids(allowed_mentions.get("users"))
        allowed_roles = _ids(allowed_mentions.get("roles"))
        replied = bool(allowed_mentions.get("replied_user") or False)

    result = Pings(mentioned_users=users, mentioned_roles=roles, mentioned_everyone=everyone)
    for uid in users:
        if "users" in parse or (allowed_users is not None and uid in allowed_users):
            result.users.append(uid)
    if in_guild:
        for rid in roles:
            allowed = "roles" in parse or (allowed_roles is not None and rid in allowed_roles)
            if allowed and (role_is_mentionable(rid) or can_mention_everyone):
                result.roles.append(rid)
        result.everyone = everyone and "everyone" in parse and can_mention_everyone
    if replied_user_id is not None and replied and replied_user_id not in result.users:
        result.users.append(replied_user_id)
    return result
