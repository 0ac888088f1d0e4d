"""/nexus show: what is set, what is missing, the cohort's state and what to do next."""

from __future__ import annotations

from tests.e2e.harness import Nexus
from tests.e2e.test_learners import announce


def field(reply_embeds: list[dict[str, object]], name: str) -> str:
    fields = {f["name"]: f["value"] for f in reply_embeds[0]["fields"]}  # type: ignore[attr-defined]
    return str(fields[name])


async def test_show_after_setup_says_what_is_missing_and_what_to_do(nexus: Nexus) -> None:
    show = await nexus.invoke("mod", "nexus show")
    assert show.ephemeral and show.message is not None
    embeds = show.message.embeds
    assert field(embeds, "Health") == "✅ I have the permissions I need."
    assert "Learner (cohort): not set" in show.text  # what is set, what is not
    cohort = field(embeds, "Cohort")
    assert "5 projects in the catalog · 0 learners announced · 0 paired" in cohort
    assert "No first week scheduled yet." in cohort
    steps = field(embeds, "Next steps")
    assert "Set the learner role" in steps and "/nexus cohort start" in steps
    assert "mod-log" not in steps  # it is set
    # operator detail belongs to /healthz, not here
    assert "latency" not in show.text.lower() and "Servers:" not in show.text


async def test_show_follows_the_cohort_and_the_learners(nexus: Nexus) -> None:
    await nexus.setup(learner_role=nexus.learner_role)
    start = await nexus.invoke("mod", "nexus cohort start", date="2026-11-09")
    await start.wait_final()
    await announce(nexus, "wanjiku", project="ecommerce", role="backend")
    show = await nexus.invoke("mod", "nexus show")
    assert show.message is not None
    cohort = field(show.message.embeds, "Cohort")
    assert "1 learners announced · 0 paired" in cohort
    assert "**2026-11-09** (UTC): 0 of 4 steps done." in cohort
    assert "Next: day-1 welcome, <t:" in cohort and ":R>)" in cohort
    steps = field(show.message.embeds, "Next steps")
    assert "/nexus cohort preview" in steps and "Set the learner role" not in steps
    assert "1 announced learner without a partner" in steps

    await nexus.invoke("mod", "nexus cohort cancel")
    show = await nexus.invoke("mod", "nexus show")
    assert show.message is not None
    assert "cancelled. 0 of 4 steps went out." in field(show.message.embeds, "Cohort")
    assert "/nexus cohort start" in field(show.message.embeds, "Next steps")


async def test_show_lists_permission_problems(bare_nexus: Nexus) -> None:
    high = bare_nexus.guild.add_role("Backend Guild", above_bot=True)
    await bare_nexus.invoke("mod", "nexus setup", channel=bare_nexus.channel, backend_role=high)
    show = await bare_nexus.invoke("mod", "nexus show")
    assert show.message is not None
    health = field(show.message.embeds, "Health")
    assert f"Move my role above <@&{high.id}>" in health
    steps = field(show.message.embeds, "Next steps")
    assert steps.startswith("• Fix what **Health** lists")
    assert "Set a mod-log" in steps
