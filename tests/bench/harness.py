"""Shared bits for ``make bench``: machine baselines and JSON-line reporting.

Targets are reported, never asserted. Each figure is printed next to a ratio
against this machine's own baselines, so numbers from a slow CI box and a fast
laptop can be compared: ``py_ms`` is a fixed pure-Python workload, ``fsync_ms``
a 4 KiB write plus fsync in the bench's temp dir.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from typing import Any

_BASELINE: dict[str, float] | None = None


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of ``values`` (pct in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100.0 * len(ordered) + 0.5) - 1))
    return ordered[k]


def machine_baseline() -> dict[str, float]:
    """Measure (once per run) the reference workloads figures are divided by."""
    global _BASELINE
    if _BASELINE is not None:
        return _BASELINE
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        acc = 0
        for i in range(200_000):
            acc += i * i % 7
        runs.append((time.perf_counter() - t) * 1000)
    fs = []
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "probe")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            for _ in range(50):
                t = time.perf_counter()
                os.write(fd, b"x" * 4096)
                os.fsync(fd)
                fs.append((time.perf_counter() - t) * 1000)
        finally:
            os.close(fd)
    _BASELINE = {"py_ms": statistics.median(runs), "fsync_ms": statistics.median(fs)}
    return _BASELINE


def report(bench: str, metric: str, value: float, unit: str, goal: str | None = None,
           baseline: str = "py_ms", **extra: Any) -> dict[str, Any]:
    """Print one JSON line for a measured figure and return it."""
    base = machine_baseline()
    row: dict[str, Any] = {"bench": bench, "metric": metric, "value": round(value, 4), "unit": unit}
    if goal:
        row["goal"] = goal
    if unit in ("ms", "s") and base.get(baseline):
        ms = value * 1000 if unit == "s" else value
        row[f"ratio_to_{baseline}"] = round(ms / base[baseline], 3)
    row.update(extra)
    print(json.dumps(row), flush=True)
    sys.stdout.flush()
    return row
