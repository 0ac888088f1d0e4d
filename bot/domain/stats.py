"""Who is announced, paired and waiting, per project and track, and a text chart of it.

Definitions (over the server's *active* learners):
- announced: `announced_at` is set;
- paired: announced and in a pairing that has not ended;
- waiting: announced and not paired. Of those, "on the list" have `waiting_since` set (they
  looked for a partner and found none yet); the others announced but never looked.
So announced = paired + waiting, for every project and track.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.roles import ROLES

NO_PROJECT = "(no project)"
PAIRED_BAR = "█"
WAITING_BAR = "░"


@dataclass(frozen=True)
class LearnerFact:
    """What stats need to know about one learner."""

    learner_id: int
    project: str | None
    role: str | None
    announced: bool
    active: bool
    paired: bool
    waiting_since: datetime | None = None


@dataclass
class RoleCounts:
    paired: int = 0
    waiting: int = 0
    on_list: int = 0  # waiting learners who looked for a partner (waiting_since set)

    @property
    def announced(self) -> int:
        return self.paired + self.waiting

    def add(self, other: RoleCounts) -> None:
        self.paired += other.paired
        self.waiting += other.waiting
        self.on_list += other.on_list


@dataclass
class ProjectStats:
    project: str
    roles: dict[str, RoleCounts] = field(default_factory=lambda: {r: RoleCounts() for r in ROLES})

    @property
    def announced(self) -> int:
        return sum(c.announced for c in self.roles.values())

    @property
    def paired(self) -> int:
        return sum(c.paired for c in self.roles.values())

    @property
    def waiting(self) -> int:
        return sum(c.waiting for c in self.roles.values())


@dataclass(frozen=True)
class MissCount:
    query: str
    count: int
    last_at: datetime


def aggregate(
    facts: Iterable[LearnerFact], projects: Sequence[str] = ()
) -> tuple[list[ProjectStats], ProjectStats]:
    """Per-project counts (busiest first; listed `projects` appear even when empty) and totals."""
    by_project: dict[str, ProjectStats] = {name: ProjectStats(name) for name in projects}
    for fact in facts:
        if not (fact.active and fact.announced) or fact.role not in ROLES:
            continue
        name = fact.project or NO_PROJECT
        stats = by_project.setdefault(name, ProjectStats(name))
        counts = stats.roles[fact.role]
        if fact.paired:
            counts.paired += 1
        else:
            counts.waiting += 1
            if fact.waiting_since is not None:
                counts.on_list += 1
    rows = sorted(by_project.values(), key=lambda s: (-s.announced, -s.waiting, s.project.lower()))
    total = ProjectStats("All projects")
    for stats in rows:
        for role in ROLES:
            total.roles[role].add(stats.roles[role])
    return rows, total


def bar(paired: int, waiting: int, scale: float) -> str:
    """`█` per paired and `░` per waiting learner, scaled; anything non-zero shows at least one."""

    def cells(n: int) -> int:
        return 0 if n == 0 else max(1, round(n * scale))

    return PAIRED_BAR * cells(paired) + WAITING_BAR * cells(waiting)


def chart(rows: Sequence[ProjectStats], *, width: int = 16, name_width: int = 24) -> str:
    """A monospace chart: one line per project and track, bars scaled to the busiest track."""
    busiest = max((c.announced for s in rows for c in s.roles.values()), default=0)
    scale = min(1.0, width / busiest) if busiest else 1.0
    bar_width = max(
        (len(bar(c.paired, c.waiting, scale)) for s in rows for c in s.roles.values()), default=0
    )
    lines: list[str] = []
    for stats in rows:
        name = (
            stats.project
            if len(stats.project) <= name_width
            else stats.project[: name_width - 1] + "…"
        )
        lines.append(name)
        for role in ROLES:
            counts = stats.roles[role]
            if counts.announced == 0:
                detail = "—"
            else:
                detail = f"{counts.paired} paired · {counts.waiting} waiting"
            drawn = bar(counts.paired, counts.waiting, scale).ljust(bar_width)
            lines.append(f"  {role:<8} {drawn} {detail}".rstrip())
    return "\n".join(lines)


# ---- the week's funnel --------------------------------------------------------------------------

NOT_TRACKED = "not tracked yet"


@dataclass(frozen=True)
class FunnelStage:
    label: str
    count: int | None  # None: this stage is not tracked yet (shown as 0 with a note)

    @property
    def shown(self) -> int:
        return self.count or 0


@dataclass(frozen=True)
class Funnel:
    """How far the cohort got this week, stage by stage (each count is people in the cohort)."""

    stages: tuple[FunnelStage, ...]
    day7_reached: bool  # False: the last stage counts who is paired so far

    @property
    def cohort(self) -> int:
        return self.stages[0].shown if self.stages else 0


@dataclass(frozen=True)
class WeekFacts:
    """Sets of Discord user ids, one per stage of the week; `met` is None until check-ins exist."""

    cohort: frozenset[int]
    announced: frozenset[int]
    asked: frozenset[int]  # sent or received a pair request
    paired: frozenset[int]  # were in a pairing this week
    met: frozenset[int] | None
    still_paired: frozenset[int]  # in a pairing on day 7 (or now, before day 7)
    day7_reached: bool = False


def funnel(facts: WeekFacts) -> Funnel:
    """in the cohort → announced → asked or was asked → paired → met → still paired on day 7."""
    cohort = facts.cohort

    def count(ids: frozenset[int]) -> int:
        return len(ids & cohort)

    last = "still paired on day 7" if facts.day7_reached else "still paired so far"
    return Funnel(
        (
            FunnelStage("in the cohort", len(cohort)),
            FunnelStage("announced", count(facts.announced)),
            FunnelStage("asked or was asked", count(facts.asked)),
            FunnelStage("paired", count(facts.paired)),
            FunnelStage("met (check-in)", None if facts.met is None else count(facts.met)),
            FunnelStage(last, count(facts.still_paired)),
        ),
        facts.day7_reached,
    )


@dataclass(frozen=True)
class ChartData:
    """Everything the stats picture shows: per project and track, and the week's funnel."""

    title: str
    rows: tuple[ProjectStats, ...]
    funnel: Funnel | None


@dataclass(frozen=True)
class StatsReport:
    project: str | None  # the project asked for, or None for the whole server
    rows: list[ProjectStats]
    total: ProjectStats
    active_pairings: int
    misses: list[MissCount]
    funnel: Funnel | None = None  # the whole server's week; None for one project

    def chart(self, title: str) -> ChartData:
        return ChartData(title, tuple(self.rows), self.funnel)


@dataclass(frozen=True)
class ExportFiles:
    learners_csv: str
    pairings_csv: str
    learners: int
    pairings: int
    audit_csv: str = ""
    changes: int = 0
