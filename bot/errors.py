"""Domain errors: each carries the friendly text the learner or moderator sees."""

from __future__ import annotations


class NexusError(Exception):
    """Base class: `str(error)` is shown to the user as an ephemeral message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotConfigured(NexusError):
    def __init__(self) -> None:
        super().__init__(
            "Nexus is not set up on this server yet. A moderator needs to run `/nexus setup` first."
        )


class NotModerator(NexusError):
    def __init__(self) -> None:
        super().__init__(
            "Only moderators can use this command (Manage Server or the configured moderator role)."
        )


class GuildOnly(NexusError):
    def __init__(self) -> None:
        super().__init__("This command only works inside a server.")


class InvalidInput(NexusError):
    """Bad user input; nothing was changed."""


class NotAnnounced(NexusError):
    def __init__(self) -> None:
        super().__init__(
            "You haven't announced a project yet. Run `/announce-project` with your project and "
            "role first, then `/find-partner`."
        )


class UnknownProject(NexusError):
    def __init__(self, text: str) -> None:
        super().__init__(
            f"I don't know a project called `{text[:80]}`. Pick one from the list as you type."
        )


class NotAMatch(NexusError):
    """Two learners can't be paired (other project, same role, declined, …)."""


class NoRoom(NexusError):
    """Someone already has as many partners as the server allows."""


class RequestClosed(NexusError):
    """A pair request was already answered, withdrawn or expired."""


class NotYourButton(NexusError):
    def __init__(self) -> None:
        super().__init__(
            "This button belongs to someone else: only the learner it was sent to can use it."
        )


class NotPaired(NexusError):
    def __init__(
        self,
        message: str = "You don't have a partner right now, so there is nothing "
        "to end. Use `/find-partner` to look for one.",
    ) -> None:
        super().__init__(message)
