"""Every moderator change lands in the mod-log as "who · what · old → new", pinging no one."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db.models import AuditEntry, OutboxPost
from bot.services.audit import AUDIT_KIND
from tests.e2e.harness import Nexus
from tests.e2e.test_learners import announce
from tests.fakediscord import FakeDiscord, Message


async def audit_lines(nexus: Nexus, count: int) -> list[Message]:
    """Wait for `count` audit posts in the mod-log; check none of them pinged anyone."""
    await nexus.fake.wait_for_message(
        nexus.mod_log, lambda m: len(_audit_posts(nexus)) >= count, timeout=5
    )
    posts = _audit_posts(nexus)
    for post in posts:
        assert post.pinged_users == [] and post.pinged_roles == [] and not post.pinged_everyone
        assert post.allowed_mentions is not None and not post.allowed_mentions.get("parse")
    return posts


def _audit_posts(nexus: Nexus) -> list[Message]:
    return [m for m in nexus.posts(nexus.mod_log) if m.content.startswith("📝")]


async def test_setup_lists_what_was_set(nexus: Nexus) -> None:
    [post] = await audit_lines(nexus, 1)
    mod = f"<@{nexus.mod.id}>"
    lines = post.content.splitlines()
    assert f"📝 {mod} · setup · Nexus channel · not set → <#{nexus.channel.id}>" in lines
    assert f"📝 {mod} · setup · backend role · not set → <@&{nexus.backend_role.id}>" in lines
    assert f"📝 {mod} · setup · mod-log · not set → <#{nexus.mod_log.id}>" in lines
    assert not any("learner role" in line for line in lines)  # not set, not changed

    await nexus.setup(learner_role=nexus.learner_role)
    second = (await audit_lines(nexus, 2))[1]
    assert second.content == (
        f"📝 {mod} · setup · learner role · not set → <@&{nexus.learner_role.id}>"
    )


async def test_settings_show_old_and_new_values(nexus: Nexus) -> None:
    await audit_lines(nexus, 1)
    reply = await nexus.invoke("mod", "nexus settings", max_partners=2, timezone="Africa/Lagos")
    assert reply.ephemeral
    post = (await audit_lines(nexus, 2))[1]
    mod = f"<@{nexus.mod.id}>"
    assert post.content.splitlines() == [
        f"📝 {mod} · settings · timezone · `UTC` → `Africa/Lagos`",
        f"📝 {mod} · settings · max_partners · 1 → 2",
    ]
    await nexus.invoke("mod", "nexus settings", max_partners=2)  # no change: no line
    await nexus.invoke("mod", "nexus settings", allow_custom_projects=True)
    post = (await audit_lines(nexus, 3))[2]
    assert post.content == f"📝 {mod} · settings · allow_custom_projects · off → on"


async def test_projects_add_and_remove(nexus: Nexus) -> None:
    await audit_lines(nexus, 1)
    await nexus.invoke("mod", "nexus projects add", name="Library @everyone Manager")
    await nexus.invoke("mod", "nexus projects remove", project="Library @everyone Manager")
    added, removed = (await audit_lines(nexus, 3))[1:]
    assert added.content.endswith("· projects · add · — → `Library @everyone Manager`")
    assert removed.content.endswith("· projects · remove · `Library @everyone Manager` → —")


async def test_bad_input_changes_nothing_and_logs_nothing(nexus: Nexus) -> None:
    await audit_lines(nexus, 1)
    reply = await nexus.invoke("mod", "nexus settings", timezone="Mars/Olympus")
    assert reply.ephemeral
    reply = await nexus.invoke("mod", "nexus projects remove", project="Space Station")
    assert reply.ephemeral
    await nexus.invoke("mod", "nexus settings", max_partners=3)  # a change, to wait for
    posts = await audit_lines(nexus, 2)
    assert len(posts) == 2 and "max_partners · 1 → 3" in posts[1].content


async def test_cohort_start_and_cancel(nexus: Nexus) -> None:
    await audit_lines(nexus, 1)
    start = await nexus.invoke("mod", "nexus cohort start", date="2026-11-09")
    await start.wait_final()
    await nexus.invoke("mod", "nexus cohort cancel")
    started, cancelled = (await audit_lines(nexus, 3))[1:]
    assert started.content.endswith("· cohort · start · — → starts 2026-11-09 (UTC)")
    assert cancelled.content.endswith("· cohort · cancel · starts 2026-11-09 (UTC) → cancelled")


async def test_manual_pair_and_unpair_name_both_learners(nexus: Nexus) -> None:
    await audit_lines(nexus, 1)
    await announce(nexus, "wanjiku", project="ecommerce", role="backend")
    await announce(nexus, "tobi", project="ecommerce", role="frontend")
    wanjiku, tobi = nexus.member("wanjiku"), nexus.member("tobi")
    await (await nexus.invoke("mod", "nexus pair", backend=wanjiku, frontend=tobi)).wait_final()
    await (await nexus.invoke("mod", "nexus unpair", member=tobi)).wait_final()
    paired, unpaired = (await audit_lines(nexus, 3))[1:]
    both = f"<@{wanjiku.id}> & <@{tobi.id}> on `E-Commerce`"
    assert paired.content == f"📝 <@{nexus.mod.id}> · pair · — → {both}"
    assert unpaired.content == f"📝 <@{nexus.mod.id}> · unpair · {both} → —"


async def test_learn_reload(nexus: Nexus) -> None:
    await audit_lines(nexus, 1)
    await (await nexus.invoke("mod", "nexus learn reload")).wait_final()
    post = (await audit_lines(nexus, 2))[1]
    assert "· learn · reload · " in post.content and "articles (no change)" in post.content


async def test_export_includes_the_audit_trail(nexus: Nexus) -> None:
    await nexus.invoke("mod", "nexus settings", max_partners=2)
    await audit_lines(nexus, 2)
    final = await (await nexus.invoke("mod", "nexus export")).wait_final()
    files = {a.filename.split("-")[0]: a.data.decode("utf-8-sig") for a in final.attachments}
    rows = list(csv.DictReader(io.StringIO(files["audit"])))
    assert rows[-1]["action"] == "settings · max_partners"
    assert (rows[-1]["old"], rows[-1]["new"]) == ("1", "2")
    assert rows[-1]["moderator_id"] == str(nexus.mod.id)
    assert rows[-1]["moderator"] == "amina_mod"
    assert rows[0]["action"] == "setup · Nexus channel"


POST = "POST /channels/{channel_id}/messages"


async def _audit_rows(nexus: Nexus) -> list[OutboxPost]:
    async with nexus.session() as session:
        rows = await session.scalars(select(OutboxPost).where(OutboxPost.kind == AUDIT_KIND))
        return list(rows.all())


@pytest.fixture
async def retrying(fake: FakeDiscord, tmp_path: Path, database_url: str) -> AsyncIterator[Nexus]:
    """A set-up server whose outbox retries after 50 ms, its setup line already posted."""
    nexus = Nexus(fake, tmp_path, database=database_url)
    with fake.patched_discord():
        await nexus.start(outbox_retry_seconds=0.05)
        try:
            await nexus.setup()
            await audit_lines(nexus, 1)
            yield nexus
        finally:
            await nexus.stop()
    fake.assert_clean()


async def test_a_line_discord_refuses_is_retried_and_posted_once(retrying: Nexus) -> None:
    nexus, fake = retrying, retrying.fake
    fake.faults.fail(POST, status=503, times=2)
    await nexus.invoke("mod", "nexus settings", max_partners=2)
    posts = await audit_lines(nexus, 2)
    await asyncio.sleep(0.3)  # a second copy would show up by now
    assert len(_audit_posts(nexus)) == 2
    assert posts[1].content.endswith("settings · max_partners · 1 → 2")
    assert fake.faults.count("status") == 2
    assert all(row.status == "sent" for row in await _audit_rows(nexus))


async def test_a_line_still_waiting_at_a_stop_is_posted_after_the_restart(
    retrying: Nexus,
) -> None:
    nexus, fake = retrying, retrying.fake
    fake.faults.fail(POST, status=503, times=None)  # the mod-log is out of reach
    reply = await nexus.invoke("mod", "nexus settings", max_partners=3)
    assert reply.ephemeral
    for _ in range(100):
        if any(row.attempts for row in await _audit_rows(nexus)):
            break
        await asyncio.sleep(0.05)
    await nexus.stop()
    assert len(_audit_posts(nexus)) == 1  # the change is stored, its line still waits
    fake.faults.clear()
    await nexus.start(outbox_retry_seconds=0.05)
    posts = await audit_lines(nexus, 2)
    await asyncio.sleep(0.3)
    assert len(_audit_posts(nexus)) == 2
    assert posts[1].content.endswith("settings · max_partners · 1 → 3")


async def test_a_server_without_a_mod_log_stores_changes_and_posts_nothing(
    bare_nexus: Nexus,
) -> None:
    nexus = bare_nexus
    await nexus.invoke(
        "mod",
        "nexus setup",
        channel=nexus.channel,
        backend_role=nexus.backend_role,
        frontend_role=nexus.frontend_role,
    )
    reply = await nexus.invoke("mod", "nexus settings", max_partners=2)
    assert reply.ephemeral
    assert await _audit_rows(nexus) == []
    async with nexus.session() as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert "settings · max_partners" in actions
