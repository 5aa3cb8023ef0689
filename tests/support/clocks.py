"""Frozen clocks, so that ages and retry times on screen do not depend on when a test runs."""

from __future__ import annotations

FROZEN_NOW = 1795315000.0  # wall clock: a moment just after the recordings were taken
FROZEN_MONOTONIC = 1000.0  # monotonic clock, for backoff and retry times


def frozen_now() -> float:
    return FROZEN_NOW


def frozen_monotonic() -> float:
    return FROZEN_MONOTONIC
