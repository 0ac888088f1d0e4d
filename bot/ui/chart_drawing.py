"""Drawing the `/nexus stats` picture with matplotlib's Agg backend. Imported lazily by
`bot.ui.charts` (see there why), so nothing else should import this module."""

from __future__ import annotations

import struct
import warnings
import zlib
from typing import Any

import matplotlib
import numpy as np

matplotlib.use("Agg")  # before anything imports pyplot; Nexus never opens a window

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

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
RIGHT_IN = 0.3
PLOT_IN = WIDTH_IN - LEFT_IN - RIGHT_IN  # the bars' width at their longest scale
LABEL_GAP_IN = 0.06  # between a row's label and its bars
KEY_CHAR_IN = 0.062  # a generous width per character of the 8-point key
KEY = (
    (PAIRED, "paired"),
    (ON_LIST, "waiting, looked"),
    (NOT_LOOKED, "waiting, not looked yet"),
)


def _label(text: str, limit: int = NAME_CHARS) -> str:
    """A project name as a plain label: `$` would start matplotlib's math mode."""
    short = text if len(text) <= limit else text[: limit - 1] + "…"
    return short.replace("$", r"\$")


class _Panel:
    """A panel's data → figure inches mapping: x from `LEFT_IN`, y rows counted from the bottom."""

    def __init__(
        self, bottom_in: float, height_in: float, y_min: float, y_max: float, x_max: float
    ):
        self.bottom_in, self.height_in = bottom_in, height_in
        self.y_min, self.y_scale = y_min, height_in / (y_max - y_min)
        self.x_scale = PLOT_IN / (x_max or 1)

    @property
    def top_in(self) -> float:
        return self.bottom_in + self.height_in

    def x(self, value: float) -> float:
        return LEFT_IN + value * self.x_scale

    def y(self, value: float) -> float:
        return self.bottom_in + (value - self.y_min) * self.y_scale


def _text(figure: Figure, x: float, y: float, text: str, **style: Any) -> None:
    """Text placed in figure inches (no Axes: each one costs ticks, spines and a layout pass)."""
    style.setdefault("fontsize", 9)
    style.setdefault("color", INK)
    style.setdefault("va", "center")
    figure.text(x, y, text, transform=figure.dpi_scale_trans, **style)


def _title(figure: Figure, panel: _Panel, text: str, above_in: float) -> None:
    _text(figure, LEFT_IN, panel.top_in + above_in, text, fontsize=11, fontweight="bold")


def _boxes(
    panel: _Panel, y: list[float], left: list[int], width: list[int], height: float
) -> list[list[tuple[float, float]]]:
    """Rectangles in figure inches for bars (empty bars are skipped)."""
    boxes = []
    for yc, x0, w in zip(y, left, width, strict=True):
        if w:
            x1, x2 = panel.x(x0), panel.x(x0 + w)
            y1, y2 = panel.y(yc - height / 2), panel.y(yc + height / 2)
            boxes.append([(x1, y1), (x2, y1), (x2, y2), (x1, y2)])
    return boxes


def _bars(
    figure: Figure,
    panel: _Panel,
    y: list[float],
    left: list[int],
    width: list[int],
    colours: str | list[str],
    height: float,
) -> None:
    """One PolyCollection per series: a patch per bar is what makes a 50-project chart slow."""
    boxes = _boxes(panel, y, left, width, height)
    if boxes:
        if isinstance(colours, list):  # one colour per bar, empty bars dropped with them
            colours = [c for c, w in zip(colours, width, strict=True) if w]
        figure.add_artist(
            PolyCollection(
                boxes, facecolors=colours, edgecolors="none", transform=figure.dpi_scale_trans
            )
        )


def _spine(figure: Figure, panel: _Panel) -> None:
    """The thin line left of a panel's bars."""
    figure.add_artist(
        Line2D(
            [LEFT_IN, LEFT_IN],
            [panel.bottom_in, panel.top_in],
            color=GRID,
            linewidth=0.8,
            transform=figure.dpi_scale_trans,
        )
    )


