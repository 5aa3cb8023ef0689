"""The guard between sovtui and `ray start --block`, with `sleep` standing in for Ray."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator

import pytest

from sovtui.cluster import head_guard
from tests.support.head_processes import alive, start_guard


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def cleanup() -> Iterator[list[int]]:
    pids: list[int] = []
    yield pids
    for pid in pids:  # only what a failed test left: our own children
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_the_head_stops_when_sovtui_goes_without_a_word(cleanup: list[int]) -> None:
    guard, lifeline, head = start_guard()
    cleanup += [guard.pid, head]
    os.close(lifeline)  # what the kernel does when sovtui dies, SIGKILL included
    guard.wait(timeout=10)
    assert wait_until(lambda: not alive(head))


def test_keep_leaves_the_head_running_until_the_guard_gets_sigterm(cleanup: list[int]) -> None:
    guard, lifeline, head = start_guard()
    cleanup += [guard.pid, head]
    os.write(lifeline, head_guard.KEEP)
    os.close(lifeline)
    time.sleep(1.5)  # longer than the guard's watch interval
    assert guard.poll() is None and alive(head)
    guard.send_signal(signal.SIGTERM)  # `kill PID`, as sovtui's --keep message says
    guard.wait(timeout=10)
    assert wait_until(lambda: not alive(head))


def test_sigterm_to_the_guard_stops_the_head(cleanup: list[int]) -> None:
    guard, lifeline, head = start_guard()
    cleanup += [guard.pid, head]
    guard.send_signal(signal.SIGTERM)
    guard.wait(timeout=10)
    os.close(lifeline)
    assert wait_until(lambda: not alive(head))
