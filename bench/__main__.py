"""Run every `bench/bench_*.py` in its own process, one after the other, and summarise.

Ends with the ratio table (`bench_ratios`): Nexus's hot paths against the floor bots."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, load average {load}"


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem for p in HERE.glob("bench_*.py"))
    print(f"machine: {machine()}")
    failed = 0
    for name in names:
        module = name if name.startswith("bench_") else f"bench_{name}"
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", f"bench.{module}"], cwd=HERE.parent)
        took = time.perf_counter() - started
        print(f"-- {module}: exit {result.returncode} in {took:.1f} s\n")
        failed += result.returncode != 0
    summary = {p.stem: json.loads(p.read_text()) for p in sorted((HERE / "results").glob("*.json"))}
    (HERE / "results" / "machine.txt").write_text(machine() + "\n")
    print(f"{len(summary)} result files in bench/results/")
    ratios = summary.get("ratios")
    if ratios:
        from bench.bench_ratios import print_table

        print(f"\nratios to the floor ({ratios['measured_at']}, load {ratios['load_average']}):")
        print_table(ratios["interactions"], ratios["autocomplete"])
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