def _draw_funnel(figure: Figure, bottom_in: float, funnel: Funnel) -> None:
    stages = list(funnel.stages)
    rows = len(stages)
    top = max((s.shown for s in stages), default=0) or 1
    # the margins matplotlib's autoscale gave the bars before (5 % of the rows' span)
    panel = _Panel(bottom_in, FUNNEL_IN, -0.31 - 0.03 * rows, rows - 0.69 + 0.03 * rows, top * 1.18)
    y = [float(rows - 1 - i) for i in range(rows)]
    colours = [UNTRACKED if s.count is None else FUNNEL for s in stages]
    _bars(figure, panel, y, [0] * rows, [s.shown for s in stages], colours, 0.62)
    _spine(figure, panel)
    for row, stage in zip(y, stages, strict=True):
        _text(figure, LEFT_IN - LABEL_GAP_IN, panel.y(row), stage.label, ha="right")
        if stage.count is None:
            text = f"0 · {NOT_TRACKED}"
        elif stage is stages[0] or not stages[0].shown:
            text = str(stage.shown)
        else:
            text = f"{stage.shown} ({round(100 * stage.shown / stages[0].shown)}%)"
        _text(figure, panel.x(stage.shown + top * 0.01), panel.y(row), text)
    _title(figure, panel, "This week's funnel", 0.2)


def _key(figure: Figure, panel: _Panel) -> None:
    """What the colours and the label numbers mean, above the projects' bars."""
    y = panel.top_in + 0.12
    _text(
        figure,
        LEFT_IN - LABEL_GAP_IN,
        y,
        "B / F: backend / frontend, paired / announced",
        fontsize=8,
        ha="right",
    )
    swatches = []
    x = LEFT_IN
    for _colour, label in KEY:
        swatches.append([(x, y - 0.06), (x + 0.24, y - 0.06), (x + 0.24, y + 0.06), (x, y + 0.06)])
        _text(figure, x + 0.32, y, label, fontsize=8)
        x += 0.32 + KEY_CHAR_IN * len(label) + 0.3
    figure.add_artist(
        PolyCollection(
            swatches,
            facecolors=[colour for colour, _ in KEY],
            edgecolors="none",
            transform=figure.dpi_scale_trans,
        )
    )


def _draw_projects(
    figure: Figure, bottom_in: float, height_in: float, rows: list[ProjectStats]
) -> None:
    busiest = max((c.announced for r in rows for c in r.roles.values()), default=0) or 1
    panel = _Panel(bottom_in, height_in, -0.7, max(len(rows), 1) - 0.3, busiest * 1.35)
    _title(figure, panel, "Announced per project and track", 0.45)
    if not rows:
        _text(
            figure,
            LEFT_IN + PLOT_IN / 2,
            bottom_in + height_in / 2,
            "Nobody has announced a project yet.",
            ha="center",
            fontsize=11,
        )
        return
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
        _text(
            figure,
            LEFT_IN - LABEL_GAP_IN,
            panel.y(centre),
            f"{_label(stats.project)}   {' · '.join(parts)}",
            ha="right",
        )
    starts = [p + w for p, w in zip(paired, looked, strict=True)]
    _bars(figure, panel, y, [0] * len(y), paired, PAIRED, 0.36)
    _bars(figure, panel, y, paired, looked, ON_LIST, 0.36)
    _bars(figure, panel, y, starts, not_looked, NOT_LOOKED, 0.36)
    _spine(figure, panel)
    _key(figure, panel)


def draw_png(data: ChartData) -> bytes:
    """The chart as PNG bytes (projects with nobody announced are left out of the bars).

    The layout is fixed, in inches, from the row count: one Figure with texts and one
    collection per bar series placed directly on it (no Axes, no "tight" layout, one draw).
    """
    rows = [r for r in data.rows if r.announced]
    projects_in = max(1.6, ROW_IN * len(rows) + 0.8)
    funnel_in = FUNNEL_IN if data.funnel is not None else 0.0
    gap_in = GAP_IN if data.funnel is not None else 0.0
    height = TITLE_IN + funnel_in + gap_in + projects_in + BOTTOM_IN
    figure = Figure(figsize=(WIDTH_IN, height), dpi=DPI, facecolor=BACKGROUND)
    canvas = FigureCanvasAgg(figure)
    _text(figure, 0.2, height - 0.35, _label(data.title, 80), fontsize=13, fontweight="bold")
    _draw_projects(figure, BOTTOM_IN, projects_in, rows)
    if data.funnel is not None:
        _draw_funnel(figure, BOTTOM_IN + projects_in + gap_in, data.funnel)
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
