"""A refused /announce-project keeps what was typed: the error's button opens the announce form
prefilled (the refused field marked), and submitting it announces as the command does."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db.models import AnnounceDraftRow
from tests.e2e.harness import Nexus
from tests.e2e.test_first_week import at, lagos, learner, restart, start_cohort, week
from tests.e2e.test_learners import announce, learners, post_of
from tests.fakediscord import InteractionResult, InteractionSetupError, Message
from tests.fakediscord.util import iter_components

__all__ = ["week"]  # the fixture, imported for this module


def custom_id(message: Message | InteractionResult, prefix: str) -> str:
    ids = [
        str(c["custom_id"])
        for c in iter_components(message.components)
        if str(c.get("custom_id", "")).startswith(prefix)
    ]
    assert len(ids) == 1, (prefix, ids)
    return ids[0]


def preselected(field: dict[str, Any]) -> list[str]:
    """The options a select in the form shows as chosen."""
    assert field["type"] == 3, field
    return [o["value"] for o in field["options"] if o.get("default")]


def inputs(modal: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The modal's text inputs by custom_id (with their labels, from a Label or a row)."""
    found: dict[str, dict[str, Any]] = {}
    for row in modal["components"]:
        if row["type"] == 18:
            found[row["component"]["custom_id"]] = {**row["component"], "label": row["label"]}
        for comp in row.get("components") or []:
            found[comp["custom_id"]] = comp
    return found


async def test_bad_url_keeps_the_draft_and_the_form_announces(nexus: Nexus) -> None:
    wanjiku = nexus.member("wanjiku")
    refused = await announce(
        nexus,
        wanjiku,
        project="ecommerce",
        role="backend",
        summary="DRF API with JWT auth",
        repo="http://github.com/wanjiku/shop",
        timezone="Africa/Lagos",
    )
    assert refused.ephemeral and "https://" in refused.text
    assert "Nothing was posted or changed" in refused.text
    assert nexus.posts() == [] and await learners(nexus) == 0

    opened = await nexus.fake.click(wanjiku, refused, custom_id(refused, "nexus:announce:draft:"))
    assert opened.modal is not None, opened
    fields = inputs(opened.modal)
    assert fields["announce-project"]["value"] == "ecommerce"
    assert preselected(fields["announce-role"]) == ["backend"]  # the track is a select
    assert [o["value"] for o in fields["announce-role"]["options"]] == ["backend", "frontend"]
    assert fields["announce-summary"]["value"] == "DRF API with JWT auth"
    assert fields["announce-timezone"]["value"] == "Africa/Lagos"
    assert fields["announce-repo"]["value"] == "http://github.com/wanjiku/shop"
    assert fields["announce-repo"]["label"].startswith("✏️ Fix")  # the field to correct
    assert not fields["announce-summary"]["label"].startswith("✏️")

    done = await nexus.fake.submit_modal(
        wanjiku,
        opened.modal["custom_id"],
        {"announce-repo": "https://github.com/wanjiku/shop"},
    )
    if done.deferred:
        await done.wait_final()
    assert done.ephemeral and "You're announced" in done.text, done.text
    post = post_of(nexus, wanjiku)
    for expected in ("github.com/wanjiku/shop", "DRF API with JWT auth", "Africa/Lagos"):
        assert expected in post.text, expected
    assert wanjiku.has_role(nexus.backend_role)


async def test_a_form_refused_again_keeps_the_new_values(nexus: Nexus) -> None:
    wanjiku = nexus.member("wanjiku")
    refused = await announce(nexus, wanjiku, project="ecommerce", role="backend", summary="x" * 301)
    assert "301 characters" in refused.text
    opened = await nexus.fake.click(wanjiku, refused, custom_id(refused, "nexus:announce:draft:"))
    assert opened.modal is not None
    assert inputs(opened.modal)["announce-summary"]["label"].startswith("✏️ Fix")
    again = await nexus.fake.submit_modal(
        wanjiku,
        opened.modal["custom_id"],
        {"announce-summary": "Short now", "announce-timezone": "Lagos Time"},
    )
    assert again.ephemeral and "Did you mean `Africa/Lagos`?" in again.text  # the closest zone
    assert "Nothing was posted or changed" in again.text and await learners(nexus) == 0
    second = await nexus.fake.click(wanjiku, again, custom_id(again, "nexus:announce:draft:"))
    assert second.modal is not None
    fields = inputs(second.modal)
    assert fields["announce-summary"]["value"] == "Short now"
    assert fields["announce-timezone"]["value"] == "Lagos Time"
    assert fields["announce-timezone"]["label"].startswith("✏️ Fix")


