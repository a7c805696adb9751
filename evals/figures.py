"""Measured figures: percentiles, duration summaries, ratios, and the two-column table that the
benchmarks and the load test print them in."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import TextIO

import numpy as np


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile, q in 0..100 (numpy's default); None for no values."""
    if not values:
        return None
    return _percentile(values, q)


def _percentile(values: Sequence[float], q: float) -> float:
    """`percentile` of values that are not empty."""
    return float(np.percentile(np.asarray(values, dtype=float), q))


def ms_summary(seconds: Sequence[float]) -> dict[str, float | int]:
    """n, and p50/p95/p99/max/mean in milliseconds, of durations in seconds (only n for none)."""
    ms = [s * 1000 for s in seconds]
    if not ms:
        return {"n": 0}
    return {
        "n": len(ms),
        "p50_ms": round(_percentile(ms, 50), 2),
        "p95_ms": round(_percentile(ms, 95), 2),
        "p99_ms": round(_percentile(ms, 99), 2),
        "max_ms": round(max(ms), 2),
        "mean_ms": round(sum(ms) / len(ms), 2),
    }


def ratio(a: float | None, b: float | None, digits: int = 2) -> float:
    """a / b rounded; nan when either is missing (None or nan) or b is 0."""
    if a is None or b is None or not b or math.isnan(a) or math.isnan(b):
        return math.nan
    return round(a / b, digits)


def print_table(figures: dict, file: TextIO | None = None) -> None:
    """One line per figure: its name, padded, and its value."""
    file = file or sys.stdout
    width = max(len(k) for k in figures)
    for k, v in figures.items():
        print(f"{k:<{width}}  {v}", file=file)
