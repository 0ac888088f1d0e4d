"""First week: the cohort reminder plan, end to end through the fake Discord with a fake clock."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db.models import Learner, Pairing
from tests.e2e.harness import Nexus, no_pings
from tests.fakediscord import FakeDiscord, Member, Message

pytestmark = pytest.mark.timeout(60)

SWEEP = 0.05  # seconds between reminder sweeps in these tests (production: 60)
START_DATE = "2026-11-02"  # the harness clock starts that Monday at 09:00 UTC


def lagos(day: int, hour: int = 19) -> datetime:
    """Local time in Lagos (UTC+1) on day N of the cohort, as UTC."""
    return datetime(2026, 11, 1 + day, hour - 1, tzinfo=UTC)


@pytest.fixture
async def week(fake: FakeDiscord, tmp_path: Path, database_url: str) -> AsyncIterator[Nexus]:
    """Nexus set up with a learner role, a mod-log and a fast reminder sweep."""
    nexus = Nexus(fake, tmp_path, database=database_url)
    with fake.patched_discord():
        await nexus.start(reminder_sweep_seconds=SWEEP)
        try:
            await nexus.setup(learner_role=nexus.learner_role)
            await nexus.invoke("mod", "nexus settings", timezone="Africa/Lagos")
            yield nexus
        finally:
            await nexus.stop()
    fake.assert_clean()


async def restart(nexus: Nexus) -> None:
    await nexus.stop()
    await nexus.start(reminder_sweep_seconds=SWEEP)


async def learner(
    nexus: Nexus,
    name: str,
    *,
    project: str | None = None,
    role: str | None = None,
    reminders: str | None = None,
    in_cohort: bool = True,
) -> Member:
    """A member with the learner role; announced (`/announce-project`) when `project` is given."""
    member = nexus.member(name, roles=[nexus.learner_role] if in_cohort else [])
    await nexus.fake.flush()
    if reminders:
        reply = await nexus.invoke(member, "reminders", setting=reminders)
        assert reply.ephemeral
    if project:
        reply = await nexus.invoke(member, "announce-project", project=project, role=role)
        if reply.deferred:
            await reply.wait_final()
        assert reply.ephemeral
    return member


async def pair(nexus: Nexus, backend: Member, frontend: Member) -> None:
    async with nexus.session() as session:
        ids = {
            row.user_id: row.id
            for row in await session.scalars(
                select(Learner).where(Learner.user_id.in_([backend.id, frontend.id]))
            )
        }
        session.add(
            Pairing(
                guild_id=nexus.guild.id,
                backend_id=ids[backend.id],
                frontend_id=ids[frontend.id],
                created_at=nexus.clock.now(),
            )
        )


async def settle(nexus: Nexus) -> None:
    """Let a few sweeps run and every fan-out they started finish."""
    assert nexus.bot is not None
    await asyncio.sleep(SWEEP * 4)
    await nexus.bot.services.reminders.idle()


async def at(nexus: Nexus, moment: datetime) -> None:
    nexus.clock.set(moment)
    await settle(nexus)


async def start_cohort(nexus: Nexus, **options: str) -> str:
    reply = await nexus.invoke("mod", "nexus cohort start", date=START_DATE, **options)
    final = await reply.wait_final()
    assert final.ephemeral
    return final.text


def reminders_in(nexus: Nexus, channel: object = None) -> list[Message]:
    """What the bot posted in plain text (announcements are embeds; audit lines, which start
    with 📝, are tested in test_audit.py)."""
    posts = nexus.posts(channel)  # type: ignore[arg-type]
    return [m for m in posts if not m.embeds and not m.content.startswith("📝")]


async def test_cohort_commands_are_moderator_subcommands(week: Nexus) -> None:
    nexus_command = next(c for c in week.fake.commands() if c["name"] == "nexus")
    cohort = next(o for o in nexus_command["options"] if o["name"] == "cohort")
    assert {o["name"] for o in cohort["options"]} == {"start", "show", "preview", "cancel"}
    week.fake.enforce_command_visibility = False
    reply = await week.invoke("tobi", "nexus cohort show")
    assert reply.ephemeral and "Only moderators" in reply.text


async def test_a_whole_week_reaches_the_right_people(week: Nexus) -> None:
    ada = await learner(week, "ada", project="Job Board", role="backend")
    tobi = await learner(week, "tobi", project="Job Board", role="frontend")
    chidi = await learner(week, "chidi", project="E-Commerce", role="backend")
    wanjiku = await learner(week, "wanjiku", project="E-Commerce", role="frontend", reminders="dm")
    kofi = await learner(week, "kofi")
    zola = await learner(week, "zola", reminders="off")
    visitor = await learner(week, "visitor", reminders="on", in_cohort=False)
    await pair(week, ada, tobi)

    text = await start_cohort(week)
    assert "First week scheduled" in text
    assert "Mon 02 Nov 19:00 Africa/Lagos (18:00 UTC)" in text
    assert "Sun 08 Nov 19:00 Africa/Lagos" in text

    await at(week, lagos(1) - timedelta(minutes=1))
    assert reminders_in(week) == []

    with no_pings(week.fake):
        await at(week, lagos(1))
    [welcome] = reminders_in(week)
    assert "Welcome to Project Nexus week one" in welcome.content
    assert "E-Commerce, Job Board" in welcome.content
    assert set(welcome.pinged_users) == {ada.id, tobi.id, chidi.id, kofi.id}
    [dm] = week.fake.dms(wanjiku)
    assert "Welcome" in dm.content
    assert week.fake.dms(zola) == [] and week.fake.dms(visitor) == []

    await at(week, lagos(3))
    nudge = reminders_in(week)[1]
    assert "haven't announced" in nudge.content and nudge.pinged_users == [kofi.id]

    await at(week, lagos(5))
    partner = reminders_in(week)[2]
    assert partner.pinged_users == [chidi.id]
    assert f"<@{chidi.id}> → **wanjiku**" in partner.content
    assert f"<@{wanjiku.id}> → **chidi**" in week.fake.dms(wanjiku)[1].content

    await at(week, lagos(7))
    assert len(reminders_in(week)) == 3
    [summary] = reminders_in(week, week.mod_log)
    assert summary.pinged_users == [] and not summary.pinged_everyone
    assert "6 learners" in summary.content and "4 announced, 2 paired, 2 still alone" in (
        summary.content
    )
    assert "**E-Commerce**: 2 announced, 0 paired, 2 still alone (chidi, wanjiku)" in (
        summary.content
    )
    [chart] = summary.attachments  # the same chart as /nexus stats
    assert chart.filename == "nexus-stats.png" and chart.data.startswith(b"\x89PNG")

    show = await week.invoke("mod", "nexus cohort show")
    assert show.ephemeral
    assert show.text.count("✅ sent") == 4
    assert "5 delivered (1 by DM)" in show.text and "1 opted out" in show.text


async def test_closed_dms_fall_back_to_a_channel_mention(week: Nexus) -> None:
    amara = await learner(week, "amara", reminders="dm")
    amara.dms_open = False
    bola = await learner(week, "bola", reminders="dm")
    await start_cohort(week)
    await at(week, lagos(1))
    [post] = reminders_in(week)
    assert post.pinged_users == [amara.id]
    assert week.fake.dms(amara) == [] and len(week.fake.dms(bola)) == 1


async def test_big_cohorts_are_mentioned_in_chunks_of_fifty(week: Nexus) -> None:
    members = [week.member(f"learner{i:03}", roles=[week.learner_role]) for i in range(120)]
    await week.fake.flush()
    await start_cohort(week)
    await at(week, lagos(1))
    posts = reminders_in(week)
    assert [len(p.pinged_users) for p in posts] == [50, 50, 20]
    pinged = Counter(u for p in posts for u in p.pinged_users)
    assert set(pinged) == {m.id for m in members} and set(pinged.values()) == {1}
    for call in week.fake.calls_to("POST", "/channels/{channel_id}/messages"):
        if call.json["content"].startswith("📝"):  # the audit line of the cohort start
            continue
        allowed = call.json["allowed_mentions"]
        assert allowed["parse"] == [] and len(allowed["users"]) <= 50
        assert call.json["enforce_nonce"] is True


async def test_preview_is_a_dry_run(week: Nexus) -> None:
    await learner(week, "halima", project="Job Board Backend", role="backend")
    await learner(week, "ike", reminders="off")
    await learner(week, "jide", reminders="dm")
    await start_cohort(week, timezone="UTC+3")
    reply = await week.invoke("mod", "nexus cohort preview")
    final = await reply.wait_final()
    assert final.ephemeral and "dry run" in final.text
    assert "Mon 02 Nov 19:00 UTC+3 (16:00 UTC)" in final.text
    assert "**2** to remind: 1 mentioned" in final.text  # welcome: halima, jide by DM
    assert "1 by DM · 1 opted out" in final.text  # ike
    assert "halima" in final.text and "DM: jide" in final.text
    assert "One summary post" in final.text
    assert reminders_in(week) == [] and week.fake.dms(week.member("jide")) == []


async def test_bot_down_across_steps_late_then_skipped(week: Nexus) -> None:
    efe = await learner(week, "efe")
    await start_cohort(week)
    await week.stop()
    week.clock.set(lagos(1) + timedelta(hours=3))  # down at 19:00, back at 22:00
    await week.start(reminder_sweep_seconds=SWEEP)
    await settle(week)
    [late] = reminders_in(week)
    assert late.content.startswith("⏰ *A little late") and late.pinged_users == [efe.id]

    await week.stop()
    week.clock.set(lagos(3) + timedelta(hours=13))  # beyond the 12 h grace period
    await week.start(reminder_sweep_seconds=SWEEP)
    await settle(week)
    assert len(reminders_in(week)) == 1
    [notice] = reminders_in(week, week.mod_log)
    assert "announce-nudge" in notice.content and "skipped" in notice.content
    assert "12 h grace" in notice.content
    show = await week.invoke("mod", "nexus cohort show")
    assert "⏰ sent late" in show.text and "⏭️ skipped" in show.text


async def test_starting_again_replaces_the_plan(week: Nexus) -> None:
    await learner(week, "femi")
    await start_cohort(week)
    text = await start_cohort(week, timezone="Africa/Nairobi")
    assert "First week plan replaced" in text and "Africa/Nairobi" in text
    show = await week.invoke("mod", "nexus cohort show")
    assert show.text.count("🕒 scheduled") == 4 and "Africa/Lagos" not in show.text
    await at(week, datetime(2026, 11, 2, 16, tzinfo=UTC))  # 19:00 in Nairobi
    await at(week, lagos(1))  # the replaced Lagos plan would fire now
    assert len(reminders_in(week)) == 1


async def test_cancel_stops_the_plan(week: Nexus) -> None:
    await learner(week, "gbenga")
    await start_cohort(week)
    reply = await week.invoke("mod", "nexus cohort cancel")
    assert reply.ephemeral and "First week cancelled" in reply.text
    assert reply.text.count("✖️ cancelled") == 4
    await at(week, lagos(7))
    assert reminders_in(week) == [] and reminders_in(week, week.mod_log) == []
    again = await week.invoke("mod", "nexus cohort cancel")
    assert again.ephemeral and "No cohort is running" in again.text


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({"date": "02/11/2026"}, "YYYY-MM-DD"),
        ({"date": "2026-02-30"}, "YYYY-MM-DD"),
        ({"date": START_DATE, "timezone": "Mars/Olympus"}, "not a time zone"),
        ({"date": "2026-09-01"}, "already over"),
        ({"date": "2029-01-01"}, "more than a year"),
    ],
)
async def test_bad_start_options_change_nothing(
    week: Nexus, options: dict[str, str], complaint: str
) -> None:
    reply = await week.invoke("mod", "nexus cohort start", **options)
    final = await reply.wait_final()
    assert final.ephemeral and complaint in final.text
    show = await week.invoke("mod", "nexus cohort show")
    assert "No cohort has been started yet" in show.text


async def test_show_and_preview_without_a_cohort(week: Nexus) -> None:
    show = await week.invoke("mod", "nexus cohort show")
    assert show.ephemeral and "/nexus cohort start" in show.text
    preview = await (await week.invoke("mod", "nexus cohort preview")).wait_final()
    assert preview.ephemeral and "No cohort is running" in preview.text


async def test_cohort_before_setup_gets_a_hint(bare_nexus: Nexus) -> None:
    reply = await bare_nexus.invoke("mod", "nexus cohort start", date=START_DATE)
    final = await reply.wait_final()
    assert final.ephemeral and "/nexus setup" in final.text


async def test_timezone_autocomplete(week: Nexus) -> None:
    choices = await week.fake.autocomplete(
        week.mod, "nexus cohort start", focused="timezone", value="nairo", date=START_DATE
    )
    assert [c["value"] for c in choices] == ["Africa/Nairobi"]
    everything = await week.fake.autocomplete(
        week.mod, "nexus cohort start", focused="timezone", value="", date=START_DATE
    )
    assert len(everything) == 25 and everything[0]["value"] == "Africa/Lagos"
