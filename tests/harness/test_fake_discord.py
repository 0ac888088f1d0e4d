"""End-to-end self-tests: the real discord.py client against the fake Discord."""

from __future__ import annotations

import asyncio

import aiohttp
import discord
import pytest

from tests.fakediscord import FakeDiscord, InteractionSetupError
from tests.fakediscord.spec import shared_validator
from tests.harness.support import Scene
from tests.harness.tinybot import TinyBot

pytestmark = pytest.mark.timeout(30)

MESSAGES = "/channels/{channel_id}/messages"
CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"


async def test_bot_connects_and_sees_the_guild(
    fake: FakeDiscord, scene: Scene, bot: TinyBot
) -> None:
    assert fake.identify_count == 1
    assert fake.last_identify is not None
    assert fake.intents & discord.Intents.members.flag
    guild = bot.get_guild(scene.guild.id)
    assert guild is not None
    assert guild.name == "ALX ProDev"
    assert {c.name for c in guild.text_channels} == {"prodevprojectnexus", "general"}
    member = guild.get_member(scene.wanjiku.id)
    assert member is not None
    assert [r.name for r in member.roles if not r.is_default()] == ["Backend"]
    assert guild.me.guild_permissions.manage_roles
    assert {c["name"] for c in fake.commands()} >= {"echo", "nexus", "announce"}
    fake.assert_clean()


async def test_slash_command_with_typed_options_and_resolved_objects(
    fake: FakeDiscord, scene: Scene, bot: TinyBot
) -> None:
    result = await fake.invoke(
        scene.wanjiku,
        "echo",
        channel=scene.channel,
        text="hi",
        count=2,
        loud=True,
        ratio=0.5,
        who=scene.otieno,
        role=scene.backend,
        where=scene.channel,
    )
    assert result.type == 4
    assert not result.ephemeral
    assert result.content == "HIHI ratio=0.5 who=otieno role=Backend where=prodevprojectnexus"
    assert result.message is not None
    assert fake.messages(scene.channel) == [result.message]
    assert result.message.pinged_users == []
    payload = fake.interactions[result.interaction_id].payload
    assert payload["data"]["resolved"]["members"][str(scene.otieno.id)]["roles"] == []
    fake.assert_clean()


async def test_unknown_option_and_command_raise_helpful_errors(
    fake: FakeDiscord, scene: Scene, bot: TinyBot
) -> None:
    with pytest.raises(InteractionSetupError, match="registered options: text"):
        await fake.invoke(scene.wanjiku, "echo", text="x", colour="red")
    with pytest.raises(InteractionSetupError, match="missing required option"):
        await fake.invoke(scene.wanjiku, "echo")
    with pytest.raises(InteractionSetupError, match="needs a sub-command"):
        await fake.invoke(scene.admin, "nexus")
    fake.response_timeout = 0.2
    with pytest.raises(InteractionSetupError, match=r"no.*command named 'nope'"):
        await fake.invoke(scene.wanjiku, "nope")


async def test_ephemeral_reply_with_embed(fake: FakeDiscord, scene: Scene, bot: TinyBot) -> None:
    result = await fake.invoke(scene.otieno, "secret")
    assert result.ephemeral
    assert result.embeds[0]["title"] == "Secret"
    assert "only you" in result.text and "shh" in result.text
    assert fake.messages(scene.channel) == []
    assert fake.messages(scene.channel, include_ephemeral=True) == [result.message]
    fake.assert_clean()


async def test_deferred_subcommand_then_followup(
    fake: FakeDiscord, scene: Scene, bot: TinyBot
) -> None:
    result = await fake.invoke(scene.admin, "nexus setup", level=3)
    assert result.type == 5
    assert result.deferred
    final = await result.wait_final(timeout=5)
    assert final.content == "setup level 3 (manage_guild=True)"
    # The first followup after a defer edits the loading message: one post in total.
    assert final is result.message
    assert fake.messages(scene.channel) == [final]
    group = await fake.invoke(scene.admin, "nexus admin ping")
    assert group.ephemeral and group.content == "pong from group"
    fake.assert_clean()


async def test_default_member_permissions_hide_commands(
    fake: FakeDiscord, scene: Scene, bot: TinyBot
) -> None:
    with pytest.raises(InteractionSetupError, match="manage_guild"):
        await fake.invoke(scene.wanjiku, "nexus setup")
    fake.enforce_command_visibility = False  # e.g. a server admin granted it via overrides
    result = await fake.invoke(scene.wanjiku, "nexus setup")
    final = await result.wait_final()
    assert "manage_guild=False" in final.content
    fake.assert_clean()


