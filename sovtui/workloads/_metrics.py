"""Emit SOVTUI_METRIC lines: one JSON object per line on stdout, read back by sovtui.bench.metrics.

Kept free of sovtui.bench (and so of pydantic) on purpose: this runs on cluster nodes, which only
need Ray, numpy and the workload package itself.
"""

from __future__ import annotations

import json
import math
import sys
import time
from typing import Any

PREFIX = "SOVTUI_METRIC "
VERSION = 1

_START = time.monotonic()


def _clean(value: Any) -> Any:
    # JSON has no NaN/inf; emit null so that strict parsers (and ours) accept the line.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _clean(value.item())
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def format_metric(workload: str, phase: str, step: int | None = None, **measures: Any) -> str:
    """One protocol line (without the newline). `elapsed_s` defaults to seconds since import."""
    record: dict[str, Any] = {"v": VERSION, "workload": workload, "phase": phase}
    if step is not None:
        record["step"] = int(step)
    record["elapsed_s"] = round(time.monotonic() - _START, 6)
    record["t"] = round(time.time(), 3)
    record.update(measures)
    return PREFIX + json.dumps(_clean(record), separators=(",", ":"), allow_nan=False)


def emit(workload: str, phase: str, step: int | None = None, **measures: Any) -> None:
    """Print one metrics line and flush, so a log tail sees it while the job is still running."""
    print(format_metric(workload, phase, step, **measures), file=sys.stdout, flush=True)
