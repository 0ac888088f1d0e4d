from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from bot.domain.server import CohortState, ServerOverview, ServerSettings, next_steps

SETTINGS = ServerSettings(
    guild_id=1,
    channel_id=2,
    mod_log_channel_id=3,
    backend_role_id=4,
    frontend_role_id=5,
    learner_role_id=6,
    moderator_role_id=None,
    timezone="UTC",
    allow_custom_projects=False,
    max_partners=1,
    request_expiry_hours=24,
    reminder_grace_hours=12,
)
RUNNING = CohortState(
    date(2026, 11, 9), "UTC", "active", 1, 4, "announce-nudge", datetime(2026, 11, 11, tzinfo=UTC)
)


def test_a_configured_server_with_a_running_cohort_only_checks_the_next_reminder() -> None:
    overview = ServerOverview(SETTINGS, projects=5, announced=4, paired=4, cohort=RUNNING)
    assert next_steps(overview, []) == [
        "See who the next reminder reaches: `/nexus cohort preview`."
    ]


def test_missing_pieces_come_first_most_urgent_first() -> None:
    bare = replace(SETTINGS, mod_log_channel_id=None, learner_role_id=None, backend_role_id=None)
    overview = ServerOverview(bare, projects=0, announced=3, paired=2, cohort=None)
    steps = next_steps(overview, ["⚠️ I can't post announcements in #nexus."])
    assert steps[0].startswith("Fix what **Health** lists")
    assert [s.split(" ")[0] for s in steps[1:4]] == ["Set", "Set", "Optional:"]
    assert "`/nexus projects add`" in steps[4] and "`/nexus cohort start" in steps[5]
    assert steps[6].startswith("1 announced learner without a partner")


def test_a_finished_or_cancelled_week_suggests_scheduling_the_next() -> None:
    done = replace(RUNNING, next_step=None, next_due=None, done=4)
    for cohort in (done, replace(RUNNING, status="cancelled")):
        overview = ServerOverview(SETTINGS, projects=5, announced=0, paired=0, cohort=cohort)
        assert next_steps(overview, []) == [
            "Schedule the first week: `/nexus cohort start date:YYYY-MM-DD`."
        ]
