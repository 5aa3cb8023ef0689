"""`python -I head_guard.py FD -- ray start --head --block ...`: stop the head with sovtui.

sovtui holds the write end of a pipe whose read end is FD here. When sovtui dies, however it dies
(SIGKILL included), the pipe reaches end-of-file and this guard sends SIGTERM to `ray start
--block`, which stops every Ray process of the head. sovtui writes `keep` into the pipe to leave
the head running (`--keep`). SIGTERM to the guard is passed on the same way; the guard exits with
the head's status. A parent-death signal (prctl) is not used: it fires when the *thread* that
started the child ends, and heads are started from worker threads too.

Run as a script with the standard library only: it starts fast, needs no sovtui on the path
and never imports ray.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from types import FrameType

KEEP = b"keep"
STOP_TIMEOUT_S = 15.0


def _watch(fd: int, head: subprocess.Popen[bytes], parent: int) -> bool:
    """Until the head ends or sovtui goes; True when sovtui asked to keep the head."""
    received = b""
    while head.poll() is None:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if ready:
            chunk = os.read(fd, 64)
            if not chunk:  # end of file: sovtui is gone without saying `keep`
                return received.startswith(KEEP)
            received += chunk
            if received.startswith(KEEP):
                return True
        elif os.getppid() != parent:  # reparented: also means sovtui is gone
            return received.startswith(KEEP)
    return False


def _stop(head: subprocess.Popen[bytes]) -> int:
    """SIGTERM `ray start --block` (it stops its processes), then SIGKILL whatever of its
    process group is left: `ray start` leads a group of its own (Ray's reaper calls setpgrp),
    and under load its graceful stop can outlast the wait or leave a process behind."""
    if head.poll() is None:
        head.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            head.wait(timeout=STOP_TIMEOUT_S)
    # Before the final wait reaps it: its pid names only its own group. No such group left
    # (or it never led one): nothing outlived it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(head.pid, signal.SIGKILL)
    return head.wait()


class _Stop(Exception):
    """Raised by the SIGTERM handler: leave whatever wait is going on and stop the head."""


def _on_term(_signum: int, _frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once is enough; the stop must finish
    raise _Stop


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: head_guard FD -- COMMAND...", file=sys.stderr)
        return 2
    fd = int(argv[0])
    parent = os.getppid()
    early: list[int] = []  # a SIGTERM while the head starts is acted on right after
    signal.signal(signal.SIGTERM, lambda signum, _frame: early.append(signum))
    head = subprocess.Popen(argv[2:])
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # a closed terminal is sovtui's business
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_term)
    try:
        if early:
            raise _Stop
        if _watch(fd, head, parent):
            os.close(fd)
            # Kept: from now on only a SIGTERM (`kill PID`) or the head's own end stops it.
            while head.poll() is None:
                time.sleep(0.5)
    except _Stop:
        pass
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    return _stop(head)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
