"""A real sovtui process in a pseudo-terminal: keys written to it, every byte it writes kept.

What reaches the pty is what reaches the operator's terminal (Textual writes its frames to
stderr, which is the terminal here, as are stdin and stdout).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

FIRST_FRAME_MARK = b"\x1b[1;1H"  # Textual starts every full frame at the top-left cell
LEAVE_ALT_SCREEN = b"\x1b[?1049l"
# Control sequences (CSI, OSC, two-character escapes): what is left is the text a user reads.
_CONTROL = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[ -~]")


def visible_text(output: bytes) -> str:
    """The text in terminal output, control sequences removed, carriage returns dropped."""
    return _CONTROL.sub(b"", output).replace(b"\r", b"").decode("utf-8", "replace")


class PtySession:
    """One child process whose controlling terminal is a pty; a thread drains its output."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd = fd
        self._output = bytearray()
        self._lock = threading.Lock()
        self._reaping = threading.Lock()
        self._status: int | None = None
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.fd], [], [], 0.5)
                if not ready:
                    if self._exited():
                        return
                    continue
                chunk = os.read(self.fd, 65536)
            except OSError:  # EIO: the child has gone and the pty is closed on its side
                return
            if not chunk:
                return
            with self._lock:
                self._output += chunk

    def _exited(self) -> bool:
        with self._reaping:  # the reader thread asks too: reap exactly once
            if self._status is None:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
                if pid == self.pid:
                    self._status = status
            return self._status is not None

    @property
    def output(self) -> bytes:
        with self._lock:
            return bytes(self._output)

    def alive(self) -> bool:
        return not self._exited()

    def wait_for(self, marker: bytes, *, start: int = 0, timeout: float = 60.0) -> int:
        """Wait until `marker` appears at or after byte `start`; returns where it ends."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            output = self.output
            found = output.find(marker, start)
            if found >= 0:
                return found + len(marker)
            if not self.alive():
                time.sleep(0.2)  # the reader may still hold the last bytes
                output = self.output
                found = output.find(marker, start)
                if found >= 0:
                    return found + len(marker)
                raise AssertionError(
                    f"exited ({self.exit_code()}) before {marker!r}; last output: "
                    f"{visible_text(output[-3000:])!r}"
                )
            time.sleep(0.05)
        raise AssertionError(
            f"{marker!r} not seen in {timeout:g} s; last output: "
            f"{visible_text(self.output[-3000:])!r}"
        )

    def quiet(self, seconds: float = 1.0, timeout: float = 30.0) -> None:
        """Wait until nothing new has been written for `seconds` (the screen has settled)."""
        deadline = time.monotonic() + timeout
        size, since = len(self.output), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            now_size = len(self.output)
            if now_size != size:
                size, since = now_size, time.monotonic()
            elif time.monotonic() - since >= seconds:
                return

    def press(self, *keys: bytes, gap: float = 0.3) -> None:
        for key in keys:
            os.write(self.fd, key)
            time.sleep(gap)

    def wait_exit(self, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._exited():
                self._reader.join(timeout=5)
                return self.exit_code()
            time.sleep(0.05)
        raise AssertionError(
            f"still running {timeout:g} s later; last output: {visible_text(self.output[-3000:])!r}"
        )

    def exit_code(self) -> int:
        assert self._status is not None
        return os.waitstatus_to_exitcode(self._status)


@contextmanager
def in_pty(
    argv: Sequence[str], env: Mapping[str, str], *, size: tuple[int, int] = (160, 45)
) -> Iterator[PtySession]:
    """Run `argv` with a new pty as its terminal; killed (with its process group) at the end
    if it is still running."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes the program
        try:
            os.execve(argv[0], list(argv), dict(env))
        finally:
            os._exit(127)
    columns, rows = size
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    session = PtySession(pid, fd)
    try:
        yield session
    finally:
        if session.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)  # pty.fork made it a session (group) leader
            session.wait_exit(timeout=10)
        session._reader.join(timeout=5)
        os.close(fd)


def sovtui_argv(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "sovtui", *arguments]
