"""SIGHUP (a dropped SSH session, a closed tmux pane) and SIGTERM end sovtui as `q` or Ctrl-C do.

Left at their defaults they kill the process on the spot: no `finally`, no rollback, an embedded
head or half a Compose cluster left behind. Here they become a `Hangup`, a KeyboardInterrupt, so
every path that already cleans up after Ctrl-C cleans up after them too, or a callback (the TUI
asks its app to exit).
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator
from types import FrameType

HANGUP_SIGNALS = (signal.SIGHUP, signal.SIGTERM)


class Hangup(KeyboardInterrupt):
    """A SIGHUP or SIGTERM, unwinding like Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # what a shell reports for a process the signal ended


def raise_hangup(signum: int) -> None:
    """For commands without an event loop: unwind through their Ctrl-C handling."""
    raise Hangup(signum)


@contextlib.contextmanager
def hangup_signals(on_signal: Callable[[int], None]) -> Iterator[None]:
    """Call `on_signal(signum)` on SIGHUP and SIGTERM; only the first one counts, so a second
    signal never interrupts the clean-up the first one started. Restored on exit."""
    fired = False

    def handler(signum: int, _frame: FrameType | None) -> None:
        nonlocal fired
        if fired:
            return
        fired = True
        on_signal(signum)

    previous = {number: signal.signal(number, handler) for number in HANGUP_SIGNALS}
    try:
        yield
    finally:
        for number, action in previous.items():
            signal.signal(number, action)


JOB_CONTROL_SIGNALS = (signal.SIGTSTP, signal.SIGCONT)


@contextlib.contextmanager
def job_control_restored() -> Iterator[None]:
    """SIGTSTP and SIGCONT as they were before the block, once it ends.

    Textual's LinuxDriver sets handlers for both and never puts the old ones back. After the
    app, while the embedded head stops, a SIGCONT (a closed terminal sends SIGHUP and SIGCONT;
    `fg` after Ctrl-Z) would re-enter the app's terminal mode with an input thread that nothing
    stops any more: sovtui would hang on exit, forever."""
    previous = {number: signal.getsignal(number) for number in JOB_CONTROL_SIGNALS}
    try:
        yield
    finally:
        for number, action in previous.items():
            signal.signal(number, action)


def quietly(write: Callable[[], None]) -> None:
    """After a hang-up the terminal is gone and writing to it fails (EIO): clean-up goes on."""
    with contextlib.suppress(OSError, ValueError):
        write()
