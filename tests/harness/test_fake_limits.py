"""Unit tests for the fake's pure validators: Discord limits, mentions, spec, rate limits."""

from __future__ import annotations

import time

import pytest

from tests.fakediscord import limits
from tests.fakediscord.mentions import (
    CHANNEL_DEFAULT_PARSE,
    WEBHOOK_DEFAULT_PARSE,
    Pings,
    compute_pings,
)
from tests.fakediscord.ratelimit import RateLimiter, RateLimits
from tests.fakediscord.spec import SpecValidator, default_spec_path

U1, U2, R1 = 111111111111111111, 222222222222222222, 333333333333333333


def codes(errors: list[limits.LimitError]) -> list[str]:
    return [e.code for e in errors]


def button(custom_id: str, label: str = "ok") -> dict[str, object]:
    return {"type": 2, "style": 1, "label": label, "custom_id": custom_id}


def test_content_limit() -> None:
    assert limits.check_message({"content": "x" * 2000}) == []
    [err] = limits.check_message({"content": "x" * 2001})
    assert err.path == ("content",) and err.code == "BASE_TYPE_MAX_LENGTH"


def test_embed_field_limits() -> None:
    embed = {
        "title": "t" * 257,
        "description": "d" * 4097,
        "fields": [{"name": "n" * 257, "value": "v" * 1025}],
        "footer": {"text": "f" * 2049},
        "author": {"name": "a" * 257},
    }
    paths = {e.path for e in limits.check_embeds([embed])}
    assert ("embeds", 0, "title") in paths
    assert ("embeds", 0, "description") in paths
    assert ("embeds", 0, "fields", 0, "name") in paths
    assert ("embeds", 0, "fields", 0, "value") in paths
    assert ("embeds", 0, "footer", "text") in paths
    assert ("embeds", 0, "author", "name") in paths


def test_embed_counts_and_total() -> None:
    assert codes(limits.check_embeds([{"title": "x"}] * 11)) == ["BASE_TYPE_MAX_LENGTH"]
    fields = [{"name": "n", "value": "v"}] * 26
    assert "BASE_TYPE_MAX_LENGTH" in codes(limits.check_embeds([{"fields": fields}]))
    big = [{"description": "y" * 2000}, {"description": "y" * 2000}, {"description": "y" * 2001}]
    assert codes(limits.check_embeds(big)) == ["MAX_EMBED_SIZE_EXCEEDED"]
    assert limits.embed_size({"title": "ab", "fields": [{"name": "c", "value": "de"}]}) == 5


def test_component_layout() -> None:
    row = {"type": 1, "components": [button(f"b{i}") for i in range(5)]}
    assert limits.check_components([row]) == []
    six = {"type": 1, "components": [button(f"c{i}") for i in range(6)]}
    assert "COMPONENT_LAYOUT_WIDTH_EXCEEDED" in codes(limits.check_components([six]))
    select = {"type": 3, "custom_id": "s", "options": [{"label": "a", "value": "a"}]}
    mixed = {"type": 1, "components": [select, button("z")]}
    assert "COMPONENT_LAYOUT_WIDTH_EXCEEDED" in codes(limits.check_components([mixed]))
    rows = [{"type": 1, "components": [button(f"r{i}")]} for i in range(6)]
    assert codes(limits.check_components(rows)) == ["BASE_TYPE_MAX_LENGTH"]
    dupes = [{"type": 1, "components": [button("same"), button("same")]}]
    assert codes(limits.check_components(dupes)) == ["COMPONENT_CUSTOM_ID_DUPLICATED"]


def test_button_and_select_details() -> None:
    long_label = [{"type": 1, "components": [button("x", label="l" * 81)]}]
    assert codes(limits.check_components(long_label)) == ["BASE_TYPE_MAX_LENGTH"]
    long_id = [{"type": 1, "components": [button("i" * 101)]}]
    assert codes(limits.check_components(long_id)) == ["BASE_TYPE_MAX_LENGTH"]
    options = [{"label": str(i), "value": str(i)} for i in range(26)]
    select = {"type": 1, "components": [{"type": 3, "custom_id": "s", "options": options}]}
    assert "BASE_TYPE_MAX_LENGTH" in codes(limits.check_components([select]))
    link = {"type": 2, "style": 5, "label": "docs", "url": "https://x.test"}
    assert limits.check_components([{"type": 1, "components": [link]}]) == []


def test_allowed_mentions() -> None:
    ids = [str(i) for i in range(101)]
    assert codes(limits.check_allowed_mentions({"users": ids})) == ["BASE_TYPE_MAX_LENGTH"]
    clash = {"parse": ["users"], "users": ["1"]}
    assert codes(limits.check_allowed_mentions(clash)) == ["ALLOWED_MENTIONS_PARSE_EXCLUSIVE"]
    assert limits.check_allowed_mentions({"parse": []}) == []


