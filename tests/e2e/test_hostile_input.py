"""Hostile input at scale: hypothesis draws every option of every registered command (moderator
commands included), and every field of every modal (the announce form, submitted from the Nexus
channel or from a DM), and sends it through the fake Discord to the real bot. Each case must be
answered within Discord's deadline, never with an internal error, never ping anyone, and a
refused one must change nothing in the database.

A few hundred cases run with the suite; `pytest -m long tests/e2e/test_hostile_input.py` runs
10,000 commands and 10,000 form submits (the `long` marker is excluded by default). Buttons are
covered by the capability tests.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.app import IN_FLIGHT_PREFIXES, IN_FLIGHT_TASKS
from bot.db.base import Base
from bot.ui.errors import message_for
from tests.e2e.harness import TOKEN, Nexus
from tests.fakediscord import Channel, FakeDiscord, InteractionResult, Member, RateLimits, Role
from tests.fakediscord.util import iter_components

T = TypeVar("T")

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER = 3, 4, 5, 6, 7, 8, 9, 10
# Tables whose rows change on purpose without a command succeeding.
NOT_STATE = {"app_state", "learn_misses", "outbox"}
# A refused announce keeps what was typed (behind "Fix and announce"): changed on purpose.
REFUSAL_RECORDS = {"announce_drafts"}
CI_EXAMPLES = int(os.environ.get("NEXUS_HOSTILE_EXAMPLES", "300"))
CI_FORM_EXAMPLES = int(os.environ.get("NEXUS_HOSTILE_FORM_EXAMPLES", "200"))
LONG_EXAMPLES = 10_000
FORM_PREFIX = "nexus:announce:form:"
#: What an announce form that went through says (first time, or again).
ANNOUNCED = ("You're announced", "Announcement updated")
#: Plausible values, so that a good share of the forms go through and change something.
PLAUSIBLE = {
    "announce-project": ["ecommerce", "Job Board Backend", "E-Commerce Frontend", "job board"],
    "announce-summary": ["", "DRF API with JWT auth", "x" * 300, "x" * 301],
    "announce-repo": ["", "https://github.com/wanjiku/shop", "http://github.com/x/y", "nope"],
    "announce-timezone": ["", "Africa/Lagos", "UTC+1", "Lagos Time", "EAT"],
}

HOSTILE_TEXT = [
    "@everyone",
    "@here",
    "<@&{role}>",
    "<@{user}>",
    "<#{channel}>",
    "```py\nprint('hi')\n```",
    "\u202eevil\u202c",
    "'; DROP TABLE learners; --",
    '=HYPERLINK("https://evil.example")',
    "https://evil.example/" + "a" * 80,
    "javascript:alert(1)",
    "\x00\x01\x7f",
    "   ",
    "-",
    "🚀" * 50,
    "a" * 6000,
    "UTC+99",
    "Africa/Atlantis",
    "2026-02-30",
    "9999-12-31",
    "../../etc/passwd",
]


@dataclass
class Command:
    path: str
    options: list[dict[str, Any]]
    moderator: bool


@dataclass(frozen=True)
class FormInput:
    """A text input (`options` None) or a select (the values it offers) of a modal."""

    custom_id: str
    required: bool
    max_length: int = 4000
    options: tuple[str, ...] | None = None
    min_values: int = 1
    max_values: int = 1


def form_input(component: dict[str, Any]) -> FormInput | None:
    required = component.get("required", True) is not False
    if component.get("type") == 4:
        return FormInput(str(component["custom_id"]), required, int(component["max_length"]))
    if component.get("type") == 3:
        low = 1 if component.get("min_values") is None else int(component["min_values"])
        return FormInput(
            str(component["custom_id"]),
            required,
            options=tuple(str(o["value"]) for o in component.get("options") or []),
            min_values=low if required else 0,
            max_values=int(component.get("max_values") or 1),
        )
    return None


@dataclass
class Form:
    """A modal the bot showed, as Discord holds it: its custom_id and text inputs."""

    custom_id: str
    inputs: list[FormInput]


class ErrorLog(logging.Handler):
    """The unexpected errors the one error handler logged (with their ref)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Live:
    """The bot and the fake, running on an event loop of their own (hypothesis is sync)."""

    loop: asyncio.AbstractEventLoop
    nexus: Nexus
    commands: list[Command] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    outcomes: list[tuple[str, bool]] = field(default_factory=list)
    learner: Member | None = None
    stranger: Member | None = None
    #: Who has the announce form open (a refused announce's "Fix and announce"), and the form.
    form_callers: list[Member] = field(default_factory=list)
    form: Form | None = None
    error_log: ErrorLog = field(default_factory=ErrorLog)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


