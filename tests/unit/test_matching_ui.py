"""Matching's embeds, names and buttons stay within Discord's limits and never ping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord

from bot.domain.evenings import shared_evening
from bot.domain.matching import Candidate, Suggestion
from bot.domain.pairing import (
    FindResult,
    LearnerInfo,
    PairingInfo,
    ProjectInfo,
    RequestInfo,
    WaitMatch,
)
from bot.ui import limits
from bot.ui import matching as ui

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
LONG = "@everyone " + "x" * 200


def learner(learner_id: int, role: str, name: str = "amina", **kw: object) -> LearnerInfo:
    fields: dict[str, object] = {
        "learner_id": learner_id,
        "guild_id": 1,
        "user_id": 100 + learner_id,
        "name": name,
        "role": role,
        "project_id": 7,
        "timezone": "Africa/Lagos",
    }
    fields.update(kw)
    return LearnerInfo(**fields)  # type: ignore[arg-type]


def pairing(back: LearnerInfo, front: LearnerInfo, project: str = "E-Commerce") -> PairingInfo:
    return PairingInfo(
        pairing_id=1,
        guild_id=1,
        channel_id=2,
        project=ProjectInfo(7, project),
        backend=back,
        frontend=front,
        created_at=NOW,
        sync_window=shared_evening(back.timezone, front.timezone, NOW.date()),
    )


def embed_size(embed: discord.Embed) -> int:
    return len(embed)


def test_thread_name_fits_and_keeps_both_names() -> None:
    long_pair = pairing(
        learner(1, "backend", "b" * 100), learner(2, "frontend", "f" * 100), "P" * 100
    )
    name = ui.thread_name(long_pair)
    assert len(name) <= limits.CHANNEL_NAME
    assert "b" in name and "f" in name and "P" in name
    short = pairing(learner(1, "backend", "tobi"), learner(2, "frontend", "wanjiku"))
    assert ui.thread_name(short) == "E-Commerce · tobi & wanjiku"


def test_kickoff_mentions_both_and_suggests_a_slot() -> None:
    short = pairing(learner(1, "backend"), learner(2, "frontend", timezone="Africa/Nairobi"))
    embed = ui.kickoff_embed(short)
    assert embed_size(embed) <= limits.EMBED_TOTAL
    assert "19:00–21:00 Africa/Lagos" in (embed.description or "")
    mentions = ui.pair_mentions(short)
    assert mentions.everyone is False and mentions.roles is False
    assert {u.id for u in mentions.users} == {101, 102}  # type: ignore[union-attr]


def test_no_shared_evening_suggests_weekend() -> None:
    far = pairing(learner(1, "backend"), learner(2, "frontend", timezone="Asia/Tokyo"))
    assert "weekend" in ui.sync_suggestion(far)


def test_invite_escapes_what_learners_typed() -> None:
    request = RequestInfo(
        request_id=5,
        guild_id=1,
        channel_id=2,
        status="pending",
        requester=learner(1, "backend", LONG, summary=LONG * 5, repo="https://github.com/a/b"),
        invitee=learner(2, "frontend"),
        project=ProjectInfo(7, "E-Commerce"),
        expires_at=NOW + timedelta(hours=24),
        overlap=None,
    )
    embed = ui.invite_embed(request)
    assert embed_size(embed) <= limits.EMBED_TOTAL
    assert len(embed.title or "") <= limits.EMBED_TITLE
    assert "@everyone" not in (embed.title or "") + (embed.description or "")
    assert all(len(f.value or "") <= limits.EMBED_FIELD_VALUE for f in embed.fields)


def test_suggestions_embed_and_buttons_fit() -> None:
    seeker = learner(1, "backend")
    suggestions = [
        Suggestion(
            Candidate(i, LONG, 7, "frontend", "UTC", user_id=1000 + i),
            10.0,
            120,
            ("same project", "2 h evening overlap"),
        )
        for i in range(2, 7)
    ]
    result = FindResult(seeker, ProjectInfo(7, "P" * 100), suggestions)
    embed = ui.suggestions_embed(result)
    assert embed_size(embed) <= limits.EMBED_TOTAL
    assert all(len(f.name or "") <= limits.EMBED_FIELD_NAME for f in embed.fields)
    view = ui.suggestions_view(result)
    assert len(view.children) == 5
    for item in view.children:
        assert isinstance(item, ui.AskButton)
        assert len(item.item.label or "") <= limits.BUTTON_LABEL
        assert len(item.item.custom_id or "") <= limits.CUSTOM_ID
        assert item.item.custom_id == f"nexus:pair:ask:{item.candidate_id}:101"


def test_invite_buttons_carry_the_request() -> None:
    view = ui.invite_view(123456789)
    ids = [child.item.custom_id for child in view.children]  # type: ignore[attr-defined]
    assert ids == ["nexus:req:accept:123456789", "nexus:req:decline:123456789"]


def test_newcomer_notice_lists_a_few_waiters() -> None:
    waiters = [learner(i, "backend", f"w{i}") for i in range(1, 9)]
    match = WaitMatch(2, ProjectInfo(7, "E-Commerce"), learner(20, "frontend", "new"), waiters)
    text = ui.newcomer_notice(match)
    assert "and 3 more" in text and "are waiting" in text
    assert len(text) <= limits.CONTENT
