"""The stats PNG: it decodes, has a sensible size, is not blank, and stays within its budget."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from bot.domain.stats import ChartData, ProjectStats, RoleCounts, WeekFacts, funnel
from bot.ui.charts import FUNNEL, NOT_LOOKED, ON_LIST, PAIRED, render_png


def _projects(count: int) -> tuple[ProjectStats, ...]:
    return tuple(
        ProjectStats(
            f"Project {n} $5 shop",  # `$` would start matplotlib math mode if not escaped
            {
                "backend": RoleCounts(paired=n % 3, waiting=1 + n % 2, on_list=n % 2),
                "frontend": RoleCounts(paired=n % 3, waiting=n % 4, on_list=0),
            },
        )
        for n in range(count)
    )


def _week() -> ChartData:
    people = frozenset(range(1, 41))
    return ChartData(
        "Nexus stats",
        (),
        funnel(
            WeekFacts(
                cohort=people,
                announced=frozenset(range(1, 31)),
                asked=frozenset(range(1, 21)),
                paired=frozenset(range(1, 15)),
                met=None,
                still_paired=frozenset(range(1, 11)),
            )
        ),
    )


def _decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG"
    return image.convert("RGB")


def _has_colour(image: Image.Image, hex_colour: str) -> bool:
    wanted = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    colours = image.getcolors(maxcolors=1 << 20) or []
    return any(colour == wanted and count > 50 for count, colour in colours)


@pytest.mark.parametrize("count", [0, 1, 50])
def test_chart_decodes_with_a_sensible_size_and_is_not_blank(count: int) -> None:
    data = ChartData("Nexus stats · ALX ProDev", _projects(count), _week().funnel)
    image = _decode(render_png(data))
    width, height = image.size
    assert 600 <= width <= 1600 and 300 <= height <= 4000
    extrema = image.convert("L").getextrema()
    assert extrema[1] - extrema[0] > 100  # dark text on a light card, not one flat colour
    # bars (and their legend) only when someone announced; the funnel is always drawn
    assert _has_colour(image, FUNNEL)
    for colour in (PAIRED, ON_LIST, NOT_LOOKED):
        assert _has_colour(image, colour) == (count > 0)


def test_fifty_projects_grow_the_picture() -> None:
    small = _decode(render_png(ChartData("s", _projects(1), None)))
    large = _decode(render_png(ChartData("s", _projects(50), None)))
    assert large.size[0] == small.size[0] and large.size[1] > 5 * small.size[1]


def test_fifty_projects_render_within_budget() -> None:
    data = ChartData("Nexus stats", _projects(50), _week().funnel)
    render_png(data)  # fonts and caches warm up once per process
    best = min(_cpu_ms(data) for _ in range(3))
    # the budget is 300 ms on the CI machine; a shared, loaded test machine gets slack
    assert best < 900, f"{best:.0f} ms"


def _cpu_ms(data: ChartData) -> float:
    start = time.process_time()
    render_png(data)
    return (time.process_time() - start) * 1000
