"""Domain errors: each carries the friendly text the learner or moderator sees."""

from __future__ import annotations


class NexusError(Exception):
    """Base class: `str(error)` is shown to the user as an ephemeral message; a kind that
    always says the same declares it as `text`."""

    text = ""

    def __init__(self, message: str | None = None) -> None:
        message = self.text if message is None else message
        super().__init__(message)
        self.message = message


class NotConfigured(NexusError):
    text = "Nexus is not set up on this server yet. A moderator needs to run `/nexus setup` first."


class NotModerator(NexusError):
    text = "Only moderators can use this command (Manage Server or the configured moderator role)."


SERVER_ONLY = (
    "This works only inside a server, not in a DM: run it in one of the server's channels "
    "(the Nexus channel, for instance)."
)


class GuildOnly(NexusError):
    text = SERVER_ONLY


class InvalidInput(NexusError):
    """Bad user input; nothing was changed. `field` names the option that was refused."""

    field: str | None = None


class UnknownProject(InvalidInput):
    """A project name that matches nothing in the server's catalog (nothing was changed)."""

    field = "project"

    def __init__(self, typed: str, did_you_mean: str = "") -> None:
        text = f"{typed} is not a project in this server's catalog."
        if did_you_mean:
            text += f" Did you mean {did_you_mean}?"
        else:
            text += " Pick a project from the list that appears as you type."
        super().__init__(text)


class NotAnnounced(NexusError):
    """The member has no announced project yet."""


class NotAMatch(NexusError):
    """Two learners can't be paired (other project, same role, declined, …)."""


class NoRoom(NexusError):
    """Someone already has as many partners as the server allows."""


class RequestClosed(NexusError):
    """A pair request was already answered, withdrawn or expired."""


class NotYourButton(NexusError):
    """Someone pressed a button meant for another member (each kind says what to do instead)."""

    text = "This button belongs to someone else: only the learner it was sent to can use it."


class NotYourErasure(NotYourButton):
    text = "This button isn't for you: run `/my-data delete` yourself."


class NotPaired(NexusError):
    text = (
        "You don't have a partner right now, so there is nothing to end. "
        "Use `/find-partner` to look for one."
    )


class ArticleNotFound(NexusError):
    text = "That article is no longer in the knowledge base. Run `/learn` again to find it."


class NotYourCard(NotYourButton):
    """Someone pressed the buttons of a `/learn` card that another member opened."""

    text = (
        "These buttons belong to whoever opened this article. Press 📖 on a shared page, or "
        "run `/learn`, to get your own copy to page through."
    )


class NoCohort(NexusError):
    """No (running) cohort on this server."""

    def __init__(self, active: bool = False) -> None:
        what = "No cohort is running" if active else "No cohort has been started yet"
        super().__init__(f"{what} on this server. Start one with `/nexus cohort start`.")
