"""Shared embed building blocks."""

from __future__ import annotations

import discord

BRAND = discord.Colour(0x5865F2)
SUCCESS = discord.Colour(0x2ECC71)
WARNING = discord.Colour(0xF1C40F)
ERROR = discord.Colour(0xE74C3C)


def info(title: str, description: str | None = None) -> discord.Embed:
    return discord.Embed(title=title, description=description, colour=BRAND)


def success(title: str, description: str | None = None) -> discord.Embed:
    return discord.Embed(title=title, description=description, colour=SUCCESS)
