"""Announcement cards and the /my-data confirm button, without Discord."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from bot.domain.learners import Announcement, Person, ProjectTitles
from bot.ui import learners as ui
from bot.ui.limits import EMBED_TOTAL

WHEN = datetime(2026, 11, 2, 9, tzinfo=UTC)
ECOMMERCE = ProjectTitles("E-Commerce", "E-Commerce Backend", "Dynamic E-Commerce Product Catalog")


def card(**changes: Any) -> Announcement:
    values: dict[str, Any] = {
        "learner_id": 1,
        "user_id": 42,
        "display_name": "Wanjiku",
        "project": ECOMMERCE,
        "role": "backend",
        "summary": "DRF API",
        "repo": "https://github.com/w/alx_nexus",
        "timezone": "Africa/Nairobi",
        "timezone_is_server_default": False,
        "partners": (),
        "looking": True,
        "announced_at": WHEN,
    }
    values.update(changes)
    return Announcement(**values)


def test_card_shows_both_titles_and_status() -> None:
    embed = ui.announcement_embed(card())
    fields = {f.name: f.value for f in embed.fields}
    assert (embed.title or "").endswith("Wanjiku · E-Commerce")
    assert fields["Frontend title"] == "Dynamic E-Commerce Product Catalog"  # it differs
    assert "Role" not in fields  # the track is said once, in the description
    assert fields["Status"] == "🔎 Looking for a frontend partner"
    assert fields["Repo"] == "[github.com/w/alx\\_nexus](https://github.com/w/alx_nexus)"
    assert "<@42>" in (embed.description or "")


def test_paired_and_departed_status() -> None:
    paired = card(partners=(Person(7, "tobi"),), looking=False)
    assert ui.status_line(paired) == "🤝 Paired with <@7>"
    more = card(partners=(Person(7, "tobi"),), looking=True)
    assert "open to another frontend partner" in ui.status_line(more)
    assert "Not in the server" in ui.status_line(card(active=False))


def test_worst_case_card_fits_discords_limits() -> None:
    noisy = "**@everyone** _<@&1>_ " * 40
    project = ProjectTitles("x" * 100, "y" * 100, "z" * 100, custom=False)
    embed = ui.announcement_embed(card(summary=noisy[:300], project=project))
    assert len(embed) <= EMBED_TOTAL and len(embed.title or "") <= 256
    assert "@everyone" not in (embed.description or "").replace("@\u200beveryone", "")


class StubResponse:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def is_done(self) -> bool:
        return False

    async def send_message(self, text: str, **_: Any) -> None:
        self.sent.append(text)


async def test_erase_button_refuses_anyone_but_the_caller() -> None:
    erased: list[int] = []

    async def erase(guild_id: int, user_id: int) -> None:
        erased.append(user_id)

    client = SimpleNamespace(
        services=SimpleNamespace(
            learners=SimpleNamespace(erase=erase), clock=SimpleNamespace(now=lambda: WHEN)
        )
    )
    response = StubResponse()
    interaction = SimpleNamespace(
        user=SimpleNamespace(id=99), guild_id=1, client=client, response=response, command=None
    )
    button = ui.EraseButton(user_id=42, expires_at=int(WHEN.timestamp()) + 300)
    await button.callback(interaction)  # type: ignore[arg-type]
    assert erased == [] and "isn't for you" in response.sent[0]
