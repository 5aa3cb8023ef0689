"""Time as the models see it: injected, so tests run without waiting for real time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

Sleep = Callable[[float], Awaitable[object]]


@dataclass(frozen=True)
class Clock:
    now: Callable[[], float] = time.time  # wall time: job ages, file names
    monotonic: Callable[[], float] = time.monotonic  # retry times and countdowns
    sleep: Sleep = asyncio.sleep  # the polling models' timer
