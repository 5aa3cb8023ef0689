"""A real `python -m sovtui` in a pseudo-terminal, as a user over SSH runs it."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

FOOTER_MARK = b"palette"  # in every Textual footer: the app runs and has drawn


class SovtuiTerminal:
    def __init__(self, args: Sequence[str], env: Mapping[str, str], cwd: Path) -> None:
        self.output = bytearray()
        self.status: int | None = None
        pid, self.master = pty.fork()
        if pid == 0:  # the child: becomes sovtui
            os.chdir(cwd)
            os.execve(sys.executable, [sys.executable, "-m", "sovtui", *args], dict(env))
        self.pid = pid
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        # select with a timeout: a read blocked on the master would keep it open after close()
        while not self._stop.is_set():
            if not select.select([self.master], [], [], 0.2)[0]:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO once the child is gone, EBADF once we hung up
                return
            if not chunk:
                return
            self.output += chunk

    def wait_for(self, mark: bytes, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while mark not in self.output:
            if self.exited() or time.monotonic() > deadline:
                tail = bytes(self.output[-1500:])
                raise AssertionError(f"no {mark!r} from sovtui (exit {self.status}): {tail!r}")
            time.sleep(0.2)

    def _close_master(self) -> None:
        self._stop.set()
        self._reader.join(timeout=5)
        if self.master >= 0:
            os.close(self.master)
            self.master = -1

    def hang_up(self) -> None:
        """What an SSH drop or a killed tmux pane does: the terminal's master side closes."""
        self._close_master()

    def signal(self, number: int) -> None:
        os.kill(self.pid, number)

    def exited(self) -> bool:
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
        return self.status is not None

    def wait_exit(self, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while not self.exited() and time.monotonic() < deadline:
            time.sleep(0.2)
        return self.status

    def close(self) -> None:
        if not self.exited():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        self._close_master()
