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
    previews = [StepPreview(r, crowd, crowd[:7], 3, 42) for r in cohort.reminders]
    embed = preview_embed(cohort, previews)
    assert_within_limits(embed)
    first = str(embed.fields[0].value)
    assert "**5007** to remind: 5000 mentioned in <#42>, 7 by DM · 3 opted out" in first
    assert "+4993 more" in first and "DM: " + ", ".join(["N" * 39 + "…"] * 7) in first
