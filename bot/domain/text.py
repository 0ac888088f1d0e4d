"""Safe text: truncation, and neutralising what users typed before it is shown on Discord.

The escaping is discord.py's own (`discord.utils.escape_markdown` and `escape_mentions`, the same
regular expressions, checked against them in tests/unit/test_text.py), kept here so that services
writing reminder text need not import discord."""

from __future__ import annotations

import re

_MARKDOWN_COMMON = r"^>(?:>>)?\s|\[.+\]\(.+\)|^#{1,3}|^\s*-"
_URL = r"(?P<url><[^: >]+:\/[^ >]+>|(?:https?|steam):\/\/[^\s<]+[^<.,:;\"\'\]\s])"
_MARKDOWN = re.compile(rf"(?:{_URL}|(?P<markdown>[_\\~|\*`]|{_MARKDOWN_COMMON}))", re.MULTILINE)
_MENTION = re.compile(r"@(everyone|here|[!&]?[0-9]{17,20})")


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """`text` cut to at most `limit` characters, ending in `ellipsis` when it was cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(ellipsis))].rstrip() + ellipsis


def escape_markdown(text: str) -> str:
    """Markdown characters escaped with a backslash; links are left as they are."""

    def replacement(match: re.Match[str]) -> str:
        return match["url"] or "\\" + match["markdown"]

    return _MARKDOWN.sub(replacement, text)


def escape_mentions(text: str) -> str:
    """@everyone, @here, role and user mentions made inert with a zero-width space."""
    return _MENTION.sub("@\u200b\\1", text)


def user_text(text: str, limit: int | None = None) -> str:
    """Text a user typed, made inert: markdown escaped and mentions neutralised."""
    cleaned = escape_mentions(escape_markdown(text))
    return truncate(cleaned, limit) if limit else cleaned
