"""Waiting helpers shared by the Pilot and snapshot tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot


async def wait_for(
    pilot: Pilot[Any], condition: Callable[[], object], timeout: float = 60.0, step: float = 0.1
) -> None:
    """Pause until `condition()` is true; fail the test after `timeout` seconds."""
    for _ in range(int(timeout / step)):
        if condition():
            return
        await pilot.pause(step)
    raise AssertionError("timed out waiting")


async def settle(pilot: Pilot[Any]) -> None:
    """Tables measure new rows on idle and then repaint: let that finish before a picture."""
    for _ in range(3):
        await pilot.pause(0.1)
        await pilot.wait_for_scheduled_animations()
