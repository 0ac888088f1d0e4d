"""Safe text helpers: truncation and neutralising what users typed."""

from __future__ import annotations

import discord


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(ellipsis))].rstrip() + ellipsis


def user_text(text: str, limit: int | None = None) -> str:
    """Text a user typed, made inert: markdown escaped and mentions neutralised."""
    cleaned = discord.utils.escape_mentions(discord.utils.escape_markdown(text))
    return truncate(cleaned, limit) if limit else cleaned