def test_modal_limits() -> None:
    text_input = {"type": 4, "custom_id": "a", "style": 1, "label": "A", "max_length": 4000}
    modal = {
        "title": "t",
        "custom_id": "m",
        "components": [{"type": 1, "components": [text_input]}],
    }
    assert limits.check_modal(modal) == []
    assert codes(limits.check_modal({**modal, "title": "t" * 46})) == ["BASE_TYPE_MAX_LENGTH"]
    too_long = {**text_input, "max_length": 4001}
    bad = {**modal, "components": [{"type": 1, "components": [too_long]}]}
    assert codes(limits.check_modal(bad)) == ["NUMBER_TYPE_MAX"]
    rows = [{"type": 1, "components": [{**text_input, "custom_id": str(i)}]} for i in range(6)]
    assert codes(limits.check_modal({**modal, "components": rows})) == ["BASE_TYPE_MAX_LENGTH"]
    label = {"type": 18, "label": "L", "component": {"type": 4, "custom_id": "z", "style": 2}}
    assert limits.check_modal({**modal, "components": [label]}) == []


def test_a_modal_select_goes_in_a_label() -> None:
    options = [
        {"label": "Backend", "value": "backend", "default": True},
        {"label": "F", "value": "f"},
    ]
    select = {"type": 3, "custom_id": "track", "options": options}
    label = {"type": 18, "label": "Track", "component": select}
    modal = {"title": "t", "custom_id": "m", "components": [label]}
    assert limits.check_modal(modal) == []
    in_a_row = {**modal, "components": [{"type": 1, "components": [select]}]}
    assert codes(limits.check_modal(in_a_row)) == ["BASE_TYPE_CHOICES"]
    two = [{**o, "default": True} for o in options]
    both = {**modal, "components": [{**label, "component": {**select, "options": two}}]}
    assert codes(limits.check_modal(both)) == ["SELECT_COMPONENT_TOO_MANY_DEFAULT_VALUES"]
    button = {"type": 18, "label": "B", "component": {"type": 2, "custom_id": "b", "style": 1}}
    assert codes(limits.check_modal({**modal, "components": [button]})) == ["BASE_TYPE_CHOICES"]


def test_autocomplete_choices() -> None:
    ok = [{"name": "a", "value": "a"}] * 25
    assert limits.check_autocomplete({"choices": ok}) == []
    assert codes(limits.check_autocomplete({"choices": ok + ok[:1]})) == ["BASE_TYPE_MAX_LENGTH"]
    bad = [{"name": "", "value": "v" * 101}]
    assert set(codes(limits.check_autocomplete({"choices": bad}))) == {
        "BASE_TYPE_MIN_LENGTH",
        "BASE_TYPE_MAX_LENGTH",
    }


def command(name: str = "nexus", **extra: object) -> dict[str, object]:
    return {"type": 1, "name": name, "description": "d", **extra}


@pytest.mark.parametrize("name", ["setup", "über-cool", "a_b-1", "x" * 32])
def test_command_names_valid(name: str) -> None:
    assert limits.check_command(command(name)) == []


@pytest.mark.parametrize("name", ["", "Setup", "has space", "x" * 33, "emoji🙂"])
def test_command_names_invalid(name: str) -> None:
    assert limits.check_command(command(name)) != []


def test_command_options_rules() -> None:
    required_after_optional = [
        {"type": 3, "name": "a", "description": "d"},
        {"type": 3, "name": "b", "description": "d", "required": True},
    ]
    errs = limits.check_command(command(options=required_after_optional))
    assert codes(errs) == ["APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID"]
    many = [{"type": 3, "name": f"o{i}", "description": "d"} for i in range(26)]
    assert "BASE_TYPE_MAX_LENGTH" in codes(limits.check_command(command(options=many)))
    choices = [{"name": str(i), "value": str(i)} for i in range(26)]
    opt = [{"type": 3, "name": "c", "description": "d", "choices": choices}]
    assert "BASE_TYPE_MAX_LENGTH" in codes(limits.check_command(command(options=opt)))
    assert codes(limits.check_command(command(description=""))) == ["BASE_TYPE_MIN_LENGTH"]
    assert codes(limits.check_command(command(description="d" * 101))) == ["BASE_TYPE_MAX_LENGTH"]
    user_menu = {"type": 2, "name": "Pair With", "description": ""}
    assert limits.check_command(user_menu) == []


def test_command_list_limits() -> None:
    many = [command(f"c{i}") for i in range(101)]
    assert "BASE_TYPE_MAX_LENGTH" in codes(limits.check_command_list(many))
    dupes = [command("a"), command("a")]
    assert codes(limits.check_command_list(dupes)) == ["APPLICATION_COMMAND_ALREADY_EXISTS"]


