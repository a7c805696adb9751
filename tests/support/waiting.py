"""Waiting for something another process or replica does."""

from __future__ import annotations

import time
from collections.abc import Callable


def seconds_until(check: Callable[[], bool], timeout: float = 10.0, interval: float = 0.05) -> float:
    """Seconds until `check()` is true; fails the test after `timeout`."""
    start = time.perf_counter()
    while not check():
        assert time.perf_counter() - start < timeout, f"not true within {timeout:g} s: {check.__name__}"
        time.sleep(interval)
    return time.perf_counter() - start
