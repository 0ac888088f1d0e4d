from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.first_week import (
    CohortMember,
    PlanInvalid,
    local_instant,
    parse_plan,
    route,
    schedule,
    select_audience,
    step_title,
    tally,
    timeliness,
)
from bot.domain.timezones import to_tzinfo

PLAN_FILE = Path(__file__).resolve().parents[2] / "data" / "first_week.yaml"


def default_plan_raw() -> dict[str, object]:
    return yaml.safe_load(PLAN_FILE.read_text(encoding="utf-8"))


def step(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "key": "nudge",
        "day": 2,
        "audience": "not_announced",
        "template": "Hi {mentions}",
    }
    return {**base, **changes}


def test_default_plan_is_the_documented_week() -> None:
    plan = parse_plan(default_plan_raw())
    summary = [(s.day, s.at, s.audience) for s in plan.steps]
    assert summary == [
        (1, time(19), "not_announced"),  # the welcome pings only who hasn't announced
        (3, time(19), "not_announced"),
        (5, time(19), "not_paired"),
        (7, time(19), "moderators"),
    ]
    assert "{suggestions}" in plan.steps[2].template
    assert "{summary}" in plan.steps[3].template
    assert [s.title for s in plan.steps] == [
        "Welcome",
        "Nudge to announce",
        "Nudge to find a partner",
        "Wrap-up for moderators",
    ]


def test_a_step_without_a_name_is_titled_from_its_key() -> None:
    assert step_title("partner-nudge") == "Partner nudge"
    assert step_title("partner-nudge", "Find a partner") == "Find a partner"


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"audience": "mentors"}, "audience"),
        ({"day": 0}, "day"),
        ({"day": 15}, "day"),
        ({"day": True}, "day"),
        ({"key": "Bad Key"}, "key"),
        ({"time": "7pm"}, "time"),
        ({"template": ""}, "template"),
        ({"template": "Hi {name}"}, "{name}"),
        ({"template": "Hi {mentions.__class__}"}, "placeholder"),
        ({"template": "Hi {mentions!r}"}, "placeholder"),
        ({"template": "Hi {mentions:>300}"}, "placeholder"),
        ({"template": "Hi {mentions"}, "braces"),
        ({"template": "{suggestions}"}, "{suggestions}"),
        ({"audience": "moderators", "template": "{mentions}"}, "{mentions}"),
    ],
)
def test_bad_steps_are_named(changes: dict[str, object], complaint: str) -> None:
    with pytest.raises(PlanInvalid, match="step") as error:
        parse_plan({"steps": [step(**changes)]})
    assert complaint in str(error.value)


def test_duplicate_keys_and_empty_plans_are_rejected() -> None:
    with pytest.raises(PlanInvalid, match="twice"):
        parse_plan({"steps": [step(), step()]})
    with pytest.raises(PlanInvalid, match="steps"):
        parse_plan({"steps": []})
    with pytest.raises(PlanInvalid):
        parse_plan(["not", "a", "mapping"])  # type: ignore[arg-type]


def test_times_default_and_unquoted_yaml_times() -> None:
    raw = yaml.safe_load(
        "default_time: '20:30'\nsteps:\n"
        "  - {key: a, day: 1, audience: everyone, template: x}\n"
        "  - {key: b, day: 1, time: 08:15, audience: everyone, template: x}\n"
    )
    plan = parse_plan(raw)
    assert [s.at for s in plan.steps] == [time(8, 15), time(20, 30)]


def test_literal_braces_are_allowed() -> None:
    plan = parse_plan({"steps": [step(template="{{not a placeholder}} {mentions}")]})
    assert plan.steps[0].template.startswith("{{")


@pytest.mark.parametrize(
    ("zone", "utc_hour"),
    [
        ("Africa/Lagos", 18),
        ("Africa/Nairobi", 16),
        ("Africa/Johannesburg", 17),
        ("UTC", 19),
        ("UTC+1", 18),
        ("UTC-5", 0),  # 19:00 at UTC-5 is midnight UTC the next day
    ],
)
def test_default_plan_in_learner_time_zones(zone: str, utc_hour: int) -> None:
    plan = parse_plan(default_plan_raw())
    start = date(2026, 3, 2)
    steps = schedule(plan, start, to_tzinfo(zone))
    assert [s.local.date() for s in steps] == [start + timedelta(days=d) for d in (0, 2, 4, 6)]
    assert all(s.local.time() == time(19) for s in steps)
    assert all(s.due_at.tzinfo is UTC and s.due_at.hour == utc_hour for s in steps)
    assert steps[0].due_at == datetime.combine(start, time(19), to_tzinfo(zone)).astimezone(UTC)


