"""Time from process start to a TUI's first frames, read from a real (pseudo) terminal.

Two moments, both as a user sees them (interpreter start, imports, settings, compose, layout,
the write); work an app defers past them is not counted:
- first frame: Textual starts drawing a screen at its top-left cell (ESC[1;1H); nothing before
  the first frame moves the cursor there (the set-up sequences only switch terminal modes);
- complete frame: Textual fills the footer's keys in a follow-up frame once the bindings are
  known; the command palette key ("palette", in every Textual footer) marks that.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import signal
import struct
import termios
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

FIRST_FRAME_MARK = b"\x1b[1;1H"
FOOTER_MARK = b"palette"


@contextmanager
def _in_terminal(
    argv: Sequence[str], env: Mapping[str, str], size: tuple[int, int]
) -> Iterator[tuple[int, int]]:
    """Start `argv` with a pseudo-terminal of `size` as its terminal; yields (pid, pty fd)."""
    pid, terminal = pty.fork()
    if pid == 0:  # the child: becomes the app
        os.execve(argv[0], list(argv), dict(env))
    columns, rows = size
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    try:
        yield pid, terminal
    finally:
        with contextlib.suppress(ProcessLookupError):  # our own child, maybe stopped already
            os.kill(pid, signal.SIGKILL)  # it holds nothing that needs a clean stop
        os.waitpid(pid, 0)
        os.close(terminal)


def frame_seconds(
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    size: tuple[int, int] = (120, 40),
    timeout: float = 30.0,
) -> tuple[float, float]:
    """(first frame, complete frame) seconds after the process was started."""
    started = time.perf_counter()
    seen = b""
    first: float | None = None
    with _in_terminal(argv, env, size) as (_pid, terminal):
        while FOOTER_MARK not in seen:
            remaining = started + timeout - time.perf_counter()
            ready, _, _ = select.select([terminal], [], [], max(0.0, remaining))
            if not ready:
                raise TimeoutError(f"{argv} drew no frame in {timeout:g} s")
            try:
                seen += os.read(terminal, 65536)
            except OSError:  # the child exited (EIO): it never drew a frame
                raise RuntimeError(f"{argv} exited before drawing: {seen[-500:]!r}") from None
            if first is None and FIRST_FRAME_MARK in seen:
                first = time.perf_counter() - started
        complete = time.perf_counter() - started
    return (complete if first is None else first), complete


@contextmanager
def running_in_terminal(
    argv: Sequence[str], env: Mapping[str, str], *, size: tuple[int, int] = (120, 40)
) -> Iterator[int]:
    """Run a TUI in a pseudo-terminal whose output is read and dropped; yields its pid.

    For measuring a TUI as it runs for a user: it draws real frames (headless mode skips
    turning them into terminal output) and never blocks on a full terminal buffer.
    """
    with _in_terminal(argv, env, size) as (pid, terminal):

        def drain() -> None:
            try:
                while os.read(terminal, 65536):
                    pass
            except OSError:  # EIO once the child is gone
                pass

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        try:
            yield pid
        finally:
            # Stopped before the pty closes: the reader then ends on EIO, not on a closed fd.
            os.kill(pid, signal.SIGKILL)
            reader.join(timeout=5)
