from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.stats import LearnerFact, WeekFacts, aggregate, bar, chart, funnel

NOW = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)


def fact(
    n: int,
    project: str | None,
    role: str | None,
    *,
    paired: bool = False,
    announced: bool = True,
    active: bool = True,
    looked: bool = False,
) -> LearnerFact:
    return LearnerFact(
        learner_id=n,
        project=project,
        role=role,
        announced=announced,
        active=active,
        paired=paired,
        waiting_since=NOW if looked else None,
    )


FACTS = [
    fact(1, "E-Commerce", "backend", paired=True),
    fact(2, "E-Commerce", "frontend", paired=True),
    fact(3, "E-Commerce", "backend", looked=True),
    fact(4, "E-Commerce", "backend"),
    fact(5, "Job Board", "frontend", looked=True),
    fact(6, "Job Board", "backend", announced=False),  # never announced: not counted
    fact(7, "Job Board", "backend", active=False),  # left the server: not counted
    fact(8, None, "frontend"),  # project deleted after announcing
    fact(9, "Job Board", None),  # no role: not counted
]


def test_counts_per_project_and_role() -> None:
    rows, total = aggregate(FACTS, ["E-Commerce", "Job Board", "Movie Recommendation"])
    by_name = {r.project: r for r in rows}
    shop = by_name["E-Commerce"]
    assert (shop.roles["backend"].paired, shop.roles["backend"].waiting) == (1, 2)
    assert shop.roles["backend"].on_list == 1
    assert (shop.roles["frontend"].paired, shop.roles["frontend"].waiting) == (1, 0)
    assert by_name["Job Board"].announced == 1
    assert by_name["(no project)"].roles["frontend"].waiting == 1
    assert by_name["Movie Recommendation"].announced == 0
    assert (total.announced, total.paired, total.waiting) == (6, 2, 4)
    assert total.announced == total.paired + total.waiting


def test_busiest_projects_first_and_empty_ones_last() -> None:
    rows, _ = aggregate(FACTS, ["Movie Recommendation", "Job Board", "E-Commerce"])
    assert [r.project for r in rows] == [
        "E-Commerce",
        "(no project)",
        "Job Board",
        "Movie Recommendation",
    ]


def test_bars_scale_and_never_hide_a_learner() -> None:
    assert bar(2, 3, 1.0) == "██░░░"
    assert bar(0, 0, 1.0) == ""
    assert bar(1, 100, 0.1) == "█" + "░" * 10


def test_chart_is_one_line_per_project_and_role() -> None:
    rows, _ = aggregate(FACTS[:5], ["E-Commerce", "Job Board"])
    text = chart(rows)
    assert text.splitlines() == [
        "E-Commerce",
        "  backend  █░░ 1 paired · 2 waiting",
        "  frontend █   1 paired · 0 waiting",
        "Job Board",
        "  backend      —",
        "  frontend ░   0 paired · 1 waiting",
    ]


def test_chart_bars_fit_the_width_for_big_projects() -> None:
    facts = [fact(n, "Big", "backend", paired=n % 2 == 0) for n in range(200)]
    rows, _ = aggregate(facts)
    line = chart(rows, width=16).splitlines()[1]
    assert line.count("█") + line.count("░") <= 17
    assert "100 paired · 100 waiting" in chart(rows)


def test_long_project_names_are_shortened() -> None:
    rows, _ = aggregate([fact(1, "A" * 60, "backend")])
    assert chart(rows, name_width=24).splitlines()[0] == "A" * 23 + "…"


def test_funnel_counts_only_cohort_members_and_marks_untracked_check_ins() -> None:
    week = WeekFacts(
        cohort=frozenset({1, 2, 3, 4}),
        announced=frozenset({1, 2, 3, 9}),  # 9 is not in the cohort
        asked=frozenset({1, 2}),
        paired=frozenset({1, 2}),
        met=None,
        still_paired=frozenset({1}),
    )
    result = funnel(week)
    assert [(s.label, s.count) for s in result.stages] == [
        ("in the cohort", 4),
        ("announced", 3),
        ("asked or was asked", 2),
        ("paired", 2),
        ("met (check-in)", None),
        ("still paired so far", 1),
    ]
    assert result.stages[4].shown == 0 and result.cohort == 4


def test_funnel_after_day_seven_names_the_day_and_counts_check_ins() -> None:
    week = WeekFacts(
        cohort=frozenset({1, 2}),
        announced=frozenset({1, 2}),
        asked=frozenset({1, 2}),
        paired=frozenset({1, 2}),
        met=frozenset({1, 2, 7}),
        still_paired=frozenset(),
        day7_reached=True,
    )
    stages = funnel(week).stages
    assert stages[4].count == 2 and stages[5].label == "still paired on day 7"
