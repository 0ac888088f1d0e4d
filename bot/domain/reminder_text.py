"""Reminder text: template placeholders, rendering, and fitting recipients into one message.

Templates are `str.format` text from the plan file. Only the placeholders below may appear
(no attribute access, no format specs), so an edited plan can never reach into Python objects.
Names given to these functions must already be safe to display (escaped by the caller).
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from bot.domain.text import truncate

if TYPE_CHECKING:
    from bot.domain.first_week import CohortTally

MESSAGE_CHARS = 2000  # Discord's content limit per message
MAX_MENTIONS = 50  # learners pinged by one channel message

COMMON = frozenset(
    {
        "channel",
        "project_list",
        "start_date",
        "day",
        "cohort_size",
        "announced",
        "paired",
        "alone",
        "not_announced",
    }
)
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "everyone": COMMON | {"mentions"},
    "not_announced": COMMON | {"mentions"},
    "not_paired": COMMON | {"mentions", "suggestions"},
    "moderators": COMMON | {"summary"},
}
PREVIEW_SUGGESTIONS = (
    "@learner → their best partners (by DM each with a request button), or the waiting list"
)
LATE_NOTE = "⏰ *A little late: Nexus was offline at the planned time.*"


def check_template(template: str, audience: str) -> str | None:
    """The problem with a template for an audience, or None when it is fine."""
    allowed = PLACEHOLDERS.get(audience, frozenset())
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError as error:
        return f"the template has unbalanced braces ({error}); write {{{{ and }}}} for braces."
    for _literal, name, spec, conversion in fields:
        if name is None:
            continue
        if name not in allowed or spec or conversion:
            return (
                f"`{{{name[:30]}}}` is not a placeholder for `{audience}`; "
                f"use {', '.join('{' + p + '}' for p in sorted(allowed))}."
            )
    return None


COUNTS = frozenset({"cohort_size", "announced", "paired", "alone", "not_announced", "summary"})


def template_fields(template: str) -> set[str]:
    """The placeholders a (valid) template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def render(template: str, values: Mapping[str, str]) -> str:
    """The template with its placeholders filled (unknown ones were rejected at load)."""
    return template.format_map(values)


def mention(user_id: int) -> str:
    return f"<@{user_id}>"


def mentions(user_ids: Sequence[int]) -> str:
    return " ".join(mention(u) for u in user_ids)


WAITING_LINE = (
    "nobody on the other track of your project is free yet. You're on the waiting list: "
    "I'll tell you as soon as someone who fits announces"
)


# "Run `/announce-project` in {channel}", "`/learn` opens…", "Use `/reminders`", as written in a
# plan: those commands run only in a server, so a DM carries a button for each instead.
_SERVER_CALL = re.compile(
    r"(?:\b(?P<verb>Run|run|Use|use|Try|try) )?`/(?P<command>announce-project|learn|reminders)"
    r"(?: [^`]*)?`(?: in \{channel\})?"
)
# command → (its button, said after a verb, said as a noun); see `dm_buttons`
_DM_BUTTONS = {
    "announce-project": ("announce", "press **Announce** below", "**Announce** (the button below)"),
    "learn": ("learn", "press **Learn** below", "**Learn** (the button below)"),
    "reminders": ("reminders", "press a **Reminders** button below", "the **Reminders** buttons"),
}


def dm_template(template: str) -> str:
    """A template as a DM says it: the server-only `/announce-project`, `/learn` and
    `/reminders` become the buttons the DM carries (see `dm_buttons`)."""

    def button(match: re.Match[str]) -> str:
        _, pressed, noun = _DM_BUTTONS[match["command"]]
        if match["verb"]:
            return (pressed[0].upper() if match["verb"][0].isupper() else "p") + pressed[1:]
        return noun

    return _SERVER_CALL.sub(button, template)


def carries_announce(audience: str) -> bool:
    """Whether a DM of this audience carries the **Announce** button (those not announced)."""
    return audience == "not_announced"


def dm_buttons(template: str, audience: str) -> tuple[str, ...]:
    """The buttons a reminder DM carries beside any request buttons: one per server-only
    command the template names (`dm_template` points at it), and Announce for those not
    announced."""
    named = {_DM_BUTTONS[m["command"]][0] for m in _SERVER_CALL.finditer(template)}
    if carries_announce(audience):
        named.add("announce")
    return tuple(b for b in ("announce", "learn", "reminders") if b in named)


def suggestion_line(user_id: int, names: Sequence[str], *, buttons: bool = False) -> str:
    """One learner's line in the partner nudge: real suggestions with the way to ask them
    (`buttons`: the message carries a request button per name), or the waiting list."""
    if not names:
        return f"{mention(user_id)} → {WAITING_LINE}"
    listed = ", ".join(f"**{n}**" for n in names)
    how = "press a button below to send a request" if buttons else "`/find-partner` sends a request"
    return f"{mention(user_id)} → still looking on your project: {listed}. {how}"


def project_list(names: Sequence[str], limit: int = 600) -> str:
    """Catalog project names, comma separated, cut to `limit` characters."""
    text = ", ".join(names) if names else "ask a moderator to add projects"
    return truncate(text, limit)


def summary_text(tally: CohortTally, limit: int = 1500) -> str:
    """Per project: announced, paired, still alone (with names); cut to `limit` with a count."""
    if not tally.projects:
        return "Nobody has announced a project yet."
    lines = []
    for project in tally.projects:
        line = f"• **{project.project}**: {project.announced} announced, {project.paired} paired"
        if project.alone:
            shown = ", ".join(project.alone[:5])
            more = f" +{len(project.alone) - 5}" if len(project.alone) > 5 else ""
            line += f", {len(project.alone)} still alone ({shown}{more})"
        lines.append(line)
    out: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        tail = f"…and {len(lines) - index} more projects"
        if used + len(line) + 1 + len(tail) > limit and index < len(lines) - 1:
            out.append(tail)
            break
        out.append(truncate(line, limit - used))
        used += len(line) + 1
    return "\n".join(out)


def fit(available: int, render_for: Callable[[int], str], *, limit: int = MESSAGE_CHARS) -> int:
    """How many of the next `available` recipients fit in one message (at least one).

    `render_for(k)` renders the message for the first k; its length grows with k, so a
    binary search finds the largest k within both `MAX_MENTIONS` and `limit` characters.
    """
    high = min(available, MAX_MENTIONS)
    if high <= 1 or len(render_for(high)) <= limit:
        return max(1, high)
    low = 1  # invariant: low fits (or is the minimum), high does not
    while high - low > 1:
        middle = (low + high) // 2
        if len(render_for(middle)) <= limit:
            low = middle
        else:
            high = middle
    return low
