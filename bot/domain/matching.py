"""Who should pair with whom: hard rules, then a soft score that is explained to the learner.

Hard rules (a candidate failing any of them is never proposed):
  * same project (either track title of a catalog entry resolves to the same project id);
  * opposite role (backend ↔ frontend);
  * active, and not the seeker;
  * both have room: fewer active partners than the server's `max_partners`;
  * not already or previously paired with the seeker;
  * neither has declined the other's request before.

Soft score (higher is better), each part explained in `Suggestion.reasons`:
  * evening overlap: +10 per hour the two 19:00–23:00 local evenings share (up to +40);
  * time waiting: +5 per day the candidate has been looking (capped at 7 days, +35);
  * partner left: +30 when the candidate's previous partner left them;
  * crowding: −8 per request the candidate already has pending (up to −24), so that one
    popular learner isn't sent every request while others wait.
Ties go to whoever has been looking longest, then to the lower learner id: the same inputs
always give the same order.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.evenings import describe_overlap, overlap_minutes
from bot.domain.roles import ROLES, opposite

OVERLAP_POINTS_PER_HOUR = 10.0
WAIT_POINTS_PER_DAY = 5.0
WAIT_CAP_DAYS = 7.0
PARTNER_LEFT_POINTS = 30.0
PENDING_PENALTY = 8.0
PENDING_PENALTY_CAP = 3

DEFAULT_LIMIT = 5
NEVER = float("inf")  # sorts learners with no start date after everyone else


@dataclass(frozen=True, slots=True)
class Candidate:
    """What ranking needs to know about one learner."""

    learner_id: int
    name: str
    project_id: int | None
    role: str | None
    timezone: str
    looking_since: datetime | None = None  # on the waiting list since, else announced at
    partner_left_at: datetime | None = None
    partners: int = 0  # active pairings
    pending_invites: int = 0  # pending requests this learner has received
    active: bool = True
    user_id: int = 0  # the Discord user, for mentions


@dataclass(frozen=True)
class Seeker:
    """The learner looking for a partner, with their pairing history."""

    learner: Candidate
    past_partners: frozenset[int] = field(default_factory=frozenset)  # current ones too
    declined: frozenset[int] = field(default_factory=frozenset)  # declined either way


@dataclass(frozen=True, slots=True)
class Suggestion:
    candidate: Candidate
    score: float
    overlap_minutes: int
    reasons: tuple[str, ...]

    @property
    def explanation(self) -> str:
        """'same project · 3 h evening overlap · waiting 2 days'"""
        return " · ".join(self.reasons)


def why_not(seeker: Seeker, candidate: Candidate, max_partners: int) -> str | None:
    """Which hard rule rules `candidate` out for `seeker` (a short code), or None if none does."""
    me = seeker.learner
    if candidate.learner_id == me.learner_id:
        return "self"
    if me.project_id is None or candidate.project_id != me.project_id:
        return "other-project"
    if me.role not in ROLES or candidate.role != opposite(me.role):
        return "same-role"
    if not candidate.active:
        return "inactive"
    if candidate.learner_id in seeker.past_partners:
        return "past-partner"
    if candidate.learner_id in seeker.declined:
        return "declined"
    if candidate.partners >= max_partners:
        return "full"
    if not me.active or me.partners >= max_partners:
        return "seeker-full"
    return None


def waiting_text(since: datetime | None, now: datetime) -> str:
    """'waiting 2 days', 'waiting 5 h', 'just started looking'."""
    if since is None:
        return "just started looking"
    waited = now - since
    if waited >= timedelta(days=2):
        return f"waiting {waited.days} days"
    if waited >= timedelta(days=1):
        return "waiting 1 day"
    hours = int(waited.total_seconds() // 3600)
    return f"waiting {hours} h" if hours >= 1 else "just started looking"


def score(seeker: Seeker, candidate: Candidate, *, now: datetime) -> Suggestion:
    """The soft score of an eligible candidate, with the reasons shown to the learner."""
    return _suggestion(seeker, candidate, now)


def overlap_points(minutes: int) -> float:
    """The score's evening-overlap part (the database short list uses it per time zone)."""
    return OVERLAP_POINTS_PER_HOUR * minutes / 60


def points(overlap: float, since: float | None, left: bool, pending: int, now: float) -> float:
    """The soft score: `overlap` points (see `overlap_points`) plus waiting, partner-left and
    crowding, from plain numbers (timestamps in seconds). The one formula: `rank`, `score` and
    the database short list (bot/services/matching_pool.py, same constants) all use it."""
    total = overlap
    if since is not None:
        days = (now - since) / 86400
        if days > 0:
            total += WAIT_POINTS_PER_DAY * (days if days < WAIT_CAP_DAYS else WAIT_CAP_DAYS)
    if left:
        total += PARTNER_LEFT_POINTS
    if pending:
        total -= PENDING_PENALTY * (
            pending if pending < PENDING_PENALTY_CAP else PENDING_PENALTY_CAP
        )
    return total


