"""Waiting in Pilot and snapshot tests: for a condition, for workers or for the app to be idle,
never for a fixed time.

Every wait polls with `pilot.pause()` without a delay (Textual waits until the process is idle,
at least one 20 ms slice), and fails after its timeout with a message naming what it waited for.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any, cast

from textual.pilot import Pilot
from textual.worker import WorkerState

from sovtui.tui.app import SovtuiApp

DEFAULT_TIMEOUT = 30.0  # generous for a loaded 2-core machine: only a failing test waits it out


async def wait_for(
    pilot: Pilot[Any],
    condition: Callable[[], object],
    timeout: float = DEFAULT_TIMEOUT,
    *,
    what: str | None = None,
    details: Callable[[], str] | None = None,
    every: float = 0.0,
) -> None:
    """Pause until `condition()` is true; fail the test after `timeout` seconds.

    The failure names `what` (else the condition's source) and adds `details()` if given.
    `every` spaces out the checks of a costly condition (one that asks Docker, say).
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            message = f"timed out after {timeout:g} s waiting for {what or describe(condition)}"
            message += f" (screen: {type(pilot.app.screen).__name__})"
            if details is not None:
                message += f"\n{details()}"
            raise AssertionError(message)
        if every:
            await asyncio.sleep(every)  # a polling period, not a wait: the condition decides
        await pilot.pause()


async def wait_for_poll(pilot: Pilot[Any], timeout: float = DEFAULT_TIMEOUT) -> None:
    """Until the dashboard's first poll has ended: a snapshot, or a link state that is a fault."""
    app = cast(SovtuiApp, pilot.app)
    await wait_for(
        pilot,
        lambda: app.snapshot is not None or app.link.state != "connecting",
        timeout,
        what="the first poll to end",
    )


# Workers that run a polling model's loop: they never finish by design. Whether a poll is in
# flight is the model's `fetching`, which wait_for_workers checks instead.
def is_poll_loop(group: str) -> bool:
    """The app's and screens' polling loops run in groups named `poll` or `*-poll`."""
    return group == "poll" or group.endswith("-poll")


def busy_workers(pilot: Pilot[Any], group: str | None = None) -> list[str]:
    """The names of the app's workers (in `group`, if given) that are pending or running;
    without a group, the polling loops count only while a poll is in flight."""
    busy = [
        worker.name
        for worker in pilot.app.workers
        if (worker.group == group if group is not None else not is_poll_loop(worker.group))
        and worker.state in (WorkerState.PENDING, WorkerState.RUNNING)
    ]
    feed = getattr(pilot.app, "feed", None)
    if group is None and feed is not None and feed.poller.fetching:
        busy.append("dashboard poll")
    return busy


async def wait_for_workers(
    pilot: Pilot[Any], group: str | None = None, timeout: float = DEFAULT_TIMEOUT
) -> None:
    """Until every worker (in `group`, if given) has finished, then until the app is idle."""
    await wait_for(
        pilot,
        lambda: not busy_workers(pilot, group),
        timeout,
        what=f"the workers{f' in group {group!r}' if group else ''} to finish",
        details=lambda: f"still busy: {busy_workers(pilot, group)}",
    )
    await pilot.pause()


async def idle(pilot: Pilot[Any], rounds: int = 3) -> None:
    """Let the app handle everything queued: for checks that something did NOT happen."""
    for _ in range(rounds):
        await pilot.pause()


async def settle(pilot: Pilot[Any]) -> None:
    """Before a picture: tables measure new rows on idle and then repaint; animations end."""
    for _ in range(3):
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()


def describe(condition: Callable[[], object]) -> str:
    """A lambda's source text (`lambda: table.row_count == 3`), else the function's name."""
    name = getattr(condition, "__qualname__", repr(condition))
    if getattr(condition, "__name__", "") != "<lambda>":
        return name
    try:
        source = inspect.getsource(condition)
    except (OSError, TypeError):
        return name
    text = source[source.find("lambda") :]
    depth = 0
    for index, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}" or (char == "," and depth == 0):
            if depth == 0:
                text = text[:index]
                break
            depth -= 1
    return " ".join(text.split())


def wait_until(
    condition: Callable[[], object], timeout: float, what: str, step: float = 0.1
) -> None:
    """Outside an app (processes, files): poll `condition` every `step` until it is true."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(step)