def flatten(definition: dict[str, Any]) -> Iterator[Command]:
    moderator = definition.get("default_member_permissions") not in (None, "0")
    options = definition.get("options") or []
    subs = [o for o in options if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if not subs:
        yield Command(definition["name"], options, moderator)
        return
    for sub in subs:
        for command in flatten({**sub, "default_member_permissions": None}):
            yield Command(f"{definition['name']} {command.path}", command.options, moderator)


async def _start(tmp_path: Path, ready: Callable[[Live], None]) -> None:
    loop = asyncio.get_running_loop()
    async with FakeDiscord(bot_token=TOKEN, rate_limits=RateLimits(scale=0.01)) as fake:
        nexus = Nexus(fake, tmp_path)
        with fake.patched_discord():
            await nexus.start()
            await nexus.setup(learner_role=nexus.learner_role)
            live = Live(loop, nexus)
            assert nexus.bot is not None
            tree = nexus.bot.tree
            original = tree.on_error

            async def recording(interaction: Any, error: Any) -> None:
                live.errors.append(error)
                await original(interaction, error)

            tree.on_error = recording  # type: ignore[method-assign]
            live.commands = [c for d in fake.commands() for c in flatten(d)]
            live.learner = nexus.member("wanjiku", roles=[nexus.learner_role])
            live.stranger = nexus.member("stranger")
            await _open_forms(live)
            errors_logger = logging.getLogger("bot.ui.errors")
            errors_logger.addHandler(live.error_log)
            stop = asyncio.Event()
            loop.call_soon(ready, live)
            live.stop = stop  # type: ignore[attr-defined]
            try:
                await stop.wait()
            finally:
                errors_logger.removeHandler(live.error_log)
                await nexus.stop()
                leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
                for task in leftover:  # view timeouts of the replies sent
                    task.cancel()
                await asyncio.gather(*leftover, return_exceptions=True)


async def _open_forms(live: Live) -> None:
    """Have the bot show each caller the announce form, the way a learner gets it: a refused
    `/announce-project` offers "Fix and announce", which opens the form with the draft."""
    nexus = live.nexus
    for member in (live.learner, live.stranger, nexus.mod):
        assert member is not None
        refused = await nexus.fake.invoke(
            member,
            "announce-project",
            channel=nexus.channel,
            options={"project": "Quantum Toaster", "role": "backend"},
        )
        reply = await refused.wait_final(timeout=10)
        [button] = [
            str(c["custom_id"])
            for c in iter_components(reply.components)
            if str(c.get("custom_id", "")).startswith("nexus:announce:draft:")
        ]
        opened = await nexus.fake.click(member, reply, button)
        assert opened.modal is not None, opened
        live.form_callers.append(member)
    modal = opened.modal
    assert str(modal["custom_id"]).startswith(FORM_PREFIX)
    inputs = [i for c in iter_components(modal["components"]) if (i := form_input(c))]
    assert set(PLAUSIBLE) | {"announce-role"} <= {i.custom_id for i in inputs}
    live.form = Form(str(modal["custom_id"]), inputs)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    found: list[Live] = []
    started = threading.Event()
    loop = asyncio.new_event_loop()

    def ready(value: Live) -> None:
        found.append(value)
        started.set()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(_start(tmp_path_factory.mktemp("hostile"), ready))

    thread = threading.Thread(target=serve, name="hostile-bot", daemon=True)
    thread.start()
    assert started.wait(60), "the bot did not start"
    value = found[0]
    yield value
    loop.call_soon_threadsafe(value.stop.set)  # type: ignore[attr-defined]
    thread.join(30)
    loop.close()


def _text(live: Live) -> st.SearchStrategy[str]:
    guild = live.nexus.guild
    role = guild.roles[-1].id if guild.roles else 1
    fills = {"role": role, "user": live.nexus.mod.id, "channel": live.nexus.channel.id}
    hostile = st.sampled_from([t.format(**fills) for t in HOSTILE_TEXT])
    return st.one_of(hostile, st.text(max_size=120), st.text(alphabet="abc -_/+:.", max_size=30))


def _value(live: Live, option: dict[str, Any]) -> st.SearchStrategy[Any]:
    nexus, kind = live.nexus, option["type"]
    if option.get("choices"):
        return st.sampled_from([c["value"] for c in option["choices"]])
    if kind == STRING:
        lo, hi = option.get("min_length", 0), option.get("max_length", 6000)
        return _text(live).filter(lambda s: lo <= len(s) <= hi)
    if kind in (INTEGER, NUMBER):
        lo, hi = option.get("min_value", -(2**53)), option.get("max_value", 2**53)
        edges = st.sampled_from([lo, hi, 0, 1, -1]).filter(lambda v: lo <= v <= hi)
        number = st.integers(int(lo), int(hi)) if kind == INTEGER else st.floats(lo, hi)
        return st.one_of(edges, number)
    if kind == BOOLEAN:
        return st.booleans()
    members: list[Member] = [m for m in (live.learner, live.stranger, nexus.mod) if m]
    roles: list[Role] = list(nexus.guild.roles)
    if kind == USER:
        return st.sampled_from(members)
    if kind == ROLE:
        return st.sampled_from(roles)
    if kind == MENTIONABLE:
        return st.sampled_from([*members, *roles])
    if kind == CHANNEL:
        allowed = option.get("channel_types")
        channels: list[Channel] = [
            c for c in nexus.guild.channels if not allowed or int(c.type) in allowed
        ]
        return st.sampled_from(channels)
    raise AssertionError(f"option type {kind} of {option['name']} has no strategy")


@st.composite
def invocations(draw: st.DrawFn, live: Live) -> tuple[Command, Member, dict[str, Any]]:
    command = draw(st.sampled_from(live.commands))
    caller = draw(st.sampled_from([live.nexus.mod, live.learner, live.stranger]))
    if command.moderator:
        caller = draw(st.sampled_from([live.nexus.mod, live.nexus.mod, live.learner]))
    values: dict[str, Any] = {}
    for option in command.options:
        if option.get("required") or draw(st.booleans()):
            values[option["name"]] = draw(_value(live, option))
    assert caller is not None
    return command, caller, values


@st.composite
def form_submits(draw: st.DrawFn, live: Live) -> tuple[Member, dict[str, Any], Channel]:
    """Who submits the form, where (the Nexus channel or their DMs), with which fields typed
    or picked (a field left out keeps what the form was opened with)."""
    assert live.form is not None
    caller = draw(st.sampled_from(live.form_callers))
    values: dict[str, Any] = {}
    for field_ in live.form.inputs:
        if field_.options is not None:  # Discord only sends the select's own options
            if draw(st.booleans()):
                values[field_.custom_id] = draw(
                    st.lists(
                        st.sampled_from(field_.options),
                        min_size=field_.min_values,
                        max_size=field_.max_values,
                        unique=True,
                    )
                )
            continue
        if field_.required or draw(st.booleans()):
            lo, hi = (1 if field_.required else 0), field_.max_length
            known = PLAUSIBLE.get(field_.custom_id)
            plausible = st.sampled_from(known) if known else _text(live)
            typed = st.one_of(plausible, plausible, plausible, _text(live))
            values[field_.custom_id] = draw(
                typed.filter(lambda s, lo=lo, hi=hi: lo <= len(s) <= hi)
            )
    dm = live.nexus.fake.world.dm_channel(caller.user)
    channel = draw(st.sampled_from([live.nexus.channel, dm]))
    return caller, values, channel


async def _quiet() -> None:
    """Wait for what earlier cases started in the background (event handlers, follow-ups)."""
    current = asyncio.current_task()
    for _ in range(100):
        busy = [
            t
            for t in asyncio.all_tasks()
            if t is not current
            and not t.done()
            and (t.get_name() in IN_FLIGHT_TASKS or t.get_name().startswith(IN_FLIGHT_PREFIXES))
        ]
        if not busy:
            return
        await asyncio.wait(busy, timeout=0.1)


async def _snapshot(nexus: Nexus) -> dict[str, list[tuple[Any, ...]]]:
    skipped = NOT_STATE | REFUSAL_RECORDS
    tables = [t for t in Base.metadata.sorted_tables if t.name not in skipped]
    async with nexus.session() as session:
        return {
            t.name: [tuple(r) for r in (await session.execute(select(t))).all()] for t in tables
        }


async def _one_case(live: Live, command: Command, caller: Member, values: dict[str, Any]) -> None:
    nexus, fake = live.nexus, live.nexus.fake
    fake.enforce_command_visibility = False  # a member may call a hidden moderator command
    errors_before = len(live.errors)

    async def send() -> InteractionResult:
        return await fake.invoke(caller, command.path, channel=nexus.channel, options=values)

    def refused() -> bool:
        errors = live.errors[errors_before:]
        for error in errors:
            assert message_for(error)[1] is None, f"internal error: {error!r}"
        live.outcomes.append((command.path, bool(errors)))
        return bool(errors)

    await _observe(live, send, refused, (command.path, values))


async def _one_submit(live: Live, caller: Member, values: dict[str, Any], channel: Channel) -> None:
    fake, form = live.nexus.fake, live.form
    assert form is not None
    answers: list[str] = []

    async def send() -> InteractionResult:
        return await fake.submit_modal(caller, form.custom_id, values, channel=channel)

    def refused() -> bool:
        went_through = any(word in answers[-1] for word in ANNOUNCED)
        live.outcomes.append(("announce form", not went_through))
        return not went_through

    await _observe(live, send, refused, ("announce form", values), answers)


async def _observe(
    live: Live,
    send: Callable[[], Coroutine[Any, Any, InteractionResult]],
    refused: Callable[[], bool],
    case: tuple[str, dict[str, Any]],
    answers: list[str] | None = None,
) -> None:
    """One hostile interaction: answered in time, no internal error, no ping, and nothing
    changed when `refused()` says it was turned down."""
    nexus, fake = live.nexus, live.nexus.fake
    await _quiet()
    before = await _snapshot(nexus)
    calls_before, logged_before = len(fake.calls), len(live.error_log.records)
    messages_before = len(fake.world.messages)
    result = await send()
    assert not result.late, f"{case[0]} answered after the deadline"
    assert not result.rejected, result.rejected
    final = await result.wait_final(timeout=10)
    assert "Something went wrong" not in final.text, (*case, final.text)
    if answers is not None:
        answers.append(final.text)
    await asyncio.sleep(0)  # let anything the interaction started begin
    if refused():
        assert final.ephemeral, (case[0], final.text)
        await _quiet()
        assert await _snapshot(nexus) == before, f"{case[0]} {case[1]} changed state"
    logged = live.error_log.records[logged_before:]
    assert not logged, f"internal error: {[r.getMessage() for r in logged]}"
    for call in fake.calls[calls_before:]:
        body = call.json if isinstance(call.json, dict) else {}
        parse = (body.get("allowed_mentions") or {}).get("parse") or []
        assert "everyone" not in parse and "roles" not in parse, call
    for message in list(fake.world.messages.values())[messages_before:]:
        assert not message.pinged_everyone and not message.pinged_roles, message


def _check(live: Live, case: tuple[Command, Member, dict[str, Any]]) -> None:
    command, caller, values = case
    live.run(_one_case(live, command, caller, values))


def _check_submit(live: Live, case: tuple[Member, dict[str, Any], Channel]) -> None:
    caller, values, channel = case
    live.run(_one_submit(live, caller, values, channel))


def _property(examples: int, run: Callable[[st.DataObject], None]) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def property_(data: st.DataObject) -> None:
        run(data)

    property_()


@pytest.fixture
def check(live: Live) -> Callable[[int], None]:
    def run(examples: int) -> None:
        _property(examples, lambda data: _check(live, data.draw(invocations(live))))

    return run


@pytest.fixture
def check_form(live: Live) -> Callable[[int], None]:
    def run(examples: int) -> None:
        _property(examples, lambda data: _check_submit(live, data.draw(form_submits(live))))

    return run


@pytest.mark.timeout(120)
def test_every_command_survives_hostile_input(check: Callable[[int], None], live: Live) -> None:
    assert {"announce-project", "nexus setup", "nexus pair"} <= {c.path for c in live.commands}
    check(CI_EXAMPLES)
    live.nexus.fake.assert_clean()
    # The cases reached most commands, and not only their error paths.
    assert len({path for path, _ in live.outcomes}) >= len(live.commands) * 3 // 4
    assert sum(1 for _, refused in live.outcomes if not refused) >= len(live.outcomes) // 10


@pytest.mark.long
@pytest.mark.timeout(3600)
def test_every_command_survives_hostile_input_at_scale(
    check: Callable[[int], None], live: Live
) -> None:
    check(LONG_EXAMPLES)
    live.nexus.fake.assert_clean()


@pytest.mark.timeout(120)
def test_the_announce_form_survives_hostile_input(
    check_form: Callable[[int], None], live: Live
) -> None:
    start = len(live.outcomes)
    check_form(CI_FORM_EXAMPLES)
    live.nexus.fake.assert_clean()
    outcomes = [refused for path, refused in live.outcomes[start:] if path == "announce form"]
    # Both sides were reached: forms turned down, and forms that announced.
    assert sum(outcomes) >= len(outcomes) // 10, "too few forms were refused"
    assert len(outcomes) - sum(outcomes) >= len(outcomes) // 10, "too few forms went through"


@pytest.mark.long
@pytest.mark.timeout(3600)
def test_the_announce_form_survives_hostile_input_at_scale(
    check_form: Callable[[int], None], live: Live
) -> None:
    check_form(LONG_EXAMPLES)
    live.nexus.fake.assert_clean()