async def test_autocomplete_returns_bot_choices(
    fake: FakeDiscord, scene: Scene, bot: TinyBot
) -> None:
    choices = await fake.autocomplete(scene.wanjiku, "announce", focused="project", value="djan")
    assert [c["value"] for c in choices] == ["django-api", "django-rest", "djangular"]
    result = await fake.invoke(scene.wanjiku, "announce", project="djangular")
    assert result.content == "Announcing djangular"
    fake.assert_clean()


async def test_button_click_updates_message(fake: FakeDiscord, scene: Scene, bot: TinyBot) -> None:
    result = await fake.invoke(scene.wanjiku, "buttons")
    assert result.message is not None
    assert result.message.custom_ids() == ["confirm", "stack", "mentor"]
    clicked = await fake.click(scene.otieno, result, "confirm")
    assert clicked.type == 7
    assert clicked.message is result.message
    assert result.message.content == "Confirmed by otieno"
    assert result.message.edited
    assert fake.messages(scene.channel) == [result.message]
    with pytest.raises(InteractionSetupError, match="disabled"):
        await fake.click(scene.otieno, result, "confirm")
    picked = await fake.select(scene.otieno, result, "stack", ["backend"])
    assert picked.ephemeral and picked.content == "stack=backend"
    with pytest.raises(InteractionSetupError, match="not options"):
        await fake.select(scene.otieno, result, "stack", ["mobile"])
    mentor = await fake.select(scene.otieno, result, "mentor", [scene.admin])
    assert mentor.content == "mentor=amina"
    fake.assert_clean()


async def test_modal_roundtrip(fake: FakeDiscord, scene: Scene, bot: TinyBot) -> None:
    result = await fake.invoke(scene.wanjiku, "form")
    assert result.type == 9
    assert result.modal is not None and result.modal["title"] == "Your profile"
    with pytest.raises(InteractionSetupError, match="required"):
        await fake.submit_modal(scene.wanjiku, "profile", {"bio": "x"})
    submitted = await fake.submit_modal(scene.wanjiku, "profile", {"github": "wanjiku-dev"})
    assert submitted.content == "saved wanjiku-dev / -"
    assert submitted.ephemeral
    fake.assert_clean()


async def test_three_second_deadline_is_enforced(
    fake: FakeDiscord, scene: Scene, bot: TinyBot
) -> None:
    fake.interaction_deadline = 0.3  # scaled down from Discord's 3 s to keep the test fast
    result = await fake.invoke(scene.wanjiku, "slow", delay=0.5)
    assert result.late
    assert result.type is None
    assert result.rejected[0].status == 404
    assert result.rejected[0].response["code"] == 10062
    assert any("deadline" in v for v in fake.violations)
    with pytest.raises(AssertionError, match="deadline"):
        fake.assert_clean()


async def test_second_initial_response_is_rejected(
    fake: FakeDiscord, scene: Scene, bot: TinyBot
) -> None:
    result = await fake.invoke(scene.wanjiku, "double")
    assert result.content == "first"
    followups = await result.wait_followups(1)
    assert followups[0].content == "second failed: 40060"
    assert any("second initial response" in v for v in fake.violations)


