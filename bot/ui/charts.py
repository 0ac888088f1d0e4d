"""The `/nexus stats` picture as an attachment: a PNG drawn from plain chart data.

Rendering is CPU work, so it runs in a worker thread (`asyncio.to_thread`); the drawing
(`bot.ui.chart_drawing`) builds its own `Figure` and touches no pyplot global state, so two
renders may run at once. matplotlib is imported by the first chart (in that worker thread,
while the interaction is deferred), not at start: importing it costs about a second of CPU and
35 MB that a bot whose moderators never ask for a chart should not pay.

Colours are the Okabe–Ito palette, which stays distinguishable for the common forms of colour
blindness; every bar also carries its number, so nothing depends on colour alone. The picture
has its own light background and dark text, so it reads the same on Discord's dark and light
themes.
"""

from __future__ import annotations

import asyncio
import io

import discord

from bot.domain.stats import ChartData

# Okabe & Ito (2008), "Color Universal Design".
PAIRED = "#0072B2"  # blue
ON_LIST = "#E69F00"  # orange: waiting, looked for a partner
NOT_LOOKED = "#CC79A7"  # reddish purple: waiting, hasn't looked yet
FUNNEL = "#009E73"  # bluish green
UNTRACKED = "#BBBBBB"
BACKGROUND = "#FAFAFA"
INK = "#1F2328"
GRID = "#D0D7DE"

CHART_FILE = "nexus-stats.png"


def render_png(data: ChartData) -> bytes:
    """The chart as PNG bytes (blocking: call it in a worker thread)."""
    from bot.ui.chart_drawing import draw_png

    return draw_png(data)


async def chart_file(data: ChartData) -> discord.File:
    """The chart as an attachment, rendered in a worker thread (never on the event loop)."""
    png = await asyncio.to_thread(render_png, data)
    return discord.File(io.BytesIO(png), filename=CHART_FILE, description=data.title[:1024])