def _suggestion(seeker: Seeker, candidate: Candidate, now: datetime) -> Suggestion:
    overlap = overlap_minutes(seeker.learner.timezone, candidate.timezone, now.date())
    waiting = waiting_text(candidate.looking_since, now)
    reasons = ["same project", describe_overlap(overlap), waiting]
    if candidate.partner_left_at is not None:
        reasons.append("their partner left")
    if candidate.pending_invites:
        plural = "s" if candidate.pending_invites > 1 else ""
        reasons.append(f"{candidate.pending_invites} request{plural} pending")
    since = candidate.looking_since
    total = points(
        overlap_points(overlap),
        None if since is None else since.timestamp(),
        candidate.partner_left_at is not None,
        candidate.pending_invites,
        now.timestamp(),
    )
    return Suggestion(candidate, total, overlap, tuple(reasons))


def rank(
    seeker: Seeker,
    pool: Iterable[Candidate],
    *,
    now: datetime,
    max_partners: int = 1,
    limit: int = DEFAULT_LIMIT,
) -> list[Suggestion]:
    """Best partners for `seeker` from `pool`: only those passing every hard rule, best first.

    This runs over thousands of learners per call, so the loop inlines `why_not` (the same
    rules), computes the overlap once per time zone and keeps only the best `limit` in a heap."""
    me = seeker.learner
    if limit <= 0 or me.role not in ROLES or me.project_id is None:
        return []
    if not me.active or me.partners >= max_partners:
        return []
    wanted_role, project = opposite(me.role), me.project_id
    excluded = seeker.past_partners | seeker.declined | {me.learner_id}
    today, now_ts = now.date(), now.timestamp()
    zone_points: dict[str, float] = {}  # per time zone: computed once, not per learner
    # The heap holds inverted sort keys, so heap[0] is the worst of the best kept so far.
    heap: list[tuple[float, float, int, int]] = []
    kept: dict[int, Candidate] = {}
    for position, candidate in enumerate(pool):
        if (
            candidate.role != wanted_role
            or candidate.project_id != project
            or not candidate.active
            or candidate.partners >= max_partners
            or candidate.learner_id in excluded
        ):
            continue
        zone = zone_points.get(candidate.timezone)
        if zone is None:
            overlap = overlap_minutes(me.timezone, candidate.timezone, today)
            zone = zone_points[candidate.timezone] = overlap_points(overlap)
        since = candidate.looking_since
        since_ts = NEVER if since is None else since.timestamp()
        total = points(
            zone,
            None if since is None else since_ts,
            candidate.partner_left_at is not None,
            candidate.pending_invites,
            now_ts,
        )
        inverted = (total, -since_ts, -candidate.learner_id, -position)
        if len(heap) < limit:
            heapq.heappush(heap, inverted)
        elif inverted > heap[0]:
            heapq.heapreplace(heap, inverted)
        else:
            continue
        kept[position] = candidate
    best = sorted(heap, reverse=True)
    return [_suggestion(seeker, kept[-position], now) for *_, position in best]


def max_pairings(backend: int, frontend: int, max_partners: int = 1) -> int:
    """The most pairings a project can hold: each learner in at most `max_partners` of them,
    each backend–frontend couple at most once."""
    if backend <= 0 or frontend <= 0 or max_partners <= 0:
        return 0
    return min(backend * max_partners, frontend * max_partners, backend * frontend)


def history(
    pairs: Iterable[tuple[int, int]], declines: Iterable[tuple[int, int]]
) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """Per learner: everyone they were ever paired with, and everyone a decline stands between."""
    partners: dict[int, set[int]] = {}
    declined: dict[int, set[int]] = {}
    for book, rows in ((partners, pairs), (declined, declines)):
        for a, b in rows:
            book.setdefault(a, set()).add(b)
            book.setdefault(b, set()).add(a)
    return partners, declined


def best_for_each(
    seekers: Iterable[Seeker],
    pool: Iterable[Candidate],
    *,
    now: datetime,
    max_partners: int = 1,
    limit: int = 3,
) -> dict[int, list[Suggestion]]:
    """`rank` for many seekers at once (keyed by learner id), each against only the learners
    of their own project and the other track, so a whole cohort ranks in one pass."""
    groups: dict[tuple[int | None, str | None], list[Candidate]] = {}
    for candidate in pool:
        groups.setdefault((candidate.project_id, candidate.role), []).append(candidate)
    out: dict[int, list[Suggestion]] = {}
    for seeker in seekers:
        me = seeker.learner
        if me.role not in ROLES:
            out[me.learner_id] = []
            continue
        group = groups.get((me.project_id, opposite(me.role)), [])
        out[me.learner_id] = rank(seeker, group, now=now, max_partners=max_partners, limit=limit)
    return out
