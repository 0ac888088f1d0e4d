"""/nexus stats and /nexus export, end to end, over learners and pairings seeded in the database."""

from __future__ import annotations

import csv
import io

import pytest
from PIL import Image

from tests.e2e.harness import Nexus
from tests.services.seed import seed_cohort


@pytest.fixture
async def cohort(nexus: Nexus) -> Nexus:
    assert nexus.bot is not None
    await seed_cohort(nexus.bot.services.sessions, nexus.guild.id, nexus.clock.now())
    return nexus


async def test_stats_chart_totals_and_misses(cohort: Nexus) -> None:
    reply = await cohort.invoke("mod", "nexus stats")
    assert reply.deferred
    final = await reply.wait_final()
    assert final.ephemeral
    embed = final.embeds[0]
    assert embed["title"] == "Nexus stats"
    chart = embed["description"]
    assert "```" in chart and "█ paired" in chart
    assert "E-Commerce\n  backend  █░ 1 paired · 1 waiting\n  frontend █  1 paired · 0 waiting" in (
        chart
    )
    assert "No announcements yet: Movie App" in chart
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "Announced: **5** (backend 3 · frontend 2)" in fields["Totals"]
    assert "Paired: **2** in **1** active pairs" in fields["Totals"]
    assert "Waiting: **3** — 1 looked for a partner, 2 haven't looked yet" in fields["Totals"]
    misses = fields["/learn searches that found nothing"]
    assert misses.index("flutter") < misses.index("kubernetes")
    assert "other server" not in misses


async def test_stats_attaches_a_chart_and_keeps_the_funnel_numbers_in_text(cohort: Nexus) -> None:
    final = await (await cohort.invoke("mod", "nexus stats")).wait_final()
    [picture] = final.attachments
    assert picture.filename == "nexus-stats.png"
    image = Image.open(io.BytesIO(picture.data))
    assert image.format == "PNG" and image.size[0] >= 600
    embed = final.embeds[0]
    assert embed["image"]["url"] == "attachment://nexus-stats.png"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    # no learner role: the cohort is everyone who used Nexus and is still in the server
    assert fields["This week's funnel"].splitlines() == [
        "in the cohort: **6**",
        "announced: **5** (83%)",
        "asked or was asked: **0** (0%)",
        "paired: **4** (67%)",
        "met (check-in): 0 (not tracked yet)",
        "still paired so far: **2** (33%)",
    ]


async def test_stats_for_one_project(cohort: Nexus) -> None:
    reply = await cohort.invoke("mod", "nexus stats", project="ecommerce")
    final = await reply.wait_final()
    embed = final.embeds[0]
    assert embed["title"] == "Nexus stats · E-Commerce"
    assert "Job Board" not in embed["description"]
    assert final.attachments[0].filename == "nexus-stats.png"
    assert "This week's funnel" not in final.text
    assert "Announced: **3**" in final.text
    assert "/learn searches" not in final.text


async def test_project_option_autocompletes_from_the_catalog(cohort: Nexus) -> None:
    choices = await cohort.fake.autocomplete(cohort.mod, "nexus stats", focused="project", value="")
    values = [c["value"] for c in choices]
    assert {"ecommerce", "job-board", "movies", "online-poll"} <= set(values)
    assert len(values) == len(set(values)) <= 25
    choices = await cohort.fake.autocomplete(
        cohort.mod, "nexus stats", focused="project", value="product catalog"
    )
    assert choices == [{"name": "E-Commerce", "value": "ecommerce"}]


async def test_unknown_project_is_a_clear_error(cohort: Nexus) -> None:
    reply = await cohort.invoke("mod", "nexus stats", project="Space Station")
    final = await reply.wait_final()
    assert final.ephemeral and "no project called “Space Station”" in final.text


async def test_stats_on_an_empty_server(nexus: Nexus) -> None:
    final = await (await nexus.invoke("mod", "nexus stats")).wait_final()
    assert "Nobody has announced a project yet." in final.text
    assert "None recorded" in final.text


async def test_export_attaches_formula_safe_csv_files_named_after_the_server(
    cohort: Nexus,
) -> None:
    reply = await cohort.invoke("mod", "nexus export")
    assert reply.deferred
    final = await reply.wait_final()
    assert final.ephemeral and "7** learners, **2** pairings and **4** moderator changes" in (
        final.content
    )
    assert sorted(a.filename for a in final.attachments) == [
        "audit-alx-prodev-2026-11-02.csv",
        "learners-alx-prodev-2026-11-02.csv",
        "pairings-alx-prodev-2026-11-02.csv",
    ]
    files = {a.filename.split("-")[0]: a.data.decode("utf-8-sig") for a in final.attachments}
    learners = list(csv.DictReader(io.StringIO(files["learners"])))
    assert [row["display_name"] for row in learners][:3] == ["Wanjiku", "Tobi", "Amina"]
    assert learners[0]["summary"] == "'=SUM(A1:A9)"
    assert learners[0]["user_id"] == "101" and learners[0]["role"] == "backend"
    by_name = {row["display_name"]: row for row in learners}
    status = {name: row["pairing_status"] for name, row in by_name.items()}
    assert status == {
        "Wanjiku": "paired",
        "Tobi": "paired",
        "Amina": "waiting, looked for a partner",
        "Kwame": "announced, hasn't looked yet",  # their pairing ended
        "Lindiwe": "left the server",
        "Yusuf": "not announced",
        "Chidi": "announced, hasn't looked yet",
    }
    assert by_name["Wanjiku"]["partners"] == "Tobi" and by_name["Tobi"]["partners"] == "Wanjiku"
    assert by_name["Kwame"]["partners"] == ""
    assert by_name["Wanjiku"]["checkin"] == "not tracked yet" and by_name["Amina"]["checkin"] == ""
    assert by_name["Amina"]["waiting_since"].startswith("2026-11-02T09:00")
    pairings = list(csv.DictReader(io.StringIO(files["pairings"])))
    assert pairings[1]["end_reason"] == "'-partner left"
    assert pairings[0]["backend_name"] == "Wanjiku" and pairings[0]["ended_at"] == ""
    audit = list(csv.DictReader(io.StringIO(files["audit"])))
    assert [row["action"] for row in audit] == [
        "setup · Nexus channel",
        "setup · backend role",
        "setup · frontend role",
        "setup · mod-log",
    ]


async def test_stats_and_export_are_for_moderators_only(cohort: Nexus) -> None:
    cohort.fake.enforce_command_visibility = False
    for command in ("nexus stats", "nexus export"):
        reply = await cohort.invoke("tobi", command)
        assert reply.ephemeral and "Only moderators" in reply.text
        assert not reply.record.followups


async def test_stats_and_export_before_setup(bare_nexus: Nexus) -> None:
    for command in ("nexus stats", "nexus export"):
        final = await (await bare_nexus.invoke("mod", command)).wait_final()
        assert final.ephemeral and "/nexus setup" in final.text
        assert not final.attachments
