"""A stand-in for Discord in reminder service tests: records sends, de-duplicates nonces."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.domain.first_week import PartnerOffer
from bot.services.reminder_delivery import DmClosed, Undeliverable


@dataclass
class Sent:
    kind: str  # post | dm | notice
    target: int
    content: str
    mentions: tuple[int, ...] = ()
    nonce: str | None = None
    buttons: tuple[int, ...] = ()  # learner ids a DM offers request buttons for


@dataclass
class FakeTransport:
    """Records what would reach Discord; de-duplicates nonces like Discord does."""

    dm_closed: set[int] = field(default_factory=set)
    refuse_channel: bool = False
    crash_after_posts: int | None = None  # raise (after Discord created it) on the Nth post
    sent: list[Sent] = field(default_factory=list)
    nonces: dict[str, int] = field(default_factory=dict)
    requests: int = 0

    def _create(self, record: Sent) -> int:
        assert record.nonce is not None
        if record.nonce in self.nonces:
            return self.nonces[record.nonce]
        self.sent.append(record)
        self.nonces[record.nonce] = len(self.sent)
        return len(self.sent)

    async def post(
        self, channel_id: int, content: str, mention_ids: Sequence[int], nonce: str
    ) -> int:
        self.requests += 1
        if self.refuse_channel:
            raise Undeliverable("no permission to post in the channel")
        assert len(content) <= 2000 and len(mention_ids) <= 50
        message_id = self._create(Sent("post", channel_id, content, tuple(mention_ids), nonce))
        if self.crash_after_posts is not None:
            self.crash_after_posts -= 1
            if self.crash_after_posts == 0:
                raise ConnectionResetError("process died after Discord created the message")
        return message_id

    async def dm(
        self,
        user_id: int,
        content: str,
        nonce: str,
        *,
        offers: Sequence[PartnerOffer] = (),
        guild_id: int = 0,
        buttons: Sequence[str] = (),
    ) -> int:
        self.requests += 1
        if user_id in self.dm_closed:
            raise DmClosed("DMs closed")
        buttons = tuple(o.learner_id for o in offers)
        return self._create(Sent("dm", user_id, content, (), nonce, buttons))

    async def notify(self, channel_id: int, content: str) -> None:
        self.sent.append(Sent("notice", channel_id, content))

    def of(self, kind: str) -> list[Sent]:
        return [s for s in self.sent if s.kind == kind]

    def mentioned(self) -> list[int]:
        return [u for s in self.of("post") for u in s.mentions]
