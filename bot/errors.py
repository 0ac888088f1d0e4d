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


class NoCohort(NexusError):
    """No (running) cohort on this server."""

    def __init__(self, active: bool = False) -> None:
        what = "No cohort is running" if active else "No cohort has been started yet"
        super().__init__(f"{what} on this server. Start one with `/nexus cohort start`.")
