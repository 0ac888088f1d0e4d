"""The check-in a pair thread gets some hours after the pairing: what it asks, and when.

Pure: the service stores one row per pairing and sends it once; this module says when it is due,
what the answers mean, and what the pair and the moderators read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.statuses import CheckInChoice

DEFAULT_HOURS = 48
MAX_HOURS = 24 * 14  # two weeks: later than that, week one is long over

ANSWERS = tuple(CheckInChoice)
ANSWER_LABELS = {
    CheckInChoice.MET: "We've met",
    CheckInChoice.STUCK: "We're stuck",
    CheckInChoice.NEW_PARTNER: "I need a new partner",
}


@dataclass(frozen=True)
class CheckInCounts:
    """For `/nexus stats`: check-ins sent and what the pairs answered."""

    sent: int = 0
    met: int = 0
    stuck: int = 0
    new_partner: int = 0
    unanswered: int = 0

    @classmethod
    def of(cls, answers: list[str | None]) -> CheckInCounts:
        """From the answers of the check-ins that went out (None: not answered)."""
        return cls(
            sent=len(answers),
            met=answers.count(CheckInChoice.MET),
            stuck=answers.count(CheckInChoice.STUCK),
            new_partner=answers.count(CheckInChoice.NEW_PARTNER),
            unanswered=answers.count(None),
        )


def checkin_state(status: str | None, answer: str | None) -> str:
    """One export cell: what became of a pairing's check-in."""
    if status is None:
        return ""
    return answer or status


def checkin_due(paired_at: datetime, hours: int) -> datetime | None:
    """When the check-in of a pairing made at `paired_at` is due; None when check-ins are off."""
    if hours <= 0:
        return None
    return paired_at + timedelta(hours=hours)


@dataclass(frozen=True)
class CheckInPair:
    """Which check-in, and the pair it asks (names already safe to show)."""

    checkin_id: int
    guild_id: int
    pairing_id: int
    project: str
    backend_user_id: int
    frontend_user_id: int
    backend_name: str
    frontend_name: str

    @property
    def user_ids(self) -> tuple[int, int]:
        return (self.backend_user_id, self.frontend_user_id)


@dataclass(frozen=True, kw_only=True)
class CheckInPrompt(CheckInPair):
    """Everything the check-in message in the pair thread needs."""

    thread_id: int
    hours: int  # since the pairing
    late: bool = False  # the bot was offline at its time


@dataclass(frozen=True, kw_only=True)
class CheckInAnswer(CheckInPair):
    """What one of the pair answered; `stuck` and `new_partner` concern the moderators."""

    answer: str
    by_user_id: int
    mod_log_channel_id: int | None
    thread_id: int | None
    first: bool  # the first answer to this check-in (a repeat changes nothing)


def prompt_text(prompt: CheckInPrompt) -> str:
    """The check-in's words in the thread (it mentions the two learners, nobody else)."""
    late = "⏰ *A little late: Nexus was offline at the planned time.*\n" if prompt.late else ""
    return (
        f"{late}👋 <@{prompt.backend_user_id}> <@{prompt.frontend_user_id}>, a quick check-in "
        f"on **{prompt.project}**: how is it going? Press one button; your partner sees it, "
        "and only the moderators hear about it if you're stuck."
    )


def stuck_notice(answer: CheckInAnswer) -> str:
    """For the mod-log: names the pair and the project, pings nobody."""
    where = f" Their thread: <#{answer.thread_id}>." if answer.thread_id else ""
    return (
        f"🆘 **{answer.backend_name}** (backend) & **{answer.frontend_name}** (frontend) on "
        f"**{answer.project}** say they're stuck at their check-in.{where}"
    )


def answer_reply(answer: str) -> str:
    """What the thread shows once a button was pressed."""
    if answer == CheckInChoice.MET:
        return "✅ Great: noted that you've met. Keep going!"
    if answer == CheckInChoice.STUCK:
        return (
            "🆘 Noted: the moderators have been told you're stuck and will look in. Meanwhile "
            "`/learn` may have what earlier learners found."
        )
    return "🔁 This pairing has ended: you're both back on the waiting list, with priority."
