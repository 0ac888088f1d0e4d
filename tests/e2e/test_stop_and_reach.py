"""The real entrypoint (`python -m bot run`) as a subprocess: a SIGTERM at any moment stops it
without an error in the log and loses nothing; Discord unreachable at start is retried with one
line per attempt; a rejected token exits 2 with one line."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import build_bot
from tests.e2e.harness import START, Nexus
from tests.fakediscord import FakeDiscord, RecordedCall

pytestmark = pytest.mark.timeout(90)

REPO = Path(__file__).resolve().parents[2]
MESSAGES = "/channels/{channel_id}/messages"
WELCOME_DUE = datetime(2026, 11, 2, 18, tzinfo=UTC)  # 19:00 in Lagos on day 1
LEARNERS = 230  # five channel messages: 50 + 50 + 50 + 50 + 30


async def spawn(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=REPO, env=env, stdout=out, stderr=out
        )


def problems(log: Path) -> list[str]:
    """Log lines a clean run must not have."""
    return [
        line
        for line in log.read_text().splitlines()
        if " ERROR " in line or " CRITICAL " in line or "Traceback" in line
    ]


async def terminate(bot: asyncio.subprocess.Process) -> int:
    bot.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(bot.wait(), 20)


def bot_env(nexus: Nexus, **extra: str) -> dict[str, str]:
    return {**os.environ, **nexus.env(**extra), "LOG_LEVEL": "INFO"}


@pytest.mark.parametrize("after", [0.1, 0.5, 1.0, "ready"])
async def test_sigterm_at_any_moment_of_start_up_is_clean(
    fake: FakeDiscord, tmp_path: Path, after: float | str
) -> None:
    nexus = Nexus(fake, tmp_path)
    log = tmp_path / "bot.log"
    bot = await spawn(bot_env(nexus), log)
    if after == "ready":
        await fake.wait_until_ready(timeout=15)
    else:
        assert isinstance(after, float)
        await asyncio.sleep(after)
    code = await terminate(bot)
    # A signal before Python reaches Nexus's code (a loaded machine) ends the interpreter the
    # default way: nothing had started, nothing was logged.
    before_our_code = code == -signal.SIGTERM and log.read_text().strip() == ""
    assert code == 0 or before_our_code, log.read_text()[-3000:]
    assert problems(log) == [], log.read_text()[-3000:]
    # Nothing was left half-done: the next start is ready and clean.
    again = await spawn(bot_env(nexus), log)
    await fake.wait_until_ready(timeout=15)
    assert await terminate(again) == 0
    assert problems(log) == [], log.read_text()[-3000:]
    fake.assert_clean()


async def test_a_stop_before_login_is_clean(
    fake: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """SIGTERM while the bot is built but has not logged in yet (discord.py's shard queue does
    not exist then): the stop completes and logs no error."""
    nexus = Nexus(fake, tmp_path)
    bot = await build_bot(nexus.settings(), clock=nexus.clock)
    await asyncio.wait_for(bot.close(), 10)
    assert bot.is_closed()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_stop_while_a_timer_job_runs_lets_it_finish_and_logs_no_error(
    bare_nexus: Nexus, caplog: pytest.LogCaptureFixture
) -> None:
    bot = bare_nexus.bot
    assert bot is not None
    started, finished = asyncio.Event(), asyncio.Event()

    async def slow_job() -> None:
        started.set()
        await asyncio.sleep(0.3)
        finished.set()

    bot.scheduler.add_job(slow_job, "date", run_date=datetime.now(UTC), id="test:slow")
    await asyncio.wait_for(started.wait(), 10)
    await bare_nexus.stop()
    assert finished.is_set(), "the running job was cut short"
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []


async def test_sigterm_mid_fan_out_is_clean_and_the_rest_follows_on_restart(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    nexus = Nexus(fake, tmp_path)
    learners = [
        nexus.guild.add_member(f"learner{i:03}", roles=[nexus.learner_role])
        for i in range(LEARNERS)
    ]
    clock_file = tmp_path / "now"
    clock_file.write_text(START.isoformat())
    env = bot_env(nexus, NEXUS_CLOCK_FILE=str(clock_file), NEXUS_REMINDER_SWEEP_SECONDS="0.05")
    log = tmp_path / "bot.log"
    bot = await spawn(env, log)
    try:
        await fake.wait_until_ready(timeout=15)
        await fake.wait_for_commands("nexus", timeout=10)
        options = {"channel": nexus.channel, "learner_role": nexus.learner_role}
        assert (await fake.invoke(nexus.mod, "nexus setup", options=options)).ephemeral
        started = await fake.invoke(
            nexus.mod, "nexus cohort start", date="2026-11-02", timezone="Africa/Lagos"
        )
        assert "First week scheduled" in (await started.wait_final(timeout=10)).text

        posts: list[RecordedCall] = []

        def stop_on_second_post(call: RecordedCall) -> None:
            if (call.method, call.route_template, call.status) != ("POST", MESSAGES, 200):
                return
            posts.append(call)
            if len(posts) == 2:
                bot.send_signal(signal.SIGTERM)

        fake.call_listeners.append(stop_on_second_post)
        clock_file.write_text(WELCOME_DUE.isoformat())
        assert await asyncio.wait_for(bot.wait(), 20) == 0
        fake.call_listeners.clear()
        assert problems(log) == [], log.read_text()[-3000:]
        assert 2 <= len(fake.messages(nexus.channel)) < 5

        bot = await spawn(env, log)
        await fake.world.changed.wait_for(
            lambda: sum(len(m.pinged_users) for m in fake.messages(nexus.channel)) >= LEARNERS,
            30,
        )
        await asyncio.sleep(0.5)  # anything sent twice would show up by now
    except BaseException:
        print(log.read_text()[-4000:])
        raise
    finally:
        if bot.returncode is None:
            await terminate(bot)
    pinged = Counter(user for m in fake.messages(nexus.channel) for user in m.pinged_users)
    assert set(pinged) == {m.id for m in learners}
    assert set(pinged.values()) == {1}, "someone was reminded twice"
    assert problems(log) == [], log.read_text()[-3000:]
    fake.assert_clean()


async def test_discord_unreachable_at_start_is_retried_one_line_per_attempt(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    nexus = Nexus(fake, tmp_path)
    log = tmp_path / "bot.log"
    fake.faults.unreachable()
    bot = await spawn(bot_env(nexus), log)
    try:
        for _ in range(100):
            if log.read_text().count("can't reach Discord") >= 2:
                break
            await asyncio.sleep(0.1)
        fake.faults.clear()
        await fake.wait_until_ready(timeout=15)
    finally:
        code = await terminate(bot)
    text = log.read_text()
    attempts = [line for line in text.splitlines() if "can't reach Discord" in line]
    assert len(attempts) >= 2, text
    assert "the connection was dropped; retrying in 1 s" in attempts[0]
    assert "retrying in 2 s" in attempts[1]
    assert "Traceback" not in text and problems(log) == []
    assert code == 0


async def test_dns_failure_is_named(fake: FakeDiscord, tmp_path: Path) -> None:
    nexus = Nexus(fake, tmp_path)
    log = tmp_path / "bot.log"
    env = bot_env(nexus, DISCORD_API_BASE="http://discord.invalid/api/v10")
    bot = await spawn(env, log)
    try:
        for _ in range(100):
            if "can't reach Discord" in log.read_text():
                break
            await asyncio.sleep(0.1)
    finally:
        code = await terminate(bot)
    text = log.read_text()
    assert "can't reach Discord: DNS lookup failed; retrying in 1 s" in text, text
    assert "Traceback" not in text and code == 0


async def test_rejected_token_exits_2_with_one_line(fake: FakeDiscord, tmp_path: Path) -> None:
    nexus = Nexus(fake, tmp_path)
    log = tmp_path / "bot.log"
    env = bot_env(nexus, DISCORD_TOKEN="not.the-right-token.0123456789abcdef")
    bot = await spawn(env, log)
    code = await asyncio.wait_for(bot.wait(), 30)
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert code == 2
    assert [line for line in lines if " ERROR " in line] == [
        line for line in lines if "401" in line
    ]
    assert len([line for line in lines if "401" in line]) == 1
    assert "Traceback" not in log.read_text()


async def test_discord_unreachable_later_is_one_line_per_attempt_then_resumes(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    nexus = Nexus(fake, tmp_path)
    log = tmp_path / "bot.log"
    bot = await spawn(bot_env(nexus), log)
    try:
        await fake.wait_until_ready(timeout=15)
        fake.faults.unreachable()
        await fake.disconnect_bot(code=4000)
        for _ in range(150):
            if log.read_text().count("can't reach Discord") >= 2:
                break
            await asyncio.sleep(0.1)
        fake.faults.clear()
        await fake.wait_until_ready(timeout=30)
    finally:
        code = await terminate(bot)
    text = log.read_text()
    assert text.count("can't reach Discord") >= 2, text
    assert "Traceback" not in text and problems(log) == [], text
    assert code == 0
