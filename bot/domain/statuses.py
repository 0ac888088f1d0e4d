"""Where each stored thing stands. The database keeps the value (a plain string column), so
a value is never renamed; comparing a column's string with a member works either way."""

from __future__ import annotations

from enum import StrEnum


class CohortStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"  # by a moderator
    REPLACED = "replaced"  # by a new plan started on the same server


class StepStatus(StrEnum):
    """A first-week reminder step or a pair's check-in: scheduled, then sent at most once."""

    SCHEDULED = "scheduled"
    SENDING = "sending"  # claimed: its messages are going out
    SENT = "sent"
    LATE = "late"  # sent, but it started well behind its time (the bot was down)
    SKIPPED = "skipped"  # too late to send, or already done by an earlier plan
    CANCELLED = "cancelled"
    FAILED = "failed"  # a check-in Discord refused, or whose outcome is unknown


#: Steps that went out (on time or late).
SENT_STATUSES = (StepStatus.SENT, StepStatus.LATE)
#: Steps still to be sent or being sent: a cohort with none of these left has finished.
OPEN_STATUSES = (StepStatus.SCHEDULED, StepStatus.SENDING)


class DeliveryStatus(StrEnum):
    """One recipient of one reminder step."""

    PENDING = "pending"
    CLAIMED = "claimed"  # a process holds it and is sending its batch
    SENT = "sent"
    FAILED = "failed"


class RequestStatus(StrEnum):
    """Where a pair request stands (stored as its value in `pair_requests.status`)."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"  # one of the two has no room left for a partner


class CheckInChoice(StrEnum):
    """What one of a pair answers to their check-in (`checkins.answer`)."""

    MET = "met"
    STUCK = "stuck"
    NEW_PARTNER = "new_partner"
