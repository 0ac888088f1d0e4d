"""Drawing the `/nexus stats` picture with matplotlib's Agg backend. Imported lazily by
`bot.ui.charts` (see there why), so nothing else should import this module."""

from __future__ import annotations

import struct
import warnings
import zlib

import matplotlib
import numpy as np

matplotlib.use("Agg")  # before anything imports pyplot; Nexus never opens a window

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from bot.domain.stats import NOT_TRACKED, ROLES, ChartData, Funnel, ProjectStats
from bot.ui.charts import (
    BACKGROUND,
    FUNNEL,
    GRID,
    INK,
    NOT_LOOKED,
    ON_LIST,
    PAIRED,
    UNTRACKED,
)

WIDTH_IN = 10.0
DPI = 100
ROW_IN = 0.36  # height per project (two bars)
FUNNEL_IN = 2.4
TITLE_IN = 0.9  # the title, and room for the top panel's own title
GAP_IN = 1.1  # between the funnel and the projects panel (room for the second title)
BOTTOM_IN = 0.45
LEFT_IN = 3.4  # project names with their numbers, funnel stages
NAME_CHARS = 28


def _label(text: str, limit: int = NAME_CHARS) -> str:
    """A project name as a plain label: `$` would start matplotlib's math mode."""
    short = text if len(text) <= limit else text[: limit - 1] + "…"
    return short.replace("$", r"\$")


def _style(ax: Axes) -> None:
    ax.set_facecolor(BACKGROUND)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(GRID)
    ax.spines["bottom"].set_visible(False)
    ax.set_yticks([])
    ax.set_xticks([])  # every bar carries its number; ticks would only cost time


def _row_label(ax: Axes, y: float, text: str) -> None:
    """A row's name left of the axes (plain text is much cheaper than a tick)."""
    ax.text(
        -0.01,
        y,
        text,
        transform=ax.get_yaxis_transform(),
        ha="right",
        va="center",
        fontsize=9,
        color=INK,
    )


def _draw_funnel(ax: Axes, funnel: Funnel) -> None:
    stages = list(funnel.stages)
    y = list(range(len(stages)))[::-1]
    top = max((s.shown for s in stages), default=0) or 1
    colours = [UNTRACKED if s.count is None else FUNNEL for s in stages]
    ax.barh(y, [s.shown for s in stages], color=colours, height=0.62)
    ax.set_yticks([])
    for row, stage in zip(y, stages, strict=True):
        _row_label(ax, row, stage.label)
    ax.set_xlim(0, top * 1.18)
    for row, stage in zip(y, stages, strict=True):
        if stage.count is None:
            text = f"0 · {NOT_TRACKED}"
        elif stage is stages[0] or not stages[0].shown:
            text = str(stage.shown)
        else:
            text = f"{stage.shown} ({round(100 * stage.shown / stages[0].shown)}%)"
        ax.text(stage.shown + top * 0.01, row, text, va="center", fontsize=9, color=INK)
    ax.set_title("This week's funnel", loc="left", fontsize=11, color=INK, fontweight="bold")


def _bars(
    ax: Axes, y: list[float], left: list[int], width: list[int], colour: str, height: float = 0.36
) -> None:
    """Horizontal bars as one PolyCollection (empty bars are skipped)."""
    boxes = [
        [
            (x0, yc - height / 2),
            (x0 + w, yc - height / 2),
            (x0 + w, yc + height / 2),
            (x0, yc + height / 2),
        ]
        for yc, x0, w in zip(y, left, width, strict=True)
        if w
    ]
    if boxes:
        ax.add_collection(PolyCollection(boxes, facecolors=colour, edgecolors="none"))