def test_thread_limits() -> None:
    assert limits.check_thread_create({"name": "t", "auto_archive_duration": 1440}) == []
    bad = limits.check_thread_create({"name": "t", "auto_archive_duration": 30})
    assert codes(bad) == ["BASE_TYPE_CHOICES"]
    assert codes(limits.check_thread_create({"name": "n" * 101})) == ["BASE_TYPE_MAX_LENGTH"]


def test_discord_error_nesting() -> None:
    errors = limits.check_message({"embeds": [{"title": "t" * 300}]})
    nested = limits.to_discord_errors(errors)
    assert nested["embeds"]["0"]["title"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"


def pings(
    content: str, allowed: dict[str, object] | None, *, webhook: bool = False, **kw: object
) -> Pings:
    return compute_pings(
        content,
        allowed,
        default_parse=WEBHOOK_DEFAULT_PARSE if webhook else CHANNEL_DEFAULT_PARSE,
        role_is_mentionable=lambda rid: rid == R1,
        can_mention_everyone=bool(kw.get("everyone", True)),
        replied_user_id=kw.get("replied"),  # type: ignore[arg-type]
    )


def test_mentions_default_channel_message() -> None:
    result = pings(f"<@{U1}> <@!{U2}> <@&{R1}> @everyone", None)
    assert result.users == [U1, U2] and result.roles == [R1] and result.everyone


def test_mentions_webhook_default_only_users() -> None:
    result = pings(f"<@{U1}> <@&{R1}> @here", None, webhook=True)
    assert result.users == [U1] and result.roles == [] and not result.everyone


def test_mentions_allowed_mentions_filters() -> None:
    assert pings(f"<@{U1}> @everyone", {"parse": []}).users == []
    only = pings(f"<@{U1}> <@{U2}>", {"users": [str(U2)]})
    assert only.users == [U2] and only.mentioned_users == [U1, U2]
    assert not pings("@everyone", {"parse": ["everyone"]}, everyone=False).everyone
    assert pings("hi", {"parse": [], "replied_user": True}, replied=U1).users == [U1]
    assert pings("hi", {"parse": []}, replied=U1).users == []
    assert pings("hi", None, replied=U1).users == [U1]


@pytest.mark.skipif(not default_spec_path().is_file(), reason="Discord OpenAPI spec not present")
def test_spec_validation() -> None:
    spec = SpecValidator()
    messages = "/channels/{channel_id}/messages"
    assert spec.validate("POST", messages, {"content": "hi", "embeds": [{"title": "x"}]}) == []
    [problem] = spec.validate("POST", messages, {"content": "hi", "tts": "yes"})
    assert problem.startswith("tts:")
    callback = "/interactions/{interaction_id}/{interaction_token}/callback"
    bad_button = {
        "type": 4,
        "data": {
            "components": [
                {"type": 1, "components": [{"type": 2, "style": 1, "label": 5, "custom_id": "c"}]}
            ]
        },
    }
    [problem] = spec.validate("POST", callback, bad_button)
    assert problem.startswith("data/components/0/components/0/label")
    # Documented exceptions: integer snowflakes and string permission bitsets.
    assert spec.validate("POST", "/users/@me/channels", {"recipient_id": 123}) == []
    assert spec.validate("POST", "/users/@me/channels", {"recipient_id": "abc"}) != []
    cmds = [{"name": "a", "description": "b", "default_member_permissions": "32"}]
    assert spec.validate("PUT", "/applications/{application_id}/commands", cmds) == []


def test_rate_limiter_buckets_and_headers() -> None:
    limiter = RateLimiter(RateLimits(scale=0.01))
    route = "/channels/{channel_id}/messages"
    decisions = [limiter.check("POST", route, {"channel_id": "1"}) for _ in range(6)]
    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    assert decisions[0].headers["X-RateLimit-Limit"] == "5"
    assert decisions[4].headers["X-RateLimit-Remaining"] == "0"
    assert decisions[5].headers["Via"] == "1.1 google"
    assert 0 < decisions[5].retry_after <= 0.05
    assert limiter.check("POST", route, {"channel_id": "2"}).allowed  # other channel
    time.sleep(0.06)
    assert limiter.check("POST", route, {"channel_id": "1"}).allowed
    callback = "/interactions/{interaction_id}/{interaction_token}/callback"
    assert limiter.check("POST", callback, {}).headers == {}


@pytest.mark.skipif(not default_spec_path().is_file(), reason="Discord OpenAPI spec not present")
def test_spec_validators_are_compiled_once_per_route() -> None:
    spec = SpecValidator()
    messages = "/channels/{channel_id}/messages"
    for _ in range(200):  # cheap after the first: compiled once, cached by route
        assert spec.validate("POST", messages, {"content": "hi"}) == []
    assert spec._validator("POST", messages) is spec._validator("post", messages)
    [problem] = spec.validate("POST", messages, {"content": 5})
    assert problem.startswith("content: 5 is not of type 'string'")
