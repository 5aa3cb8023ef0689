"""The guard between sovtui and `ray start --block`, with `sleep` standing in for Ray."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

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


# Like `ray start --block`: it leads a process group of its own (Ray's reaper calls setpgrp) and
# on SIGTERM exits at once, leaving a process of the head behind (as a slow stop under load did).
LEAVES_A_CHILD = (
    "import os, signal, subprocess, sys, time\n"
    "os.setpgrp()\n"
    "child = subprocess.Popen(['sleep', '300'])\n"
    "print(child.pid, flush=True)\n"
    "signal.signal(signal.SIGTERM, lambda *_: os._exit(0))\n"
    "time.sleep(300)\n"
)


def start_head_with_a_child(
    script: str, tmp_path: Path, cleanup: list[int]
) -> tuple[subprocess.Popen[bytes], int, int, int]:
    """A guard whose head runs `script`, which prints the pid of a child it starts: (the
    guard, its lifeline, the head's pid, the child's pid), all marked for cleanup."""
    out = tmp_path / "child.pid"
    guard, lifeline, head = start_guard(
        ["sh", "-c", f'exec "$0" -c "$1" > {out}', sys.executable, script]
    )
    cleanup += [guard.pid, head]
    assert wait_until(lambda: out.exists() and out.read_text().strip() != "")
    child = int(out.read_text())
    cleanup.append(child)
    return guard, lifeline, head, child


def test_what_the_head_leaves_in_its_process_group_is_stopped_too(
    cleanup: list[int], tmp_path: Path
) -> None:
    guard, lifeline, head, left_behind = start_head_with_a_child(LEAVES_A_CHILD, tmp_path, cleanup)
    assert wait_until(lambda: os.getpgid(left_behind) == head)
    os.close(lifeline)  # sovtui goes
    guard.wait(timeout=30)
    assert not alive(head)
    assert wait_until(lambda: not alive(left_behind)), "a process of the head's group survived"


# A head whose stop hangs: it ignores SIGTERM, as a `ray start` stuck on a busy machine may seem
# to, with a process of the head beside it in the guard's group (where Ray's processes are).
IGNORES_SIGTERM = (
    "import signal, subprocess, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "child = subprocess.Popen(['sleep', '300'])\n"
    "print(child.pid, flush=True)\n"
    "time.sleep(300)\n"
)


def test_a_head_that_will_not_stop_is_killed_with_its_processes(
    cleanup: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOVTUI_HEAD_STOP_TIMEOUT", "1")
    guard, lifeline, head, beside = start_head_with_a_child(IGNORES_SIGTERM, tmp_path, cleanup)
    assert os.getpgid(beside) == guard.pid
    guard.send_signal(signal.SIGTERM)  # what sovtui's stop does
    guard.wait(timeout=30)
    os.close(lifeline)
    assert wait_until(lambda: not alive(head)), "the head outlived the guard"
    assert wait_until(lambda: not alive(beside)), "a process of the head outlived the guard"