async def test_content_over_2000_rejected(fake: FakeDiscord, scene: Scene, bot: TinyBot) -> None:
    result = await fake.invoke(scene.wanjiku, "long")
    assert result.type is None
    body = result.rejected[0].response
    assert body["code"] == 50035
    assert body["errors"]["data"]["content"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
    assert any("data.content" in v and "2000" in v for v in fake.violations)


async def test_embed_total_over_6000_rejected(
    fake: FakeDiscord, scene: Scene, bot: TinyBot
) -> None:
    result = await fake.invoke(scene.wanjiku, "bigembed")
    assert result.type is None
    assert result.rejected[0].response["code"] == 50035
    assert any("6000" in v for v in fake.violations)


async def test_unknown_route_and_bad_token(fake: FakeDiscord, scene: Scene, bot: TinyBot) -> None:
    route = discord.http.Route("GET", "/guilds/{guild_id}/nonsense", guild_id=scene.guild.id)
    with pytest.raises(discord.NotFound):
        await bot.http.request(route)
    assert fake.unknown_routes == [f"GET /api/v10/guilds/{scene.guild.id}/nonsense"]
    with pytest.raises(AssertionError, match="unknown route"):
        fake.assert_clean()
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": "Bot wrong"}
        async with session.get(f"{fake.api_base}/users/@me", headers=headers) as resp:
            assert resp.status == 401
        async with session.get(f"{fake.api_base}/gateway") as resp:
            assert (await resp.json())["url"].startswith("ws://127.0.0.1")


async def test_closed_dms_answer_403_50007(fake: FakeDiscord, scene: Scene, bot: TinyBot) -> None:
    scene.otieno.dms_open = False
    closed = await fake.invoke(scene.admin, "dm", member=scene.otieno)
    assert (await closed.wait_final()).content == "closed (50007)"
    assert fake.dms(scene.otieno) == []
    opened = await fake.invoke(scene.admin, "dm", member=scene.wanjiku)
    assert (await opened.wait_final()).content == "sent"
    assert [m.content for m in fake.dms(scene.wanjiku)] == ["hello wanjiku"]
    fake.assert_clean()


async def test_disconnect_resume_then_command_works(
    fake: FakeDiscord, scene: Scene, bot: TinyBot
) -> None:
    await fake.disconnect_bot(code=4000)
    newcomer = scene.guild.add_member("kamau")  # dispatched while the bot is away
    await fake.wait_until_ready(timeout=10)
    assert fake.resume_count == 1
    assert fake.identify_count == 1
    assert bot.get_guild(scene.guild.id).get_member(newcomer.id) is not None  # type: ignore[union-attr]
    result = await fake.invoke(newcomer, "echo", text="back")
    assert result.content.startswith("back")
    fake.invalidate_session()
    await asyncio.sleep(0)
    await fake.gateway.changed.wait_for(lambda: fake.identify_count == 2, 10)
    await fake.wait_until_ready(timeout=10)
    result = await fake.invoke(newcomer, "echo", text="again")
    assert result.content.startswith("again")
    fake.assert_clean()


async def test_rate_limit_headers_make_discord_py_wait(
    fake: FakeDiscord, scene: Scene, bot: TinyBot
) -> None:
    target = scene.guild.channel("general")
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await fake.invoke(scene.admin, "spam", options={"n": 12, "channel": target})
    final = await result.wait_final(timeout=15)
    elapsed = loop.time() - started
    assert final.content == "sent 12"
    assert len(fake.messages(target)) == 12
    assert fake.rate_limited_count == 0
    # 12 messages through a 5-per-0.5 s bucket need at least two full windows.
    assert elapsed >= 0.9
    headers_seen = fake.calls_to("POST", MESSAGES)
    assert len(headers_seen) == 12
    fake.assert_clean()


async def test_injected_failures_are_retried(fake: FakeDiscord, scene: Scene, bot: TinyBot) -> None:
    fake.fail_next("POST", MESSAGES, status=429, retry_after=0.05)
    channel = bot.get_channel(scene.channel.id)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("after a 429")
    assert fake.rate_limited_count == 1
    assert [c.status for c in fake.calls_to("POST", MESSAGES)] == [429, 200]
    assert fake.message(sent.id) is not None
    fake.fail_next("POST", MESSAGES, status=403, code=50013, message="Missing Permissions")
    with pytest.raises(discord.Forbidden):
        await channel.send("nope")
    fake.assert_clean()


@pytest.mark.skipif(
    not shared_validator().available,
    reason="Discord's OpenAPI spec is not beside the repo (../shared/discord-api-spec)",
)
async def test_spec_validation_catches_wrong_types(
    fake: FakeDiscord, scene: Scene, bot: TinyBot
) -> None:
    route = discord.http.Route("POST", MESSAGES, channel_id=scene.channel.id)
    with pytest.raises(discord.HTTPException) as info:
        await bot.http.request(route, json={"content": "hi", "tts": "yes"})
    assert info.value.status == 400 and info.value.code == 50035
    assert any("spec: tts" in v for v in fake.violations), fake.violations
    fake.violations.clear()
    # Everything discord.py itself sent so far (login, command sync) validated cleanly.
    fake.assert_clean()


async def test_threads_roles_and_mentions(fake: FakeDiscord, scene: Scene, bot: TinyBot) -> None:
    result = await fake.invoke(scene.admin, "thread", member=scene.wanjiku)
    final = await result.wait_final()
    thread = fake.threads(scene.guild)[0]
    assert final.content == f"thread {thread.id}"
    assert thread.type == 12 and not thread.invitable and thread.auto_archive_duration == 1440
    assert set(thread.member_ids) == {fake.bot_user.id, scene.wanjiku.id}
    welcome = fake.messages(thread)[0]
    assert welcome.pinged_users == [scene.wanjiku.id]

    granted = await fake.invoke(scene.admin, "grant", member=scene.otieno, role=scene.backend)
    assert granted.content == "granted Backend"
    assert scene.backend in scene.otieno.roles
    scene.guild.bot_permissions = 0
    scene.guild.everyone_permissions = discord.Permissions(send_messages=True).value
    await fake.flush()
    denied = await fake.invoke(scene.admin, "grant", member=scene.wanjiku, role=scene.backend)
    assert denied.content == "forbidden 50013"

    scene.guild.bot_permissions = discord.Permissions(send_messages=True, view_channel=True).value
    await fake.flush()
    await fake.invoke(scene.admin, "shout", member=scene.otieno)
    quiet = await fake.wait_for_message(scene.channel, lambda m: m.content.startswith("@everyone"))
    assert quiet.pinged_users == [] and not quiet.pinged_everyone
    loud = await fake.wait_for_message(scene.channel, lambda m: m.content.startswith("hey"))
    assert loud.pinged_users == [scene.otieno.id]
    assert loud.pings(scene.otieno)
    fake.assert_clean()


async def test_attachments_and_member_events(fake: FakeDiscord, scene: Scene, bot: TinyBot) -> None:
    result = await fake.invoke(scene.wanjiku, "upload")
    assert result.message is not None
    [attachment] = result.message.attachments
    assert (attachment.filename, attachment.data) == ("report.txt", b"report-bytes")
    guild = bot.get_guild(scene.guild.id)
    assert guild is not None
    fake.remove_member(scene.guild, scene.otieno)
    await fake.flush()
    assert guild.get_member(scene.otieno.id) is None
    fake.readd_member(scene.guild, scene.otieno)
    await fake.flush()
    assert guild.get_member(scene.otieno.id) is not None
    fake.assert_clean()


async def test_dm_invocation(fake: FakeDiscord, scene: Scene, bot: TinyBot) -> None:
    result = await fake.invoke(scene.wanjiku.user, "echo", text="dm")
    assert result.content == "dm ratio=1.0"
    assert result.message is not None and result.message.channel.is_dm
    assert fake.interactions[result.interaction_id].payload["context"] == 1
    fake.assert_clean()


async def test_context_menu_and_member_chunking(
    fake: FakeDiscord, scene: Scene, bot: TinyBot
) -> None:
    result = await fake.invoke_context_menu(scene.admin, "Pair with", scene.wanjiku)
    assert result.content == "pairing with wanjiku"
    guild = bot.get_guild(scene.guild.id)
    assert guild is not None
    found = await guild.query_members("wan")
    assert [m.id for m in found] == [scene.wanjiku.id]
    assert fake.gateway.sessions  # the op 8 request was answered with GUILD_MEMBERS_CHUNK
    fake.assert_clean()


async def test_fast_heartbeats_are_acknowledged(scene_free_fake: FakeDiscord) -> None:
    fake = scene_free_fake
    guild = fake.add_guild("Beat")
    guild.add_text_channel("general")
    member = guild.add_member("beat")
    with fake.patched_discord():
        client = TinyBot()
        task = asyncio.create_task(client.start(fake.bot_token))
        try:
            await fake.wait_until_ready(timeout=10)
            await asyncio.sleep(0.5)  # ~10 heartbeats at 50 ms
            assert client.latency < 1.0
            result = await fake.invoke(member, "echo", text="beat")
            assert result.content.startswith("beat")
            assert fake.identify_count == 1 and fake.resume_count == 0
        finally:
            await client.close()
            await asyncio.wait_for(task, 5)
    fake.assert_clean()


async def test_user_messages_reach_the_bot(fake: FakeDiscord, scene: Scene, bot: TinyBot) -> None:
    hidden = asyncio.ensure_future(bot.wait_for("message", check=lambda m: m.content == ""))
    shown = asyncio.ensure_future(bot.wait_for("message", check=lambda m: m.content != ""))
    await asyncio.sleep(0)
    fake.post_message(scene.wanjiku, scene.channel, "no mention")
    fake.post_message(scene.wanjiku, scene.channel, f"hi {fake.bot_user.mention}")
    # Without the MESSAGE_CONTENT intent the bot only sees content that mentions it.
    first = await asyncio.wait_for(hidden, 5)
    second = await asyncio.wait_for(shown, 5)
    assert first.author.id == scene.wanjiku.id
    assert second.content.startswith("hi ") and isinstance(second.author, discord.Member)
    assert [m.content for m in fake.messages(scene.channel)][:1] == ["no mention"]
    fake.assert_clean()


async def test_enforce_nonce_returns_the_first_message(
    fake: FakeDiscord, scene: Scene, bot: TinyBot
) -> None:
    channel = bot.get_partial_messageable(scene.channel.id)
    first = await channel.send("once", nonce="batch-1")  # discord.py adds enforce_nonce
    again = await channel.send("once, retried", nonce="batch-1")
    other = await channel.send("twice", nonce="batch-2")
    assert again.id == first.id and other.id != first.id
    assert [m.content for m in fake.messages(scene.channel)] == ["once", "twice"]
    assert fake.messages(scene.channel)[0].nonce == "batch-1"
    fake.world.nonce_window = 0.0  # the memory is only a few minutes long
    late = await channel.send("once, much later", nonce="batch-1")
    assert late.id != first.id
    with pytest.raises(discord.HTTPException):
        await channel.send("x", nonce="n" * 26)  # nonces are at most 25 characters
    assert any("nonce" in v for v in fake.violations)
