"""What matching results look like: learners, projects, requests and pairings as plain data,
the way /find-partner, invitations, pair threads and notices show them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.evenings import Window
from bot.domain.learners import PostLocation
from bot.domain.matching import Suggestion


@dataclass(frozen=True)
class LearnerInfo:
    learner_id: int
    guild_id: int
    user_id: int
    name: str
    role: str | None
    project_id: int | None
    timezone: str  # the learner's own, else the server's default
    summary: str | None = None
    repo: str | None = None


@dataclass(frozen=True)
class ProjectInfo:
    project_id: int | None
    name: str
    backend_title: str | None = None
    frontend_title: str | None = None


@dataclass(frozen=True)
class FindResult:
    """`/find-partner`: the best candidates, or the news that the caller is now waiting."""

    seeker: LearnerInfo
    project: ProjectInfo
    suggestions: list[Suggestion]
    waiting: bool = False  # no candidate: the caller is on the waiting list
    waiting_since: datetime | None = None


@dataclass(frozen=True)
class RequestInfo:
    request_id: int
    guild_id: int
    channel_id: int  # the Nexus channel
    status: str
    requester: LearnerInfo
    invitee: LearnerInfo
    project: ProjectInfo
    expires_at: datetime
    overlap: Window | None
    invitation: PostLocation | None = None  # the message with its Accept / Decline buttons


@dataclass(frozen=True)
class PairingInfo:
    pairing_id: int
    guild_id: int
    channel_id: int  # the Nexus channel, where the private thread lives
    project: ProjectInfo
    backend: LearnerInfo
    frontend: LearnerInfo
    created_at: datetime
    sync_window: Window | None  # shared evening, for the weekly sync suggestion
    thread_id: int | None = None
    created_by: int | None = None
    ended_at: datetime | None = None
    end_reason: str | None = None
    checklist: tuple[str, ...] = ()  # kickoff items ticked, by key

    def partner_of(self, learner_id: int) -> LearnerInfo:
        return self.frontend if learner_id == self.backend.learner_id else self.backend


@dataclass(frozen=True)
class PairResult:
    """A new pairing, plus the other requests it closed because someone is now full."""

    pairing: PairingInfo
    withdrawn: list[RequestInfo] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    request: RequestInfo | None = None  # the accepted request, when there was one


@dataclass(frozen=True)
class WaitMatch:
    """A newcomer who fits learners on the waiting list; `waiters` have not been told before."""

    channel_id: int
    project: ProjectInfo
    newcomer: LearnerInfo
    waiters: list[LearnerInfo]


KICKOFF_ITEMS = ("repos", "contract", "formats", "erd", "sync", "mock")
KICKOFF_LABELS = {
    "repos": "Repos shared",
    "contract": "API contract",
    "formats": "Data formats",
    "erd": "ERD reviewed",
    "sync": "Sync slot",
    "mock": "Mock data / CORS",
}
