from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import discord

from bot.domain.cohort import CohortOverview, ReminderView, StepPreview
from bot.domain.first_week import CohortMember
from bot.ui import limits
from bot.ui.cohort import plan_embed, preview_embed

DUE = datetime(2026, 11, 2, 18, tzinfo=UTC)


def overview(steps: int) -> CohortOverview:
    reminders = tuple(
        ReminderView(
            id=i,
            step_key=f"step-{i}-" + "x" * 40,
            title=f"Step {i} " + "x" * 90,
            audience="not_paired",
            due_at=DUE + timedelta(hours=i),
            local=DUE + timedelta(hours=i),
            status="sent",
            note="n" * 300,
            sent=4999,
            failed=1,
            by_dm=12,
        )
        for i in range(steps)
    )
    return CohortOverview(1, date(2026, 11, 2), "Africa/Lagos", "active", reminders)


def assert_within_limits(embed: discord.Embed) -> None:
    assert len(embed) <= limits.EMBED_TOTAL
    assert len(embed.fields) <= limits.EMBED_FIELDS
    for field in embed.fields:
        assert len(field.name or "") <= limits.EMBED_FIELD_NAME
        assert len(field.value or "") <= limits.EMBED_FIELD_VALUE


def test_a_long_plan_stays_within_embed_limits() -> None:
    embed = plan_embed(overview(40), "First week reminders")
    assert_within_limits(embed)
    assert embed.fields[-1].name == "…" and "more not shown" in str(embed.fields[-1].value)


def test_preview_of_thousands_shows_counts_and_a_few_names() -> None:
    crowd = tuple(CohortMember(user_id=i, name="N" * 100) for i in range(5000))
    cohort = overview(40)
    wording = "\n".join(["👋 " + "w" * 80] * 8)
    previews = [StepPreview(r, crowd, crowd[:7], 3, 42, wording) for r in cohort.reminders]
    embed = preview_embed(cohort, previews)
    assert_within_limits(embed)
    first = str(embed.fields[0].value)
    assert "**5007** to remind: 5000 mentioned in <#42>, 7 by DM · 3 opted out" in first
    assert "+4993 more" in first and "DM: " + ", ".join(["N" * 39 + "…"] * 7) in first


def test_a_step_that_reached_nobody_says_so() -> None:
    cohort = overview(1)
    [step] = cohort.reminders
    empty = CohortOverview(
        1,
        date(2026, 11, 2),
        "Africa/Lagos",
        "finished",
        (ReminderView(**{**step.__dict__, "sent": 0, "failed": 0, "by_dm": 0, "note": None}),),
    )
    embed = plan_embed(empty, "First week reminders")
    value = str(embed.fields[0].value)
    assert "nobody to remind" in value and "sent" not in value
    assert f"<t:{int(DUE.timestamp())}:F>" in value
    assert "Status: **finished**" in str(embed.description)
