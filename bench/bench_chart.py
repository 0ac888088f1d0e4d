"""The `/nexus stats` PNG: render time for 0, 1, 5 and 50 projects with the week's funnel.

Target: < 300 ms for 50 projects, rendered in a worker thread as the bot does (the first
render of a process, which imports matplotlib, is reported apart: the bot does it right after
connecting).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.domain.stats import ChartData, ProjectStats, RoleCounts, WeekFacts, funnel
from bot.ui.charts import render_png

RESULTS = Path(__file__).resolve().parent / "results" / "chart.json"
SIZES = (0, 1, 5, 50)
ROUNDS = 15
TARGET_MS = 300.0


def chart_data(projects: int) -> ChartData:
    rows = tuple(
        ProjectStats(
            f"Capstone project number {n} with a long name",
            {
                "backend": RoleCounts(paired=n % 4, waiting=1 + n % 3, on_list=n % 2),
                "frontend": RoleCounts(paired=n % 4, waiting=n % 5, on_list=n % 3 // 2),
            },
        )
        for n in range(projects)
    )
    people = frozenset(range(400))
    week = WeekFacts(
        cohort=people,
        announced=frozenset(range(320)),
        asked=frozenset(range(250)),
        paired=frozenset(range(200)),
        met=None,
        still_paired=frozenset(range(180)),
    )
    return ChartData("Nexus stats · ALX ProDev", rows, funnel(week))


async def _timed(data: ChartData) -> tuple[float, float, int]:
    """(wall ms in a worker thread, CPU ms of this process, PNG bytes)."""
    started, cpu = time.perf_counter(), time.process_time()
    png = await asyncio.to_thread(render_png, data)
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000, len(png)


async def main() -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    first_ms, _, _ = await _timed(chart_data(1))
    sizes: dict[str, Any] = {}
    for projects in SIZES:
        data = chart_data(projects)
        runs = [await _timed(data) for _ in range(ROUNDS)]
        wall = sorted(r[0] for r in runs)
        cpu = sorted(r[1] for r in runs)
        sizes[str(projects)] = {
            "p50_ms": round(statistics.median(wall), 1),
            "max_ms": round(wall[-1], 1),
            "cpu_p50_ms": round(statistics.median(cpu), 1),
            "png_kib": round(runs[0][2] / 1024, 1),
        }
    return {
        "first_render_with_import_ms": round(first_ms, 1),
        "projects": sizes,
        "target_ms_50_projects": TARGET_MS,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        # Other processes' load when the run started: wall-clock figures include their share.
        "load_average_1min": round(load_before, 2),
    }


def report(results: dict[str, Any]) -> bool:
    print(
        f"stats chart: first render (imports matplotlib) "
        f"{results['first_render_with_import_ms']:.0f} ms; "
        f"machine load average {results['load_average_1min']}"
    )
    print(f"{'projects':>8} {'p50':>10} {'max':>10} {'cpu p50':>10} {'png':>10}")
    for projects, figures in results["projects"].items():
        print(
            f"{projects:>8} {figures['p50_ms']:>7.0f} ms {figures['max_ms']:>7.0f} ms "
            f"{figures['cpu_p50_ms']:>7.0f} ms {figures['png_kib']:>6.0f} KiB"
        )
    fifty = results["projects"]["50"]["p50_ms"]
    ok = fifty < TARGET_MS
    print(f"50 projects: p50 {fifty:.0f} ms, target < {TARGET_MS:.0f} ms {'✓' if ok else '✗'}")
    return ok


if __name__ == "__main__":
    outcome = asyncio.run(main())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(outcome, indent=2) + "\n")
    raise SystemExit(0 if report(outcome) else 1)
