"""What a learner tells Nexus about themselves, validated: role, summary, repository link."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from bot.domain.roles import ROLES
from bot.domain.timezones import normalize_timezone
from bot.errors import InvalidInput

SUMMARY_MAX = 300
REPO_MAX = 200
# Typing this for `summary` or `repo` on a re-announce clears the earlier value.
CLEAR = "-"
# Characters that would let a link break out of an embed's markdown, or are never in a real URL.
_URL_FORBIDDEN = set(" \t\r\n<>\"'`{}|\\^[]()*")


def clean_role(role: str) -> str:
    value = role.strip().lower()
    if value not in ROLES:
        raise InvalidInput("Your role must be `backend` or `frontend`.")
    return value


def clean_summary(text: str | None) -> str | None:
    """One paragraph of at most 300 characters; `None` when left out."""
    if text is None:
        return None
    value = " ".join(text.split())
    if not value:
        return None
    if len(value) > SUMMARY_MAX:
        raise InvalidInput(
            f"Your summary is {len(value)} characters long; please keep it to {SUMMARY_MAX}."
        )
    return value


def clean_repo(text: str | None) -> str | None:
    """An https link of at most 200 characters, without credentials; `None` when left out."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    example = "e.g. `https://github.com/you/your-project`"
    if len(value) > REPO_MAX:
        raise InvalidInput(
            f"Your repo link is longer than {REPO_MAX} characters. Use a shorter link, {example}."
        )
    parts = urlsplit(value)
    host = parts.hostname or ""
    if (
        parts.scheme.lower() != "https"
        or "." not in host
        or "@" in parts.netloc
        or any(c in _URL_FORBIDDEN for c in value)
    ):
        raise InvalidInput(f"Your repo must be a plain `https://` link, {example}.")
    return value


@dataclass(frozen=True)
class ProfileChanges:
    """A validated `/announce-project`. `None` keeps the earlier value; `""` clears it."""

    project_text: str
    role: str
    summary: str | None = None
    repo: str | None = None
    timezone: str | None = None


def profile_changes(
    project: str,
    role: str,
    summary: str | None,
    repo: str | None,
    timezone: str | None,
) -> ProfileChanges:
    """Validate every option before anything is stored (`-` clears summary or repo).

    A refused option raises `InvalidInput` whose `field` names it, so the learner can be
    offered a form with what they typed, the refused field marked for correction.
    """
    project_text = " ".join(project.split())
    if not project_text:
        raise _refused(
            "project",
            InvalidInput("Tell me which project you are building (pick one from the list)."),
        )
    return ProfileChanges(
        project_text=project_text[:200],
        role=_checked("role", clean_role, role),
        summary=""
        if summary is not None and summary.strip() == CLEAR
        else _checked("summary", clean_summary, summary),
        repo=""
        if repo is not None and repo.strip() == CLEAR
        else _checked("repo", clean_repo, repo),
        timezone=_checked("timezone", normalize_timezone, timezone)
        if timezone and timezone.strip()
        else None,
    )


def _refused(option: str, error: InvalidInput) -> InvalidInput:
    error.field = option
    return error


def _checked(option: str, clean: Callable[[Any], Any], value: Any) -> Any:
    try:
        return clean(value)
    except InvalidInput as error:
        raise _refused(option, error) from None


@dataclass(frozen=True)
class AnnounceDraft:
    """What a learner typed into `/announce-project` (or its form), kept to offer it again."""

    guild_id: int
    user_id: int
    project: str = ""
    role: str = ""
    summary: str = ""
    repo: str = ""
    timezone: str = ""
    refused: str | None = None  # the field to correct, when this draft was refused


def is_looking(active_pairings: int, max_partners: int) -> bool:
    """A learner still looks for a partner while they have room for one more."""
    return active_pairings < max_partners


def json_value(value: object) -> object:
    """A value made JSON-friendly for data exports (datetimes as ISO 8601 UTC)."""
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class ProjectTitles:
    """How a project is shown: its name and the title each track uses."""

    name: str
    backend_title: str | None
    frontend_title: str | None
    custom: bool = False


class Person(NamedTuple):
    user_id: int
    display_name: str


@dataclass(frozen=True)
class Announcement:
    """Everything the announcement post and the profile card show about one learner."""

    learner_id: int
    user_id: int
    display_name: str
    project: ProjectTitles
    role: str
    summary: str | None
    repo: str | None
    timezone: str
    timezone_is_server_default: bool
    partners: tuple[Person, ...]
    looking: bool
    announced_at: datetime
    active: bool = True


class PostLocation(NamedTuple):
    channel_id: int
    message_id: int

    @classmethod
    def of(cls, channel_id: int | None, message_id: int | None) -> PostLocation | None:
        """Where a post is, from its stored ids; None unless both are known."""
        return cls(channel_id, message_id) if channel_id and message_id else None


@dataclass(frozen=True)
class Looking:
    """Learners of the opposite track on the same project who still have room."""

    role: str
    count: int
    first: tuple[Person, ...]


@dataclass(frozen=True)
class AnnounceOutcome:
    """What `/announce-project` stored, and what the Discord side must do next."""

    announcement: Announcement
    nexus_channel_id: int
    previous_post: PostLocation | None
    give_role_id: int | None
    remove_role_id: int | None
    first_time: bool
    looking: Looking
    waiting: bool = False  # on the waiting list: told when a fitting learner announces
    custom_created: bool = False
    near_misses: str = ""  # catalog entries close to a newly created custom project


@dataclass(frozen=True)
class PostedAnnouncement:
    announcement: Announcement
    post: PostLocation | None


@dataclass(frozen=True)
class Profile:
    announcement: Announcement
    reminders: str
    waiting_since: datetime | None
    post: PostLocation | None


@dataclass(frozen=True)
class Erasure:
    """What `/my-data delete` removed; the announcement post is deleted by the caller."""

    removed: dict[str, int]
    post: PostLocation | None
    freed_partner_ids: tuple[int, ...] = field(default=())  # learner ids, now without us