async def test_an_unknown_project_offers_the_form_too(nexus: Nexus) -> None:
    wanjiku = nexus.member("wanjiku")
    refused = await announce(nexus, wanjiku, project="Quantum Toaster", role="backend")
    assert "not a project" in refused.text and "Nothing was posted or changed" in refused.text
    opened = await nexus.fake.click(wanjiku, refused, custom_id(refused, "nexus:announce:draft:"))
    assert opened.modal is not None
    assert inputs(opened.modal)["announce-project"]["label"].startswith("✏️ Fix")
    done = await nexus.fake.submit_modal(
        wanjiku, opened.modal["custom_id"], {"announce-project": "ecommerce"}
    )
    if done.deferred:
        await done.wait_final()
    assert "You're announced" in done.text
    assert await learners(nexus) == 1


async def drafts(nexus: Nexus) -> int:
    async with nexus.session() as session:
        count = await session.scalar(select(func.count()).select_from(AnnounceDraftRow))
        return int(count or 0)


async def test_a_draft_survives_a_restart(nexus: Nexus) -> None:
    wanjiku = nexus.member("wanjiku")
    refused = await announce(
        nexus, wanjiku, project="ecommerce", role="frontend", summary="React shop", repo="nope"
    )
    button = custom_id(refused, "nexus:announce:draft:")
    assert button.startswith(f"nexus:announce:draft:{nexus.guild.id}:")  # server and token
    await nexus.restart()
    opened = await nexus.fake.click(wanjiku, refused, button)
    assert opened.modal is not None, opened
    assert opened.modal["title"] == "Announce your project"
    fields = inputs(opened.modal)
    assert fields["announce-summary"]["value"] == "React shop"
    assert fields["announce-repo"]["value"] == "nope"
    assert fields["announce-repo"]["label"].startswith("✏️ Fix")
    assert preselected(fields["announce-role"]) == ["frontend"]
    assert await learners(nexus) == 0 and await drafts(nexus) == 1

    done = await nexus.fake.submit_modal(
        wanjiku, opened.modal["custom_id"], {"announce-repo": "https://github.com/w/shop"}
    )
    if done.deferred:
        await done.wait_final()
    assert "You're announced" in done.text
    assert "React shop" in post_of(nexus, wanjiku).text
    assert await drafts(nexus) == 0  # announcing deletes the learner's drafts


async def test_an_expired_draft_opens_the_form_from_the_profile(nexus: Nexus) -> None:
    wanjiku = nexus.member("wanjiku")
    await announce(nexus, wanjiku, project="ecommerce", role="backend", summary="DRF API")
    refused = await announce(nexus, wanjiku, project="ecommerce", role="backend", repo="nope")
    assert "Nothing was posted or changed" in refused.text
    nexus.clock.advance(hours=25)  # drafts are kept for a day
    opened = await nexus.fake.click(wanjiku, refused, custom_id(refused, "nexus:announce:draft:"))
    assert opened.modal is not None, opened
    assert "expired" in opened.modal["title"]
    fields = inputs(opened.modal)
    assert "E-Commerce" in fields["announce-project"]["value"]  # the profile, not the draft
    assert fields["announce-summary"]["value"] == "DRF API"
    assert not fields["announce-repo"].get("value")
    assert preselected(fields["announce-role"]) == ["backend"]
    assert not [f for f in fields.values() if str(f.get("label", "")).startswith("✏️")]


async def test_an_expired_draft_of_a_newcomer_opens_an_empty_form(nexus: Nexus) -> None:
    wanjiku = nexus.member("wanjiku")
    refused = await announce(nexus, wanjiku, project="ecommerce", role="backend", repo="nope")
    nexus.clock.advance(hours=25)
    opened = await nexus.fake.click(wanjiku, refused, custom_id(refused, "nexus:announce:draft:"))
    assert opened.modal is not None and "expired" in opened.modal["title"]
    fields = inputs(opened.modal)
    assert all(not f.get("value") for f in fields.values())
    assert preselected(fields["announce-role"]) == []


async def test_drafts_are_exported_and_erased_with_my_data(nexus: Nexus) -> None:
    wanjiku = nexus.member("wanjiku")
    await announce(nexus, wanjiku, project="ecommerce", role="backend", summary="x" * 301)
    export = await nexus.invoke(wanjiku, "my-data", action="export")
    assert export.message is not None
    document = json.loads(export.message.attachments[0].data)
    [draft] = document["announce_drafts"]
    assert draft["project"] == "ecommerce" and draft["summary"] == "x" * 301
    assert draft["refused_field"] == "summary" and draft["expires_at"]

    prompt = await nexus.invoke(wanjiku, "my-data", action="delete")
    assert prompt.message is not None
    erase = next(c for c in prompt.message.custom_ids() if c.startswith("nexus:mydata:erase"))
    done = await nexus.fake.click(wanjiku, prompt, erase)
    await done.wait_final()
    assert "announce drafts (1)" in prompt.text, prompt.text
    assert await drafts(nexus) == 0