def test_half_hour_offset() -> None:
    steps = schedule(parse_plan(default_plan_raw()), date(2026, 3, 2), to_tzinfo("UTC+3:30"))
    assert steps[0].due_at == datetime(2026, 3, 2, 15, 30, tzinfo=UTC)


@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    minutes=st.integers(min_value=-12 * 60, max_value=14 * 60),
    at=st.times(),
    day=st.integers(min_value=1, max_value=14),
)
def test_fixed_offsets_keep_wall_time_and_whole_days(
    start: date, minutes: int, at: time, day: int
) -> None:
    zone = timezone(timedelta(minutes=minutes))
    at = at.replace(second=0, microsecond=0)
    plan = parse_plan(
        {
            "steps": [
                step(key="first", day=1, time=f"{at:%H:%M}"),
                step(key="later", day=day, time=f"{at:%H:%M}"),
            ]
        }
    )
    by_key = {s.step.key: s for s in schedule(plan, start, zone)}
    first, later = by_key["first"], by_key["later"]
    assert first.local.replace(tzinfo=None) == datetime.combine(start, at)
    assert later.due_at - first.due_at == timedelta(days=day - 1)
    assert first.due_at.utcoffset() == timedelta(0)


def test_dst_gap_and_overlap_resolve_forward_and_first() -> None:
    london = ZoneInfo("Europe/London")
    gap = local_instant(date(2026, 3, 29), time(1, 30), london)  # clocks jump 01:00 → 02:00
    assert gap.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert (gap.hour, gap.minute) == (2, 30)
    overlap = local_instant(date(2026, 10, 25), time(1, 30), london)  # 01:00-02:00 twice
    assert overlap.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def member(user_id: int, **changes: object) -> CohortMember:
    return CohortMember(user_id=user_id, name=f"learner{user_id}", **changes)  # type: ignore[arg-type]


COHORT = [
    member(5, announced=True, paired=True, project="Job Board", role="backend"),
    member(1),
    member(3, announced=True, project="Job Board", role="frontend", reminders="dm"),
    member(4, announced=True, project="E-Commerce", role="backend", reminders="off"),
    member(2, reminders="dm"),
]


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        ("everyone", [1, 2, 3, 4, 5]),
        ("not_announced", [1, 2]),
        ("not_paired", [3, 4]),
        ("moderators", []),
    ],
)
def test_audiences(audience: str, expected: list[int]) -> None:
    assert [m.user_id for m in select_audience(audience, COHORT)] == expected


def test_route_by_reminder_choice() -> None:
    routing = route(select_audience("everyone", COHORT))
    assert [m.user_id for m in routing.channel] == [1, 5]
    assert [m.user_id for m in routing.dm] == [2, 3]
    assert [m.user_id for m in routing.opted_out] == [4]
    assert routing.recipients == 4


def test_unknown_audience_is_a_bug() -> None:
    with pytest.raises(ValueError):
        select_audience("nobody", COHORT)


def test_tally_per_project() -> None:
    counts = tally(COHORT)
    assert (counts.size, counts.announced, counts.paired, counts.alone) == (5, 3, 1, 2)
    assert counts.not_announced == 2
    job_board = next(p for p in counts.projects if p.project == "Job Board")
    assert (job_board.announced, job_board.paired, job_board.alone) == (2, 1, ("learner3",))
    assert counts.projects[0].project == "Job Board"  # biggest first


@pytest.mark.parametrize(
    ("behind", "grace_hours", "verdict"),
    [
        (timedelta(minutes=-1), 12, "not_due"),
        (timedelta(0), 12, "on_time"),
        (timedelta(minutes=9), 0, "on_time"),
        (timedelta(hours=3), 12, "late"),
        (timedelta(hours=12), 12, "late"),
        (timedelta(hours=12, seconds=1), 12, "too_late"),
        (timedelta(hours=1), 0, "too_late"),
    ],
)
def test_timeliness(behind: timedelta, grace_hours: int, verdict: str) -> None:
    due = datetime(2026, 3, 2, 18, tzinfo=UTC)
    assert timeliness(due, due + behind, timedelta(hours=grace_hours)) == verdict
