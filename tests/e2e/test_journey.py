"""The learner's way through week one without typing a command they don't need: announcing
is enough to be on the waiting list, and each next step arrives with its button."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import Learner
from tests.e2e.harness import Nexus


async def test_announcing_alone_joins_the_waiting_list(nexus: Nexus) -> None:
    tobi = nexus.member("tobi")
    reply = await nexus.invoke(
        tobi, "announce-project", project="E-Commerce Backend", role="backend"
    )
    final = await reply.wait_final()
    assert "You're on the waiting list" in final.text
    assert "/find-partner" not in final.text
    async with nexus.session() as session:
        row = await session.scalar(select(Learner).where(Learner.user_id == tobi.id))
        assert row is not None and row.waiting_since == nexus.clock.now()
    profile = await nexus.invoke(tobi, "profile")
    assert profile.ephemeral and "Waiting since" in profile.text
