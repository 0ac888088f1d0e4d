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


@dataclass(frozen=True)
class StatsReport:
    project: str | None  # the project asked for, or None for the whole server
    rows: list[ProjectStats]
    total: ProjectStats
    active_pairings: int
    misses: list[MissCount]


@dataclass(frozen=True)
class ExportFiles:
    learners_csv: str
    pairings_csv: str
    learners: int
    pairings: int