async def test_a_reminder_dm_announces_with_a_button_after_a_restart(week: Nexus) -> None:
    bola = await learner(week, "bola", reminders="dm")
    await start_cohort(week)
    await at(week, lagos(1))
    [welcome] = [m for m in week.fake.dms(bola) if "Welcome" in m.text]
    assert "/announce-project" not in welcome.text  # a DM can't run a server command
    assert "**Announce** (the button below)" in welcome.text
    assert custom_id(welcome, "nexus:announce:open:") == f"nexus:announce:open:{week.guild.id}"

    await at(week, lagos(3))
    [nudge] = [m for m in week.fake.dms(bola) if "haven't announced" in m.text]
    assert "/announce-project" not in nudge.text and "Press **Announce** below" in nudge.text
    await restart(week)  # the server is in the button's custom id: it still works
    opened = await week.fake.click(bola, nudge, custom_id(nudge, "nexus:announce:open:"))
    assert opened.modal is not None, opened
    assert all(not f.get("value") for f in inputs(opened.modal).values())
    assert preselected(inputs(opened.modal)["announce-role"]) == []  # nothing chosen yet
    done = await week.fake.submit_modal(
        bola,
        opened.modal["custom_id"],
        {"announce-project": "ecommerce", "announce-role": ["frontend"]},
    )
    if done.deferred:
        await done.wait_final()
    assert done.ephemeral and "You're announced" in done.text, done.text
    assert "E-Commerce" in post_of(week, bola).text
    assert bola.has_role(week.frontend_role)


async def test_a_refused_form_from_a_dm_keeps_the_draft(week: Nexus) -> None:
    bola = await learner(week, "bola", reminders="dm")
    await start_cohort(week)
    await at(week, lagos(1))
    [welcome] = [m for m in week.fake.dms(bola) if "Welcome" in m.text]
    opened = await week.fake.click(bola, welcome, custom_id(welcome, "nexus:announce:open:"))
    assert opened.modal is not None
    refused = await week.fake.submit_modal(
        bola,
        opened.modal["custom_id"],
        {
            "announce-project": "ecommerce",
            "announce-role": ["frontend"],
            "announce-repo": "github.com/bola/shop",
        },
    )
    assert refused.ephemeral and "https://" in refused.text
    assert "Nothing was posted or changed" in refused.text
    assert not [p for p in week.posts() if p.embeds]  # no announcement posted
    again = await week.fake.click(bola, refused, custom_id(refused, "nexus:announce:draft:"))
    assert again.modal is not None
    fields = inputs(again.modal)
    assert fields["announce-project"]["value"] == "ecommerce"
    assert preselected(fields["announce-role"]) == ["frontend"]  # the track picked is kept
    assert fields["announce-repo"]["label"].startswith("✏️ Fix")


async def test_the_track_select_announces_the_track_picked(nexus: Nexus) -> None:
    wanjiku = nexus.member("wanjiku")
    refused = await announce(nexus, wanjiku, project="ecommerce", role="backend", repo="nope")
    opened = await nexus.fake.click(wanjiku, refused, custom_id(refused, "nexus:announce:draft:"))
    assert opened.modal is not None
    [track] = [row for row in opened.modal["components"] if row["type"] == 18]
    assert track["component"]["type"] == 3 and not track["label"].startswith("✏️")
    with pytest.raises(InteractionSetupError):  # only the select's options can be sent
        await nexus.fake.submit_modal(
            wanjiku, opened.modal["custom_id"], {"announce-role": ["designer"]}
        )
    done = await nexus.fake.submit_modal(
        wanjiku,
        opened.modal["custom_id"],
        {"announce-repo": "https://github.com/w/app", "announce-role": ["frontend"]},
    )
    if done.deferred:
        await done.wait_final()
    assert "You're announced" in done.text, done.text
    assert wanjiku.has_role(nexus.frontend_role) and not wanjiku.has_role(nexus.backend_role)


async def test_a_form_opened_before_a_restart_still_announces(nexus: Nexus) -> None:
    wanjiku = nexus.member("wanjiku")
    refused = await announce(nexus, wanjiku, project="ecommerce", role="backend", repo="nope")
    opened = await nexus.fake.click(wanjiku, refused, custom_id(refused, "nexus:announce:draft:"))
    assert opened.modal is not None
    await nexus.restart()
    done = await nexus.fake.submit_modal(
        wanjiku, opened.modal["custom_id"], {"announce-repo": "https://github.com/w/shop"}
    )
    if done.deferred:
        await done.wait_final()
    assert "You're announced" in done.text
    assert "github.com/w/shop" in post_of(nexus, wanjiku).text