def _draw_projects(ax: Axes, rows: list[ProjectStats]) -> None:
    ax.set_title(
        "Announced per project and track",
        loc="left",
        fontsize=11,
        color=INK,
        fontweight="bold",
        pad=24,
    )
    if not rows:
        ax.set_yticks([])
        ax.set_xticks([])
        ax.text(
            0.5,
            0.5,
            "Nobody has announced a project yet.",
            ha="center",
            va="center",
            transform=ax.transAxes,
            fontsize=11,
            color=INK,
        )
        return
    busiest = max(c.announced for r in rows for c in r.roles.values()) or 1
    y: list[float] = []
    paired: list[int] = []
    looked: list[int] = []
    not_looked: list[int] = []
    for index, stats in enumerate(rows):
        centre = float(len(rows) - 1 - index)
        parts = []
        for offset, role in zip((0.2, -0.2), ROLES, strict=True):
            counts = stats.roles[role]
            y.append(centre + offset)
            paired.append(counts.paired)
            looked.append(counts.on_list)
            not_looked.append(counts.waiting - counts.on_list)
            parts.append(f"{role[0].upper()} {counts.paired}/{counts.announced}")
        # one label per project, numbers included (backend bar on top): each text costs time
        _row_label(ax, centre, f"{_label(stats.project)}   {' · '.join(parts)}")
    # one collection per series: a patch per bar is what makes a 50-project chart slow
    starts = [p + w for p, w in zip(paired, looked, strict=True)]
    _bars(ax, y, [0] * len(y), paired, PAIRED)
    _bars(ax, y, paired, looked, ON_LIST)
    _bars(ax, y, starts, not_looked, NOT_LOOKED)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlim(0, busiest * 1.35)
    handles = [
        Patch(color=PAIRED, label="paired"),
        Patch(color=ON_LIST, label="waiting, looked"),
        Patch(color=NOT_LOOKED, label="waiting, not looked yet"),
        Patch(color="none", label="B / F: backend / frontend, paired / announced"),
    ]
    ax.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(-0.01, 0.995),
        ncols=4,
        frameon=False,
        fontsize=8,
        labelcolor=INK,
    )


def draw_png(data: ChartData) -> bytes:
    """The chart as PNG bytes (projects with nobody announced are left out of the bars)."""
    rows = [r for r in data.rows if r.announced]
    projects_in = max(1.6, ROW_IN * len(rows) + 0.8)
    funnel_in = FUNNEL_IN if data.funnel is not None else 0.0
    gap_in = GAP_IN if data.funnel is not None else 0.0
    height = TITLE_IN + funnel_in + gap_in + projects_in + BOTTOM_IN
    figure = Figure(figsize=(WIDTH_IN, height), dpi=DPI, facecolor=BACKGROUND)
    canvas = FigureCanvasAgg(figure)
    figure.text(
        0.02,
        1 - 0.35 / height,
        _label(data.title, 80),
        ha="left",
        va="center",
        fontsize=13,
        color=INK,
        fontweight="bold",
    )
    # fixed margins in inches (no "tight" layout: it draws the figure twice)
    frame = {
        "left": LEFT_IN / WIDTH_IN,
        "right": 1 - 0.3 / WIDTH_IN,
        "top": 1 - TITLE_IN / height,
        "bottom": BOTTOM_IN / height,
    }
    if data.funnel is not None:
        grid = figure.add_gridspec(
            2,
            1,
            height_ratios=[funnel_in, projects_in],
            hspace=gap_in / ((funnel_in + projects_in) / 2),
            **frame,
        )
        funnel_ax = figure.add_subplot(grid[0])
        _style(funnel_ax)
        _draw_funnel(funnel_ax, data.funnel)
        projects_ax = figure.add_subplot(grid[1])
    else:
        projects_ax = figure.add_subplot(figure.add_gridspec(1, 1, **frame)[0])
    _style(projects_ax)
    _draw_projects(projects_ax, rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a glyph the font lacks (an emoji in a name) is skipped
        canvas.draw()
    return _png(np.asarray(canvas.buffer_rgba()))


def _png_chunk(tag: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(body, zlib.crc32(tag))
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", crc)


def _png(rgba: np.ndarray) -> bytes:
    """An opaque RGB PNG of the drawn canvas, encoded directly.

    The card is opaque, so the alpha channel is dropped; rows are stored unfiltered and
    deflated at level 1: on a chart's flat colours that is both smaller and about twice as
    fast as Pillow's adaptive filtering (the encoder `savefig` would use), with no metadata.
    """
    height, width = rgba.shape[:2]
    rows = np.zeros((height, 1 + width * 3), dtype=np.uint8)  # filter byte 0 ("none") per row
    rows[:, 1:] = rgba[:, :, :3].reshape(height, width * 3)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)),
            _png_chunk(b"IEND", b""),
        )
    )
