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

KEEP = b"keep"
STOP_TIMEOUT_S = 15.0


def _watch(fd: int, head: subprocess.Popen[bytes], parent: int, stopping: list[int]) -> bool:
    """Until the head ends, sovtui goes or a SIGTERM came; True when sovtui asked to keep the
    head."""
    received = b""
    while head.poll() is None and not stopping:
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
    """SIGTERM `ray start --block` (it stops its processes), then SIGKILL whatever of the head
    is left: under load its graceful stop can outlast the wait or leave a process behind."""
    if head.poll() is None:
        head.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            head.wait(timeout=_stop_timeout())
    _kill_leftovers(head)
    return head.wait()


def _stop_timeout() -> float:
    try:
        return float(os.environ.get("SOVTUI_HEAD_STOP_TIMEOUT", STOP_TIMEOUT_S))
    except ValueError:
        return STOP_TIMEOUT_S


def _kill_leftovers(head: subprocess.Popen[bytes]) -> None:
    """SIGKILL the head's processes still running, before the final wait reaps `ray start`:
    its own process group if it leads one (Ray's reaper may call setpgrp), and every other
    member of the guard's group, which the head's processes share otherwise. Only when the
    guard leads its group (sovtui starts it in a session of its own): never anyone else's."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(head.pid, signal.SIGKILL)  # its pid names only its own group, if any
    own = os.getpid()
    if os.getpgrp() == own:
        for pid in _group_members(own):
            if pid != own:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
    if head.poll() is None:
        head.kill()


def _group_members(pgid: int) -> list[int]:
    """Processes of process group `pgid`, from /proc (Linux; elsewhere none are found and the
    head alone is killed)."""
    members: list[int] = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return members
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rpartition(b")")[2].split()
        except OSError:
            continue
        if len(fields) > 2 and int(fields[2]) == pgid:
            members.append(int(entry))
    return members


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: head_guard FD -- COMMAND...", file=sys.stderr)
        return 2
    fd = int(argv[0])
    parent = os.getppid()
    # SIGTERM only sets a flag the waits below look at (within a second). Raising from the
    # handler could leave Popen's internal lock taken mid-poll, and the stop's wait then hangs.
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stopping.append(signum))
    head = subprocess.Popen(argv[2:])
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # a closed terminal is sovtui's business
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if _watch(fd, head, parent, stopping):
        os.close(fd)
        # Kept: from now on only a SIGTERM (`kill PID`) or the head's own end stops it.
        while head.poll() is None and not stopping:
            time.sleep(0.5)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once is enough; the stop must finish
    return _stop(head)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
