"""The first-week plan: steps, their concrete times, and who each step is for.

Pure: no Discord, no database, no wall clock. A plan step says "day 3 at 19:00, learners who
have not announced, this text"; `schedule` turns it into an aware UTC time for a cohort, and
`select_audience` / `route` decide who receives it and how.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, NamedTuple

from bot.domain.reminder_text import check_template
from bot.errors import InvalidInput

AUDIENCES = ("everyone", "not_announced", "not_paired", "moderators")
MAX_DAY = 14
MAX_NAME = 100
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class PlanInvalid(InvalidInput):
    """The plan file is malformed; the message says which step and what to fix."""


@dataclass(frozen=True)
class PlanStep:
    key: str
    day: int  # 1 = the cohort's start date
    at: time  # local wall time in the cohort's time zone
    audience: str
    template: str
    name: str = ""  # what moderators read ("Nudge to announce"); defaults from the key

    @property
    def title(self) -> str:
        return self.name or step_title(self.key)


def step_title(key: str, name: str | None = None) -> str:
    """A step's human name: the plan's `name`, else its key in words ("partner-nudge" ->
    "Partner nudge")."""
    if name:
        return name
    words = key.replace("-", " ").strip()
    return words[:1].upper() + words[1:]


@dataclass(frozen=True)
class Plan:
    steps: tuple[PlanStep, ...]


@dataclass(frozen=True)
class ScheduledStep:
    step: PlanStep
    due_at: datetime  # aware UTC
    local: datetime  # the same instant in the cohort's time zone


@dataclass(frozen=True)
class CohortMember:
    """One learner of the cohort as reminders see them; `name` is already safe to display."""

    user_id: int
    name: str
    reminders: str = "on"  # on | off | dm
    announced: bool = False
    paired: bool = False
    project: str | None = None
    role: str | None = None


class PartnerOffer(NamedTuple):
    """A partner the day-5 nudge suggests: shown by name, asked with a request button."""

    learner_id: int
    name: str


@dataclass(frozen=True)
class Routing:
    channel: tuple[CohortMember, ...] = ()
    dm: tuple[CohortMember, ...] = ()
    opted_out: tuple[CohortMember, ...] = ()

    @property
    def recipients(self) -> int:
        return len(self.channel) + len(self.dm)


@dataclass(frozen=True)
class ProjectTally:
    project: str
    announced: int
    paired: int
    alone: tuple[str, ...]  # names of announced learners without a partner


@dataclass(frozen=True)
class CohortTally:
    size: int
    announced: int
    paired: int
    alone: int
    not_announced: int
    projects: tuple[ProjectTally, ...] = field(default_factory=tuple)


def _parse_time(value: Any, where: str) -> time:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        # YAML reads an unquoted 19:00 as the sexagesimal integer 1140 (minutes).
        return time(value // 60, value % 60)
    match = _HHMM.match(str(value).strip())
    if not match:
        raise PlanInvalid(f"{where}: `time` must look like 19:00, got {str(value)[:20]!r}.")
    return time(int(match.group(1)), int(match.group(2)))


def parse_plan(raw: Mapping[str, Any]) -> Plan:
    """Validate a plan read from YAML; raise `PlanInvalid` naming the step and the problem."""
    if not isinstance(raw, Mapping):
        raise PlanInvalid("The first-week plan must be a mapping with a `steps` list.")
    default_at = _parse_time(raw.get("default_time", "19:00"), "default_time")
    items = raw.get("steps")
    if not isinstance(items, list) or not items:
        raise PlanInvalid("The first-week plan needs a non-empty `steps` list.")
    steps: list[PlanStep] = []
    seen: set[str] = set()
    for index, item in enumerate(items, start=1):
        where = f"step {index}"
        if not isinstance(item, Mapping):
            raise PlanInvalid(f"{where} must be a mapping (key, day, audience, template).")
        key = str(item.get("key", "")).strip()
        if not _KEY.match(key):
            raise PlanInvalid(f"{where}: `key` must be lowercase letters, digits and dashes.")
        where = f"step `{key}`"
        if key in seen:
            raise PlanInvalid(f"{where}: the key is used twice.")
        seen.add(key)
        day = item.get("day")
        if not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= MAX_DAY:
            raise PlanInvalid(f"{where}: `day` must be a whole number from 1 to {MAX_DAY}.")
        audience = str(item.get("audience", "")).strip()
        if audience not in AUDIENCES:
            raise PlanInvalid(f"{where}: `audience` must be one of {', '.join(AUDIENCES)}.")
        template = item.get("template")
        if not isinstance(template, str) or not template.strip():
            raise PlanInvalid(f"{where}: `template` must be some text.")
        problem = check_template(template.strip(), audience)
        if problem:
            raise PlanInvalid(f"{where}: {problem}")
        at = _parse_time(item["time"], where) if "time" in item else default_at
        name = item.get("name", "")
        if not isinstance(name, str) or len(name.strip()) > MAX_NAME:
            raise PlanInvalid(f"{where}: `name` must be text of at most {MAX_NAME} characters.")
        steps.append(PlanStep(key, day, at, audience, template.strip(), name.strip()))
    steps.sort(key=lambda s: (s.day, s.at, s.key))
    return Plan(tuple(steps))


def local_instant(day: date, at: time, tz: tzinfo) -> datetime:
    """The aware instant at wall time `at` on `day` in `tz`.

    A wall time skipped by a DST jump (e.g. 02:30 on a spring-forward night) becomes the same
    clock reading after the jump; an ambiguous one (autumn) is its first occurrence.
    """
    naive = datetime.combine(day, at)
    # fold=0 in a gap takes the offset from before the jump, so the round trip through UTC
    # lands on the wall time after it; elsewhere it is the identity.
    return naive.replace(tzinfo=tz, fold=0).astimezone(UTC).astimezone(tz)


def schedule(plan: Plan, start: date, tz: tzinfo) -> list[ScheduledStep]:
    """Each step at its concrete UTC time for a cohort starting on `start` (day 1) in `tz`."""
    out = []
    for step in plan.steps:
        local = local_instant(start + timedelta(days=step.day - 1), step.at, tz)
        out.append(ScheduledStep(step, local.astimezone(UTC), local))
    return sorted(out, key=lambda s: (s.due_at, s.step.key))


def select_audience(audience: str, members: Iterable[CohortMember]) -> list[CohortMember]:
    """Who a step is about. `moderators` concerns no learner: it is one summary post."""
    if audience == "everyone":
        chosen = list(members)
    elif audience == "not_announced":
        chosen = [m for m in members if not m.announced]
    elif audience == "not_paired":
        chosen = [m for m in members if m.announced and not m.paired]
    elif audience == "moderators":
        chosen = []
    else:
        raise ValueError(f"unknown audience {audience!r}")
    return sorted(chosen, key=lambda m: m.user_id)


def route(members: Iterable[CohortMember]) -> Routing:
    """Split recipients by their `/reminders` choice: channel (`on`), DM (`dm`), none (`off`)."""
    channel, dm, off = [], [], []
    for member in members:
        if member.reminders == "off":
            off.append(member)
        elif member.reminders == "dm":
            dm.append(member)
        else:
            channel.append(member)
    return Routing(tuple(channel), tuple(dm), tuple(off))


def tally(members: Sequence[CohortMember]) -> CohortTally:
    """Announced / paired / still alone per project, for the moderators' summary."""
    per_project: dict[str, list[CohortMember]] = {}
    for member in members:
        if member.announced:
            per_project.setdefault(member.project or "No project", []).append(member)
    projects = []
    for name, group in sorted(per_project.items(), key=lambda kv: (-len(kv[1]), kv[0].lower())):
        lonely = tuple(sorted(m.name for m in group if not m.paired))
        projects.append(ProjectTally(name, len(group), sum(1 for m in group if m.paired), lonely))
    announced = sum(1 for m in members if m.announced)
    paired = sum(1 for m in members if m.paired)
    alone = sum(1 for m in members if m.announced and not m.paired)
    return CohortTally(
        size=len(members),
        announced=announced,
        paired=paired,
        alone=alone,
        not_announced=len(members) - announced,
        projects=tuple(projects),
    )


LATE_AFTER = timedelta(minutes=10)  # a step starting later than this was missed, not just slow


def timeliness(due_at: datetime, now: datetime, grace: timedelta) -> str:
    """`not_due`, `on_time`, `late` (send, marked late) or `too_late` (skip and report).

    Up to `LATE_AFTER` behind is ordinary timer slack, never skipped: a grace of 0 still sends
    a step the sweep reaches a few seconds after its time.
    """
    behind = now - due_at
    if behind < timedelta(0):
        return "not_due"
    if behind <= LATE_AFTER:
        return "on_time"
    return "late" if behind <= grace else "too_late"
